// GEMM kernel (assembly/gemm.ts) and its façade (src/ops/matmul.ts): every transpose combination on awkward
// shapes against the float64 reference, alpha/beta/bias/activation epilogues, NaN/Inf propagation,
// bit-identical row splits (what the thread pool relies on), scratch accounting and matmul()'s errors.
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';
import { allocate, heapF32, heapU8, release } from '../dist/backend/allocator.js';
import { gemm, gemmPackBytes, gemmScratchBytes, releaseGemmScratch } from '../dist/ops/matmul.js';
import { kernels } from '../dist/backend/wasm.js';
import { KINDS } from './reference/activations.js';
import { gemmReference, type GemmCase } from './reference/gemm.js';
import { randomValues as uniform } from './reference/random.js';

const U = 2 ** -24;
/**
 * Tolerance of one float32 result before its activation. Higham, "Accuracy and Stability of Numerical
 * Algorithms" (2nd ed., 2002), eq. (3.5): a k-term dot product computed in precision u has
 * |error| <= gamma_k * sum_p |a_p b_p|, gamma_n = n u / (1 - n u); the epilogue adds at most 4 roundings
 * (alpha *, beta *, + beta C, + bias), hence gamma_{k+4} times the reference's magnitude
 * |alpha| sum |a b| + |beta c| + |bias|. This bound is rigorous, so the test cannot fail on rounding alone,
 * yet a wrong, missing or repeated term (of size ~|a b|) exceeds it. The subnormal term covers underflow.
 */
function preTolerance(k: number, magnitude: number): number {
  const n = k + 4;
  return ((n * U) / (1 - n * U)) * magnitude + n * 2 ** -149;
}

/** Error allowed after the activation: its Lipschitz constant times the pre-activation bound, plus its own
 * rounding (leaky relu multiplies once; sigmoid and tanh: 3e-7 relative, the measured maxima of
 * test/activations.test.ts rounded up). Step is exact away from its jump; within the bound of 0 either side
 * is accepted. */
function tolerance(act: number, actParam: number, k: number, magnitude: number, ref: number): number {
  const e = preTolerance(k, magnitude);
  switch (act) {
    case KINDS.leakyRelu: return Math.max(1, actParam) * e + U * Math.abs(ref);
    case KINDS.sigmoid: return 0.25 * e + 3e-7 * Math.abs(ref) + 1e-45;
    case KINDS.tanh: return e + 3e-7 * Math.abs(ref) + 1e-45;
    default: return e;
  }
}

/** Deterministic uniform float32 values in [lo, hi) (test/reference/random.ts). */
const randomValues = (n: number, seed: number, lo = -1, hi = 1): Float32Array => uniform(n, lo, hi, seed);

interface Options {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  bias?: boolean;
  act?: number;
  actParam?: number;
  /** Extra elements at the end of each stored row (strided operands). */
  pad?: number;
  seed?: number;
}

/** A full case with random operands (C's old contents random too, so beta is exercised). */
function makeCase(m: number, n: number, k: number, o: Options = {}): GemmCase {
  const transA = o.transA ?? false;
  const transB = o.transB ?? false;
  const pad = o.pad ?? 0;
  const lda = (transA ? m : k) + pad;
  const ldb = (transB ? k : n) + pad;
  const ldc = n + pad;
  const seed = o.seed ?? m * 10007 + n * 101 + k;
  return {
    transA, transB, m, n, k,
    alpha: o.alpha ?? 1,
    a: randomValues((transA ? k : m) * lda, seed),
    lda,
    b: randomValues((transB ? n : k) * ldb, seed + 1),
    ldb,
    beta: o.beta ?? 0,
    c: randomValues(m * ldc, seed + 2),
    ldc,
    bias: o.bias ? randomValues(n, seed + 3) : null,
    act: o.act ?? KINDS.linear,
    actParam: o.actParam ?? 0,
  };
}

/** Copies `values` into a fresh block of the wasm memory (at least one float so every pointer is real). */
function upload(values: ArrayLike<number>): number {
  const ptr = allocate(Math.max(1, values.length) * 4);
  heapF32().set(values, ptr >>> 2);
  return ptr;
}

