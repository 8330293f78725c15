// The Keras-named losses and the metrics against the real TensorFlow.js on the same inputs, their float64
// references (src/nn/reference64.ts, through gradCheck), options, errors, history keys and saving.
// Tolerances: loss values within 1e-6 relative of tfjs (measured worst is printed); metric counts are
// exact ratios, compared within 1e-6 (tfjs computes them in float32); gradCheck < 1e-3 as test/nn-gradcheck.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sn from '../dist/index.js';
import { randomValues } from './reference/random.js';

const LOSS_RTOL = 1e-6;
const SHAPES: [number, number][] = [[1, 1], [3, 5], [7, 13], [64, 10], [33, 1]];

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);
}

/** tfjs-layers' loss by name, through a tfjs model whose output is its input (identity kernel, no bias). */
async function tfjsModelLoss(loss: string, pred: Float32Array, target: Float32Array, rows: number, cols: number, targetCols = cols): Promise<number> {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [cols], units: cols, useBias: false, kernelInitializer: 'identity' })] });
  model.compile({ optimizer: 'sgd', loss });
  const x = tf.tensor2d(pred, [rows, cols]);
  const y = tf.tensor2d(target, [rows, targetCols]);
  const result = model.evaluate(x, y, { batchSize: rows }) as tf.Scalar;
  const value = (await result.data())[0];
  tf.dispose([x, y, result]);
  model.dispose();
  return value;
}

function oneHotRows(rows: number, cols: number, seed: number): { dense: Float32Array; idx: Float32Array } {
  const u = randomValues(rows, 0, 1, seed);
  const dense = new Float32Array(rows * cols);
  const idx = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    idx[r] = Math.min(cols - 1, Math.floor(u[r] * cols));
    dense[r * cols + idx[r]] = 1;
  }
  return { dense, idx };
}

function softmaxRows(x: Float32Array, rows: number, cols: number): Float32Array {
  const t = sn.tensor(x, [rows, cols]);
  const p = sn.softmax(t);
  const out = p.data.slice();
  t.dispose();
  p.dispose();
  return out;
}

function simdnetLoss(loss: sn.Loss, pred: Float32Array, target: Float32Array, rows: number, cols: number, sparse = false): number {
  const p = sn.tensor(pred, [rows, cols]);
  const t = sn.tensor(target, sparse ? [rows] : [rows, cols]);
  const value = loss.compute(p, t);
  p.dispose();
  t.dispose();
  return value;
}

