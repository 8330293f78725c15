// The benchmark workloads of the performance issue, shared by bench/run.mjs and bench/rss-w1.mjs.
import { existsSync } from 'node:fs';
import * as sn from '../dist/index.js';
import { CONVNET, convnetLayers } from './cnn-model.mjs';

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

/** W1-W4: sizes are [inputs, hidden..., classes]; hidden layers use ReLU, the head softmax + cross-entropy. */
export const WORKLOADS = {
  W1: { title: '784-128-10 ReLU/softmax, SGD 0.1, batch 64', sizes: [784, 128, 10], init: 'glorot', learningRate: 0.1, batchSize: 64 },
  W2: { title: "tutorials' 784-10-10, U(-0.5, 0.5), SGD 0.1, batch 64", sizes: [784, 10, 10], init: 'uniform05', learningRate: 0.1, batchSize: 64 },
  W3: { title: '784-512-512-10, SGD 0.05, batch 128', sizes: [784, 512, 512, 10], init: 'glorot', learningRate: 0.05, batchSize: 128 },
  W4: { title: 'inference of the W1 model, batch 1000', sizes: [784, 128, 10], batchSize: 1000 },
};

/** W5-W6: the convnet on Fashion-MNIST images. */
export const CONV_WORKLOADS = {
  W5: { title: 'digits convnet (conv 32 3x3, pool 2, conv 64 3x3, pool 2, dropout 0.5, dense 10), SGD 0.05, batch 128', net: CONVNET, learningRate: 0.05, batchSize: 128 },
  W6: { title: 'inference of the W5 convnet, batch 1000', net: CONVNET, batchSize: 1000 },
};

/**
 * Fashion-MNIST from Debian's dataset-fashion-mnist, or random data of the same shape when it is absent
 * (the result says which). Pixels in [0, 1] as float32 tensors in wasm memory, labels as Int32Array.
 * `shape` 'flat' gives x as [n, 784], 'image' as [n, 28, 28, 1]; `limit` keeps the first rows of each set.
 */
export async function loadData({ shape = 'flat', limit = {} } = {}) {
  if (existsSync(FASHION_DIR)) {
    const ds = await sn.datasets.idxFolder(FASHION_DIR, { shape, limit });
    return { source: `Fashion-MNIST (${FASHION_DIR})`, real: true, train: ds.train, test: ds.test, dispose: () => ds.dispose() };
  }
  let s = 1;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const make = (rows) => {
    const labels = Int32Array.from({ length: rows }, () => Math.floor(rand() * 10));
    const x = sn.tensor(Float32Array.from({ length: rows * 784 }, rand), shape === 'image' ? [rows, 28, 28, 1] : [rows, 784]);
    const y = sn.oneHot(labels, 10);
    return { x, y, labels };
  };
  const train = make(Math.min(60000, limit.train ?? 60000));
  const test = make(Math.min(10000, limit.test ?? 10000));
  return {
    source: 'random data of Fashion-MNIST shape (dataset-fashion-mnist not installed)',
    real: false,
    train,
    test,
    dispose: () => [train.x, train.y, test.x, test.y].forEach((t) => t.dispose()),
  };
}

/** An MLP's layers: `sizes` = [inputs, hidden..., classes], ReLU hidden layers, a softmax head. */
function mlpLayers(sizes, init) {
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
  return layers;
}

/** A simdnet Sequential model for a workload (an MLP of `sizes`, or the convnet `net`), seeded, compiled with SGD. */
export function simdnetModel({ sizes, net, init, learningRate = 0.1 }, { seed = 1, metrics = [] } = {}) {
  const model = sn.sequential(net ? convnetLayers(sn, net) : mlpLayers(sizes, init), { seed });
  model.compile({ optimizer: sn.optimizers.sgd({ learningRate }), loss: 'categoricalCrossentropy', metrics });
  return model;
}
