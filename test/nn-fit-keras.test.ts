// fit as Keras and TensorFlow.js users write it: strict options (unknown keys are errors naming them, tfjs
// spellings accepted), validationSplit, classWeight / sampleWeight (checked against the real @tensorflow/tfjs),
// verbose 0 / 1 / 2, the built-in callbacks of sn.callbacks (EarlyStopping checked against tfjs's on the same
// logs, the rest against Keras's documented rules) and tfjs's history and logs names.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as sn from '../dist/index.js';
import { kernels } from '../dist/backend/wasm.js';
import { allocate, heapF32, release } from '../dist/backend/allocator.js';
import { scaleRowsByWeights } from './reference/sample-weights.js';

/** Deterministic pseudo-random values in [-1, 1). */
function values(count: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2147483648 - 1;
  });
}

const rowsOf = (flat: number[], cols: number): number[][] => Array.from({ length: flat.length / cols }, (_, r) => flat.slice(r * cols, (r + 1) * cols));

/** 40 rows of 3 features, a binary label and a 3-class label. */
const X = rowsOf(values(120, 7), 3);
const Y_BINARY = X.map(([a, b, c]) => (a + 0.5 * b - c > 0 ? 1 : 0));
const Y_CLASS = X.map(([a, b]) => (a > 0.3 ? 2 : b > 0 ? 1 : 0));

function classifier(seed = 1, lr = 0.1, metrics = ['accuracy']): sn.Sequential {
  const m = sn.sequential([sn.layers.dense({ units: 5, activation: 'tanh', inputShape: [3] }), sn.layers.dense({ units: 3, activation: 'softmax' })], { seed });
  m.compile({ optimizer: sn.optimizers.sgd({ learningRate: lr }), loss: 'sparseCategoricalCrossentropy', metrics });
  return m;
}

const same = (a: Float32Array[], b: Float32Array[]): boolean => a.length === b.length && a.every((w, i) => w.length === b[i].length && w.every((v, j) => Object.is(v, b[i][j])));

