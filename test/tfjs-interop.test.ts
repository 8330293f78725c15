// TensorFlow.js interop against the real @tensorflow/tfjs package (cpu backend): a model simdnet trained
// and exported loads with tf.loadLayersModel(tf.io.fromMemory(...)) and predicts the same within 1e-5; a
// model built and saved by tfjs itself imports with sn.loadTfjs and predicts the same within 1e-5.
// The new layers both ways: a simdnet model of Flatten, Dense, Dropout, BatchNormalization (moving
// statistics trained away from their initial values), Reshape and Activation loads in tfjs, and a tfjs
// model of the same layers plus LeakyReLU and L2 kernel regularizers imports; predictions within 1e-5
// (float32 in both libraries, different summation orders). The regularized loss agrees within 1e-5
// relative: simdnet's evaluate reports data loss + penalty (as Keras's evaluate does); tfjs's evaluate
// reports the data loss only (its test function leaves out the regularizers; only fit adds them), so
// tfjs's regularized loss is its evaluate plus its own penalties, model.calculateLosses().
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as sn from '../dist/index.js';
import { randomValues } from './reference/random.js';

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

/** `model` exported with exportTfjs to a new folder, and that folder's model as tf.loadLayersModel reads it. */
async function exportToTfjs(model: InstanceType<typeof sn.Sequential>): Promise<{ modelJson: { modelTopology: { config: { layers: { config: Record<string, unknown> }[] } } }; tfModel: tf.LayersModel }> {
  const dir = mkdtempSync(join(tmpdir(), 'simdnet-tfjs-'));
  await model.exportTfjs(dir);
  const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const bin = readFileSync(join(dir, 'weights.bin'));
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  const tfModel = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights), weightData }),
  );
  return { modelJson, tfModel };
}

/** Writes what tf's file:// handler writes in Node (tfjs-node): model.json with a manifest, and weights.bin. */
async function saveWithTfjs(tfModel: tf.LayersModel, dir: string): Promise<void> {
  await tfModel.save(
    tf.io.withSaveHandler(async (artifacts) => {
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
      writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: artifacts.modelTopology, format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] }));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/** simdnet's and tfjs's predictions for the first `rows` samples of `values` (per-sample shape `sample`) agree within TOLERANCE. */
async function expectSamePredictions(model: InstanceType<typeof sn.Sequential>, tfModel: tf.LayersModel, values: Float32Array, sample: number[], rows: number): Promise<void> {
  const part = values.slice(0, rows * sample.reduce((a, b) => a * b, 1));
  const x = sn.tensor(part, [rows, ...sample]);
  const ours = model.predict(x);
  const theirs = tfModel.predict(tf.tensor(part, [rows, ...sample])) as tf.Tensor;
  expect(maxDifference(ours.data, await theirs.data())).toBeLessThanOrEqual(TOLERANCE);
  theirs.dispose();
  ours.dispose();
  x.dispose();
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
    const { tfModel } = await exportToTfjs(model);
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
    await saveWithTfjs(tfModel, dir);
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

/** One-hot targets of `rows` samples over `classes`, the class a function of x so training has a signal. */
function oneHot(x: Float32Array, rows: number, classes: number): Float32Array {
  const cols = x.length / rows;
  const y = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += x[r * cols + c] * (c % 3 === 0 ? 1 : -0.5);
    y[r * classes + (s > 0.5 ? 0 : s > -0.5 ? 1 : 2)] = 1;
  }
  return y;
}

