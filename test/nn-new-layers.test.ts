// The first layers on the new model core (issue 12): Flatten, Reshape, Dropout, BatchNormalization,
// Activation over any rank, Dense over a rank-3 input, kernel/bias regularizers and trainable: false.
// Forward passes (inference and training) against the float64 references of test/reference/layers.ts on
// awkward shapes, gradCheck of models containing each layer, BatchNormalization's moving statistics,
// frozen layers, dropout's masks and thread independence, save/load, and memory() back to its baseline.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sn from '../dist/index.js';
import { batchNormBackward, batchNormStats, batchNormTrain, movingAverage } from './reference/batchnorm.js';
import { activateRows, denseRows, dropoutScales, refModelForward, worstError, type RefLayer } from './reference/layers.js';
import type { RefActivation } from './reference/nn.js';
import { randomValues } from './reference/random.js';

type Model = InstanceType<typeof sn.Sequential>;
type Tensor = InstanceType<typeof sn.Tensor>;

// Float32 kernels against float64, inputs in [-2, 2], worst |a - r| / (1 + |r|): a single layer (a GEMM
// row of <= 13 products, exp/tanh in the kernels' approximations, batch statistics over <= 91 rows) and a
// whole model of up to 8 layers both stay below 1e-5 (measured worst: 9.0e-7 for a layer, 4.6e-7 for
// batch normalization, 7.6e-8 for a model).
const TOL = 1e-5;
// gradCheck's worst relative error per parameter tensor (the bound; measured worst here: 5.0e-5).
const GRAD_TOL = 1e-3;

let baseline: { tensors: number; bytes: number };
beforeEach(() => {
  baseline = sn.memory();
});
afterEach(() => {
  // Every test disposes all it made: memory() is back where it started.
  expect(sn.memory()).toEqual(baseline);
});

const tmp = (name: string): string => mkdtempSync(join(tmpdir(), `simdnet-new-layers-${name}-`));
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** x of shape [rows, ...sample] with values in [lo, hi). */
function input(rows: number, sample: number[], seed: number, lo = -2, hi = 2): Tensor {
  return sn.tensor(randomValues(rows * size(sample), lo, hi, seed), [rows, ...sample]);
}

/** The float64 reference of `model`'s layers with its current weights; `dropoutStep` selects dropout's mask. */
function refLayersOf(model: Model, dropoutStep: number): RefLayer[] {
  return model.layers.map((layer): RefLayer => {
    const w = (name: string) => layer.weights.find((v) => v.name === name)?.tensor.data ?? null;
    const config = layer.getConfig() as Record<string, unknown>;
    switch (layer.className) {
      case 'Dense':
        return { kind: 'dense', units: config.units as number, activation: config.activation as RefActivation, alpha: config.alpha as number | undefined, w: w('kernel')!, b: w('bias') };
      case 'Activation':
        return { kind: 'activation', activation: config.activation as RefActivation, alpha: config.alpha as number | undefined };
      case 'Flatten':
      case 'Reshape':
        return { kind: 'reshape', shape: [...layer.outputShape] };
      case 'Dropout':
        return { kind: 'dropout', rate: config.rate as number, seed: config.seed as number, step: dropoutStep };
      case 'BatchNormalization':
        return { kind: 'batchNorm', gamma: w('gamma'), beta: w('beta'), movingMean: w('moving_mean')!, movingVariance: w('moving_variance')!, epsilon: config.epsilon as number };
      default:
        throw new Error(`no reference for ${layer.className}`);
    }
  });
}

/** Copies of the values of `t`, then disposes it. */
function take(t: Tensor): Float32Array {
  const out = t.data.slice();
  t.dispose();
  return out;
}

/** Sets every bias, gamma, beta and moving statistic to values away from their initial 0 / 1. */
function perturbWeights(model: Model, seed: number): void {
  model.setWeights(
    model.namedWeights.map((w, i) => {
      const name = w.name.split('/')[1];
      if (name === 'kernel') return w.tensor.data;
      if (name === 'moving_variance' || name === 'gamma') return randomValues(w.tensor.size, 0.5, 1.5, seed + i);
      return randomValues(w.tensor.size, -0.5, 0.5, seed + i);
    }),
  );
}

