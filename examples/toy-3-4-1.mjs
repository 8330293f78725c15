// The 3-input toy set of A. Trask's "A Neural Network in 11 lines of Python" (part 2): inputs 001, 011,
// 101, 111 -> 0, 1, 1, 0, a 3-4-1 sigmoid network with weights from U(-1, 1) and no biases, 1000
// full-batch iterations at learning rate 1 on the summed squared-error cost (reduction: 'sum', the
// tutorial's `syn += l.T.dot(delta)` update). The outputs end near 0, 1, 1, 0.
// Run: node examples/toy-3-4-1.mjs [--json]
import * as sn from 'simdnet';

const json = process.argv.includes('--json');
const x = [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]];
const y = [[0], [1], [1], [0]];
const init = sn.initializers.randomUniform({ min: -1, max: 1 });

const model = sn.sequential([
  sn.layers.dense({ inputShape: [3], units: 4, activation: 'sigmoid', useBias: false, kernelInitializer: init }),
  sn.layers.dense({ units: 1, activation: 'sigmoid', useBias: false, kernelInitializer: init }),
], { seed: 1 });
model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 1 }), loss: 'halfSquaredError', reduction: 'sum' });
await model.fit(x, y, { epochs: 1000, batchSize: 4, shuffle: false });
const outputs = model.predict(x);
const result = { outputs: Array.from(outputs.data), maxError: Math.max(...Array.from(outputs.data, (v, i) => Math.abs(v - y[i][0]))) };
outputs.dispose();
model.dispose();
if (json) console.log(JSON.stringify(result));
else x.forEach((p, i) => console.log(`${p.join('')} -> ${result.outputs[i].toFixed(4)} (target ${y[i][0]})`));