/** Runs the kernel through the façade's pointer-level gemm (with `pack` as its scratch, if given) and returns C ([m, ldc] as stored). */
function runKernel(g: GemmCase, pack?: number): Float32Array {
  const a = upload(g.a);
  const b = upload(g.b);
  const c = upload(g.c);
  const bias = g.bias ? upload(g.bias) : 0;
  try {
    gemm({
      transA: g.transA, transB: g.transB, m: g.m, n: g.n, k: g.k,
      alpha: g.alpha, a, lda: g.lda, b, ldb: g.ldb, beta: g.beta, c, ldc: g.ldc,
      bias, activation: g.act as 0, activationParam: g.actParam, pack,
    });
    return heapF32().slice(c >>> 2, (c >>> 2) + g.c.length);
  } finally {
    for (const p of [a, b, c, bias]) if (p !== 0) release(p);
  }
}

/** The first element outside tolerance (or with the wrong NaN/Inf), described; null when all match. */
function firstMismatch(g: GemmCase, got: Float32Array): string | null {
  const ref = gemmReference(g);
  for (let i = 0; i < g.m; i++) {
    for (let j = 0; j < g.n; j++) {
      const r = ref.value[i * g.n + j];
      const v = got[i * g.ldc + j];
      let ok: boolean;
      if (Number.isNaN(r) || !Number.isFinite(r)) ok = Object.is(v, r) || (Number.isNaN(r) && Number.isNaN(v));
      else if (g.act === KINDS.step && Math.abs(ref.preActivation[i * g.n + j]) <= preTolerance(g.k, ref.magnitude[i * g.n + j])) ok = v === 0 || v === 1;
      else ok = Math.abs(v - r) <= tolerance(g.act, g.actParam, g.k, ref.magnitude[i * g.n + j], r);
      if (!ok) {
        const what = `${g.transA ? 'T' : 'N'}${g.transB ? 'T' : 'N'} m=${g.m} n=${g.n} k=${g.k} alpha=${g.alpha} beta=${g.beta} bias=${g.bias !== null} act=${g.act}`;
        return `${what}: C[${i},${j}] = ${v}, reference ${r}`;
      }
    }
    // Padding columns of C are never written.
    for (let j = g.n; j < g.ldc; j++) {
      if (!Object.is(got[i * g.ldc + j], Math.fround(g.c[i * g.ldc + j]))) return `padding C[${i},${j}] was written`;
    }
  }
  return null;
}

function expectMatches(g: GemmCase): void {
  expect(firstMismatch(g, runKernel(g))).toBeNull();
}

const COMBOS = [
  { transA: false, transB: false },
  { transA: true, transB: false },
  { transA: false, transB: true },
  { transA: true, transB: true },
] as const;
const label = (c: { transA: boolean; transB: boolean }): string => `${c.transA ? 'T' : 'N'}${c.transB ? 'T' : 'N'}`;

/** The loaded build's fast tiles (assembly/gemm.ts): rows per tile, and columns per panel by transA. */
const TILE_ROWS = sn.backendInfo().relaxedSimd ? 6 : 2;
const PANEL = kernels.gemmPanelWidth();
/** Rows per block for k = 784 (256 KiB of A): whole tiles. */
const BLOCK_ROWS_784 = Math.floor(65536 / 784) - (Math.floor(65536 / 784) % TILE_ROWS);

