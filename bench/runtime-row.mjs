// One runtime's K1 and W1 row for bench/run.mjs, run in that runtime (Node 20, Deno, Bun):
//   <runtime> bench/runtime-row.mjs <probe dir> <threads> [--quick]
// The probe dir holds the peak probes compiled by the parent (mul-add.wasm, fma.wasm). Prints one JSON line;
// its GEMM percentages are of the probe of this runtime's build, measured alongside (simdnet-figures.mjs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { measureProbes, probeRunners } from './peak-probe.mjs';
import { K1_SHAPES, gemmGflops, probeOfBuild, runtimeLabel, simdnetTrain } from './simdnet-figures.mjs';
import { medianSecondsPerCall } from './timing.mjs';
import { WORKLOADS, loadData } from './workloads.mjs';

const args = (globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2));
const [probeDir, threadsText] = args;
const quick = args.includes('--quick');
const allThreads = Number(threadsText);
const timing = quick ? { warmMs: 200, rounds: 3, roundMs: 50 } : { warmMs: 1500, rounds: 9, roundMs: 150 };

const { runtime, build } = runtimeLabel();
const runners = probeRunners({ mulAdd: readFileSync(join(probeDir, 'mul-add.wasm')), fma: readFileSync(join(probeDir, 'fma.wasm')) });
const probes = measureProbes(runners, medianSecondsPerCall, timing);
const row = { runtime, build, probes, K1: {}, W1: {} };
for (const [m, k, n] of K1_SHAPES) {
  const one = await gemmGflops(m, k, n, 1, timing, probeOfBuild(runners));
  const all = await gemmGflops(m, k, n, allThreads, timing, probeOfBuild(runners));
  row.K1[`${m}x${k}x${n}`] = { simdnet1: one.gflops, simdnetAll: all.gflops, percentOfProbe1: one.percentOfProbe, percentOfProbeAll: all.percentOfProbe };
}
const data = await loadData();
row.W1.simdnet1 = await simdnetTrain(WORKLOADS.W1, data, 1, quick ? 1 : 3);
row.W1.simdnetAll = await simdnetTrain(WORKLOADS.W1, data, allThreads, quick ? 1 : 3);
data.dispose();
console.log(JSON.stringify(row));