describe('options are strict: an unknown key is an error naming it and the valid ones', () => {
  const bad = { bogusOption: 1 };
  const tensor = sn.tensor([[1, 2], [3, 4]]);
  const compiled = (): sn.Sequential => {
    const m = sn.sequential([sn.layers.dense({ units: 1, inputShape: [2] })]);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    return m;
  };
  const calls: [string, () => unknown][] = [
    ['fit', () => compiled().fit([[1, 2]], [[1]], bad as sn.FitOptions)],
    ['evaluate', () => compiled().evaluate([[1, 2]], [[1]], bad as never)],
    ['predict', () => compiled().predict([[1, 2]], bad as never)],
    ['compile', () => sn.sequential([sn.layers.dense({ units: 1, inputShape: [2] })]).compile({ optimizer: 'sgd', loss: 'meanSquaredError', ...bad } as never)],
    ['summary', () => compiled().summary({ print: false, ...bad } as never)],
    ['sequential', () => sn.sequential([], bad as never)],
    ['layers.dense', () => sn.layers.dense({ units: 1, ...bad } as never)],
    ['layers.dropout', () => sn.layers.dropout({ rate: 0.5, ...bad } as never)],
    ['layers.batchNormalization', () => sn.layers.batchNormalization(bad as never)],
    ['layers.reshape', () => sn.layers.reshape({ targetShape: [2], ...bad } as never)],
    ['layers.flatten', () => sn.layers.flatten(bad as never)],
    ['layers.relu', () => sn.layers.relu(bad as never)],
    ['layer.forward', () => { const m = compiled(); return m.layers[0].forward(tensor, bad as never); }],
    ['optimizers.sgd', () => sn.optimizers.sgd({ learningRate: 0.1, ...bad } as never)],
    ['optimizers.adam', () => sn.optimizers.adam(bad as never)],
    ['initializers.randomNormal', () => sn.initializers.randomNormal(bad as never)],
    ['initializers.glorotUniform', () => sn.initializers.glorotUniform(bad as never)],
    ['initializers.zeros', () => sn.initializers.zeros(bad as never)],
    ['regularizers.l2', () => sn.regularizers.l2(bad as never)],
    ['callbacks.earlyStopping', () => sn.callbacks.earlyStopping(bad as never)],
    ['callbacks.modelCheckpoint', () => sn.callbacks.modelCheckpoint({ path: '/tmp/x', ...bad } as never)],
    ['callbacks.reduceLROnPlateau', () => sn.callbacks.reduceLROnPlateau(bad as never)],
    ['callbacks.learningRateScheduler', () => sn.callbacks.learningRateScheduler((_e, lr) => lr, bad as never)],
    ['datasets.digits', () => sn.datasets.digits(bad as never)],
    ['datasets.idxFolder (before reading anything)', () => sn.datasets.idxFolder('/nonexistent-folder', bad as never)],
    ['saveModel', () => sn.saveModel(compiled(), join(tmpdir(), 'never-written'), bad as never)],
    ['gradCheck', () => sn.gradCheck(compiled(), [[1, 2]], [[1]], bad as never)],
    ['matmul', () => sn.matmul(tensor, tensor, bad as never)],
    ['relu', () => sn.relu(tensor, bad as never)],
    ['leakyRelu', () => sn.leakyRelu(tensor, bad as never)],
    ['softmax', () => sn.softmax(tensor, bad as never)],
    ['gather', () => sn.gather(tensor, [0], bad as never)],
  ];
  for (const [name, call] of calls) {
    it(name, async () => {
      await expect((async () => call())()).rejects.toThrow(/unknown option 'bogusOption'/);
    });
  }

  it("TensorFlow.js's per-initializer seed is refused with the reason (weights come from the model's seed)", () => {
    expect(() => sn.initializers.glorotUniform({ seed: 1 } as never)).toThrow(/'seed'.*model's seed/);
  });

  it('a callbacks object with a key that is not a hook, or a class whose hook-like method is misspelt, is refused before training', async () => {
    const m = classifier();
    const before = m.getWeights();
    await expect(m.fit(X, Y_CLASS, { callbacks: [{ onEpochEnds: () => undefined } as never] })).rejects.toThrow(/callbacks\[0\]: unknown callback 'onEpochEnds'/);
    class Logger extends sn.Callback {
      count = 0;
      onEpochEnds(): void {
        this.count++;
      }
    }
    await expect(m.fit(X, Y_CLASS, { callbacks: new Logger() as never })).rejects.toThrow(/unknown callback 'onEpochEnds'/);
    expect(same(m.getWeights(), before)).toBe(true);
  });

  it("evaluate and predict take tfjs's verbose: 0 (what they do) and refuse other levels", () => {
    const m = compiled();
    expect(() => m.evaluate([[1, 2]], [[1]], { verbose: 0 })).not.toThrow();
    m.predict([[1, 2]], { verbose: 0 }).dispose();
    expect(() => m.predict([[1, 2]], { verbose: 1 } as never)).toThrow(/verbose must be 0/);
  });

  it('bad values of the new fit options name the option', async () => {
    const m = classifier();
    await expect(m.fit(X, Y_CLASS, { validationSplit: 1 })).rejects.toThrow(/validationSplit must be a number > 0 and < 1/);
    await expect(m.fit(X, Y_CLASS, { validationSplit: 0.2, validationData: [X, Y_CLASS] })).rejects.toThrow(/validationData or validationSplit, not both/);
    await expect(m.fit(X, Y_CLASS, { verbose: 3 as never })).rejects.toThrow(/verbose must be 0, 1 or 2/);
    await expect(m.fit(X.slice(0, 2), Y_CLASS.slice(0, 2), { validationSplit: 0.9 })).rejects.toThrow(/validationSplit 0.9 of 2 rows leaves 0 rows to train on and 2 to validate on/);
  });
});

describe('validationSplit', () => {
  it('validates on the last rows before shuffling, as Keras: the same run as validationData = those rows', async () => {
    // 40 rows, split 0.25: floor(40 * 0.75) = 30 train rows (tfjs and Keras), rows 30-39 validate.
    const a = classifier(3);
    const b = classifier(3);
    const sizes: number[] = [];
    const ha = await a.fit(X, Y_CLASS, { epochs: 3, batchSize: 8, seed: 5, validationSplit: 0.25, callbacks: { onBatchEnd: (_b, logs) => void sizes.push(logs.size) } });
    const hb = await b.fit(X.slice(0, 30), Y_CLASS.slice(0, 30), { epochs: 3, batchSize: 8, seed: 5, validationData: [X.slice(30), Y_CLASS.slice(30)] });
    expect(sizes.slice(0, 4)).toEqual([8, 8, 8, 6]);
    expect(same(a.getWeights(), b.getWeights())).toBe(true);
    expect(ha.history.valLoss).toEqual(hb.history.valLoss);
    expect(ha.history.valAccuracy).toEqual(hb.history.valAccuracy);
    expect(ha.history.loss).toEqual(hb.history.loss);
  });

  it('float targets (one-hot) in Tensors split the same way', async () => {
    const oneHot = Y_CLASS.map((c) => [0, 1, 2].map((j) => (j === c ? 1 : 0)));
    const make = (): sn.Sequential => {
      const m = sn.sequential([sn.layers.dense({ units: 3, activation: 'softmax', inputShape: [3] })], { seed: 4 });
      m.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.05 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    const x = sn.tensor(X);
    const y = sn.tensor(oneHot);
    const a = make();
    const b = make();
    const ha = await a.fit(x, y, { epochs: 2, batchSize: 5, seed: 2, validationSplit: 0.3 });
    const hb = await b.fit(X.slice(0, 28), oneHot.slice(0, 28), { epochs: 2, batchSize: 5, seed: 2, validationData: [X.slice(28), oneHot.slice(28)] });
    expect(same(a.getWeights(), b.getWeights())).toBe(true);
    expect(ha.history.valLoss).toEqual(hb.history.valLoss);
    expect(ha.history.valAccuracy).toEqual(hb.history.valAccuracy);
    x.dispose();
    y.dispose();
  });

  it('tensors are split in place: no more wasm memory than validating on the (uncopied) tensors themselves', async () => {
    const x = sn.tensor(X);
    const y = sn.tensor(Y_CLASS, [40, 1]);
    const peak = async (options: sn.FitOptions): Promise<number> => {
      let bytes = 0;
      const m = classifier(2);
      await m.fit(x, y, { ...options, epochs: 2, batchSize: 8, callbacks: { onBatchEnd: () => void (bytes = Math.max(bytes, sn.memory().bytes)) } });
      m.dispose();
      return bytes;
    };
    // A copy of the validation half would add 20 rows x (3 + 1) floats = 320 bytes.
    const onTensors = await peak({ validationData: [x, y] });
    expect(await peak({ validationSplit: 0.5 })).toBeLessThanOrEqual(onTensors);
    x.dispose();
    y.dispose();
  });
});

describe('classWeight and sampleWeight', () => {
  it('the scaleRowsByWeights kernel matches its float64 reference on awkward shapes (1e-6 relative)', () => {
    for (const [rows, cols] of [[1, 1], [7, 13], [3, 4], [5, 1], [2, 9]]) {
      const x = values(rows * cols, rows * 31 + cols);
      const w = values(rows, cols).map((v) => v + 1.5);
      const xp = allocate(rows * cols * 4);
      const wp = allocate(rows * 4);
      heapF32().set(x, xp >>> 2);
      heapF32().set(w, wp >>> 2);
      kernels.scaleRowsByWeights(xp, rows, cols, wp, 0.25);
      const got = heapF32().slice(xp >>> 2, (xp >>> 2) + rows * cols);
      const want = scaleRowsByWeights(x.map(Math.fround), rows, cols, w.map(Math.fround), 0.25);
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(want[i])));
      release(xp);
      release(wp);
    }
  });

  it('classWeight trains the weights TensorFlow.js trains (binary cross-entropy, SGD, 3 epochs; within 1e-5)', async () => {
    const init = { kernel: values(15, 11).map((v) => v * 0.5), bias: values(5, 12).map((v) => v * 0.1), kernel2: values(5, 13).map((v) => v * 0.5), bias2: [0.05] };
    const m = sn.sequential([sn.layers.dense({ units: 5, activation: 'tanh', inputShape: [3] }), sn.layers.dense({ units: 1, activation: 'sigmoid' })], { seed: 1 });
    m.setWeights([init.kernel, init.bias, init.kernel2, init.bias2]);
    m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.5 }), loss: 'binaryCrossentropy' });
    const classWeight = { 0: 1, 1: 3.5 };
    const h = await m.fit(X, Y_BINARY.map((v) => [v]), { epochs: 3, batchSize: 8, shuffle: false, classWeight });

    const t = tf.sequential({ layers: [tf.layers.dense({ units: 5, activation: 'tanh', inputShape: [3] }), tf.layers.dense({ units: 1, activation: 'sigmoid' })] });
    t.setWeights([tf.tensor(init.kernel, [3, 5]), tf.tensor(init.bias), tf.tensor(init.kernel2, [5, 1]), tf.tensor(init.bias2)]);
    t.compile({ optimizer: tf.train.sgd(0.5), loss: 'binaryCrossentropy' });
    const th = await t.fit(tf.tensor(X), tf.tensor(Y_BINARY, [40, 1]), { epochs: 3, batchSize: 8, shuffle: false, classWeight, verbose: 0 });
    const tw = t.getWeights().map((w) => w.dataSync());
    m.getWeights().forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - tw[i][j])).toBeLessThanOrEqual(1e-5)));
    // The reported loss is the weighted one, as tfjs's.
    h.history.loss.forEach((l, i) => expect(Math.abs(l - (th.history.loss[i] as number))).toBeLessThanOrEqual(1e-5));
  });

  it('sampleWeight = each row\'s class weight trains bit for bit as classWeight, shuffled batches included; both multiply', async () => {
    const classWeight = { 0: 0.5, 1: 2, 2: 1.25 };
    const fit = async (options: sn.FitOptions): Promise<Float32Array[]> => {
      const m = classifier(4);
      await m.fit(X, Y_CLASS, { epochs: 3, batchSize: 7, seed: 9, ...options });
      return m.getWeights();
    };
    const byClass = await fit({ classWeight });
    const bySample = await fit({ sampleWeight: Y_CLASS.map((c) => classWeight[c as 0 | 1 | 2]) });
    expect(same(byClass, bySample)).toBe(true);
    const both = await fit({ classWeight, sampleWeight: Y_CLASS.map(() => 1) });
    expect(same(byClass, both)).toBe(true);
    expect(same(byClass, await fit({}))).toBe(false);
  });

  it('weights scale the gradient per row: all weights 2 at learning rate 0.05 train as no weights at 0.1 (within 1e-6)', async () => {
    const a = classifier(6, 0.05);
    const b = classifier(6, 0.1);
    await a.fit(X, Y_CLASS, { epochs: 2, batchSize: 16, shuffle: false, sampleWeight: new Float32Array(40).fill(2) });
    await b.fit(X, Y_CLASS, { epochs: 2, batchSize: 16, shuffle: false });
    const wb = b.getWeights();
    a.getWeights().forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - wb[i][j])).toBeLessThanOrEqual(1e-6)));
  });

  it('a zero weight drops a row: the same weights as training without it (full batch, sum reduction)', async () => {
    const make = (): sn.Sequential => {
      const m = sn.sequential([sn.layers.dense({ units: 3, activation: 'softmax', inputShape: [3] })], { seed: 8 });
      m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy', reduction: 'sum' });
      return m;
    };
    const a = make();
    const b = make();
    await a.fit(X, Y_CLASS, { epochs: 2, batchSize: 40, sampleWeight: X.map((_, r) => (r === 5 ? 0 : 1)) });
    await b.fit([...X.slice(0, 5), ...X.slice(6)], [...Y_CLASS.slice(0, 5), ...Y_CLASS.slice(6)], { epochs: 2, batchSize: 39 });
    const wb = b.getWeights();
    a.getWeights().forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - wb[i][j])).toBeLessThanOrEqual(1e-6)));
  });

  it('allocates nothing per batch with weights (wasm memory constant from batch to batch)', async () => {
    const seen = new Set<number>();
    await classifier().fit(X, Y_CLASS, { epochs: 2, batchSize: 6, classWeight: { 0: 1, 1: 2, 2: 3 }, callbacks: { onBatchEnd: () => void seen.add(sn.memory().bytes) } });
    expect(seen.size).toBe(1);
  });

  it('bad weights are errors naming the row or class, raised before any update', async () => {
    const m = classifier();
    const before = m.getWeights();
    await expect(m.fit(X, Y_CLASS, { classWeight: { 0: 1, 1: 2 } })).rejects.toThrow(/classWeight has no weight for class 2 \(y row \d+\)/);
    await expect(m.fit(X, Y_CLASS, { classWeight: { 0: 1, 1: 2, 7: 1 } })).rejects.toThrow(/classWeight key '7' is not a class index/);
    await expect(m.fit(X, Y_CLASS, { sampleWeight: X.map((_, r) => (r === 3 ? -1 : 1)) })).rejects.toThrow(/sampleWeight row 3 is -1/);
    await expect(m.fit(X, Y_CLASS, { sampleWeight: [1, 2] })).rejects.toThrow(/sampleWeight has 2 values but x has 40 rows/);
    expect(same(m.getWeights(), before)).toBe(true);
  });
});