describe('Flatten and Reshape', () => {
  for (const sample of [[7, 13], [3, 5, 1], [2, 3, 5], [1, 1, 1]]) {
    for (const rows of [1, 3]) {
      it(`flatten [${rows}, ${sample}] keeps the row-major order; backward passes dy through`, () => {
        const layer = sn.layers.flatten();
        const x = input(rows, sample, 1);
        const y = layer.forward(x);
        expect(y.shape).toEqual([rows, size(sample)]);
        expect(Array.from(y.data)).toEqual(Array.from(x.data));
        const dy = input(rows, [size(sample)], 2);
        const dx = layer.backward(dy);
        expect(dx.shape).toEqual([rows, ...sample]);
        expect(Array.from(dx.data)).toEqual(Array.from(dy.data));
        x.dispose();
        dy.dispose();
        layer.dispose();
      });
    }
  }

  const cases: [number[], number[], number[]][] = [
    [[7, 13], [13, 7], [13, 7]],
    [[7, 13], [-1], [91]],
    [[7, 13], [7, -1, 1], [7, 13, 1]],
    [[2, 3, 5], [-1, 5], [6, 5]],
    [[5], [5, 1, 1], [5, 1, 1]],
  ];
  for (const [sample, target, expected] of cases) {
    it(`reshape [${sample}] to targetShape [${target}] gives [${expected}] with the same values`, () => {
      const layer = sn.layers.reshape({ targetShape: target });
      const x = input(2, sample, 3);
      const y = layer.forward(x);
      expect(y.shape).toEqual([2, ...expected]);
      expect(Array.from(y.data)).toEqual(Array.from(x.data));
      expect(layer.outputShape).toEqual(expected);
      expect(layer.getConfig()).toEqual({ name: layer.name, trainable: true, targetShape: target });
      x.dispose();
      layer.dispose();
    });
  }

  it('reshape refuses a target that does not hold the input, naming the layer and both shapes', () => {
    const bad = sn.layers.reshape({ targetShape: [4, -1], name: 'bad_reshape' });
    const x = input(1, [7, 13], 4);
    expect(() => bad.forward(x)).toThrow(/bad_reshape.*\[7, 13\].*91.*\[4, -1\]/);
    expect(() => sn.layers.reshape({ targetShape: [-1, -1] })).toThrow(/targetShape/);
    expect(() => sn.layers.reshape({ targetShape: [0, 3] })).toThrow(/targetShape/);
    x.dispose();
  });
});

describe('Activation over rank-3 and rank-4 inputs', () => {
  const acts: [RefActivation, number][] = [['relu', 0], ['leakyRelu', 0.2], ['sigmoid', 0], ['tanh', 0], ['softmax', 0], ['linear', 0]];
  for (const sample of [[7, 13], [3, 5, 1], [2, 3, 5], [1, 1, 3]]) {
    for (const [act, alpha] of acts) {
      it(`${act} on [${[1, ...sample]}] and [${[5, ...sample]}] (softmax over the last axis)`, () => {
        const layer = sn.layers.activation({ activation: act, ...(act === 'leakyRelu' ? { alpha } : {}) });
        for (const rows of [1, 5]) {
          const x = input(rows, sample, rows * 7);
          const y = layer.forward(x);
          expect(y.shape).toEqual([rows, ...sample]);
          expect(worstError(y.data, activateRows(act, alpha, x.data, sample[sample.length - 1]))).toBeLessThan(TOL);
          x.dispose();
        }
        layer.dispose();
      });
    }
  }
});

describe('Dense over a rank-3 input: the same W at every position', () => {
  const cases: [number, number, number, number][] = [[1, 7, 13, 5], [3, 7, 13, 1], [2, 1, 3, 4], [5, 6, 9, 11]];
  for (const [rows, steps, features, units] of cases) {
    it(`[${rows}, ${steps}, ${features}] -> [${rows}, ${steps}, ${units}], forward and backward`, () => {
      const layer = sn.layers.dense({ units, activation: 'tanh', seed: 3, biasInitializer: sn.initializers.randomNormal({ stddev: 0.5 }) });
      const x = input(rows, [steps, features], 5);
      const y = layer.forward(x);
      expect(y.shape).toEqual([rows, steps, units]);
      expect(layer.kernel.shape).toEqual([features, units]);
      const w = layer.kernel.data;
      const b = layer.bias!.data;
      const positions = rows * steps;
      const expected = activateRows('tanh', 0, denseRows(x.data, positions, features, w, b, units), units);
      expect(worstError(y.data, expected)).toBeLessThan(TOL);
      // Backward from the layer's own float32 output: dz = dy (1 - y^2); dW = sum over every position of
      // x^T dz, db = column sums of dz, dx = dz W^T.
      const dy = input(rows, [steps, units], 6);
      const dx = layer.backward(dy);
      const dz = Float64Array.from(dy.data, (g, i) => g * (1 - y.data[i] ** 2));
      const dw = new Float64Array(features * units);
      const db = new Float64Array(units);
      const dxRef = new Float64Array(positions * features);
      for (let p = 0; p < positions; p++) {
        for (let j = 0; j < units; j++) {
          db[j] += dz[p * units + j];
          for (let k = 0; k < features; k++) {
            dw[k * units + j] += x.data[p * features + k] * dz[p * units + j];
            dxRef[p * features + k] += dz[p * units + j] * w[k * units + j];
          }
        }
      }
      expect(dx.shape).toEqual([rows, steps, features]);
      expect(worstError(layer.grads[0].data, dw)).toBeLessThan(TOL);
      expect(worstError(layer.grads[1].data, db)).toBeLessThan(TOL);
      expect(worstError(dx.data, dxRef)).toBeLessThan(TOL);
      x.dispose();
      dy.dispose();
      layer.dispose();
    });
  }
});

