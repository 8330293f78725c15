// The layer protocol by hand, as the tutorials write it: forward each layer, the cost and its gradient,
// backward each layer in reverse, then the update. Same network and settings as xor.mjs (2-3-1 sigmoid,
// learning rate 1, full batch, 5000 epochs, seed 1), and the same result.
// Run: node examples/hand-loop-xor.mjs [--json]
import * as sn from 'simdnet';

const json = process.argv.includes('--json');
const points = [[0, 0], [0, 1], [1, 0], [1, 1]];
const x = sn.tensor(points);
const y = sn.tensor([[0], [1], [1], [0]]);

// A model only to draw the initial weights from seed 1 exactly as xor.mjs does; the loop below uses
// its layers directly.
const model = sn.sequential([
  sn.layers.dense({ inputShape: [2], units: 3, activation: 'sigmoid' }),
  sn.layers.dense({ units: 1, activation: 'sigmoid' }),
], { seed: 1 });
const layers = model.layers;
const loss = sn.losses.halfSquaredError();
const optimizer = sn.optimizers.sgd({ learningRate: 1 });
const grad = sn.zeros([4, 1]); // dCost/dOutput, reused every step

let cost = NaN;
for (let epoch = 0; epoch < 5000; epoch++) {
  let h = x;
  for (const layer of layers) h = layer.forward(h);
  cost = loss.compute(h, y, grad);
  let g = grad;
  for (let i = layers.length - 1; i >= 0; i--) g = layers[i].backward(g);
  for (const layer of layers) optimizer.applyGradients(layer.params, layer.grads);
}
let out = x;
for (const layer of layers) out = layer.forward(out);
const outputs = Array.from(out.data);
const accuracy = outputs.filter((v, i) => (v > 0.5 ? 1 : 0) === y.data[i]).length / 4;
const result = { cost, accuracy, outputs, weights: model.getWeights().map((w) => Array.from(w)) };
for (const t of [x, y, grad]) t.dispose();
model.dispose();
if (json) console.log(JSON.stringify(result));
else {
  outputs.forEach((v, i) => console.log(`XOR(${points[i]}) = ${v.toFixed(4)}`));
  console.log(`cost ${cost.toFixed(6)}, accuracy ${accuracy * 100}%`);
}