describe('Keras losses vs TensorFlow.js', () => {
  const worst: Record<string, number> = {};
  const record = (name: string, got: number, want: number): void => {
    const r = rel(got, want);
    worst[name] = Math.max(worst[name] ?? 0, r);
    expect(r, `${name}: simdnet ${got}, tfjs ${want}`).toBeLessThanOrEqual(LOSS_RTOL);
  };

  for (const [rows, cols] of SHAPES) {
    it(`[${rows}, ${cols}]: mse, mae, hinge, huber, the cross-entropies (probabilities and fromLogits)`, async () => {
      const seed = rows * 100 + cols;
      const pred = randomValues(rows * cols, -3, 3, seed);
      const target = randomValues(rows * cols, -2, 2, seed + 1);
      record('meanSquaredError', simdnetLoss(sn.losses.meanSquaredError(), pred, target, rows, cols), await tfjsModelLoss('meanSquaredError', pred, target, rows, cols));
      record('meanAbsoluteError', simdnetLoss(sn.losses.meanAbsoluteError(), pred, target, rows, cols), await tfjsModelLoss('meanAbsoluteError', pred, target, rows, cols));
      const signs = target.map((v) => (v > 0 ? 1 : -1));
      record('hinge', simdnetLoss(sn.losses.hinge(), pred, signs, rows, cols), await tfjsModelLoss('hinge', pred, signs, rows, cols));
      for (const delta of [1, 0.5, 2.5]) {
        const want = tf.tidy(() => tf.losses.huberLoss(tf.tensor2d(target, [rows, cols]), tf.tensor2d(pred, [rows, cols]), undefined, delta).dataSync()[0]);
        record('huber', simdnetLoss(sn.losses.huber({ delta }), pred, target, rows, cols), want);
      }
      // Binary: probabilities in (0, 1) and soft targets; logits for fromLogits.
      const probs = pred.map((v) => 1 / (1 + Math.exp(-v)));
      const unit = target.map((v) => (v + 2) / 4);
      record('binaryCrossentropy', simdnetLoss(sn.losses.binaryCrossentropy(), probs, unit, rows, cols), await tfjsModelLoss('binaryCrossentropy', probs, unit, rows, cols));
      const bceLogits = tf.tidy(() => tf.losses.sigmoidCrossEntropy(tf.tensor2d(unit, [rows, cols]), tf.tensor2d(pred, [rows, cols])).dataSync()[0]);
      record('binaryCrossentropy fromLogits', simdnetLoss(sn.losses.binaryCrossentropy({ fromLogits: true }), pred, unit, rows, cols), bceLogits);
      // Categorical: softmax rows, one-hot targets (and class indices); tfjs refuses a single class.
      if (cols === 1) return;
      const { dense, idx } = oneHotRows(rows, cols, seed + 2);
      const soft = softmaxRows(pred, rows, cols);
      record('categoricalCrossentropy', simdnetLoss(sn.losses.categoricalCrossentropy(), soft, dense, rows, cols), await tfjsModelLoss('categoricalCrossentropy', soft, dense, rows, cols));
      record('sparseCategoricalCrossentropy', simdnetLoss(sn.losses.sparseCategoricalCrossentropy(), soft, idx, rows, cols, true), await tfjsModelLoss('sparseCategoricalCrossentropy', soft, idx, rows, cols, 1));
      const cceLogits = tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.tensor2d(dense, [rows, cols]), tf.tensor2d(pred, [rows, cols])).dataSync()[0]);
      record('categoricalCrossentropy fromLogits', simdnetLoss(sn.losses.categoricalCrossentropy({ fromLogits: true }), pred, dense, rows, cols), cceLogits);
      record('sparseCategoricalCrossentropy fromLogits', simdnetLoss(sn.losses.sparseCategoricalCrossentropy({ fromLogits: true }), pred, idx, rows, cols, true), cceLogits);
    });
  }

  it('through compile and evaluate (fit\'s own loss path), fused and fromLogits, the same values', async () => {
    const rows = 23;
    const cols = 7;
    const logits = randomValues(rows * cols, -4, 4, 5);
    const { dense, idx } = oneHotRows(rows, cols, 6);
    const identity = (activation: sn.ActivationName, loss: unknown) => {
      const m = sn.sequential([sn.layers.dense({ inputShape: [cols], units: cols, activation, useBias: false, kernelInitializer: 'zeros' })]);
      m.setWeights([Array.from({ length: cols * cols }, (_, i) => (i % (cols + 1) === 0 ? 1 : 0))]);
      m.compile({ optimizer: 'sgd', loss: loss as sn.LossName });
      return m;
    };
    const x = sn.tensor(logits, [rows, cols]);
    const cceLogits = tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.tensor2d(dense, [rows, cols]), tf.tensor2d(logits, [rows, cols])).dataSync()[0]);
    const cases: [sn.ActivationName, unknown, Float32Array, number][] = [
      ['softmax', 'categoricalCrossentropy', dense, cceLogits],
      ['linear', sn.losses.categoricalCrossentropy({ fromLogits: true }), dense, cceLogits],
      ['softmax', 'sparseCategoricalCrossentropy', idx, cceLogits],
      ['linear', sn.losses.sparseCategoricalCrossentropy({ fromLogits: true }), idx, cceLogits],
      ['linear', 'mse', dense, await tfjsModelLoss('meanSquaredError', logits, dense, rows, cols)],
      ['linear', 'mae', dense, await tfjsModelLoss('meanAbsoluteError', logits, dense, rows, cols)],
    ];
    for (const [act, loss, y, want] of cases) {
      const m = identity(act, loss);
      const got = m.evaluate(x, { data: y, shape: y === idx ? [rows] : [rows, cols] }).loss;
      record(`evaluate ${act} ${typeof loss === 'string' ? loss : (loss as sn.Loss).name}`, got, want);
      m.dispose();
    }
    x.dispose();
    console.log(`worst relative difference from tfjs: ${Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
  });
});

describe('categorical losses over a softmax per position ([steps, classes] outputs)', () => {
  // Dense on [steps, features] with a softmax over the last axis: Keras's per-sample loss is the mean over
  // the positions of each position's cross-entropy, and accuracy counts each position.
  const cases: [number, number, number, number][] = [[1, 1, 3, 2], [13, 3, 4, 5], [7, 7, 2, 3], [32, 4, 5, 10]];

  function pair(rows: number, steps: number, features: number, classes: number, seed: number, loss: string, metrics: string[]) {
    const tm = tf.sequential({ layers: [tf.layers.dense({ inputShape: [steps, features], units: classes, activation: 'softmax' })] });
    tm.compile({ optimizer: 'sgd', loss, metrics });
    const sm = sn.sequential([sn.layers.dense({ inputShape: [steps, features], units: classes, activation: 'softmax' })]);
    sm.setWeights(tm.getWeights().map((w) => Array.from(w.dataSync())));
    sm.compile({ optimizer: 'sgd', loss: loss as sn.LossName, metrics });
    const x = randomValues(rows * steps * features, -2, 2, seed);
    const { dense, idx } = oneHotRows(rows * steps, classes, seed + 1);
    return { tm, sm, x, dense, idx };
  }

  for (const [rows, steps, features, classes] of cases) {
    it(`[${rows}, ${steps}, ${classes}]: loss, accuracy and crossentropy match tfjs's evaluate (dense and sparse targets)`, async () => {
      for (const loss of ['categoricalCrossentropy', 'sparseCategoricalCrossentropy']) {
        const sparse = loss === 'sparseCategoricalCrossentropy';
        const { tm, sm, x, dense, idx } = pair(rows, steps, features, classes, rows * 31 + steps, loss, ['acc', 'ce']);
        expect(sm.objective.fused).toBe(true);
        const xt = tf.tensor3d(x, [rows, steps, features]);
        // tfjs asks for sparse targets of [rows, steps, 1]; simdnet takes that and [rows, steps].
        const yt = sparse ? tf.tensor3d(idx, [rows, steps, 1]) : tf.tensor3d(dense, [rows, steps, classes]);
        const want = (tm.evaluate(xt, yt, { batchSize: rows }) as tf.Scalar[]).map((t) => t.dataSync()[0]);
        const got = sm.evaluate({ data: x, shape: [rows, steps, features] }, sparse ? { data: idx, shape: [rows, steps] } : { data: dense, shape: [rows, steps, classes] }, { batchSize: 5 });
        if (sparse) expect(sm.evaluate({ data: x, shape: [rows, steps, features] }, { data: idx, shape: [rows, steps, 1] }, { batchSize: 5 })).toEqual(got);
        expect(rel(got.loss, want[0]), `${loss}: loss ${got.loss} vs tfjs ${want[0]}`).toBeLessThanOrEqual(LOSS_RTOL);
        expect(Math.abs(got.accuracy - want[1]), `${loss}: accuracy ${got.accuracy} vs tfjs ${want[1]}`).toBeLessThanOrEqual(1e-6);
        expect(rel(got.crossentropy, want[2]), `${loss}: crossentropy ${got.crossentropy} vs tfjs ${want[2]}`).toBeLessThanOrEqual(LOSS_RTOL);
        console.log(`[${rows}, ${steps}, ${classes}] ${loss}: relative difference from tfjs ${rel(got.loss, want[0]).toExponential(2)}`);
        // The loss object on [batch, steps, classes] probabilities (and logits) agrees too.
        const probs = sm.predict({ data: x, shape: [rows, steps, features] });
        const target = sparse ? sn.tensor(idx, [rows, steps]) : sn.tensor(dense, [rows, steps, classes]);
        expect(rel(sn.losses[loss as 'categoricalCrossentropy']().compute(probs, target), want[0])).toBeLessThanOrEqual(1e-5);
        tf.dispose([xt, yt]);
        [probs, target].forEach((t) => t.dispose());
        tm.dispose();
        sm.dispose();
      }
    });
  }

  it('gradCheck: fused softmax and fromLogits, dense and sparse targets, worst relative error < 1e-3', () => {
    const [rows, steps, features, classes] = [5, 3, 4, 6];
    const x = randomValues(rows * steps * features, -1, 1, 71);
    const { dense, idx } = oneHotRows(rows * steps, classes, 72);
    for (const [activation, loss] of [['softmax', 'categoricalCrossentropy'], ['softmax', 'sparseCategoricalCrossentropy'], ['linear', sn.losses.categoricalCrossentropy({ fromLogits: true })], ['linear', sn.losses.sparseCategoricalCrossentropy({ fromLogits: true })]] as const) {
      const m = sn.sequential([
        sn.layers.dense({ inputShape: [steps, features], units: 7, activation: 'tanh' }),
        sn.layers.dense({ units: classes, activation }),
      ], { seed: 5 });
      m.compile({ optimizer: 'sgd', loss: loss as sn.LossName });
      const sparse = m.objective.sparse;
      const y = sparse ? { data: idx, shape: [rows, steps] } : { data: dense, shape: [rows, steps, classes] };
      const worst = Math.max(...sn.gradCheck(m, { data: x, shape: [rows, steps, features] }, y).map((r) => r.maxRelativeError));
      expect(worst, `${activation} ${m.objective.loss}`).toBeLessThan(1e-3);
      m.dispose();
    }
  });

  it('fit and fitDataset train per position (bit-identical on the same batches); bad targets name the row and position', async () => {
    const [rows, steps, features, classes] = [40, 3, 4, 5];
    const x = randomValues(rows * steps * features, -1, 1, 81);
    const labels = new Float32Array(rows * steps);
    for (let i = 0; i < rows * steps; i++) labels[i] = (x[i * features] > 0 ? 1 : 0) + (x[i * features + 1] > 0 ? 2 : 0);
    const make = () => {
      const m = sn.sequential([sn.layers.dense({ inputShape: [steps, features], units: classes, activation: 'softmax' })], { seed: 8 });
      m.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.05 }), loss: 'sparseCategoricalCrossentropy', metrics: ['acc'] });
      return m;
    };
    const a = make();
    const h = await a.fit({ data: x, shape: [rows, steps, features] }, { data: labels, shape: [rows, steps] }, { epochs: 30, batchSize: 8, shuffle: false });
    expect(h.history.loss.at(-1)!).toBeLessThan(h.history.loss[0] * 0.6);
    expect(h.history.acc!.at(-1)!).toBeGreaterThan(0.8);
    const b = make();
    const batches = Array.from({ length: rows / 8 }, (_, k) => ({
      xs: { data: x.slice(k * 8 * steps * features, (k + 1) * 8 * steps * features), shape: [8, steps, features] },
      ys: { data: labels.slice(k * 8 * steps, (k + 1) * 8 * steps), shape: [8, steps] },
    }));
    const hb = await b.fitDataset(batches, { epochs: 30 });
    expect(b.getWeights().map((w) => Array.from(w))).toEqual(a.getWeights().map((w) => Array.from(w)));
    expect(hb.history.loss).toEqual(h.history.loss);
    // sampleWeight (one weight per sample, its loss the mean over its positions): weights of 1 train as none.
    const w = make();
    const hw = await w.fit({ data: x, shape: [rows, steps, features] }, { data: labels, shape: [rows, steps] }, { epochs: 30, batchSize: 8, shuffle: false, sampleWeight: new Float32Array(rows).fill(1) });
    hw.history.loss.forEach((v, i) => expect(Math.abs(v - h.history.loss[i]), `epoch ${i}`).toBeLessThan(1e-5));
    w.dispose();
    const bad = labels.slice(0, 2 * steps);
    bad[4] = classes;
    const xs2 = { data: x.slice(0, 2 * steps * features), shape: [2, steps, features] };
    await expect(a.fit(xs2, { data: bad, shape: [2, steps] })).rejects.toThrow(`y row 1, position 1 is ${classes}: not a class index in [0, ${classes})`);
    await expect(b.fitDataset([{ xs: xs2, ys: { data: bad, shape: [2, steps] } }])).rejects.toThrow(`dataset epoch 0, batch 0: ys row 1, position 1 is ${classes}`);
    await expect(a.fit(xs2, { data: labels.slice(0, 2), shape: [2, 1] })).rejects.toThrow(/y has shape \[2, 1\]: expected 3 values per row/);
    await expect(a.fit(xs2, { data: labels.slice(0, 2 * steps), shape: [2, steps] }, { classWeight: { 0: 1, 1: 1, 2: 1, 3: 1 } })).rejects.toThrow(/classWeight needs one class per row, but the outputs hold 3 positions of 5 classes each/);
    const c = sn.sequential([sn.layers.dense({ inputShape: [steps, features], units: classes, activation: 'softmax' })], { seed: 8 });
    c.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const notOneHot = new Float32Array(2 * steps * classes);
    for (let i = 0; i < 2 * steps; i++) notOneHot[i * classes] = 1;
    notOneHot[5 * classes + 1] = 1;
    await expect(c.fit(xs2, { data: notOneHot, shape: [2, steps, classes] })).rejects.toThrow(/y row 1, position 2 is not one-hot .* over the last axis/);
    [a, b, c].forEach((m) => m.dispose());
  });
});

