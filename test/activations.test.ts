// Elementwise activations and the SIMD exp: kernels vs float64 references (test/reference/activations.ts),
// special values, position independence, finite-difference proof of the backward formulas, the façade.
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';
import { kernels } from '../dist/backend/wasm.js';
import { KINDS, backward, forward } from './reference/activations.js';
import { randomValues } from './reference/random.js';

const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 13, 17, 31, 64, 100, 1000];
const ALPHA = 0.3;
/** Two subnormal ulps: results below 2^-126 cannot be compared relatively. */
const ATOL = 3e-45;
/**
 * Relative tolerance per kind: identity, relu and step are exact, leaky relu rounds alpha * x once; sigmoid
 * and tanh inherit exp's error plus a division (measured maxima over dense sweeps of 2^20 points:
 * sigmoid 1.8e-7 on [-20, 20], tanh 1.5e-7 on [-10, 10]).
 */
const FORWARD_RTOL: Record<number, number> = {
  [KINDS.linear]: 0, [KINDS.relu]: 0, [KINDS.leakyRelu]: 6e-8, [KINDS.step]: 0,
  [KINDS.sigmoid]: 3e-7, [KINDS.tanh]: 3e-7,
};


function runForward(kind: number, values: Float32Array, alpha = ALPHA): Float32Array {
  const x = sn.tensor(values, [values.length]);
  const y = sn.zeros([values.length]);
  kernels.actForward(kind, x.ptr, y.ptr, values.length, alpha);
  const out = y.data.slice();
  x.dispose();
  y.dispose();
  return out;
}

function runBackward(kind: number, y: Float32Array, dy: Float32Array, alpha = ALPHA): Float32Array {
  const yt = sn.tensor(y, [y.length]);
  const dyt = sn.tensor(dy, [dy.length]);
  const dxt = sn.zeros([y.length]);
  kernels.actBackward(kind, yt.ptr, dyt.ptr, dxt.ptr, y.length, alpha);
  const out = dxt.data.slice();
  [yt, dyt, dxt].forEach((t) => t.dispose());
  return out;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol = ATOL, label = ''): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i])) {
      if (!Number.isNaN(got[i])) throw new Error(`${label}[${i}]: expected NaN, got ${got[i]}`);
    } else if (!(Math.abs(got[i] - want[i]) <= rtol * Math.abs(want[i]) + atol) && got[i] !== want[i]) {
      throw new Error(`${label}[${i}]: got ${got[i]}, want ${want[i]} (rtol ${rtol}, atol ${atol})`);
    }
  }
}

const kindNames = Object.entries(KINDS) as [string, number][];

describe('actForward vs float64 reference', () => {
  for (const [name, kind] of kindNames) {
    it(`${name} on lengths ${LENGTHS.join(',')}`, () => {
      for (const n of LENGTHS) {
        const values = randomValues(n, -12, 12, 17 + n);
        const want = Array.from(values, (v) => forward(kind, v, Math.fround(ALPHA)));
        expectClose(runForward(kind, values), want, FORWARD_RTOL[kind], ATOL, `${name} n=${n}`);
      }
    });
  }

  it('tanh keeps full relative precision near 0 (the polynomial branch)', () => {
    const values = randomValues(1000, -0.7, 0.7, 5).map((v, i) => (i % 3 === 0 ? v * 1e-6 : v));
    expectClose(runForward(KINDS.tanh, values), Array.from(values, Math.tanh), 3e-7, 0, 'tanh small');
  });

  it('sigmoid saturates without overflow at +-88, +-100, +-1e4 and +-Inf', () => {
    const values = new Float32Array([88, -88, 100, -100, 1e4, -1e4, Infinity, -Infinity, 0, -0]);
    const got = runForward(KINDS.sigmoid, values);
    expectClose(got, Array.from(values, (v) => forward(KINDS.sigmoid, v, 0)), 3e-7, ATOL, 'sigmoid');
    expect(Array.from(got.slice(4, 8))).toEqual([1, 0, 1, 0]);
    expect(got[8]).toBe(0.5);
  });

  it('tanh reaches exactly +-1 at +-20, +-1e4 and +-Inf, and keeps the sign of -0', () => {
    const got = runForward(KINDS.tanh, new Float32Array([20, -20, 1e4, -1e4, Infinity, -Infinity, -0]));
    expect(Array.from(got.slice(0, 6))).toEqual([1, -1, 1, -1, 1, -1]);
    expect(Object.is(got[6], -0)).toBe(true);
  });

  it('NaN in gives NaN out at the same places, for every kind', () => {
    const values = randomValues(13, -3, 3, 9);
    for (const i of [0, 5, 12]) values[i] = NaN;
    for (const [name, kind] of kindNames) {
      const got = runForward(kind, values);
      for (let i = 0; i < 13; i++) expect(Number.isNaN(got[i]), `${name}[${i}]`).toBe(Number.isNaN(values[i]));
    }
  });

  it('results do not depend on the position modulo 4 (lanes and tail agree bit for bit)', () => {
    const values = randomValues(19, -30, 30, 3);
    for (const [name, kind] of kindNames) {
      const base = runForward(kind, values);
      for (let shift = 1; shift < 4; shift++) {
        const padded = new Float32Array(values.length + shift);
        padded.set(values, shift);
        const got = runForward(kind, padded).slice(shift);
        expect(Array.from(got), `${name} shift ${shift}`).toEqual(Array.from(base));
      }
    }
  });

  it('works in place (y == x)', () => {
    const values = randomValues(37, -5, 5, 11);
    for (const [name, kind] of kindNames) {
      const t = sn.tensor(values, [values.length]);
      kernels.actForward(kind, t.ptr, t.ptr, values.length, ALPHA);
      expect(Array.from(t.data), name).toEqual(Array.from(runForward(kind, values)));
      t.dispose();
    }
  });

  it('traps on an unknown kind', () => {
    const t = sn.zeros([4]);
    expect(() => kernels.actForward(99, t.ptr, t.ptr, 4, 0)).toThrow(WebAssembly.RuntimeError);
    t.dispose();
  });
});

