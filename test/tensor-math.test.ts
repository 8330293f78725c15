// Tensor math (src/ops/binary.ts, unary.ts, reduce.ts, transpose.ts, one-hot.ts, activation-grads.ts) against
// the float64 references of test/reference/tensor-math.ts, on awkward shapes: 1x1, primes, sizes off the
// 4-lane tile, batch 1, empty, broadcast rows and scalars, and out aliasing an input.
// Tolerances: +, -, *, /, maximum, neg, square, scale and transpose are exact (IEEE float32 operations are
// correctly rounded, and rounding the float64 result to float32 gives the same value); exp 8.1e-8 and log
// 7.4e-8 relative (math.ts); sums and means one float32 rounding of the result plus dim * 2^-52 of the sum
// of magnitudes (float64 accumulation); dot n * 2^-52 of the sum of |a b|; activation derivatives 1e-6
// relative plus 3e-7 |dy| absolute (f' from a float32 output near 1 loses the rest).
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';
import * as ref from './reference/tensor-math.js';
import { randomValues } from './reference/random.js';

type T = InstanceType<typeof sn.Tensor>;
const SHAPES: number[][] = [[1, 1], [1, 7], [7, 13], [13, 7], [5, 3], [17, 33], [1, 784], [64, 10], [0, 5], [3, 0]];
const U32 = 2 ** -24;

function expectExact(got: ArrayLike<number>, want: number[], label: string): void {
  expect(got.length, label).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = Math.fround(want[i]);
    if (!Object.is(got[i], w) && !(Number.isNaN(got[i]) && Number.isNaN(w))) {
      throw new Error(`${label}: element ${i} is ${got[i]}, float64 reference rounded to float32 is ${w}`);
    }
  }
}

const ops: ref.BinaryName[] = ['add', 'sub', 'mul', 'div', 'maximum'];
const fns = { add: sn.add, sub: sn.sub, mul: sn.mul, div: sn.div, maximum: sn.maximum };

describe('binary ops with broadcasting vs float64', () => {
  for (const [rows, cols] of SHAPES) {
    it(`${rows}x${cols}: same shape, a row [n] and [1, n] either side, scalars (number and one-element tensor)`, () => {
      const before = sn.memory();
      const av = randomValues(rows * cols, -4, 4, rows * 31 + cols);
      const bv = randomValues(rows * cols, -4, 4, rows + cols * 17);
      const rv = randomValues(cols, -3, 3, cols + 5);
      if (av.length > 3) { av[0] = NaN; av[1] = 0; bv[1] = 0; bv[2] = Infinity; }
      const a = sn.tensor(av, [rows, cols]);
      const b = sn.tensor(bv, [rows, cols]);
      const row = sn.tensor(rv, [cols]);
      const row2 = sn.tensor(rv, [1, cols]);
      const one = sn.tensor([2.5], [1]);
      for (const op of ops) {
        const check = (t: T, want: number[], label: string) => {
          expect(t.shape).toEqual([rows, cols]);
          expectExact(t.data, want, `${op} ${label}`);
          t.dispose();
        };
        check(fns[op](a, b), ref.binary(op, av, false, bv, false, rows, cols), 'full');
        if (rows > 1) {
          check(fns[op](a, row), ref.binary(op, av, false, rv, true, rows, cols), 'a, row');
          check(fns[op](row2, a), ref.binary(op, rv, true, av, false, rows, cols), 'row [1, n], a');
        }
        check(fns[op](a, -1.5), ref.binary(op, av, false, -1.5, false, rows, cols), 'a, number');
        check(fns[op](0.75, b), ref.binary(op, 0.75, false, bv, false, rows, cols), 'number, b');
        if (rows * cols > 1) check(fns[op](one, b), ref.binary(op, 2.5, false, bv, false, rows, cols), 'one-element tensor, b');
      }
      for (const t of [a, b, row, row2, one]) t.dispose();
      expect(sn.memory()).toEqual(before);
    });
  }

  it('writes into out, also when out is an operand (in place)', () => {
    const av = randomValues(6 * 5, -2, 2, 3);
    const rv = randomValues(5, -2, 2, 4);
    const a = sn.tensor(av, [6, 5]);
    const row = sn.tensor(rv, [5]);
    const same = sn.sub(a, row, { out: a });
    expect(same).toBe(a);
    expectExact(a.data, ref.binary('sub', av, false, rv, true, 6, 5), 'a -= row');
    const b = sn.tensor(av, [6, 5]);
    sn.mul(b, b, { out: b });
    expectExact(b.data, ref.binary('mul', av, false, av, false, 6, 5), 'b *= b');
    const out = sn.zeros([6, 5]);
    expect(sn.add(2, b, { out })).toBe(out);
    for (const t of [a, row, b, out]) t.dispose();
  });

  it('names the shapes when they do not broadcast, and checks out and options', () => {
    const a = sn.zeros([2, 3]);
    const b = sn.zeros([4]);
    const c = sn.zeros([3, 3]);
    expect(() => sn.add(a, b)).toThrow(/add: shapes \[2, 3\] and \[4\] do not broadcast/);
    expect(() => sn.mul(a, c)).toThrow(/shapes \[2, 3\] and \[3, 3\]/);
    expect(() => sn.sub(a, 1, { out: c })).toThrow(/sub: out \[3, 3\] must be \[2, 3\]/);
    expect(() => sn.div(1, 2 as never)).toThrow(/at least one operand must be a Tensor/);
    expect(() => sn.add(a, 1, { into: a } as never)).toThrow(/add: unknown option 'into'/);
    b.dispose();
    expect(() => sn.maximum(a, b)).toThrow(/maximum: b \(Tensor \[4\]\) was disposed/);
    a.dispose();
    c.dispose();
  });
});

