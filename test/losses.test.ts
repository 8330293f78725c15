// Loss kernels vs float64 references (test/reference/losses.ts): sums, gradients, optional outputs, huge
// logits, NaN, clipping, finite-difference proof of each gradient formula, and the accuracy of log4.
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';
import { kernels } from '../dist/backend/wasm.js';
import { allocate, heapI32, release } from '../dist/backend/allocator.js';
import { checkIndices } from '../dist/ops/gather.js';
import * as ref from './reference/losses.js';
import { randomValues } from './reference/random.js';

const SHAPES: [number, number][] = [[1, 1], [1, 2], [2, 3], [3, 4], [4, 5], [7, 13], [5, 17], [64, 10], [3, 1000], [1000, 3]];
const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 13, 17, 31, 64, 100, 1000];
const EPS = Math.fround(1e-7);
/**
 * Tolerances. Loss sums: relative 2e-6 (each f32 term is within a few ulps; the sum runs in f64).
 * Gradients: relative 1e-6 plus an absolute 4e-7 * |gradScale| for entries near 0 (p - y with p ~ y
 * cancels: p itself is only known to a few f32 ulps of 1).
 */
const LOSS_RTOL = 2e-6;
const GRAD_RTOL = 1e-6;


function oneHot(rows: number, cols: number, seed: number): { dense: Float32Array; idx: Int32Array } {
  const dense = new Float32Array(rows * cols);
  const idx = new Int32Array(rows);
  const u = randomValues(rows, 0, 1, seed);
  for (let r = 0; r < rows; r++) {
    idx[r] = Math.min(cols - 1, Math.floor(u[r] * cols));
    dense[r * cols + idx[r]] = 1;
  }
  return { dense, idx };
}

function i32Buffer(values: Int32Array): number {
  const ptr = allocate(Math.max(1, values.length) * 4);
  heapI32().set(values, ptr >>> 2);
  return ptr;
}

function expectLoss(got: number, want: number, rtol = LOSS_RTOL): void {
  if (Number.isNaN(want)) return void expect(got).toBeNaN();
  expect(Math.abs(got - want), `loss ${got} vs ${want}`).toBeLessThanOrEqual(rtol * Math.abs(want) + 1e-30);
}

function expectGrad(got: ArrayLike<number>, want: ArrayLike<number>, scale: number, rtol = GRAD_RTOL): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const tol = rtol * Math.abs(want[i]) + 4e-7 * Math.abs(scale);
    if (!(Math.abs(got[i] - want[i]) <= tol)) throw new Error(`grad[${i}]: got ${got[i]}, want ${want[i]} (tol ${tol})`);
  }
}

type Elementwise = 'squaredError' | 'absoluteError' | 'huberLoss' | 'hingeLoss' | 'binaryCrossEntropyLogits' | 'binaryCrossEntropy';
/** huberLoss's delta in these tests (off 1, so the two branches meet at an awkward point). */
const DELTA = 0.7;

/** Runs an elementwise loss kernel; returns the loss and the gradient (or null when grad is skipped). */
function runElementwise(kernel: Elementwise, a: Float32Array, t: Float32Array, gradScale: number, withGrad = true) {
  const at = sn.tensor(a, [a.length]);
  const tt = sn.tensor(t, [t.length]);
  const g = sn.tensor(new Float32Array(a.length).fill(42), [a.length]);
  const gp = withGrad ? g.ptr : 0;
  const loss = kernel === 'binaryCrossEntropy'
    ? kernels.binaryCrossEntropy(at.ptr, tt.ptr, a.length, gp, gradScale, EPS)
    : kernel === 'huberLoss' ? kernels.huberLoss(at.ptr, tt.ptr, a.length, gp, gradScale, DELTA)
      : kernels[kernel](at.ptr, tt.ptr, a.length, gp, gradScale);
  const grad = g.data.slice();
  [at, tt, g].forEach((x) => x.dispose());
  return { loss, grad };
}

function runSoftmaxCE(logits: Float32Array, labels: Float32Array, rows: number, cols: number, gradScale: number, probsOn = true, gradOn = true) {
  const x = sn.tensor(logits, [rows, cols]);
  const y = sn.tensor(labels, [rows, cols]);
  const p = sn.tensor(new Float32Array(rows * cols).fill(42), [rows, cols]);
  const g = sn.tensor(new Float32Array(rows * cols).fill(42), [rows, cols]);
  const loss = kernels.softmaxCrossEntropy(x.ptr, y.ptr, rows, cols, probsOn ? p.ptr : 0, gradOn ? g.ptr : 0, gradScale);
  const out = { loss, probs: p.data.slice(), grad: g.data.slice() };
  [x, y, p, g].forEach((t) => t.dispose());
  return out;
}

