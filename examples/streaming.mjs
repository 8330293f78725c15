// TensorFlow.js-style training on streamed data: the package's digits read from their IDX files with
// sn.data.idx (shuffled through a buffer, batched, prefetched) and trained with model.fitDataset, checked
// with evaluateDataset; a CSV file streamed with sn.data.csv; tidy/keep, dataSync, reshape; save to a
// file:// URL and load from the path of model.json.
// Run: node examples/streaming.mjs [--json] [--epochs N]
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as sn from 'simdnet';

const json = process.argv.includes('--json');
const epochsArg = process.argv.indexOf('--epochs');
const epochs = epochsArg > 0 ? Number(process.argv[epochsArg + 1]) : 3;
const digits = fileURLToPath(new URL('../data/digits/', import.meta.url));
const file = (name) => join(digits, `${name}.gz`);

// Images and labels streamed from the gzipped IDX files: only one batch at a time is in the wasm memory.
const train = sn.data
  .idx(file('train-images-idx3-ubyte'), file('train-labels-idx1-ubyte'))
  .shuffle(2000, 1)
  .batch(64)
  .prefetch(2);
const test = sn.data.idx(file('t10k-images-idx3-ubyte'), file('t10k-labels-idx1-ubyte')).batch(500);

const model = sn.sequential([
  sn.layers.dense({ units: 128, inputShape: [784], activation: 'relu' }),
  sn.layers.dense({ units: 10, activation: 'softmax' }),
], { seed: 1 });
model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
const history = await model.fitDataset(train, { epochs, validationData: test });
const { accuracy } = await model.evaluateDataset(test);

// A CSV file (written here) streamed row by row: the label column is ys, the others xs.
const dir = mkdtempSync(join(tmpdir(), 'simdnet-streaming-'));
const csvFile = join(dir, 'points.csv');
const rows = ['x1,x2,label'];
for (let i = 0; i < 400; i++) {
  const x1 = ((i * 37) % 100) / 50 - 1;
  const x2 = ((i * 61) % 100) / 50 - 1;
  rows.push(`${x1},${x2},${x1 * x2 > 0 ? 1 : 0}`);
}
writeFileSync(csvFile, rows.join('\n'));
const points = sn.data.csv(csvFile, { label: 'label' }).shuffle(400, 2).batch(20);
const xor = sn.sequential([
  sn.layers.dense({ units: 16, inputShape: [2], activation: 'tanh' }),
  sn.layers.dense({ units: 1, activation: 'sigmoid' }),
], { seed: 2 });
xor.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.05 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
await xor.fitDataset(points, { epochs: 60 });
const xorAccuracy = (await xor.evaluateDataset(points)).accuracy;

// tidy disposes what the function made except what it returns; keep() spares a tensor too.
const before = sn.memory().tensors;
const probabilities = sn.tidy(() => {
  const x = sn.tensor([[0.5, 0.5], [-0.5, 0.5]]);
  const p = xor.predict(x);               // [2, 1]
  return p.reshape([2]);                  // a new tensor owning a copy; x and p are disposed
});
const values = probabilities.dataSync();  // a copy (Float32Array), as tfjs; probabilities.data is the live view
probabilities.dispose();
const leaked = sn.memory().tensors - before;

// Save to a file:// URL, load from the path of model.json: the same predictions.
const saved = join(dir, 'digits-model');
await model.save(pathToFileURL(saved).href);
const loaded = await sn.loadModel(join(saved, 'model.json'));
const loadedAccuracy = (await loaded.evaluateDataset(test)).accuracy;

const result = { epochs, accuracy, valAccuracy: history.history.valAccuracy, xorAccuracy, probabilities: Array.from(values), leaked, loadedAccuracy };
if (json) console.log(JSON.stringify(result));
else {
  console.log(`digits streamed from IDX: ${(accuracy * 100).toFixed(1)}% on the 2,000 held-out digits after ${epochs} epochs`);
  console.log(`points streamed from CSV: ${(xorAccuracy * 100).toFixed(1)}%; P(class 1) at (0.5, 0.5) and (-0.5, 0.5): ${Array.from(values, (v) => v.toFixed(3)).join(', ')}`);
  console.log(`tensors left by tidy: ${leaked}; reloaded model: ${(loadedAccuracy * 100).toFixed(1)}%`);
}
for (const m of [model, xor, loaded]) m.dispose();
