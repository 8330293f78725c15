// Hardening, kernels: fast-check properties on random shapes and hostile values against the float64
// references of test/reference/ (GEMM in every transpose combination with alpha/beta and each fused
// epilogue; every elementwise kernel, softmax, loss and optimizer step; reductions and gather), random
// allocate/dispose/grow sequences of the allocator, and tensor() on malformed data. Bounded by numRuns and
// sizes (the whole hardening set stays well under the ~3 minutes allowed).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as sn from '../dist/index.js';
import { kernels } from '../dist/backend/wasm.js';
import { allocate, heapF32, heapI32, release } from '../dist/backend/allocator.js';
import { gemm } from '../dist/ops/matmul.js';
import type { ActivationCode } from '../dist/ops/activation-kinds.js';
import { KINDS, backward, forward } from './reference/activations.js';
import { gemmReference } from './reference/gemm.js';
import { logSoftmaxRow, softmaxRow } from './reference/softmax.js';
import * as lossRef from './reference/losses.js';
import * as optimRef from './reference/optim.js';
import * as reduceRef from './reference/reduce.js';
import { gatherRows } from './reference/gather.js';
import { recorder } from './hardening/record.js';
import { compare, fillUnitInterval, fillValues, profileArb, type Profile, SEED } from './hardening/values.js';

const record = recorder('hardening-kernels');
const PROPERTY = 'Property tests';
const U = 2 ** -24;
const MIN_SUBNORMAL = 2 ** -149;

/** Copies values into a fresh block of the wasm memory (freed by the caller). */
function put(values: ArrayLike<number>): number {
  const ptr = allocate(values.length * 4);
  heapF32().set(values, ptr >>> 2);
  return ptr;
}
const read = (ptr: number, n: number): Float32Array => heapF32().slice(ptr >>> 2, (ptr >>> 2) + n);

function withBlocks<T>(body: (keep: (ptr: number) => number) => T): T {
  const blocks: number[] = [];
  try {
    return body((ptr) => (blocks.push(ptr), ptr));
  } finally {
    for (const b of blocks) release(b);
  }
}

