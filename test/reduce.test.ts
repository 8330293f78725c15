// Reductions: colSums, rowArgmax, countCorrect(Sparse) vs float64 references (test/reference/reduce.ts).

import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';
import { kernels } from '../dist/backend/wasm.js';
import { allocate, heapI32, release } from '../dist/backend/allocator.js';
import * as ref from './reference/reduce.js';
import { randomValues } from './reference/random.js';

const SHAPES: [number, number][] = [[1, 1], [1, 5], [2, 3], [3, 4], [7, 13], [64, 10], [3, 1000], [1000, 3], [0, 6], [5, 0]];
/** f32 unit roundoff: a sum of n terms in order is within n * U * sum|x| of the exact sum (Higham, eq. 4.4). */
const U = 2 ** -24;


function runColSums(x: Float32Array, rows: number, cols: number, out: Float32Array, beta: number): Float32Array {
  const xt = sn.tensor(x, [rows, cols]);
  const ot = sn.tensor(out, [cols]);
  kernels.colSums(xt.ptr, rows, cols, ot.ptr, beta);
  const result = ot.data.slice();
  xt.dispose();
  ot.dispose();
  return result;
}

function runArgmax(x: Float32Array, rows: number, cols: number): number[] {
  const xt = sn.tensor(x, [rows, cols]);
  const idx = allocate(Math.max(1, rows) * 4);
  kernels.rowArgmax(xt.ptr, rows, cols, idx);
  const result = Array.from(heapI32().subarray(idx >>> 2, (idx >>> 2) + rows));
  xt.dispose();
  release(idx);
  return result;
}

describe('colSums vs float64 reference', () => {
  for (const [rows, cols] of SHAPES) {
    it(`${rows}x${cols} with beta 0 (out holds NaN, never read), 1 and 0.5`, () => {
      const x = randomValues(rows * cols, -4, 4, rows * 13 + cols);
      for (const beta of [0, 1, 0.5]) {
        const out = beta === 0 ? new Float32Array(cols).fill(NaN) : randomValues(cols, -2, 2, cols);
        const got = runColSums(x, rows, cols, out, beta);
        const want = ref.colSums(x, rows, cols, out, beta);
        for (let j = 0; j < cols; j++) {
          let absSum = Math.abs(beta * out[j] || 0);
          for (let r = 0; r < rows; r++) absSum += Math.abs(x[r * cols + j]);
          expect(Math.abs(got[j] - want[j]), `col ${j} beta ${beta}`).toBeLessThanOrEqual((rows + 2) * U * absSum);
        }
      }
    });
  }

  it('gives each column the same bits as summing that column alone (lanes and tail agree)', () => {
    const rows = 9;
    const cols = 11;
    const x = randomValues(rows * cols, -1e3, 1e3, 4);
    const out = randomValues(cols, -5, 5, 6);
    const all = runColSums(x, rows, cols, out, 0.75);
    for (let j = 0; j < cols; j++) {
      const column = Float32Array.from({ length: rows }, (_, r) => x[r * cols + j]);
      expect(all[j]).toBe(runColSums(column, rows, 1, out.subarray(j, j + 1), 0.75)[0]);
    }
  });

  it('propagates NaN to its column only', () => {
    const x = randomValues(4 * 6, -1, 1, 2);
    x[2 * 6 + 3] = NaN;
    const got = runColSums(x, 4, 6, new Float32Array(6), 0);
    expect(Array.from(got, Number.isNaN)).toEqual([false, false, false, true, false, false]);
  });
});

