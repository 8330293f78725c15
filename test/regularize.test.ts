// The L1L2 weight penalty and its gradient vs the float64 reference (test/reference/regularize.ts) and
// the real tf.regularizers.l1l2 of TensorFlow.js.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import * as sn from '../dist/index.js';
import { kernels } from '../dist/backend/wasm.js';
import * as ref from './reference/regularize.js';
import { randomValues } from './reference/random.js';

const U = 2 ** -24;
const LENGTHS = [0, 1, 2, 3, 4, 5, 6, 7, 13, 85, 1000, 100003];
const COEFFICIENTS: [number, number][] = [[0.01, 0], [0, 0.01], [1e-3, 5e-4], [0.5, 2], [0, 0]];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function run(w: Float32Array, g: Float32Array | null, l1: number, l2: number): { penalty: number; g: Float32Array } {
  const n = w.length;
  const wt = sn.tensor(w, [n]);
  const gt = g === null ? null : sn.tensor(g, [n]);
  const penalty = kernels.regularize(wt.ptr, gt === null ? 0 : gt.ptr, n, l1, l2);
  const out = gt === null ? new Float32Array(0) : gt.data.slice();
  expect(Array.from(wt.data)).toEqual(Array.from(w));
  wt.dispose();
  gt?.dispose();
  return { penalty, g: out };
}

describe('regularize vs float64 reference', () => {
  for (const n of LENGTHS) {
    it(`n = ${n}: penalty and gradient for l1/l2 pairs`, () => {
      const w = randomValues(n, -2, 2, n + 3);
      if (n > 3) w[3] = 0;
      if (n > 2) w[2] = -0;
      const g0 = randomValues(n, -1, 1, n + 4);
      for (const [l1, l2] of COEFFICIENTS) {
        const l1f = Math.fround(l1);
        const l2f = Math.fround(l2);
        // Sums in f64 over f32 weights: only the f64 rounding of n terms, far below 1e-12 relative.
        const { penalty, g } = run(w, g0, l1, l2);
        const want = ref.penalty(w, l1f, l2f);
        expect(Math.abs(penalty - want), `${l1} ${l2}`).toBeLessThanOrEqual(1e-12 * want);
        // g + (l1 sign(w) + 2 l2 w): the product, the term sum and the update round once each in f32.
        const wantG = ref.penaltyGradient(w, g0, l1f, l2f);
        for (let i = 0; i < n; i++) {
          const scale = Math.abs(g0[i]) + l1f + 2 * l2f * Math.abs(w[i]);
          expect(Math.abs(g[i] - wantG[i]), `g ${i} (${l1}, ${l2})`).toBeLessThanOrEqual(3 * U * scale);
        }
        expect(run(w, null, l1, l2).penalty).toBe(penalty);
      }
    });
  }

  it('sign(0) is 0: zero weights (+0 and -0) leave their gradient unchanged under l1 only', () => {
    const w = new Float32Array([0, -0, 0, 1, -1, 0, -0]);
    const g0 = new Float32Array([0.5, -0.25, 3, 0, 0, 1, 2]);
    const { penalty, g } = run(w, g0, 0.125, 0);
    expect(Array.from(g)).toEqual([0.5, -0.25, 3, 0.125, -0.125, 1, 2]);
    expect(penalty).toBe(0.25);
  });

  it('a zero coefficient drops its term: infinite weights give an infinite penalty, not NaN from 0 * inf', () => {
    const w = new Float32Array([1, Infinity, -2, 3, -Infinity]);
    const g0 = new Float32Array(5);
    const l1Only = run(w, g0, 0.5, 0);
    expect(l1Only.penalty).toBe(Infinity);
    expect(Array.from(l1Only.g)).toEqual([0.5, 0.5, -0.5, 0.5, -0.5]);
    expect(run(w, g0, 0, 0.5).penalty).toBe(Infinity);
    expect(run(w, g0, 0, 0)).toEqual({ penalty: 0, g: g0 });
  });
});

describe('against tf.regularizers.l1l2', () => {
  it('the penalty agrees within f32 summation accuracy and the gradient with tf.grad within 1e-6', () => {
    for (const [n, l1, l2] of [[7, 0.01, 0.02], [1000, 1e-3, 5e-4], [4099, 0.1, 0]] as const) {
      const w = randomValues(n, -1, 1, n);
      const regularizer = tf.regularizers.l1l2({ l1, l2 });
      const wTensor = tf.tensor1d(w);
      const tfPenalty = regularizer.apply(wTensor).dataSync()[0];
      const tfGrad = tf.grad((v: tf.Tensor) => regularizer.apply(v))(wTensor).dataSync();
      const { penalty, g } = run(w, new Float32Array(n), l1, l2);
      // tfjs sums n f32 terms: within n * 2^-24 of the total.
      expect(Math.abs(penalty - tfPenalty)).toBeLessThanOrEqual(n * U * penalty);
      for (let i = 0; i < n; i++) expect(Math.abs(g[i] - tfGrad[i]), `g ${i}`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(tfGrad[i])));
    }
  });
});