describe('categorical losses on a rank-3 softmax output', () => {
  it('take one distribution per position (the softmax is per position); a whole-sample one-hot is an error naming the row and position', async () => {
    const model = sn.sequential([sn.layers.dense({ inputShape: [3, 4], units: 5, activation: 'softmax', name: 'per_position' })], { seed: 1 });
    const x = input(2, [3, 4], 130);
    // One 1 per sample: a distribution over the sample's 15 values, not one per position.
    const y = sn.tensor(Float32Array.from({ length: 30 }, (_, i) => (i % 15 === 0 ? 1 : 0)), [2, 3, 5]);
    const before = model.getWeights();
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const message = /y row 0, position 1 is not one-hot .*over the last axis/;
    expect(() => model.evaluate(x, y)).toThrow(message);
    expect(() => model.computeGradients(x, y)).toThrow(message);
    await expect(model.fit(x, y, { epochs: 1 })).rejects.toThrow(message);
    expect(model.getWeights()).toEqual(before);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    expect(Number.isFinite(model.evaluate(x, [[0, 1, 2], [3, 4, 0]]).loss)).toBe(true);
    // Element-wise losses are defined per value: a sigmoid head over [3, 5] trains with binaryCrossentropy.
    const binary = sn.sequential([sn.layers.dense({ inputShape: [3, 4], units: 5, activation: 'sigmoid' })], { seed: 1 });
    binary.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    expect(Number.isFinite(binary.evaluate(x, y).loss)).toBe(true);
    for (const t of [x, y]) t.dispose();
    binary.dispose();
    model.dispose();
  });
});

describe('Dropout', () => {
  for (const sample of [[7, 13], [5, 3], [1]]) {
    it(`[${[4, ...sample]}] rate 0.3: identity in inference, the seeded inverted mask in training, a new mask each step`, () => {
      const layer = sn.layers.dropout({ rate: 0.3, seed: 11 });
      const rows = 4;
      const x = input(rows, sample, 8, 0.5, 2); // no zeros, so a zero in the output is a dropped value
      const n = rows * size(sample);
      expect(Array.from(layer.forward(x).data)).toEqual(Array.from(x.data));
      expect(Array.from(layer.forward(x, { training: false }).data)).toEqual(Array.from(x.data));
      const masks: string[] = [];
      for (let step = 0; step < 3; step++) {
        const y = layer.forward(x, { training: true });
        const scales = dropoutScales(n, 0.3, 11, step);
        // The kernel multiplies in float32: the float64 product rounded once.
        expect(Array.from(y.data)).toEqual(Array.from(x.data, (v, i) => Math.fround(v * scales[i])));
        masks.push(Array.from(y.data, (v) => (v === 0 ? 0 : 1)).join(''));
        // dx = dy x the same mask.
        const dy = input(rows, sample, 20 + step);
        const dx = layer.backward(dy);
        expect(Array.from(dx.data)).toEqual(Array.from(dy.data, (v, i) => Math.fround(v * scales[i])));
        dy.dispose();
      }
      if (n > 8) {
        expect(new Set(masks).size).toBe(3);
        const kept = masks.join('').split('').filter((c) => c === '1').length / (3 * n);
        expect(kept).toBeGreaterThan(0.5);
        expect(kept).toBeLessThan(0.9);
      }
      x.dispose();
      layer.dispose();
    });
  }

  it('different seeds give different masks; the same seed the same mask', () => {
    const x = input(3, [7, 13], 9, 0.5, 2);
    const masks = [11, 12, 11].map((seed) => {
      const layer = sn.layers.dropout({ rate: 0.3, seed });
      const mask = Array.from(layer.forward(x, { training: true }).data, (v) => (v === 0 ? 0 : 1)).join('');
      layer.dispose();
      return mask;
    });
    expect(masks[0]).not.toBe(masks[1]);
    expect(masks[0]).toBe(masks[2]);
    x.dispose();
  });

  it('rate 0 is the identity in training too; bad rates and seeds are refused', () => {
    const layer = sn.layers.dropout({ rate: 0 });
    const x = input(2, [5], 10);
    expect(Array.from(layer.forward(x, { training: true }).data)).toEqual(Array.from(x.data));
    x.dispose();
    layer.dispose();
    expect(() => sn.layers.dropout({ rate: 1 })).toThrow(/rate/);
    expect(() => sn.layers.dropout({ rate: -0.1 })).toThrow(/rate/);
    expect(() => sn.layers.dropout({ rate: 0.5, seed: 1.5 })).toThrow(/seed/);
    expect(() => sn.layers.dropout({ rate: 0.5, noise: 1 } as never)).toThrow(/noise/);
  });

  it('predict is the identity; the same seed trains bit-identical weights on 1 and 2 threads, another seed differs', async () => {
    const rows = 300;
    const x = input(rows, [64], 12);
    const labels = Array.from({ length: rows }, (_, r) => r % 10);
    const identity = sn.sequential([sn.layers.dropout({ inputShape: [7, 13], rate: 0.5, seed: 1 })]);
    const xi = input(5, [7, 13], 13);
    expect(Array.from(take(identity.predict(xi)))).toEqual(Array.from(xi.data));
    identity.dispose();
    xi.dispose();

    const train = async (dropoutSeed: number): Promise<Float32Array[]> => {
      const model = sn.sequential([
        sn.layers.dense({ inputShape: [64], units: 96, activation: 'relu' }),
        sn.layers.dropout({ rate: 0.3, seed: dropoutSeed }),
        sn.layers.dense({ units: 10, activation: 'softmax' }),
      ], { seed: 4 });
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      await model.fit(x, labels, { epochs: 2, batchSize: 64, seed: 5 });
      const weights = model.getWeights();
      model.dispose();
      return weights;
    };
    const threads = sn.getThreads();
    try {
      await sn.setThreads(1);
      const one = await train(17);
      await sn.setThreads(2);
      const two = await train(17);
      const other = await train(18);
      expect(two.map((w) => Array.from(w))).toEqual(one.map((w) => Array.from(w)));
      expect(other[0].some((v, i) => v !== one[0][i])).toBe(true);
    } finally {
      await sn.setThreads(threads);
    }
    x.dispose();
  });
});

