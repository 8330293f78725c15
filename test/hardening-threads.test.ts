// Hardening, thread pool: many short GEMMs in a row, GEMMs of two models alternating (interleaved fits),
// workers killed while GEMMs keep coming and during a fit: every result bit-identical to one thread, and
// the pool back to full strength afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as sn from '../dist/index.js';
import * as pool from '../dist/backend/pool.js';
import { kernels } from '../dist/backend/wasm.js';
import { allocate, heapF32, release } from '../dist/backend/allocator.js';
import { releaseGemmScratch } from '../dist/ops/matmul.js';
import { recorder } from './hardening/record.js';
import { SEED, fillValues, profileArb, rng } from './hardening/values.js';

const record = recorder('hardening-threads');
const LOAD = 'Long runs and load';
const THREADS = 2;

let previousAdaptive = true;
let previousThreshold = 0;
beforeAll(async () => {
  await sn.setThreads(THREADS);
  // Split every call above a small size, whatever the load of the shared machine: the pool itself is under test.
  previousAdaptive = pool.setAdaptiveSplitting(false);
  previousThreshold = pool.setGemmThreshold(4096);
});
afterAll(() => {
  pool.setAdaptiveSplitting(previousAdaptive);
  pool.setGemmThreshold(previousThreshold);
});

/** A GEMM problem in the wasm memory, run by a given entry point into its own C. */
function problem(m: number, n: number, k: number, seed: number, act: number) {
  const a = allocate(m * k * 4);
  const b = allocate(k * n * 4);
  const bias = allocate(n * 4);
  const c = allocate(m * n * 4);
  heapF32().set(fillValues(m * k, seed, 'unit'), a >>> 2);
  heapF32().set(fillValues(k * n, seed + 1, 'unit'), b >>> 2);
  heapF32().set(fillValues(n, seed + 2, 'unit'), bias >>> 2);
  const pack = allocate(Math.max(64, kernels.gemmPackBytes(m, n, k, 0)));
  return {
    run(entry: typeof kernels.gemm): Float32Array {
      heapF32().fill(NaN, c >>> 2, (c >>> 2) + m * n);
      entry(0, 0, m, n, k, 1, a, k, b, n, 0, c, n, bias, act, 0.1, pack);
      return heapF32().slice(c >>> 2, (c >>> 2) + m * n);
    },
    free: () => [a, b, bias, c, pack].forEach(release),
  };
}

const sameBits = (x: Float32Array, y: Float32Array): boolean => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));

async function untilFullStrength(timeoutMs: number): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    if (pool.poolStatus().readyWorkers === THREADS - 1) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

