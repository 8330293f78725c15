// Batch-normalization kernels vs float64 references (test/reference/batchnorm.ts) on awkward shapes, a
// large batch for the statistics' accuracy, aliasing, absent gamma/beta, central differences of the float64
// training-mode forward, and the real tfjs-layers BatchNormalization layer.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import * as sn from '../dist/index.js';
import { kernels } from '../dist/backend/wasm.js';
import * as ref from './reference/batchnorm.js';
import { randomValues } from './reference/random.js';

/** f32 unit roundoff. */
const U = 2 ** -24;
const SHAPES: [number, number][] = [[1, 1], [1, 7], [2, 3], [7, 13], [5, 17], [3, 1], [3, 2], [3, 3], [4, 4], [9, 5], [6, 6], [11, 7], [13, 37], [17, 23], [32, 128], [128, 10]];
const EPSILON = 1e-3;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Runs fn over fresh tensors made from `arrays` (null = pointer 0) and returns their contents after. */
function withTensors(arrays: (ArrayLike<number> | null)[], fn: (ptrs: number[]) => void): Float32Array[] {
  const tensors = arrays.map((a) => (a === null ? null : sn.tensor(Float32Array.from(a), [Math.max(1, a.length)].slice(0, 1))));
  fn(tensors.map((t) => (t === null ? 0 : t.ptr)));
  const out = tensors.map((t) => (t === null ? new Float32Array(0) : t.data.slice()));
  tensors.forEach((t) => t?.dispose());
  return out;
}

function stats(x: Float32Array, rows: number, cols: number): { mean: Float32Array; variance: Float32Array } {
  const [, mean, variance] = withTensors([x, new Float32Array(cols), new Float32Array(cols)], ([xp, mp, vp]) => kernels.batchNormStats(xp, rows, cols, mp, vp));
  return { mean, variance };
}

/**
 * Both statistics are f64 sums rounded once to f32, so each is within half an ulp (2^-24 relative) of the
 * float64 reference, plus a 1e-12 allowance for the f64 sums' own (different-order) rounding.
 */
function expectStatsClose(x: Float32Array, rows: number, cols: number): void {
  const got = stats(x, rows, cols);
  const want = ref.batchNormStats(x, rows, cols);
  for (let c = 0; c < cols; c++) {
    const scale = want.variance[c] + want.mean[c] ** 2;
    expect(Math.abs(got.mean[c] - want.mean[c]), `mean col ${c}`).toBeLessThanOrEqual(U * Math.abs(want.mean[c]) + 1e-12 * Math.sqrt(scale));
    expect(Math.abs(got.variance[c] - want.variance[c]), `variance col ${c}`).toBeLessThanOrEqual(U * want.variance[c] + 1e-12 * scale);
  }
}

describe('batchNormStats vs float64 reference', () => {
  for (const [rows, cols] of SHAPES) {
    it(`${rows}x${cols}`, () => expectStatsClose(randomValues(rows * cols, -3, 5, rows * 100 + cols), rows, cols));
  }

  it('25088x32 and 30000x7 with a large offset (mean 100, spread 1): the statistics stay within 2^-24', () => {
    for (const [rows, cols] of [[25088, 32], [30000, 7]]) expectStatsClose(randomValues(rows * cols, 99, 101, rows + cols), rows, cols);
  });

  it('constant columns have variance exactly 0; one row gives the row itself and variance 0', () => {
    const x = new Float32Array(5 * 6).fill(0.1);
    const got = stats(x, 5, 6);
    expect(Array.from(got.variance)).toEqual(new Array(6).fill(0));
    expect(Array.from(got.mean)).toEqual(new Array(6).fill(Math.fround(0.1)));
    const row = randomValues(9, -1, 1, 9);
    const single = stats(row, 1, 9);
    expect(Array.from(single.mean)).toEqual(Array.from(row));
    expect(Array.from(single.variance)).toEqual(new Array(9).fill(0));
  });

  it('gives each column the same bits as that column alone (strip, vector lanes and scalar tail agree)', () => {
    const rows = 17;
    const cols = 23;
    const x = randomValues(rows * cols, -10, 10, 3);
    const all = stats(x, rows, cols);
    for (let c = 0; c < cols; c++) {
      const one = stats(Float32Array.from({ length: rows }, (_, r) => x[r * cols + c]), rows, 1);
      expect([all.mean[c], all.variance[c]]).toEqual([one.mean[0], one.variance[0]]);
    }
  });
});

