// Thread pool (src/backend/pool.ts, src/backend/worker.ts): thread count API and SIMDNET_THREADS, GEMM split
// by rows bit-identical to one thread on awkward shapes (and within the float64 reference's rounding bound),
// optimizer updates and row gathers split bit-identically (with the non-finite flag from every thread),
// im2col/col2im and a Conv2D layer split by images bit-identically, a job that traps in a worker, a
// terminated worker, memory growth under running workers, and scripts that exit by themselves while workers exist.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';
import * as pool from '../dist/backend/pool.js';
import { backend, kernels } from '../dist/backend/wasm.js';
import { allocate, heapF32, heapU8, release } from '../dist/backend/allocator.js';
import { gemmScratchBytes, releaseGemmScratch } from '../dist/ops/matmul.js';
import { KINDS } from './reference/activations.js';
import { gemmReference, type GemmCase } from './reference/gemm.js';
import { randomValues as uniform } from './reference/random.js';

const U = 2 ** -24;
const distIndex = new URL('../dist/index.js', import.meta.url).href;

/** Deterministic uniform float32 values in [lo, hi) (test/reference/random.ts). */
const randomValues = (n: number, seed: number, lo = -1, hi = 1): Float32Array => uniform(n, lo, hi, seed);

/** The reference's sizes and scalars; the arrays are generated from the seed, `bias` says whether there is one. */
interface Case extends Pick<GemmCase, 'transA' | 'transB' | 'm' | 'n' | 'k' | 'alpha' | 'beta' | 'act' | 'actParam'> {
  bias: boolean;
  /** Extra floats at the end of each stored row of A, B and C. */
  pad: number;
  /** Puts NaN into A at these (row of op(A), p) positions. */
  nans?: [number, number][];
}

/** A GEMM in wasm memory; `run(fn)` resets C, calls fn with the kernel's arguments and returns C's bits. */
function setUp(g: Case) {
  const lda = (g.transA ? g.m : g.k) + g.pad;
  const ldb = (g.transB ? g.k : g.n) + g.pad;
  const ldc = g.n + g.pad;
  const aValues = randomValues((g.transA ? g.k : g.m) * lda, g.m * 7 + g.k);
  for (const [i, p] of g.nans ?? []) aValues[g.transA ? p * lda + i : i * lda + p] = Number.NaN;
  const bValues = randomValues((g.transB ? g.n : g.k) * ldb, g.n * 13 + g.k);
  const cValues = randomValues(g.m * ldc, g.m + g.n);
  const biasValues = randomValues(g.n, 99);
  const a = allocate(aValues.length * 4);
  const b = allocate(bValues.length * 4);
  const c = allocate(cValues.length * 4);
  const bias = g.bias ? allocate(g.n * 4) : 0;
  const packBytes = kernels.gemmPackBytes(g.m, g.n, g.k, g.transB ? 1 : 0);
  const pack = packBytes > 0 ? allocate(packBytes) : 0;
  heapF32().set(aValues, a / 4);
  heapF32().set(bValues, b / 4);
  if (bias !== 0) heapF32().set(biasValues, bias / 4);
  const args = [
    g.transA ? 1 : 0, g.transB ? 1 : 0, g.m, g.n, g.k, g.alpha, a, lda, b, ldb,
    g.beta, c, ldc, bias, g.act, g.actParam, pack,
  ] as Parameters<typeof kernels.gemm>;
  return {
    run(fn: (...x: Parameters<typeof kernels.gemm>) => void): Uint32Array {
      heapF32().set(cValues, c / 4);
      fn(...args);
      return new Uint32Array(heapU8().slice(c, c + cValues.length * 4).buffer);
    },
    reference: () =>
      gemmReference({
        transA: g.transA, transB: g.transB, m: g.m, n: g.n, k: g.k, alpha: g.alpha, a: aValues, lda,
        b: bValues, ldb, beta: g.beta, c: cValues, ldc, bias: g.bias ? biasValues : null, act: g.act, actParam: g.actParam,
      }),
    ldc,
    free: () => [a, b, c, bias, pack].filter((p) => p !== 0).forEach(release),
  };
}

/**
 * Float32 result vs the float64 reference: Higham (2002) eq. (3.5), |error| <= gamma_{k+4} * magnitude for
 * the k-term dot product plus 4 epilogue roundings; the activations are 1-Lipschitz (0.25 for sigmoid, the
 * leaky slope here is 0.3) and add at most 3e-7 relative (measured bound of test/activations.test.ts).
 */
function expectNearReference(bits: Uint32Array, g: Case, ldc: number, ref: ReturnType<typeof gemmReference>): void {
  const values = new Float32Array(bits.buffer);
  const nk = g.k + 4;
  for (let i = 0; i < g.m; i++) {
    for (let j = 0; j < g.n; j++) {
      const got = values[i * ldc + j];
      const want = ref.value[i * g.n + j];
      if (Number.isNaN(want)) {
        expect(got, `C[${i},${j}]`).toBeNaN();
        continue;
      }
      const bound = ((nk * U) / (1 - nk * U)) * ref.magnitude[i * g.n + j] + nk * 2 ** -149 + 3e-7 * Math.abs(want);
      expect(Math.abs(got - want), `C[${i},${j}] of ${g.m}x${g.n}x${g.k}`).toBeLessThanOrEqual(bound);
    }
  }
}

