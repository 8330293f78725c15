// The OR gate with one sigmoid neuron: y = sigmoid(w1 x1 + w2 x2 + b), trained by full-batch gradient
// descent on the cross-entropy cost. The cost falls and all four points end up on the right side of 0.5.
// Run: node examples/or-gate.mjs [--json]
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as sn from 'simdnet';

const json = process.argv.includes('--json');
const x = [[0, 0], [0, 1], [1, 0], [1, 1]];
const y = [[0], [1], [1], [1]];

const model = sn.sequential([sn.layers.dense({ inputShape: [2], units: 1, activation: 'sigmoid' })], { seed: 7 });
model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 1 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
const history = await model.fit(x, y, { epochs: 500, batchSize: 4 });
const outputs = model.predict(x);
// The decision boundary as a picture: shaded regions and the four points.
const plotDir = fileURLToPath(new URL('./out/', import.meta.url));
mkdirSync(plotDir, { recursive: true });
const plotFile = `${plotDir}or-decision-boundary.svg`;
writeFileSync(plotFile, sn.plot.decisionBoundary(model, x, [0, 1, 1, 1], { title: 'OR, one sigmoid neuron' }));
const result = {
  plotFile,
  firstCost: history.history.loss[0],
  finalCost: history.history.loss.at(-1),
  accuracy: model.evaluate(x, y).accuracy,
  outputs: Array.from(outputs.data),
  weights: Array.from(model.layers[0].kernel.data),
  bias: model.layers[0].bias.data[0],
};
outputs.dispose();
model.dispose();
if (json) console.log(JSON.stringify(result));
else {
  console.log(`cost ${result.firstCost.toFixed(4)} -> ${result.finalCost.toFixed(4)} over 500 epochs`);
  x.forEach((p, i) => console.log(`OR(${p}) = ${result.outputs[i].toFixed(3)} (target ${y[i][0]})`));
  console.log(`decision boundary: ${plotFile}`);
  console.log(`accuracy ${result.accuracy * 100}%, w = [${result.weights.map((v) => v.toFixed(3))}], b = ${result.bias.toFixed(3)}`);
}