describe('gemm kernel against the float64 reference', () => {
  for (const combo of COMBOS) {
    it(`${label(combo)}: 1x1x1, primes and tall/skinny shapes`, () => {
      const shapes: [number, number, number][] = [
        [1, 1, 1], [7, 13, 5], [13, 7, 11], [31, 37, 29], [1000, 3, 2], [2, 3, 1000], [3, 1000, 2], [1, 37, 1],
      ];
      for (const [m, n, k] of shapes) expectMatches(makeCase(m, n, k, combo));
    });

    it(`${label(combo)}: every m, n, k in 1..20, with alpha, beta, bias and activations varying by case`, () => {
      let index = 0;
      for (let m = 1; m <= 20; m++) {
        for (let n = 1; n <= 20; n++) {
          for (let k = 1; k <= 20; k++) {
            index++;
            const g = makeCase(m, n, k, {
              ...combo,
              alpha: index % 3 === 0 ? -0.75 : 1,
              beta: index % 4 === 1 ? 0.5 : 0,
              bias: index % 2 === 0,
              act: index % 6,
              actParam: 0.2,
            });
            const problem = firstMismatch(g, runKernel(g));
            if (problem !== null) expect.fail(problem);
          }
        }
      }
    });

    it(`${label(combo)}: strided operands (leading dimensions past the row length) leave C's padding alone`, () => {
      expectMatches(makeCase(13, 37, 29, { ...combo, pad: 3, beta: 1, bias: true }));
      expectMatches(makeCase(20, 16, 33, { ...combo, pad: 5 }));
    });
  }

  it('the W1 layer shapes: 64x784 . 784x128 (NN), 784x64 . 64x128 (TN), 64x128 . 128x784 (NT)', () => {
    expectMatches(makeCase(64, 128, 784, { bias: true, act: KINDS.relu }));
    expectMatches(makeCase(784, 128, 64, { transA: true }));
    expectMatches(makeCase(64, 784, 128, { transB: true }));
  });

  it('several row blocks with 16-, 8- and 4-column right-edge panels (B packed once, k = 2000: blocks of 32 rows)', () => {
    for (const combo of COMBOS) {
      for (const n of [20, 24, 45]) expectMatches(makeCase(70, n, 2000, { ...combo, bias: true, act: KINDS.relu, beta: n === 24 ? 0.5 : 0 }));
    }
  });

  it('512^3 NN (blocks of 128 rows), 300x1000x45 TN (blocks of 64) and 256^3 in every combination', () => {
    expectMatches(makeCase(512, 512, 512, {}));
    expectMatches(makeCase(300, 45, 1000, { transA: true, bias: true }));
    for (const combo of COMBOS) expectMatches(makeCase(256, 256, 256, { ...combo, alpha: 0.5, beta: -1 }));
  });

  it('exports its tiles: 6x8 on FMA (relaxed build), 2x16 on mul + add (plain build)', () => {
    expect(PANEL).toBe(sn.backendInfo().relaxedSimd ? 8 : 16);
    // Row shares go in pairs, which every tile runs whole.
    expect(kernels.gemmRowGranule()).toBe(2);
  });

  it('every edge tile: m = 1..3 tiles + 0..tile-1 rows, n = 1..2 panels + 0..panel-1 columns (the 6x4 tile on an edge of 1-4), k across the 4-step unroll', () => {
    for (const combo of COMBOS) {
      let index = 0;
      const panel = PANEL;
      for (let m = 8; m <= 3 * TILE_ROWS + TILE_ROWS - 1; m++) {
        for (const n of [panel - 1, panel, panel + 1, panel + 3, 2 * panel - 1, 2 * panel + panel / 2, 2 * panel + 5]) {
          for (const k of [37, 64, 66]) {
            index++;
            const g = makeCase(m, n, k, {
              ...combo, bias: index % 2 === 0, beta: index % 3 === 0 ? 0.5 : 0, alpha: index % 5 === 0 ? 2 : 1, act: index % 6, actParam: 0.1,
            });
            const problem = firstMismatch(g, runKernel(g));
            if (problem !== null) expect.fail(problem);
          }
        }
      }
    }
  });

  it('the dot tile for narrow C (op(A) = A, a few columns): m = 1, 2, 3, 5, 7 and 64 (lone last rows), n = 1..12, k around its threshold and off its 4-float steps, both op(B), with epilogues', () => {
    // The dot tile runs for some n <= 10 from k = 48 or 96 (DOT_N_SET, DOT_MIN_K in assembly/gemm.ts, by
    // build); the other n and the shorter k run the panels, so both sides of every rule are checked.
    let index = 0;
    for (const transB of [false, true]) {
      for (const m of [1, 2, 3, 5, 7, 64]) {
        for (let n = 1; n <= 12; n++) {
          for (const k of [47, 48, 49, 95, 96, 97, 98, 99, 783]) {
            index++;
            const g = makeCase(m, n, k, {
              transB, bias: index % 2 === 0, beta: index % 3 === 0 ? 0.5 : 0, alpha: index % 5 === 0 ? 2 : 1, act: index % 6, actParam: 0.1, pad: index % 4 === 0 ? 3 : 0,
            });
            const problem = firstMismatch(g, runKernel(g));
            if (problem !== null) expect.fail(problem);
          }
        }
      }
    }
  });

  it('the dot tile reads no float past a row of A: an Inf just after each row of a k = 97 A stays out of C', () => {
    for (const n of [1, 5, 10]) {
      const g = makeCase(5, n, 97, { pad: 3, bias: true });
      const a = Float32Array.from(g.a);
      for (let i = 0; i < g.m; i++) a[i * g.lda + g.k] = Infinity;
      g.a = a;
      expect(firstMismatch(g, runKernel(g))).toBeNull();
    }
  });

  it('k = 0 leaves act(beta * C + bias)', () => {
    for (const combo of COMBOS) expectMatches(makeCase(5, 19, 0, { ...combo, beta: 2, bias: true, act: KINDS.tanh }));
  });
});