describe('unary ops vs float64', () => {
  for (const [rows, cols] of SHAPES) {
    it(`${rows}x${cols}: neg, square, scale exact; exp, log within their stated errors; in place`, () => {
      const xv = randomValues(rows * cols, -6, 6, rows * 7 + cols);
      const pv = randomValues(rows * cols, 1e-30, 50, rows + cols);
      const x = sn.tensor(xv, [rows, cols]);
      const p = sn.tensor(pv, [rows, cols]);
      const done: T[] = [];
      const keep = (t: T) => (done.push(t), t.data);
      expectExact(keep(sn.neg(x)), Array.from(xv, (v) => -v), 'neg');
      expectExact(keep(sn.square(x)), Array.from(xv, (v) => v * v), 'square');
      expectExact(keep(sn.scale(x, 0.1)), Array.from(xv, (v) => Math.fround(0.1) * v), 'scale');
      const e = keep(sn.exp(x));
      xv.forEach((v, i) => expect(Math.abs(e[i] - Math.exp(v))).toBeLessThanOrEqual(8.1e-8 * Math.exp(v)));
      const l = keep(sn.log(p));
      pv.forEach((v, i) => expect(Math.abs(l[i] - Math.log(v))).toBeLessThanOrEqual(7.4e-8 * Math.abs(Math.log(v)) + 1e-7 * U32));
      sn.neg(x, { out: x });
      expectExact(x.data, Array.from(xv, (v) => -v), 'neg in place');
      for (const t of [x, p, ...done]) t.dispose();
    });
  }

  it('log of 0, negatives and Infinity; exp overflow', () => {
    const x = sn.tensor([0, -1, Infinity, 1, 100]);
    expect(Array.from(sn.log(x).data)).toEqual([-Infinity, NaN, Infinity, 0, Math.fround(Math.log(100))].map((v, i) => (i === 4 ? expect.closeTo(v, 5) : v)));
    expect(sn.exp(x).data[4]).toBe(Infinity);
    expect(() => sn.scale(x, '2' as never)).toThrow(/scale: factor must be a number/);
  });
});