/** Index of the first element whose bits differ, or -1 (a loop: toEqual on big typed arrays is slow). */
function firstDifference(x: Uint32Array, y: Uint32Array): number {
  if (x.length !== y.length) return 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/**
 * Calls `split` (which checks its own result) until a worker has computed a share, for up to 10 s: on a busy
 * machine a descheduled worker may miss several calls, whose shares the caller then computes itself. Calls
 * come in bursts: a worker woken by the first call of a burst polls, and claims a later one even when the
 * caller's share is shorter than a wake-up.
 */
async function untilAWorkerShares(split: () => void): Promise<void> {
  const start = pool.poolStatus().workerShares;
  const deadline = performance.now() + 10_000;
  while (pool.poolStatus().workerShares === start && performance.now() < deadline) {
    for (let i = 0; i < 20 && pool.poolStatus().workerShares === start; i++) split();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  expect(pool.poolStatus().workerShares).toBeGreaterThan(start);
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1], [4, 1, 1], [5, 3, 2], [7, 13, 5], [13, 17, 19], [14, 9, 11], [31, 37, 41], [20, 41, 33], [97, 61, 53], [130, 33, 7],
  [64, 128, 784],
];
/** The loaded build's GEMM tile (assembly/gemm.ts), which the pool's shares follow: rows per tile, columns per panel. */
/** The GEMM's row-share granule, and its tile's rows (which set its row blocks). */
const ROW_GRANULE = kernels.gemmRowGranule();
const TILE_ROWS = sn.backendInfo().relaxedSimd ? 6 : 2;
const PANEL = kernels.gemmPanelWidth();
const EPILOGUES = [
  { alpha: 1, beta: 0, bias: false, act: KINDS.linear, actParam: 0 },
  { alpha: -0.5, beta: 0.75, bias: true, act: KINDS.leakyRelu, actParam: 0.3 },
  { alpha: 1.25, beta: 0, bias: true, act: KINDS.sigmoid, actParam: 0 },
  { alpha: 1, beta: -1, bias: false, act: KINDS.tanh, actParam: 0 },
];

let defaultThreshold = 0;
let initialThreads = 1;
beforeAll(() => {
  initialThreads = sn.getThreads();
  // Split every call, even 1x1 GEMMs, to test the split on awkward shapes, also on a busy machine.
  defaultThreshold = pool.setGemmThreshold(0);
  pool.setAdaptiveSplitting(false);
});
afterAll(async () => {
  pool.setGemmThreshold(defaultThreshold);
  pool.setAdaptiveSplitting(true);
  await sn.setThreads(initialThreads);
});

describe('setThreads / getThreads', () => {
  it('defaults to the available cores (SIMDNET_THREADS unset) and validates counts before changing anything', async () => {
    if (process.env.SIMDNET_THREADS === undefined) expect(sn.getThreads()).toBe(availableParallelism());
    await sn.setThreads(2);
    expect(() => sn.setThreads('3' as unknown as number)).toThrow(TypeError);
    expect(() => sn.setThreads(0)).toThrow(RangeError);
    expect(() => sn.setThreads(1.5)).toThrow(/whole number from 1 to 256, got 1.5/);
    expect(() => sn.setThreads(257)).toThrow(RangeError);
    expect(() => sn.setThreads(Number.NaN)).toThrow(RangeError);
    expect(sn.getThreads()).toBe(2);
  });

  it('starts threads - 1 workers, and 1 means none: the call then stays on the calling thread', async () => {
    await sn.setThreads(3);
    expect(pool.poolStatus()).toMatchObject({ threads: 3, workers: 2, readyWorkers: 2 });
    await sn.setThreads(1);
    expect(pool.poolStatus()).toMatchObject({ threads: 1, workers: 0 });
    const g = setUp({ transA: false, transB: false, m: 64, n: 32, k: 32, pad: 0, ...EPILOGUES[0] });
    const before = pool.poolStatus().parallelCalls;
    g.run(pool.parallelGemm);
    expect(pool.poolStatus().parallelCalls).toBe(before);
    g.free();
  });

  it('reads SIMDNET_THREADS, and rejects a bad value at import with a RangeError naming it', () => {
    const script = `const sn = await import(${JSON.stringify(distIndex)}); console.log(sn.getThreads());`;
    const run = (value: string) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, SIMDNET_THREADS: value },
        encoding: 'utf8',
        timeout: 30_000,
      });
    expect(run('3').stdout.trim()).toBe('3');
    const bad = run('lots');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/RangeError: SIMDNET_THREADS="lots" is not a thread count/);
  });
});

