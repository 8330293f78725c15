// Kernel benchmarks (one thread): GEMM GFLOPS against the naive JavaScript i-k-j loop of
// bench/peers/naive.mjs at the same m, k, n in the same run (the naive loop has no transposed variants),
// the peak probe of the build's instruction mix (bench/peak-probe.mjs: f32x4 mul+add for the plain build,
// FMA for the relaxed one), and the elementwise kernels' GB/s.
// Every figure is the median over `--rounds` rounds (default 3) of tinybench's median latency.
// Prints a table and writes bench/out/kernels.json. Run after `npm run build`: `npm run bench:kernels`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { compileProbes, probeRunners } from './peak-probe.mjs';
import { backendInfo, setThreads } from '../dist/index.js';
import { allocate, heapF32 } from '../dist/backend/allocator.js';
import { gemm, gemmPackBytes } from '../dist/ops/matmul.js';
import { activationBackward, activationForward } from '../dist/ops/elementwise.js';
import { softmaxRows } from '../dist/ops/softmax.js';
import { ACTIVATIONS } from '../dist/ops/activation-kinds.js';
import { naiveMatmul } from './peers/naive.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const roundsArg = process.argv.find((a) => a.startsWith('--rounds='));
const ROUNDS = roundsArg ? Math.max(1, Number(roundsArg.slice('--rounds='.length))) : 3;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

function fillRandom(ptr, count, seed) {
  const f = heapF32();
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    f[(ptr >>> 2) + i] = s / 2 ** 32 - 0.5;
  }
}

// ---- GEMM cases: m x k x n is op(A)[m,k] . op(B)[k,n] ----
const GEMMS = [
  { name: 'dense fwd  X.W      64x784x128 NN', m: 64, k: 784, n: 128, transA: false, transB: false },
  { name: 'dense dW   X^T.dZ   784x64x128 TN', m: 784, k: 64, n: 128, transA: true, transB: false },
  { name: 'dense dX   dZ.W^T   64x128x784 NT', m: 64, k: 128, n: 784, transA: false, transB: true },
  { name: 'square     256^3               NN', m: 256, k: 256, n: 256, transA: false, transB: false },
  { name: 'square     512^3               NN', m: 512, k: 512, n: 512, transA: false, transB: false },
];

function gemmTask(g) {
  const a = allocate(g.m * g.k * 4);
  const b = allocate(g.k * g.n * 4);
  const c = allocate(g.m * g.n * 4);
  fillRandom(a, g.m * g.k, 1);
  fillRandom(b, g.k * g.n, 2);
  const packBytes = gemmPackBytes(g.m, g.n, g.k, g.transB);
  const pack = packBytes > 0 ? allocate(packBytes) : 0;
  const params = { transA: g.transA, transB: g.transB, m: g.m, n: g.n, k: g.k, a, b, c, pack };
  return () => gemm(params);
}