describe('gemm epilogue', () => {
  const kinds = Object.entries(KINDS);
  for (const [name, act] of kinds) {
    for (const bias of [false, true]) {
      it(`${name}${bias ? ' + bias' : ''}, with and without beta, on every panel width (n = 45 = 16+16+8+4+1)`, () => {
        for (const combo of COMBOS) {
          expectMatches(makeCase(9, 45, 17, { ...combo, bias, act, actParam: 0.1 }));
          expectMatches(makeCase(9, 45, 17, { ...combo, bias, act, actParam: 0.1, alpha: 2, beta: -0.5 }));
        }
      });
    }
  }

  it('a fused activation gives the same bits as a separate actForward pass over C', () => {
    for (const [, act] of Object.entries(KINDS)) {
      const fused = makeCase(7, 45, 19, { transB: true, bias: true, act, actParam: 0.1 });
      const plain = { ...fused, act: KINDS.linear };
      const c = upload(runKernel(plain));
      try {
        kernels.actForward(act, c, c, fused.c.length, 0.1);
        const separate = heapF32().slice(c >>> 2, (c >>> 2) + fused.c.length);
        const got = runKernel(fused);
        expect(Buffer.from(got.buffer).equals(Buffer.from(separate.buffer)), `activation ${act}`).toBe(true);
      } finally {
        release(c);
      }
    }
  });

  it('beta = 0 never reads C: NaN garbage in C does not reach the result', () => {
    for (const combo of COMBOS) {
      const g = makeCase(11, 23, 7, { ...combo, bias: true });
      g.c = new Float32Array(g.c.length).fill(NaN);
      const got = runKernel(g);
      expect(firstMismatch(g, got)).toBeNull();
      expect(got.every((v) => !Number.isNaN(v))).toBe(true);
    }
  });

  it('beta != 0 does read C: NaN in C gives NaN at exactly those places', () => {
    const g = makeCase(6, 21, 5, { beta: 1 });
    const c = Float32Array.from(g.c);
    c[2 * 21 + 20] = NaN;
    c[5 * 21 + 3] = NaN;
    g.c = c;
    const got = runKernel(g);
    expect(firstMismatch(g, got)).toBeNull();
    const nans = [...got.keys()].filter((i) => Number.isNaN(got[i]));
    expect(nans).toEqual([2 * 21 + 20, 5 * 21 + 3]);
  });
});

describe('gemm NaN and Inf propagation', () => {
  for (const combo of COMBOS) {
    it(`${label(combo)}: NaN in A poisons its row, NaN in B its column, Inf follows IEEE (Inf * 0 = NaN)`, () => {
      const m = 9;
      const n = 21;
      const k = 13;
      const g = makeCase(m, n, k, { ...combo, act: KINDS.relu });
      const a = Float32Array.from(g.a);
      const b = Float32Array.from(g.b);
      const aAt = (i: number, p: number): number => (combo.transA ? p * g.lda + i : i * g.lda + p);
      const bAt = (p: number, j: number): number => (combo.transB ? j * g.ldb + p : p * g.ldb + j);
      a[aAt(3, 5)] = NaN;
      b[bAt(7, 17)] = NaN;
      a[aAt(6, 2)] = Infinity;
      a[aAt(8, 0)] = -Infinity;
      b[bAt(2, 4)] = 0;
      g.a = a;
      g.b = b;
      const got = runKernel(g);
      expect(firstMismatch(g, got)).toBeNull();
      for (let j = 0; j < n; j++) expect(got[3 * n + j]).toBeNaN();
      for (let i = 0; i < m; i++) expect(got[i * n + 17]).toBeNaN();
      expect(got[6 * n + 4]).toBeNaN();
      // relu(-Inf) = 0 and relu(+Inf) = +Inf on the finite columns of the Inf rows.
      for (const j of [0, 1, 20]) {
        expect(Math.abs(got[6 * n + j]) === Infinity || got[6 * n + j] === 0).toBe(true);
        expect([0, Infinity]).toContain(got[8 * n + j]);
      }
    });
  }
});