describe('GEMM on random shapes 0-300, every transpose, alpha/beta, bias and activation', () => {
  /**
   * Tolerance before the activation: Higham, "Accuracy and Stability of Numerical Algorithms" (2002),
   * eq. (3.5): a k-term float32 dot product is within gamma_k sum |a b|, gamma_n = n u / (1 - n u); the
   * epilogue adds 4 roundings, and each of the k + 4 operations may lose up to one subnormal ulp to
   * underflow. After it: the activation's Lipschitz constant times that, plus its own rounding (3e-7
   * relative for sigmoid and tanh, as test/activations.test.ts). Step: exact unless the pre-activation
   * is within the bound of its jump at 0.
   */
  function tolerance(act: number, actParam: number, k: number, magnitude: number, ref: number): number {
    const n = k + 4;
    const pre = ((n * U) / (1 - n * U)) * magnitude + n * MIN_SUBNORMAL;
    if (act === KINDS.leakyRelu) return Math.max(1, actParam) * pre + U * Math.abs(ref);
    if (act === KINDS.sigmoid) return 0.25 * pre + 3e-7 * Math.abs(ref) + 1e-45;
    if (act === KINDS.tanh) return pre + 3e-7 * Math.abs(ref) + 1e-45;
    return pre;
  }

  // Mostly small sides (fast, and where tails and edges are), some medium, few up to 300: the float64
  // reference is O(mnk) in JavaScript.
  const side = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 24 }) }, { weight: 3, arbitrary: fc.integer({ min: 25, max: 90 }) }, { weight: 1, arbitrary: fc.integer({ min: 91, max: 300 }) });
  const gemmCase = fc.record({
    m: side, n: side, k: side,
    transA: fc.boolean(), transB: fc.boolean(),
    alpha: fc.oneof(fc.constant(1), fc.constant(-1), fc.double({ min: -4, max: 4, noNaN: true })),
    beta: fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: -2, max: 2, noNaN: true })),
    bias: fc.boolean(),
    act: fc.constantFrom(0, 1, 2, 3, 4, 5),
    actParam: fc.double({ min: 0, max: 3, noNaN: true }),
    pad: fc.constantFrom(0, 0, 1, 3),
    profile: fc.constantFrom<Profile>('unit', 'subnormal', 'special'),
    seed: fc.integer(),
  });

  it('equals the float64 reference within the Higham bound; NaN/Inf where the reference has them', () => {
    record.check('gemm', PROPERTY, 'random GEMM: shapes 0-300, 4 transpose combinations, alpha/beta, bias, 6 activations, subnormals/NaN/Inf', fc.property(gemmCase, (g) => {
      const { m, n, k, transA, transB, act, pad } = g;
      const alpha = Math.fround(g.alpha);
      const beta = Math.fround(g.beta);
      const actParam = Math.fround(g.actParam);
      const lda = (transA ? m : k) + pad;
      const ldb = (transB ? k : n) + pad;
      const ldc = n + pad;
      // 'special' puts a few NaN/Inf into A only (1 in 500), so most rows stay comparable.
      const a = fillValues((transA ? k : m) * lda, g.seed, g.profile === 'special' ? 'special' : g.profile, 0.002);
      const b = fillValues((transB ? n : k) * ldb, g.seed + 1, g.profile === 'special' ? 'unit' : g.profile);
      // beta == 0 must never read C: give it NaN then.
      const c = beta === 0 ? new Float32Array(m * ldc).fill(NaN) : fillValues(m * ldc, g.seed + 2, 'unit');
      const bias = g.bias ? fillValues(n, g.seed + 3, 'unit') : null;
      const ref = gemmReference({ transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, actParam });
      const got = withBlocks((keep) => {
        const cp = keep(put(c));
        gemm({
          transA, transB, m, n, k, alpha, beta, lda, ldb, ldc, activation: act as ActivationCode, activationParam: actParam,
          a: keep(put(a)), b: keep(put(b)), c: cp, bias: bias === null ? 0 : keep(put(bias)),
        });
        const all = read(cp, m * ldc);
        const dense = new Float32Array(m * n);
        for (let i = 0; i < m; i++) dense.set(all.subarray(i * ldc, i * ldc + n), i * n);
        // The padding columns of C are not the kernel's to touch.
        for (let i = 0; i < m; i++) {
          for (let j = n; j < ldc; j++) if (!Object.is(all[i * ldc + j], c[i * ldc + j])) throw new Error(`padding C[${i}][${j}] was overwritten`);
        }
        return dense;
      });
      const mismatch = compare(got, ref.value, (i, want) => {
        if (act === KINDS.step) {
          const bound = tolerance(0, 0, k, ref.magnitude[i], 0);
          return Math.abs(ref.preActivation[i]) <= bound ? 1 : 0;
        }
        return tolerance(act, actParam, k, ref.magnitude[i], want);
      }, `C (${m}x${n}x${k}${transA ? ' A^T' : ''}${transB ? ' B^T' : ''})`);
      if (mismatch !== null) throw new Error(mismatch);
    }), {
      seed: SEED, numRuns: 500, endOnFailure: true,
      // The random sides rarely all land near 300: three full-size cases, always run.
      examples: [
        [{ m: 300, n: 300, k: 300, transA: false, transB: false, alpha: 1, beta: 0, bias: true, act: 1, actParam: 0, pad: 0, profile: 'subnormal', seed: 1 }],
        [{ m: 299, n: 257, k: 293, transA: true, transB: true, alpha: -0.5, beta: 0.75, bias: true, act: 4, actParam: 0, pad: 3, profile: 'special', seed: 2 }],
        [{ m: 293, n: 300, k: 211, transA: true, transB: false, alpha: 2, beta: 1, bias: false, act: 2, actParam: 0.1, pad: 1, profile: 'unit', seed: 3 }],
      ],
    });
  });
});

