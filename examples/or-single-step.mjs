// The tutorials' single-example step: the OR neuron (W = [0.1, 0.6], b = 0) and the one example x = (0, 0),
// target 0. a = sigmoid(0) = 0.5, so L = ½ (0.5 - 0)² = 0.125 and ∂L/∂b = (a - y) a (1 - a) = 0.125; one
// step at learning rate 1 moves b to -0.125, the new output is sigmoid(-0.125) = 0.4688 and L about 0.110.
// Run: node examples/or-single-step.mjs [--json]
import * as sn from 'simdnet';

const json = process.argv.includes('--json');
const x = [[0, 0]];
const y = [[0]];
const model = sn.sequential([sn.layers.dense({ inputShape: [2], units: 1, activation: 'sigmoid' })]);
model.setWeights([[[0.1], [0.6]], [0]]);
model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 1 }), loss: 'halfSquaredError' });

const loss = model.computeGradients(x, y);
const [kernelGrad, biasGrad] = model.layers[0].grads;
const gradients = { kernel: Array.from(kernelGrad.data), bias: biasGrad.data[0] };
await model.fit(x, y, { epochs: 1, batchSize: 1, shuffle: false });
const bias = model.layers[0].bias.data[0];
const out = model.predict(x);
const newOutput = out.data[0];
out.dispose();
const newLoss = model.evaluate(x, y).loss;
model.dispose();

const result = { loss, gradients, bias, newOutput, newLoss };
if (json) console.log(JSON.stringify(result));
else {
  console.log(`L = ${loss.toFixed(4)} (tutorial 0.125), ∂L/∂b = ${gradients.bias.toFixed(4)} (0.125), ∂L/∂w = [${gradients.kernel}] (x = 0)`);
  console.log(`after one step: b = ${bias.toFixed(4)} (-0.125), output ${newOutput.toFixed(4)} (0.4688), L = ${newLoss.toFixed(4)} (about 0.110)`);
}