describe('gemm row splits are bit-identical (the thread pool splits m)', () => {
  const cases: [string, GemmCase][] = [
    ['NN 37x45x29, sigmoid + bias + beta', makeCase(37, 45, 29, { bias: true, act: KINDS.sigmoid, beta: 0.5, alpha: 1.5 })],
    ['TN 41x19x23, tanh', makeCase(41, 19, 23, { transA: true, act: KINDS.tanh, bias: true })],
    ['NT 33x50x31, leaky relu', makeCase(33, 50, 31, { transB: true, act: KINDS.leakyRelu, actParam: 0.3 })],
    ['TT 17x23x9', makeCase(17, 23, 9, { transA: true, transB: true, beta: -1 })],
    ['NN 64x784x128 (W1)', makeCase(64, 128, 784, { bias: true, act: KINDS.relu })],
    ['NN 5x33x40 (B read unpacked below 8 rows)', makeCase(5, 33, 40, { bias: true })],
    ['TT 29x21x70, edge tiles on both sides', makeCase(29, 21, 70, { transA: true, transB: true, bias: true, act: KINDS.relu })],
    ['TN 300x45x1000 (blocks of 64 rows)', makeCase(300, 45, 1000, { transA: true, bias: true, act: KINDS.relu })],
    ['NN 64x10x784 (the dot tile: the 784-10-10 network\'s first layer)', makeCase(64, 10, 784, { bias: true, act: KINDS.relu })],
    ['NT 9x5x99 (the dot tile, k off its 4-float steps, a lone last row)', makeCase(9, 5, 99, { transB: true, beta: 0.5, act: KINDS.tanh })],
  ];
  for (const [name, g] of cases) {
    it(name, () => {
      const whole = runKernel(g);
      const a = upload(g.a);
      const b = upload(g.b);
      const c = upload(g.c);
      const bias = g.bias ? upload(g.bias) : 0;
      try {
        // Splits inside a tile (1, 3, 17) and on tile boundaries (the pool's shares are whole tiles).
        for (const r of [1, 2, 3, 8, 17, TILE_ROWS, 2 * TILE_ROWS, g.m - 1].filter((r) => r > 0 && r < g.m)) {
          heapF32().set(g.c, c >>> 2);
          for (const [start, end] of [[0, r], [r, g.m]]) {
            // Rows [start, end): A moves by rows (NN) or by columns of the stored A^T (TN); C by rows.
            const aOffset = 4 * start * (g.transA ? 1 : g.lda);
            gemm({
              transA: g.transA, transB: g.transB, m: end - start, n: g.n, k: g.k,
              alpha: g.alpha, a: a + aOffset, lda: g.lda, b, ldb: g.ldb, beta: g.beta,
              c: c + 4 * start * g.ldc, ldc: g.ldc, bias, activation: g.act as 0, activationParam: g.actParam,
            });
          }
          const split = heapU8().slice(c, c + 4 * g.c.length);
          expect(Buffer.from(split).equals(Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength)), `split at row ${r}`).toBe(true);
        }
      } finally {
        for (const p of [a, b, c, bias]) if (p !== 0) release(p);
      }
    });
  }
});

