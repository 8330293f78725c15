// Row softmax / log-softmax kernels vs float64 references (test/reference/softmax.ts), extreme rows, NaN
// rows, position independence and the Tensor façade.
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';
import { kernels } from '../dist/backend/wasm.js';
import { logSoftmaxRow, softmaxBackwardRow, softmaxRow } from './reference/softmax.js';
import { randomValues } from './reference/random.js';

const SHAPES: [number, number][] = [[1, 1], [1, 2], [2, 3], [3, 4], [4, 5], [7, 13], [5, 17], [64, 10], [3, 1000], [1000, 3], [2, 0], [0, 5]];
/**
 * Tolerances: each probability carries exp's error (8e-8), the f32 row sum (four lane sums of cols/4
 * terms) and one division; log-softmax is compared absolutely, scaled by 1 + |value|.
 */
const SOFTMAX_RTOL = 1e-6;
const LOG_SOFTMAX_TOL = 1e-6;


function run(kernel: 'softmaxRows' | 'logSoftmaxRows', values: Float32Array, rows: number, cols: number): Float32Array {
  const x = sn.tensor(values, [rows, cols]);
  const y = sn.zeros([rows, cols]);
  kernels[kernel](x.ptr, y.ptr, rows, cols);
  const out = y.data.slice();
  x.dispose();
  y.dispose();
  return out;
}

function reference(fn: (row: number[]) => number[], values: Float32Array, rows: number, cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) out.push(...fn(Array.from(values.subarray(r * cols, (r + 1) * cols))));
  return out;
}

function maxErrors(got: Float32Array, want: number[]): { rel: number; scaled: number } {
  let rel = 0;
  let scaled = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (want[i] !== 0) rel = Math.max(rel, d / Math.abs(want[i]));
    else rel = Math.max(rel, d === 0 ? 0 : Infinity);
    scaled = Math.max(scaled, d / (1 + Math.abs(want[i])));
  }
  return { rel, scaled };
}

describe('softmaxRows / logSoftmaxRows vs float64 reference', () => {
  for (const [rows, cols] of SHAPES) {
    it(`${rows}x${cols}`, () => {
      const values = randomValues(rows * cols, -8, 8, rows * 1000 + cols);
      const p = run('softmaxRows', values, rows, cols);
      expect(maxErrors(p, reference(softmaxRow, values, rows, cols)).rel).toBeLessThanOrEqual(SOFTMAX_RTOL);
      const lp = run('logSoftmaxRows', values, rows, cols);
      expect(maxErrors(lp, reference(logSoftmaxRow, values, rows, cols)).scaled).toBeLessThanOrEqual(LOG_SOFTMAX_TOL);
      for (let r = 0; r < rows && cols > 0; r++) {
        const sum = p.subarray(r * cols, (r + 1) * cols).reduce((a, b) => a + b, 0);
        expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
      }
    });
  }

  it('rows of +-1e4 logits stay finite and exact', () => {
    const values = new Float32Array([1e4, -1e4, 0, 1e4, -1e4, -1e4, -1e4, 1e4, 3, 2, -1e4, 1e4, 1e4, 1e4, 1e4]);
    const p = run('softmaxRows', values, 3, 5);
    expect(Array.from(p)).toEqual([0.5, 0, 0, 0.5, 0, 0, 0, 1, 0, 0, 0, 0.25, 0.25, 0.25, 0.25]);
    const lp = run('logSoftmaxRows', values, 3, 5);
    const want = reference(logSoftmaxRow, values, 3, 5);
    for (let i = 0; i < 15; i++) {
      expect(Number.isFinite(lp[i])).toBe(true);
      expect(Math.abs(lp[i] - want[i])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(want[i])));
    }
  });

  it('all-equal rows give exactly 1/cols (and log-softmax -log cols)', () => {
    for (const cols of [1, 3, 4, 10, 13]) {
      const values = new Float32Array(2 * cols).fill(-7.25);
      values.fill(123.5, cols);
      const p = run('softmaxRows', values, 2, cols);
      expect(Array.from(p)).toEqual(new Array(2 * cols).fill(Math.fround(1 / cols)));
      const lp = run('logSoftmaxRows', values, 2, cols);
      for (const v of lp) expect(v === Math.fround(-Math.log(cols))).toBe(true);
    }
  });

  it('a NaN (or +Inf) in a row gives a NaN row and leaves the other rows alone', () => {
    const values = randomValues(3 * 7, -2, 2, 4);
    values[7 + 5] = NaN;
    values[14 + 0] = Infinity;
    for (const kernel of ['softmaxRows', 'logSoftmaxRows'] as const) {
      const out = run(kernel, values, 3, 7);
      expect(Array.from(out.subarray(0, 7)).every(Number.isFinite)).toBe(true);
      expect(Array.from(out.subarray(7, 21)).every(Number.isNaN)).toBe(true);
    }
  });

  it('gives each row the same bits wherever it sits (row offsets not multiples of 4)', () => {
    for (const cols of [7, 19]) {
      const values = randomValues(5 * cols, -20, 20, 8 + cols);
      for (const kernel of ['softmaxRows', 'logSoftmaxRows'] as const) {
        const all = run(kernel, values, 5, cols);
        for (let r = 0; r < 5; r++) {
          const single = run(kernel, values.slice(r * cols, (r + 1) * cols), 1, cols);
          expect(Array.from(all.subarray(r * cols, (r + 1) * cols)), `${kernel} ${cols} row ${r}`).toEqual(Array.from(single));
        }
      }
    }
  });

  it('works in place', () => {
    const values = randomValues(4 * 9, -3, 3, 6);
    for (const kernel of ['softmaxRows', 'logSoftmaxRows'] as const) {
      const t = sn.tensor(values, [4, 9]);
      kernels[kernel](t.ptr, t.ptr, 4, 9);
      expect(Array.from(t.data)).toEqual(Array.from(run(kernel, values, 4, 9)));
      t.dispose();
    }
  });
});

