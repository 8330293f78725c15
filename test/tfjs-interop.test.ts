// TensorFlow.js interop against the real @tensorflow/tfjs package (cpu backend): a model simdnet trained
// and exported loads with tf.loadLayersModel(tf.io.fromMemory(...)) and predicts the same within 1e-5; a
// model built and saved by tfjs itself imports with sn.loadTfjs and predicts the same within 1e-5.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as sn from '../dist/index.js';

const TOLERANCE = 1e-5;

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => tf.disposeVariables());

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('simdnet -> TensorFlow.js', () => {
  it('a model trained on the digits loads in tfjs and predicts within 1e-5', async () => {
    const ds = await sn.datasets.digits();
    const model = sn.sequential(
      [
        sn.layers.dense({ inputShape: [784], units: 32, activation: 'relu' }),
        sn.layers.dense({ units: 16, activation: 'leakyRelu', alpha: 0.2 }),
        sn.layers.dense({ units: 12, activation: 'tanh', useBias: false }),
        sn.layers.dense({ units: 11, activation: 'sigmoid' }),
        sn.layers.dense({ units: 10 }),
        sn.layers.softmax(),
      ],
      { seed: 7 },
    );
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    await model.fit(ds.train.x, ds.train.y, { epochs: 1, batchSize: 64, seed: 7 });
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-tfjs-'));
    await model.exportTfjs(dir);

    const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const bin = readFileSync(join(dir, 'weights.bin'));
    const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
    const tfModel = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights), weightData }),
    );
    expect(tfModel.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dense', 'LeakyReLU', 'Dense', 'Dense', 'Dense', 'Activation']);

    // 257 held-out rows (prime, more than one predict batch).
    const rows = 257;
    const x = sn.tensor(ds.test.x.data.slice(0, rows * 784), [rows, 784]);
    const ours = model.predict(x);
    const theirs = tfModel.predict(tf.tensor2d(x.data.slice(), [rows, 784])) as tf.Tensor;
    const diff = maxDifference(ours.data, await theirs.data());
    expect(diff).toBeLessThanOrEqual(TOLERANCE);
    // The outputs are real predictions, not a degenerate constant.
    expect(new Set(Array.from(sn.argmaxRows(ours))).size).toBeGreaterThan(5);
    theirs.dispose();
    tfModel.dispose();
    for (const t of [x, ours]) t.dispose();
    model.dispose();
    ds.dispose();
  });
});

describe('TensorFlow.js -> simdnet', () => {
  it('a tfjs model saved in the layers-model format imports with loadTfjs and predicts within 1e-5', async () => {
    const tfModel = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [5], units: 9, activation: 'tanh' }),
        tf.layers.leakyReLU({ alpha: 0.15 }),
        tf.layers.dense({ units: 4, activation: 'relu', useBias: false }),
        tf.layers.activation({ activation: 'sigmoid' }),
        tf.layers.dense({ units: 3, activation: 'softmax', biasInitializer: 'randomNormal' }),
      ],
    });
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-from-tfjs-'));
    // What tf's file:// handler writes in Node (tfjs-node): model.json with a manifest, and weights.bin.
    await tfModel.save(
      tf.io.withSaveHandler(async (artifacts) => {
        writeFileSync(join(dir, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
        writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: artifacts.modelTopology, format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] }));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const model = await sn.loadTfjs(dir);
    expect(model.layers.map((l) => l.className)).toEqual(['Dense', 'Activation', 'Dense', 'Activation', 'Dense']);
    // 1 row and 31 rows of inputs in [-2, 2].
    for (const rows of [1, 31]) {
      const values = Float32Array.from({ length: rows * 5 }, (_, i) => 2 * Math.sin(i * 1.3));
      const x = sn.tensor(values, [rows, 5]);
      const ours = model.predict(x);
      const theirs = tfModel.predict(tf.tensor2d(values, [rows, 5])) as tf.Tensor;
      expect(maxDifference(ours.data, await theirs.data())).toBeLessThanOrEqual(TOLERANCE);
      theirs.dispose();
      ours.dispose();
      x.dispose();
    }
    model.dispose();
    tfModel.dispose();
  });
});