describe('sum, mean and argmax, over all elements or along an axis', () => {
  const SHAPES_3D: number[][] = [[1], [7], [0], [1, 1], [7, 13], [1, 784], [64, 10], [5, 0], [3, 5, 7], [2, 1, 9], [4, 6, 1]];
  for (const shape of SHAPES_3D) {
    it(`[${shape.join(', ')}]: every axis and none, keepDims, vs float64`, () => {
      const size = shape.reduce((p, d) => p * d, 1);
      const xv = randomValues(size, -10, 10, size + shape.length);
      const x = sn.tensor(xv, shape);
      const axes: (number | undefined)[] = [undefined, ...shape.map((_, i) => i), -1];
      for (const axis of axes) {
        const a = axis === undefined ? -1 : axis < 0 ? axis + shape.length : axis;
        const outer = axis === undefined ? 1 : shape.slice(0, a).reduce((p, d) => p * d, 1);
        const dim = axis === undefined ? size : shape[a];
        const inner = axis === undefined ? 1 : shape.slice(a + 1).reduce((p, d) => p * d, 1);
        const { sums, magnitudes } = ref.sumAxis(xv, outer, dim, inner);
        for (const keepDims of [false, true]) {
          const s = sn.sum(x, { axis, keepDims });
          const m = sn.mean(x, { axis, keepDims });
          const wantShape = axis === undefined ? (keepDims ? shape.map(() => 1) : []) : keepDims ? shape.map((d, i) => (i === a ? 1 : d)) : shape.filter((_, i) => i !== a);
          expect(s.shape).toEqual(wantShape);
          expect(m.shape).toEqual(wantShape);
          sums.forEach((want, i) => {
            expect(Math.abs(s.data[i] - want), `sum axis ${axis} [${i}]`).toBeLessThanOrEqual(U32 * Math.abs(want) + dim * 2 ** -52 * magnitudes[i]);
            if (dim === 0) expect(m.data[i]).toBeNaN();
            else expect(Math.abs(m.data[i] - want / dim), `mean axis ${axis} [${i}]`).toBeLessThanOrEqual(U32 * Math.abs(want / dim) + 2 ** -52 * magnitudes[i]);
          });
          s.dispose();
          m.dispose();
        }
        if (dim > 0) {
          const g = sn.argmax(x, { axis });
          expect(Array.from(g.data), `argmax axis ${axis}`).toEqual(ref.argmaxAxis(xv, outer, dim, inner));
          g.dispose();
        } else {
          expect(() => sn.argmax(x, { axis })).toThrow(/no elements along the reduced axis/);
        }
      }
      x.dispose();
    });
  }

  it('argmax: first maximum on ties, NaN counts as the maximum, in the SIMD lanes and the tail', () => {
    // [3, 6]: axis 0 runs 4 SIMD lanes and 2 tail columns.
    const x = sn.tensor([[1, 5, 2, NaN, 0, 1], [3, 5, NaN, 4, 0, 7], [3, 9, 8, 9, 0, 7]]);
    expect(Array.from(sn.argmax(x, { axis: 0 }).data)).toEqual([1, 2, 1, 0, 0, 1]);
    expect(Array.from(sn.argmax(x, { axis: 1 }).data)).toEqual([3, 2, 1]);
    expect(sn.argmax(x).data[0]).toBe(3);
    x.dispose();
  });

  it('writes into out, and names a bad axis or out', () => {
    const x = sn.tensor([[1, 2, 3], [4, 5, 6]]);
    const out = sn.zeros([3]);
    expect(sn.sum(x, { axis: 0, out })).toBe(out);
    expect(Array.from(out.data)).toEqual([5, 7, 9]);
    expect(Array.from(sn.mean(x, { axis: -1 }).data)).toEqual([2, 5]);
    expect(() => sn.sum(x, { axis: 2 })).toThrow(/sum: axis 2 is not an axis of a rank-2 tensor \(valid: -2 to 1\)/);
    expect(() => sn.mean(x, { axis: 0.5 })).toThrow(/axis 0.5/);
    expect(() => sn.sum(x, { axis: 1, out })).toThrow(/sum: out \[3\] must be \[2\]/);
    expect(() => sn.sum(x, { keepdims: true } as never)).toThrow(/unknown option 'keepdims'/);
    x.dispose();
    out.dispose();
  });
});