describe('actBackward vs float64 reference', () => {
  for (const [name, kind] of kindNames) {
    it(`${name} on lengths ${LENGTHS.join(',')}, separate and in place`, () => {
      for (const n of LENGTHS) {
        const y = runForward(kind, randomValues(n, -6, 6, 100 + n));
        const dy = randomValues(n, -2, 2, 200 + n);
        const want = Array.from(y, (v, i) => backward(kind, v, dy[i], Math.fround(ALPHA)));
        // Products of two f32 values and 1 - y^2: a few ulps.
        expectClose(runBackward(kind, y, dy), want, 4e-7, ATOL, `${name} n=${n}`);
        const yt = sn.tensor(y, [n]);
        const dyt = sn.tensor(dy, [n]);
        kernels.actBackward(kind, yt.ptr, dyt.ptr, dyt.ptr, n, ALPHA);
        expect(Array.from(dyt.data)).toEqual(Array.from(runBackward(kind, y, dy)));
        yt.dispose();
        dyt.dispose();
      }
    });
  }

  it('NaN in y or dy gives NaN in dx (identity: only dy matters)', () => {
    const y = new Float32Array([NaN, 0.5, 0.25, 0.75, NaN]);
    const dy = new Float32Array([1, NaN, 1, 1, 1]);
    for (const [name, kind] of kindNames) {
      const got = runBackward(kind, y, dy);
      const nan = Array.from(got, Number.isNaN);
      expect(nan, name).toEqual(kind === KINDS.linear ? [false, true, false, false, false] : [true, true, false, false, true]);
    }
  });
});