function runSparseCE(logits: Float32Array, idx: Int32Array, rows: number, cols: number, gradScale: number, probsOn = true, gradOn = true) {
  const x = sn.tensor(logits, [rows, cols]);
  const labels = i32Buffer(idx);
  const p = sn.tensor(new Float32Array(rows * cols).fill(42), [rows, cols]);
  const g = sn.tensor(new Float32Array(rows * cols).fill(42), [rows, cols]);
  const loss = kernels.sparseSoftmaxCrossEntropy(x.ptr, labels, rows, cols, probsOn ? p.ptr : 0, gradOn ? g.ptr : 0, gradScale);
  const out = { loss, probs: p.data.slice(), grad: g.data.slice() };
  [x, p, g].forEach((t) => t.dispose());
  release(labels);
  return out;
}

function runCrossEntropy(probs: Float32Array, labels: Float32Array, rows: number, cols: number, gradScale: number, eps = EPS) {
  const p = sn.tensor(probs, [rows, cols]);
  const y = sn.tensor(labels, [rows, cols]);
  const g = sn.zeros([rows, cols]);
  const loss = kernels.crossEntropy(p.ptr, y.ptr, rows, cols, g.ptr, gradScale, eps);
  const grad = g.data.slice();
  [p, y, g].forEach((t) => t.dispose());
  return { loss, grad };
}

/** A row-stochastic matrix (softmax of random logits), as a classifier would output. */
function probabilities(rows: number, cols: number, seed: number): Float32Array {
  const x = sn.tensor(randomValues(rows * cols, -4, 4, seed), [rows, cols]);
  const p = sn.softmax(x);
  const out = p.data.slice();
  x.dispose();
  p.dispose();
  return out;
}

describe('softmaxCrossEntropy and sparseSoftmaxCrossEntropy', () => {
  for (const [rows, cols] of SHAPES) {
    it(`${rows}x${cols} vs reference (one-hot and soft labels), sparse == dense`, () => {
      const logits = randomValues(rows * cols, -6, 6, rows * 31 + cols);
      const { dense, idx } = oneHot(rows, cols, rows + cols);
      const scale = 1 / rows;
      const got = runSoftmaxCE(logits, dense, rows, cols, scale);
      const want = ref.softmaxCrossEntropy(logits, dense, rows, cols, scale);
      expectLoss(got.loss, want.loss);
      expectGrad(got.grad, want.grad, scale);
      expectGrad(got.probs, want.probs!, 1);
      const soft = probabilities(rows, cols, 77 + rows);
      const gotSoft = runSoftmaxCE(logits, soft, rows, cols, scale);
      const wantSoft = ref.softmaxCrossEntropy(logits, soft, rows, cols, scale);
      expectLoss(gotSoft.loss, wantSoft.loss);
      expectGrad(gotSoft.grad, wantSoft.grad, scale);
      const sparse = runSparseCE(logits, idx, rows, cols, scale);
      expectLoss(sparse.loss, ref.sparseSoftmaxCrossEntropy(logits, idx, rows, cols, scale).loss);
      // Same probabilities and gradients, bit for bit (p - 0 == p; p - 1 computed from the same p).
      expect(Array.from(sparse.grad)).toEqual(Array.from(got.grad));
      expect(Array.from(sparse.probs)).toEqual(Array.from(got.probs));
    });
  }

  it('stays finite for logits of +-1e4 (the loss uses log-softmax, not log p)', () => {
    const logits = new Float32Array([1e4, -1e4, 0, -1e4, 1e4, 5]);
    const labels = new Float32Array([0, 1, 0, 0, 1, 0]);
    const got = runSoftmaxCE(logits, labels, 2, 3, 0.5);
    expect(got.loss).toBe(2e4);
    expect(Array.from(got.grad)).toEqual([0.5, -0.5, 0, 0, 0, 0]);
    const sparse = runSparseCE(logits, new Int32Array([1, 1]), 2, 3, 0.5);
    expect(sparse.loss).toBe(2e4);
    expect(Array.from(sparse.grad)).toEqual([0.5, -0.5, 0, 0, 0, 0]);
  });

  it('skips probs and/or grad when their pointer is 0 (same loss, buffers untouched)', () => {
    const logits = randomValues(12, -3, 3, 5);
    const { dense, idx } = oneHot(3, 4, 9);
    const full = runSoftmaxCE(logits, dense, 3, 4, 1);
    for (const [probsOn, gradOn] of [[false, true], [true, false], [false, false]]) {
      const got = runSoftmaxCE(logits, dense, 3, 4, 1, probsOn, gradOn);
      expect(got.loss).toBe(full.loss);
      expect(Array.from(probsOn ? got.probs : got.probs.map(() => 42))).toEqual(Array.from(probsOn ? full.probs : got.probs));
      expect(Array.from(gradOn ? got.grad : got.grad.map(() => 42))).toEqual(Array.from(gradOn ? full.grad : got.grad));
      const sparse = runSparseCE(logits, idx, 3, 4, 1, probsOn, gradOn);
      expect(sparse.loss).toBe(runSparseCE(logits, idx, 3, 4, 1).loss);
      if (!gradOn) expect(Array.from(sparse.grad).every((v) => v === 42)).toBe(true);
      if (!probsOn) expect(Array.from(sparse.probs).every((v) => v === 42)).toBe(true);
    }
  });

  it('a NaN logit makes the loss NaN; a sparse label out of range gives NaN and is caught by checkIndices', () => {
    const logits = randomValues(6, -1, 1, 3);
    logits[4] = NaN;
    expect(runSoftmaxCE(logits, new Float32Array([1, 0, 0, 0, 1, 0]), 2, 3, 1).loss).toBeNaN();
    const clean = randomValues(6, -1, 1, 3);
    expect(runSparseCE(clean, new Int32Array([0, 3]), 2, 3, 1).loss).toBeNaN();
    expect(() => checkIndices('labels', new Int32Array([0, 3]), 3)).toThrow(RangeError);
    expect(() => checkIndices('labels', [0, 1.5], 3)).toThrow(/labels\[1\] = 1.5/);
    expect(() => checkIndices('labels', [2, 0, 1], 3)).not.toThrow();
  });
});

