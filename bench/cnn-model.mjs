// The digits convnet of issue #13 (conv 3x3 32 relu, max-pool 2, conv 3x3 64 relu, max-pool 2, flatten,
// dropout 0.5, dense 10 softmax on [28, 28, 1], SGD), and its images, shared by the convnet bench scripts.
import { existsSync } from 'node:fs';

const FASHION = '/usr/share/datasets/fashion-mnist';

/** The convnet in the simdnet module `sn`, seeded and compiled (SGD, categorical cross-entropy). */
export function digitsConvnet(sn, { seed = 1, learningRate = 0.01 } = {}) {
  const model = sn.sequential([
    sn.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }),
    sn.layers.maxPooling2d({ poolSize: 2 }),
    sn.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
    sn.layers.maxPooling2d({ poolSize: 2 }),
    sn.layers.flatten(),
    sn.layers.dropout({ rate: 0.5 }),
    sn.layers.dense({ units: 10, activation: 'softmax' }),
  ], { seed });
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
