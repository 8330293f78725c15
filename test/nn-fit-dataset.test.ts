// model.fitDataset and model.evaluateDataset: batches from any (async) iterable of { xs, ys } (simdnet Tensors,
// typed arrays, nested arrays, tfjs tensors from a real tf.data Dataset) train exactly as fit does on the same
// rows in the same order (bit-identical weights), allocate nothing per batch, and bad batches are errors
// naming the epoch and batch, raised before the batch is trained on.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import * as sn from '../dist/index.js';
import { randomValues } from './reference/random.js';

const ROWS = 100;
const FEATURES = 6;
const CLASSES = 3;
const BATCH = 16;

function data(): { x: number[][]; labels: number[]; y: number[][] } {
  const v = randomValues(ROWS * FEATURES, -1, 1, 11);
  const x = Array.from({ length: ROWS }, (_, r) => Array.from(v.slice(r * FEATURES, (r + 1) * FEATURES)));
  const labels = x.map((row) => (row[0] + row[1] > 0.3 ? 0 : row[2] > 0 ? 1 : 2));
  const y = labels.map((l) => Array.from({ length: CLASSES }, (_, c) => (c === l ? 1 : 0)));
  return { x, labels, y };
}

function model(loss = 'categoricalCrossentropy'): InstanceType<typeof sn.Sequential> {
  const m = sn.sequential([sn.layers.dense({ units: 8, inputShape: [FEATURES], activation: 'relu' }), sn.layers.dense({ units: CLASSES, activation: 'softmax' })], { seed: 3 });
  m.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.02 }), loss: loss as 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

/** Batches of BATCH rows in order, each made by `make` from the row range. */
function batches<T>(make: (from: number, to: number) => T): T[] {
  const out: T[] = [];
  for (let from = 0; from < ROWS; from += BATCH) out.push(make(from, Math.min(ROWS, from + BATCH)));
  return out;
}

const weightsOf = (m: InstanceType<typeof sn.Sequential>): number[][] => m.getWeights().map((w) => Array.from(w));

