// The perceptron tutorial's scalar chain example: one linear unit L = w1 x1 + w2 x2 with x = (3, 2),
// w = (0.5, 1), no bias, and the error E = ½ (y - L)² against y = 5. The chain rule gives
// ∂E/∂wi = ∂E/∂L · ∂L/∂wi = (L - y) xi. Tutorial: L = 3.5, E = 1.125, ∂E/∂w1 = -4.5, ∂E/∂w2 = -3.
// The model's loss and gradients are read from one forward and backward pass (computeGradients).
// Run: node examples/chain-rule.mjs [--json]
import * as sn from 'simdnet';

const json = process.argv.includes('--json');
const x = [[3, 2]];
const y = [[5]];
const model = sn.sequential([sn.layers.dense({ inputShape: [2], units: 1, activation: 'linear', useBias: false })]);
model.setWeights([[[0.5], [1]]]);
model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.1 }), loss: 'halfSquaredError' });
const out = model.predict(x);
const L = out.data[0];
out.dispose();
const E = model.computeGradients(x, y);
const [dw1, dw2] = model.layers[0].grads[0].data;
model.dispose();

const result = { L, E, dw1, dw2 };
if (json) console.log(JSON.stringify(result));
else console.log(`L = ${L} (tutorial 3.5), E = ${E} (1.125), ∂E/∂w1 = ${dw1} (-4.5), ∂E/∂w2 = ${dw2} (-3)`);