describe('BatchNormalization', () => {
  const shapes: number[][] = [[7, 13], [3], [5, 3, 1], [2, 2, 5], [1]];
  for (const sample of shapes) {
    for (const rows of [1, 4]) {
      if (rows * size(sample) / sample[sample.length - 1] < 2) continue; // one value per channel: no batch variance
      it(`[${[rows, ...sample]}]: batch statistics in training (biased variance), moving update, moving statistics in inference, backward`, () => {
        const channels = sample[sample.length - 1];
        const layer = sn.layers.batchNormalization({ axis: -1, momentum: 0.8, epsilon: 1e-3 });
        const x = input(rows, sample, 30 + rows, -1, 3);
        layer.build(sample);
        const [gamma, beta, movingMean, movingVariance] = layer.weights.map((w) => w.tensor);
        expect(layer.weights.map((w) => w.name)).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance']);
        gamma.data.set(randomValues(channels, 0.5, 1.5, 1));
        beta.data.set(randomValues(channels, -0.5, 0.5, 2));
        movingMean.data.set(randomValues(channels, -0.5, 0.5, 3));
        movingVariance.data.set(randomValues(channels, 0.5, 2, 4));
        const mean0 = Array.from(movingMean.data);
        const variance0 = Array.from(movingVariance.data);
        const positions = x.size / channels;

        const inference = layer.forward(x);
        const { mean, variance } = batchNormStats(x.data, positions, channels);
        const inferred = Array.from(x.data, (v, i) => (gamma.data[i % channels] * (v - mean0[i % channels])) / Math.sqrt(variance0[i % channels] + 1e-3) + beta.data[i % channels]);
        expect(worstError(inference.data, inferred)).toBeLessThan(TOL);
        expect(Array.from(movingMean.data)).toEqual(mean0); // inference leaves the statistics alone

        const y = layer.forward(x, { training: true });
        expect(worstError(y.data, batchNormTrain(x.data, positions, channels, gamma.data, beta.data, 1e-3))).toBeLessThan(TOL);
        expect(worstError(movingMean.data, movingAverage(mean0, mean, 0.8))).toBeLessThan(1e-6);
        expect(worstError(movingVariance.data, movingAverage(variance0, variance, 0.8))).toBeLessThan(1e-6);

        const dy = input(rows, sample, 40);
        const dx = layer.backward(dy);
        const g = batchNormBackward(x.data, dy.data, positions, channels, mean, variance, gamma.data, 1e-3);
        expect(worstError(dx.data, g.dx)).toBeLessThan(TOL);
        expect(worstError(layer.grads[0].data, g.dgamma)).toBeLessThan(TOL);
        expect(worstError(layer.grads[1].data, g.dbeta)).toBeLessThan(TOL);
        x.dispose();
        dy.dispose();
        layer.dispose();
      });
    }
  }

  it('center: false and scale: false drop beta and gamma; the axis may be given as the last axis index', () => {
    const layer = sn.layers.batchNormalization({ axis: 3, center: false, scale: false, epsilon: 0.01 });
    const x = input(2, [3, 2, 5], 50);
    const y = layer.forward(x, { training: true });
    expect(layer.weights.map((w) => w.name)).toEqual(['moving_mean', 'moving_variance']);
    expect(layer.params.length).toBe(0);
    expect(worstError(y.data, batchNormTrain(x.data, 12, 5, null, null, 0.01))).toBeLessThan(TOL);
    x.dispose();
    layer.dispose();
    const wrongAxis = sn.layers.batchNormalization({ axis: 1, name: 'bn_axis' });
    const x2 = input(2, [3, 5], 51);
    expect(() => wrongAxis.forward(x2)).toThrow(/bn_axis.*axis 1/);
    x2.dispose();
    expect(() => sn.layers.batchNormalization({ epsilon: 0 })).toThrow(/epsilon/);
    expect(() => sn.layers.batchNormalization({ momentum: 1.5 })).toThrow(/momentum/);
  });

  it('in a model: one training step moves the statistics by (1 - momentum) toward the batch; predict uses them; they are non-trainable and saved', async () => {
    const rows = 7;
    const model = sn.sequential([
      sn.layers.batchNormalization({ inputShape: [3, 5], momentum: 0.8, name: 'bn' }),
      sn.layers.flatten(),
      sn.layers.dense({ units: 2 }),
    ], { seed: 6 });
    perturbWeights(model, 60);
    model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    const x = input(rows, [3, 5], 61, -1, 3);
    const y = input(rows, [2], 62);
    const before = model.getWeights();
    await model.fit(x, y, { epochs: 1, batchSize: rows, shuffle: false });
    const after = model.getWeights();
    const { mean, variance } = batchNormStats(x.data, rows * 3, 5);
    expect(worstError(after[2], movingAverage(before[2], mean, 0.8))).toBeLessThan(1e-6);
    expect(worstError(after[3], movingAverage(before[3], variance, 0.8))).toBeLessThan(1e-6);
    // gamma and beta were trained.
    expect(after[0].some((v, i) => v !== before[0][i])).toBe(true);

    // Inference: the moving statistics, not the batch's (rows 1 and 7).
    for (const n of [1, rows]) {
      const xn = sn.tensor(x.data.slice(0, n * 15), [n, 3, 5]);
      const expected = refModelForward(refLayersOf(model, 0), xn.data, [3, 5], false).y;
      expect(worstError(take(model.predict(xn)), expected)).toBeLessThan(TOL);
      xn.dispose();
    }
    // computeGradients (a training pass) leaves the moving statistics as they were.
    model.computeGradients(x, y);
    expect(model.getWeights()[2]).toEqual(after[2]);

    const summary = model.summary({ print: false });
    expect(summary).toMatch(/bn \(BatchNormalization\)\s+\[null, 3, 5\]\s+20\n/);
    expect(summary).toContain('Total params: 52');
    expect(summary).toContain('Trainable params: 42');
    expect(summary).toContain('Non-trainable params: 10');
    expect(model.paramNames).toEqual(['bn/gamma', 'bn/beta', model.paramNames[2], model.paramNames[3]]);

    const dir = tmp('bn');
    await sn.saveModel(model, dir);
    const loaded = await sn.loadModel(dir);
    expect(loaded.namedWeights.map((w) => w.name)).toEqual(['bn/gamma', 'bn/beta', 'bn/moving_mean', 'bn/moving_variance', ...model.namedWeights.slice(4).map((w) => w.name)]);
    expect(loaded.getWeights()).toEqual(model.getWeights());
    expect(Array.from(take(loaded.predict(x)))).toEqual(Array.from(take(model.predict(x))));
    loaded.dispose();
    model.dispose();
    x.dispose();
    y.dispose();
  });
});

