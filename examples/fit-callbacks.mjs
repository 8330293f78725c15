// fit the way Keras and TensorFlow.js scripts call it: the last 20% of the rows held out with
// validationSplit, the rarer class weighted up with classWeight, and the built-in callbacks: early stopping
// that keeps the best epoch's weights, a learning rate lowered on plateaus, and a checkpoint of the best model.
// Run: node examples/fit-callbacks.mjs [--json] [--verbose]
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sn from 'simdnet';

const json = process.argv.includes('--json');
// 800 points in the square [-1, 1]^2; class 1 (about a fifth of them) inside a circle of radius 0.5.
let state = 12345;
const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1;
const x = Array.from({ length: 800 }, () => [uniform(), uniform()]);
const y = x.map(([a, b]) => (a * a + b * b < 0.25 ? 1 : 0));

const model = sn.sequential([
  sn.layers.dense({ inputShape: [2], units: 16, activation: 'tanh' }),
  sn.layers.dense({ units: 2, activation: 'softmax' }),
], { seed: 3 });
model.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.02 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });

const checkpoints = mkdtempSync(join(tmpdir(), 'simdnet-fit-callbacks-'));
const history = await model.fit(x, y, {
  epochs: 200,
  batchSize: 32,
  seed: 1,
  validationSplit: 0.2,                 // rows 640-799 validate; the first 640 train
  classWeight: { 0: 1, 1: 3 },          // the circle's points count three times in the loss
  verbose: process.argv.includes('--verbose') ? 1 : 0,
  callbacks: [
    sn.callbacks.earlyStopping({ monitor: 'val_loss', patience: 10, restoreBestWeights: true }),
    sn.callbacks.reduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 4, minLr: 1e-4 }),
    sn.callbacks.modelCheckpoint({ path: join(checkpoints, 'best'), monitor: 'val_accuracy', saveBestOnly: true }),
  ],
});
const epochs = history.epoch.length;
const bestValLoss = Math.min(...history.history.val_loss);   // tfjs's name: the same array as valLoss
const { accuracy } = model.evaluate(x.slice(640), y.slice(640));
const result = {
  epochs, bestValLoss, validationAccuracy: accuracy, lastLearningRate: history.history.learningRate[epochs - 1],
  firstLearningRate: history.history.learningRate[0], checkpoint: readdirSync(checkpoints),
};
model.dispose();
if (json) console.log(JSON.stringify(result));
else console.log(`stopped after ${epochs} epochs; held-out accuracy ${(100 * accuracy).toFixed(1)}% with the best epoch's weights; learning rate ${result.firstLearningRate} -> ${result.lastLearningRate}`);