describe('softmaxBackwardRows vs float64 reference', () => {
  // dx = y (dy - y.dy): one f32 dot product of cols terms (four lane sums, then the tail) and one fused
  // step per element, so the error is a few ulps of |y| (|dy| + |y.dy|): 1e-6 relative to that scale.
  for (const [rows, cols] of SHAPES) {
    it(`${rows}x${cols}, and in place (dx == dy) with the same bits`, () => {
      const logits = randomValues(rows * cols, -4, 4, rows * 31 + cols);
      const y = run('softmaxRows', logits, rows, cols);
      const dyValues = randomValues(rows * cols, -1, 1, rows * 7 + cols);
      const yT = sn.tensor(y, [rows, cols]);
      const dy = sn.tensor(dyValues, [rows, cols]);
      const dx = sn.zeros([rows, cols]);
      kernels.softmaxBackwardRows(yT.ptr, dy.ptr, dx.ptr, rows, cols);
      for (let r = 0; r < rows; r++) {
        const yr = Array.from(y.subarray(r * cols, (r + 1) * cols));
        const dyr = Array.from(dyValues.subarray(r * cols, (r + 1) * cols));
        const want = softmaxBackwardRow(yr, dyr);
        const dot = yr.reduce((a, v, j) => a + Math.abs(v * dyr[j]), 0);
        for (let c = 0; c < cols; c++) {
          const scale = Math.abs(yr[c]) * (Math.abs(dyr[c]) + dot);
          expect(Math.abs(dx.data[r * cols + c] - want[c])).toBeLessThanOrEqual(1e-6 * scale + 1e-12);
        }
      }
      const separate = dx.data.slice();
      kernels.softmaxBackwardRows(yT.ptr, dy.ptr, dy.ptr, rows, cols);
      expect(Array.from(dy.data)).toEqual(Array.from(separate));
      for (const t of [yT, dy, dx]) t.dispose();
    });
  }

  it('matches central differences of softmax (float64) through a random projection', () => {
    const cols = 7;
    const x = Array.from(randomValues(cols, -2, 2, 99));
    const w = Array.from(randomValues(cols, -1, 1, 98));
    const f = (v: number[]) => softmaxRow(v).reduce((a, p, j) => a + p * w[j], 0);
    const y = softmaxRow(x);
    const analytic = softmaxBackwardRow(y, w);
    const yT = sn.tensor(y, [1, cols]);
    const dy = sn.tensor(w, [1, cols]);
    kernels.softmaxBackwardRows(yT.ptr, dy.ptr, dy.ptr, 1, cols);
    for (let j = 0; j < cols; j++) {
      const h = 1e-6;
      const up = [...x]; up[j] += h;
      const down = [...x]; down[j] -= h;
      const numeric = (f(up) - f(down)) / (2 * h);
      expect(Math.abs(analytic[j] - numeric)).toBeLessThan(1e-8);
      expect(Math.abs(dy.data[j] - numeric)).toBeLessThan(1e-6);
    }
    yT.dispose();
    dy.dispose();
  });
});

describe('Tensor façade: sn.softmax, sn.logSoftmax', () => {
  it('computes rows of a 2-D tensor, into a new tensor or out', () => {
    const x = sn.tensor([[1, 2, 3], [0, 0, 0]]);
    const p = sn.softmax(x);
    expect(p.shape).toEqual([2, 3]);
    expect(Array.from(p.data)).toEqual(Array.from(run('softmaxRows', x.data.slice(), 2, 3)));
    const out = sn.zeros([2, 3]);
    expect(sn.logSoftmax(x, { out })).toBe(out);
    expect(Array.from(out.data)).toEqual(Array.from(run('logSoftmaxRows', x.data.slice(), 2, 3)));
    [x, p, out].forEach((t) => t.dispose());
  });

  it('rejects non-2-D input, mismatched out (naming both shapes) and disposed tensors', () => {
    const v = sn.zeros([6]);
    expect(() => sn.softmax(v)).toThrow(/2-D.*\[6\]/);
    const x = sn.zeros([2, 3]);
    const out = sn.zeros([3, 2]);
    expect(() => sn.logSoftmax(x, { out })).toThrow(RangeError);
    expect(() => sn.logSoftmax(x, { out })).toThrow(/\[3, 2\].*\[2, 3\]/);
    x.dispose();
    expect(() => sn.softmax(x)).toThrow(/disposed/);
    v.dispose();
    out.dispose();
  });
});
