// Resumable training: the optimizer's state (slots and step count) is saved with the model and restored by
// loadModel, and fit's initialEpoch continues a training where it stopped. Fit 3 epochs, save, load, fit on
// with initialEpoch 3 to epoch 6: the weights are bit for bit those of 6 straight epochs (same seed: the
// resumed fit replays the shuffles of epochs 0-2 first, so epochs 3-5 see the batches of the straight run).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sn from '../dist/index.js';
import * as pool from '../dist/backend/pool.js';
import { randomValues } from './reference/random.js';

const root = mkdtempSync(join(tmpdir(), 'simdnet-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `m${dirs++}`);

// 53 rows (a partial last batch of 5 at batch size 8), 6 inputs, 3 classes.
const ROWS = 53;
const xValues = randomValues(ROWS * 6, -1, 1, 3);
const labels = Array.from({ length: ROWS }, (_, i) => (i * 7 + Math.floor(xValues[i * 6] * 3 + 3)) % 3);

function makeModel(optimizer: () => sn.Optimizer): sn.Sequential {
  const model = sn.sequential([sn.layers.dense({ inputShape: [6], units: 9, activation: 'tanh' }), sn.layers.dense({ units: 3, activation: 'softmax' })], { seed: 11 });
  model.compile({ optimizer: optimizer(), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

const OPTIMIZERS: [string, () => sn.Optimizer][] = [
  ['sgd with momentum', () => sn.optimizers.sgd({ learningRate: 0.1, momentum: 0.9 })],
  ['adam', () => sn.optimizers.adam({ learningRate: 0.01 })],
  ['rmsprop centered with momentum, clipNorm', () => sn.optimizers.rmsprop({ learningRate: 0.005, momentum: 0.5, centered: true, clipNorm: 0.5 })],
  ['adagrad', () => sn.optimizers.adagrad({ learningRate: 0.1 })],
  ['adamw, clipValue', () => sn.optimizers.adamw({ learningRate: 0.01, weightDecay: 0.05, clipValue: 0.1 })],
];

describe('fit 3 epochs, save, load, fit 3 more with initialEpoch 3 = 6 straight epochs, bit for bit', () => {
  for (const [label, optimizer] of OPTIMIZERS) {
    it(label, async () => {
      const x = sn.tensor(xValues, [ROWS, 6]);
      const y = sn.oneHot(labels, 3);
      const options = { batchSize: 8, seed: 1234 };

      const straight = makeModel(optimizer);
      const straightHistory = await straight.fit(x, y, { ...options, epochs: 6 });

      const first = makeModel(optimizer);
      const firstHistory = await first.fit(x, y, { ...options, epochs: 3 });
      const dir = freshDir();
      await first.save(dir);
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      expect(json.formatVersion).toBe(3);
      expect(json.optimizerState.iterations).toBe(3 * 7);
      expect(json.optimizerState.slots.map((s: { name: string }) => s.name)).toEqual(
        first.paramNames.flatMap((p) => first.optimizer!.slotNames.map((slot) => `${p}/${slot}`)),
      );

      const resumed = await sn.loadModel(dir);
      expect(resumed.optimizer!.iterations).toBe(21);
      expect(resumed.optimizer!.getConfig()).toEqual(first.optimizer!.getConfig());
      const resumedHistory = await resumed.fit(x, y, { ...options, epochs: 6, initialEpoch: 3 });

      expect(resumedHistory.epoch).toEqual([3, 4, 5]);
      expect(firstHistory.epoch).toEqual([0, 1, 2]);
      // No tolerance: the same state and the same batches through the same kernels give the same bits.
      expect([...firstHistory.history.loss, ...resumedHistory.history.loss]).toEqual(straightHistory.history.loss);
      expect(resumed.getWeights()).toEqual(straight.getWeights());
      const straightSlots = straight.params.flatMap((p) => straight.optimizer!.slots(p).map((s) => s.data.slice()));
      const resumedSlots = resumed.params.flatMap((p) => resumed.optimizer!.slots(p).map((s) => s.data.slice()));
      expect(resumedSlots).toEqual(straightSlots);
      expect(resumed.optimizer!.iterations).toBe(straight.optimizer!.iterations);
      for (const m of [straight, first, resumed]) m.dispose();
      [x, y].forEach((t) => t.dispose());
    });
  }

  it('without the saved state (includeOptimizer: false) the resumed weights differ: the state matters', async () => {
    const x = sn.tensor(xValues, [ROWS, 6]);
    const y = sn.oneHot(labels, 3);
    const straight = makeModel(OPTIMIZERS[1][1]);
    await straight.fit(x, y, { batchSize: 8, seed: 5, epochs: 4 });
    const first = makeModel(OPTIMIZERS[1][1]);
    await first.fit(x, y, { batchSize: 8, seed: 5, epochs: 2 });
    const dir = freshDir();
    await first.save(dir, { includeOptimizer: false });
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(json.formatVersion).toBe(3);
    expect(json.optimizerState).toBeUndefined();
    const loaded = await sn.loadModel(dir);
    expect(loaded.optimizer!.iterations).toBe(0);
    await loaded.fit(x, y, { batchSize: 8, seed: 5, epochs: 4, initialEpoch: 2 });
    expect(loaded.getWeights()).not.toEqual(straight.getWeights());
    for (const m of [straight, first, loaded]) m.dispose();
    [x, y].forEach((t) => t.dispose());
  });
});

describe('the new optimizers and clipping train to the same bits on 1 and 2 threads', () => {
  it('rmsprop + clipNorm, adagrad, adamw + clipValue: every update and norm split by rows', async () => {
    const x = sn.tensor(xValues, [ROWS, 6]);
    const y = sn.oneHot(labels, 3);
    const threads = sn.getThreads();
    const threshold = pool.setRowsThreshold(0); // split even these small parameters
    const adaptive = pool.setAdaptiveSplitting(false);
    const train = async (optimizer: () => sn.Optimizer) => {
      const model = makeModel(optimizer);
      await model.fit(x, y, { epochs: 2, batchSize: 8, seed: 9 });
      const weights = model.getWeights();
      model.dispose();
      return weights;
    };
    try {
      for (const [label, optimizer] of OPTIMIZERS.slice(2)) {
        await sn.setThreads(1);
        const one = await train(optimizer);
        await sn.setThreads(2);
        const before = pool.poolStatus().parallelCalls;
        const two = await train(optimizer);
        expect(two, label).toEqual(one);
        if (pool.poolStatus().readyWorkers > 0) expect(pool.poolStatus().parallelCalls, label).toBeGreaterThan(before);
      }
    } finally {
      pool.setRowsThreshold(threshold);
      pool.setAdaptiveSplitting(adaptive);
      await sn.setThreads(threads);
      [x, y].forEach((t) => t.dispose());
    }
  });
});

describe('initialEpoch', () => {
  it('schedules, callbacks and the history see the true epoch numbers', async () => {
    const x = sn.tensor(xValues, [ROWS, 6]);
    const y = sn.oneHot(labels, 3);
    const model = makeModel(() => sn.optimizers.sgd({ learningRate: sn.optimizers.schedules.stepDecay({ initialLearningRate: 0.1, factor: 0.5, everyEpochs: 2 }) }));
    const begun: number[] = [];
    const history = await model.fit(x, y, { epochs: 5, initialEpoch: 2, batchSize: 16, seed: 1, callbacks: { onEpochBegin: (e) => void begun.push(e) } });
    expect(history.epoch).toEqual([2, 3, 4]);
    expect(begun).toEqual([2, 3, 4]);
    expect(history.history.learningRate).toEqual([0.05, 0.05, 0.025]);
    // initialEpoch >= epochs trains nothing, as in Keras.
    const before = model.getWeights();
    const none = await model.fit(x, y, { epochs: 3, initialEpoch: 3 });
    expect(none.epoch).toEqual([]);
    expect(model.getWeights()).toEqual(before);
    await expect(model.fit(x, y, { epochs: 3, initialEpoch: -1 })).rejects.toThrow(/initialEpoch must be an integer >= 0, got -1/);
    await expect(model.fit(x, y, { epochs: 3, initialEpoch: 1.5 })).rejects.toThrow(/initialEpoch must be an integer >= 0/);
    model.dispose();
    [x, y].forEach((t) => t.dispose());
  });
});

describe('the saved optimizer state is checked like the weights', () => {
  async function savedTrained(): Promise<string> {
    const x = sn.tensor(xValues, [ROWS, 6]);
    const y = sn.oneHot(labels, 3);
    const model = makeModel(() => sn.optimizers.adam());
    await model.fit(x, y, { epochs: 1, batchSize: 16, seed: 2 });
    const dir = freshDir();
    await model.save(dir);
    model.dispose();
    [x, y].forEach((t) => t.dispose());
    return dir;
  }

  it('an untrained optimizer saves no state (format version 3 without an optimizerState section)', async () => {
    const model = makeModel(() => sn.optimizers.adam());
    const dir = freshDir();
    await model.save(dir);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(json.formatVersion).toBe(3);
    expect(json.optimizerState).toBeUndefined();
    model.dispose();
  });

  it('the slot values are in the weights file after the weights, covered by its size and checksum', async () => {
    const dir = await savedTrained();
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const weightFloats = json.weights.reduce((s: number, w: { shape: number[] }) => s + w.shape.reduce((a, b) => a * b, 1), 0);
    expect(json.weightsBytes).toBe(4 * 2 * weightFloats + 4 * weightFloats); // weights, then m and v of each
    const loaded = await sn.loadModel(dir);
    const bin = readFileSync(join(dir, json.weightsFile));
    const floats = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
    const slots = loaded.params.flatMap((p) => loaded.optimizer!.slots(p).flatMap((s) => Array.from(s.data)));
    expect(Array.from(floats.subarray(weightFloats))).toEqual(slots);
    loaded.dispose();

    const bytes = readFileSync(join(dir, json.weightsFile));
    bytes[bytes.length - 2] ^= 0x40; // a byte of the last slot value
    writeFileSync(join(dir, json.weightsFile), bytes);
    await expect(sn.loadModel(dir)).rejects.toThrow(/checksum .* differs from model.json's/);
  });

  it('a wrong slot name, a missing slot, a bad step count or state without training is an error naming it', async () => {
    const dir = await savedTrained();
    const original = readFileSync(join(dir, 'model.json'), 'utf8');
    const edits: [string, (j: Record<string, any>) => void, RegExp][] = [
      ['renamed slot', (j) => void (j.optimizerState.slots[1].name = 'dense_x/kernel/m'), /optimizer slot 1 is 'dense_x\/kernel\/m', expected '.*\/(kernel|bias)\/v'/],
      ['other optimizer', (j) => void (j.training.optimizer = { name: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: false }), /the sgd optimizer state lists 8 slots, the model's parameters need 4/],
      ['negative iterations', (j) => void (j.optimizerState.iterations = -1), /optimizerState.iterations must be a whole number >= 0, got -1/],
      ['no training section', (j) => void (j.training = null), /'optimizerState' is given but 'training' is null/],
      ['version 2 with state', (j) => void (j.formatVersion = 2), /'optimizerState' needs format version 3, the file says 2/],
      ['bad slot shape', (j) => void (j.optimizerState.slots[0].shape = [-1]), /optimizer slot 0 is .*, not \{ name, shape \}/],
    ];
    for (const [name, edit, message] of edits) {
      const json = JSON.parse(original);
      edit(json);
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      const before = sn.memory().bytes;
      await expect(sn.loadModel(dir), name).rejects.toThrow(message);
      expect(sn.memory().bytes, `${name}: nothing leaked`).toBe(before);
    }
    writeFileSync(join(dir, 'model.json'), original);
    (await sn.loadModel(dir)).dispose();
  });

  it('save checks includeOptimizer', async () => {
    const model = makeModel(() => sn.optimizers.adam());
    await expect(model.save(freshDir(), { includeOptimizer: 'yes' as never })).rejects.toThrow(/includeOptimizer must be true or false/);
    model.dispose();
  });
});