/** A model of every new layer for a per-sample input shape (channels last). */
function everyLayerModel(sample: number[], seed: number, head: 'softmax' | 'linear'): Model {
  const model = sn.sequential([
    sn.layers.batchNormalization({ inputShape: sample, momentum: 0.9 }),
    sn.layers.dense({ units: 4, activation: 'tanh' }), // over the last axis of a rank >= 2 sample
    sn.layers.dropout({ rate: 0.3, seed: seed + 1 }),
    sn.layers.activation({ activation: 'leakyRelu', alpha: 0.2 }),
    sn.layers.reshape({ targetShape: [-1, 2] }),
    sn.layers.activation({ activation: 'sigmoid' }),
    sn.layers.flatten(),
    sn.layers.dense({ units: 3, activation: head }),
  ], { seed });
  perturbWeights(model, seed);
  return model;
}

describe('a model of every new layer against the float64 reference', () => {
  for (const sample of [[7, 13], [5, 3, 1], [2, 3, 5], [3, 1]]) {
    it(`sample [${sample}]: predict (inference) for batches 1 and 5, and the training forward`, () => {
      const model = everyLayerModel(sample, 70, 'softmax');
      for (const rows of [1, 5]) {
        const x = input(rows, sample, 71 + rows);
        const expected = refModelForward(refLayersOf(model, 0), x.data, sample, false);
        expect(expected.shape).toEqual([3]);
        expect(worstError(take(model.predict(x)), expected.y)).toBeLessThan(TOL);
        x.dispose();
      }
      // Training mode through each layer's forward (dropout's first step, batch statistics): 5 rows.
      const x = input(5, sample, 79);
      const expected = refModelForward(refLayersOf(model, 0), x.data, sample, true).y;
      let h: Tensor = x;
      for (const layer of model.layers) h = layer.forward(h, { training: true });
      expect(h.shape).toEqual([5, 3]);
      expect(worstError(h.data, expected)).toBeLessThan(TOL);
      x.dispose();
      model.dispose();
    });
  }

  it('computeGradients reports the training-mode loss of the reference (dropout step 0, batch statistics)', () => {
    const model = everyLayerModel([7, 13], 80, 'softmax');
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const rows = 6;
    const x = input(rows, [7, 13], 81);
    const labels = Array.from({ length: rows * 3 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0));
    const p = refModelForward(refLayersOf(model, 0), x.data, [7, 13], true).y;
    let loss = 0;
    for (let i = 0; i < p.length; i++) if (labels[i] === 1) loss -= Math.log(p[i]) / rows;
    const reported = model.computeGradients(x, { data: labels, shape: [rows, 3] });
    expect(Math.abs(reported - loss) / loss).toBeLessThan(TOL);
    x.dispose();
    model.dispose();
  });
});

