// XOR without a hidden layer: add the feature cross x3 = x1 * x2 and XOR becomes linearly separable
// (x1 + x2 - 2 x1 x2), so one sigmoid neuron classifies all four points.
// Run: node examples/xor-feature-cross.mjs [--json]
import * as sn from 'simdnet';

const json = process.argv.includes('--json');
const points = [[0, 0], [0, 1], [1, 0], [1, 1]];
const x = points.map(([a, b]) => [a, b, a * b]);
const y = [[0], [1], [1], [0]];

const model = sn.sequential([sn.layers.dense({ inputShape: [3], units: 1, activation: 'sigmoid' })], { seed: 3 });
model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 1 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
await model.fit(x, y, { epochs: 2000, batchSize: 4 });
const { loss, accuracy } = model.evaluate(x, y);
const outputs = model.predict(x);
const result = { cost: loss, accuracy, outputs: Array.from(outputs.data), weights: Array.from(model.layers[0].kernel.data) };
outputs.dispose();
model.dispose();
if (json) console.log(JSON.stringify(result));
else {
  points.forEach((p, i) => console.log(`XOR(${p}) with x1*x2 = ${x[i][2]}: ${result.outputs[i].toFixed(4)} (target ${y[i][0]})`));
  console.log(`accuracy ${accuracy * 100}%, weights for x1, x2, x1*x2: [${result.weights.map((v) => v.toFixed(2))}]`);
}