describe('GEMM split across threads', () => {
  for (const threads of [2, 3, 4]) {
    it(`is bit-identical to one thread with ${threads} threads, and within the float64 bound`, async () => {
      await sn.setThreads(threads);
      const start = pool.poolStatus();
      let splits = 0;
      // One chunk per thread, and 4 per thread (what large GEMMs get), claimed by whichever thread is free.
      for (const perThread of [1, 4]) {
        const previousChunking = pool.setGemmChunking(perThread, 0);
        for (const [m, n, k] of SHAPES) {
          for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
            for (const [e, epilogue] of EPILOGUES.entries()) {
              const g: Case = { transA, transB, m, n, k, pad: e === 1 ? 3 : 0, ...epilogue };
              const setup = setUp(g);
              const single = setup.run(kernels.gemm);
              const split = setup.run(pool.parallelGemm);
              expect(firstDifference(split, single), `${m}x${n}x${k} transA=${transA} transB=${transB} epilogue ${e}`).toBe(-1);
              // Split when there are two whole tiles of rows or two whole panels of columns to share.
              if (Math.floor(m / ROW_GRANULE) >= 2 || Math.floor(n / PANEL) >= 2) splits++;
              if (m * n * k < 100_000 && perThread === 1) expectNearReference(split, g, setup.ldc, setup.reference());
              setup.free();
            }
          }
        }
        pool.setGemmChunking(...previousChunking);
      }
      expect(pool.poolStatus().parallelCalls - start.parallelCalls).toBe(splits);
      // Workers really computed shares of checked results (the caller computes a share nobody claimed yet).
      const big = setUp({ transA: false, transB: true, m: 64, n: 128, k: 784, pad: 0, ...EPILOGUES[1] });
      const single = big.run(kernels.gemm);
      await untilAWorkerShares(() => expect(firstDifference(big.run(pool.parallelGemm), single)).toBe(-1));
      big.free();
    });
  }

  it("the update epilogue (fit's fused SGD step) split by rows or by columns: one thread's weights, saved copies and non-finite flag, from any thread's share", async () => {
    await sn.setThreads(3);
    // 784x128 from k = 64 (W1's kernel, transposed A), 130x10 and 31x45 (right edges), split both ways.
    for (const [m, n, k] of [[784, 128, 64], [130, 10, 64], [31, 45, 17]]) {
      for (const byColumns of [false, true]) {
        const previous = pool.setGemmSplitByColumns(byColumns);
        const a = allocate(m * k * 4);
        const b = allocate(k * n * 4);
        // The weights and their saved copy in one block: the weights first.
        const w = allocate(2 * m * n * 4);
        const saved = w + m * n * 4;
        const pack = allocate(Math.max(16, kernels.gemmPackBytes(m, n, k, 0)));
        const aValues = randomValues(m * k, m + k);
        const wValues = randomValues(m * n, n);
        heapF32().set(randomValues(k * n, k), b / 4);
        // Rows of C: A^T's columns (the stored A is k x m). `poisoned`: an Inf in that row's gradient.
        const run = (fn: typeof pool.parallelGemm, poisoned: number) => {
          heapF32().set(aValues, a / 4);
          if (poisoned >= 0) heapF32()[a / 4 + poisoned] = Infinity;
          heapF32().set(wValues, w / 4);
          heapF32().fill(0, saved / 4, saved / 4 + m * n);
          const flag = fn(1, 0, m, n, k, -0.1, a, m, b, n, 1, w, n, 0, 0, 0, pack, saved);
          return { flag, bits: new Uint32Array(heapU8().slice(w, w + 8 * m * n).buffer) };
        };
        const what = `${m}x${n}x${k} by ${byColumns ? 'columns' : 'rows'}`;
        for (const poisoned of [-1, 0, m >> 1, m - 1]) {
          const one = run((...args) => kernels.gemm(...args), poisoned);
          const split = run(pool.parallelGemm, poisoned);
          expect(one.flag, what).toBe(poisoned < 0 ? 0 : 1);
          expect(split.flag, `${what}, Inf in row ${poisoned}`).toBe(one.flag);
          expect(firstDifference(split.bits, one.bits), `${what}, Inf in row ${poisoned}`).toBe(-1);
        }
        await untilAWorkerShares(() => expect(run(pool.parallelGemm, m - 1).flag).toBe(1));
        pool.setGemmSplitByColumns(previous);
        [a, b, w, pack].forEach(release);
      }
    }
  });

  it('puts NaN where one thread does, in the rows of every thread', async () => {
    await sn.setThreads(3);
    const g: Case = { transA: false, transB: false, m: 12, n: 9, k: 5, pad: 0, ...EPILOGUES[0], nans: [[0, 2], [5, 0], [11, 4]] };
    const setup = setUp(g);
    const split = setup.run(pool.parallelGemm);
    expect(split).toEqual(setup.run(kernels.gemm));
    expectNearReference(split, g, setup.ldc, setup.reference());
    const values = new Float32Array(split.buffer);
    for (let i = 0; i < 12; i++) expect(Number.isNaN(values[i * 9]), `row ${i}`).toBe([0, 5, 11].includes(i));
    setup.free();
  });

  it('sn.matmul on 2 threads equals 1 thread bit for bit (64x784 x 784x128, bias, relu)', async () => {
    const a = sn.tensor(randomValues(64 * 784, 1), [64, 784]);
    const b = sn.tensor(randomValues(784 * 128, 2), [784, 128]);
    const bias = sn.tensor(randomValues(128, 3), [128]);
    await sn.setThreads(1);
    const one = sn.matmul(a, b, { bias, activation: 'relu' });
    await sn.setThreads(2);
    const before = pool.poolStatus().parallelCalls;
    const two = sn.matmul(a, b, { bias, activation: 'relu' });
    expect(pool.poolStatus().parallelCalls).toBe(before + 1);
    expect(new Uint32Array(two.data.slice().buffer)).toEqual(new Uint32Array(one.data.slice().buffer));
    for (const t of [a, b, bias, one, two]) t.dispose();
  });

  it('keeps each worker\'s scratch between calls (counted by memory()) until releaseGemmScratch()', async () => {
    await sn.setThreads(2);
    const g = setUp({ transA: false, transB: true, m: 40, n: 50, k: 60, pad: 0, ...EPILOGUES[0] });
    releaseGemmScratch();
    const before = sn.memory();
    const splitsBefore = pool.poolStatus().parallelCalls;
    g.run(pool.parallelGemm);
    const afterFirst = sn.memory();
    for (let i = 0; i < 5; i++) g.run(pool.parallelGemm);
    expect(pool.poolStatus().parallelCalls).toBe(splitsBefore + 6);
    // 40 rows are under 64 per thread, so the split goes by columns: the worker's share (columns 32..49)
    // packs its panels of op(B) = B^T into its own scratch.
    expect(gemmScratchBytes()).toBe(kernels.gemmPackBytes(40, 18, 60, 1));
    expect(afterFirst.bytes - before.bytes).toBe(gemmScratchBytes());
    expect(sn.memory()).toEqual(afterFirst);
    releaseGemmScratch();
    expect(gemmScratchBytes()).toBe(0);
    expect(sn.memory()).toEqual(before);
    g.free();
  });

  it('sizes the workers\' scratch for the last column chunk, which alone packs n\'s tail (n % 4 columns)', async () => {
    await sn.setThreads(2);
    // 3 rows read B in place and pack only the 45 % 4 = 1 column tail; the 45 columns split into a chunk of
    // whole panels (nothing to pack) and a last chunk that holds the tail. Sized for the largest chunk alone,
    // the worker got a scratch of 0 bytes and packed its tail at address 0, over the module's static data.
    const staticBytes = kernels.heapBase();
    for (const transA of [false, true]) {
      const g = setUp({ transA, transB: false, m: 3, n: 45, k: 1000, pad: 0, ...EPILOGUES[0] });
      const one = g.run(kernels.gemm);
      releaseGemmScratch();
      const data = heapU8().slice(0, staticBytes);
      const splitsBefore = pool.poolStatus().parallelCalls;
      const two = g.run(pool.parallelGemm);
      expect(pool.poolStatus().parallelCalls, `transA ${transA}: split`).toBe(splitsBefore + 1);
      expect(gemmScratchBytes(), `transA ${transA}: scratch for the tail's panel`).toBeGreaterThan(0);
      expect(Buffer.from(heapU8().slice(0, staticBytes)).equals(Buffer.from(data)), `transA ${transA}: static data`).toBe(true);
      expect(two).toEqual(one);
      g.free();
    }
    releaseGemmScratch();
  });

  it('sees memory grown after the workers started', async () => {
    await sn.setThreads(2);
    const pagesBefore = backend.memory.buffer.byteLength;
    const filler = allocate(pagesBefore + 32 * 2 ** 20);
    const g = setUp({ transA: true, transB: false, m: 96, n: 80, k: 70, pad: 1, ...EPILOGUES[2] });
    expect(backend.memory.buffer.byteLength).toBeGreaterThan(pagesBefore);
    const single = g.run(kernels.gemm);
    await untilAWorkerShares(() => expect(firstDifference(g.run(pool.parallelGemm), single)).toBe(-1));
    g.free();
    release(filler);
  });
});