describe('gradCheck with the new layers', () => {
  const dense = (o: Parameters<typeof sn.layers.dense>[0]) => sn.layers.dense({ biasInitializer: sn.initializers.randomNormal({ stddev: 0.3 }), ...o });
  const models: [string, number[], () => sn.Layer[], sn.LossName, number][] = [
    ['flatten, rank-3 dense, reshape (-1), activation; softmax head', [3, 5, 2], () => [
      dense({ inputShape: [3, 5, 2], units: 4, activation: 'tanh' }), sn.layers.flatten(), dense({ units: 6 }), sn.layers.reshape({ targetShape: [2, -1] }),
      sn.layers.activation({ activation: 'sigmoid' }), sn.layers.reshape({ targetShape: [6] }), dense({ units: 3 }), sn.layers.activation({ activation: 'softmax' }),
    ], 'categoricalCrossentropy', 3],
    ['rank-3 dense and activation; MSE head on a rank-3 output', [7, 13], () => [
      dense({ inputShape: [7, 13], units: 5, activation: 'relu' }), sn.layers.activation({ activation: 'tanh' }), dense({ units: 2 }),
    ], 'meanSquaredError', 0],
    ['dropout 0.3 (the reference replays the mask); MSE', [9], () => [
      dense({ inputShape: [9], units: 11, activation: 'tanh' }), sn.layers.dropout({ rate: 0.3, seed: 5 }), dense({ units: 2 }),
    ], 'meanSquaredError', 0],
    ['dropout 0.3 on a rank-3 tensor; sparse softmax head', [4, 3], () => [
      sn.layers.dropout({ inputShape: [4, 3], rate: 0.3, seed: 6 }), dense({ units: 5, activation: 'sigmoid' }), sn.layers.flatten(), dense({ units: 4, activation: 'softmax' }),
    ], 'sparseCategoricalCrossentropy', 4],
    // No bias before batch normalization: the batch mean cancels it, so its gradient is exactly 0 (tested below).
    ['batchNormalization in training mode; softmax head', [13], () => [
      dense({ inputShape: [13], units: 6, useBias: false }), sn.layers.batchNormalization({ momentum: 0.9 }), sn.layers.activation({ activation: 'tanh' }), dense({ units: 3, activation: 'softmax' }),
    ], 'categoricalCrossentropy', 3],
    ['batchNormalization over a rank-3 input (3 channels), center/scale off after it; MSE', [5, 3], () => [
      sn.layers.batchNormalization({ inputShape: [5, 3] }), dense({ units: 4, activation: 'sigmoid' }), sn.layers.batchNormalization({ center: false, scale: false }),
      sn.layers.flatten(), dense({ units: 2 }),
    ], 'meanSquaredError', 0],
    ['regularized dense: l1 kernel, l2 bias, l1l2 both; MSE', [7], () => [
      dense({ inputShape: [7], units: 5, activation: 'tanh', kernelRegularizer: sn.regularizers.l1({ l1: 0.01 }), biasRegularizer: sn.regularizers.l2({ l2: 0.02 }) }),
      dense({ units: 3, kernelRegularizer: sn.regularizers.l1l2({ l1: 0.003, l2: 0.004 }), biasRegularizer: sn.regularizers.l1l2() }),
    ], 'meanSquaredError', 0],
    ['regularized dense with batchNormalization and a frozen layer; softmax head', [6], () => [
      dense({ inputShape: [6], units: 5, trainable: false }), sn.layers.batchNormalization({ gammaRegularizer: sn.regularizers.l2({ l2: 0.05 }) }),
      dense({ units: 4, activation: 'softmax', kernelRegularizer: sn.regularizers.l2({ l2: 0.03 }) }),
    ], 'categoricalCrossentropy', 4],
  ];
  for (const [name, sample, layers, loss, classes] of models) {
    it(name, () => {
      const model = sn.sequential(layers(), { seed: 90 });
      model.compile({ optimizer: 'sgd', loss });
      const rows = 7;
      const x = input(rows, sample, 91);
      const outShape = model.outputShape;
      const y = loss === 'sparseCategoricalCrossentropy' ? { data: Array.from({ length: rows }, (_, r) => (r * 3) % classes), shape: [rows] }
        : loss === 'categoricalCrossentropy' ? { data: Array.from({ length: rows * classes }, (_, i) => ((Math.floor(i / classes) * 2) % classes === i % classes ? 1 : 0)), shape: [rows, classes] }
        : { data: Array.from(randomValues(rows * size(outShape), -1, 1, 92)), shape: [rows, ...outShape] };
      const results = sn.gradCheck(model, x, y);
      expect(results.map((r) => r.name)).toEqual(model.paramNames);
      expect(results.length).toBeGreaterThan(0);
      for (const r of results) {
        expect(r.checked).toBeGreaterThan(0);
        expect(r.maxRelativeError, r.name).toBeLessThan(GRAD_TOL);
      }
      x.dispose();
      model.dispose();
    });
  }
});