describe("gemm's update epilogue (saved: fit's fused SGD step of a Dense kernel)", () => {
  const LR = 0.1;
  /** The pack scratch every call below fits (the widest panels at these sizes). */
  const packFor = (m: number, n: number, k: number): number => allocate(Math.max(16, kernels.gemmPackBytes(m, n, k, 1), kernels.gemmPackBytes(m, n, k, 0)));

  /**
   * C = w - lr * op(A) op(B) with the old w saved, against the same GEMM writing the gradient g (alpha 1,
   * beta 0) followed by the sgd kernel on w (gScale 1, no clip): the bits of w, of the saved copy and the
   * results must agree exactly, and nothing outside the m x n elements (C's and saved's row padding) changes.
   */
  function checkUpdate(m: number, n: number, k: number, transA: boolean, transB: boolean, pad: number, poison?: { row: number }): void {
    const g = makeCase(m, n, k, { transA, transB, pad });
    if (poison !== undefined) {
      // An Inf in op(A)'s row `row`: every gradient element of that row is Inf or NaN.
      const at = transA ? poison.row : poison.row * g.lda;
      g.a[at] = Infinity;
    }
    const a = upload(g.a);
    const b = upload(g.b);
    const w = upload(g.c);
    const saved = upload(new Float32Array(g.c.length).fill(-7));
    const grad = upload(new Float32Array(m * n));
    const wSeparate = upload(new Float32Array(m * n));
    const savedSeparate = upload(new Float32Array(m * n));
    const pack = packFor(m, n, k);
    const ta = transA ? 1 : 0;
    const tb = transB ? 1 : 0;
    try {
      const flag = kernels.gemm(ta, tb, m, n, k, -LR, a, g.lda, b, g.ldb, 1, w, g.ldc, 0, 0, 0, pack, saved);
      kernels.gemm(ta, tb, m, n, k, 1, a, g.lda, b, g.ldb, 0, grad, n, 0, 0, 0, pack, 0);
      const f = heapF32();
      for (let i = 0; i < m; i++) f.set(g.c.subarray(i * g.ldc, i * g.ldc + n), (wSeparate >>> 2) + i * n);
      const separateFlag = kernels.sgd(wSeparate, grad, m * n, LR, 1, Infinity, savedSeparate);
      const what = `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${m}x${n}x${k} pad ${pad}`;
      expect(flag, what).toBe(separateFlag);
      expect(flag, what).toBe(poison === undefined ? 0 : 1);
      const heap = heapF32();
      for (let i = 0; i < m; i++) {
        const rowOf = (ptr: number, ld: number): Float32Array => heap.slice((ptr >>> 2) + i * ld, (ptr >>> 2) + i * ld + ld);
        const fused = rowOf(w, g.ldc);
        const copy = rowOf(saved, g.ldc);
        const expectedW = rowOf(wSeparate, n);
        const expectedSaved = rowOf(savedSeparate, n);
        expect(Buffer.from(fused.buffer, 0, 4 * n).equals(Buffer.from(expectedW.buffer)), `${what}: w row ${i}`).toBe(true);
        expect(Buffer.from(copy.buffer, 0, 4 * n).equals(Buffer.from(expectedSaved.buffer)), `${what}: saved row ${i}`).toBe(true);
        for (let j = n; j < g.ldc; j++) {
          expect(Object.is(fused[j], Math.fround(g.c[i * g.ldc + j])), `${what}: w padding [${i},${j}] written`).toBe(true);
          expect(copy[j], `${what}: saved padding [${i},${j}] written`).toBe(-7);
        }
      }
    } finally {
      for (const p of [a, b, w, saved, grad, wSeparate, savedSeparate, pack]) release(p);
    }
  }

  it('equals the gradient GEMM followed by the sgd kernel, bit for bit, on every tile and edge (both builds), every transpose, strided', () => {
    const shapes: [number, number, number][] = [
      [1, 1, 1], [2, 3, 5], [7, 10, 64], [13, 45, 17], [64, 10, 784], [130, 130, 64], [31, 17, 9], [6, 4, 3], [784, 10, 64], [128, 10, 64],
      // Right edges of 6 and 7 columns (45 above: 5), which the relaxed build's 6x8 tile stores in part.
      [20, 15, 9], [11, 14, 33],
    ];
    for (const [m, n, k] of shapes) {
      for (const combo of COMBOS) checkUpdate(m, n, k, combo.transA, combo.transB, (m + n) % 3);
    }
  });

  it('the W1 and W3 kernels: 784x128 and 512x512 from k = 64 and 128 (TN)', () => {
    checkUpdate(784, 128, 64, true, false, 0);
    checkUpdate(512, 512, 128, true, false, 0);
  });

  it('returns 1 when a stored value is not finite (an Inf in a row of op(A)), with the old values still saved', () => {
    for (const combo of COMBOS) {
      checkUpdate(13, 45, 17, combo.transA, combo.transB, 1, { row: 12 });
      checkUpdate(20, 15, 9, combo.transA, combo.transB, 0, { row: 5 });
      checkUpdate(784, 10, 64, combo.transA, combo.transB, 0, { row: 0 });
      checkUpdate(9, 3, 97, combo.transA, combo.transB, 2, { row: 4 });
    }
  });

  it('traps before touching C when given a bias, an activation or beta other than 1', () => {
    const [m, n, k] = [6, 8, 5];
    const a = upload(randomValues(m * k, 1));
    const b = upload(randomValues(k * n, 2));
    const values = randomValues(m * n, 3);
    const w = upload(values);
    const saved = upload(new Float32Array(m * n));
    const bias = upload(randomValues(n, 4));
    const pack = packFor(m, n, k);
    try {
      const calls: [string, () => number][] = [
        ['bias', () => kernels.gemm(0, 0, m, n, k, -LR, a, k, b, n, 1, w, n, bias, 0, 0, pack, saved)],
        ['relu', () => kernels.gemm(0, 0, m, n, k, -LR, a, k, b, n, 1, w, n, 0, KINDS.relu, 0, pack, saved)],
        ['beta 0', () => kernels.gemm(0, 0, m, n, k, -LR, a, k, b, n, 0, w, n, 0, 0, 0, pack, saved)],
        ['beta 0.5', () => kernels.gemm(0, 0, m, n, k, -LR, a, k, b, n, 0.5, w, n, 0, 0, 0, pack, saved)],
      ];
      for (const [what, call] of calls) {
        expect(call, what).toThrow(WebAssembly.RuntimeError);
        expect(Array.from(heapF32().subarray(w >>> 2, (w >>> 2) + m * n)), what).toEqual(Array.from(values));
      }
    } finally {
      for (const p of [a, b, w, saved, bias, pack]) release(p);
    }
  });
});