describe('row kernels split across threads (optimizer updates, gather)', () => {
  type Method = 'sgd' | 'momentum' | 'nesterov' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad';
  const METHODS: Method[] = ['sgd', 'momentum', 'nesterov', 'adam', 'adamw', 'rmsprop', 'adagrad'];
  const KERNEL = { sgd: 'sgd', momentum: 'sgdMomentum', nesterov: 'sgdMomentum', adam: 'adam', adamw: 'adam', rmsprop: 'rmsprop', adagrad: 'adagrad' } as const;

  /**
   * One update of a rows x cols parameter (w, g and three state buffers, with saved copies unless `save` is
   * false) by `run`, from the same start every time; returns the bits of the buffers and the kernel's result.
   * Gradients are clipped (scale 0.9, value 1.5) unless poisoned, so the clip is split-tested too; RMSprop
   * runs centered with momentum (all three slots).
   */
  function updateOnce(
    method: Method, rows: number, cols: number, run: (name: pool.RowKernel, args: number[]) => number, poison: number[] = [], save = true,
  ) {
    const n = rows * cols;
    const buffers = Array.from({ length: 9 }, () => allocate(Math.max(1, n) * 4));
    const [w, g, s0, s1, s2] = buffers;
    const [savedW, saved0, saved1, saved2] = save ? buffers.slice(5) : [0, 0, 0, 0];
    heapF32().set(randomValues(n, 1), w / 4);
    const grads = randomValues(n, 2);
    for (const i of poison) grads[i] = 1e38; // overflows w - lr * g (lr 1e4 below) to -Inf
    heapF32().set(grads, g / 4);
    heapF32().set(randomValues(n, 3, 0.2, 1), s0 / 4); // RMSprop's mean square: centered, s - a^2 stays > 0
    heapF32().set(randomValues(n, 4, 0, 1), s1 / 4);
    heapF32().set(randomValues(n, 5, -0.1, 0.1), s2 / 4);
    const lr = poison.length > 0 ? 1e4 : 0.01;
    const [scale, clip] = poison.length > 0 ? [1, Infinity] : [0.9, 1.5];
    const args =
      method === 'sgd' ? [w, g, n, lr, scale, clip, savedW]
      : method === 'adam' || method === 'adamw' ? [w, g, s0, s1, n, lr, 0.9, 0.999, 1e-7, 0.1, 0.001, method === 'adamw' ? 0.99 : 1, scale, clip, savedW, saved0, saved1]
      : method === 'rmsprop' ? [w, g, s0, s1, s2, n, lr, 0.9, 0.5, 1e-7, scale, clip, savedW, saved0, saved1, saved2]
      : method === 'adagrad' ? [w, g, s0, n, lr, 1e-7, scale, clip, savedW, saved0]
      : [w, g, s0, n, lr, 0.9, method === 'nesterov' ? 1 : 0, scale, clip, savedW, saved0];
    const result = run(KERNEL[method], args);
    const bits = buffers.slice(0, save ? 9 : 5).map((p) => Array.from(new Uint32Array(heapU8().slice(p, p + n * 4).buffer)));
    buffers.forEach(release);
    return { bits, result };
  }

  const single = (name: pool.RowKernel, args: number[]) => (kernels[name] as (...a: number[]) => number)(...args);
  const split = (rows: number, cols: number) => (name: pool.RowKernel, args: number[]) => pool.parallelRows(name, rows, cols, args);
  let defaultRowsThreshold = 0;
  beforeAll(() => {
    defaultRowsThreshold = pool.setRowsThreshold(0);
  });
  afterAll(() => {
    pool.setRowsThreshold(defaultRowsThreshold);
  });

  for (const threads of [2, 3]) {
    it(`updates every parameter bit-identically to one thread with ${threads} threads (weights, state, saved copies)`, async () => {
      await sn.setThreads(threads);
      const before = pool.poolStatus().parallelCalls;
      let splits = 0;
      for (const [rows, cols] of [[1, 1], [4, 1], [5, 3], [7, 13], [31, 37], [130, 33], [784, 128]]) {
        for (const method of METHODS) {
          const one = updateOnce(method, rows, cols, single);
          const many = updateOnce(method, rows, cols, split(rows, cols));
          expect(many.bits, `${method} ${rows}x${cols}`).toEqual(one.bits);
          expect(many.result, `${method} ${rows}x${cols}`).toBe(0);
          // Without a snapshot the saved pointers are 0 ("none") in every share: nothing is written anywhere else.
          const lowMemory = heapU8().slice(0, 65536);
          const unsaved = updateOnce(method, rows, cols, split(rows, cols), [], false);
          expect(unsaved.bits, `${method} ${rows}x${cols} without saving`).toEqual(one.bits.slice(0, 5));
          expect(heapU8().slice(0, 65536)).toEqual(lowMemory);
          if (rows >= 4) splits += 2;
        }
      }
      expect(pool.poolStatus().parallelCalls - before).toBe(splits);
      const one = updateOnce('adam', 784, 128, single);
      await untilAWorkerShares(() => expect(updateOnce('adam', 784, 128, split(784, 128)).bits).toEqual(one.bits));
    });
  }

  it('sums squares per row (clipNorm) bit-identically to one thread', async () => {
    await sn.setThreads(3);
    for (const [rows, cols] of [[1, 1], [4, 1], [7, 13], [31, 37], [784, 128]]) {
      const x = allocate(rows * cols * 4);
      heapF32().set(randomValues(rows * cols, 6), x / 4);
      const [a, b] = [allocate(rows * 8), allocate(rows * 8)];
      single('sumSquaresRows', [x, a, rows, cols]);
      split(rows, cols)('sumSquaresRows', [x, b, rows, cols]);
      expect(heapU8().slice(b, b + rows * 8), `${rows}x${cols}`).toEqual(heapU8().slice(a, a + rows * 8));
      [x, a, b].forEach(release);
    }
  });

  it('reports a non-finite weight from any thread\'s rows', async () => {
    await sn.setThreads(3);
    const [rows, cols] = [30, 7];
    // Rows 0..9 go to the caller, 10..19 and 20..29 to the workers; element 2 of row r is at r * cols + 2.
    for (const method of METHODS) {
      for (const row of [0, 9, 10, 19, 29]) {
        const one = updateOnce(method, rows, cols, single, [row * cols + 2]);
        const many = updateOnce(method, rows, cols, split(rows, cols), [row * cols + 2]);
        expect(one.result, `${method}, row ${row}`).toBe(1);
        expect(many.result, `${method}, row ${row}`).toBe(1);
        expect(many.bits).toEqual(one.bits);
      }
    }
    await untilAWorkerShares(() => expect(updateOnce('sgd', rows, cols, split(rows, cols), [29 * cols]).result).toBe(1));
  });

  it('gathers rows bit-identically to one thread, indices in any order and repeated', async () => {
    await sn.setThreads(2);
    const [sourceRows, cols] = [50, 13];
    const src = allocate(sourceRows * cols * 4);
    heapF32().set(randomValues(sourceRows * cols, 5), src / 4);
    for (const count of [1, 4, 5, 33, 64]) {
      const indices = Array.from({ length: count }, (_, r) => (r * 17 + 3) % sourceRows);
      indices[count - 1] = indices[0];
      const idx = allocate(count * 4);
      new Int32Array(heapU8().buffer, idx, count).set(indices);
      const dst = allocate(count * cols * 4);
      const gathered = () => {
        heapF32().fill(-1, dst / 4, dst / 4 + count * cols);
        pool.parallelRows('gatherRows', count, cols, [src, cols, idx, count, dst]);
        return Array.from(heapF32().subarray(dst / 4, dst / 4 + count * cols));
      };
      const expected = indices.flatMap((i) => Array.from(heapF32().subarray(src / 4 + i * cols, src / 4 + (i + 1) * cols)));
      expect(gathered(), `${count} rows`).toEqual(expected);
      if (count === 64) await untilAWorkerShares(() => expect(gathered()).toEqual(expected));
      release(idx);
      release(dst);
    }
    release(src);
  });

  it('fit on 2 threads ends with the weights of 1 thread, bit for bit (SGD, whose kernels update in the gradient GEMM, SGD with momentum and Adam, onNonFinite stop)', async () => {
    const [rows, inputs] = [256, 96];
    const x = randomValues(rows * inputs, 6);
    const labels = Array.from({ length: rows }, (_, i) => i % 5);
    const train = async (threads: number, optimizer: () => sn.Optimizer) => {
      await sn.setThreads(threads);
      const model = sn.sequential([sn.layers.dense({ inputShape: [inputs], units: 40, activation: 'relu' }), sn.layers.dense({ units: 5, activation: 'softmax' })], { seed: 3 });
      model.compile({ optimizer: optimizer(), loss: 'sparseCategoricalCrossentropy' });
      await model.fit({ data: x, shape: [rows, inputs] }, labels, { epochs: 2, batchSize: 32, seed: 4, onNonFinite: 'stop' });
      const bits = model.getWeights().map((w) => Array.from(new Uint32Array(w.buffer.slice(0))));
      model.dispose();
      return bits;
    };
    for (const optimizer of [() => sn.optimizers.sgd({ learningRate: 0.05 }), () => sn.optimizers.sgd({ learningRate: 0.05, momentum: 0.9 }), () => sn.optimizers.adam()]) {
      const one = await train(1, optimizer);
      const before = pool.poolStatus();
      const two = await train(2, optimizer);
      expect(pool.poolStatus().parallelCalls).toBeGreaterThan(before.parallelCalls);
      // The next batch's inputs were gathered in the background (TrainStep's prefetch) on 2 threads.
      expect(pool.poolStatus().backgroundJobs).toBeGreaterThan(before.backgroundJobs);
      expect(two).toEqual(one);
    }
  });
});