function forward(x: Float32Array, rows: number, cols: number, mean: ArrayLike<number>, variance: ArrayLike<number>, gamma: ArrayLike<number> | null, beta: ArrayLike<number> | null): Float32Array {
  const [, y] = withTensors([x, new Float32Array(rows * cols), mean, variance, gamma, beta], ([xp, yp, mp, vp, gp, bp]) =>
    kernels.batchNormForward(xp, yp, rows, cols, mp, vp, gp, bp, EPSILON),
  );
  return y;
}

describe('batchNormForward vs float64 reference', () => {
  // (x - mean), 1 / sqrt(variance + epsilon), the gamma product, the scaling and the beta sum each round once
  // in f32: within 8 * 2^-24 of |gamma * xhat| + |beta|.
  for (const [rows, cols] of SHAPES) {
    it(`${rows}x${cols}, with and without gamma/beta, and in place (y == x) with the same bits`, () => {
      const x = randomValues(rows * cols, -3, 5, rows * 7 + cols);
      const { mean, variance } = stats(x, rows, cols);
      const gammaValues = randomValues(cols, -2, 2, cols + 1);
      const betaValues = randomValues(cols, -1, 1, cols + 2);
      for (const [gamma, beta] of [[gammaValues, betaValues], [null, null], [gammaValues, null], [null, betaValues]]) {
        const got = forward(x, rows, cols, mean, variance, gamma, beta);
        const want = ref.batchNormForward(x, rows, cols, mean, variance, gamma, beta, Math.fround(EPSILON));
        for (let i = 0; i < rows * cols; i++) {
          const b = beta ? Math.abs(beta[i % cols]) : 0;
          expect(Math.abs(got[i] - want[i]), `element ${i}`).toBeLessThanOrEqual(8 * U * (Math.abs(want[i] - (beta ? beta[i % cols] : 0)) + b));
        }
        const [inPlace] = withTensors([x, mean, variance, gamma, beta], ([xp, mp, vp, gp, bp]) => kernels.batchNormForward(xp, xp, rows, cols, mp, vp, gp, bp, EPSILON));
        expect(Array.from(inPlace)).toEqual(Array.from(got));
      }
    });
  }

  it('a large mean with a small spread keeps its deviations (subtracts before scaling)', () => {
    const rows = 8;
    const cols = 5;
    const x = Float32Array.from(randomValues(rows * cols, -1, 1, 11), (v) => 1e4 + v * 1e-2);
    const { mean, variance } = stats(x, rows, cols);
    const got = forward(x, rows, cols, mean, variance, null, null);
    const want = ref.batchNormForward(x, rows, cols, mean, variance, null, null, Math.fround(EPSILON));
    for (let i = 0; i < rows * cols; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(8 * U * Math.abs(want[i]) + 1e-9);
  });
});

function backward(x: Float32Array, dy: Float32Array, rows: number, cols: number, mean: ArrayLike<number>, variance: ArrayLike<number>, gamma: ArrayLike<number> | null, withDx = true): { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array } {
  const [, , dx, , , , dgamma, dbeta] = withTensors(
    [x, dy, new Float32Array(rows * cols).fill(NaN), mean, variance, gamma, new Float32Array(cols).fill(NaN), new Float32Array(cols).fill(NaN)],
    ([xp, dyp, dxp, mp, vp, gp, dgp, dbp]) => kernels.batchNormBackward(xp, dyp, withDx ? dxp : 0, rows, cols, mp, vp, gp, EPSILON, dgp, dbp),
  );
  return { dx, dgamma, dbeta };
}

describe('batchNormBackward vs float64 reference', () => {
  // dbeta: an f64 sum rounded once (2^-24 relative). dgamma: invstd (~3 f32 roundings) times f64 sums of dy
  // times the f32 (x - mean) (1 rounding), so 8 * 2^-24
  // of sum |dy * xhat|. dx: a handful of f32 roundings of each term of gamma*invstd/rows * (rows dy - dbeta -
  // xhat dgamma), which cancel to 0 on average: 16 * 2^-24 of the sum of the terms' magnitudes.
  for (const [rows, cols] of SHAPES) {
    it(`${rows}x${cols}, with and without gamma, dx skipped (0), and in place (dx == dy) with the same bits`, () => {
      const x = randomValues(rows * cols, -3, 5, rows * 3 + cols);
      const dy = randomValues(rows * cols, -1, 1, rows * 5 + cols);
      const { mean, variance } = stats(x, rows, cols);
      const gammaValues = randomValues(cols, -2, 2, cols + 4);
      for (const gamma of [gammaValues, null]) {
        const got = backward(x, dy, rows, cols, mean, variance, gamma);
        const want = ref.batchNormBackward(x, dy, rows, cols, mean, variance, gamma, Math.fround(EPSILON));
        const invStd = Array.from(variance, (v) => 1 / Math.sqrt(v + Math.fround(EPSILON)));
        for (let c = 0; c < cols; c++) {
          let sumAbsDyXhat = 0;
          for (let r = 0; r < rows; r++) sumAbsDyXhat += Math.abs(dy[r * cols + c] * (x[r * cols + c] - mean[c]) * invStd[c]);
          expect(Math.abs(got.dbeta[c] - want.dbeta[c]), `dbeta ${c}`).toBeLessThanOrEqual(U * Math.abs(want.dbeta[c]));
          expect(Math.abs(got.dgamma[c] - want.dgamma[c]), `dgamma ${c}`).toBeLessThanOrEqual(8 * U * sumAbsDyXhat);
        }
        for (let i = 0; i < rows * cols; i++) {
          const c = i % cols;
          const xhat = (x[i] - mean[c]) * invStd[c];
          const k = Math.abs((gamma ? gamma[c] : 1) * invStd[c]) / rows;
          const scale = k * (rows * Math.abs(dy[i]) + Math.abs(want.dbeta[c]) + Math.abs(xhat * want.dgamma[c]));
          expect(Math.abs(got.dx[i] - want.dx[i]), `dx ${i}`).toBeLessThanOrEqual(16 * U * scale);
        }
        const noDx = backward(x, dy, rows, cols, mean, variance, gamma, false);
        expect(Array.from(noDx.dx).every(Number.isNaN)).toBe(true);
        expect([Array.from(noDx.dgamma), Array.from(noDx.dbeta)]).toEqual([Array.from(got.dgamma), Array.from(got.dbeta)]);
        const [, inPlace] = withTensors([x, dy, mean, variance, gamma, new Float32Array(cols), new Float32Array(cols)], ([xp, dyp, mp, vp, gp, dgp, dbp]) =>
          kernels.batchNormBackward(xp, dyp, dyp, rows, cols, mp, vp, gp, EPSILON, dgp, dbp),
        );
        expect(Array.from(inPlace)).toEqual(Array.from(got.dx));
      }
    });
  }

  it('matches central differences of the float64 training-mode forward (dx, dgamma, dbeta)', () => {
    for (const [rows, cols] of [[5, 7], [2, 3], [6, 5]]) {
      const x = Array.from(randomValues(rows * cols, -2, 2, rows + 40 * cols));
      const gamma = Array.from(randomValues(cols, 0.5, 2, cols + 41));
      const beta = Array.from(randomValues(cols, -1, 1, cols + 42));
      const w = Array.from(randomValues(rows * cols, -1, 1, rows + 43));
      // L = sum w * y: its gradient with respect to y is w.
      const loss = (xv: number[], g: number[], b: number[]) => ref.batchNormTrain(xv, rows, cols, g, b, Math.fround(EPSILON)).reduce((a, y, i) => a + w[i] * y, 0);
      const h = 1e-5;
      const central = (values: number[], i: number, f: (v: number[]) => number) => {
        const up = [...values]; up[i] += h;
        const down = [...values]; down[i] -= h;
        return (f(up) - f(down)) / (2 * h);
      };
      const x32 = Float32Array.from(x);
      const { mean, variance } = stats(x32, rows, cols);
      const got = backward(x32, Float32Array.from(w), rows, cols, mean, variance, gamma);
      // x is rounded to f32 for the kernel and the f32 result carries ~1e-6 relative error: 1e-5 absolute on
      // gradients of order 1 (central differences in float64 are good to ~1e-9 here).
      const tolerance = 1e-5;
      for (let i = 0; i < rows * cols; i++) {
        expect(Math.abs(got.dx[i] - central(Array.from(x32), i, (v) => loss(v, gamma, beta))), `dx ${i}`).toBeLessThanOrEqual(tolerance);
      }
      for (let c = 0; c < cols; c++) {
        expect(Math.abs(got.dgamma[c] - central(gamma, c, (g) => loss(Array.from(x32), g, beta))), `dgamma ${c}`).toBeLessThanOrEqual(tolerance);
        expect(Math.abs(got.dbeta[c] - central(beta, c, (b) => loss(Array.from(x32), gamma, b))), `dbeta ${c}`).toBeLessThanOrEqual(tolerance);
      }
    }
  });
});

describe('batchNormMovingUpdate', () => {
  // Two f32 roundings per update (the difference and the step), and decay = f32(1 - momentum): 4 * 2^-24 of
  // |moving| + |batch|.
  for (const cols of [1, 2, 3, 4, 5, 7, 13, 128]) {
    it(`${cols} columns vs the float64 reference, momentum 0.99, 0.9, 0 and 1 (which leaves them unchanged)`, () => {
      const moving = randomValues(cols, -1, 1, cols);
      const movingVar = randomValues(cols, 0.5, 2, cols + 1);
      const mean = randomValues(cols, -2, 2, cols + 2);
      const variance = randomValues(cols, 0, 3, cols + 3);
      for (const momentum of [0.99, 0.9, 0, 1]) {
        const [m, v] = withTensors([moving, movingVar, mean, variance], ([mp, vp, bp, bvp]) => kernels.batchNormMovingUpdate(mp, vp, bp, bvp, cols, momentum));
        const decay32 = 1 - Math.fround(momentum);
        const wantM = ref.movingAverage(moving, mean, 1 - decay32);
        const wantV = ref.movingAverage(movingVar, variance, 1 - decay32);
        for (let c = 0; c < cols; c++) {
          expect(Math.abs(m[c] - wantM[c])).toBeLessThanOrEqual(4 * U * (Math.abs(moving[c]) + Math.abs(mean[c])));
          expect(Math.abs(v[c] - wantV[c])).toBeLessThanOrEqual(4 * U * (movingVar[c] + variance[c]));
        }
        if (momentum === 1) {
          expect(Array.from(m)).toEqual(Array.from(moving));
          expect(Array.from(v)).toEqual(Array.from(movingVar));
        }
      }
    });
  }
});

describe('against tfjs-layers BatchNormalization (cpu backend)', () => {
  it('a training-mode call gives the same outputs and moving statistics within 1e-5', () => {
    // tfjs sums in f32 (tf.moments) where the kernels sum in f64: agreement to f32 accuracy of a 64-row sum.
    const rows = 64;
    const cols = 10;
    const momentum = 0.9;
    const x = randomValues(rows * cols, -2, 6, 77);
    const gamma = randomValues(cols, 0.5, 1.5, 78);
    const beta = randomValues(cols, -0.5, 0.5, 79);
    const layer = tf.layers.batchNormalization({ axis: -1, momentum, epsilon: EPSILON, inputShape: [cols] });
    layer.build([null, cols]);
    const movingMean0 = randomValues(cols, -1, 1, 80);
    const movingVar0 = randomValues(cols, 0.5, 1.5, 81);
    layer.setWeights([tf.tensor1d(gamma), tf.tensor1d(beta), tf.tensor1d(movingMean0), tf.tensor1d(movingVar0)]);
    const yTf = (layer.apply(tf.tensor2d(x, [rows, cols]), { training: true }) as tf.Tensor).dataSync();
    const [, , movingMeanTf, movingVarTf] = layer.getWeights().map((t) => t.dataSync());

    const { mean, variance } = stats(x, rows, cols);
    const y = forward(x, rows, cols, mean, variance, gamma, beta);
    const [movingMean, movingVar] = withTensors([movingMean0, movingVar0, mean, variance], ([mp, vp, bp, bvp]) => kernels.batchNormMovingUpdate(mp, vp, bp, bvp, cols, momentum));
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    expect(maxDiff(y, yTf)).toBeLessThan(1e-5);
    expect(maxDiff(movingMean, movingMeanTf)).toBeLessThan(1e-5);
    expect(maxDiff(movingVar, movingVarTf)).toBeLessThan(1e-5);
  });
});
