// The tutorials' XOR without a hidden layer: add the feature cross x3 = x1 x2 and XOR becomes linearly
// separable (x1 + x2 - 2 x1 x2), so one sigmoid neuron classifies all four points. From their weights
// W = [0.1, 0.6, 0.2], b = 0, the ½-squared-error cost averaged over the four points, learning rate 1, full
// batch. Tutorial: first gradients ∂C/∂W = [0.007, 0.016, 0.037], ∂C/∂b = 0.018; 100% after 5,000 epochs.
// The decision boundary is drawn in the (x1, x2) plane, the cross computed for every grid point.
// Run: node examples/xor-feature-cross.mjs [--json]   (picture in examples/out/)
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as sn from 'simdnet';

const json = process.argv.includes('--json');
const points = [[0, 0], [0, 1], [1, 0], [1, 1]];
const cross = (p) => [p[0], p[1], p[0] * p[1]];
const x = points.map(cross);
const y = [[0], [1], [1], [0]];

const model = sn.sequential([sn.layers.dense({ inputShape: [3], units: 1, activation: 'sigmoid' })]);
model.setWeights([[[0.1], [0.6], [0.2]], [0]]);
model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 1 }), loss: 'halfSquaredError', metrics: ['accuracy'] });
const costBefore = model.computeGradients(x, y);
const firstGradients = { kernel: Array.from(model.layers[0].grads[0].data), bias: model.layers[0].grads[1].data[0] };
await model.fit(x, y, { epochs: 5000, batchSize: 4, shuffle: false });
const { loss: cost, accuracy } = model.evaluate(x, y);
const outputs = model.predict(x);

const plotDir = fileURLToPath(new URL('./out/', import.meta.url));
mkdirSync(plotDir, { recursive: true });
const plotFile = `${plotDir}xor-feature-cross-decision-boundary.svg`;
// The model reads (x1, x2, x1 x2): the plot's [n, 2] grid gets its cross column before predict.
const predictPlane = (grid) => model.predict(Array.from({ length: grid.shape[0] }, (_, i) => cross(grid.data.subarray(2 * i, 2 * i + 2))));
writeFileSync(plotFile, sn.plot.decisionBoundary(predictPlane, points, [0, 1, 1, 0], { title: 'XOR, one neuron on x1, x2, x1·x2' }));

const result = { costBefore, firstGradients, cost, accuracy, outputs: Array.from(outputs.data), weights: Array.from(model.layers[0].kernel.data), bias: model.layers[0].bias.data[0], plotFile };
outputs.dispose();
model.dispose();
if (json) console.log(JSON.stringify(result));
else {
  console.log(`first gradients ∂C/∂W = [${firstGradients.kernel.map((v) => v.toFixed(4))}] (tutorial [0.007, 0.016, 0.037]), ∂C/∂b = ${firstGradients.bias.toFixed(4)} (0.018)`);
  points.forEach((p, i) => console.log(`XOR(${p}) with x1*x2 = ${x[i][2]}: ${result.outputs[i].toFixed(4)} (target ${y[i][0]})`));
  console.log(`after 5,000 epochs: cost ${cost.toFixed(5)}, accuracy ${accuracy * 100}% (tutorial 100%), weights for x1, x2, x1*x2: [${result.weights.map((v) => v.toFixed(2))}], b = ${result.bias.toFixed(2)}`);
  console.log(`decision boundary: ${plotFile}`);
}