describe('verbose', () => {
  async function output(verbose: 0 | 1 | 2, tty: boolean): Promise<string> {
    const out = process.stdout;
    const write = out.write;
    const wasTTY = Object.getOwnPropertyDescriptor(out, 'isTTY');
    let text = '';
    Object.defineProperty(out, 'isTTY', { value: tty, configurable: true });
    out.write = ((chunk: string) => {
      text += chunk;
      return true;
    }) as typeof out.write;
    try {
      await classifier().fit(X, Y_CLASS, { epochs: 3, batchSize: 4, verbose, validationSplit: 0.2 });
    } finally {
      out.write = write;
      if (wasTTY === undefined) delete (out as { isTTY?: boolean }).isTTY;
      else Object.defineProperty(out, 'isTTY', wasTTY);
    }
    return text;
  }

  it('0 (the default) prints nothing', async () => {
    expect(await output(0, true)).toBe('');
  });

  it('2 prints one line per epoch with the loss, accuracy and validation figures', async () => {
    const lines = (await output(2, true)).split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(3);
    lines.forEach((l, i) => expect(l).toMatch(new RegExp(`^epoch ${i + 1}/3  loss \\d\\.\\d{4}  acc [\\d.]+%  val_loss \\d\\.\\d{4}  val_acc [\\d.]+%`)));
    expect(lines.join('')).not.toContain('\r');
  });

  it('1 draws a progress bar on a terminal (redrawn in place, replaced by the epoch line) and prints lines elsewhere', async () => {
    const tty = await output(1, true);
    expect(tty).toContain('\r\x1b[2K');
    expect(tty).toMatch(/\[[=> ]+\]/);
    expect(tty.split('\n').filter((l) => l.includes('val_loss'))).toHaveLength(3);
    const piped = await output(1, false);
    expect(piped).not.toContain('\r');
    expect(piped.split('\n').filter((l) => l !== '')).toHaveLength(3);
  });
});