describe('fitDataset trains as fit does on the same batches', () => {
  const { x, y, labels } = data();

  it('bit-identical weights and history to fit({ shuffle: false }) for Tensor, Float32Array, nested-array and async batches', async () => {
    const reference = model();
    const h0 = await reference.fit(x, y, { epochs: 3, batchSize: BATCH, shuffle: false });
    const expected = weightsOf(reference);
    reference.dispose();
    const kinds: Record<string, () => Iterable<sn.DatasetBatch> | AsyncIterable<sn.DatasetBatch>> = {
      nested: () => batches((a, b) => ({ xs: x.slice(a, b), ys: y.slice(a, b) })),
      typed: () => batches((a, b) => ({ xs: new Float32Array(x.slice(a, b).flat()), ys: new Float64Array(y.slice(a, b).flat()) })),
      tensors: () => batches((a, b) => ({ xs: sn.tensor(x.slice(a, b)), ys: sn.tensor(y.slice(a, b)) })),
      async: () => ({
        async *[Symbol.asyncIterator]() {
          for (const batch of batches((a, b) => ({ xs: x.slice(a, b), ys: y.slice(a, b) }))) {
            await new Promise((r) => setTimeout(r, 0));
            yield batch;
          }
        },
      }),
    };
    for (const [kind, make] of Object.entries(kinds)) {
      const m = model();
      const ds = make();
      const h = await m.fitDataset(ds, { epochs: 3 });
      expect(weightsOf(m), kind).toEqual(expected);
      expect(h.history.loss, kind).toEqual(h0.history.loss);
      expect(h.history.accuracy, kind).toEqual(h0.history.accuracy);
      m.dispose();
      if (kind === 'tensors') for (const b of ds as { xs: sn.Tensor; ys: sn.Tensor }[]) [b.xs, b.ys].forEach((t) => t.dispose());
    }
  });

  it('reads a real tfjs Dataset (tf.data.array(...).batch()) and tfjs tensors', async () => {
    const reference = model();
    await reference.fit(x, y, { epochs: 2, batchSize: BATCH, shuffle: false });
    const ds = tf.data.zip({ xs: tf.data.array(x), ys: tf.data.array(y) }).batch(BATCH);
    const m = model();
    await m.fitDataset(ds as never, { epochs: 2 });
    expect(weightsOf(m)).toEqual(weightsOf(reference));
    reference.dispose();
    m.dispose();
  });

  it('sparse labels, validation data (a dataset or [x, y]) and evaluateDataset agree with fit and evaluate', async () => {
    const reference = model('sparseCategoricalCrossentropy');
    const h0 = await reference.fit(x, labels, { epochs: 2, batchSize: BATCH, shuffle: false, validationData: [x.slice(0, 40), labels.slice(0, 40)] });
    const m = model('sparseCategoricalCrossentropy');
    const val = { *[Symbol.iterator]() { yield { xs: x.slice(0, 25), ys: labels.slice(0, 25) }; yield { xs: x.slice(25, 40), ys: labels.slice(25, 40) }; } };
    const h1 = await m.fitDataset(batches((a, b) => ({ xs: x.slice(a, b), ys: labels.slice(a, b) })), { epochs: 2, validationData: val });
    expect(weightsOf(m)).toEqual(weightsOf(reference));
    h1.history.valLoss!.forEach((v, i) => expect(Math.abs(v - h0.history.valLoss![i])).toBeLessThan(1e-6));
    expect(h1.history.valAccuracy).toEqual(h0.history.valAccuracy);
    const h2 = await m.fitDataset(batches((a, b) => ({ xs: x.slice(a, b), ys: labels.slice(a, b) })), { epochs: 1, validationData: [x.slice(0, 40), labels.slice(0, 40)] });
    expect(h2.history.valLoss).toHaveLength(1);
    const e0 = m.evaluate(x, labels);
    const e1 = await m.evaluateDataset(batches((a, b) => ({ xs: x.slice(a, b), ys: labels.slice(a, b) })));
    expect(Math.abs(e1.loss - e0.loss)).toBeLessThan(1e-6);
    expect(e1.accuracy).toBe(e0.accuracy);
    const e2 = await m.evaluateDataset(batches((a, b) => ({ xs: x.slice(a, b), ys: labels.slice(a, b) })), { batches: 2 });
    const e3 = m.evaluate(x.slice(0, 2 * BATCH), labels.slice(0, 2 * BATCH));
    expect(Math.abs(e2.loss - e3.loss)).toBeLessThan(1e-6);
    reference.dispose();
    m.dispose();
  });

  it('allocates nothing per batch and leaves memory() as it found it', async () => {
    const m = model();
    const before = sn.memory();
    const seen: number[] = [];
    await m.fitDataset(batches((a, b) => ({ xs: new Float32Array(x.slice(a, b).flat()), ys: new Float32Array(y.slice(a, b).flat()) })), {
      epochs: 2,
      callbacks: { onBatchEnd: () => void seen.push(sn.memory().bytes) },
    });
    expect(seen).toHaveLength(2 * Math.ceil(ROWS / BATCH));
    expect(new Set(seen).size).toBe(1);
    expect(sn.memory()).toEqual(before);
    m.dispose();
  });

  it('batchesPerEpoch reads one iterator across epochs (a one-shot generator works); without it a spent generator is an error', async () => {
    function* gen() {
      for (let i = 0; ; i++) {
        const a = (i * BATCH) % 96;
        yield { xs: x.slice(a, a + BATCH), ys: y.slice(a, a + BATCH) };
      }
    }
    const m = model();
    const h = await m.fitDataset(gen(), { epochs: 3, batchesPerEpoch: 4 });
    expect(h.epoch).toEqual([0, 1, 2]);
    function* once() {
      yield { xs: x.slice(0, BATCH), ys: y.slice(0, BATCH) };
    }
    await expect(m.fitDataset(once(), { epochs: 2 })).rejects.toThrow(/no batches in epoch 1 .*generator object can be read only once/);
    m.dispose();
  });
});

