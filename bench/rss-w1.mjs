// Peak RSS of a W1 training run, in its own process so nothing else (tfjs, the peers) is counted.
// Prints one JSON line: peak RSS (MiB) after the first epoch and over all epochs, and the dataset's float32 bytes.
//   node bench/rss-w1.mjs [--epochs N]
import { existsSync, readFileSync } from 'node:fs';
import * as sn from '../dist/index.js';
import { WORKLOADS, loadData, simdnetModel } from './workloads.mjs';

const epochsArg = process.argv.indexOf('--epochs');
const epochs = epochsArg > 0 ? Number(process.argv[epochsArg + 1]) : 4;
const data = await loadData();
const w = WORKLOADS.W1;
const model = simdnetModel(w);
// The process's own high-water mark (VmHWM) where /proc has it: getrusage's maxRSS (resourceUsage) keeps
// the parent's RSS at the fork, so run from bench/run.mjs it reported the bench's RSS (692 MiB against 310).
const rssMiB = () => {
  const hwm = existsSync('/proc/self/status') ? /VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8')) : null;
  return (hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS) / 1024;
};
const perEpoch = [];
await model.fit(data.train.x, data.train.y, {
  epochs, batchSize: w.batchSize, shuffle: true, seed: 1, verbose: 0,
  callbacks: { onEpochEnd: () => { perEpoch.push(rssMiB()); } },
});
const datasetBytes = (data.train.x.size + data.train.y.size + data.test.x.size + data.test.y.size) * 4;
model.dispose();
data.dispose();
console.log(JSON.stringify({
  data: data.source, epochs, firstEpochRssMiB: perEpoch[0], peakRssMiB: Math.max(...perEpoch), perEpochMiB: perEpoch,
  datasetMiB: datasetBytes / 2 ** 20, threads: sn.getThreads(),
}));