describe('elementwise kernels, softmax and losses on random lengths 0-10,000 with +-Inf, NaN, +-1e30', () => {
  const ATOL = 3e-45;
  const length = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 40 }) }, { weight: 1, arbitrary: fc.integer({ min: 41, max: 10_000 }) });
  const valueProfile = fc.constantFrom<Profile>('wide', 'special', 'subnormal', 'unit');

  it('actForward / actBackward equal the reference (exact for identity, relu, step; 3e-7 relative for sigmoid, tanh)', () => {
    const RTOL: Record<number, number> = { 0: 0, 1: 0, 2: U, 3: 3e-7, 4: 3e-7, 5: 0 };
    record.check('activations', PROPERTY, 'actForward/actBackward, 6 kinds, random alpha, lengths 0-10,000, hostile values', fc.property(
      fc.record({ kind: fc.constantFrom(0, 1, 2, 3, 4, 5), n: length, profile: valueProfile, alpha: fc.double({ min: 0, max: 5, noNaN: true }), seed: fc.integer() }),
      ({ kind, n, profile, alpha, seed }) => {
        const param = Math.fround(alpha);
        const x = fillValues(n, seed, profile, 0.05);
        const dy = fillValues(n, seed + 1, profile, 0.05);
        withBlocks((keep) => {
          const xp = keep(put(x));
          const yp = keep(allocate(n * 4));
          kernels.actForward(kind, xp, yp, n, param);
          const y = read(yp, n);
          const mismatch = compare(y, Array.from(x, (v) => forward(kind, v, param)), (_, w) => RTOL[kind] * Math.abs(w) + ATOL, `forward kind ${kind}`);
          if (mismatch !== null) throw new Error(mismatch);
          // Backward from the saved output, as training calls it; in place over dy.
          const dp = keep(put(dy));
          kernels.actBackward(kind, yp, dp, dp, n, param);
          // dy * slope: two or three float32 roundings.
          const back = compare(read(dp, n), Array.from(y, (v, i) => backward(kind, v, dy[i], param)), (_, w) => 4 * U * Math.abs(w) + ATOL, `backward kind ${kind}`);
          if (back !== null) throw new Error(back);
        });
      },
    ), { seed: SEED, numRuns: 500, endOnFailure: true });
  });

  it('expElementwise equals e^x (8.1e-8 relative; overflow to Inf, underflow through subnormals)', () => {
    record.check('exp', PROPERTY, 'expElementwise, lengths 0-10,000, hostile values', fc.property(
      fc.record({ n: length, profile: valueProfile, seed: fc.integer() }),
      ({ n, profile, seed }) => {
        // 'wide' values are mostly far outside [-104, 89]; scale some down so the body of exp is hit too.
        const x = fillValues(n, seed, profile, 0.05).map((v, i) => (i % 2 === 0 && Number.isFinite(v) ? Math.max(-110, Math.min(95, v)) : v));
        withBlocks((keep) => {
          const xp = keep(put(x));
          kernels.expElementwise(xp, xp, n);
          // Below 2^-126 the result is subnormal: an absolute error of an ulp or two there.
          const mismatch = compare(read(xp, n), Array.from(x, Math.exp), (_, w) => 8.1e-8 * Math.abs(w) + 2 * MIN_SUBNORMAL, 'exp');
          if (mismatch !== null) throw new Error(mismatch);
        });
      },
    ), { seed: SEED, numRuns: 300, endOnFailure: true });
  });

  /**
   * A softmax probability p = e^z / S, z = x - max: z is rounded to float32 (relative error u |z| of p,
   * and |z| <= |ln p| + ln cols), exp adds 8.1e-8, the float32 row sum gamma_{cols/4 + 4}, the division u.
   * Below 2^-126 (subnormal) only an absolute comparison is possible.
   */
  function probabilityTolerance(cols: number): (p: number) => number {
    const sumError = (Math.ceil(cols / 4) + 4) * U;
    return (p) => (p === 0 ? 0 : (1e-7 + sumError + U * (Math.abs(Math.log(p)) + Math.log(cols + 1))) * p) + 2 ** -126;
  }

  it('softmaxRows / logSoftmaxRows equal the reference row by row (NaN rows where it gives NaN)', () => {
    record.check('softmax', PROPERTY, 'softmaxRows/logSoftmaxRows, rows x cols up to 10,000, hostile values', fc.property(
      fc.record({ rows: fc.integer({ min: 0, max: 60 }), cols: length, profile: valueProfile, seed: fc.integer() }).filter((c) => c.rows * c.cols <= 10_000),
      ({ rows, cols, profile, seed }) => {
        const x = fillValues(rows * cols, seed, profile, 0.01);
        // The row sum is float32: gamma over the ~cols/4 terms of each SIMD lane, plus exp's 8.1e-8 and one division.
        const sumError = (Math.ceil(cols / 4) + 4) * U;
        const pTol = probabilityTolerance(cols);
        const pRef: number[] = [];
        const lpRef: number[] = [];
        for (let r = 0; r < rows; r++) {
          const row = x.subarray(r * cols, (r + 1) * cols);
          pRef.push(...softmaxRow(row));
          lpRef.push(...logSoftmaxRow(row));
        }
        withBlocks((keep) => {
          const xp = keep(put(x));
          const yp = keep(allocate(rows * cols * 4));
          kernels.softmaxRows(xp, yp, rows, cols);
          const p = compare(read(yp, rows * cols), pRef, (_, w) => pTol(w), `softmax ${rows}x${cols}`);
          if (p !== null) throw new Error(p);
          kernels.logSoftmaxRows(xp, yp, rows, cols);
          const lp = compare(read(yp, rows * cols), lpRef, (_, w) => 2 * U * Math.abs(w) + sumError + 1e-7, `logSoftmax ${rows}x${cols}`);
          if (lp !== null) throw new Error(lp);
        });
      },
    ), { seed: SEED, numRuns: 400, endOnFailure: true });
  });

  type LossKind = 'squaredError' | 'binaryCrossEntropyLogits' | 'binaryCrossEntropy' | 'crossEntropy' | 'softmaxCrossEntropy' | 'sparseSoftmaxCrossEntropy';
  const LOSSES: LossKind[] = ['squaredError', 'binaryCrossEntropyLogits', 'binaryCrossEntropy', 'crossEntropy', 'softmaxCrossEntropy', 'sparseSoftmaxCrossEntropy'];
  const EPS = Math.fround(1e-7);

  /** The kernel's loss and gradient (and probs for the softmax losses). */
  function runLoss(kind: LossKind, a: Float32Array, t: Float32Array | Int32Array, rows: number, cols: number, scale: number): { loss: number; grad: Float32Array; probs: Float32Array | null } {
    return withBlocks((keep) => {
      const n = rows * cols;
      const ap = keep(put(a));
      let tp: number;
      if (t instanceof Int32Array) {
        tp = keep(allocate(t.length * 4));
        heapI32().set(t, tp >>> 2);
      } else tp = keep(put(t));
      const gp = keep(allocate(n * 4));
      const pp = keep(allocate(n * 4));
      let loss: number;
      switch (kind) {
        case 'squaredError': loss = kernels.squaredError(ap, tp, n, gp, scale); break;
        case 'binaryCrossEntropyLogits': loss = kernels.binaryCrossEntropyLogits(ap, tp, n, gp, scale); break;
        case 'binaryCrossEntropy': loss = kernels.binaryCrossEntropy(ap, tp, n, gp, scale, EPS); break;
        case 'crossEntropy': loss = kernels.crossEntropy(ap, tp, rows, cols, gp, scale, EPS); break;
        case 'softmaxCrossEntropy': loss = kernels.softmaxCrossEntropy(ap, tp, rows, cols, pp, gp, scale); break;
        case 'sparseSoftmaxCrossEntropy': loss = kernels.sparseSoftmaxCrossEntropy(ap, tp, rows, cols, pp, gp, scale); break;
      }
      const softmaxFamily = kind === 'softmaxCrossEntropy' || kind === 'sparseSoftmaxCrossEntropy';
      return { loss, grad: read(gp, n), probs: softmaxFamily ? read(pp, n) : null };
    });
  }

  /** The reference's loss, gradient and, for a tolerance, the sum of the absolute per-element (per-row) losses (or of the terms that cancel). */
  function referenceLoss(kind: LossKind, a: Float32Array, t: Float32Array | Int32Array, rows: number, cols: number, scale: number): { loss: number; grad: number[]; probs?: number[]; magnitude: number } {
    const one = (x: Float32Array | Int32Array, r0: number, r1: number): lossRef.LossResult => {
      const sub = (v: Float32Array | Int32Array, per: number) => v.subarray(r0 * per, r1 * per);
      switch (kind) {
        case 'squaredError': return lossRef.squaredError(sub(a, cols), sub(x, cols), scale);
        case 'binaryCrossEntropyLogits': return lossRef.binaryCrossEntropyLogits(sub(a, cols), sub(x, cols), scale);
        case 'binaryCrossEntropy': return lossRef.binaryCrossEntropy(sub(a, cols), sub(x, cols), scale, EPS);
        case 'crossEntropy': return lossRef.crossEntropy(sub(a, cols), sub(x, cols), scale, EPS);
        case 'softmaxCrossEntropy': return lossRef.softmaxCrossEntropy(sub(a, cols), sub(x, cols), r1 - r0, cols, scale);
        case 'sparseSoftmaxCrossEntropy': return lossRef.sparseSoftmaxCrossEntropy(sub(a, cols), sub(x, 1), r1 - r0, cols, scale);
      }
    };
    const all = one(t, 0, rows);
    let magnitude = 0;
    if (kind === 'binaryCrossEntropyLogits') {
      // max(x, 0) - x t cancels for large x and t near 1: float32 rounds each of the two terms.
      for (let i = 0; i < a.length; i++) magnitude += Math.max(a[i], 0) + Math.abs(a[i] * t[i]) + Math.log1p(Math.exp(-Math.abs(a[i])));
    } else for (let r = 0; r < rows; r++) magnitude += Math.abs(one(t, r, r + 1).loss);
    return { ...all, magnitude };
  }

  it('every loss equals the reference: sum within 2e-6 of the sum of |terms| (+ the row sums\' gamma), gradient, probabilities; NaN where it is NaN', () => {
    record.check('losses', PROPERTY, '6 loss kernels, rows x cols up to 10,000, hostile logits/probabilities, exact 0/1 targets', fc.property(
      fc.record({ kind: fc.constantFrom(...LOSSES), rows: fc.integer({ min: 0, max: 50 }), cols: length, profile: valueProfile, seed: fc.integer(), scale: fc.double({ min: 1e-4, max: 10, noNaN: true }) })
        .filter((c) => c.rows * c.cols <= 10_000 && (c.cols > 0 || !c.kind.includes('oftmax'))),
      ({ kind, rows, cols, profile, seed, scale: rawScale }) => {
        const scale = Math.fround(rawScale);
        const n = rows * cols;
        const onProbabilities = kind === 'binaryCrossEntropy' || kind === 'crossEntropy';
        // Probabilities in [0, 1] with exact 0 and 1, plus (profile 'special') NaN, +-Inf and +-1e30 the clip must handle.
        const a = onProbabilities
          ? fillUnitInterval(n, seed).map((v, i) => (profile === 'special' && i % 37 === 5 ? [NaN, Infinity, -Infinity, 1e30, -1e30][i % 5] : v))
          : fillValues(n, seed, profile, 0.01);
        let t: Float32Array | Int32Array;
        if (kind === 'sparseSoftmaxCrossEntropy') t = Int32Array.from(fillUnitInterval(rows, seed + 1, 0), (u) => Math.min(cols - 1, Math.floor(u * cols)));
        else if (kind === 'softmaxCrossEntropy' || kind === 'crossEntropy') {
          t = new Float32Array(n);
          const u = fillUnitInterval(rows, seed + 1, 0);
          for (let r = 0; r < rows; r++) t[r * cols + Math.min(cols - 1, Math.floor(u[r] * cols))] = 1;
        } else t = kind === 'squaredError' ? fillValues(n, seed + 1, profile === 'special' ? 'wide' : profile) : fillUnitInterval(n, seed + 1);
        const got = runLoss(kind, a, t, rows, cols, scale);
        const want = referenceLoss(kind, a, t, rows, cols, scale);
        const sumError = (Math.ceil(cols / 4) + 4) * U;
        if (Number.isNaN(want.loss) || Number.isNaN(got.loss)) {
          if (!(Number.isNaN(want.loss) && Number.isNaN(got.loss))) throw new Error(`${kind} ${rows}x${cols}: loss ${got.loss}, reference ${want.loss} (NaN must match NaN)`);
        } else if (!Number.isFinite(want.loss) || !Number.isFinite(got.loss)) {
          if (got.loss !== want.loss) throw new Error(`${kind} ${rows}x${cols}: loss ${got.loss}, reference ${want.loss}`);
        } else {
          const tol = (2e-6 + sumError) * want.magnitude + 1e-30;
          if (!(Math.abs(got.loss - want.loss) <= tol)) throw new Error(`${kind} ${rows}x${cols}: loss ${got.loss}, reference ${want.loss}, |diff| ${Math.abs(got.loss - want.loss)} > ${tol}`);
        }
        // Gradient: a few float32 roundings relative to itself, plus (p - y) cancellation near p = y and the row sum for the softmax family.
        const g = compare(got.grad, want.grad, (_, w) => (1e-6 + sumError) * Math.abs(w) + (4e-7 + sumError) * scale + ATOL, `${kind} ${rows}x${cols} grad`);
        if (g !== null) throw new Error(g);
        if (got.probs !== null) {
          const p = compare(got.probs, want.probs!, (_, w) => probabilityTolerance(cols)(w), `${kind} ${rows}x${cols} probs`);
          if (p !== null) throw new Error(p);
        }
      },
    ), { seed: SEED, numRuns: 600, endOnFailure: true });
  });

  it('optimizer steps (sgd, momentum, Nesterov, Adam) equal the reference on random lengths and hostile gradients', () => {
    record.check('optimizers', PROPERTY, 'sgd/sgdMomentum/adam steps, lengths 0-10,000, hostile gradients', fc.property(
      fc.record({ kind: fc.constantFrom('sgd', 'momentum', 'nesterov', 'adam'), n: length, profile: valueProfile, seed: fc.integer(), lr: fc.double({ min: 1e-4, max: 1, noNaN: true }), t: fc.integer({ min: 1, max: 1000 }) }),
      ({ kind, n, profile, seed, lr: rawLr, t }) => {
        const lr = Math.fround(rawLr);
        const w0 = fillValues(n, seed, 'unit');
        // Adam squares the gradient in float32 (as Keras does): keep finite |g| below 1e15 so g^2 stays finite.
        const g = fillValues(n, seed + 1, profile, 0.01).map((v) => (kind === 'adam' && Number.isFinite(v) ? Math.max(-1e15, Math.min(1e15, v)) : v));
        const s0 = fillValues(n, seed + 2, 'unit');
        const v0 = s0.map(Math.abs);
        const w = Array.from(w0);
        const s = Array.from(s0);
        const v = Array.from(v0);
        const [b1, b2, eps, mu] = [Math.fround(0.9), Math.fround(0.999), Math.fround(1e-7), Math.fround(0.9)];
        withBlocks((keep) => {
          const wp = keep(put(w0));
          const gp = keep(put(g));
          const sp = keep(put(s0));
          const vp = keep(put(v0));
          if (kind === 'sgd') {
            kernels.sgd(wp, gp, n, lr, 1, Infinity, 0);
            optimRef.sgd(w, g, lr);
          } else if (kind === 'adam') {
            kernels.adam(wp, gp, sp, vp, n, lr, b1, b2, eps, 1 - b1 ** t, 1 - b2 ** t, 1, 1, Infinity, 0, 0, 0);
            // The kernel takes the corrections as float32; give the reference the same betas.
            optimRef.adam(w, g, s, v, lr, b1, b2, eps, t);
          } else {
            kernels.sgdMomentum(wp, gp, sp, n, lr, mu, kind === 'nesterov' ? 1 : 0, 1, Infinity, 0, 0);
            optimRef.sgdMomentum(w, g, s, lr, mu, kind === 'nesterov');
          }
          // Each update is a handful of float32 operations: error relative to the values it combines (old w,
          // old velocity, lr g and the step taken), not to a result that may cancel to 0. Adam also takes
          // the bias corrections and a square root in float32.
          const tol = (i: number) => (kind === 'adam' ? 2e-6 : 8 * U) * (Math.abs(w0[i]) + Math.abs(s0[i]) + lr * Math.abs(g[i]) + Math.abs(w[i] - w0[i])) + ATOL;
          const mismatch = compare(read(wp, n), w, tol, `${kind} w`);
          if (mismatch !== null) throw new Error(mismatch);
        });
      },
    ), { seed: SEED, numRuns: 400, endOnFailure: true });
  });
});