describe("fitDataset's initialEpoch, classWeight, batchesPerEpoch and validationBatches (TensorFlow.js's options)", () => {
  const { x, y, labels } = data();
  const inOrder = () => batches((a, b) => ({ xs: x.slice(a, b), ys: y.slice(a, b) }));

  it('classWeight: bit-identical weights and history to fit({ classWeight, shuffle: false }), dense and sparse targets', async () => {
    for (const [loss, targets] of [['categoricalCrossentropy', y], ['sparseCategoricalCrossentropy', labels]] as const) {
      const classWeight = { 0: 0.5, 1: 2, 2: 1.25 };
      const reference = model(loss);
      const h0 = await reference.fit(x, targets as number[][], { epochs: 2, batchSize: BATCH, shuffle: false, classWeight });
      const unweighted = model(loss);
      await unweighted.fit(x, targets as number[][], { epochs: 2, batchSize: BATCH, shuffle: false });
      const m = model(loss);
      const h1 = await m.fitDataset(batches((a, b) => ({ xs: x.slice(a, b), ys: (targets as unknown[]).slice(a, b) })), { epochs: 2, classWeight });
      expect(weightsOf(m), loss).toEqual(weightsOf(reference));
      expect(h1.history.loss, loss).toEqual(h0.history.loss);
      // The weights did change the training.
      expect(weightsOf(m), loss).not.toEqual(weightsOf(unweighted));
      [reference, unweighted, m].forEach((d) => d.dispose());
    }
  });

  it("initialEpoch: the epochs, history, callbacks and schedule of fit's initialEpoch", async () => {
    const schedule = (epoch: number) => 0.02 / (1 + epoch);
    const run = async (train: (m: InstanceType<typeof sn.Sequential>, callbacks: sn.FitCallbacks) => Promise<sn.History>) => {
      const m = sn.sequential([sn.layers.dense({ units: CLASSES, inputShape: [FEATURES], activation: 'softmax' })], { seed: 4 });
      m.compile({ optimizer: sn.optimizers.sgd({ learningRate: schedule }), loss: 'categoricalCrossentropy', metrics: ['acc'] });
      const begun: number[] = [];
      const h = await train(m, { onEpochBegin: (e) => void begun.push(e) });
      const w = weightsOf(m);
      m.dispose();
      return { h, begun, w };
    };
    const a = await run((m, callbacks) => m.fit(x, y, { epochs: 5, initialEpoch: 2, batchSize: BATCH, shuffle: false, callbacks }));
    const b = await run((m, callbacks) => m.fitDataset(inOrder(), { epochs: 5, initialEpoch: 2, callbacks }));
    expect(a.h.epoch).toEqual([2, 3, 4]);
    expect(b.h.epoch).toEqual(a.h.epoch);
    expect(b.begun).toEqual([2, 3, 4]);
    expect(b.h.history.learningRate).toEqual(a.h.history.learningRate);
    expect(b.h.history.loss).toEqual(a.h.history.loss);
    expect(b.h.history.acc).toEqual(a.h.history.acc);
    expect(b.w).toEqual(a.w);
    // initialEpoch at or past epochs trains nothing.
    const none = await run((m) => m.fitDataset(inOrder(), { epochs: 2, initialEpoch: 2 }));
    expect(none.h.epoch).toEqual([]);
  });

  it('batchesPerEpoch with initialEpoch reads (epochs - initialEpoch) * batchesPerEpoch batches; validationBatches limits a validation dataset', async () => {
    let read = 0;
    function* endless() {
      for (let i = 0; ; i++) {
        read++;
        const a = (i * BATCH) % 96;
        yield { xs: x.slice(a, a + BATCH), ys: y.slice(a, a + BATCH) };
      }
    }
    let valRead = 0;
    const val = { *[Symbol.iterator]() { for (let a = 0; a < 96; a += BATCH) { valRead++; yield { xs: x.slice(a, a + BATCH), ys: y.slice(a, a + BATCH) }; } } };
    const m = model();
    const h = await m.fitDataset(endless(), { epochs: 4, initialEpoch: 1, batchesPerEpoch: 2, validationData: val, validationBatches: 2 });
    expect(h.epoch).toEqual([1, 2, 3]);
    expect(read).toBe(3 * 2);
    expect(valRead).toBe(3 * 2);
    // The validation figures are those of the first two validation batches, as evaluateDataset({ batches: 2 }).
    const e = await m.evaluateDataset(val, { batches: 2 });
    expect(h.history.val_loss!.at(-1)).toBe(e.loss);
    expect(h.history.val_acc!.at(-1)).toBe(e.accuracy);
    m.dispose();
  });

  it('validationBatchSize chunks validationData [x, y]; a validation dataset with larger batches than training gets totals of its size', async () => {
    const m = model();
    m.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.02 }), loss: 'categoricalCrossentropy', metrics: ['accuracy', 'mse'] });
    const h1 = await m.fitDataset(inOrder(), { epochs: 1, validationData: [x, y] });
    const m2 = model();
    m2.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.02 }), loss: 'categoricalCrossentropy', metrics: ['accuracy', 'mse'] });
    const h2 = await m2.fitDataset(inOrder(), { epochs: 1, validationData: [x, y], validationBatchSize: 7 });
    expect(Math.abs(h2.history.valLoss![0] - h1.history.valLoss![0])).toBeLessThan(1e-6);
    expect(h2.history.valAccuracy).toEqual(h1.history.valAccuracy);
    expect(Math.abs(h2.history.valMse![0] - h1.history.valMse![0])).toBeLessThan(1e-7);
    await expect(m2.fitDataset(inOrder(), { epochs: 1, validationData: { [Symbol.iterator]: () => inOrder()[Symbol.iterator]() }, validationBatchSize: 7 })).rejects.toThrow(/validationBatchSize applies to validationData \[x, y\]/);
    await expect(m2.fitDataset(inOrder(), { epochs: 1, validationData: [x, y], validationBatchSize: 0 })).rejects.toThrow(/validationBatchSize must be an integer >= 1/);
    // Validation batches of 50 rows after training batches of 16: the mse metric reads softmax probabilities
    // of a whole validation batch, so its totals are sized for 50 rows.
    const big = [{ xs: x.slice(0, 50), ys: y.slice(0, 50) }, { xs: x.slice(50), ys: y.slice(50) }];
    const h3 = await m2.fitDataset(inOrder(), { epochs: 2, validationData: { [Symbol.iterator]: () => big[Symbol.iterator]() } });
    const e = m2.evaluate(x, y);
    expect(Math.abs(h3.history.valMse!.at(-1)! - e.mse)).toBeLessThan(1e-7);
    expect(Math.abs(h3.history.valLoss!.at(-1)! - e.loss)).toBeLessThan(1e-6);
    m.dispose();
    m2.dispose();
  });

  it('built-in callbacks work with fitDataset; bad options are errors before any update', async () => {
    const m = model();
    const w0 = weightsOf(m);
    await expect(m.fitDataset(inOrder(), { epochs: 2, validationSplit: 0.2 } as never)).rejects.toThrow(/validationSplit is not an option of fitDataset.*pass validationData/);
    await expect(m.fitDataset(inOrder(), { epochs: 2, initialEpoch: -1 })).rejects.toThrow(/fitDataset: initialEpoch must be an integer >= 0, got -1/);
    await expect(m.fitDataset(inOrder(), { epochs: 2, classWeight: { 0: 1, 5: 2 } })).rejects.toThrow(/classWeight key '5' is not a class index in \[0, 3\)/);
    await expect(m.fitDataset(inOrder(), { epochs: 2, classWeight: { 0: 1, 1: 1 } })).rejects.toThrow(/classWeight has no weight for class 2 \(dataset epoch 0, batch 0: ys row 8\)/);
    expect(weightsOf(m)).toEqual(w0);
    await expect(m.fitDataset(inOrder(), { epochs: 2, callbacks: [sn.callbacks.earlyStopping({ monitor: 'val_acc' })] })).rejects.toThrow(/monitor 'val_acc' is not among this fit's figures/);
    expect(weightsOf(m)).toEqual(w0);
    const stop = sn.callbacks.earlyStopping({ monitor: 'loss', patience: 0, minDelta: 10 });
    const h = await m.fitDataset(inOrder(), { epochs: 5, callbacks: [stop] });
    expect(h.epoch).toEqual([0, 1]);
    m.dispose();
  });
});