describe('thread pool under load', () => {
  it('2,000 short GEMMs in a row, split across threads, each bit-identical to one thread', async () => {
    expect(await untilFullStrength(10_000)).toBe(true);
    const next = rng(3);
    const shapes = Array.from({ length: 20 }, () => [2 + 2 * Math.floor(next() * 40), 1 + Math.floor(next() * 70), 1 + Math.floor(next() * 90)]);
    const problems = shapes.map(([m, n, k], i) => ({ p: problem(m, n, k, 100 + i, i % 6), label: `${m}x${n}x${k}`, splits: m >= 4 && m * n * k >= 4096 }));
    const single = problems.map(({ p }) => p.run(kernels.gemm));
    const before = pool.poolStatus();
    // The workers keep their packing scratch between calls (grown on demand); releaseGemmScratch frees it.
    releaseGemmScratch();
    const memoryBefore = sn.memory();
    const wrong: string[] = [];
    let splittable = 0;
    let afterFirstRound = memoryBefore;
    for (let call = 0; call < 2000; call++) {
      const i = call % problems.length;
      if (problems[i].splits) splittable++;
      if (!sameBits(problems[i].p.run(pool.parallelGemm), single[i])) wrong.push(`call ${call} (${problems[i].label})`);
      if (call === problems.length - 1) afterFirstRound = sn.memory();
    }
    const after = pool.poolStatus();
    // Grown during the first round of shapes, then reused: no allocation per call.
    expect(sn.memory()).toEqual(afterFirstRound);
    releaseGemmScratch();
    expect(sn.memory()).toEqual(memoryBefore);
    problems.forEach(({ p }) => p.free());
    record.add('pool-many-gemms', LOAD, `2,000 back-to-back split GEMMs (20 shapes up to 80x70x90, 6 epilogues) vs one thread, bit for bit (${after.parallelCalls - before.parallelCalls} split, ${after.workerShares - before.workerShares} worker shares)`, 2000, wrong);
    expect(wrong).toEqual([]);
    // Calls of at least 2 row pairs and the threshold's multiply-adds are split, the others run on the caller.
    expect(after.parallelCalls - before.parallelCalls).toBe(splittable);
    expect(splittable).toBeGreaterThan(1500);
    expect(after.workerShares - before.workerShares).toBeGreaterThan(0);
  });

  it('random GEMMs (shapes, transposes, strides, alpha/beta, epilogues, NaN/Inf) split across threads equal one thread bit for bit', async () => {
    expect(await untilFullStrength(10_000)).toBe(true);
    const before = pool.poolStatus();
    const side = fc.integer({ min: 0, max: 130 });
    record.check('pool-random-gemms', 'Property tests', 'random GEMM split across 2 threads (shapes 0-130, transposes, strides, alpha/beta, bias, 6 activations, hostile values) vs the one-thread kernel, bit for bit', fc.property(
      fc.record({ m: side, n: side, k: side, transA: fc.boolean(), transB: fc.boolean(), alpha: fc.double({ min: -3, max: 3, noNaN: true }), beta: fc.constantFrom(0, 1, -0.5), bias: fc.boolean(), act: fc.constantFrom(0, 1, 2, 3, 4, 5), pad: fc.constantFrom(0, 2), profile: profileArb, seed: fc.integer() }),
      (g) => {
        const lda = (g.transA ? g.m : g.k) + g.pad;
        const ldb = (g.transB ? g.k : g.n) + g.pad;
        const ldc = g.n + g.pad;
        const put = (values: Float32Array) => {
          const ptr = allocate(values.length * 4);
          heapF32().set(values, ptr >>> 2);
          return ptr;
        };
        const a = put(fillValues((g.transA ? g.k : g.m) * lda, g.seed, g.profile, 0.002));
        const b = put(fillValues((g.transB ? g.n : g.k) * ldb, g.seed + 1, g.profile === 'special' ? 'unit' : g.profile));
        const c0 = fillValues(g.m * ldc, g.seed + 2, 'unit');
        const c = put(c0);
        const bias = g.bias ? put(fillValues(g.n, g.seed + 3, 'unit')) : 0;
        const pack = allocate(Math.max(64, kernels.gemmPackBytes(g.m, g.n, g.k, g.transB ? 1 : 0)));
        const run = (entry: typeof kernels.gemm) => {
          heapF32().set(c0, c >>> 2);
          entry(g.transA ? 1 : 0, g.transB ? 1 : 0, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, c, ldc, bias, g.act, 0.2, pack);
          return heapF32().slice(c >>> 2, (c >>> 2) + g.m * ldc);
        };
        try {
          const one = run(kernels.gemm);
          const split = run(pool.parallelGemm);
          const i = one.findIndex((v, j) => !Object.is(v, split[j]));
          if (i >= 0) throw new Error(`C[${i}]: one thread ${one[i]}, split ${split[i]}`);
        } finally {
          [a, b, c, bias, pack].forEach((ptr) => ptr !== 0 && release(ptr));
        }
      },
    ), { seed: SEED, numRuns: 300, endOnFailure: true });
    expect(pool.poolStatus().parallelCalls - before.parallelCalls).toBeGreaterThan(100);
  });

  it('two models fitted in alternation on threads equal their one-thread solo runs bit for bit', async () => {
    const data = (rows: number, cols: number, seed: number) => sn.tensor(fillValues(rows * cols, seed, 'unit'), [rows, cols]);
    const builds = [
      () => {
        const m = sn.sequential([sn.layers.dense({ inputShape: [64], units: 96, activation: 'relu' }), sn.layers.dense({ units: 10, activation: 'softmax' })], { seed: 1 });
        m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
        return m;
      },
      () => {
        const m = sn.sequential([sn.layers.dense({ inputShape: [48], units: 80, activation: 'tanh' }), sn.layers.dense({ units: 1 })], { seed: 2 });
        m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.01, momentum: 0.9 }), loss: 'meanSquaredError' });
        return m;
      },
    ];
    const xs = [data(256, 64, 1), data(200, 48, 2)];
    const ys = [Array.from({ length: 256 }, (_, i) => (i * 7) % 10), data(200, 1, 3)];
    const options = (i: number) => ({ epochs: 3, batchSize: 64, seed: 5 + i, callbacks: { onBatchEnd: () => new Promise<void>((r) => setImmediate(r)) } });
    const weights = (m: sn.Sequential) => JSON.stringify(m.getWeights().map((w) => Array.from(w)));

    await sn.setThreads(1);
    const solo: string[] = [];
    for (let i = 0; i < 2; i++) {
      const m = builds[i]();
      await m.fit(xs[i], ys[i], options(i));
      solo.push(weights(m));
      m.dispose();
    }
    await sn.setThreads(THREADS);
    const before = pool.poolStatus();
    const models = builds.map((b) => b());
    await Promise.all(models.map((m, i) => m.fit(xs[i], ys[i], options(i))));
    const split = pool.poolStatus().parallelCalls - before.parallelCalls;
    const differing = models.flatMap((m, i) => (weights(m) === solo[i] ? [] : [`model ${i} differs from its one-thread run`]));
    models.forEach((m) => m.dispose());
    // Once more with the thread count switched between 1 and 2 while both fits run.
    const again = builds.map((b) => b());
    let switches = 0;
    const toggling = setInterval(() => void sn.setThreads(switches++ % 2 === 0 ? 1 : THREADS), 2);
    await Promise.all(again.map((m, i) => m.fit(xs[i], ys[i], options(i))));
    clearInterval(toggling);
    await sn.setThreads(THREADS);
    again.forEach((m, i) => {
      if (weights(m) !== solo[i]) differing.push(`model ${i} differs from its one-thread run when setThreads toggles during the fits`);
      m.dispose();
    });
    [xs[0], xs[1], ys[1] as InstanceType<typeof sn.Tensor>].forEach((t) => t.dispose());
    record.add('pool-alternating-models', LOAD, 'two models fitted by interleaved async fits on 2 threads (then with setThreads toggling 1/2 during the fits) vs their solo 1-thread runs, bit for bit', 4, differing);
    expect(differing).toEqual([]);
    expect(split).toBeGreaterThan(0);
    expect(switches).toBeGreaterThan(0);
  });

  it('workers killed while GEMMs keep coming: every result correct, no hang, the pool recovers each time', async () => {
    expect(await untilFullStrength(10_000)).toBe(true);
    const p = problem(96, 128, 160, 7, 1);
    const single = p.run(kernels.gemm);
    const wrong: string[] = [];
    const kills = 5;
    let calls = 0;
    const status0 = pool.poolStatus();
    for (let kill = 0; kill < kills; kill++) {
      const [victim] = pool.poolWorkers();
      expect(victim, `a worker to kill (round ${kill})`).toBeDefined();
      const exited = new Promise((resolve) => victim.once('exit', resolve));
      // Kill at a different point of the stream each round: before the first call, or after a few.
      const killAfter = kill % 3;
      for (let i = 0; i < 30; i++) {
        if (i === killAfter) void victim.terminate();
        const started = performance.now();
        const result = p.run(pool.parallelGemm);
        calls++;
        if (!sameBits(result, single)) wrong.push(`round ${kill}, call ${i}`);
        // A call must never wait out a dead worker: far below the pool's 10 s give-up time.
        expect(performance.now() - started, `call ${i} of round ${kill}`).toBeLessThan(2000);
        if (i > killAfter) await new Promise((r) => setImmediate(r));
      }
      await exited;
      expect(await untilFullStrength(10_000), `pool back to ${THREADS - 1} ready workers after kill ${kill}`).toBe(true);
    }
    // Recovered workers do take shares again.
    const shares = pool.poolStatus().workerShares;
    for (let i = 0; i < 50; i++) if (!sameBits(p.run(pool.parallelGemm), single)) wrong.push(`after recovery, call ${i}`);
    calls += 50;
    const recovered = pool.poolStatus().workerShares - shares;
    p.free();
    record.add('pool-killed-workers', LOAD, `${kills} workers terminated in a stream of split GEMMs (96x128x160): results vs one thread, recovery to full strength`, calls, wrong);
    expect(wrong).toEqual([]);
    expect(recovered).toBeGreaterThan(0);
    expect(pool.poolStatus().parallelCalls).toBeGreaterThan(status0.parallelCalls);
  });

  it('workers killed during a fit: training ends with the weights of one thread, bit for bit (split GEMMs, updates, gathers)', async () => {
    expect(await untilFullStrength(10_000)).toBe(true);
    const previousRows = pool.setRowsThreshold(0); // split the optimizer updates and gathers of this small model too
    try {
      const [rows, inputs] = [512, 96];
      const x = Float32Array.from(fillValues(rows * inputs, 11, 'unit'));
      const labels = Array.from({ length: rows }, (_, i) => (i * 7) % 5);
      const KILL_AT = new Set([2, 9, 17, 30]); // batch numbers counted across the fit (8 per epoch)
      const train = async (threads: number, kill: boolean) => {
        await sn.setThreads(threads);
        const model = sn.sequential([sn.layers.dense({ inputShape: [inputs], units: 64, activation: 'relu' }), sn.layers.dense({ units: 5, activation: 'softmax' })], { seed: 5 });
        model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.05, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy' });
        let batches = 0;
        let kills = 0;
        const exits: Promise<unknown>[] = [];
        await model.fit({ data: x, shape: [rows, inputs] }, labels, {
          epochs: 5, batchSize: 64, seed: 6, onNonFinite: 'stop',
          callbacks: {
            onBatchEnd: async () => {
              if (!kill || !KILL_AT.has(batches++)) return;
              // Only a worker that is up: one that dies while starting is not replaced (no respawn loop).
              const [victim] = pool.poolWorkers();
              if (victim === undefined || pool.poolStatus().readyWorkers !== THREADS - 1) return;
              exits.push(new Promise((resolve) => victim.once('exit', resolve)));
              void victim.terminate();
              kills++;
              // Let the replacement start at times, or keep going on the caller alone at others.
              if (kills % 2 === 0) await new Promise((r) => setTimeout(r, 20));
            },
          },
        });
        await Promise.all(exits);
        const bits = model.getWeights().map((w) => Array.from(new Uint32Array(w.buffer.slice(0))));
        model.dispose();
        return { bits, kills };
      };
      const one = await train(1, false);
      const status0 = pool.poolStatus();
      const killed = await train(THREADS, true);
      const split = pool.poolStatus().parallelCalls - status0.parallelCalls;
      const wrong = killed.bits.every((w, i) => w.every((v, j) => v === one.bits[i][j])) ? [] : ['weights differ from one thread'];
      record.add('pool-killed-during-fit', LOAD, `${killed.kills} workers terminated during a 2-thread fit (96-64-5, SGD momentum, 'stop', every update and gather split): weights vs one thread`, 1, wrong);
      expect(killed.kills).toBeGreaterThanOrEqual(2);
      expect(split).toBeGreaterThan(0);
      expect(wrong).toEqual([]);
      expect(await untilFullStrength(10_000)).toBe(true);
    } finally {
      pool.setRowsThreshold(previousRows);
    }
  });
});