describe('halfSquaredError, the tutorials\' cost', () => {
  it('is 1/2 sum over outputs per sample, gradient (p - t) / batch; meanSquaredError is Keras\'s (no 1/2)', () => {
    const p = sn.tensor([[3, 1, 0], [0, 0, 2]]);
    const t = sn.tensor([[1, 1, 0], [0, 1, 0]]);
    const g = sn.zeros([2, 3]);
    // Per sample: 1/2 (4 + 0 + 0) = 2 and 1/2 (0 + 1 + 4) = 2.5; mean 2.25.
    expect(sn.losses.halfSquaredError().compute(p, t, g)).toBe(2.25);
    expect(Array.from(g.data)).toEqual([1, 0, 0, 0, -0.5, 1]);
    // Keras: mean over the 3 outputs, (4 / 3 + 5 / 3) / 2 = 1.5; gradient 2 (p - t) / (2 * 3).
    expect(sn.losses.meanSquaredError().compute(p, t, g)).toBeCloseTo(1.5, 12);
    expect(Array.from(g.data).map((v) => Math.round(v * 3000) / 3000)).toEqual([2 / 3, 0, 0, 0, -1 / 3, 2 / 3].map((v) => Math.round(v * 3000) / 3000));
    for (const x of [p, t, g]) x.dispose();
  });
});