describe('crossEntropy on probabilities', () => {
  for (const [rows, cols] of SHAPES) {
    it(`${rows}x${cols} vs reference`, () => {
      const probs = probabilities(rows, cols, rows * 7 + cols);
      const labels = probabilities(rows, cols, rows * 11 + cols);
      const got = runCrossEntropy(probs, labels, rows, cols, 1 / rows);
      const want = ref.crossEntropy(probs, labels, 1 / rows, EPS);
      expectLoss(got.loss, want.loss);
      expectGrad(got.grad, want.grad, 1 / rows);
    });
  }

  it('clips p = 0 and p = 1 to [eps, 1 - eps]: the loss stays finite', () => {
    const got = runCrossEntropy(new Float32Array([0, 1, 1, 0]), new Float32Array([1, 0, 1, 0]), 2, 2, 1);
    const want = ref.crossEntropy([0, 1, 1, 0], [1, 0, 1, 0], 1, EPS);
    expect(Number.isFinite(got.loss)).toBe(true);
    expectLoss(got.loss, want.loss);
    expectGrad(got.grad, want.grad, 1);
  });
});

describe('squaredError, absoluteError, huberLoss, hingeLoss, binaryCrossEntropyLogits, binaryCrossEntropy', () => {
  const cases: { kernel: Elementwise; inputs: (n: number, seed: number) => [Float32Array, Float32Array]; reference: (a: Float32Array, t: Float32Array, s: number) => ref.LossResult }[] = [
    { kernel: 'squaredError', inputs: (n, s) => [randomValues(n, -3, 3, s), randomValues(n, -3, 3, s + 1)], reference: (a, t, s) => ref.squaredError(a, t, s) },
    { kernel: 'absoluteError', inputs: (n, s) => [randomValues(n, -3, 3, s), randomValues(n, -3, 3, s + 1)], reference: (a, t, s) => ref.absoluteError(a, t, s) },
    { kernel: 'huberLoss', inputs: (n, s) => [randomValues(n, -3, 3, s), randomValues(n, -3, 3, s + 1)], reference: (a, t, s) => ref.huberLoss(a, t, s, DELTA) },
    { kernel: 'hingeLoss', inputs: (n, s) => [randomValues(n, -3, 3, s), randomValues(n, -1, 1, s + 1).map((v) => (v > 0 ? 1 : -1))], reference: (a, t, s) => ref.hingeLoss(a, t, s) },
    { kernel: 'binaryCrossEntropyLogits', inputs: (n, s) => [randomValues(n, -20, 20, s), randomValues(n, 0, 1, s + 1)], reference: (a, t, s) => ref.binaryCrossEntropyLogits(a, t, s) },
    { kernel: 'binaryCrossEntropy', inputs: (n, s) => [randomValues(n, 0, 1, s), randomValues(n, 0, 1, s + 1)], reference: (a, t, s) => ref.binaryCrossEntropy(a, t, s, EPS) },
  ];
  for (const { kernel, inputs, reference } of cases) {
    it(`${kernel} on lengths ${LENGTHS.join(',')}, with and without grad`, () => {
      for (const n of LENGTHS) {
        const [a, t] = inputs(n, 1000 + n);
        const scale = 1 / Math.max(1, n);
        const got = runElementwise(kernel, a, t, scale);
        const want = reference(a, t, scale);
        expectLoss(got.loss, want.loss);
        // BCE's gradient divides by pc (1 - pc), which amplifies the f32 rounding of 1 - pc near pc = 1.
        expectGrad(got.grad, want.grad, scale, kernel === 'binaryCrossEntropy' ? 4e-6 : GRAD_RTOL);
        const skipped = runElementwise(kernel, a, t, scale, false);
        expect(skipped.loss).toBe(got.loss);
        expect(Array.from(skipped.grad).every((v) => v === 42)).toBe(true);
      }
    });

    it(`${kernel}: each element's term and gradient do not depend on its position modulo 4`, () => {
      const [a, t] = inputs(11, 5);
      const base = Array.from({ length: 11 }, (_, i) => runElementwise(kernel, a.subarray(i, i + 1), t.subarray(i, i + 1), 1));
      for (let shift = 0; shift < 4; shift++) {
        const pa = new Float32Array(11 + shift);
        const pt = new Float32Array(11 + shift);
        pa.set(a, shift);
        pt.set(t, shift);
        // Gradients compared bit for bit with one-element calls (which run the scalar tail).
        const all = runElementwise(kernel, pa, pt, 1);
        for (let i = 0; i < 11; i++) expect(all.grad[shift + i]).toBe(base[i].grad[0]);
      }
    });
  }

  it('binaryCrossEntropyLogits stays finite at +-1e4 and +-100, with exact saturated gradients', () => {
    const x = new Float32Array([1e4, -1e4, 100, -100, 1e4, -1e4]);
    const t = new Float32Array([1, 0, 1, 0, 0, 1]);
    const got = runElementwise('binaryCrossEntropyLogits', x, t, 1);
    expectLoss(got.loss, ref.binaryCrossEntropyLogits(x, t, 1).loss);
    expect(got.loss).toBeCloseTo(2e4, 6);
    expect(Array.from(got.grad.subarray(0, 3))).toEqual([0, 0, 0]);
    // sigmoid(-100) = 3.7e-44 is a subnormal: still exact to the nearest representable value.
    expect(got.grad[3]).toBe(Math.fround(Math.exp(-100) / (1 + Math.exp(-100))));
    expect(Array.from(got.grad.subarray(4))).toEqual([1, -1]);
  });

  it('binaryCrossEntropy clips p = 0 and 1; squaredError is the plain sum (the losses fold in 1/2 or 2)', () => {
    const bce = runElementwise('binaryCrossEntropy', new Float32Array([0, 1, 0.5]), new Float32Array([1, 0, 1]), 1);
    expect(Number.isFinite(bce.loss)).toBe(true);
    expectLoss(bce.loss, ref.binaryCrossEntropy([0, 1, 0.5], [1, 0, 1], 1, EPS).loss);
    const mse = runElementwise('squaredError', new Float32Array([3, 1]), new Float32Array([1, 1]), 1);
    expect(mse.loss).toBe(4);
    expect(Array.from(mse.grad)).toEqual([2, 0]);
  });

  it('NaN in gives a NaN loss and a NaN gradient at the same place', () => {
    for (const { kernel, inputs } of cases) {
      const [a, t] = inputs(9, 3);
      a[6] = NaN;
      const got = runElementwise(kernel, a, t, 1);
      expect(got.loss, kernel).toBeNaN();
      expect(Array.from(got.grad, Number.isNaN)).toEqual(Array.from(a, Number.isNaN));
    }
  });
});