describe('actBackwardColSums vs float64 reference and vs actBackward + colSums', () => {
  // Shapes off the 16-column strips and the 4-column vectors, one row, and a column count that mixes all three.
  const SHAPES = [[1, 1], [1, 16], [3, 5], [7, 3], [37, 4], [13, 17], [64, 32], [33, 64], [5, 37], [129, 50]];
  for (const [name, kind] of kindNames) {
    it(`${name}: dz and the column sums within the reference's tolerance, bit for bit the two separate kernels', chunked or not`, () => {
      for (const [rows, cols] of SHAPES) {
        const n = rows * cols;
        const y = runForward(kind, randomValues(n, -6, 6, 300 + n));
        const dy = randomValues(n, -2, 2, 400 + n);
        const wantDz = Array.from(y, (v, i) => backward(kind, v, dy[i], Math.fround(ALPHA)));
        const wantSums = Array.from({ length: cols }, (_, j) => {
          let s = 0;
          for (let r = 0; r < rows; r++) s += wantDz[r * cols + j];
          return s;
        });
        const yt = sn.tensor(y, [n]);
        const dyt = sn.tensor(dy, [n]);
        const dzt = sn.zeros([n]);
        const sums = sn.zeros([cols]);
        kernels.actBackwardColSums(kind, yt.ptr, dyt.ptr, dzt.ptr, rows, cols, cols, ALPHA, sums.ptr, 0);
        const label = `${name} ${rows}x${cols}`;
        expectClose(dzt.data, wantDz, 4e-7, ATOL, `${label} dz`);
        // rows + 1 roundings of partial sums bounded by the sum of |dz|.
        const abs = Array.from({ length: cols }, (_, j) => {
          let s = 0;
          for (let r = 0; r < rows; r++) s += Math.abs(wantDz[r * cols + j]);
          return s;
        });
        for (let j = 0; j < cols; j++) {
          expect(Math.abs(sums.data[j] - wantSums[j]), `${label} sum ${j}`).toBeLessThanOrEqual((rows + 1) * 6e-8 * abs[j] + 1e-30);
        }
        // The same bits as actBackward then colSums.
        const separate = sn.zeros([n]);
        const separateSums = sn.zeros([cols]);
        kernels.actBackward(kind, yt.ptr, dyt.ptr, separate.ptr, n, ALPHA);
        kernels.colSums(separate.ptr, rows, cols, separateSums.ptr, 0);
        expect(Array.from(dzt.data), label).toEqual(Array.from(separate.data));
        expect(Array.from(sums.data), label).toEqual(Array.from(separateSums.data));
        // Chunks of rows continuing the sums (accumulate = 1), in place: the bits of one call.
        const inPlace = sn.tensor(dy, [n]);
        const chunkSums = sn.tensor(new Float32Array(cols).fill(123), [cols]);
        for (let r0 = 0; r0 < rows; r0 += 5) {
          const chunk = Math.min(5, rows - r0);
          kernels.actBackwardColSums(kind, yt.ptr + r0 * cols * 4, inPlace.ptr + r0 * cols * 4, inPlace.ptr + r0 * cols * 4, chunk, cols, cols, ALPHA, chunkSums.ptr, r0 === 0 ? 0 : 1);
        }
        expect(Array.from(inPlace.data), `${label} chunked`).toEqual(Array.from(separate.data));
        expect(Array.from(chunkSums.data), `${label} chunked`).toEqual(Array.from(separateSums.data));
        // Column ranges (pointers a column on, rows `cols` floats apart), the last ones without sums (0): the same bits.
        const byColumns = sn.tensor(dy, [n]);
        const columnSums = sn.tensor(new Float32Array(cols).fill(7), [cols]);
        const lastRange = Math.floor((cols - 1) / 6) * 6;
        for (let c0 = 0; c0 < cols; c0 += 6) {
          const at = c0 * 4;
          kernels.actBackwardColSums(kind, yt.ptr + at, byColumns.ptr + at, byColumns.ptr + at, rows, Math.min(6, cols - c0), cols, ALPHA, c0 < lastRange ? columnSums.ptr + at : 0, 0);
        }
        expect(Array.from(byColumns.data), `${label} by columns`).toEqual(Array.from(separate.data));
        const wantColumnSums = Array.from(separateSums.data, (v, j) => (j < lastRange ? v : 7));
        expect(Array.from(columnSums.data), `${label} by columns`).toEqual(wantColumnSums);
        byColumns.dispose();
        columnSums.dispose();
        [yt, dyt, dzt, sums, separate, separateSums, inPlace, chunkSums].forEach((t) => t.dispose());
      }
    });
  }

  it('an unknown kind traps', () => {
    const t = sn.zeros([4]);
    expect(() => kernels.actBackwardColSums(99, t.ptr, t.ptr, t.ptr, 1, 4, 4, 0, t.ptr, 0)).toThrow(WebAssembly.RuntimeError);
    t.dispose();
  });
});

describe('backward formulas vs central finite differences of the forward', () => {
  // Points away from the kinks of relu/leaky/step; h = 1e-6 in float64 gives ~1e-9 truncation error.
  const points = [-3.1, -1.7, -0.4, -0.05, 0.05, 0.3, 1.2, 2.9];
  const h = 1e-6;
  for (const [name, kind] of kindNames) {
    it(name, () => {
      const x = new Float32Array(points);
      const y = runForward(kind, x);
      const dx = runBackward(kind, y, new Float32Array(points.length).fill(1));
      for (let i = 0; i < points.length; i++) {
        const alpha = Math.fround(ALPHA);
        const fd = (forward(kind, x[i] + h, alpha) - forward(kind, x[i] - h, alpha)) / (2 * h);
        // The reference formula (float64) matches the finite difference tightly...
        expect(Math.abs(backward(kind, forward(kind, x[i], alpha), 1, alpha) - fd)).toBeLessThan(1e-8);
        // ...and the kernel (f32 y, so f'(y) carries y's rounding) to 1e-6.
        expect(Math.abs(dx[i] - fd), `${name} at ${points[i]}`).toBeLessThan(1e-6);
      }
    });
  }
});