describe('dot and transpose', () => {
  for (const n of [0, 1, 3, 4, 7, 784, 1001]) {
    it(`dot of length ${n} vs float64`, () => {
      const av = randomValues(n, -3, 3, n);
      const bv = randomValues(n, -3, 3, n + 1);
      const a = sn.tensor(av, [n]);
      const b = sn.tensor(bv, [n]);
      const { value, magnitude } = ref.dot(av, bv);
      expect(Math.abs(sn.dot(a, b) - value)).toBeLessThanOrEqual(n * 2 ** -52 * magnitude);
      expect(sn.dot(a, a)).toBeGreaterThanOrEqual(0);
      a.dispose();
      b.dispose();
    });
  }

  it('dot rejects matrices and different lengths', () => {
    const a = sn.zeros([3]);
    const m = sn.zeros([3, 1]);
    const b = sn.zeros([4]);
    expect(() => sn.dot(a, b)).toThrow(/dot: a and b must be vectors of the same length, got \[3\] and \[4\]/);
    expect(() => sn.dot(a, m)).toThrow(/use matmul for matrices/);
    for (const t of [a, m, b]) t.dispose();
  });

  for (const [rows, cols] of [...SHAPES, [4, 4], [8, 12], [9, 5]]) {
    it(`transpose ${rows}x${cols} exactly, into out`, () => {
      const xv = randomValues(rows * cols, -1, 1, rows * 3 + cols);
      const x = sn.tensor(xv, [rows, cols]);
      const t = sn.transpose(x);
      expect(t.shape).toEqual([cols, rows]);
      expectExact(t.data, ref.transpose(xv, rows, cols), 'transpose');
      const back = sn.transpose(t, { out: sn.zeros([rows, cols]) });
      expectExact(back.data, Array.from(xv), 'transpose twice');
      if (rows * cols > 1) expect(() => sn.transpose(x, { out: x })).toThrow(rows === cols ? /different tensor/ : /must be/);
      for (const v of [x, t, back]) v.dispose();
    });
  }

  it('transpose copies a vector, refuses rank 3', () => {
    const v = sn.tensor([1, 2, 3]);
    expect(Array.from(sn.transpose(v).data)).toEqual([1, 2, 3]);
    const r3 = sn.zeros([2, 2, 2]);
    expect(() => sn.transpose(r3)).toThrow(/at most 2 axes, got \[2, 2, 2\]/);
    v.dispose();
    r3.dispose();
  });
});

describe('oneHot', () => {
  it('from a list (the old call) and from a tensor of indices of any shape', () => {
    const y = sn.oneHot([2, 0, 1], 3);
    expect(y.toArray()).toEqual([[0, 0, 1], [1, 0, 0], [0, 1, 0]]);
    const scores = sn.tensor([[0.1, 0.7, 0.2], [0.9, 0.05, 0.05]]);
    const hot = sn.oneHot(sn.argmax(scores, { axis: 1 }), 3);
    expect(hot.toArray()).toEqual([[0, 1, 0], [1, 0, 0]]);
    const grid = sn.tensor([[0, 1], [1, 0]]);
    const g = sn.oneHot(grid, 2, { out: sn.tensor(9, [2, 2, 2]) });
    expect(g.toArray()).toEqual([[[1, 0], [0, 1]], [[0, 1], [1, 0]]]);
    expect(() => sn.oneHot(sn.tensor([0, 3]), 3)).toThrow(/oneHot: label 3 at row 1 is not a class index in \[0, 3\)/);
    expect(() => sn.oneHot([0], 2, { out: sn.zeros([2, 2]) })).toThrow(/oneHot: out \[2, 2\] must be \[1, 2\]/);
    for (const t of [y, scores, hot, grid, g]) t.dispose();
  });
});