describe('gradCheck of the new losses (float64 references in src/nn/reference64.ts)', () => {
  const rows = 7;
  const cols = 3;
  const cases: [string, sn.ActivationName, unknown, (v: number, i: number) => number][] = [
    ['mse', 'linear', 'mse', (v) => v],
    ['mae', 'tanh', 'mae', (v) => v],
    ['huber delta 0.3', 'linear', sn.losses.huber({ delta: 0.3 }), (v) => 2 * v],
    ['hinge', 'linear', 'hinge', (v) => (v > 0 ? 1 : -1)],
    ['halfSquaredError', 'sigmoid', 'halfSquaredError', (v) => (v + 1) / 2],
    ['halfMeanSquaredError', 'linear', 'halfMeanSquaredError', (v) => v],
    ['binaryCrossentropy fromLogits', 'linear', sn.losses.binaryCrossentropy({ fromLogits: true }), (v) => (v > 0 ? 1 : 0)],
    ['categoricalCrossentropy fromLogits', 'linear', sn.losses.categoricalCrossentropy({ fromLogits: true }), (_, i) => ((Math.floor(i / cols) * 5) % cols === i % cols ? 1 : 0)],
    ['sparseCategoricalCrossentropy fromLogits', 'relu', sn.losses.sparseCategoricalCrossentropy({ fromLogits: true }), (_, i) => i % cols],
  ];
  for (const [name, act, loss, target] of cases) {
    it(`${name} (${act} output): worst relative error < 1e-3`, () => {
      const model = sn.sequential([sn.layers.dense({ inputShape: [5], units: 6, activation: 'tanh' }), sn.layers.dense({ units: cols, activation: act })], { seed: 21 });
      model.compile({ optimizer: 'sgd', loss: loss as sn.LossName });
      const sparse = name.startsWith('sparse');
      const x = { data: randomValues(rows * 5, -2, 2, 2), shape: [rows, 5] };
      const y = { data: Array.from(randomValues(sparse ? rows : rows * cols, -1, 1, 4), target), shape: sparse ? [rows] : [rows, cols] };
      for (const r of sn.gradCheck(model, x, y)) expect(r.maxRelativeError, r.name).toBeLessThan(1e-3);
      model.dispose();
    });
  }
});

describe('loss names, options and errors', () => {
  const model = () => sn.sequential([sn.layers.dense({ inputShape: [2], units: 3 })], { seed: 1 });
  it('accepts Keras names, short names and objects; unknown names list the valid ones; unknown options are errors', () => {
    const m = model();
    for (const [spec, name] of [['mse', 'meanSquaredError'], ['mae', 'meanAbsoluteError'], ['mean_squared_error', 'meanSquaredError'], ['hinge', 'hinge'], [sn.losses.huber({ delta: 2 }), 'huber'], [sn.losses.huber, 'huber']] as const) {
      m.compile({ optimizer: 'sgd', loss: spec as sn.LossName });
      expect(m.loss).toBe(name);
    }
    expect(m.objective.delta).toBe(1);
    m.compile({ optimizer: 'sgd', loss: sn.losses.huber({ delta: 2 }) });
    expect(m.objective.delta).toBe(2);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'msle' as never })).toThrow(/unknown loss 'msle'; valid: meanSquaredError, meanAbsoluteError, huber, hinge/);
    expect(() => sn.losses.huber({ delt: 2 } as never)).toThrow(/losses.huber: unknown option 'delt'; valid: delta/);
    expect(() => sn.losses.meanSquaredError({ fromLogits: true })).toThrow(/losses.meanSquaredError: unknown option 'fromLogits'; it takes no options/);
    expect(() => sn.losses.huber({ delta: 0 })).toThrow(/delta must be a finite number > 0/);
    expect(() => sn.losses.binaryCrossentropy({ fromLogits: 'yes' as never })).toThrow(/fromLogits must be true or false/);
    m.dispose();
  });

  it('fromLogits on a sigmoid/softmax output, and hinge targets other than -1/1, are errors', async () => {
    const m = sn.sequential([sn.layers.dense({ inputShape: [2], units: 3, activation: 'softmax' })], { seed: 1 });
    expect(() => m.compile({ optimizer: 'sgd', loss: sn.losses.categoricalCrossentropy({ fromLogits: true }) })).toThrow(/fromLogits: true reads logits, but the last layer '.*' ends in softmax/);
    m.dispose();
    const h = model();
    h.compile({ optimizer: 'sgd', loss: 'hinge' });
    await expect(h.fit([[1, 2]], [[1, 0, -1]])).rejects.toThrow(/y row 0, column 1 is 0: hinge targets must be -1 or 1/);
    h.dispose();
  });
});