describe('the background job (the gather of the next batch during a training step)', () => {
  /** A 64-row gather of 784 floats from 300 rows, in wasm memory; `expected` is what dst must hold after it. */
  function gatherJob(indexOf = (r: number) => (r * 37 + 11) % 300) {
    const [sourceRows, cols, count] = [300, 784, 64];
    const src = allocate(sourceRows * cols * 4);
    heapF32().set(randomValues(sourceRows * cols, 8), src / 4);
    const idx = allocate(count * 4);
    const indices = Array.from({ length: count }, (_, r) => indexOf(r));
    new Int32Array(heapU8().buffer, idx, count).set(indices);
    const dst = allocate(count * cols * 4);
    heapF32().fill(-1, dst / 4, dst / 4 + count * cols);
    const expected = indices.flatMap((i) => (i < sourceRows ? Array.from(heapF32().subarray(src / 4 + i * cols, src / 4 + (i + 1) * cols)) : []));
    return {
      args: [src, cols, idx, count, dst], count, cols, expected,
      result: () => Array.from(heapF32().subarray(dst / 4, dst / 4 + count * cols)),
      free: () => [src, idx, dst].forEach(release),
    };
  }

  it('runs on a worker while split GEMMs go on (their bits unchanged), and finishBackground collects it', async () => {
    await sn.setThreads(2);
    const g = setUp({ transA: false, transB: false, m: 64, n: 128, k: 100, pad: 0, ...EPILOGUES[1] });
    const single = g.run(kernels.gemm);
    const job = gatherJob();
    const posted = pool.poolStatus().backgroundJobs;
    const ticket = pool.startBackgroundRows('gatherRows', job.count, job.cols, job.args);
    expect(ticket).toBeGreaterThan(0);
    expect(pool.poolStatus().backgroundJobs).toBe(posted + 1);
    // Split calls post to the same worker meanwhile: it claims their chunks once the gather is done.
    for (let i = 0; i < 5; i++) expect(firstDifference(g.run(pool.parallelGemm), single)).toBe(-1);
    pool.finishBackground(ticket);
    expect(job.result()).toEqual(job.expected);
    pool.finishBackground(ticket); // already collected: a no-op
    job.free();
    g.free();
  });

  it('posts no second job while one is pending (its owner runs the kernel itself), and none on one thread', async () => {
    await sn.setThreads(2);
    const job = gatherJob();
    const other = gatherJob((r) => (r * 7 + 1) % 300);
    const ticket = pool.startBackgroundRows('gatherRows', job.count, job.cols, job.args);
    expect(ticket).toBeGreaterThan(0);
    expect(pool.startBackgroundRows('gatherRows', other.count, other.cols, other.args)).toBe(0);
    pool.finishBackground(0); // another owner's "no job": leaves the pending one alone
    pool.finishBackground(ticket);
    expect(job.result()).toEqual(job.expected);
    const second = pool.startBackgroundRows('gatherRows', other.count, other.cols, other.args);
    expect(second).toBeGreaterThan(ticket);
    pool.finishBackground(second);
    expect(other.result()).toEqual(other.expected);
    await sn.setThreads(1);
    const posted = pool.poolStatus().backgroundJobs;
    expect(pool.startBackgroundRows('gatherRows', job.count, job.cols, job.args)).toBe(0);
    expect(pool.poolStatus().backgroundJobs).toBe(posted);
    job.free();
    other.free();
  });

  it('setThreads lets a pending job end before it retires the worker: nothing is lost', async () => {
    await sn.setThreads(2);
    const job = gatherJob();
    const ticket = pool.startBackgroundRows('gatherRows', job.count, job.cols, job.args);
    expect(ticket).toBeGreaterThan(0);
    await sn.setThreads(1);
    pool.finishBackground(ticket);
    expect(job.result()).toEqual(job.expected);
    job.free();
  });

  it('a job that traps throws from finishBackground, naming the job and the thread; the pool keeps working', async () => {
    await sn.setThreads(2);
    const pastTheEnd = Math.ceil(backend.memory.buffer.byteLength / (784 * 4));
    const bad = gatherJob((r) => (r < 32 ? r : pastTheEnd));
    const ticket = pool.startBackgroundRows('gatherRows', bad.count, bad.cols, bad.args);
    expect(ticket).toBeGreaterThan(0);
    expect(() => pool.finishBackground(ticket)).toThrow(
      /^simdnet thread pool: background gatherRows over 64 rows of 784: (worker \d+|the calling thread): RuntimeError: .*out of bounds/,
    );
    pool.finishBackground(ticket); // reported once
    bad.free();
    const job = gatherJob();
    const next = pool.startBackgroundRows('gatherRows', job.count, job.cols, job.args);
    expect(next).toBeGreaterThan(0);
    pool.finishBackground(next);
    expect(job.result()).toEqual(job.expected);
    job.free();
  });

  it('fit leaves no job pending when a callback stops training or throws mid-epoch', async () => {
    await sn.setThreads(2);
    const [rows, inputs] = [256, 96];
    const x = randomValues(rows * inputs, 9);
    const labels = Array.from({ length: rows }, (_, i) => i % 5);
    const model = sn.sequential([sn.layers.dense({ inputShape: [inputs], units: 40, activation: 'relu' }), sn.layers.dense({ units: 5, activation: 'softmax' })], { seed: 3 });
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const job = gatherJob();
    const posted = pool.poolStatus().backgroundJobs;
    await model.fit({ data: x, shape: [rows, inputs] }, labels, { epochs: 2, batchSize: 32, seed: 1, callbacks: { onBatchEnd: (b) => { if (b === 3) model.stopTraining = true; } } });
    expect(pool.poolStatus().backgroundJobs).toBeGreaterThan(posted);
    // A job left pending would make this return 0.
    const ticket = pool.startBackgroundRows('gatherRows', job.count, job.cols, job.args);
    expect(ticket).toBeGreaterThan(0);
    pool.finishBackground(ticket);
    await expect(model.fit({ data: x, shape: [rows, inputs] }, labels, { epochs: 1, batchSize: 32, callbacks: { onBatchEnd: (b) => { if (b === 2) throw new Error('stop here'); } } })).rejects.toThrow('stop here');
    const last = pool.startBackgroundRows('gatherRows', job.count, job.cols, job.args);
    expect(last).toBeGreaterThan(0);
    pool.finishBackground(last);
    expect(job.result()).toEqual(job.expected);
    job.free();
    model.dispose();
  });
});