describe('gradients vs central finite differences of the float64 losses', () => {
  // Each loss (a sum) is differentiated numerically in float64 with h = 1e-6; the reference gradient must
  // match to 1e-7 and the kernel's f32 gradient to 1e-5 relative (+1e-6).
  const h = 1e-6;
  function finiteDifferences(loss: (a: number[]) => number, a: ArrayLike<number>): number[] {
    return Array.from(a, (_, i) => {
      const plus = Array.from(a);
      const minus = Array.from(a);
      plus[i] += h;
      minus[i] -= h;
      return (loss(plus) - loss(minus)) / (2 * h);
    });
  }
  function check(kernelGrad: ArrayLike<number>, refGrad: number[], fd: number[]): void {
    for (let i = 0; i < fd.length; i++) {
      expect(Math.abs(refGrad[i] - fd[i])).toBeLessThan(1e-7 * (1 + Math.abs(fd[i])));
      expect(Math.abs(kernelGrad[i] - fd[i])).toBeLessThan(1e-5 * Math.abs(fd[i]) + 1e-6);
    }
  }

  it('softmaxCrossEntropy (dense and sparse)', () => {
    const logits = randomValues(3 * 5, -3, 3, 12);
    const labels = probabilities(3, 5, 4);
    const fd = finiteDifferences((a) => ref.softmaxCrossEntropy(a, labels, 3, 5, 1).loss, logits);
    check(runSoftmaxCE(logits, labels, 3, 5, 1).grad, ref.softmaxCrossEntropy(logits, labels, 3, 5, 1).grad, fd);
    const idx = new Int32Array([4, 0, 2]);
    const fdSparse = finiteDifferences((a) => ref.sparseSoftmaxCrossEntropy(a, idx, 3, 5, 1).loss, logits);
    check(runSparseCE(logits, idx, 3, 5, 1).grad, ref.sparseSoftmaxCrossEntropy(logits, idx, 3, 5, 1).grad, fdSparse);
  });

  it('crossEntropy', () => {
    const probs = randomValues(8, 0.05, 0.95, 2);
    const labels = randomValues(8, 0, 1, 3);
    const fd = finiteDifferences((a) => ref.crossEntropy(a, labels, 1, EPS).loss, probs);
    check(runCrossEntropy(probs, labels, 2, 4, 1).grad, ref.crossEntropy(probs, labels, 1, EPS).grad, fd);
  });

  const elementwise = [['squaredError', -3, 3], ['absoluteError', -3, 3], ['huberLoss', -3, 3], ['hingeLoss', -3, 3], ['binaryCrossEntropyLogits', -8, 8], ['binaryCrossEntropy', 0.05, 0.95]] as const;
  for (const [kernel, lo, hi] of elementwise) {
    it(kernel, () => {
      const a = randomValues(9, lo, hi, 8);
      const t = kernel === 'hingeLoss' ? randomValues(9, -1, 1, 9).map((v) => (v > 0 ? 1 : -1)) : randomValues(9, 0, 1, 9);
      const lossOf = (x: ArrayLike<number>): ref.LossResult =>
        kernel === 'squaredError' ? ref.squaredError(x, t, 1)
          : kernel === 'absoluteError' ? ref.absoluteError(x, t, 1)
            : kernel === 'huberLoss' ? ref.huberLoss(x, t, 1, DELTA)
              : kernel === 'hingeLoss' ? ref.hingeLoss(x, t, 1)
                : kernel === 'binaryCrossEntropyLogits' ? ref.binaryCrossEntropyLogits(x, t, 1)
                  : ref.binaryCrossEntropy(x, t, 1, EPS);
      // squaredError's gradient is d times the scale it is given: the loss code passes 2 x its scale.
      const g = kernel === 'squaredError' ? 2 : 1;
      check(runElementwise(kernel, a, t, g).grad, lossOf(a).grad.map((v) => v * g), finiteDifferences((x) => lossOf(x).loss, a));
    });
  }
});

describe('SIMD log (assembly/math.ts log4), measured through crossEntropy with one element', () => {
  it('has a maximum relative error below 2e-7 for p in [1e-40, 0.999], subnormals included', () => {
    const p = sn.zeros([1]);
    const y = sn.tensor([1], [1]);
    let maxRel = 0;
    const points = 1 << 15;
    for (let i = 0; i < points; i++) {
      // Log-uniform over [1e-37, 0.999], plus subnormals in the first points.
      const v = i < 16 ? Math.fround(1e-40 * (i + 1)) : Math.fround(10 ** (-37 + (37 - 4.34e-4) * (i / (points - 1))));
      p.data[0] = v;
      const minusLog = kernels.crossEntropy(p.ptr, y.ptr, 1, 1, 0, 1, 1e-45);
      const want = -Math.log(v);
      maxRel = Math.max(maxRel, Math.abs(minusLog - want) / Math.abs(want));
    }
    console.log(`log4: max relative error over [1e-40, 0.999] (${points} points): ${maxRel.toExponential(3)}`);
    expect(maxRel).toBeLessThan(2e-7);
    p.dispose();
    y.dispose();
  });
});
