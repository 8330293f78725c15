// Rosenblatt's perceptron rule, w += eta (y - step(w.x + b)) x, one sample at a time: it converges on
// AND and OR (linearly separable) and reports that it did not converge on XOR.
// Run: node examples/perceptron.mjs [--json]
import * as sn from 'simdnet';

const json = process.argv.includes('--json');
const x = [[0, 0], [0, 1], [1, 0], [1, 1]];
const gates = { AND: [0, 0, 0, 1], OR: [0, 1, 1, 1], XOR: [0, 1, 1, 0] };
const result = {};
for (const [name, y] of Object.entries(gates)) {
  const p = sn.perceptron({ inputs: 2, learningRate: 0.1 });
  const { converged, epochs, errors } = p.train(x, y, { maxEpochs: 100 });
  result[name] = { converged, epochs, predictions: p.predict(x), finalErrors: errors.at(-1) };
  p.dispose();
}
if (json) console.log(JSON.stringify(result));
else {
  for (const [name, r] of Object.entries(result)) {
    console.log(`${name}: ${r.converged ? `converged after ${r.epochs} epochs` : `did not converge in ${r.epochs} epochs (${r.finalErrors} mistakes in the last)`}; predictions ${r.predictions.join(' ')}`);
  }
}
