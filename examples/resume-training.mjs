// Resuming a training: fit 3 epochs, save (weights and optimizer state), load, fit on with initialEpoch 3 to
// epoch 6, and compare with one straight 6-epoch fit: the weights are the same, bit for bit. RMSprop with
// momentum and clipNorm, two moons of noisy points, batch 16, seed 7.
// Run: node examples/resume-training.mjs [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sn from 'simdnet';

const json = process.argv.includes('--json');
// Two interleaved half circles, a deterministic wobble standing in for noise.
const x = [];
const y = [];
for (let i = 0; i < 200; i++) {
  const upper = i % 2 === 0;
  const angle = (Math.PI * (i >> 1)) / 100;
  const wobble = 0.1 * Math.sin(i * 12.9898);
  x.push(upper ? [Math.cos(angle), Math.sin(angle) + wobble] : [1 - Math.cos(angle), 0.5 - Math.sin(angle) + wobble]);
  y.push([upper ? 1 : 0]);
}

function makeModel() {
  const model = sn.sequential([
    sn.layers.dense({ inputShape: [2], units: 16, activation: 'tanh' }),
    sn.layers.dense({ units: 1, activation: 'sigmoid' }),
  ], { seed: 3 });
  model.compile({ optimizer: sn.optimizers.rmsprop({ learningRate: 0.01, momentum: 0.5, clipNorm: 1 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return model;
}

const options = { batchSize: 16, seed: 7 };
const straight = makeModel();
const straightHistory = await straight.fit(x, y, { ...options, epochs: 6 });

const first = makeModel();
await first.fit(x, y, { ...options, epochs: 3 });
const dir = mkdtempSync(join(tmpdir(), 'simdnet-resume-'));
await first.save(dir);
const resumed = await sn.loadModel(dir);
const resumedHistory = await resumed.fit(x, y, { ...options, epochs: 6, initialEpoch: 3 });
rmSync(dir, { recursive: true, force: true });

const a = straight.getWeights();
const b = resumed.getWeights();
const identical = a.length === b.length && a.every((w, i) => w.length === b[i].length && w.every((v, j) => Object.is(v, b[i][j])));
const result = {
  identical,
  iterations: resumed.optimizer.iterations,
  resumedEpochs: resumedHistory.epoch,
  loss: resumedHistory.history.loss.at(-1),
  straightLoss: straightHistory.history.loss.at(-1),
  accuracy: resumedHistory.history.accuracy.at(-1),
};
for (const m of [straight, first, resumed]) m.dispose();
if (json) console.log(JSON.stringify(result));
else {
  console.log(`epochs ${result.resumedEpochs.join(', ')} after reloading: loss ${result.loss.toFixed(4)}, accuracy ${result.accuracy.toFixed(3)}`);
  console.log(`weights identical to one straight 6-epoch fit: ${identical} (${result.iterations} updates)`);
}