describe('layer kernels split by rows (dropout, batch-norm normalize)', () => {
  let defaultRowsThreshold = 0;
  beforeAll(() => {
    defaultRowsThreshold = pool.setRowsThreshold(0);
  });
  afterAll(() => {
    pool.setRowsThreshold(defaultRowsThreshold);
  });

  /** Runs `kernel` on fresh buffers from the same start; returns the bits of every buffer. */
  function runOnce(kernel: pool.RowKernel, rows: number, cols: number, split: boolean): number[][] {
    const n = rows * cols;
    const buffers = Array.from({ length: 5 }, () => allocate(Math.max(1, n) * 4));
    const [x, y, mask, mean, variance] = buffers;
    heapF32().set(randomValues(n, 1), x / 4);
    heapF32().set(randomValues(n, 2), mask / 4);
    heapF32().set(randomValues(cols, 3), mean / 4);
    heapF32().set(randomValues(cols, 4, 0.5, 2), variance / 4);
    const args =
      kernel === 'dropoutForward' ? [x, y, mask, n, 0.3, 987654321, 0]
      : kernel === 'dropoutBackward' ? [x, mask, y, n]
      : [x, y, rows, cols, mean, variance, 0, 0, 1e-3];
    if (split) pool.parallelRows(kernel, rows, cols, args);
    else (kernels[kernel] as (...a: number[]) => void)(...args);
    const bits = buffers.slice(0, 3).map((p) => Array.from(new Uint32Array(heapU8().slice(p, p + n * 4).buffer)));
    buffers.forEach(release);
    return bits;
  }

  it('gives the bits of one thread with 2 and 3 threads (each dropout mask keyed by its element index)', async () => {
    for (const threads of [2, 3]) {
      await sn.setThreads(threads);
      const before = pool.poolStatus().parallelCalls;
      for (const kernel of ['dropoutForward', 'dropoutBackward', 'batchNormForward'] as const) {
        for (const [rows, cols] of [[4, 1], [5, 3], [7, 13], [64, 129], [128, 512]]) {
          expect(runOnce(kernel, rows, cols, true), `${kernel} ${rows}x${cols} on ${threads} threads`).toEqual(runOnce(kernel, rows, cols, false));
        }
      }
      expect(pool.poolStatus().parallelCalls - before).toBeGreaterThan(0);
    }
    await sn.setThreads(1);
  });
});

describe('pooling kernels split by images', () => {
  let defaultRowsThreshold = 0;
  beforeAll(() => {
    defaultRowsThreshold = pool.setRowsThreshold(0);
  });
  afterAll(() => {
    pool.setRowsThreshold(defaultRowsThreshold);
  });

  // [images, height, width, channels, pool (square), stride, padding]; output sizes and padding by TensorFlow's rule.
  const POOL_CASES: [number, number, number, number, number, number, 'valid' | 'same'][] = [
    [4, 5, 5, 3, 2, 1, 'valid'], [5, 7, 6, 8, 3, 2, 'same'], [7, 11, 11, 5, 2, 2, 'valid'], [6, 26, 26, 32, 2, 2, 'valid'], [9, 3, 3, 1, 2, 3, 'same'],
  ];

  /** All six pooling kernels on fresh buffers from the same inputs (through the pool when `split`); the bits of every output. */
  function runAll(c: (typeof POOL_CASES)[number], split: boolean): number[][] {
    const [images, height, width, channels, size, stride, padding] = c;
    const out = (n: number): [number, number] => {
      const o = padding === 'valid' ? Math.floor((n - size) / stride) + 1 : Math.ceil(n / stride);
      return [o, padding === 'valid' ? 0 : Math.floor(Math.max((o - 1) * stride + size - n, 0) / 2)];
    };
    const [outHeight, padTop] = out(height);
    const [outWidth, padLeft] = out(width);
    const inSize = height * width * channels;
    const outSize = outHeight * outWidth * channels;
    const geometry = [height, width, channels, outHeight, outWidth, size, size, stride, stride, padTop, padLeft];
    const [x, dy, y, argmax, dx, avgY, avgDx, globalY, globalDx] = [inSize, outSize, outSize, outSize, inSize, outSize, inSize, channels, inSize].map((n) => allocate(images * n * 4));
    heapF32().set(randomValues(images * inSize, 5), x / 4);
    heapF32().set(randomValues(images * outSize, 6), dy / 4);
    const run = (name: pool.RowKernel, cols: number, args: number[]): void => {
      if (split) pool.parallelRows(name, images, cols, args);
      else (kernels[name] as (...a: number[]) => void)(...args);
    };
    run('maxPoolForwardF32x4', outSize, [x, inSize, y, argmax, images, ...geometry]);
    run('maxPoolBackward', outSize, [dy, argmax, outSize, dx, inSize, images]);
    run('avgPoolForwardF32x4', outSize, [x, inSize, avgY, images, ...geometry]);
    run('avgPoolBackwardF32x4', outSize, [dy, avgDx, inSize, images, ...geometry]);
    run('globalAvgPoolForwardF32x4', inSize, [x, globalY, images, height * width, channels]);
    run('globalAvgPoolBackwardF32x4', inSize, [dy, globalDx, images, height * width, channels]);
    const outputs: [number, number][] = [[y, outSize], [argmax, outSize], [dx, inSize], [avgY, outSize], [avgDx, inSize], [globalY, channels], [globalDx, inSize]];
    const bits = outputs.map(([p, n]) => Array.from(new Uint32Array(heapU8().slice(p, p + images * n * 4).buffer)));
    [x, dy, y, argmax, dx, avgY, avgDx, globalY, globalDx].forEach(release);
    return bits;
  }

  it('gives the bits of one thread with 2 and 3 threads (max with argmax, average, global; forward and backward)', async () => {
    for (const threads of [2, 3]) {
      await sn.setThreads(threads);
      const before = pool.poolStatus().parallelCalls;
      for (const c of POOL_CASES) expect(runAll(c, true), `${c.join(' ')} on ${threads} threads`).toEqual(runAll(c, false));
      expect(pool.poolStatus().parallelCalls - before).toBeGreaterThan(0);
      const one = runAll(POOL_CASES[3], false);
      await untilAWorkerShares(() => expect(runAll(POOL_CASES[3], true)).toEqual(one));
    }
    await sn.setThreads(1);
  });
});