describe('reductions and gather on random shapes with NaN and +-Inf', () => {
  it('colSums (f64 reference, gamma_rows bound), rowArgmax (first max, NaN wins, -1 for empty rows), gatherRows (exact)', () => {
    record.check('reductions-gather', PROPERTY, 'colSums/rowArgmax/countCorrect/gatherRows, rows x cols up to 10,000, hostile values, random beta and indices', fc.property(
      fc.record({ rows: fc.integer({ min: 0, max: 120 }), cols: fc.integer({ min: 0, max: 300 }), profile: profileArb, beta: fc.constantFrom(0, 1, 0.5), seed: fc.integer(), count: fc.integer({ min: 0, max: 50 }) })
        .filter((c) => c.rows * c.cols <= 10_000),
      ({ rows, cols, profile, beta, seed, count }) => {
        const x = fillValues(rows * cols, seed, profile, 0.01);
        // beta == 0 must never read out: give it NaN then.
        const old = beta === 0 ? new Float32Array(cols).fill(NaN) : fillValues(cols, seed + 1, 'unit');
        const idx = Int32Array.from(fillUnitInterval(rows > 0 ? count : 0, seed + 2, 0), (u) => Math.min(rows - 1, Math.floor(u * rows)));
        withBlocks((keep) => {
          const xp = keep(put(x));
          const out = keep(put(old));
          kernels.colSums(xp, rows, cols, out, beta);
          // Column sums run in float32 down the rows: gamma_{rows+1} times the sum of |x| (Higham 3.5).
          const abs = reduceRef.colSums(x.map(Math.abs), rows, cols, old.map(Math.abs), beta === 0 ? 0 : Math.abs(beta));
          const sums = compare(read(out, cols), reduceRef.colSums(x, rows, cols, old, beta), (j) => (rows + 2) * U * abs[j] + (rows + 2) * MIN_SUBNORMAL, `colSums ${rows}x${cols}`);
          if (sums !== null) throw new Error(sums);
          const arg = keep(allocate(rows * 4));
          kernels.rowArgmax(xp, rows, cols, arg);
          const got = heapI32().slice(arg >>> 2, (arg >>> 2) + rows);
          const want = reduceRef.rowArgmax(x, rows, cols);
          const r = want.findIndex((w, i) => got[i] !== w);
          if (r >= 0) throw new Error(`rowArgmax ${rows}x${cols} row ${r}: got ${got[r]}, reference ${want[r]}`);
          // countCorrect against itself: every row agrees with its own argmax.
          if (cols > 0 && kernels.countCorrect(xp, xp, rows, cols) !== rows) throw new Error(`countCorrect(x, x) is not ${rows}`);
          const ip = keep(allocate(idx.length * 4));
          heapI32().set(idx, ip >>> 2);
          const dst = keep(allocate(idx.length * cols * 4));
          kernels.gatherRows(xp, cols, ip, idx.length, dst);
          const gathered = read(dst, idx.length * cols);
          const expected = gatherRows(x, cols, idx);
          const g = expected.findIndex((v, i) => !Object.is(v, gathered[i]));
          if (g >= 0) throw new Error(`gatherRows element ${g}: got ${gathered[g]}, reference ${expected[g]}`);
        });
      },
    ), { seed: SEED, numRuns: 300, endOnFailure: true });
  });
});