describe('metrics vs TensorFlow.js', () => {
  const rows = 37;
  const cols = 6;

  /** A simdnet model whose output is its input (so evaluate's metrics read exactly `pred`). */
  function passThrough(loss: unknown, metrics: unknown[], activation: sn.ActivationName = 'linear') {
    const m = sn.sequential([sn.layers.dense({ inputShape: [cols], units: cols, activation, useBias: false, kernelInitializer: 'zeros' })]);
    m.setWeights([Array.from({ length: cols * cols }, (_, i) => (i % (cols + 1) === 0 ? 1 : 0))]);
    m.compile({ optimizer: 'sgd', loss: loss as sn.LossName, metrics: metrics as string[] });
    return m;
  }
  const tfMean = (f: () => tf.Tensor): number => tf.tidy(() => f().mean().dataSync()[0]);

  it('binaryAccuracy, mse, mae, precision, recall (binary targets), accuracy from the loss', () => {
    const pred = randomValues(rows * cols, 0, 1, 11);
    const target = randomValues(rows * cols, 0, 1, 12).map((v) => (v > 0.6 ? 1 : 0));
    const m = passThrough('binaryCrossentropy', ['accuracy', 'binaryAccuracy', 'mse', 'mae', 'precision', 'recall']);
    const r = m.evaluate({ data: pred, shape: [rows, cols] }, { data: target, shape: [rows, cols] }, { batchSize: 8 });
    const yt = () => tf.tensor2d(target, [rows, cols]);
    const yp = () => tf.tensor2d(pred, [rows, cols]);
    const thresholded = () => tf.tensor2d(pred.map((v) => (v > 0.5 ? 1 : 0)), [rows, cols]);
    const want = {
      binaryAccuracy: tfMean(() => tf.metrics.binaryAccuracy(yt(), yp())),
      mse: tfMean(() => tf.metrics.meanSquaredError(yt(), yp())),
      mae: tfMean(() => tf.metrics.meanAbsoluteError(yt(), yp())),
      // tfjs counts only predictions equal to 1; on thresholded predictions it is the 0.5 threshold of Keras.
      precision: tfMean(() => tf.metrics.precision(yt(), thresholded())),
      recall: tfMean(() => tf.metrics.recall(yt(), thresholded())),
    };
    for (const [k, v] of Object.entries(want)) expect(Math.abs(r[k] - v), `${k}: ${r[k]} vs tfjs ${v}`).toBeLessThanOrEqual(1e-6 * Math.max(1, v));
    expect(r.accuracy).toBe(r.binaryAccuracy);
    expect(r.precision).toBeGreaterThan(0);
    m.dispose();
  });

  it('categoricalAccuracy, sparseCategoricalAccuracy, topKCategoricalAccuracy (vs tf.inTopKAsync), on logits of a fused softmax', async () => {
    const logits = randomValues(rows * cols, -2, 2, 21);
    // Ties at the top-k boundary count as in (tf.math.in_top_k).
    logits.set([1, 1, 1, 0, 0, 0], 0);
    const { dense, idx } = oneHotRows(rows, cols, 22);
    const probs = softmaxRows(logits, rows, cols);
    const dm = passThrough('categoricalCrossentropy', ['accuracy', 'categoricalAccuracy', 'topKCategoricalAccuracy', 'mse'], 'softmax');
    expect(dm.objective.fused).toBe(true);
    const r = dm.evaluate({ data: logits, shape: [rows, cols] }, { data: dense, shape: [rows, cols] });
    const yt = tf.tensor2d(dense, [rows, cols]);
    const yp = tf.tensor2d(probs, [rows, cols]);
    const labels = tf.tensor1d(Array.from(idx), 'int32');
    const inTop = async (k: number) => {
      const hits = await tf.inTopKAsync(yp, labels, k);
      const v = (await hits.data()).reduce((a, b) => a + b, 0) / rows;
      hits.dispose();
      return v;
    };
    expect(r.categoricalAccuracy).toBeCloseTo(tfMean(() => tf.metrics.categoricalAccuracy(yt, yp)), 6);
    expect(r.accuracy).toBe(r.categoricalAccuracy);
    expect(r.topKCategoricalAccuracy).toBeCloseTo(await inTop(5), 6);
    // mse reads probabilities: the fused loss leaves logits in the output, so the metric applies softmax.
    expect(r.mse).toBeCloseTo(tfMean(() => tf.metrics.meanSquaredError(yt, yp)), 6);
    const sm = passThrough('sparseCategoricalCrossentropy', ['sparseCategoricalAccuracy', sn.metrics.topKCategoricalAccuracy({ k: 2 })], 'softmax');
    const s = sm.evaluate({ data: logits, shape: [rows, cols] }, { data: idx, shape: [rows] });
    expect(s.sparseCategoricalAccuracy).toBeCloseTo(tfMean(() => tf.metrics.sparseCategoricalAccuracy(labels.reshape([rows, 1]).toFloat(), yp)), 6);
    expect(s.topKCategoricalAccuracy).toBeCloseTo(await inTop(2), 6);
    tf.dispose([yt, yp, labels]);
    dm.dispose();
    sm.dispose();
  });

  it('fit reports each metric and val + Name per epoch in history and logs; evaluate agrees with the last epoch\'s validation', async () => {
    const m = sn.sequential([sn.layers.dense({ inputShape: [4], units: 8, activation: 'relu' }), sn.layers.dense({ units: 1, activation: 'sigmoid' })], { seed: 3 });
    m.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.05 }), loss: 'binaryCrossentropy', metrics: ['accuracy', 'precision', 'recall', 'mse'] });
    const x = randomValues(200 * 4, -1, 1, 31);
    const y = Array.from({ length: 200 }, (_, r) => (x[r * 4] + x[r * 4 + 1] > 0 ? 1 : 0));
    const xs = { data: x, shape: [200, 4] };
    const ys = { data: y, shape: [200, 1] };
    const seen: string[][] = [];
    const before = sn.memory();
    const h = await m.fit(xs, ys, { epochs: 3, batchSize: 16, validationData: [xs, ys], callbacks: { onEpochEnd: (_, logs) => void seen.push(Object.keys(logs)) } });
    expect(sn.memory()).toEqual(before);
    const keys = ['accuracy', 'precision', 'recall', 'mse', 'valLoss', 'valAccuracy', 'valPrecision', 'valRecall', 'valMse'];
    for (const k of keys) expect(h.history[k], k).toHaveLength(3);
    for (const k of keys) expect(seen[2]).toContain(k);
    const r = m.evaluate(xs, ys);
    expect(r.accuracy).toBe(h.history.valAccuracy!.at(-1));
    expect(r.precision).toBe(h.history.valPrecision!.at(-1));
    // (Summed in other chunks: evaluate's batches of 256 rows, validation's of 16.)
    expect(r.mse).toBeCloseTo(h.history.valMse!.at(-1)!, 12);
    expect(r.accuracy).toBeGreaterThan(0.9);
    m.dispose();
  });

  it("tfjs-layers' metric spellings ('acc', 'ce', 'MSE', ...): tfjs's history keys read the same values, which match tfjs's", async () => {
    const n = 48;
    const x = randomValues(n * 3, -1, 1, 41);
    const yDense = new Float32Array(n * 4);
    const yIdx = new Float32Array(n);
    const yBin = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      yIdx[r] = (x[r * 3] > 0 ? 1 : 0) + (x[r * 3 + 1] > 0 ? 2 : 0);
      yDense[r * 4 + yIdx[r]] = 1;
      yBin[r] = x[r * 3 + 2] > 0 ? 1 : 0;
    }
    const cases: [string, number, Float32Array, string, string[]][] = [
      ['categoricalCrossentropy', 4, yDense, 'softmax', ['acc', 'ce', 'MSE', 'mae']],
      ['sparseCategoricalCrossentropy', 4, yIdx, 'softmax', ['accuracy', 'crossentropy']],
      ['binaryCrossentropy', 1, yBin, 'sigmoid', ['acc', 'ce', 'MAE', 'binaryAccuracy']],
      ['meanSquaredError', 4, yDense, 'softmax', ['acc', 'ce', 'categoricalCrossentropy']],
      ['meanSquaredError', 4, yDense, 'linear', ['mape', 'MAPE', 'cosine', 'MSE']],
    ];
    for (const [loss, units, y, activation, metrics] of cases) {
      // The same weights in both: tfjs's model is built, then simdnet's takes its weights.
      const tm = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units, activation: activation as 'softmax' })] });
      tm.compile({ optimizer: tf.train.sgd(1e-30), loss, metrics });
      const yShape = loss === 'sparseCategoricalCrossentropy' ? [n, 1] : [n, units];
      const xt = tf.tensor2d(x, [n, 3]);
      const yt = tf.tensor2d(y, yShape);
      const th = await tm.fit(xt, yt, { epochs: 1, batchSize: n, validationData: [xt, yt] });
      const sm = sn.sequential([sn.layers.dense({ inputShape: [3], units, activation: activation as sn.ActivationName })]);
      sm.setWeights(tm.getWeights().map((w) => Array.from(w.dataSync())));
      sm.compile({ optimizer: sn.optimizers.sgd({ learningRate: 1e-30 }), loss: loss as sn.LossName, metrics });
      const h = await sm.fit({ data: x, shape: [n, 3] }, { data: y, shape: loss === 'sparseCategoricalCrossentropy' ? [n] : [n, units] }, { epochs: 1, batchSize: n, validationData: [{ data: x, shape: [n, 3] }, { data: y, shape: loss === 'sparseCategoricalCrossentropy' ? [n] : [n, units] }] });
      const tfKeys = Object.keys(th.history).sort();
      for (const key of tfKeys) {
        const got = (h.history as Record<string, number[] | undefined>)[key];
        expect(got, `${loss} ${metrics.join(',')}: tfjs's history key ${key}`).toBeDefined();
        const want = th.history[key][0] as number;
        expect(Math.abs(got![0] - want), `${loss}: ${key} simdnet ${got![0]} tfjs ${want}`).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(want)));
      }
      tf.dispose([xt, yt]);
      tm.dispose();
      sm.dispose();
    }
  });

  it('meanAbsolutePercentageError and cosineProximity against tf.metrics, rows and positions', () => {
    for (const shape of [[rows, cols], [5, 3, 4]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const pred = randomValues(n, -2, 2, 51);
      const target = randomValues(n, -2, 2, 52);
      target[3] = 0; // MAPE's eps floor
      const m = sn.sequential([sn.layers.dense({ inputShape: shape.slice(1), units: shape[shape.length - 1], activation: 'linear', useBias: false })]);
      m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mape', 'cosine'] });
      // An identity map over the last axis, so the metrics read `pred` itself.
      const k = shape[shape.length - 1];
      m.setWeights([Array.from({ length: k * k }, (_, i) => (i % (k + 1) === 0 ? 1 : 0))]);
      const r = m.evaluate({ data: pred, shape }, { data: target, shape }, { batchSize: 2 });
      const want = tf.tidy(() => [
        tf.metrics.meanAbsolutePercentageError(tf.tensor(target, shape), tf.tensor(pred, shape)).mean().dataSync()[0],
        tf.metrics.cosineProximity(tf.tensor(target, shape), tf.tensor(pred, shape)).mean().dataSync()[0],
      ]);
      expect(rel(r.mape, want[0]), `mape ${r.mape} vs tfjs ${want[0]}`).toBeLessThanOrEqual(1e-6);
      expect(rel(r.cosine, want[1]), `cosine ${r.cosine} vs tfjs ${want[1]}`).toBeLessThanOrEqual(1e-6);
      m.dispose();
    }
  });

  it("'acc' and 'accuracy' are one metric (reported as accuracy, read as acc / val_acc); monitors take tfjs's names", async () => {
    const m = sn.sequential([sn.layers.dense({ inputShape: [2], units: 3, activation: 'softmax' })], { seed: 2 });
    expect(() => m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['acc', 'accuracy'] })).toThrow(/metric 'accuracy' is listed twice/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['auc'] })).toThrow(/unknown metric 'auc'; valid: accuracy, acc, crossentropy, ce/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['sparseCategoricalCrossentropy'] })).toThrow(/needs class-index targets/);
    m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['acc', 'ce', 'MSE'] });
    const x = [[0, 1], [1, 0], [1, 1], [0, 0]];
    const y = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]];
    const seen: number[] = [];
    const h = await m.fit(x, y, {
      epochs: 3, validationData: [x, y],
      callbacks: [sn.callbacks.earlyStopping({ monitor: 'val_MSE', patience: 5 }), { onEpochEnd: (_e, logs) => void seen.push(logs.val_acc!, logs.val_ce!, logs.val_MSE!) }],
    });
    expect(Object.keys(h.history).sort()).toEqual(['MSE', 'accuracy', 'crossentropy', 'learningRate', 'loss', 'samplesPerSecond', 'valAccuracy', 'valCrossentropy', 'valLoss', 'valMSE']);
    expect(h.history.acc).toBe(h.history.accuracy);
    expect(h.history.val_acc).toBe(h.history.valAccuracy);
    expect(h.history.ce).toBe(h.history.crossentropy);
    expect(h.history.val_ce).toBe(h.history.valCrossentropy);
    expect(h.history.val_MSE).toBe(h.history.valMSE);
    expect(seen).toEqual(h.history.valAccuracy!.flatMap((a, i) => [a, h.history.valCrossentropy![i], h.history.valMSE![i]]));
    // The cross-entropy metric of the loss's kind is the loss itself (no penalties here).
    expect(h.history.valCrossentropy![2]).toBeCloseTo(h.history.valLoss![2], 6);
    // evaluate and evaluateDataset answer to acc and ce as well (non-enumerable, as in the history).
    const r = m.evaluate(x, y);
    expect(Object.keys(r)).toEqual(['loss', 'accuracy', 'crossentropy', 'MSE']);
    expect([r.acc, r.ce]).toEqual([r.accuracy, r.crossentropy]);
    const d = await m.evaluateDataset([{ xs: x, ys: y }]);
    expect([d.acc, d.ce]).toEqual([r.accuracy, r.crossentropy]);
    m.dispose();
  });

  it('metric errors: unknown names, targets that do not suit the loss, duplicates, unknown options', () => {
    const m = sn.sequential([sn.layers.dense({ inputShape: [2], units: 3, activation: 'softmax' })], { seed: 1 });
    expect(() => m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['categoricalAccuracy'] })).toThrow(/categoricalAccuracy needs a target per output, but sparseCategoricalCrossentropy takes class indices/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['sparseCategoricalAccuracy'] })).toThrow(/needs class-index targets/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['mse', 'mse'] })).toThrow(/metric 'mse' is listed twice/);
    expect(() => sn.metrics.topKCategoricalAccuracy({ k: 0 })).toThrow(/k must be an integer >= 1/);
    expect(() => sn.metrics.topKCategoricalAccuracy({ kk: 2 } as never)).toThrow(/unknown option 'kk'; valid: k/);
    m.dispose();
  });
});