describe('gradCheck: a bias before batchNormalization', () => {
  it('gets a zero gradient (the batch mean cancels it), numerically and analytically', () => {
    const model = sn.sequential([sn.layers.dense({ inputShape: [13], units: 6 }), sn.layers.batchNormalization(), sn.layers.dense({ units: 2 })], { seed: 95 });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = input(7, [13], 96);
    const y = input(7, [2], 97);
    const results = sn.gradCheck(model, x, y);
    const bias = results.find((r) => r.name.endsWith('/bias') && r.name.startsWith(model.layers[0].name))!;
    // |analytic - numeric| against a kernel gradient of order 0.1: float32 round-off only.
    expect(bias.maxAbsoluteError).toBeLessThan(1e-6);
    expect(Math.max(...model.grads[1].data.map(Math.abs))).toBeLessThan(1e-6);
    for (const r of results.filter((r) => r !== bias)) expect(r.maxRelativeError, r.name).toBeLessThan(GRAD_TOL);
    x.dispose();
    y.dispose();
    model.dispose();
  });
});

describe('kernel and bias regularizers', () => {
  it('the factories take tfjs defaults (0.01) and refuse bad factors and unknown options', () => {
    expect(sn.regularizers.l1()).toEqual({ l1: 0.01, l2: 0 });
    expect(sn.regularizers.l2()).toEqual({ l1: 0, l2: 0.01 });
    expect(sn.regularizers.l1l2()).toEqual({ l1: 0.01, l2: 0.01 });
    expect(sn.regularizers.l1l2({ l1: 0.5 })).toEqual({ l1: 0.5, l2: 0.01 });
    expect(() => sn.regularizers.l2({ l2: -1 })).toThrow(/l2/);
    expect(() => sn.regularizers.l1({ l2: 1 } as never)).toThrow(/l2/);
    expect(() => sn.layers.dense({ units: 2, kernelRegularizer: 'l2' as never })).toThrow(/kernelRegularizer/);
  });

  for (const head of ['linear', 'softmax'] as const) {
    it(`computeGradients and evaluate report the data loss plus l1 sum|w| + l2 sum w^2 (float64), ${head} head`, () => {
      const l1 = sn.regularizers.l1({ l1: 0.02 });
      const l2 = sn.regularizers.l2({ l2: 0.03 });
      const both = sn.regularizers.l1l2({ l1: 0.004, l2: 0.005 });
      const model = sn.sequential([
        sn.layers.dense({ inputShape: [3, 7], units: 5, activation: 'tanh', kernelRegularizer: l1, biasRegularizer: l2 }),
        sn.layers.flatten(),
        sn.layers.dense({ units: 3, activation: head, kernelRegularizer: both, biasRegularizer: both }),
      ], { seed: 100 });
      perturbWeights(model, 101);
      const loss = head === 'softmax' ? 'categoricalCrossentropy' : 'meanSquaredError';
      model.compile({ optimizer: 'sgd', loss });
      const rows = 13;
      const x = input(rows, [3, 7], 102);
      const targets = head === 'softmax' ? Float32Array.from({ length: rows * 3 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0)) : randomValues(rows * 3, -1, 1, 103);
      const p = refModelForward(refLayersOf(model, 0), x.data, [3, 7], false).y;
      let data = 0;
      for (let i = 0; i < p.length; i++) data += head === 'softmax' ? (targets[i] === 1 ? -Math.log(p[i]) : 0) : (p[i] - targets[i]) ** 2 / 3;
      data /= rows;
      const [k1, b1, k2, b2] = model.getWeights();
      const sumAbs = (w: Float32Array) => w.reduce((s, v) => s + Math.abs(v), 0);
      const sumSq = (w: Float32Array) => w.reduce((s, v) => s + v * v, 0);
      const penalty = 0.02 * sumAbs(k1) + 0.03 * sumSq(b1) + 0.004 * (sumAbs(k2) + sumAbs(b2)) + 0.005 * (sumSq(k2) + sumSq(b2));
      expect(penalty).toBeGreaterThan(0.05 * data); // the penalty is a visible part of the loss
      const y = sn.tensor(targets, [rows, 3]);
      // float32 loss kernels and penalty sums against float64: 1e-5 relative.
      expect(Math.abs(model.evaluate(x, y).loss - (data + penalty)) / (data + penalty)).toBeLessThan(1e-5);
      expect(Math.abs(model.computeGradients(x, y) - (data + penalty)) / (data + penalty)).toBeLessThan(1e-5);
      // The penalty's gradient is in the weights' gradient: gradCheck differentiates loss + penalty.
      for (const r of sn.gradCheck(model, x, y)) expect(r.maxRelativeError, r.name).toBeLessThan(GRAD_TOL);
      x.dispose();
      y.dispose();
      model.dispose();
    });
  }
});

