// The perceptron you can watch: Rosenblatt's rule, one sample at a time, on AND, OR and XOR. Every step is
// traced (epoch, sample, prediction, error, w and b after the update); the hyperplane is drawn with the
// line at the end of every epoch, and the trained perceptron goes straight into decisionBoundary.
// AND and OR converge; XOR cannot be separated by a line, and the weights cycle: an epoch ends where an
// earlier one ended, and from there the same epochs repeat for ever.
// Run: node examples/perceptron-watch.mjs [--json]   (pictures in examples/out/)
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as sn from 'simdnet';

const json = process.argv.includes('--json');
const dir = fileURLToPath(new URL('./out/', import.meta.url));
mkdirSync(dir, { recursive: true });
const x = [[0, 0], [0, 1], [1, 0], [1, 1]];
const gates = [
  // AND from zero weights with 0/1 labels; OR from seeded random weights with -1/+1 labels; XOR from zeros.
  { name: 'AND', y: [0, 0, 0, 1], config: { learningRate: 0.1 } },
  { name: 'OR', y: [-1, 1, 1, 1], config: { learningRate: 0.1, labels: '-1/+1', init: 'random', seed: 3 } },
  { name: 'XOR', y: [0, 1, 1, 0], config: { learningRate: 0.1 } },
];
const result = {};
for (const { name, y, config } of gates) {
  const p = sn.perceptron({ inputs: 2, ...config });
  const start = p.state();
  const lines = [];
  const training = p.train(x, y, {
    maxEpochs: 30,
    trace: true,
    onStep: (s) => {
      if (!json && s.epoch < 3) lines.push(`  epoch ${s.epoch} sample ${s.sample}: predicted ${s.prediction}, error ${s.error}, w = (${s.weights.map((v) => v.toFixed(2)).join(', ')}), b = ${s.bias.toFixed(2)}`);
    },
  });
  // The first epoch end that repeats an earlier one: from there the weights go round the same cycle.
  const key = (e) => `${e.weights.join(',')}|${e.bias}`;
  const firstSeen = new Map();
  let cycle = null;
  training.epochEnds.forEach((e, i) => {
    if (cycle === null && firstSeen.has(key(e))) cycle = { from: firstSeen.get(key(e)), to: i };
    if (!firstSeen.has(key(e))) firstSeen.set(key(e), i);
  });
  const hyperplaneFile = `${dir}perceptron-${name.toLowerCase()}.svg`;
  writeFileSync(hyperplaneFile, sn.plot.hyperplane(p, x, y, {
    title: `${name}: ${training.converged ? `converged in ${training.epochs} epochs` : `no convergence in ${training.epochs} epochs`}`,
    history: [{ ...start, label: 'start' }, ...training.epochEnds.slice(0, -1).map((e, i) => ({ ...e, label: String(i + 1) }))],
    historyName: 'start, end of epoch n',
    classNames: y.includes(-1) ? ['-1', '+1'] : ['0', '1'],
  }));
  const boundaryFile = `${dir}perceptron-${name.toLowerCase()}-boundary.svg`;
  writeFileSync(boundaryFile, sn.plot.decisionBoundary(p, x, y, { title: `${name}: the perceptron's decisions`, resolution: 60 }));
  result[name] = {
    converged: training.converged,
    epochs: training.epochs,
    errors: training.errors,
    steps: training.trace.length,
    cycle,
    start,
    end: p.state(),
    predictions: p.predict(x),
    files: [hyperplaneFile, boundaryFile],
  };
  if (!json) {
    console.log(`${name} (${config.labels ?? '0/1'} labels, ${config.init ?? 'zeros'} start): ${training.converged ? `converged after ${training.epochs} epochs` : `no convergence in ${training.epochs} epochs${cycle ? `; epoch ${cycle.to} ends where epoch ${cycle.from} ended: a cycle of ${cycle.to - cycle.from}` : ''}`}`);
    console.log(lines.join('\n'));
    console.log(`  mistakes per epoch: ${training.errors.join(' ')}; predictions ${p.predict(x).join(' ')}; pictures ${hyperplaneFile}, ${boundaryFile}`);
  }
  p.dispose();
}
if (json) console.log(JSON.stringify(result));
