// The tutorials' OR gate: one sigmoid neuron y = sigmoid(w1 x1 + w2 x2 + b) from their weights
// W = [0.1, 0.6], b = 0, the ½-squared-error cost C = ½ (y - a)² averaged over the four points, learning
// rate 1, full batch. Tutorial: cost 0.089 before the first update, 0.084 after it, about 0.0005 after 5,000
// epochs, all four right. Also written: the decision boundary, and the learning curves of the same start
// at several learning rates in one picture (the tutorials' learning-rate comparison).
// Run: node examples/or-gate.mjs [--json]   (pictures in examples/out/)
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as sn from 'simdnet';

const json = process.argv.includes('--json');
const x = [[0, 0], [0, 1], [1, 0], [1, 1]];
const y = [[0], [1], [1], [1]];

/** The tutorial's neuron: kernel [inputs, units] = [[0.1], [0.6]], bias [0]. */
function orNeuron(learningRate) {
  const model = sn.sequential([sn.layers.dense({ inputShape: [2], units: 1, activation: 'sigmoid' })]);
  model.setWeights([[[0.1], [0.6]], [0]]);
  model.compile({ optimizer: sn.optimizers.sgd({ learningRate }), loss: 'halfSquaredError', metrics: ['accuracy'] });
  return model;
}

const model = orNeuron(1);
const costBefore = model.evaluate(x, y).loss;
await model.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false });
const costAfterFirstUpdate = model.evaluate(x, y).loss;
await model.fit(x, y, { epochs: 4999, batchSize: 4, shuffle: false });
const { loss: finalCost, accuracy } = model.evaluate(x, y);
const outputs = model.predict(x);

const plotDir = fileURLToPath(new URL('./out/', import.meta.url));
mkdirSync(plotDir, { recursive: true });
const boundaryFile = `${plotDir}or-decision-boundary.svg`;
writeFileSync(boundaryFile, sn.plot.decisionBoundary(model, x, [0, 1, 1, 1], { title: 'OR, one sigmoid neuron, 5,000 epochs' }));

// The same start at several learning rates, 1,000 epochs each: the larger the rate, the faster the fall.
const rates = [0.1, 0.5, 1, 5];
const curves = [];
for (const rate of rates) {
  const m = orNeuron(rate);
  curves.push({ loss: (await m.fit(x, y, { epochs: 1000, batchSize: 4, shuffle: false })).history.loss });
  m.dispose();
}
const ratesFile = `${plotDir}or-learning-rates.svg`;
writeFileSync(ratesFile, sn.plot.learningCurve(curves, { title: 'OR from W = [0.1, 0.6]: learning rates', names: rates.map((r) => `lr ${r}`) }));

const result = {
  costBefore,
  costAfterFirstUpdate,
  finalCost,
  accuracy,
  outputs: Array.from(outputs.data),
  weights: Array.from(model.layers[0].kernel.data),
  bias: model.layers[0].bias.data[0],
  learningRates: rates.map((rate, i) => ({ rate, lossAfter1000: curves[i].loss.at(-1) })),
  files: [boundaryFile, ratesFile],
};
outputs.dispose();
model.dispose();
if (json) console.log(JSON.stringify(result));
else {
  console.log(`cost ${costBefore.toFixed(4)} before the first update (tutorial 0.089), ${costAfterFirstUpdate.toFixed(4)} after it (0.084), ${finalCost.toFixed(6)} after 5,000 epochs (about 0.0005)`);
  x.forEach((p, i) => console.log(`OR(${p}) = ${result.outputs[i].toFixed(4)} (target ${y[i][0]})`));
  console.log(`accuracy ${accuracy * 100}%, w = [${result.weights.map((v) => v.toFixed(3))}], b = ${result.bias.toFixed(3)}`);
  for (const r of result.learningRates) console.log(`learning rate ${r.rate}: cost ${r.lossAfter1000.toFixed(5)} after 1,000 epochs`);
  console.log(`pictures: ${result.files.join(', ')}`);
}