describe('saving the loss and metrics', () => {
  it('round-trips huber({ delta }), fromLogits and top-k metrics; a version 2 file\'s meanSquaredError loads as halfMeanSquaredError and trains the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-losses-'));
    const m = sn.sequential([sn.layers.dense({ inputShape: [3], units: 4 })], { seed: 4 });
    m.compile({ optimizer: 'sgd', loss: sn.losses.categoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy', sn.metrics.topKCategoricalAccuracy({ k: 2 })] });
    await sn.saveModel(m, join(dir, 'a'));
    const a = await sn.loadModel(join(dir, 'a'));
    expect(a.trainingConfig).toEqual(m.trainingConfig);
    expect(a.trainingConfig!.lossConfig).toEqual({ fromLogits: true });
    expect(a.objective.metrics.map((x) => [x.name, x.k])).toEqual([['accuracy', 5], ['topKCategoricalAccuracy', 2]]);
    m.compile({ optimizer: 'sgd', loss: sn.losses.huber({ delta: 0.25 }) });
    await sn.saveModel(m, join(dir, 'b'));
    expect((await sn.loadModel(join(dir, 'b'))).objective.delta).toBe(0.25);

    // A model saved before format 3 with the old (half) meanSquaredError, 4 outputs.
    m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.1 }), loss: 'halfMeanSquaredError' });
    await sn.saveModel(m, join(dir, 'old'));
    const file = join(dir, 'old', 'model.json');
    const json = JSON.parse(readFileSync(file, 'utf8'));
    json.formatVersion = 2;
    json.training.loss = 'meanSquaredError';
    writeFileSync(file, JSON.stringify(json));
    const old = await sn.loadModel(join(dir, 'old'));
    expect(old.loss).toBe('halfMeanSquaredError');
    const x = { data: randomValues(12, -1, 1, 5), shape: [4, 3] };
    const y = { data: randomValues(16, -1, 1, 6), shape: [4, 4] };
    const h1 = await m.fit(x, y, { epochs: 3, shuffle: false });
    const h2 = await old.fit(x, y, { epochs: 3, shuffle: false });
    expect(h2.history.loss).toEqual(h1.history.loss);
    expect(old.getWeights()).toEqual(m.getWeights());
    for (const model of [m, a, old]) model.dispose();
  });
});

