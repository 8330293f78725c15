// How much a second core adds on this host: n^3 GEMMs in one worker alone, then in two workers at once, each
// worker its own simdnet instance on one thread (no pool, nothing shared). The two-thread GEMM figures of the
// bench cannot beat this ratio; on a VM whose cores share caches and memory with other tenants it moves
// from minute to minute, so it is printed per try.
//   node bench/concurrent-gemm.mjs [--sizes 512,256] [--tries 3] [--seconds 2]
import { Worker } from 'node:worker_threads';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i < 0 ? fallback : args[i + 1];
};
const sizes = option('--sizes', '512,256').split(',').map(Number);
const tries = Number(option('--tries', '3'));
const seconds = Number(option('--seconds', '2'));
const dist = new URL('../dist/index.js', import.meta.url).href;

// Each worker: warm up, say 'ready', then on 'go' time GEMMs for `seconds` and post its GFLOPS.
const WORKER = `
const { parentPort, workerData: { dist, n, seconds } } = require('node:worker_threads');
import(dist).then(async (sn) => {
  await sn.setThreads(1);
  const a = sn.tensor(Float32Array.from({ length: n * n }, (_, i) => Math.sin(i)), [n, n]);
  const b = sn.tensor(Float32Array.from({ length: n * n }, (_, i) => Math.cos(i)), [n, n]);
  const out = sn.zeros([n, n]);
  for (let i = 0; i < 5; i++) sn.matmul(a, b, { out });
  parentPort.postMessage('ready');
  parentPort.once('message', () => {
    const start = performance.now();
    let calls = 0;
    while (performance.now() - start < seconds * 1000) {
      sn.matmul(a, b, { out });
      calls++;
    }
    parentPort.postMessage((2 * n * n * n * calls) / ((performance.now() - start) / 1000) / 1e9);
  });
});
`;

/** GFLOPS of each of `count` workers running n^3 GEMMs at the same time. */
async function concurrent(count, n) {
  const workers = Array.from({ length: count }, () => new Worker(WORKER, { eval: true, workerData: { dist, n, seconds } }));
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
  const gflops = await Promise.all(workers.map((w) => new Promise((resolve) => {
    w.once('message', resolve);
    w.postMessage('go');
  })));
  await Promise.all(workers.map((w) => w.terminate()));
  return gflops;
}

for (const n of sizes) {
  for (let t = 0; t < tries; t++) {
    const [alone] = await concurrent(1, n);
    const pair = await concurrent(2, n);
    const sum = pair[0] + pair[1];
    console.log(`${n}^3: one worker ${alone.toFixed(1)} GFLOPS; two at once ${pair.map((g) => g.toFixed(1)).join(' + ')} = ${sum.toFixed(1)} (${(sum / alone).toFixed(2)}x)`);
  }
}
process.exit(0);