function naiveTask(g) {
  const a = Float32Array.from({ length: g.m * g.k }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const b = Float32Array.from({ length: g.k * g.n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
  const c = new Float32Array(g.m * g.n);
  return () => naiveMatmul(a, b, c, g.m, g.k, g.n);
}

// ---- Elementwise kernels over a 64 x 4096 activation (1 MiB per array) ----
const ROWS = 64;
const COLS = 4096;
const N = ROWS * COLS;
function elementwiseTasks() {
  const x = allocate(N * 4);
  const y = allocate(N * 4);
  const dy = allocate(N * 4);
  const dx = allocate(N * 4);
  fillRandom(x, N, 3);
  fillRandom(dy, N, 4);
  activationForward(ACTIVATIONS.sigmoid, x, y, N, 0);
  // bytes: forward reads x, writes y; backward reads y and dy, writes dx; softmax reads and writes a row.
  return [
    { name: 'relu forward', bytes: 8 * N, fn: () => activationForward(ACTIVATIONS.relu, x, y, N, 0) },
    { name: 'relu backward', bytes: 12 * N, fn: () => activationBackward(ACTIVATIONS.relu, y, dy, dx, N, 0) },
    { name: 'sigmoid forward', bytes: 8 * N, fn: () => activationForward(ACTIVATIONS.sigmoid, x, y, N, 0) },
    { name: 'sigmoid backward', bytes: 12 * N, fn: () => activationBackward(ACTIVATIONS.sigmoid, y, dy, dx, N, 0) },
    { name: 'tanh forward', bytes: 8 * N, fn: () => activationForward(ACTIVATIONS.tanh, x, y, N, 0) },
    { name: 'tanh backward', bytes: 12 * N, fn: () => activationBackward(ACTIVATIONS.tanh, y, dy, dx, N, 0) },
    { name: `softmax rows ${ROWS}x${COLS}`, bytes: 8 * N, fn: () => softmaxRows(x, y, ROWS, COLS) },
  ];
}

// ---- Run ----
// One thread: the worker pool (bench/threads.mjs measures it) would otherwise split the large GEMMs.
await setThreads(1);
const wasmGemm = GEMMS.map((g) => ({ ...g, fn: gemmTask(g), ms: [] }));
const naiveGemm = GEMMS.map((g) => ({ ...g, fn: naiveTask(g), ms: [] }));
const relaxed = backendInfo().relaxedSimd;
const runners = probeRunners(await compileProbes());
const probeOfBuild = relaxed ? runners.fma : runners.mulAdd;
const probe = { fn: probeOfBuild.run, ms: [] };
const elementwise = elementwiseTasks().map((t) => ({ ...t, ms: [] }));

/**
 * Calls fn for `ms` milliseconds: V8 first runs wasm from its baseline compiler and swaps in optimized
 * code only for later calls (no on-stack replacement), which on this loaded 2-core machine took up to ~2 s.
 */
function warm(fn, ms) {
  const end = performance.now() + ms;
  while (performance.now() < end) fn();
}

async function p50(fn, time) {
  const bench = new Bench({ time, warmupTime: 100, iterations: 5, warmupIterations: 2 });
  bench.add('task', fn);
  await bench.run();
  const result = bench.tasks[0].result;
  if (result.state !== 'completed') throw new Error(`benchmark task ended in state ${result.state}: ${result.error ?? ''}`);
  return result.latency.p50;
}

process.stderr.write('warming up\n');
for (const task of [probe, ...wasmGemm, ...elementwise]) warm(task.fn, 1500);
for (let round = 0; round < ROUNDS; round++) {
  process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
  probe.ms.push(await p50(probe.fn, 300));
  for (let i = 0; i < GEMMS.length; i++) {
    wasmGemm[i].ms.push(await p50(wasmGemm[i].fn, 400));
    naiveGemm[i].ms.push(await p50(naiveGemm[i].fn, 400));
  }
  for (const t of elementwise) t.ms.push(await p50(t.fn, 200));
}

const gflops = (g, ms) => (2 * g.m * g.n * g.k) / (ms * 1e6);
const probeGflops = probeOfBuild.flops / (median(probe.ms) * 1e6);
const rows = GEMMS.map((g, i) => {
  const wasm = gflops(g, median(wasmGemm[i].ms));
  const naive = gflops(g, median(naiveGemm[i].ms));
  return {
    name: g.name, m: g.m, k: g.k, n: g.n, transA: g.transA, transB: g.transB,
    wasmGflops: wasm, naiveGflops: naive, speedup: wasm / naive, ofProbe: wasm / probeGflops,
    wasmGflopsPerRound: wasmGemm[i].ms.map((ms) => gflops(g, ms)),
    naiveGflopsPerRound: naiveGemm[i].ms.map((ms) => gflops(g, ms)),
  };
});
const ew = elementwise.map((t) => ({ name: t.name, elements: N, gbPerSecond: t.bytes / (median(t.ms) * 1e6), msPerRound: t.ms }));

const f1 = (x) => x.toFixed(1).padStart(7);
console.log(`\nGEMM, one thread (m x k x n; GFLOPS = 2mnk / median time; naive = bench/peers/naive.mjs i-k-j on Float32Arrays, NN)`);
console.log(`${'case'.padEnd(36)} ${'wasm'.padStart(7)} ${'naive'.padStart(7)} ${'x naive'.padStart(7)} ${'% ceil'.padStart(7)}`);
for (const r of rows) console.log(`${r.name.padEnd(36)} ${f1(r.wasmGflops)} ${f1(r.naiveGflops)} ${f1(r.speedup)} ${f1(100 * r.ofProbe)}`);
console.log(`${(relaxed ? 'ceiling: f32x4 FMA issue rate' : 'ceiling: f32x4 mul+add issue rate').padEnd(36)} ${f1(probeGflops)}`);
console.log(`\nElementwise kernels over ${ROWS}x${COLS} floats (GB/s = bytes read + written / median time)`);
for (const e of ew) console.log(`${e.name.padEnd(36)} ${f1(e.gbPerSecond)}`);

const out = {
  date: new Date().toISOString(),
  runtime: `node ${process.version}`,
  cpu: cpus()[0]?.model ?? 'unknown',
  rounds: ROUNDS,
  probeGflops,
  build: relaxed ? 'relaxed SIMD' : 'plain SIMD',
  probeGflopsPerRound: probe.ms.map((ms) => probeOfBuild.flops / (ms * 1e6)),
  gemm: rows,
  elementwise: ew,
};
mkdirSync(join(here, 'out'), { recursive: true });
writeFileSync(join(here, 'out', 'kernels.json'), JSON.stringify(out, null, 2) + '\n');
console.log(`\nwrote bench/out/kernels.json`);
