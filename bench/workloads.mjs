// The benchmark workloads of the performance issue, shared by bench/run.mjs and bench/rss-w1.mjs.
import { existsSync } from 'node:fs';
import * as sn from '../dist/index.js';

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

/** W1-W4: sizes are [inputs, hidden..., classes]; hidden layers use ReLU, the head softmax + cross-entropy. */
export const WORKLOADS = {
  W1: { title: '784-128-10 ReLU/softmax, SGD 0.1, batch 64', sizes: [784, 128, 10], init: 'glorot', learningRate: 0.1, batchSize: 64 },
  W2: { title: "tutorials' 784-10-10, U(-0.5, 0.5), SGD 0.1, batch 64", sizes: [784, 10, 10], init: 'uniform05', learningRate: 0.1, batchSize: 64 },
  W3: { title: '784-512-512-10, SGD 0.05, batch 128', sizes: [784, 512, 512, 10], init: 'glorot', learningRate: 0.05, batchSize: 128 },
  W4: { title: 'inference of the W1 model, batch 1000', sizes: [784, 128, 10], batchSize: 1000 },
};

/**
 * Fashion-MNIST from Debian's dataset-fashion-mnist, or random data of the same shape when it is absent
 * (the result says which). Pixels in [0, 1] as float32 tensors in wasm memory, labels as Int32Array.
 */
export async function loadData() {
  if (existsSync(FASHION_DIR)) {
    const ds = await sn.datasets.idxFolder(FASHION_DIR);
    return { source: `Fashion-MNIST (${FASHION_DIR})`, real: true, train: ds.train, test: ds.test, dispose: () => ds.dispose() };
  }
  let s = 1;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const make = (rows) => {
    const labels = Int32Array.from({ length: rows }, () => Math.floor(rand() * 10));
    const x = sn.tensor(Float32Array.from({ length: rows * 784 }, rand), [rows, 784]);
    const y = sn.oneHot(labels, 10);
    return { x, y, labels };
  };
  const train = make(60000);
  const test = make(10000);
  return {
    source: 'random data of Fashion-MNIST shape (dataset-fashion-mnist not installed)',
    real: false,
    train,
    test,
    dispose: () => [train.x, train.y, test.x, test.y].forEach((t) => t.dispose()),
  };
}

/** A simdnet Sequential model for a workload, seeded. */
export function simdnetModel({ sizes, init, learningRate = 0.1 }, { seed = 1, metrics = [] } = {}) {
  const kernelInitializer = init === 'uniform05' ? sn.initializers.randomUniform({ min: -0.5, max: 0.5 }) : 'glorotUniform';
  const layers = [];
  for (let i = 1; i < sizes.length; i++) {
    layers.push(sn.layers.dense({
      ...(i === 1 ? { inputShape: [sizes[0]] } : {}),
      units: sizes[i],
      activation: i === sizes.length - 1 ? 'softmax' : 'relu',
      kernelInitializer,
    }));
  }
  const model = sn.sequential(layers, { seed });
  model.compile({ optimizer: sn.optimizers.sgd({ learningRate }), loss: 'categoricalCrossentropy', metrics });
  return model;
}
