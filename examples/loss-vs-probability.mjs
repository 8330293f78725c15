// Why cross-entropy learns faster than squared error with a sigmoid output (the tutorials' picture): for a
// target y = 1 and predicted probability a = sigmoid(z), cross-entropy -log a grows without bound as a -> 0,
// and its gradient with respect to z is a - y; ½-squared error ½ (a - y)² stays below ½, and its gradient
// (a - y) a (1 - a) vanishes when the neuron is confidently wrong (a near 0), so learning stalls there.
// The values are simdnet's own: its losses' compute (loss and ∂L/∂a) and sigmoidGrad (times a (1 - a)).
// Run: node examples/loss-vs-probability.mjs [--json]   (pictures in examples/out/)
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as sn from 'simdnet';

const json = process.argv.includes('--json');
const a = Array.from({ length: 199 }, (_, i) => (i + 1) / 200); // 0.005 ... 0.995
const target = sn.tensor([[1]]);
const p = sn.zeros([1, 1]);
const dLda = sn.zeros([1, 1]);
/** Per probability: the loss against y = 1 and its gradient with respect to the logit z. */
function curves(loss) {
  const values = [];
  const slopes = [];
  for (const v of a) {
    p.data[0] = v;
    values.push(loss.compute(p, target, dLda));
    slopes.push(sn.sigmoidGrad(p, { fromOutput: true, dy: dLda, out: dLda }).data[0]); // ∂L/∂z = ∂L/∂a · a (1 - a)
  }
  return { values, slopes };
}
const ce = curves(sn.losses.binaryCrossentropy());
const se = curves(sn.losses.halfSquaredError());
for (const t of [target, p, dLda]) t.dispose();

const dir = fileURLToPath(new URL('./out/', import.meta.url));
mkdirSync(dir, { recursive: true });
const lossFile = `${dir}loss-vs-probability.svg`;
writeFileSync(lossFile, sn.plot.lineChart([
  { name: 'cross-entropy -log a', x: a, y: ce.values },
  { name: '½-squared error ½ (1 - a)²', x: a, y: se.values },
], { title: 'Loss for target 1 against the predicted probability', xLabel: 'predicted probability a', yLabel: 'loss' }));
const gradientFile = `${dir}loss-gradient-vs-probability.svg`;
writeFileSync(gradientFile, sn.plot.lineChart([
  { name: 'cross-entropy: a - 1', x: a, y: ce.slopes },
  { name: '½-squared error: (a - 1) a (1 - a)', x: a, y: se.slopes },
], { title: 'Gradient with respect to the logit z (sigmoid output)', xLabel: 'predicted probability a', yLabel: '∂L/∂z' }));

const at = (list, v) => list[a.indexOf(v)];
const result = {
  files: [lossFile, gradientFile],
  at001: { crossEntropy: at(ce.values, 0.01), squaredError: at(se.values, 0.01), crossEntropySlope: at(ce.slopes, 0.01), squaredErrorSlope: at(se.slopes, 0.01) },
  at05: { crossEntropy: at(ce.values, 0.5), squaredError: at(se.values, 0.5), crossEntropySlope: at(ce.slopes, 0.5), squaredErrorSlope: at(se.slopes, 0.5) },
};
if (json) console.log(JSON.stringify(result));
else {
  for (const [name, r] of [['a = 0.01', result.at001], ['a = 0.5', result.at05]]) {
    console.log(`${name}: cross-entropy ${r.crossEntropy.toFixed(4)} (∂/∂z ${r.crossEntropySlope.toFixed(4)}), ½-squared error ${r.squaredError.toFixed(4)} (∂/∂z ${r.squaredErrorSlope.toFixed(4)})`);
  }
  console.log(`pictures: ${result.files.join(', ')}`);
}
