// Where the time of a training step goes: profiles W1 (784-128-10, batch 64, SGD) training, or another
// training workload (W2, W3, W5 the convnet), with V8's sampling profiler and groups self time into GEMM
// kernels, other wasm kernels (by name) and JavaScript. The wasm keeps its name section, so kernels appear
// under their AssemblyScript names.
//   node bench/profile.mjs [--threads N] [--epochs N] [--workload W5]
import * as sn from '../dist/index.js';
import { CONV_WORKLOADS, WORKLOADS, loadData, simdnetModel } from './workloads.mjs';
import { profiled } from './sampling-profile.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const threads = arg('--threads', 1);
const epochs = arg('--epochs', 2);
const workloadAt = process.argv.indexOf('--workload');
const id = workloadAt > 0 ? process.argv[workloadAt + 1] : 'W1';
const w = { ...WORKLOADS, ...CONV_WORKLOADS }[id];
if (w === undefined || w.learningRate === undefined) throw new RangeError(`--workload: ${id} is not a training workload (W1, W2, W3, W5)`);
await sn.setThreads(threads);
// The convnet trains on image-shaped data; 6,400 rows keep its epochs to a few seconds.
const data = w.net ? await loadData({ shape: 'image', limit: { train: 6400 } }) : await loadData();
const model = simdnetModel(w);
await model.fit(data.train.x, data.train.y, { epochs: 1, batchSize: w.batchSize, seed: 1 }); // warm-up

const { result: history, selfTime } = await profiled(() => model.fit(data.train.x, data.train.y, { epochs, batchSize: w.batchSize, seed: 2 }));
const total = [...selfTime.values()].reduce((a, b) => a + b, 0);
const groups = { 'GEMM (wasm)': 0, 'other kernels (wasm)': 0, JavaScript: 0, 'idle / GC / other': 0 };
for (const [key, t] of selfTime) {
  if (key.startsWith('wasm $assembly/gemm/') || key.startsWith('wasm assembly/gemm/')) groups['GEMM (wasm)'] += t;
  else if (key.startsWith('wasm')) groups['other kernels (wasm)'] += t;
  else if (key.startsWith('js')) groups.JavaScript += t;
  else groups['idle / GC / other'] += t;
}
const pct = (t) => `${((100 * t) / total).toFixed(1)}%`;
const rate = history.history.samplesPerSecond;
console.log(`${id} training, ${threads} thread(s), ${epochs} epochs on ${data.source}: ${rate.map((r) => Math.round(r)).join(', ')} samples/s`);
console.log(`main-thread self time (${(total / 1e6).toFixed(2)} s sampled):`);
for (const [g, t] of Object.entries(groups)) console.log(`  ${g.padEnd(22)} ${pct(t)}`);
console.log('top entries:');
[...selfTime.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15).forEach(([k, t]) => console.log(`  ${pct(t).padStart(6)}  ${k}`));
model.dispose();
data.dispose();
