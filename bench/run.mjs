// npm run bench: simdnet side by side with TensorFlow.js and naive JavaScript, in ONE run so the ratios hold.
//   K1 GEMM GFLOPS; W1-W4 training/inference samples/s; time to 85% on Fashion-MNIST; peak RSS of W1.
// Writes bench/results.json and the table between the bench markers in README.md.
//   node bench/run.mjs [--quick]   (--quick: shorter timings, for a smoke run)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as sn from '../dist/index.js';
import * as tfjs from './peers/tfjs.mjs';
import { naiveInferSamplesPerSecond, naiveMatmulGflops, naiveTrainSamplesPerSecond } from './peers/naive.mjs';
import { WORKLOADS, loadData, simdnetModel } from './workloads.mjs';
import { medianSecondsPerCall } from './timing.mjs';

const quick = process.argv.includes('--quick');
const ALL_THREADS = Math.max(1, cpus().length);
const PEER_SECONDS = quick ? 3 : 15;
// K1 and W4 timings, simdnet's and the peers' alike (bench/timing.mjs).
const TIMING = quick ? { warmMs: 200, rounds: 3, roundMs: 50 } : { warmMs: 1500, rounds: 9, roundMs: 150 };
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const log = (...a) => console.error(...a);

function gemmGflops(m, k, n) {
  const a = sn.tensor(Float32Array.from({ length: m * k }, () => Math.random() - 0.5), [m, k]);
  const b = sn.tensor(Float32Array.from({ length: k * n }, () => Math.random() - 0.5), [k, n]);
  const c = sn.zeros([m, n]);
  const seconds = medianSecondsPerCall(() => sn.matmul(a, b, { out: c }), TIMING);
  for (const t of [a, b, c]) t.dispose();
  return (2 * m * k * n) / seconds / 1e9;
}

/** simdnet training samples/s over one epoch (after a warm-up epoch); median of `rounds` epochs (5: a slow spell of the 2-thread runs can last a second or two). */
async function simdnetTrain(w, data, threads, rounds = quick ? 1 : 5) {
  await sn.setThreads(threads);
  const model = simdnetModel(w);
  const warm = { epochs: 1, batchSize: w.batchSize, shuffle: true, seed: 1, verbose: 0 };
  await model.fit(data.train.x, data.train.y, { ...warm, epochs: 1 });
  const rates = [];
  for (let r = 0; r < rounds; r++) {
    const h = await model.fit(data.train.x, data.train.y, { ...warm, seed: 2 + r });
    rates.push(h.history.samplesPerSecond[0]);
  }
  model.dispose();
  return median(rates);
}

function simdnetInfer(w, data) {
  const model = simdnetModel(w);
  const x = sn.tensor(data.test.x.data.subarray(0, w.batchSize * 784), [w.batchSize, 784]);
  const seconds = medianSecondsPerCall(() => model.predict(x, { batchSize: w.batchSize }).dispose(), TIMING);
  x.dispose();
  model.dispose();
  return w.batchSize / seconds;
}

/** Wall seconds of training (evaluation excluded) until test accuracy >= target, checked every 100 batches. */
async function simdnetSecondsTo(w, data, target, threads) {
  await sn.setThreads(threads);
  const model = simdnetModel(w, { metrics: ['accuracy'] });
  let evalMs = 0;
  let reached = null;
  const t0 = performance.now();
  await model.fit(data.train.x, data.train.y, {
    epochs: 20, batchSize: w.batchSize, shuffle: true, seed: 1, verbose: 0,
    callbacks: {
      onBatchEnd: (batch) => {
        if (reached !== null || (batch + 1) % 100 !== 0) return;
        const e0 = performance.now();
        const { accuracy } = model.evaluate(data.test.x, data.test.y);
        evalMs += performance.now() - e0;
        if (accuracy >= target) {
          reached = { seconds: (performance.now() - t0 - evalMs) / 1000, accuracy };
          model.stopTraining = true;
        }
      },
    },
  });
  model.dispose();
  return reached ?? { seconds: NaN, accuracy: NaN };
}

