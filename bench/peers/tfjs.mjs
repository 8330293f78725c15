// TensorFlow.js peers for the side-by-side benchmark: the wasm backend (XNNPACK) and the cpu backend.
// Training uses the fastest tfjs idiom we know: variables plus `optimizer.minimize` in a tight loop,
// with the data already in tensors (no tf.data, no model.fit overhead).
import { createRequire } from 'node:module';
import { medianSecondsPerCall } from '../timing.mjs';

const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');

export async function useBackend(name) {
  await tf.setBackend(name);
  await tf.ready();
  return tf.getBackend();
}

/** tf.matMul GFLOPS at m x k x n, including dataSync (the result reaches JavaScript). */
export function matmulGflops(m, k, n, timing) {
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  const s = medianSecondsPerCall(() => {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  }, timing);
  a.dispose();
  b.dispose();
  return (2 * m * k * n) / s / 1e9;
}

const initFns = {
  uniform05: (shape, rng) => tf.tensor(Float32Array.from({ length: shape[0] * shape[1] }, () => rng() - 0.5), shape),
  glorot: (shape, rng) => {
    const limit = Math.sqrt(6 / (shape[0] + shape[1]));
    return tf.tensor(Float32Array.from({ length: shape[0] * shape[1] }, () => (2 * rng() - 1) * limit), shape);
  },
};

/**
 * Builds a ReLU MLP with a softmax/cross-entropy head and returns `step(xBatch, yBatch)`, `predict(x)` and
 * `dispose()`. `sizes` = [in, hidden..., out].
 */
function buildMlp(sizes, { init = 'glorot', learningRate, seed = 1 }) {
  let s = seed >>> 0;
  const rng = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const params = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    params.push(tf.variable(initFns[init]([sizes[i], sizes[i + 1]], rng)));
    params.push(tf.variable(tf.zeros([sizes[i + 1]])));
  }
  const logits = (x) => {
    let h = x;
    for (let i = 0; i < params.length; i += 2) {
      h = tf.add(tf.matMul(h, params[i]), params[i + 1]);
      if (i + 2 < params.length) h = tf.relu(h);
    }
    return h;
  };
  const optimizer = tf.train.sgd(learningRate);
  return {
    step(x, y) {
      const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, logits(x)), false, params);
      cost?.dispose();
    },
    predict(x) {
      return tf.tidy(() => tf.softmax(logits(x)));
    },
    accuracy(x, labels) {
      const pred = tf.tidy(() => logits(x).argMax(1));
      const p = pred.dataSync();
      pred.dispose();
      let ok = 0;
      for (let i = 0; i < labels.length; i++) if (p[i] === labels[i]) ok++;
      return ok / labels.length;
    },
    dispose() {
      for (const p of params) p.dispose();
      optimizer.dispose();
    },
  };
}

function oneHot(labels, classes) {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]] = 1;
  return out;
}

/**
 * Training samples/s of one pass over the data in batches (at most `maxSeconds` of it: a slow peer is timed
 * on a prefix of the epoch, which the result says). Batches are pre-sliced so only training is timed.
 */
export function trainSamplesPerSecond({ sizes, init, learningRate, batchSize, images, labels, maxSeconds = 20 }) {
  const inputs = sizes[0];
  const classes = sizes[sizes.length - 1];
  const rows = labels.length;
  const model = buildMlp(sizes, { init, learningRate });
  const batches = [];
  for (let start = 0; start < rows; start += batchSize) {
    const end = Math.min(rows, start + batchSize);
    batches.push([
      tf.tensor2d(images.subarray(start * inputs, end * inputs), [end - start, inputs]),
      tf.tensor2d(oneHot(labels.subarray(start, end), classes), [end - start, classes]),
    ]);
  }
  for (let i = 0; i < 3; i++) model.step(...batches[i % batches.length]); // warm-up: kernels compiled
  let samples = 0;
  const t0 = performance.now();
  for (const [x, y] of batches) {
    model.step(x, y);
    samples += x.shape[0];
    if ((performance.now() - t0) / 1000 > maxSeconds) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  for (const [x, y] of batches) {
    x.dispose();
    y.dispose();
  }
  model.dispose();
  return { samplesPerSecond: samples / seconds, samples, fullEpoch: samples === rows };
}

/** Inference samples/s of a `sizes` MLP at `batchSize` rows per predict call (with dataSync). */
export function inferSamplesPerSecond({ sizes, batchSize, images, timing }) {
  const model = buildMlp(sizes, { learningRate: 0.1 });
  const x = tf.tensor2d(images.subarray(0, batchSize * sizes[0]), [batchSize, sizes[0]]);
  const s = medianSecondsPerCall(() => {
    const p = model.predict(x);
    p.dataSync();
    p.dispose();
  }, timing);
  x.dispose();
  model.dispose();
  return batchSize / s;
}

/** Wall seconds (training only, evaluation excluded) until test accuracy reaches `target`; checks every `every` batches. */
export function secondsToAccuracy({ sizes, learningRate, batchSize, train, test, target, every = 100, maxSeconds = 120 }) {
  const inputs = sizes[0];
  const classes = sizes[sizes.length - 1];
  const model = buildMlp(sizes, { learningRate });
  const xTest = tf.tensor2d(test.images, [test.labels.length, inputs]);
  const rows = train.labels.length;
  let trained = 0;
  let steps = 0;
  for (;;) {
    for (let start = 0; start < rows; start += batchSize) {
      const end = Math.min(rows, start + batchSize);
      const t0 = performance.now();
      const x = tf.tensor2d(train.images.subarray(start * inputs, end * inputs), [end - start, inputs]);
      const y = tf.tensor2d(oneHot(train.labels.subarray(start, end), classes), [end - start, classes]);
      model.step(x, y);
      x.dispose();
      y.dispose();
      trained += (performance.now() - t0) / 1000;
      if (++steps % every === 0) {
        const accuracy = model.accuracy(xTest, test.labels);
        if (accuracy >= target || trained > maxSeconds) {
          xTest.dispose();
          model.dispose();
          return { seconds: trained, accuracy, reached: accuracy >= target };
        }
      }
    }
  }
}