describe('trainable: false', () => {
  it('a frozen layer keeps bit-identical weights through fit while the others change; summary counts them apart', async () => {
    const model = sn.sequential([
      sn.layers.dense({ inputShape: [5], units: 6, activation: 'tanh', trainable: false, name: 'frozen' }),
      sn.layers.batchNormalization({ trainable: false, name: 'frozen_bn' }),
      sn.layers.dense({ units: 3, activation: 'softmax', name: 'head' }),
    ], { seed: 110 });
    perturbWeights(model, 111);
    expect(model.paramNames).toEqual(['head/kernel', 'head/bias']);
    const summary = model.summary({ print: false });
    // frozen: 5 x 6 + 6 = 36; frozen_bn: 4 x 6 = 24 (all non-trainable); head: 6 x 3 + 3 = 21.
    expect(summary).toContain('Total params: 81');
    expect(summary).toContain('Trainable params: 21');
    expect(summary).toContain('Non-trainable params: 60');
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const rows = 37;
    const x = input(rows, [5], 112);
    const labels = Array.from({ length: rows }, (_, r) => r % 3);
    const before = model.namedWeights.map((w) => ({ name: w.name, values: w.tensor.data.slice() }));
    await model.fit(x, labels, { epochs: 3, batchSize: 8, seed: 1 });
    model.namedWeights.forEach((w, i) => {
      const same = w.tensor.data.every((v, j) => Object.is(v, before[i].values[j]));
      if (['frozen/kernel', 'frozen/bias', 'frozen_bn/gamma', 'frozen_bn/beta'].includes(w.name)) expect(same, w.name).toBe(true);
      if (w.name.startsWith('head/')) expect(same, w.name).toBe(false);
    });
    expect(model.layers[0].getConfig().trainable).toBe(false);
    x.dispose();
    model.dispose();
  });

  it('trainable must be a boolean', () => {
    expect(() => sn.layers.flatten({ trainable: 'no' as never })).toThrow(/trainable/);
  });
});

describe('save and load a model of every new layer', () => {
  it('identical predictions, weights, configs and summary after sn.saveModel / sn.loadModel', async () => {
    const model = sn.sequential([
      sn.layers.batchNormalization({ inputShape: [6, 5, 3], momentum: 0.95, epsilon: 0.002, name: 'bn_in' }),
      sn.layers.reshape({ targetShape: [30, -1], name: 'to_steps' }),
      sn.layers.dense({ units: 8, activation: 'relu', kernelRegularizer: sn.regularizers.l1l2({ l1: 0.001, l2: 0.002 }), biasRegularizer: sn.regularizers.l2({ l2: 0.003 }), name: 'steps' }),
      sn.layers.activation({ activation: 'leakyRelu', alpha: 0.2, name: 'leaky' }),
      sn.layers.dropout({ rate: 0.3, seed: 9, name: 'drop' }),
      sn.layers.flatten({ name: 'flat' }),
      sn.layers.dense({ units: 6, trainable: false, name: 'frozen' }),
      sn.layers.batchNormalization({ center: false, name: 'bn_mid' }),
      sn.layers.dense({ units: 4, activation: 'softmax', name: 'out' }),
    ], { seed: 120 });
    model.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const rows = 23;
    const x = input(rows, [6, 5, 3], 121);
    const y = sn.tensor(Float32Array.from({ length: rows * 4 }, (_, i) => (i % 4 === Math.floor(i / 4) % 4 ? 1 : 0)), [rows, 4]);
    await model.fit(x, y, { epochs: 2, batchSize: 8, seed: 2 });
    const dir = tmp('every');
    await sn.saveModel(model, dir);
    const loaded = await sn.loadModel(dir);
    expect(loaded.layers.map((l) => `${l.className}:${l.name}`)).toEqual(model.layers.map((l) => `${l.className}:${l.name}`));
    // The first layer's inputShape is the model's (saved once, beside the layers).
    const withoutShape = (c: Record<string, unknown>) => ({ ...c, inputShape: undefined });
    loaded.layers.forEach((l, i) => expect(withoutShape(l.getConfig()), l.name).toEqual(withoutShape(model.layers[i].getConfig())));
    expect(loaded.inputShape).toEqual([6, 5, 3]);
    expect(loaded.getWeights()).toEqual(model.getWeights());
    expect(loaded.paramNames).toEqual(model.paramNames);
    expect(loaded.summary({ print: false }).split('\n').slice(1)).toEqual(model.summary({ print: false }).split('\n').slice(1));
    expect(loaded.trainingConfig).toEqual(model.trainingConfig);
    expect(Array.from(take(loaded.predict(x)))).toEqual(Array.from(take(model.predict(x))));
    expect(loaded.evaluate(x, y)).toEqual(model.evaluate(x, y));
    // Each config also rebuilds its layer through the registry's class (fromConfig(getConfig()) is the same config).
    for (const layer of model.layers) {
      const type = layer.constructor as unknown as { fromConfig(c: Record<string, unknown>): sn.Layer };
      const copy = type.fromConfig(layer.getConfig());
      expect(copy.getConfig()).toEqual(layer.getConfig());
      copy.dispose();
    }
    loaded.dispose();
    model.dispose();
    x.dispose();
    y.dispose();
  });
});