/** tfjs's loss with its regularization penalties: evaluate (data loss only) + the layers' penalties. */
async function regularizedLoss(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Promise<number> {
  const data = model.evaluate(x, y, { batchSize: x.shape[0] }) as tf.Scalar;
  const penalties = model.calculateLosses();
  expect(penalties.length).toBeGreaterThan(0);
  let sum = (await data.data())[0];
  for (const p of penalties) sum += (await p.data())[0];
  for (const t of [data, ...penalties]) t.dispose();
  return sum;
}

describe('simdnet -> TensorFlow.js: the new layers', () => {
  it('flatten, dense, dropout, batchNormalization, reshape, activation, dense softmax: tfjs predicts the same and evaluates the same regularized loss', async () => {
    const sample = [4, 3, 2];
    const model = sn.sequential(
      [
        sn.layers.flatten({ inputShape: sample }),
        sn.layers.dense({ units: 12, activation: 'relu', kernelRegularizer: sn.regularizers.l2({ l2: 0.01 }), biasRegularizer: sn.regularizers.l1({ l1: 0.002 }) }),
        sn.layers.dropout({ rate: 0.3, seed: 3 }),
        sn.layers.batchNormalization({ momentum: 0.9, epsilon: 0.002 }),
        sn.layers.reshape({ targetShape: [3, -1] }),
        sn.layers.activation({ activation: 'tanh' }),
        sn.layers.leakyRelu({ alpha: 0.15 }),
        sn.layers.flatten(),
        sn.layers.dense({ units: 3, activation: 'softmax', kernelRegularizer: sn.regularizers.l1l2({ l1: 0.001, l2: 0.003 }) }),
      ],
      { seed: 7 },
    );
    model.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy' });
    const rows = 64;
    const xValues = randomValues(rows * 24, -1, 1, 1);
    const yValues = oneHot(xValues, rows, 3);
    const x = sn.tensor(xValues, [rows, ...sample]);
    const y = sn.tensor(yValues, [rows, 3]);
    await model.fit(x, y, { epochs: 5, batchSize: 16, seed: 1 });
    // The moving statistics are not their initial zeros and ones.
    const bn = model.layers[3];
    const movingMean = bn.weights.find((w) => w.name === 'moving_mean')!.tensor.data;
    const movingVariance = bn.weights.find((w) => w.name === 'moving_variance')!.tensor.data;
    expect(movingMean.some((v) => Math.abs(v) > 0.01)).toBe(true);
    expect(movingVariance.some((v) => Math.abs(v - 1) > 0.01)).toBe(true);

    const { modelJson, tfModel } = await exportToTfjs(model);
    // The reshape's -1 is written resolved (tfjs-layers would carry the -1 on to the Flatten and fail).
    expect(modelJson.modelTopology.config.layers[4].config.target_shape).toEqual([3, 4]);
    expect(tfModel.layers.map((l) => l.getClassName())).toEqual(['Flatten', 'Dense', 'Dropout', 'BatchNormalization', 'Reshape', 'Activation', 'LeakyReLU', 'Flatten', 'Dense']);
    // tfjs holds the trained moving statistics.
    const tfBn = tfModel.layers[3].getWeights();
    expect(maxDifference(await tfBn[2].data(), movingMean)).toBe(0);
    expect(maxDifference(await tfBn[3].data(), movingVariance)).toBe(0);

    // Batches of 1 and 37 (prime) rows.
    for (const n of [1, 37]) await expectSamePredictions(model, tfModel, xValues, sample, n);

    tfModel.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const xs = tf.tensor(xValues, [rows, ...sample]);
    const ys = tf.tensor2d(yValues, [rows, 3]);
    const theirLoss = await regularizedLoss(tfModel, xs, ys);
    const ourLoss = model.evaluate(x, y).loss;
    expect(Math.abs(ourLoss - theirLoss) / theirLoss).toBeLessThan(TOLERANCE);
    xs.dispose();
    ys.dispose();
    tfModel.dispose();
    x.dispose();
    y.dispose();
    model.dispose();
  });
});

describe('TensorFlow.js -> simdnet: the new layers', () => {
  it('a tfjs model with flatten, dense (l2 kernel regularizer), dropout, batchNormalization, reshape, activation, leakyReLU imports and predicts the same', async () => {
    const sample = [5, 2, 3];
    const tfModel = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: sample }),
        tf.layers.dense({ units: 12, activation: 'tanh', kernelRegularizer: tf.regularizers.l2({ l2: 0.02 }) }),
        tf.layers.dropout({ rate: 0.3 }),
        tf.layers.batchNormalization({ momentum: 0.8, epsilon: 0.005 }),
        tf.layers.reshape({ targetShape: [4, 3] }),
        tf.layers.activation({ activation: 'sigmoid' }),
        tf.layers.leakyReLU({ alpha: 0.2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'softmax', kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }) }),
      ],
    });
    const rows = 48;
    const xValues = randomValues(rows * 30, -1, 1, 2);
    const yValues = oneHot(xValues, rows, 3);
    tfModel.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    // A little training, so batchNormalization's moving statistics move from 0 and 1.
    const xs = tf.tensor(xValues, [rows, ...sample]);
    const ys = tf.tensor2d(yValues, [rows, 3]);
    await tfModel.fit(xs, ys, { epochs: 3, batchSize: 16, verbose: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-from-tfjs-layers-'));
    await saveWithTfjs(tfModel, dir);
    const model = await sn.loadTfjs(dir);
    expect(model.layers.map((l) => l.className)).toEqual(['Flatten', 'Dense', 'Dropout', 'BatchNormalization', 'Reshape', 'Activation', 'Activation', 'Flatten', 'Dense']);
    expect(model.inputShape).toEqual(sample);
    const movingVariance = model.layers[3].weights.find((w) => w.name === 'moving_variance')!.tensor.data;
    expect(movingVariance.some((v) => Math.abs(v - 1) > 0.01)).toBe(true);
    // The options arrived: regularizers, dropout rate, batch normalization's momentum and epsilon, the reshape, the slope.
    const configs = model.layers.map((l) => l.getConfig() as Record<string, unknown>);
    expect(configs[1].kernelRegularizer).toEqual({ l1: 0, l2: 0.02 });
    expect(configs[1].biasRegularizer).toBeNull();
    expect(configs[8].kernelRegularizer).toEqual({ l1: 0, l2: 0.01 });
    expect(configs[2].rate).toBe(0.3);
    expect([configs[3].momentum, configs[3].epsilon, configs[3].axis]).toEqual([0.8, 0.005, -1]);
    expect(configs[4].targetShape).toEqual([4, 3]);
    expect([configs[6].activation, configs[6].alpha]).toEqual(['leakyRelu', 0.2]);

    // Batches of 1 and 31 (prime) rows.
    for (const n of [1, 31]) await expectSamePredictions(model, tfModel, xValues, sample, n);

    // The same regularized loss on the same weights and inputs.
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const theirLoss = await regularizedLoss(tfModel, xs, ys);
    const x = sn.tensor(xValues, [rows, ...sample]);
    const y = sn.tensor(yValues, [rows, 3]);
    const ourLoss = model.evaluate(x, y).loss;
    expect(Math.abs(ourLoss - theirLoss) / theirLoss).toBeLessThan(TOLERANCE);
    // The penalty is a visible part of that loss: without it the two would differ.
    const kernels = [model.layers[1], model.layers[8]].map((l) => l.weights[0].tensor.data);
    const penalty = 0.02 * kernels[0].reduce((s, v) => s + v * v, 0) + 0.01 * kernels[1].reduce((s, v) => s + v * v, 0);
    expect(penalty / theirLoss).toBeGreaterThan(100 * TOLERANCE);

    for (const t of [xs, ys]) t.dispose();
    x.dispose();
    y.dispose();
    model.dispose();
    tfModel.dispose();
  });
});
