// What fit's classWeight / sampleWeight cost: the 784-128-10 ReLU/softmax network (sparse labels, SGD, batch
// 64) on 4096 synthetic rows, one epoch with and without classWeight, alternated in paired rounds in one run
// (absolute speeds on a shared 2-core machine vary by 2x; their ratio per round is what is compared).
// Also the loss step alone: one batch loss call against the weighted path's 64 single-row calls plus the
// row scaling.
//   npm run build && node bench/sample-weights.mjs [rounds]
import * as sn from '../dist/index.js';
import { lossRows } from '../dist/nn/losses.js';
import { allocate } from '../dist/backend/allocator.js';
import { kernels } from '../dist/backend/wasm.js';

const rounds = Number(process.argv[2] ?? 7);
const rows = 4096;
const batch = 64;
const x = sn.tensor(Float32Array.from({ length: rows * 784 }, (_, i) => ((i * 2654435761) >>> 0) / 2 ** 32), [rows, 784]);
const y = sn.tensor(Float32Array.from({ length: rows }, (_, i) => i % 10), [rows, 1]);
const classWeight = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [i, 1 + i / 10]));

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

async function samplesPerSecond(weighted) {
  const m = sn.sequential([sn.layers.dense({ units: 128, activation: 'relu', inputShape: [784] }), sn.layers.dense({ units: 10, activation: 'softmax' })], { seed: 1 });
  m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
  const h = await m.fit(x, y, { epochs: 1, batchSize: batch, seed: 1, ...(weighted ? { classWeight } : {}) });
  m.dispose();
  return h.history.samplesPerSecond[0];
}

const ratios = [];
const speeds = { plain: [], weighted: [] };
for (let r = 0; r < rounds; r++) {
  // Alternate which goes first, so a drift in the machine's load favours neither.
  const order = r % 2 === 0 ? [false, true] : [true, false];
  const got = {};
  for (const weighted of order) got[weighted] = await samplesPerSecond(weighted);
  speeds.plain.push(got[false]);
  speeds.weighted.push(got[true]);
  ratios.push(got[true] / got[false]);
}

/** Microseconds per call of `fn`, median of 9 rounds of 2000 calls. */
function micros(fn) {
  const times = [];
  for (let r = 0; r < 9; r++) {
    const start = performance.now();
    for (let i = 0; i < 2000; i++) fn();
    times.push(((performance.now() - start) / 2000) * 1000);
  }
  return median(times);
}
const out = allocate(batch * 10 * 4);
const labels = allocate(batch * 4);
const grad = allocate(batch * 10 * 4);
const weights = allocate(batch * 4);
const batchLoss = micros(() => lossRows('sparseCategoricalCrossentropy', true, out, labels, batch, 10, grad, 'mean'));
const weightedLoss = micros(() => {
  for (let r = 0; r < batch; r++) lossRows('sparseCategoricalCrossentropy', true, out + r * 40, labels + r * 4, 1, 10, grad + r * 40, 'sum');
  kernels.scaleRowsByWeights(grad, batch, 10, weights, 1 / batch);
});

console.log(JSON.stringify({
  samplesPerSecond: { plain: Math.round(median(speeds.plain)), classWeight: Math.round(median(speeds.weighted)) },
  medianRatio: Number(median(ratios).toFixed(3)),
  ratios: ratios.map((v) => Number(v.toFixed(3))),
  lossMicrosPerBatch: { batchCall: Number(batchLoss.toFixed(2)), weightedRowsAndScale: Number(weightedLoss.toFixed(2)) },
}));
process.exit(0);