describe('gemm packing scratch', () => {
  it('gemmPackBytes: all of op(B) when packed over several row blocks, one panel when packed for one, the n % 4 tail alone otherwise, else 0', () => {
    // k = 784: blocks of 82 rows in the plain build, 78 in the relaxed one (256 KiB of A, whole tiles).
    expect(BLOCK_ROWS_784).toBe(sn.backendInfo().relaxedSimd ? 78 : 82);
    // One panel of the widest tile (2x16), which any transA may run.
    const panelBytes = 16 * 784 * 4;
    expect(gemmPackBytes(BLOCK_ROWS_784, 128, 784, false)).toBe(panelBytes);
    expect(gemmPackBytes(BLOCK_ROWS_784 + 1, 128, 784, false)).toBe(128 * 784 * 4);
    expect(gemmPackBytes(1000, 45, 784, true)).toBe(48 * 784 * 4);
    expect(gemmPackBytes(1000, 41, 784, true)).toBe(48 * 784 * 4);
    expect(gemmPackBytes(1000, 36, 784, true)).toBe(48 * 784 * 4);
    expect(gemmPackBytes(64, 128, 784, false)).toBe(panelBytes);
    expect(gemmPackBytes(2, 128, 784, true)).toBe(panelBytes);
    expect(gemmPackBytes(2, 128, 784, false)).toBe(0);
    expect(gemmPackBytes(2, 130, 784, false)).toBe(16 * 784);
    expect(gemmPackBytes(64, 128, 0, true)).toBe(0);
    // The dot tile's packed columns (n up to a multiple of 5, k up to one of 4) when it may run, if they are more.
    expect(gemmPackBytes(2, 10, 784, false)).toBe(10 * 784 * 4);
    expect(gemmPackBytes(2, 9, 97, false)).toBe(10 * 100 * 4);
    expect(gemmPackBytes(64, 10, 784, false)).toBe(panelBytes);
  });

  it('is all the kernel writes: the bytes just past gemmPackBytes stay untouched, on one row block and on several', () => {
    const shapes: [number, number, number][] = [
      [9, 45, 17], [BLOCK_ROWS_784, 128, 784], [BLOCK_ROWS_784 + 1, 128, 784], [BLOCK_ROWS_784 + 1, 36, 784], [70, 20, 2000], [70, 24, 2000], [300, 45, 1000], [5, 33, 40],
      [2, 10, 784], [3, 9, 97], [1, 5, 99], [64, 10, 784],
    ];
    for (const combo of COMBOS) {
      for (const [m, n, k] of shapes) {
        const g = makeCase(m, n, k, combo);
        const bytes = gemmPackBytes(m, n, k, combo.transB);
        expect(bytes, `${label(combo)} ${m}x${n}x${k} packs`).toBeGreaterThan(0);
        const pack = allocate(bytes + 64);
        const guard = heapU8().subarray(pack + bytes, pack + bytes + 64);
        guard.fill(0xa5);
        try {
          expect(firstMismatch(g, runKernel(g, pack))).toBeNull();
          expect(heapU8().subarray(pack + bytes, pack + bytes + 64).every((v) => v === 0xa5), `${label(combo)} ${m}x${n}x${k}`).toBe(true);
        } finally {
          release(pack);
        }
      }
    }
  });

  it('is reserved on first use, counted by memory(), reused, and freed by releaseGemmScratch()', () => {
    releaseGemmScratch();
    const base = sn.memory();
    const a = sn.tensor(randomValues(64 * 300, 1), [64, 300]);
    const b = sn.tensor(randomValues(300 * 10, 2), [300, 10]);
    const withInputs = sn.memory();
    for (let i = 0; i < 3; i++) sn.matmul(a, b).dispose();
    expect(gemmScratchBytes()).toBeGreaterThanOrEqual(64 * 300);
    expect(sn.memory()).toEqual({ tensors: withInputs.tensors, bytes: withInputs.bytes + gemmScratchBytes() });
    releaseGemmScratch();
    expect(sn.memory()).toEqual(withInputs);
    a.dispose();
    b.dispose();
    expect(sn.memory()).toEqual(base);
  });
});