describe('convolution split by images (im2col, col2im, a Conv2D layer)', () => {
  let defaultRowsThreshold = 0;
  beforeAll(() => {
    defaultRowsThreshold = pool.setRowsThreshold(0);
  });
  afterAll(() => {
    pool.setRowsThreshold(defaultRowsThreshold);
  });

  /** Batch, image, kernel, stride, padding before and output sizes of each case ('same' pads by TensorFlow's rule). */
  const CASES = [
    { n: 5, h: 7, w: 6, c: 3, kh: 2, kw: 3, s: 1, padTop: 0, padLeft: 1, oh: 7, ow: 6 },
    { n: 4, h: 28, w: 28, c: 1, kh: 3, kw: 3, s: 1, padTop: 0, padLeft: 0, oh: 26, ow: 26 },
    { n: 7, h: 9, w: 9, c: 5, kh: 3, kw: 3, s: 2, padTop: 1, padLeft: 1, oh: 5, ow: 5 },
    { n: 6, h: 9, w: 8, c: 1, kh: 3, kw: 2, s: 2, padTop: 1, padLeft: 0, oh: 5, ow: 4 },
  ];

  /** Bits of im2colNHWC's matrix, col2imNHWC's dx and (one channel) im2colTransposedC1's matrix, split by images or on one thread. */
  function runOnce(k: (typeof CASES)[number], split: boolean): number[][] {
    const xFloats = k.n * k.h * k.w * k.c;
    const perImage = k.oh * k.ow * k.kh * k.kw * k.c;
    const x = allocate(xFloats * 4);
    const cols = allocate(k.n * perImage * 4);
    const dx = allocate(xFloats * 4);
    heapF32().set(randomValues(xFloats, 5), x / 4);
    const geometry = [k.h, k.w, k.c, k.kh, k.kw, k.s, k.s, k.padTop, k.padLeft, k.oh, k.ow];
    const colsT = allocate(k.n * perImage * 4);
    const transposedGeometry = [k.n * k.oh * k.ow, k.h, k.w, ...geometry.slice(3)];
    for (const [kernel, from, to, sizes] of [['im2colNHWC', x, cols, geometry], ['col2imNHWC', cols, dx, geometry], ['im2colTransposedC1', x, colsT, transposedGeometry]] as const) {
      if (kernel === 'im2colTransposedC1' && k.c !== 1) continue;
      const args = [from, to, 0, k.n, ...sizes];
      if (split) pool.parallelRows(kernel, k.n, perImage, args);
      else (kernels[kernel] as (...a: number[]) => void)(...args);
    }
    const bits = [cols, dx, colsT].map((p, i) => Array.from(new Uint32Array(heapU8().slice(p, p + (i === 1 ? xFloats : k.n * perImage) * 4).buffer)));
    [x, cols, dx, colsT].forEach(release);
    return bits;
  }

  it('im2col (also transposed) and col2im give the bits of one thread with 2 and 3 threads', async () => {
    for (const threads of [2, 3]) {
      await sn.setThreads(threads);
      const before = pool.poolStatus().parallelCalls;
      for (const k of CASES) expect(runOnce(k, true), `${JSON.stringify(k)} on ${threads} threads`).toEqual(runOnce(k, false));
      expect(pool.poolStatus().parallelCalls - before).toBeGreaterThan(0);
    }
    await sn.setThreads(1);
  });

  it("a Conv2D layer's output and gradients are bit-identical on 1, 2 and 3 threads", async () => {
    // The last two: on one thread the forward runs by image groups (~512 KiB of im2col rows), 3 of the 12
    // images (the digits convnet's second layer) and 21 of 45 (its first); on more, the batch is one group.
    const CONVS = [
      { images: 9, input: [12, 11, 4], options: { filters: 21, kernelSize: 3, strides: 2, padding: 'same' as const } },
      { images: 9, input: [12, 11, 1], options: { filters: 21, kernelSize: 3, strides: 2, padding: 'same' as const } },
      { images: 12, input: [13, 13, 32], options: { filters: 64, kernelSize: 3 } },
      { images: 45, input: [28, 28, 1], options: { filters: 32, kernelSize: 3 } },
    ];
    for (const { images, input, options } of CONVS) {
      const channels = input[2];
      const x = sn.tensor(randomValues(images * input[0] * input[1] * channels, 6), [images, ...input]);
      const results: number[][] = [];
      for (const threads of [1, 2, 3]) {
        await sn.setThreads(threads);
        const layer = sn.layers.conv2d({ inputShape: input, ...options, activation: 'relu', seed: 3 });
        const y = layer.forward(x);
        const dy = sn.tensor(randomValues(y.size, 7), y.shape);
        const dx = layer.backward(dy);
        results.push([...y.data, ...dx.data, ...layer.grads[0].data, ...layer.grads[1].data]);
        dy.dispose();
        layer.dispose();
      }
      x.dispose();
      expect(results[1], `${input.join('x')}, 2 threads`).toEqual(results[0]);
      expect(results[2], `${input.join('x')}, 3 threads`).toEqual(results[0]);
    }
    await sn.setThreads(1);
  });
});

describe('pool tuning setters', () => {
  it('reject a value that is not a count >= 0, naming the setter, and keep the old value', () => {
    for (const setter of [pool.setGemmThreshold, pool.setRowsThreshold]) {
      const current = setter(123);
      for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => setter(bad)).toThrow(new RegExp(`^${setter.name}: ${bad} is not a count >= 0$`));
      }
      expect(setter(current)).toBe(123);
    }
  });

  it('setGemmChunking rejects a chunk count below 1 or a bad threshold, naming it, and keeps the old values', () => {
    const current = pool.setGemmChunking(3, 1000);
    expect(() => pool.setGemmChunking(0, 1000)).toThrow(/^setGemmChunking: 0 is not a chunk count >= 1$/);
    expect(() => pool.setGemmChunking(2.5, 1000)).toThrow(/^setGemmChunking: 2.5 is not a chunk count >= 1$/);
    expect(() => pool.setGemmChunking(2, -1)).toThrow(/^setGemmChunking: -1 is not a count >= 0$/);
    expect(pool.setGemmChunking(...current)).toEqual([3, 1000]);
  });
});

describe('oversubscription guard', () => {
  it('pauses splitting after 3 split calls in a row lose to one thread, doubling the pause up to 2 s', () => {
    const guard = new pool.SplitGuard();
    guard.record(2, 1, 0);
    guard.record(2, 1, 0);
    expect(guard.allows(0)).toBe(true);
    guard.record(2, 1, 0); // third loss in a row: 50 ms pause
    expect(guard.allows(49.9)).toBe(false);
    expect(guard.allows(50)).toBe(true);
    guard.record(0.5, 1, 50); // a win resets the count and the back-off
    guard.record(2, 1, 60);
    guard.record(2, 1, 60);
    expect(guard.allows(60)).toBe(true);
    for (const [now, pause] of [[100, 50], [200, 100], [400, 200], [1000, 400], [2000, 800], [3000, 1600], [5000, 2000], [8000, 2000]]) {
      for (let i = 0; i < 3; i++) guard.record(2, 1, now);
      expect(guard.allows(now + pause - 0.1), `pause at ${now}`).toBe(false);
      expect(guard.allows(now + pause), `pause at ${now}`).toBe(true);
    }
    expect(guard.pauses).toBe(9);
  });

  it('does not count a call whose share the caller took back (an idle pool must not pause itself)', () => {
    const guard = new pool.SplitGuard();
    for (let i = 0; i < 10; i++) guard.record(2, 1, 0, false); // slow, but a worker never claimed its share
    expect(guard.allows(0)).toBe(true);
    expect(guard.pauses).toBe(0);
    guard.record(2, 1, 0, true);
    guard.record(2, 1, 0, false); // neither a loss nor a win: the run of losses goes on
    guard.record(2, 1, 0, true);
    expect(guard.allows(0)).toBe(true);
    guard.record(2, 1, 0, true);
    expect(guard.allows(0)).toBe(false);
  });
});