function peakRssW1() {
  const script = fileURLToPath(new URL('./rss-w1.mjs', import.meta.url));
  const out = execFileSync(process.execPath, [script, '--epochs', quick ? '2' : '4'], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

const build = sn.backendInfo().relaxedSimd ? 'relaxed SIMD' : 'plain SIMD';
const results = { date: new Date().toISOString(), node: process.version, build, cpus: cpus().length, cpu: cpus()[0]?.model, quick };
const data = await loadData();
results.data = data.source;
log(`data: ${data.source}`);
const images = { train: data.train.x.data.slice(), test: data.test.x.data.slice() };
const labels = { train: data.train.labels, test: data.test.labels };

// K1: GEMM
results.K1 = {};
for (const [m, k, n] of [[64, 784, 128], [512, 512, 512]]) {
  const key = `${m}x${k}x${n}`;
  await sn.setThreads(1);
  const one = gemmGflops(m, k, n);
  await sn.setThreads(ALL_THREADS);
  const all = gemmGflops(m, k, n);
  await tfjs.useBackend('wasm');
  const tfWasm = tfjs.matmulGflops(m, k, n, TIMING);
  const naive = naiveMatmulGflops(m, k, n, quick ? 0.3 : 1);
  results.K1[key] = { simdnet1: one, simdnetAll: all, tfjsWasm: tfWasm, naive };
  log(`K1 ${key}: simdnet 1T ${one.toFixed(1)}, ${ALL_THREADS}T ${all.toFixed(1)}, tfjs-wasm ${tfWasm.toFixed(1)}, naive ${naive.toFixed(2)} GFLOPS`);
}

// W1-W3: training samples/s
for (const id of ['W1', 'W2', 'W3']) {
  const w = WORKLOADS[id];
  const peerArgs = { ...w, images: images.train, labels: labels.train, maxSeconds: PEER_SECONDS };
  const r = {};
  r.simdnet1 = await simdnetTrain(w, data, 1);
  r.simdnetAll = await simdnetTrain(w, data, ALL_THREADS);
  await tfjs.useBackend('wasm');
  r.tfjsWasm = tfjs.trainSamplesPerSecond(peerArgs).samplesPerSecond;
  await tfjs.useBackend('cpu');
  r.tfjsCpu = tfjs.trainSamplesPerSecond({ ...peerArgs, maxSeconds: PEER_SECONDS / 3 }).samplesPerSecond;
  r.naive = naiveTrainSamplesPerSecond({ ...peerArgs, maxSeconds: PEER_SECONDS / 3 }).samplesPerSecond;
  results[id] = r;
  log(`${id} ${w.title}: ${Object.entries(r).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')} samples/s`);
}

// W4: inference
{
  const w = WORKLOADS.W4;
  const r = {};
  await sn.setThreads(1);
  r.simdnet1 = simdnetInfer(w, data);
  await sn.setThreads(ALL_THREADS);
  r.simdnetAll = simdnetInfer(w, data);
  await tfjs.useBackend('wasm');
  r.tfjsWasm = tfjs.inferSamplesPerSecond({ ...w, images: images.test, timing: TIMING });
  await tfjs.useBackend('cpu');
  r.tfjsCpu = tfjs.inferSamplesPerSecond({ ...w, images: images.test, timing: { ...TIMING, rounds: 3 } });
  r.naive = naiveInferSamplesPerSecond({ ...w, images: images.test, minSeconds: quick ? 0.3 : 1 });
  results.W4 = r;
  log(`W4: ${Object.entries(r).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')} samples/s`);
}

// Time to 85% test accuracy with W1
{
  const w = WORKLOADS.W1;
  const target = 0.85;
  const r = {};
  r.simdnet1 = await simdnetSecondsTo(w, data, target, 1);
  r.simdnetAll = await simdnetSecondsTo(w, data, target, ALL_THREADS);
  await tfjs.useBackend('wasm');
  r.tfjsWasm = tfjs.secondsToAccuracy({ ...w, train: { images: images.train, labels: labels.train }, test: { images: images.test, labels: labels.test }, target, maxSeconds: quick ? 20 : 120 });
  results.timeTo85 = r;
  log(`time to 85%: ${Object.entries(r).map(([k, v]) => `${k} ${v.seconds.toFixed(2)} s`).join(', ')}`);
}

results.rssW1 = peakRssW1();
log(`peak RSS W1: ${JSON.stringify(results.rssW1)}`);
data.dispose();

writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify(results, null, 2) + '\n');
updateReadme(results);
console.log(JSON.stringify(results, null, 2));

function updateReadme(r) {
  const f = (v, d = 0) => (Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a');
  const x = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(1)}x` : 'n/a');
  const lines = [
    `Measured by \`npm run bench\` on ${r.cpus} cores (${r.cpu}), Node ${r.node} (${r.build} build), ${r.date.slice(0, 10)}; data: ${r.data}.`,
    `Every figure comes from the same run; "x tfjs" is simdnet on all ${ALL_THREADS} threads over TensorFlow.js's wasm backend.`,
    '',
    '| workload | simdnet 1 thread | simdnet all threads | tfjs wasm | tfjs cpu | naive JS | x tfjs |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [key, v] of Object.entries(r.K1)) {
    lines.push(`| K1 GEMM ${key} (GFLOPS) | ${f(v.simdnet1, 1)} | ${f(v.simdnetAll, 1)} | ${f(v.tfjsWasm, 1)} | | ${f(v.naive, 2)} | ${x(v.simdnetAll, v.tfjsWasm)} |`);
  }
  for (const id of ['W1', 'W2', 'W3', 'W4']) {
    const v = r[id];
    const unit = id === 'W4' ? 'inference samples/s' : 'training samples/s';
    lines.push(`| ${id} ${WORKLOADS[id].title} (${unit}) | ${f(v.simdnet1)} | ${f(v.simdnetAll)} | ${f(v.tfjsWasm)} | ${f(v.tfjsCpu)} | ${f(v.naive)} | ${x(v.simdnetAll, v.tfjsWasm)} |`);
  }
  const t = r.timeTo85;
  lines.push(`| W1 seconds to 85% test accuracy | ${f(t.simdnet1.seconds, 2)} | ${f(t.simdnetAll.seconds, 2)} | ${f(t.tfjsWasm.seconds, 2)} | | | ${x(t.tfjsWasm.seconds, t.simdnetAll.seconds)} |`);
  lines.push('', `Peak RSS of a W1 training run: ${f(r.rssW1.firstEpochRssMiB, 1)} MiB after epoch 1, ${f(r.rssW1.peakRssMiB, 1)} MiB peak over ${r.rssW1.epochs} epochs (dataset float32 bytes ${f(r.rssW1.datasetMiB, 1)} MiB + 96 MiB = ${f(r.rssW1.datasetMiB + 96, 1)} MiB budget).`);
  const readmeUrl = new URL('../README.md', import.meta.url);
  const readme = readFileSync(readmeUrl, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i < 0 || j < i) {
    log('README.md has no bench markers; table not written');
    return;
  }
  writeFileSync(readmeUrl, readme.slice(0, i + start.length) + '\n' + lines.join('\n') + '\n' + readme.slice(j));
}
