// Training-loop benchmarks of the Sequential model (src/nn), all in one run so ratios are comparable:
//   1. fit samples/s of the 784-128-10 ReLU/softmax MLP on the real MNIST digits (mnist package), SGD,
//      batch 64 and 256, next to TensorFlow.js (wasm/XNNPACK and cpu backends, bench/peers/tfjs.mjs: its
//      fastest idiom, pre-sliced batches and optimizer.minimize) on the same data and sizes;
//   2. the cost of onNonFinite 'stop' (the optimizer kernels save the old parameters and state while they
//      update): the whole-fit speed ratio 'continue' / 'stop' (noisy on a shared machine), and the update
//      kernel timed with and without the saving, as a share of a training step;
//   3. per-epoch overhead of fit on a tiny network (XOR 2-3-1, full batch): microseconds per epoch.
// Each figure is the median of --rounds (default 5) runs. Run after `npm run build`: node bench/training.mjs
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as sn from '../dist/index.js';
import { trainSamplesPerSecond, useBackend } from './peers/tfjs.mjs';

const roundsArg = process.argv.find((a) => a.startsWith('--rounds='));
const ROUNDS = roundsArg ? Math.max(1, Number(roundsArg.slice(9))) : 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const digitsDir = join(dirname(createRequire(import.meta.url).resolve('mnist')), 'digits');
const PIXELS = 784;
const chunks = [];
const labelList = [];
for (let d = 0; d < 10; d++) {
  const { data } = JSON.parse(readFileSync(join(digitsDir, `${d}.json`), 'utf8'));
  chunks.push(Float32Array.from(data));
  for (let i = 0; i < data.length / PIXELS; i++) labelList.push(d);
}
const rows = labelList.length;
// Interleave the digits (the files are sorted by class) with a fixed permutation.
const order = Array.from({ length: rows }, (_, i) => i).sort((a, b) => ((a * 7919) % rows) - ((b * 7919) % rows));
const flat = new Float32Array(rows * PIXELS);
const all = new Float32Array(rows * PIXELS);
{
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
}
const labels = new Int32Array(rows);
const oneHot = new Float32Array(rows * 10);
order.forEach((k, i) => {
  flat.set(all.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
  labels[i] = labelList[k];
  oneHot[i * 10 + labelList[k]] = 1;
});
const x = sn.tensor(flat, [rows, PIXELS]);
const y = sn.tensor(oneHot, [rows, 10]);

async function simdnetSamplesPerSecond({ batchSize, optimizer = () => sn.optimizers.sgd({ learningRate: 0.1 }), onNonFinite = 'stop', epochs = 2 }) {
  const model = sn.sequential([
    sn.layers.dense({ inputShape: [PIXELS], units: 128, activation: 'relu' }),
    sn.layers.dense({ units: 10, activation: 'softmax' }),
  ], { seed: 1 });
  model.compile({ optimizer: optimizer(), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const h = await model.fit(x, y, { epochs, batchSize, shuffle: true, seed: 1, onNonFinite });
  model.dispose();
  return h.history.samplesPerSecond.at(-1); // the last epoch: warmed up
}

const results = {};
const report = (name, value, unit) => {
  results[name] = value;
  console.log(`${name.padEnd(58)} ${value.toFixed(unit === 'x' ? 3 : 0).padStart(10)} ${unit}`);
};

console.log(`threads: ${sn.getThreads()}, rounds: ${ROUNDS}, MNIST rows: ${rows}`);
for (const batchSize of [64, 256]) {
  const ours = [];
  for (let r = 0; r < ROUNDS; r++) ours.push(await simdnetSamplesPerSecond({ batchSize }));
  report(`simdnet fit 784-128-10 SGD batch ${batchSize}`, median(ours), 'samples/s');
  for (const backend of ['wasm', 'cpu']) {
    await useBackend(backend);
    const peer = [];
    for (let r = 0; r < (backend === 'cpu' ? 1 : ROUNDS); r++) {
      peer.push(trainSamplesPerSecond({ sizes: [PIXELS, 128, 10], init: 'glorot', learningRate: 0.1, batchSize, images: flat, labels, maxSeconds: 10 }).samplesPerSecond);
    }
    report(`tfjs-${backend} minimize 784-128-10 SGD batch ${batchSize}`, median(peer), 'samples/s');
    report(`  simdnet / tfjs-${backend}`, median(ours) / median(peer), 'x');
  }
}

for (const [name, optimizer] of [['SGD', () => sn.optimizers.sgd({ learningRate: 0.1 })], ['Adam', () => sn.optimizers.adam({ learningRate: 0.001 })]]) {
  const ratios = [];
  const stops = [];
  const conts = [];
  for (let r = 0; r < ROUNDS; r++) {
    const stop = await simdnetSamplesPerSecond({ batchSize: 64, optimizer, onNonFinite: 'stop' });
    const cont = await simdnetSamplesPerSecond({ batchSize: 64, optimizer, onNonFinite: 'continue' });
    stops.push(stop);
    conts.push(cont);
    ratios.push(cont / stop);
  }
  report(`${name} batch 64, onNonFinite 'stop' (snapshot saved in every update)`, median(stops), 'samples/s');
  report(`${name} batch 64, onNonFinite 'continue'`, median(conts), 'samples/s');
  report(`  ${name} snapshot cost: 'continue' / 'stop' speed`, median(ratios), 'x');
}

{
  // The snapshot is written by the optimizer kernels during the update (they copy the old values first):
  // the update of the 101,770 parameters timed with and without that copy, against the step time.
  const params = 784 * 128 + 128 + 128 * 10 + 10;
  const [w, g, m, v, savedW, savedM, savedV] = Array.from({ length: 7 }, () => sn.zeros([params]));
  const sgd = sn.optimizers.sgd({ learningRate: 1e-3 });
  const adam = sn.optimizers.adam({ learningRate: 1e-3 });
  adam.iterations = 1;
  const updates = {
    'SGD update': (save) => sgd.update(w.ptr, g.ptr, [], params, 1, 1e-3, save ? [savedW.ptr] : null),
    'Adam update': (save) => adam.update(w.ptr, g.ptr, [m.ptr, v.ptr], params, 1, 1e-3, save ? [savedW.ptr, savedM.ptr, savedV.ptr] : null),
  };
  const micros = (fn) => {
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) fn();
    return ((performance.now() - t0) * 1000) / 2000;
  };
  const steps = [];
  for (let r = 0; r < ROUNDS; r++) steps.push((64 / (await simdnetSamplesPerSecond({ batchSize: 64, onNonFinite: 'continue' }))) * 1e6);
  report('training step 784-128-10 SGD batch 64', median(steps), 'us');
  for (const [name, update] of Object.entries(updates)) {
    const plain = [];
    const saving = [];
    for (let r = 0; r < ROUNDS; r++) {
      plain.push(micros(() => update(false)));
      saving.push(micros(() => update(true)));
    }
    report(`${name} of the 101,770 parameters`, median(plain), 'us');
    report(`${name} saving the old values for 'stop'`, median(saving), 'us');
    report(`  extra cost of the snapshot, share of an SGD step`, (median(saving) - median(plain)) / median(steps), 'x');
  }
  for (const t of [w, g, m, v, savedW, savedM, savedV]) t.dispose();
}

{
  const xor = [[0, 0], [0, 1], [1, 0], [1, 1]];
  const perEpoch = [];
  for (let r = 0; r < ROUNDS; r++) {
    const m = sn.sequential([sn.layers.dense({ inputShape: [2], units: 3, activation: 'sigmoid' }), sn.layers.dense({ units: 1, activation: 'sigmoid' })], { seed: 1 });
    m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 1 }), loss: 'meanSquaredError' });
    const t0 = performance.now();
    await m.fit(xor, [0, 1, 1, 0], { epochs: 20000, batchSize: 4 });
    perEpoch.push(((performance.now() - t0) * 1000) / 20000);
    m.dispose();
  }
  report('XOR 2-3-1 full batch: fit time per epoch (one update)', median(perEpoch), 'us');
}
x.dispose();
y.dispose();