describe('metric kernels vs float64 references on awkward shapes', () => {
  const SHAPES_K: [number, number][] = [[1, 1], [1, 7], [3, 4], [5, 17], [64, 10], [13, 3]];
  /** Classes scoring strictly higher than the true one < k (ties count as in); NaN score: a miss. */
  function inTopK(pred: ArrayLike<number>, labels: number[], rows: number, cols: number, k: number): number {
    let hits = 0;
    for (let r = 0; r < rows; r++) {
      const v = pred[r * cols + labels[r]];
      if (Number.isNaN(v)) continue;
      let higher = 0;
      for (let j = 0; j < cols; j++) if (pred[r * cols + j] > v) higher++;
      if (higher < k) hits++;
    }
    return hits;
  }
  it('countInTopK (dense and sparse targets), countAbove, countTruePositives, absolutePercentageErrorSum, cosineProximitySum', async () => {
    const { kernels } = await import('../dist/backend/wasm.js');
    const { allocate, heapI32, release } = await import('../dist/backend/allocator.js');
    for (const [rows, cols] of SHAPES_K) {
      const pred = randomValues(rows * cols, -1, 1, rows * 7 + cols).map((v) => Math.round(v * 4) / 4); // ties
      if (rows * cols > 3) pred[2] = NaN;
      const { dense, idx } = oneHotRows(rows, cols, rows + cols);
      const labels = Array.from(idx);
      const p = sn.tensor(pred, [rows, cols]);
      const d = sn.tensor(dense, [rows, cols]);
      const li = allocate(rows * 4);
      heapI32().set(labels, li >>> 2);
      for (const k of [1, 2, 5]) {
        const want = inTopK(pred, labels, rows, cols, k);
        expect(kernels.countInTopK(p.ptr, d.ptr, rows, cols, k, false), `${rows}x${cols} k ${k}`).toBe(want);
        expect(kernels.countInTopK(p.ptr, li, rows, cols, k, true)).toBe(want);
      }
      const target = randomValues(rows * cols, 0, 1, 3);
      const t = sn.tensor(target, [rows, cols]);
      for (const threshold of [0, 0.25]) {
        expect(kernels.countAbove(p.ptr, rows * cols, threshold)).toBe(Array.from(pred).filter((v) => v > threshold).length);
        expect(kernels.countTruePositives(p.ptr, t.ptr, rows * cols, threshold)).toBe(Array.from(pred).filter((v, i) => v > threshold && target[i] > 0.5).length);
      }
      // absolutePercentageErrorSum and cosineProximitySum against float64 sums.
      const signed = randomValues(rows * cols, -2, 2, rows + 5 * cols);
      const s2 = sn.tensor(signed, [rows, cols]);
      const q = sn.tensor(target, [rows, cols]);
      let ape = 0;
      for (let i = 0; i < rows * cols; i++) ape += Math.abs(signed[i] - target[i]) / Math.max(Math.abs(signed[i]), 1e-7);
      expect(rel(kernels.absolutePercentageErrorSum(q.ptr, s2.ptr, rows * cols, 1e-7), ape)).toBeLessThan(1e-6);
      let cos = 0;
      for (let r = 0; r < rows; r++) {
        let pt = 0;
        let pp = 0;
        let tt = 0;
        for (let j = 0; j < cols; j++) {
          pt += target[r * cols + j] * signed[r * cols + j];
          pp += target[r * cols + j] ** 2;
          tt += signed[r * cols + j] ** 2;
        }
        cos -= pt / (Math.sqrt(Math.max(pp, 1e-7)) * Math.sqrt(Math.max(tt, 1e-7)));
      }
      expect(Math.abs(kernels.cosineProximitySum(q.ptr, s2.ptr, rows, cols, 1e-7) - cos)).toBeLessThan(1e-9 * Math.max(1, rows));
      release(li);
      for (const x of [p, d, t, s2, q]) x.dispose();
    }
  });
});