describe('fitDataset errors', () => {
  const { x, y } = data();

  it('names the epoch and batch of a bad batch, and checks options first', async () => {
    const m = model();
    const w0 = weightsOf(m);
    const good = { xs: x.slice(0, 8), ys: y.slice(0, 8) };
    await expect(m.fitDataset([good], { epoch: 2 } as never)).rejects.toThrow(/unknown option 'epoch'/);
    await expect(m.fitDataset(5 as never)).rejects.toThrow(/iterable or async iterable of \{ xs, ys \} batches/);
    await expect(m.fitDataset([])).rejects.toThrow(/yielded no batches/);
    await expect(m.fitDataset([good, { xs: x.slice(0, 3), ys: y.slice(0, 2) }])).rejects.toThrow(/dataset epoch 0, batch 1: ys holds 6 values, expected 9/);
    await expect(m.fitDataset([good, { xs: x.slice(0, 16), ys: y.slice(0, 16) }])).rejects.toThrow(/batch 1 has 16 rows, more than the first batch's 8/);
    await expect(m.fitDataset([good, { xs: [[1, 2, 3, 4, 5, NaN]], ys: [y[0]] }])).rejects.toThrow(/batch 1: xs row 0, column 5 is NaN/);
    await expect(m.fitDataset([good, { xs: [[1, 2, 'a', 4, 5, 6]], ys: [y[0]] }] as never)).rejects.toThrow(/batch 1: xs\[0\]\[2\] is string/);
    await expect(m.fitDataset([good, { xs: x.slice(0, 2), ys: [[0.5, 0.6, 0], [1, 0, 0]] }])).rejects.toThrow(/batch 1: ys row 0 is not one-hot/);
    await expect(m.fitDataset([good, { x: 1 }] as never)).rejects.toThrow(/batch 1 is not \{ xs, ys \}/);
    await expect(m.fitDataset([{ xs: [[1, 2, 3]], ys: [y[0]] }])).rejects.toThrow(/xs has shape \[1, 3\] but the model takes samples of shape \[6\]/);
    // The first bad batch stops training before its update; the batches before it did train.
    expect(weightsOf(m)).not.toEqual(w0);
    m.dispose();
  });

  it('gives the event loop turns while training', async () => {
    const { x: bx, y: by } = data();
    const m = model();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const big = { *[Symbol.iterator]() { for (let i = 0; i < 1500; i++) yield { xs: bx, ys: by }; } };
    const started = performance.now();
    let yields = 0;
    await m.fitDataset(big, { epochs: 1, yieldEvery: 'auto', callbacks: { onYield: () => void yields++ } });
    const ms = performance.now() - started;
    clearInterval(timer);
    // fitDataset yields every ~20 ms: a run this long must have let the 5 ms timer fire.
    expect(ms).toBeGreaterThan(60);
    expect(ticks).toBeGreaterThan(0);
    // onYield is called at those turns, as in fit.
    expect(yields).toBeGreaterThan(0);
    await expect(m.fitDataset(big, { epochs: 1, yieldEvery: 'batch' } as never)).rejects.toThrow(/fitDataset: yieldEvery "batch" is not supported: .*pass 'auto' or leave it out/);
    await expect(m.fit(bx, by, { yieldEvery: 10 } as never)).rejects.toThrow(/fit: yieldEvery 10 is not supported/);
    expect((await m.fit(bx, by, { yieldEvery: 'auto' })).epoch).toEqual([0]);
    m.dispose();
  });
});
