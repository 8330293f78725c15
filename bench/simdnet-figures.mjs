// simdnet's K1 and W1 figures, measured the same way by bench/run.mjs (Node 24, the reference) and by
// bench/runtime-row.mjs (each other runtime, in its own process).
import * as sn from '../dist/index.js';
import { roundSeconds } from './timing.mjs';
import { simdnetModel } from './workloads.mjs';

export const K1_SHAPES = [[64, 784, 128], [512, 512, 512]];

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * GEMM GFLOPS of sn.matmul at m x k x n on `threads` threads, and the same as a percentage of `probe` (the
 * peak probe of the build's instruction mix, bench/peak-probe.mjs; times `threads`): rounds of the GEMM
 * alternate with rounds of the probe, so both see the same machine (other processes come and go here),
 * and the percentage is the median of the per-round ratios. After `warmMs` of both (JIT tiers, workers).
 */
export async function gemmGflops(m, k, n, threads, { warmMs, rounds, roundMs }, probe) {
  await sn.setThreads(threads);
  const a = sn.tensor(Float32Array.from({ length: m * k }, () => Math.random() - 0.5), [m, k]);
  const b = sn.tensor(Float32Array.from({ length: k * n }, () => Math.random() - 0.5), [k, n]);
  const c = sn.zeros([m, n]);
  const gemm = () => sn.matmul(a, b, { out: c });
  const warmUntil = performance.now() + warmMs;
  while (performance.now() < warmUntil) {
    gemm();
    probe?.run();
  }
  const flops = 2 * m * k * n;
  const gflops = [];
  const percents = [];
  for (let r = 0; r < rounds; r++) {
    const g = flops / roundSeconds(gemm, roundMs) / 1e9;
    gflops.push(g);
    if (probe) percents.push((100 * g) / threads / (probe.flops / roundSeconds(probe.run, roundMs / 2) / 1e9));
  }
  for (const t of [a, b, c]) t.dispose();
  return { gflops: median(gflops), percentOfProbe: probe ? median(percents) : NaN };
}

/** The probe (from bench/peak-probe.mjs probeRunners) of the instruction mix this build's GEMM uses. */
export function probeOfBuild(runners) {
  return sn.backendInfo().relaxedSimd ? runners.fma : runners.mulAdd;
}

/** Training samples/s over one epoch (after a warm-up epoch); median of `rounds` epochs (a slow spell of the 2-thread runs can last a second or two). */
export async function simdnetTrain(w, data, threads, rounds) {
  await sn.setThreads(threads);
  const model = simdnetModel(w);
  const options = { epochs: 1, batchSize: w.batchSize, shuffle: true, seed: 1, verbose: 0 };
  await model.fit(data.train.x, data.train.y, options);
  const rates = [];
  for (let r = 0; r < rounds; r++) {
    const h = await model.fit(data.train.x, data.train.y, { ...options, seed: 2 + r });
    rates.push(h.history.samplesPerSecond[0]);
  }
  model.dispose();
  return median(rates);
}

/** "node v24.21.0", "deno 2.9.6" or "bun 1.4.5", and the wasm build this process loaded. */
export function runtimeLabel() {
  const runtime = globalThis.Deno ? `deno ${globalThis.Deno.version.deno}` : globalThis.Bun ? `bun ${globalThis.Bun.version}` : `node ${process.version}`;
  return { runtime, build: sn.backendInfo().relaxedSimd ? 'relaxed SIMD' : 'plain SIMD' };
}
