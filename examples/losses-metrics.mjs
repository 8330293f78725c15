// Keras losses and metrics: a regression with 'mse' (and huber), and a 5-class classifier whose linear
// last layer outputs logits (fromLogits), with accuracy, top-2 accuracy and the validation figures.
// Run: node examples/losses-metrics.mjs [--json]
import * as sn from 'simdnet';

const json = process.argv.includes('--json');
const rows = 400;
const random = (seed) => () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
const next = random(7);
const x = Array.from({ length: rows }, () => [next(), next(), next()]);

// Regression: y = 2 x0 - x1 + 0.5 x2.
const yReg = x.map(([a, b, c]) => [2 * a - b + 0.5 * c]);
const regression = sn.sequential([sn.layers.dense({ inputShape: [3], units: 1 })], { seed: 1 });
regression.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.05 }), loss: 'mse', metrics: ['mae'] });
const reg = await regression.fit(x, yReg, { epochs: 40, batchSize: 32, seed: 1 });
regression.compile({ optimizer: 'sgd', loss: sn.losses.huber({ delta: 0.5 }), metrics: ['mse'] });
const huber = regression.evaluate(x, yReg);

// Classification: the class is which fifth of x0 + x1 the point falls in.
const labels = x.map(([a, b]) => Math.min(4, Math.floor(((a + b + 2) / 4) * 5)));
const classifier = sn.sequential([
  sn.layers.dense({ inputShape: [3], units: 32, activation: 'relu' }),
  sn.layers.dense({ units: 5 }), // linear: logits
], { seed: 2 });
classifier.compile({
  optimizer: sn.optimizers.adam({ learningRate: 0.02 }),
  loss: sn.losses.sparseCategoricalCrossentropy({ fromLogits: true }),
  metrics: ['accuracy', sn.metrics.topKCategoricalAccuracy({ k: 2 })],
});
const split = 300;
const cls = await classifier.fit(x.slice(0, split), labels.slice(0, split), {
  epochs: 60, batchSize: 32, seed: 2, validationData: [x.slice(split), labels.slice(split)],
});
const h = cls.history;
const result = {
  mse: reg.history.loss.at(-1), mae: reg.history.mae.at(-1), huber: huber.loss, huberMse: huber.mse,
  accuracy: h.accuracy.at(-1), valAccuracy: h.valAccuracy.at(-1), valTopK: h.valTopKCategoricalAccuracy.at(-1),
};
regression.dispose();
classifier.dispose();
if (json) console.log(JSON.stringify(result));
else {
  console.log(`regression: mse ${result.mse.toExponential(2)}, mae ${result.mae.toExponential(2)}, huber(0.5) ${result.huber.toExponential(2)}`);
  console.log(`classifier: accuracy ${result.accuracy.toFixed(3)}, held out ${result.valAccuracy.toFixed(3)}, top-2 ${result.valTopK.toFixed(3)}`);
}
