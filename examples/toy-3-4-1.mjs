// The 3-input toy set of A. Trask's "A Neural Network in 11 lines of Python" (part 2): inputs 001, 011,
// 101, 111 -> 0, 1, 1, 0, a 3-4-1 sigmoid network without biases, from the tutorial's NumPy-seeded
// weights (np.random.seed(1), printed to 6 decimals), 1,000 full-batch iterations at learning rate 1 on the
// summed squared-error cost (reduction: 'sum', the tutorial's `syn += l.T.dot(delta)` update).
// Tutorial: first outputs 0.758 / 0.771 / 0.791 / 0.801; after 1,000 iterations 0.028 / 0.925 / 0.925 /
// 0.090; the input 101 then gives 0.9248.
// Run: node examples/toy-3-4-1.mjs [--json]
import * as sn from 'simdnet';

const json = process.argv.includes('--json');
const x = [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]];
const y = [[0], [1], [1], [0]];
// Kernels are [inputs, units]: W1 is 3 x 4 (one row per input), W2 is the 4 x 1 column.
const W1 = [
  [0.417022, 0.720324, 0.000114, 0.302333],
  [0.146756, 0.092339, 0.186260, 0.345561],
  [0.396767, 0.538817, 0.419195, 0.685220],
];
const W2 = [[0.204452], [0.878117], [0.027388], [0.670468]];

const model = sn.sequential([
  sn.layers.dense({ inputShape: [3], units: 4, activation: 'sigmoid', useBias: false }),
  sn.layers.dense({ units: 1, activation: 'sigmoid', useBias: false }),
]);
model.setWeights([W1, W2]);
model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 1 }), loss: 'halfSquaredError', reduction: 'sum' });
const outputsOf = (inputs) => {
  const out = model.predict(inputs);
  const values = Array.from(out.data);
  out.dispose();
  return values;
};
const firstOutputs = outputsOf(x);
await model.fit(x, y, { epochs: 1000, batchSize: 4, shuffle: false });
const outputs = outputsOf(x);
const [input101] = outputsOf([[1, 0, 1]]);
model.dispose();

const result = { firstOutputs, outputs, input101 };
if (json) console.log(JSON.stringify(result));
else {
  console.log(`first outputs ${firstOutputs.map((v) => v.toFixed(3)).join(' / ')} (tutorial 0.758 / 0.771 / 0.791 / 0.801)`);
  console.log(`after 1,000 iterations ${outputs.map((v) => v.toFixed(3)).join(' / ')} (tutorial 0.028 / 0.925 / 0.925 / 0.090)`);
  console.log(`input 101 -> ${input101.toFixed(4)} (tutorial 0.9248)`);
}