describe('allocator under random allocate / dispose / grow sequences', () => {
  type Op = { op: 'alloc'; floats: number } | { op: 'grow'; floats: number } | { op: 'dispose'; pick: number } | { op: 'write'; pick: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ op: fc.constant('alloc' as const), floats: fc.integer({ min: 0, max: 5000 }) }) },
    // Blocks past the free space force memory.grow, which replaces memory.buffer under every live view.
    { weight: 1, arbitrary: fc.record({ op: fc.constant('grow' as const), floats: fc.integer({ min: 100_000, max: 1_500_000 }) }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('dispose' as const), pick: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('write' as const), pick: fc.nat() }) },
  );

  /** FNV-1a over the float bits: a change anywhere in a block changes it. */
  function checksum(data: Float32Array): number {
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
    let h = 0x811c9dc5;
    for (let i = 0; i < bits.length; i++) h = Math.imul(h ^ bits[i], 0x01000193);
    return h >>> 0;
  }

  it('keeps every live tensor intact (checksums) and returns memory() to its baseline', () => {
    const baseline = sn.memory();
    let ops = 0;
    record.check('allocator', PROPERTY, 'random allocate/dispose/write/grow sequences (up to 60 ops, blocks up to 6 MB), checksums of all live tensors after every op', fc.property(fc.array(opArb, { maxLength: 60 }), fc.integer(), (list, seed) => {
      const live: { t: InstanceType<typeof sn.Tensor>; sum: number }[] = [];
      let fill = seed;
      const fillBlock = (t: InstanceType<typeof sn.Tensor>) => {
        const d = t.data;
        for (let i = 0; i < d.length; i++) d[i] = (fill = (Math.imul(fill, 1664525) + 1013904223) | 0);
        return checksum(t.data);
      };
      try {
        for (const step of list) {
          ops++;
          if (step.op === 'alloc' || step.op === 'grow') {
            const t = sn.zeros([step.floats]);
            live.push({ t, sum: fillBlock(t) });
          } else if (live.length > 0) {
            const i = step.pick % live.length;
            if (step.op === 'dispose') live.splice(i, 1)[0].t.dispose();
            else live[i].sum = fillBlock(live[i].t);
          }
          for (const [i, { t, sum }] of live.entries()) {
            if (checksum(t.data) !== sum) throw new Error(`live tensor ${i} [${t.shape}] changed after ${step.op}`);
          }
          if (sn.memory().tensors !== baseline.tensors + live.length) throw new Error(`memory().tensors is ${sn.memory().tensors}, expected ${baseline.tensors + live.length}`);
        }
      } finally {
        for (const { t } of live) t.dispose();
      }
      expect(sn.memory()).toEqual(baseline);
    }), { seed: SEED, numRuns: 150, endOnFailure: true });
    expect(ops).toBeGreaterThan(0);
    expect(sn.memory()).toEqual(baseline);
  });
});