describe('SIMD exp (assembly/math.ts)', () => {
  function runExp(values: Float32Array): Float32Array {
    const x = sn.tensor(values, [values.length]);
    kernels.expElementwise(x.ptr, x.ptr, values.length);
    const out = x.data.slice();
    x.dispose();
    return out;
  }

  it('has a maximum relative error below 1e-7 over a dense sweep of [-87, 88]', () => {
    const n = 1 << 21;
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = -87 + (175 * i) / (n - 1);
    const got = runExp(values);
    let maxRel = 0;
    for (let i = 0; i < n; i++) {
      const want = Math.exp(values[i]);
      maxRel = Math.max(maxRel, Math.abs(got[i] - want) / want);
    }
    console.log(`exp4: max relative error over [-87, 88] (${n} points): ${maxRel.toExponential(3)}`);
    expect(maxRel).toBeLessThan(1e-7);
  });

  it('overflows to +Inf, underflows through subnormals to 0, propagates NaN', () => {
    const got = runExp(new Float32Array([88.72, 88.73, 1e4, Infinity, -103, -104, -1e4, -Infinity, NaN, 0]));
    const edge = Math.exp(Math.fround(88.72));
    expect(Math.abs(got[0] - edge) / edge).toBeLessThan(1e-7);
    expect(Array.from(got.slice(1, 4))).toEqual([Infinity, Infinity, Infinity]);
    expect(got[4]).toBe(Math.fround(Math.exp(-103)));
    expect(Array.from(got.slice(5, 8))).toEqual([0, 0, 0]);
    expect(Number.isNaN(got[8])).toBe(true);
    expect(got[9]).toBe(1);
  });

  it('gives the same bits in the scalar tail as in the lanes', () => {
    const values = randomValues(23, -80, 80, 21);
    const base = runExp(values);
    for (let shift = 1; shift < 4; shift++) {
      const padded = new Float32Array(values.length + shift);
      padded.set(values, shift);
      expect(Array.from(runExp(padded).slice(shift))).toEqual(Array.from(base));
    }
  });
});

describe('Tensor façade: sn.relu, sn.leakyRelu, sn.sigmoid, sn.tanh, sn.step', () => {
  const ops = { relu: sn.relu, sigmoid: sn.sigmoid, tanh: sn.tanh, step: sn.step, leakyRelu: sn.leakyRelu };

  it('returns a new tensor of the same shape, or writes into out (also in place)', () => {
    const x = sn.tensor([[-2, -0.5, 0], [0.5, 1, 3]]);
    for (const [name, op] of Object.entries(ops)) {
      const kind = KINDS[name as keyof typeof KINDS];
      const y = op(x);
      expect(y.shape).toEqual([2, 3]);
      expect(Array.from(y.data)).toEqual(Array.from(runForward(kind, x.data.slice())));
      const out = sn.zeros([2, 3]);
      expect(op(x, { out })).toBe(out);
      expect(Array.from(out.data)).toEqual(Array.from(y.data));
      y.dispose();
      out.dispose();
    }
    const copy = sn.tensor(x.data.slice(), [2, 3]);
    sn.relu(copy, { out: copy });
    expect(Array.from(copy.data)).toEqual([0, 0, 0, 0.5, 1, 3]);
    x.dispose();
    copy.dispose();
  });

  it('leakyRelu uses alpha (default 0.3) and rejects a negative or non-finite alpha', () => {
    const x = sn.tensor([-2, 4]);
    const a = sn.leakyRelu(x);
    expect(Array.from(a.data)).toEqual([Math.fround(-0.6), 4]);
    const b = sn.leakyRelu(x, { alpha: 0.5 });
    expect(Array.from(b.data)).toEqual([-1, 4]);
    expect(() => sn.leakyRelu(x, { alpha: -1 })).toThrow(RangeError);
    expect(() => sn.leakyRelu(x, { alpha: NaN })).toThrow(/alpha/);
    [x, a, b].forEach((t) => t.dispose());
  });

  it('rejects a mismatched out with a RangeError naming both shapes, before writing anything', () => {
    const x = sn.zeros([2, 3]);
    const out = sn.tensor([1, 2, 3, 4, 5, 6], [3, 2]);
    expect(() => sn.sigmoid(x, { out })).toThrow(RangeError);
    expect(() => sn.sigmoid(x, { out })).toThrow(/out \[3, 2\] does not match x \[2, 3\]/);
    expect(Array.from(out.data)).toEqual([1, 2, 3, 4, 5, 6]);
    x.dispose();
    out.dispose();
  });

  it('rejects disposed tensors and non-tensors', () => {
    const x = sn.zeros([3]);
    x.dispose();
    expect(() => sn.tanh(x)).toThrow(/disposed/);
    expect(() => sn.relu([1, 2] as unknown as sn.Tensor)).toThrow(TypeError);
    const y = sn.zeros([3]);
    const out = sn.zeros([3]);
    out.dispose();
    expect(() => sn.step(y, { out })).toThrow(/out.*disposed/);
    y.dispose();
  });
});