describe('history and logs carry TensorFlow.js\'s names as aliases of the same arrays', () => {
  it('val_loss, acc / accuracy, val_acc / val_accuracy; own keys stay simdnet\'s', async () => {
    const seen: [number | undefined, number | undefined, number | undefined, number | undefined][] = [];
    const h = await classifier().fit(X, Y_CLASS, {
      epochs: 2, validationSplit: 0.25, callbacks: { onEpochEnd: (_e, logs) => void seen.push([logs.val_loss, logs.acc, logs.val_acc, logs.lr]) },
    });
    expect(Object.keys(h.history).sort()).toEqual(['accuracy', 'learningRate', 'loss', 'samplesPerSecond', 'valAccuracy', 'valLoss']);
    expect(h.history.val_loss).toBe(h.history.valLoss);
    expect(h.history.acc).toBe(h.history.accuracy);
    expect(h.history.val_acc).toBe(h.history.valAccuracy);
    expect(h.history.val_accuracy).toBe(h.history.valAccuracy);
    expect(seen).toEqual(h.history.valLoss!.map((v, i) => [v, h.history.accuracy![i], h.history.valAccuracy![i], h.history.learningRate[i]]));
    expect(JSON.parse(JSON.stringify(h.history)).val_loss).toBeUndefined();
  });
});