describe('activation derivatives vs float64', () => {
  const kinds = [
    { name: 'sigmoid', grad: sn.sigmoidGrad, forward: sn.sigmoid },
    { name: 'tanh', grad: sn.tanhGrad, forward: sn.tanh },
    { name: 'relu', grad: sn.reluGrad, forward: sn.relu },
    { name: 'leakyRelu', grad: sn.leakyReluGrad, forward: sn.leakyRelu },
  ] as const;
  for (const [rows, cols] of [[1, 1], [7, 13], [1, 784], [3, 0]]) {
    for (const k of kinds) {
      it(`${k.name}Grad ${rows}x${cols}: at x, from the output, times dy, in place in x and in dy`, () => {
        const before = sn.memory();
        const xv = randomValues(rows * cols, -12, 12, rows + cols * 3);
        if (xv.length > 2) xv[1] = 0;
        const dv = randomValues(rows * cols, -2, 2, rows * 5 + cols);
        const x = sn.tensor(xv, [rows, cols]);
        const dy = sn.tensor(dv, [rows, cols]);
        const y = k.forward(x);
        const alpha = 0.3;
        const near = (got: ArrayLike<number>, want: (i: number) => number, d: (i: number) => number, label: string) => {
          for (let i = 0; i < got.length; i++) {
            const w = want(i);
            expect(Math.abs(got[i] - w), `${label} [${i}] x=${xv[i]}`).toBeLessThanOrEqual(1e-6 * Math.abs(w) + 3e-7 * Math.abs(d(i)));
          }
        };
        const slope = (i: number) => ref.activationSlope(k.name, xv[i], false, alpha);
        const g1 = k.grad(x);
        near(g1.data, slope, () => 1, 'f\'(x)');
        const g2 = k.grad(x, { dy });
        near(g2.data, (i) => dv[i] * slope(i), (i) => dv[i], 'dy f\'(x)');
        const yv = Float32Array.from(y.data);
        const g3 = k.grad(y, { dy, fromOutput: true });
        near(g3.data, (i) => dv[i] * ref.activationSlope(k.name, yv[i], true, alpha), (i) => dv[i], 'from output');
        // In place: out = x (no dy), out = dy.
        const xCopy = sn.tensor(xv, [rows, cols]);
        k.grad(xCopy, { out: xCopy });
        near(xCopy.data, slope, () => 1, 'out = x');
        const dyCopy = sn.tensor(dv, [rows, cols]);
        k.grad(x, { dy: dyCopy, out: dyCopy });
        near(dyCopy.data, (i) => dv[i] * slope(i), (i) => dv[i], 'out = dy');
        for (const t of [x, dy, y, g1, g2, g3, xCopy, dyCopy]) t.dispose();
        expect(sn.memory()).toEqual(before);
      });
    }
  }

  it('checks dy, out, alpha and options', () => {
    const x = sn.zeros([2, 3]);
    const bad = sn.zeros([3, 2]);
    expect(() => sn.sigmoidGrad(x, { dy: bad })).toThrow(/sigmoidGrad: dy \[3, 2\] must be \[2, 3\]/);
    expect(() => sn.tanhGrad(x, { out: bad })).toThrow(/tanhGrad: out \[3, 2\] must be \[2, 3\]/);
    expect(() => sn.leakyReluGrad(x, { alpha: -1 })).toThrow(/leakyReluGrad: alpha must be a finite number >= 0/);
    expect(() => sn.reluGrad(x, { alpha: 0.1 } as never)).toThrow(/reluGrad: unknown option 'alpha'/);
    expect(Array.from(sn.leakyReluGrad(sn.tensor([-1, 2]), { alpha: 0.1 }).data)).toEqual([Math.fround(0.1), 1]);
    x.dispose();
    bad.dispose();
  });
});
