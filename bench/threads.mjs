// Thread-pool benchmark: GEMM and the row kernels (optimizer update, gather) on 1 thread vs split across
// the pool, the per-dispatch overhead, the split/no-split break-evens that set the pool's thresholds, and
// GEMMs split by rows vs by column panels, in one chunk per thread vs several (src/backend/pool.ts).
//   npm run build && node bench/threads.mjs [threads] [adaptive]
// Timings on a shared 2-core machine are noisy: each size alternates the two variants in rounds and
// reports medians. Needs the built package (dist/).
import * as pool from '../dist/backend/pool.js';
import { kernels } from '../dist/backend/wasm.js';
import { allocate, heapF32, release } from '../dist/backend/allocator.js';

const threads = Number(process.argv[2] ?? 2);
await pool.setThreads(threads);
const defaultThreshold = pool.setGemmThreshold(0);
// Raw split speed: no pausing by the oversubscription guard (node bench/threads.mjs 2 adaptive keeps it).
pool.setAdaptiveSplitting(process.argv[3] === 'adaptive');

function median(values) {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[sorted.length >> 1];
}

/** Buffers for an m x n x k NN GEMM, filled with a deterministic pattern. */
function problem(m, n, k) {
  const a = allocate(m * k * 4);
  const b = allocate(k * n * 4);
  const c = allocate(m * n * 4);
  const packBytes = kernels.gemmPackBytes(m, n, k, 0);
  const pack = packBytes > 0 ? allocate(packBytes) : 0;
  const heap = heapF32();
  for (let i = 0; i < m * k; i++) heap[a / 4 + i] = Math.sin(i);
  for (let i = 0; i < k * n; i++) heap[b / 4 + i] = Math.cos(0.7 * i);
  const args = [0, 0, m, n, k, 1, a, k, b, n, 0, c, n, 0, 0, 0, pack];
  const free = () => [a, b, c, pack].filter((p) => p !== 0).forEach(release);
  return { args, free };
}

/** Median ms per call of `single()` and `split()`, alternating them in rounds of `calls` calls. */
function compareCalls(single, split, rounds, calls) {
  const timeOf = (fn) => {
    const start = performance.now();
    for (let i = 0; i < calls; i++) fn();
    return (performance.now() - start) / calls;
  };
  const times = { single: [], split: [] };
  timeOf(single);
  timeOf(split);
  for (let r = 0; r < rounds; r++) {
    times.single.push(timeOf(single));
    times.split.push(timeOf(split));
  }
  return { single: median(times.single), split: median(times.split) };
}

/** compareCalls for a GEMM's arguments. */
function compare(args, rounds, calls) {
  return compareCalls(() => kernels.gemm(...args), () => pool.parallelGemm(...args), rounds, calls);
}

function callsFor(macs) {
  return Math.max(1, Math.min(2000, Math.round(2e7 / macs)));
}

console.log(`threads: ${pool.getThreads()} (${pool.poolStatus().readyWorkers} workers ready)`);

// Dispatch overhead: a GEMM too small to matter, split anyway, minus the same call on one thread.
{
  const { args, free } = problem(4, 4, 1);
  const hot = compare(args, 15, 2000);
  console.log(`dispatch overhead, back-to-back calls: ${((hot.split - hot.single) * 1000).toFixed(1)} us per call`);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const gaps = { single: [], split: [] };
  for (let r = 0; r < 200; r++) {
    for (const [name, fn] of [['single', kernels.gemm], ['split', pool.parallelGemm]]) {
      Atomics.wait(sleeper, 0, 0, 2); // long enough for the worker to stop polling and sleep
      const start = performance.now();
      fn(...args);
      gaps[name].push(performance.now() - start);
    }
  }
  const cold = (median(gaps.split) - median(gaps.single)) * 1000;
  console.log(`dispatch overhead, worker asleep (2 ms gaps): ${cold.toFixed(1)} us per call`);
  free();
}

// Speed-up at the sizes the issue names, and a sweep around the break-even.
const shapes = [
  [512, 512, 512],
  [64, 128, 784],
  [128, 128, 784],
  [32, 128, 784],
  [128, 10, 128],
  [96, 96, 96],
  [64, 64, 64],
  [56, 56, 56],
  [48, 48, 48],
  [40, 40, 40],
  [32, 32, 32],
  [24, 24, 24],
  [16, 16, 16],
];
console.log('m x n x k        MACs      1 thread    split     speed-up');
for (const [m, n, k] of shapes) {
  const { args, free } = problem(m, n, k);
  const macs = m * n * k;
  const rounds = macs > 1e8 ? 25 : 15;
  const { single, split } = compare(args, rounds, callsFor(macs));
  console.log(
    `${`${m}x${n}x${k}`.padEnd(16)} ${String(macs).padStart(9)}  ${single.toFixed(4).padStart(9)} ms ` +
      `${split.toFixed(4).padStart(9)} ms  ${(single / split).toFixed(2)}x`,
  );
  free();
}
console.log(`pool threshold: GEMMs of at least ${defaultThreshold} multiply-adds are split`);
console.log('target: >= 1.8x at 512x512x512 on 2 threads of an otherwise idle 2-core machine');