describe('tensor() on random, often malformed, nested data', () => {
  // Leaves are mostly numbers, sometimes values that are not; lists are ragged or rectangular at random.
  const leaf = fc.oneof({ weight: 12, arbitrary: fc.double() }, { weight: 1, arbitrary: fc.constantFrom<unknown>('1', null, undefined, true, {}, 1n, [], Symbol.iterator) });
  const { nested } = fc.letrec<{ nested: unknown }>((tie) => ({
    nested: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('nested'), { maxLength: 4 })),
  }));
  /** The nested arrays, rectangular, of numbers only: then the shape is read from the nesting. */
  function shapeOf(value: unknown): number[] | null {
    if (typeof value === 'number') return [];
    if (!Array.isArray(value)) return null;
    if (value.length === 0) return [0];
    const inner = value.map(shapeOf);
    if (inner.some((s) => s === null || JSON.stringify(s) !== JSON.stringify(inner[0]))) return null;
    return [value.length, ...inner[0]!];
  }

  it('makes exactly the tensor the data describes, or throws a TypeError naming the problem with nothing allocated', () => {
    record.check('tensor-input', 'Bad input', 'tensor() on random nested lists (ragged, non-numeric leaves, empty lists), with and without a shape', fc.property(fc.array(nested, { maxLength: 5 }), fc.option(fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 3 }), { nil: undefined }), (values, shape) => {
      const before = sn.memory();
      const expected = shapeOf(values);
      let t: InstanceType<typeof sn.Tensor>;
      try {
        t = shape === undefined ? sn.tensor(values as never) : sn.tensor(values as never, shape);
      } catch (error) {
        if (!(error instanceof TypeError || error instanceof RangeError)) throw new Error(`threw ${String(error)}`);
        if (/Cannot read propert|is not a function|undefined values/.test(error.message)) throw new Error(`unclear message: ${error.message}`);
        if (shape === undefined && expected !== null && !expected.includes(0)) throw new Error(`rejected valid data of shape [${expected}]: ${error.message}`);
        expect(sn.memory()).toEqual(before);
        return;
      }
      try {
        if (expected === null) throw new Error(`accepted malformed data ${JSON.stringify(values, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))} as [${t.shape}]`);
        const flat = (values as unknown[]).flat(Infinity) as number[];
        if (t.size !== flat.length || flat.some((v, i) => !Object.is(Math.fround(v), t.data[i]))) throw new Error('values differ from the data');
        if (shape === undefined && JSON.stringify(t.shape) !== JSON.stringify(expected)) throw new Error(`shape [${t.shape}], data is [${expected}]`);
      } finally {
        t.dispose();
      }
    }), { seed: SEED, numRuns: 1500, endOnFailure: true });
  });
});