describe('worker failures', () => {
  // A GEMM of 136 rows (132 in the relaxed build) is split by rows, one of 64 rows by columns (each share
  // under 64 rows).
  for (const split of ['rows', 'columns'] as const) {
    it(`a GEMM split by ${split} that traps in a worker throws from that call, naming the worker and its ${split}; the pool keeps working`, async () => {
      await sn.setThreads(2);
      // By rows: two row blocks (256 KiB of A each at k = 960: 68 rows, 66 in whole 6-row tiles), at least
      // 64 rows per share, so each worker packs only one panel of B into its scratch and does not grow the
      // memory (which would move its end).
      const k = split === 'rows' ? 960 : 1024;
      const n = 1024;
      const m = split === 'rows' ? 2 * (68 - (68 % TILE_ROWS)) : 64;
      const inside = allocate((split === 'rows' ? k * n : m * k) * 4); // B, or A
      const c = allocate(m * n * 4);
      const pack = allocate(kernels.gemmPackBytes(m, n, k, 0));
      const top = backend.memory.buffer.byteLength; // after the allocations, which may grow the memory
      // From the row pair nearest the middle on (the columns from 512 on), the operand lies past the end.
      const firstRow = ROW_GRANULE * Math.round(m / (2 * ROW_GRANULE));
      const a = split === 'rows' ? top - firstRow * k * 4 : inside; // the worker's rows of A past the end
      const b = split === 'rows' ? inside : top - (k - 1) * n * 4 - 512 * 4; // columns 512.. of B's last row past the end
      // Only read past the end (A or B), never written: the caller's share stays inside memory.
      const call = () => pool.parallelGemm(0, 0, m, n, k, 1, a, k, b, n, 0, c, n, 0, 0, 0, pack);
      const messages: string[] = [];
      // One chunk per thread: the caller claims the first, the worker (when awake) the second, which traps;
      // when the caller claims both, its own error is the one thrown.
      const previousChunking = pool.setGemmChunking(1, 0);
      const previousByColumns = pool.setGemmSplitByColumns(split === 'columns');
      try {
        for (let attempt = 0; attempt < 30 && !messages.some((s) => s.includes('worker')); attempt++) {
          let message = 'no error';
          try {
            call();
          } catch (error) {
            message = (error as Error).message;
          }
          expect(message).toMatch(/out of bounds/);
          messages.push(message);
        }
      } finally {
        pool.setGemmChunking(...previousChunking);
        pool.setGemmSplitByColumns(previousByColumns);
      }
      const where = split === 'rows' ? `rows ${firstRow}\\.\\.${m - 1} of a ${m}x1024x${k} GEMM` : 'columns 512\\.\\.1023 of a 64x1024x1024 GEMM';
      expect(messages.find((s) => s.includes('worker'))).toMatch(new RegExp(`^simdnet thread pool: worker \\d+ \\(${where}\\): RuntimeError: .*out of bounds`));
      [inside, c, pack].forEach(release);
      const g = setUp({ transA: false, transB: false, m: 64, n: 64, k: 64, pad: 0, ...EPILOGUES[1] });
      expect(g.run(pool.parallelGemm)).toEqual(g.run(kernels.gemm));
      g.free();
    });
  }

  it('a row kernel that traps in a worker throws from that call, naming the worker, its rows and the kernel', async () => {
    await sn.setThreads(2);
    // Gather 4096 rows of 784: the indices of rows 2048.. point past the end of memory, so the worker's share
    // traps. The caller's share is long enough (~0.3 ms) for a sleeping worker to wake and claim its own.
    const [count, cols] = [4096, 784];
    const src = allocate(100 * cols * 4);
    const idx = allocate(count * 4);
    const dst = allocate(count * cols * 4);
    const pastTheEnd = Math.ceil(backend.memory.buffer.byteLength / (cols * 4));
    new Int32Array(heapU8().buffer, idx, count).set(Array.from({ length: count }, (_, r) => (r < count / 2 ? r % 100 : pastTheEnd)));
    const messages: string[] = [];
    const deadline = performance.now() + 10_000;
    while (!messages.some((s) => s.includes('worker')) && performance.now() < deadline) {
      let message = 'no error';
      try {
        pool.parallelRows('gatherRows', count, cols, [src, cols, idx, count, dst]);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/out of bounds/);
      messages.push(message);
    }
    expect(messages.find((s) => s.includes('worker'))).toMatch(
      /^simdnet thread pool: worker \d+ \(rows 2048\.\.4095 of gatherRows over 4096 rows of 784\): RuntimeError: .*out of bounds/,
    );
    [src, idx, dst].forEach(release);
  });

  it('a terminated worker neither hangs nor corrupts the call that uses it, and is replaced', async () => {
    await sn.setThreads(2);
    const [victim] = pool.poolWorkers();
    const g = setUp({ transA: false, transB: false, m: 64, n: 128, k: 100, pad: 0, ...EPILOGUES[1] });
    const single = g.run(kernels.gemm);
    // Let the worker stop polling and sleep, then kill it and call at once, before its 'exit' event.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    const exited = new Promise((resolve) => victim.once('exit', resolve));
    void victim.terminate();
    const takenBack = pool.poolStatus().takenBack;
    const started = performance.now();
    expect(g.run(pool.parallelGemm)).toEqual(single);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(pool.poolStatus().takenBack).toBe(takenBack + 1);
    await exited;
    await sn.setThreads(2); // resolves when the replacement is ready
    const [replacement] = pool.poolWorkers();
    expect(replacement).not.toBe(victim);
    await untilAWorkerShares(() => expect(firstDifference(g.run(pool.parallelGemm), single)).toBe(-1));
    g.free();
  });
});

describe('process lifetime', () => {
  it('a Node script using the workers exits by itself', () => {
    const script = `
      const sn = await import(${JSON.stringify(distIndex)});
      await sn.setThreads(2);
      const a = sn.tensor(new Float32Array(128 * 256).fill(0.5), [128, 256]);
      const b = sn.tensor(new Float32Array(256 * 128).fill(0.25), [256, 128]);
      for (let i = 0; i < 20; i++) sn.matmul(a, b).dispose();
      console.log('done', sn.getThreads());`;
    const started = performance.now();
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    });
    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('done 2');
    expect(result.status).toBe(0);
    expect(performance.now() - started).toBeLessThan(30_000);
  });
});