describe('matmul()', () => {
  const t = (rows: number, cols: number, seed = rows * 31 + cols): sn.Tensor => sn.tensor(randomValues(rows * cols, seed), [rows, cols]);

  it('multiplies, transposes, fuses bias and activation, and writes into out', () => {
    const a = sn.tensor([[1, 2, 3], [4, 5, 6]]);
    const b = sn.tensor([[1, -1], [0, 2], [-1, 1]]);
    const c = sn.matmul(a, b);
    expect(c.shape).toEqual([2, 2]);
    expect(c.toArray()).toEqual([[-2, 6], [-2, 12]]);
    const bias = sn.tensor([3, -20], [2]);
    const out = sn.zeros([2, 2]);
    expect(sn.matmul(a, b, { bias, activation: 'relu', out })).toBe(out);
    expect(out.toArray()).toEqual([[1, 0], [1, 0]]);
    // out = -1 * a b + 2 * out
    sn.matmul(a, b, { out, alpha: -1, beta: 2 });
    expect(out.toArray()).toEqual([[4, -6], [4, -12]]);
    const at = sn.tensor([[1, 4], [2, 5], [3, 6]]);
    const bt = sn.tensor([[1, 0, -1], [-1, 2, 1]]);
    const c2 = sn.matmul(at, bt, { transposeA: true, transposeB: true, alpha: 2 });
    expect(c2.toArray()).toEqual([[-4, 12], [-4, 24]]);
    for (const x of [a, b, c, bias, out, at, bt, c2]) x.dispose();
  });

  it('rejects mismatched shapes with a RangeError naming both', () => {
    const a = t(2, 3);
    const b = t(4, 5);
    expect(() => sn.matmul(a, b)).toThrow(RangeError);
    expect(() => sn.matmul(a, b)).toThrow('matmul: inner dimensions differ: a [2,3] x b [4,5]');
    expect(() => sn.matmul(a, b, { transposeA: true })).toThrow(/a\^T \[2,3\] x b \[4,5\]/);
    const v = sn.tensor([1, 2, 3], [3]);
    expect(() => sn.matmul(a, v)).toThrow(/2-D: a \[2,3\] x b \[3\]/);
    a.dispose();
    b.dispose();
    v.dispose();
  });

  it('rejects a wrong out, bias, beta or activation before touching out or memory', () => {
    const a = t(2, 3);
    const b = t(3, 4);
    const out = sn.tensor(7, [2, 4]);
    const wrongOut = t(4, 2);
    const wrongBias = sn.tensor([1, 2, 3], [3]);
    sn.matmul(a, b).dispose(); // reserves the packing scratch, so memory() below is a fair baseline
    const base = sn.memory();
    expect(() => sn.matmul(a, b, { out: wrongOut })).toThrow(RangeError);
    expect(() => sn.matmul(a, b, { out: wrongOut })).toThrow('matmul: out [4,2] must be [2,4]');
    expect(() => sn.matmul(a, b, { out, bias: wrongBias })).toThrow(/bias \[3\] must be \[4\] or \[1,4\]/);
    expect(() => sn.matmul(a, b, { beta: 1 })).toThrow(/beta = 1 accumulates into out/);
    expect(() => sn.matmul(a, b, { out, activation: 'swish' as 'relu' })).toThrow(TypeError);
    expect(() => sn.matmul(a, b, { out, alpha: Number.NaN })).toThrow(TypeError);
    expect(() => sn.matmul(a, b, { out: a })).toThrow(RangeError);
    expect(() => sn.matmul(a, [1, 2] as unknown as sn.Tensor)).toThrow(TypeError);
    expect(Array.from(out.data)).toEqual(new Array(8).fill(7));
    expect(sn.memory()).toEqual(base);
    for (const x of [a, b, out, wrongOut, wrongBias]) x.dispose();
  });

  it('throws on disposed tensors', () => {
    const a = t(2, 3);
    const b = t(3, 4);
    b.dispose();
    expect(() => sn.matmul(a, b)).toThrow(/disposed/);
    a.dispose();
  });

  it('does not leak: repeated calls return memory() to its value after the first', () => {
    const a = t(33, 70);
    const b = t(70, 18);
    const bias = sn.tensor(randomValues(18, 9), [18]);
    sn.matmul(a, b, { bias, activation: 'sigmoid' }).dispose();
    const base = sn.memory();
    for (let i = 0; i < 20; i++) sn.matmul(a, b, { bias, activation: 'sigmoid', transposeA: false }).dispose();
    expect(sn.memory()).toEqual(base);
    for (const x of [a, b, bias]) x.dispose();
  });
});
