// W1 (784-128-10, SGD 0.1, batch 64) trained one epoch by in-memory fit and by fitDataset over the IDX files
// streamed with sn.data (read, and gunzipped, as training runs), in alternating rounds of one run (paired):
// the target is fitDataset within 10% of fit's samples/s. Uses Fashion-MNIST from Debian's
// dataset-fashion-mnist when installed, else the package's digits (8,000 rows). The files are streamed as
// they are (gzipped: every epoch inflates them again) and as raw copies written to a temporary folder. One
// more row prices the inflating alone: the in-memory fit while another thread inflates the images file.
//   node bench/fit-dataset.mjs [--rounds N] [--threads N]
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import * as sn from '../dist/index.js';
import { FASHION_DIR, WORKLOADS, simdnetModel } from './workloads.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg('--rounds', 3);
await sn.setThreads(arg('--threads', sn.getThreads()));
const dir = existsSync(FASHION_DIR) ? FASHION_DIR : fileURLToPath(new URL('../data/digits/', import.meta.url));
const files = await sn.io.findIdxFiles(dir);
const w = WORKLOADS.W1;
const data = await sn.datasets.idxFolder(dir);
const rows = data.train.x.shape[0];
const rawDir = mkdtempSync(join(tmpdir(), 'simdnet-bench-idx-'));
const raw = {};
for (const key of ['trainImages', 'trainLabels']) {
  const bytes = readFileSync(files[key]);
  raw[key] = join(rawDir, key);
  writeFileSync(raw[key], bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes);
}
const streamed = (shuffle, from = files) => {
  let ds = sn.data.idx(from.trainImages, from.trainLabels, { oneHot: 10 });
  if (shuffle) ds = ds.shuffle(shuffle, 1);
  return ds.batch(w.batchSize).prefetch(4);
};

async function timed(train) {
  const model = simdnetModel(w);
  const started = performance.now();
  await train(model);
  const seconds = (performance.now() - started) / 1000;
  model.dispose();
  return rows / seconds;
}

// A thread that reads and inflates the stored images file once per request (node's async gunzip would
// advance only when the training thread yields to the event loop).
const inflater = new Worker(
  `const { parentPort } = require('node:worker_threads');
   const { gunzipSync } = require('node:zlib');
   const { readFileSync } = require('node:fs');
   parentPort.on('message', (file) => parentPort.postMessage(gunzipSync(readFileSync(file)).length));`,
  { eval: true },
);
const inflateImages = () => new Promise((resolve) => {
  inflater.once('message', resolve);
  inflater.postMessage(files.trainImages);
});
const runs = {
  'fit (in memory, shuffled)': (m) => m.fit(data.train.x, data.train.y, { epochs: 1, batchSize: w.batchSize, seed: 1 }),
  // The inflating alone, without sn.data: the same fit while another thread reads and inflates the stored
  // images once (what a streamed epoch from the gzipped files must also do): the CPU it takes from training.
  'fit (in memory) beside one gunzip of images': (m) => Promise.all([inflateImages(), m.fit(data.train.x, data.train.y, { epochs: 1, batchSize: w.batchSize, seed: 1 })]),
  'fit (in memory, in order: shuffle false)': (m) => m.fit(data.train.x, data.train.y, { epochs: 1, batchSize: w.batchSize, shuffle: false }),
  'fitDataset (IDX as stored, in file order)': (m) => m.fitDataset(streamed(0), { epochs: 1 }),
  'fitDataset (raw IDX, in file order)': (m) => m.fitDataset(streamed(0, raw), { epochs: 1 }),
  'fitDataset (raw IDX, shuffle(10000))': (m) => m.fitDataset(streamed(10000, raw), { epochs: 1 }),
};
const rates = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
await timed(runs['fit (in memory, shuffled)']); // warm-up (workers, JIT)
for (let r = 0; r < rounds; r++) for (const [name, run] of Object.entries(runs)) rates[name].push(await timed(run));
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const base = rates['fit (in memory, shuffled)'];
console.log(`W1, one epoch of ${rows} rows from ${dir}, ${sn.getThreads()} thread(s), ${rounds} paired rounds (wall time incl. reading); x fit: the median (range) of each round's ratio:`);
for (const [name, v] of Object.entries(rates)) {
  const ratios = v.map((rate, r) => rate / base[r]);
  const range = `${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)}`;
  console.log(`  ${name.padEnd(44)} ${Math.round(median(v)).toString().padStart(7)} samples/s  ${median(ratios).toFixed(3)} x fit (${range})`);
}
data.dispose();
await inflater.terminate();
process.exit(0);
