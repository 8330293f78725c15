// TensorFlow.js peers for the side-by-side benchmark: the wasm backend (XNNPACK) and the cpu backend.
// Training uses the fastest tfjs idiom we know: variables plus `optimizer.minimize` in a tight loop,
// with the data already in tensors (no tf.data, no model.fit overhead).
import { createRequire } from 'node:module';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
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

/**
 * The digits convnet of bench/cnn-model.mjs (CONVNET) in tfjs ops: conv2d + bias + relu, maxPool, the same
 * again, flatten, dropout (training only), dense; NHWC. Returns `step(x, y)` (softmax cross-entropy,
 * optimizer.minimize, SGD), `predict(x)` and `dispose()`.
 */
function buildConvnet({ input, convs, pool, dropout, classes, learningRate, seed = 1 }) {
  let s = seed >>> 0;
  const rng = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const glorot = (shape, fanIn, fanOut) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return tf.variable(tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => (2 * rng() - 1) * limit), shape));
  };
  const convParams = [];
  let [h, w, c] = input;
  for (const { filters, kernelSize: k } of convs) {
    convParams.push([glorot([k, k, c, filters], k * k * c, k * k * filters), tf.variable(tf.zeros([filters]))]);
    [h, w, c] = [Math.floor((h - k + 1) / pool), Math.floor((w - k + 1) / pool), filters];
  }
  const flat = h * w * c;
  const dense = [glorot([flat, classes], flat, classes), tf.variable(tf.zeros([classes]))];
  const logits = (x, training) => {
    let a = x;
    for (const [kernel, bias] of convParams) a = tf.maxPool(tf.relu(tf.add(tf.conv2d(a, kernel, 1, 'valid'), bias)), pool, pool, 'valid');
    a = tf.reshape(a, [a.shape[0], flat]);
    if (training) a = tf.dropout(a, dropout);
    return tf.add(tf.matMul(a, dense[0]), dense[1]);
  };
  const params = [...convParams.flat(), ...dense];
  const optimizer = tf.train.sgd(learningRate);
  return {
    step(x, y) {
      const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, logits(x, true)), false, params);
      cost?.dispose();
    },
    predict(x) {
      return tf.tidy(() => tf.softmax(logits(x, false)));
    },
    dispose() {
      for (const p of params) p.dispose();
      optimizer.dispose();
    },
  };
}

/**
 * Convnet training samples/s at `batchSize` on the current backend: a warm-up step on `warmRows` rows (the same
 * kernels, so the JIT and any compiled kernels are ready), then whole batches until `maxSeconds` have passed
 * (at least `minBatches`). A backend that cannot train the net (tfjs wasm has no Conv2DBackpropFilter) gives
 * { error } with its message instead: found by running, so a tfjs release that adds the kernel gets timed.
 */
export function convnetTrainSamplesPerSecond({ net, learningRate, batchSize, images, labels, warmRows = batchSize, minBatches = 1, maxSeconds = 20 }, onWarm = () => {}) {
  const [height, width, channels] = net.input;
  const pixels = height * width * channels;
  const batch = (start, rows) => [
    tf.tensor4d(images.subarray(start * pixels, (start + rows) * pixels), [rows, height, width, channels]),
    tf.tensor2d(oneHot(labels.subarray(start, start + rows), net.classes), [rows, net.classes]),
  ];
  const model = buildConvnet({ ...net, learningRate });
  const warm = batch(0, warmRows);
  try {
    model.step(...warm);
  } catch (error) {
    model.dispose();
    return { error: String(error.message ?? error).split('\n')[0] };
  } finally {
    warm.forEach((t) => t.dispose());
  }
  onWarm();
  // Only the steps are timed (each batch's tensors are made before its step).
  let samples = 0;
  let seconds = 0;
  for (let start = 0; start + batchSize <= labels.length; start += batchSize) {
    const [x, y] = batch(start, batchSize);
    const t0 = performance.now();
    model.step(x, y);
    seconds += (performance.now() - t0) / 1000;
    x.dispose();
    y.dispose();
    samples += batchSize;
    if (samples >= minBatches * batchSize && seconds > maxSeconds) break;
  }
  model.dispose();
  return { samplesPerSecond: samples / seconds, samples, seconds, warmRows };
}

/**
 * Convnet inference samples/s at `batchSize` rows per predict call (with dataSync), timed as `timing` says,
 * after one call on `warmRows` rows when given (for a backend too slow for timing.warmMs of full calls).
 */
export function convnetInferSamplesPerSecond({ net, batchSize, images, timing, warmRows = 0 }) {
  const model = buildConvnet({ ...net, learningRate: 0 });
  const inputs = (rows) => tf.tensor4d(images.subarray(0, rows * net.input[0] * net.input[1] * net.input[2]), [rows, ...net.input]);
  const predict = (x) => {
    const p = model.predict(x);
    p.dataSync();
    p.dispose();
  };
  if (warmRows > 0) {
    const warm = inputs(warmRows);
    predict(warm);
    warm.dispose();
  }
  const x = inputs(batchSize);
  const s = medianSecondsPerCall(() => predict(x), timing);
  x.dispose();
  model.dispose();
  return batchSize / s;
}

/**
 * convnetTrainSamplesPerSecond on `backend` in a worker thread, stopped when the timed batches have run
 * `capSeconds` (the cpu backend takes about a minute per batch of 128 here, more when the machine is busy):
 * { capped, samplesPerSecondBelow } when the first timed batch did not finish in time, which bounds the rate
 * from above. Only the rows it can use go to the worker.
 */
export async function convnetTrainCapped(backend, capSeconds, args) {
  const rows = Math.max(args.warmRows ?? args.batchSize, (args.minBatches ?? 1) * args.batchSize);
  const pixels = args.net.input.reduce((a, b) => a * b);
  const workerArgs = { ...args, images: args.images.slice(0, rows * pixels), labels: args.labels.slice(0, rows) };
  const worker = new Worker(new URL(import.meta.url), { workerData: { backend, args: workerArgs } });
  let timer;
  try {
    return await new Promise((resolve, reject) => {
      worker.on('message', (message) => {
        if (message === 'warm') {
          timer = setTimeout(() => resolve({ capped: capSeconds, samplesPerSecondBelow: args.batchSize / capSeconds }), capSeconds * 1000);
        } else resolve(message);
      });
      worker.once('error', reject);
    });
  } finally {
    clearTimeout(timer);
    await worker.terminate();
  }
}

if (!isMainThread && workerData?.backend) {
  await useBackend(workerData.backend);
  parentPort.postMessage(convnetTrainSamplesPerSecond(workerData.args, () => parentPort.postMessage('warm')));
}