/** The figures EarlyStopping sees, fed to simdnet's and tfjs's callbacks alike. */
async function stopsAt(sequence: number[], options: { patience?: number; minDelta?: number; mode?: 'auto' | 'min' | 'max'; monitor?: string }): Promise<{ sn: number; tfjs: number }> {
  const m = classifier();
  const ours = sn.callbacks.earlyStopping(options);
  ours.attach({ model: m, epochs: sequence.length, logKeys: ['loss', 'valLoss', 'valAccuracy'] });
  const theirs = tf.callbacks.earlyStopping({ ...options, monitor: options.monitor === 'valAccuracy' ? 'val_acc' : 'val_loss' });
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  model.stopTraining = false;
  theirs.setModel(model);
  ours.onTrainBegin();
  await theirs.onTrainBegin();
  let snStop = -1;
  let tfStop = -1;
  for (let epoch = 0; epoch < sequence.length; epoch++) {
    const v = sequence[epoch];
    if (snStop < 0) {
      ours.onEpochEnd(epoch, { loss: 1, valLoss: v, valAccuracy: v, samplesPerSecond: 1, learningRate: 0.1 });
      if (m.stopTraining) snStop = epoch;
    }
    if (tfStop < 0) {
      await theirs.onEpochEnd(epoch, { val_loss: v, val_acc: v });
      if (model.stopTraining) tfStop = epoch;
    }
  }
  return { sn: snStop, tfjs: tfStop };
}