describe('matmul() on random, often mismatched, shapes', () => {
  it('computes the reference product, or throws a RangeError naming the shapes, with nothing allocated', () => {
    const dim = fc.integer({ min: 0, max: 9 });
    record.check('matmul-shapes', 'Bad input', 'sn.matmul with random shapes of a, b, bias and out (often mismatched), transposes, alpha/beta', fc.property(
      fc.record({
        a: fc.array(dim, { minLength: 1, maxLength: 3 }), b: fc.array(dim, { minLength: 1, maxLength: 3 }),
        transposeA: fc.boolean(), transposeB: fc.boolean(), bias: fc.option(fc.array(dim, { minLength: 1, maxLength: 2 }), { nil: undefined }),
        out: fc.option(fc.array(dim, { minLength: 2, maxLength: 2 }), { nil: undefined }), beta: fc.constantFrom(0, 1), seed: fc.integer(),
      }),
      (c) => {
        const make = (shape: number[], seed: number) => sn.tensor(fillValues(shape.reduce((x, y) => x * y, 1), seed, 'unit'), shape);
        const a = make(c.a, c.seed);
        const b = make(c.b, c.seed + 1);
        const bias = c.bias === undefined ? undefined : make(c.bias, c.seed + 2);
        const out = c.out === undefined ? undefined : make(c.out, c.seed + 3);
        const before = sn.memory();
        const [m, k] = c.a.length === 2 ? (c.transposeA ? [c.a[1], c.a[0]] : c.a) : [NaN, NaN];
        const [kb, n] = c.b.length === 2 ? (c.transposeB ? [c.b[1], c.b[0]] : c.b) : [NaN, NaN];
        const valid = c.a.length === 2 && c.b.length === 2 && k === kb &&
          (bias === undefined || (bias.size === n && bias.shape[bias.rank - 1] === n)) &&
          (out === undefined ? c.beta === 0 : out.shape[0] === m && out.shape[1] === n);
        const c0 = out?.data.slice();
        try {
          let result: InstanceType<typeof sn.Tensor>;
          try {
            result = sn.matmul(a, b, { transposeA: c.transposeA, transposeB: c.transposeB, bias, out, beta: c.beta });
          } catch (error) {
            if (valid) throw new Error(`rejected valid shapes: ${String(error)}`);
            if (!(error instanceof RangeError)) throw new Error(`expected a RangeError, got ${String(error)}`);
            const shapes = [a.shape, b.shape, ...(bias ? [bias.shape] : []), ...(out ? [out.shape] : [])].map((s) => `[${s.join(',')}]`);
            // The offending shape by name, and what it had to match (another operand, or the shape required).
            const names = shapes.some((s) => error.message.replaceAll(' ', '').includes(s));
            const bracketed = error.message.match(/\[[\d, ]*\]/g)?.length ?? 0;
            if ((!names || bracketed < 2) && !/no out tensor/.test(error.message)) throw new Error(`message does not name the shapes: ${error.message}`);
            if (JSON.stringify(sn.memory()) !== JSON.stringify(before)) throw new Error('memory() changed on an error');
            return;
          }
          if (!valid) throw new Error(`accepted a [${c.a}]${c.transposeA ? '^T' : ''} x [${c.b}]${c.transposeB ? '^T' : ''} product (bias [${c.bias}], out [${c.out}])`);
          const ref = gemmReference({ transA: c.transposeA, transB: c.transposeB, m, n, k, alpha: 1, a: a.data, lda: a.shape[1], b: b.data, ldb: b.shape[1], beta: c.beta, c: c0 ?? [], ldc: n, bias: bias?.data ?? null, act: 0, actParam: 0 });
          const mismatch = compare(result.data, ref.value, (i) => ((k + 4) * U) * ref.magnitude[i] * 1.01, 'matmul');
          if (result !== out) result.dispose();
          if (mismatch !== null) throw new Error(mismatch);
        } finally {
          for (const t of [a, b, bias, out]) t?.dispose();
        }
      },
    ), { seed: SEED, numRuns: 600, endOnFailure: true });
  });
});