// Split GEMMs by rows vs by column panels (the pool's choice when every thread gets a panel), then one
// chunk per thread vs the pool's chunks per thread (threads claim chunks as they get free).
console.log('\nm x n x k        by rows    by columns  columns / rows');
for (const [m, n, k] of [[64, 128, 784], [32, 128, 784], [64, 512, 784], [128, 512, 784], [128, 128, 128], [256, 256, 256], [512, 512, 512], [1000, 128, 784]]) {
  const { args, free } = problem(m, n, k);
  const splitBy = (columns) => () => {
    pool.setGemmSplitByColumns(columns);
    pool.parallelGemm(...args);
  };
  const { single: byRows, split: byColumns } = compareCalls(splitBy(false), splitBy(true), 15, callsFor(m * n * k));
  console.log(`${`${m}x${n}x${k}`.padEnd(16)} ${byRows.toFixed(4).padStart(9)} ms ${byColumns.toFixed(4).padStart(9)} ms  ${(byRows / byColumns).toFixed(2)}x`);
  free();
}
pool.setGemmSplitByColumns(true);
const [chunksPerThread, chunkedMinMacs] = pool.setGemmChunking(1, 0);
console.log(`\nm x n x k        1 chunk/thread  ${chunksPerThread} chunks/thread  speed-up`);
for (const [m, n, k] of [[64, 128, 784], [784, 128, 64], [256, 256, 256], [512, 512, 512], [1000, 128, 784]]) {
  const { args, free } = problem(m, n, k);
  const chunked = (perThread) => () => {
    pool.setGemmChunking(perThread, 0);
    pool.parallelGemm(...args);
  };
  const { single: one, split: many } = compareCalls(chunked(1), chunked(chunksPerThread), 15, callsFor(m * n * k));
  console.log(`${`${m}x${n}x${k}`.padEnd(16)} ${one.toFixed(4).padStart(9)} ms ${many.toFixed(4).padStart(12)} ms  ${(one / many).toFixed(2)}x`);
  free();
}
pool.setGemmChunking(chunksPerThread, chunkedMinMacs);
console.log(`pool: GEMMs of at least ${chunkedMinMacs} multiply-adds are cut into ${chunksPerThread} chunks per thread`);

// Row kernels: the SGD update of a rows x 128 weight matrix, and a gather of rows of 784 floats (a
// Fashion-MNIST batch), on one thread vs split. Sets the pool's byte threshold for row kernels.
const defaultRowsThreshold = pool.setRowsThreshold(0);
console.log('\nrow kernel                 bytes     1 thread    split     speed-up');
for (const rows of [16, 32, 64, 128, 256, 784, 2048, 8192]) {
  const cols = 128;
  const n = rows * cols;
  const w = allocate(n * 4);
  const g = allocate(n * 4);
  heapF32().fill(0.001, g / 4, g / 4 + n);
  const args = [w, g, n, 1e-3, 1, Infinity, 0];
  const calls = Math.max(10, Math.min(2000, Math.round(2e7 / n)));
  const { single, split } = compareCalls(() => kernels.sgd(...args), () => pool.parallelRows('sgd', rows, cols, args), 15, calls);
  console.log(`sgd ${`${rows}x${cols}`.padEnd(22)} ${String(n * 4).padStart(9)}  ${single.toFixed(4).padStart(9)} ms ${split.toFixed(4).padStart(9)} ms  ${(single / split).toFixed(2)}x`);
  release(w);
  release(g);
}
for (const count of [8, 16, 32, 64, 128, 256]) {
  const cols = 784;
  const sourceRows = 60000;
  const src = allocate(sourceRows * cols * 4);
  const idx = allocate(count * 4);
  const dst = allocate(count * cols * 4);
  const heap = new Int32Array(heapF32().buffer);
  for (let r = 0; r < count; r++) heap[idx / 4 + r] = (r * 7919) % sourceRows;
  const args = [src, cols, idx, count, dst];
  const calls = Math.max(10, Math.min(2000, Math.round(2e6 / (count * cols))));
  const { single, split } = compareCalls(() => kernels.gatherRows(...args), () => pool.parallelRows('gatherRows', count, cols, args), 15, calls);
  console.log(`gather ${`${count} of ${cols}`.padEnd(19)} ${String(count * cols * 4).padStart(9)}  ${single.toFixed(4).padStart(9)} ms ${split.toFixed(4).padStart(9)} ms  ${(single / split).toFixed(2)}x`);
  [src, idx, dst].forEach(release);
}
console.log(`pool threshold: row kernels over at least ${defaultRowsThreshold} bytes are split`);