describe('rowArgmax, countCorrect, countCorrectSparse', () => {
  for (const [rows, cols] of SHAPES) {
    it(`${rows}x${cols} vs reference`, () => {
      // Few distinct values, so ties are common.
      const x = randomValues(rows * cols, 0, 4, rows + 7 * cols).map(Math.floor);
      expect(runArgmax(x, rows, cols)).toEqual(ref.rowArgmax(x, rows, cols));
    });
  }

  it('first maximum wins; the first NaN counts as the maximum; -Inf rows give 0; empty rows give -1', () => {
    const x = new Float32Array([1, 3, 3, 0, NaN, 2, NaN, 9, -Infinity, -Infinity, -Infinity, -Infinity, 5, 5, 5, Infinity]);
    expect(runArgmax(x, 4, 4)).toEqual([1, 0, 0, 3]);
    expect(ref.rowArgmax(x, 4, 4)).toEqual([1, 0, 0, 3]);
    expect(runArgmax(new Float32Array(0), 3, 0)).toEqual([-1, -1, -1]);
  });

  it('counts rows whose prediction argmax matches the label (one-hot and sparse)', () => {
    for (const [rows, cols] of [[1, 1], [7, 13], [64, 10], [1000, 3]] as const) {
      const pred = randomValues(rows * cols, 0, 1, rows * cols);
      const labelIdx = Int32Array.from(randomValues(rows, 0, cols, rows), Math.floor);
      const oneHot = new Float32Array(rows * cols);
      labelIdx.forEach((c, r) => (oneHot[r * cols + c] = 1));
      const predArgmax = ref.rowArgmax(pred, rows, cols);
      const want = predArgmax.filter((c, r) => c === labelIdx[r]).length;
      const p = sn.tensor(pred, [rows, cols]);
      const y = sn.tensor(oneHot, [rows, cols]);
      const idx = allocate(rows * 4);
      heapI32().set(labelIdx, idx >>> 2);
      expect(kernels.countCorrect(p.ptr, y.ptr, rows, cols)).toBe(want);
      expect(kernels.countCorrectSparse(p.ptr, idx, rows, cols)).toBe(want);
      p.dispose();
      y.dispose();
      release(idx);
    }
  });
  it('countCorrectBinary thresholds predictions (0.5 on probabilities, 0 on logits), NaN counts as below', () => {
    for (const n of [0, 1, 3, 4, 7, 64, 1001]) {
      const pred = randomValues(n, -1, 2, n + 5);
      if (n > 2) pred[2] = NaN;
      if (n > 1) pred[1] = 0.5; // exactly at the threshold: not above
      const target = randomValues(n, 0, 1, n + 9).map(Math.round);
      const p = sn.tensor(pred, [n]);
      const t = sn.tensor(target, [n]);
      for (const threshold of [0.5, 0]) {
        expect(kernels.countCorrectBinary(p.ptr, t.ptr, n, threshold)).toBe(ref.countCorrectBinary(pred, target, threshold));
      }
      p.dispose();
      t.dispose();
    }
  });
});

describe('firstNonFinite', () => {
  it('finds the first NaN or +-Inf at every position of awkward lengths, and -1 when all are finite', () => {
    for (const n of [0, 1, 3, 4, 5, 8, 13, 64, 1001]) {
      const x = randomValues(n, -1e30, 1e30, n + 17);
      const t = sn.tensor(x, [n]);
      expect(kernels.firstNonFinite(t.ptr, n)).toBe(-1);
      for (const bad of [NaN, Infinity, -Infinity]) {
        for (let at = 0; at < n; at += Math.max(1, Math.floor(n / 7))) {
          t.data.set(x);
          t.data[at] = bad;
          if (at + 2 < n) t.data[at + 2] = NaN; // a later one does not matter
          expect(kernels.firstNonFinite(t.ptr, n)).toBe(ref.firstNonFinite(t.data));
          expect(kernels.firstNonFinite(t.ptr, n)).toBe(at);
        }
      }
      t.dispose();
    }
  });

  it('treats the largest finite float32 and subnormals as finite', () => {
    const t = sn.tensor([3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -1e-45, 0, -0], [6]);
    expect(kernels.firstNonFinite(t.ptr, 6)).toBe(-1);
    t.dispose();
  });
});
