// The digits convnet of issue #13 (conv 3x3 32 relu, max-pool 2, conv 3x3 64 relu, max-pool 2, flatten,
// dropout 0.5, dense 10 softmax on [28, 28, 1], SGD), and its images, shared by the convnet bench scripts.
import { existsSync } from 'node:fs';

const FASHION = '/usr/share/datasets/fashion-mnist';

/**
 * The digits convnet of the convnet issue: conv2d 32 3x3 relu, maxPooling2d 2, conv2d 64 3x3 relu,
 * maxPooling2d 2, flatten, dropout 0.5, dense 10 softmax; NHWC input [28, 28, 1]; 'valid' padding, stride 1.
 * The peers (bench/peers) build the same net from this description.
 */
export const CONVNET = { input: [28, 28, 1], convs: [{ filters: 32, kernelSize: 3 }, { filters: 64, kernelSize: 3 }], pool: 2, dropout: 0.5, classes: 10 };

/** The layers of convnet `net` in the simdnet module `sn` (tfjs-layers' names and defaults). */
export function convnetLayers(sn, { input, convs, pool, dropout, classes } = CONVNET) {
  const layers = [];
  convs.forEach(({ filters, kernelSize }, i) => {
    layers.push(sn.layers.conv2d({ ...(i === 0 ? { inputShape: input } : {}), filters, kernelSize, activation: 'relu' }));
    layers.push(sn.layers.maxPooling2d({ poolSize: pool }));
  });
  layers.push(sn.layers.flatten(), sn.layers.dropout({ rate: dropout }), sn.layers.dense({ units: classes, activation: 'softmax' }));
  return layers;
}

/** The convnet in the simdnet module `sn`, seeded and compiled (SGD, categorical cross-entropy). */
export function digitsConvnet(sn, { seed = 1, learningRate = 0.01 } = {}) {
  const model = sn.sequential(convnetLayers(sn), { seed });
  model.compile({ optimizer: sn.optimizers.sgd({ learningRate }), loss: 'categoricalCrossentropy' });
  return model;
}

/** The first `images` Fashion-MNIST training images as [n, 28, 28, 1] when installed, else the embedded digits. */
export async function convnetImages(sn, images) {
  if (existsSync(FASHION)) {
    const ds = await sn.datasets.idxFolder(FASHION, { shape: 'image', limit: { train: images, test: 1 } });
    ds.test.x.dispose();
    ds.test.y.dispose();
    return { ...ds.train, source: `Fashion-MNIST, first ${ds.train.x.shape[0]} training images` };
  }
  const ds = await sn.datasets.digits({ shape: 'image' });
  ds.test.x.dispose();
  ds.test.y.dispose();
  return { ...ds.train, source: `embedded digits, ${ds.train.x.shape[0]} training images` };
}