describe('sn.callbacks.earlyStopping', () => {
  it('stops where tfjs.callbacks.earlyStopping stops on the same figures (patience, minDelta, mode)', async () => {
    const cases: [number[], Parameters<typeof stopsAt>[1]][] = [
      [[1, 0.9, 0.95, 0.96, 0.97, 0.5], { patience: 3 }],
      [[1, 0.9, 0.95, 0.8, 0.85, 0.86, 0.87], { patience: 2 }],
      [[1, 0.99, 0.98, 0.97, 0.96], { patience: 1, minDelta: 0.02 }],
      [[1, 1, 1, 1], { patience: 0 }],
      [[0.5, 0.6, 0.55, 0.58, 0.59, 0.7], { patience: 2, monitor: 'valAccuracy' }],
      [[0.5, 0.6, 0.55, 0.58, 0.59, 0.7], { patience: 2, monitor: 'valAccuracy', mode: 'min' }],
      [[3, 2, 1, 0.5, 0.25], { patience: 1 }],
    ];
    for (const [sequence, options] of cases) {
      const r = await stopsAt(sequence, options);
      expect(r.sn, JSON.stringify([sequence, options])).toBe(r.tfjs);
    }
  });

  it("baseline as Keras: improvements that do not beat it leave the patience running", async () => {
    const m = classifier();
    const es = sn.callbacks.earlyStopping({ monitor: 'loss', patience: 2, baseline: 0.5 });
    es.attach({ model: m, epochs: 5, logKeys: ['loss'] });
    es.onTrainBegin();
    const logs = (loss: number): sn.EpochLogs => ({ loss, samplesPerSecond: 1, learningRate: 0.1 });
    // Each epoch counts towards the patience; an improvement resets it only when it also beats the baseline,
    // and training stops at an epoch that does not improve.
    es.onEpochEnd(0, logs(0.9));
    es.onEpochEnd(1, logs(0.8));
    expect(m.stopTraining).toBe(false);
    es.onEpochEnd(2, logs(0.85));
    expect(m.stopTraining).toBe(true);
    expect(es.stoppedEpoch).toBe(2);
    // Without a baseline the improvement at epoch 1 resets the count: epoch 2 is the first without one.
    const m2 = classifier();
    const plain = sn.callbacks.earlyStopping({ monitor: 'loss', patience: 2 });
    plain.attach({ model: m2, epochs: 5, logKeys: ['loss'] });
    plain.onTrainBegin();
    [0.9, 0.8, 0.85].forEach((loss, epoch) => plain.onEpochEnd(epoch, logs(loss)));
    expect(m2.stopTraining).toBe(false);
  });

  it("monitor takes tfjs's names and simdnet's; one this fit lacks is an error before any update", async () => {
    for (const [name, key] of [['val_loss', 'valLoss'], ['val_acc', 'valAccuracy'], ['val_accuracy', 'valAccuracy'], ['acc', 'accuracy'], ['loss', 'loss'], ['valLoss', 'valLoss']]) {
      expect(sn.callbacks.earlyStopping({ monitor: name }).monitor.key).toBe(key);
    }
    const m = classifier(1, 0.1, []);
    const before = m.getWeights();
    await expect(m.fit(X, Y_CLASS, { epochs: 2, callbacks: sn.callbacks.earlyStopping({ monitor: 'val_loss' }) })).rejects.toThrow(/monitor 'val_loss' is not among this fit's figures \(give fit validationData or validationSplit\)/);
    await expect(m.fit(X, Y_CLASS, { epochs: 2, validationSplit: 0.2, callbacks: [sn.callbacks.earlyStopping({ monitor: 'val_acc' })] })).rejects.toThrow(/monitor 'val_acc'.*metrics: \['accuracy'\]/);
    expect(same(m.getWeights(), before)).toBe(true);
  });

  it('restoreBestWeights puts back the best epoch\'s weights at the end of training (Keras 3)', async () => {
    const m = classifier(5, 0.2);
    const snapshots: Float32Array[][] = [];
    const losses: number[] = [];
    const h = await m.fit(X, Y_CLASS, {
      epochs: 12, batchSize: 40, shuffle: false,
      callbacks: [
        // Epochs 4 and later diverge: the loss climbs and training stops after `patience` epochs.
        sn.callbacks.learningRateScheduler((epoch) => (epoch < 4 ? 0.2 : 60)),
        { onEpochEnd: (_e, logs) => { snapshots.push(m.getWeights()); losses.push(logs.loss); } },
        sn.callbacks.earlyStopping({ monitor: 'loss', patience: 2, restoreBestWeights: true }),
      ],
    });
    const best = losses.indexOf(Math.min(...losses));
    expect(h.epoch.length).toBeLessThan(12);
    expect(h.epoch.length - 1 - best).toBeGreaterThanOrEqual(2);
    expect(same(m.getWeights(), snapshots[best])).toBe(true);
    expect(same(m.getWeights(), snapshots[snapshots.length - 1])).toBe(false);
  });
});

describe('sn.callbacks.reduceLROnPlateau, learningRateScheduler and modelCheckpoint', () => {
  it('reduceLROnPlateau multiplies the rate by factor after patience epochs without improvement, never below minLr (Keras)', () => {
    const m = classifier(1, 0.1);
    const r = sn.callbacks.reduceLROnPlateau({ monitor: 'loss', factor: 0.5, patience: 2, minLr: 0.03 });
    r.attach({ model: m, epochs: 8, logKeys: ['loss'] });
    r.onTrainBegin();
    const rates: number[] = [];
    [1, 1, 1, 1, 1, 0.5, 0.5, 0.5].forEach((loss, epoch) => {
      r.onEpochEnd(epoch, { loss, samplesPerSecond: 1, learningRate: 0 });
      rates.push(m.optimizer!.learningRate as number);
    });
    // epoch 0 improves on infinity; 1 and 2 do not: reduced at 2; 3, 4 do not: reduced at 4 (to 0.03, not
    // 0.025); 5 improves; 6, 7 do not, but the rate is already at minLr.
    expect(rates).toEqual([0.1, 0.1, 0.05, 0.05, 0.03, 0.03, 0.03, 0.03]);
    expect(() => sn.callbacks.reduceLROnPlateau({ factor: 1 })).toThrow(/factor/);
    // As Keras: an optimizer whose rate is a schedule cannot have it changed by a callback.
    const scheduled = classifier();
    scheduled.compile({ optimizer: sn.optimizers.sgd({ learningRate: (step: number) => 0.1 / (1 + step) }), loss: 'sparseCategoricalCrossentropy' });
    expect(() => sn.callbacks.reduceLROnPlateau().attach({ model: scheduled, epochs: 1, logKeys: ['valLoss'] })).toThrow(/learning rate is a schedule/);
  });

  it('learningRateScheduler sets each epoch\'s rate from (epoch, rate) before it trains', async () => {
    const h = await classifier(1, 0.1).fit(X, Y_CLASS, { epochs: 3, callbacks: [sn.callbacks.learningRateScheduler((epoch, lr) => (epoch === 0 ? lr : lr / 2))] });
    expect(h.history.learningRate).toEqual([0.1, 0.05, 0.025]);
    await expect(classifier().fit(X, Y_CLASS, { epochs: 2, callbacks: [sn.callbacks.learningRateScheduler(() => -1)] })).rejects.toThrow(/returned -1 for epoch 0/);
  });

  it('modelCheckpoint saves after each improving epoch, awaited in order and never two at once; {epoch} names the folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-checkpoint-'));
    const m = classifier(2, 0.3);
    const realSave = m.save.bind(m);
    let running = 0;
    let most = 0;
    const order: string[] = [];
    m.save = async (path: string) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 15));
      await realSave(path);
      order.push(path);
      running--;
    };
    const weightsAt: Float32Array[][] = [];
    const checkpoint = sn.callbacks.modelCheckpoint({ path: join(dir, 'model-{epoch:02d}'), monitor: 'val_loss', saveBestOnly: true });
    const h = await m.fit(X, Y_CLASS, { epochs: 5, batchSize: 8, validationSplit: 0.25, callbacks: [{ onEpochEnd: () => void weightsAt.push(m.getWeights()) }, checkpoint] });
    expect(most).toBe(1);
    const improving = h.history.valLoss!.map((v, i, all) => (all.slice(0, i).every((p) => v < p) ? i : -1)).filter((i) => i >= 0);
    expect(order).toEqual(improving.map((i) => join(dir, `model-${String(i + 1).padStart(2, '0')}`)));
    expect(checkpoint.saved).toEqual(order);
    expect(readdirSync(dir).sort()).toEqual(order.map((p) => p.slice(dir.length + 1)).sort());
    const last = improving[improving.length - 1];
    const loaded = await sn.loadModel(order[order.length - 1]);
    expect(same(loaded.getWeights(), weightsAt[last])).toBe(true);
  });

  it('modelCheckpoint refuses a path naming a figure the fit does not have, before training', async () => {
    await expect(classifier().fit(X, Y_CLASS, { callbacks: sn.callbacks.modelCheckpoint({ path: '/tmp/m-{val_loss:.2f}' }) })).rejects.toThrow(/names \{val_loss\}/);
  });
});
