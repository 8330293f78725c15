// Bad input to the training API: a clear error, raised before any weight or optimizer state changes;
// and a non-finite loss during fit (stop and restore, or continue).
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';

const x4 = [[0, 0], [0, 1], [1, 0], [1, 1]];

function model(loss: sn.LossName = 'meanSquaredError', outAct: sn.ActivationName = 'sigmoid', units = 1) {
  const m = sn.sequential([sn.layers.dense({ inputShape: [2], units: 3, activation: 'tanh' }), sn.layers.dense({ units, activation: outAct })], { seed: 1 });
  m.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.1 }), loss, metrics: ['accuracy'] });
  return m;
}

const snapshot = (m: sn.Sequential) => m.getWeights().map((w) => Array.from(w));

describe('fit rejects bad input before touching any weight', () => {
  const cases: [string, () => sn.Sequential, (m: sn.Sequential) => Promise<unknown>, RegExp, ErrorConstructor][] = [
    ['x/y row counts differ (names both shapes)', () => model(), (m) => m.fit(x4, [[0], [1], [1]]), /x has 4 rows but y has 3: x \[4, 2\], y \[3, 1\]/, RangeError],
    ['wrong feature count for the first layer', () => model(), (m) => m.fit([[1, 2, 3]], [[1]]), /x has shape \[1, 3\]: expected 2 values per row/, RangeError],
    ['flat data that is not whole rows', () => model(), (m) => m.fit(new Float32Array(7), new Float32Array(4)), /7 values, which is not a whole number of rows of 2/, TypeError],
    ['data of the wrong type', () => model(), (m) => m.fit('abc' as unknown as number[], [1]), /x must be a Tensor, an array/, TypeError],
    ['a string among the values of x (names x and the position)', () => model(), (m) => m.fit([[0, 1], ['2', 3]] as number[][], [[0], [1]]), /^x: value at \[1\]\[0\] is string, not a number/, TypeError],
    ['a ragged row of x', () => model(), (m) => m.fit([[0, 1], [2]], [[0], [1]]), /^x: .*row \[1\] has 1 values, expected 2/, TypeError],
    ['a ragged row of y', () => model(), (m) => m.fit(x4, [[0], [1, 1], [0], [1]]), /^y: .*row \[1\] has 2 values, expected 1/, TypeError],
    ['{ data, shape } of x whose data is ragged', () => model(), (m) => m.fit({ data: [[0, 1], [2]] as unknown as number[], shape: [2, 2] }, [[0], [1]]), /^x: /, TypeError],
    ['non-finite x', () => model(), (m) => m.fit([[0, 0], [NaN, 1]], [[0], [1]]), /x row 1, column 0 is NaN/, RangeError],
    ['sparse label out of range (names the row)', () => model('sparseCategoricalCrossentropy', 'softmax', 3), (m) => m.fit(x4, [0, 1, 3, 2]), /y row 2 is 3: not a class index in \[0, 3\)/, RangeError],
    ['sparse label not an integer', () => model('sparseCategoricalCrossentropy', 'softmax', 3), (m) => m.fit(x4, [0, 1.5, 2, 2]), /y row 1 is 1.5/, RangeError],
    ['labels not one-hot for categoricalCrossentropy', () => model('categoricalCrossentropy', 'softmax', 3), (m) => m.fit(x4, [[1, 0, 0], [0, 1, 0], [0, 2, 0], [0, 0, 1]]), /y row 2 is not one-hot/, RangeError],
    ['binary targets outside [0, 1]', () => model('binaryCrossentropy'), (m) => m.fit(x4, [0, 1, 2, 0]), /y row 2, column 0 is 2: binaryCrossentropy targets must be in \[0, 1\]/, RangeError],
    ['batchSize < 1', () => model(), (m) => m.fit(x4, [0, 1, 1, 0], { batchSize: 0 }), /batchSize must be an integer >= 1, got 0/, RangeError],
    ['batchSize not an integer', () => model(), (m) => m.fit(x4, [0, 1, 1, 0], { batchSize: 2.5 }), /batchSize must be an integer >= 1, got 2.5/, RangeError],
    ['epochs < 0', () => model(), (m) => m.fit(x4, [0, 1, 1, 0], { epochs: -1 }), /epochs must be an integer >= 0, got -1/, RangeError],
    ['validation data of the wrong width', () => model(), (m) => m.fit(x4, [0, 1, 1, 0], { validationData: [[[1, 2, 3]], [1]] }), /validation x has shape \[1, 3\]/, RangeError],
    ['unknown callback', () => model(), (m) => m.fit(x4, [0, 1, 1, 0], { callbacks: { onEpochStart: () => 0 } as never }), /unknown callback 'onEpochStart'; valid: onTrainBegin, onTrainEnd, onEpochBegin, onEpochEnd, onBatchBegin, onBatchEnd, onYield/, TypeError],
    ['bad onNonFinite', () => model(), (m) => m.fit(x4, [0, 1, 1, 0], { onNonFinite: 'ignore' as never }), /onNonFinite must be 'stop' or 'continue'/, TypeError],
  ];
  for (const [name, make, run, message, type] of cases) {
    it(name, async () => {
      const m = make();
      const before = snapshot(m);
      const memory = sn.memory();
      const promise = run(m);
      await expect(promise).rejects.toThrow(type);
      await expect(promise).rejects.toThrow(message);
      expect(snapshot(m)).toEqual(before);
      expect(m.optimizer!.iterations).toBe(0);
      expect(sn.memory()).toEqual(memory);
      m.dispose();
    });
  }

  it('fit before compile', async () => {
    const m = sn.sequential([sn.layers.dense({ inputShape: [2], units: 1 })], { seed: 1 });
    await expect(m.fit(x4, [0, 1, 1, 0])).rejects.toThrow(/fit called before compile\(\)/);
    expect(() => m.evaluate(x4, [0, 1, 1, 0])).toThrow(/evaluate called before compile\(\)/);
    m.dispose();
  });
});

describe('configuration errors name the valid choices', () => {
  it('learningRate <= 0 or not finite', () => {
    for (const lr of [0, -1, NaN, Infinity]) {
      expect(() => sn.optimizers.sgd({ learningRate: lr })).toThrow(RangeError);
      expect(() => sn.optimizers.adam({ learningRate: lr })).toThrow(/learningRate must be a finite number > 0/);
    }
    expect(() => sn.optimizers.sgd({ learningRate: 0.1, momentum: 1 })).toThrow(/momentum must be in \[0, 1\)/);
  });

  it('unknown activation, loss, optimizer, metric, initializer', () => {
    expect(() => sn.layers.dense({ units: 2, activation: 'swish' as never })).toThrow(/unknown activation 'swish'; valid: linear, relu, leakyRelu, sigmoid, tanh, softmax, step/);
    const m = sn.sequential([sn.layers.dense({ inputShape: [2], units: 1 })], { seed: 1 });
    expect(() => m.compile({ optimizer: 'sgd', loss: 'logcosh' as never })).toThrow(/unknown loss 'logcosh'; valid: meanSquaredError, meanAbsoluteError, huber, hinge, binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy, halfSquaredError, halfMeanSquaredError \(or mse, /);
    expect(() => m.compile({ optimizer: 'nadam' as never, loss: 'meanSquaredError' })).toThrow(/unknown optimizer 'nadam'; valid: sgd, adam, adamw, rmsprop, adagrad/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['auc'] })).toThrow(/unknown metric 'auc'; valid: accuracy, acc, crossentropy, ce, binaryAccuracy, categoricalAccuracy, sparseCategoricalAccuracy, topKCategoricalAccuracy, mse, mae, MSE, MAE, meanSquaredError, meanAbsoluteError, mape, MAPE, meanAbsolutePercentageError, cosine, cosineProximity, precision, recall, binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy/);
    expect(() => sn.layers.dense({ units: 2, kernelInitializer: 'orthogonal' })).toThrow(/unknown .*kernelInitializer 'orthogonal'; valid: zeros, ones, randomNormal, randomUniform, glorotUniform, glorotNormal, heNormal, heUniform/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' })).toThrow(/sparseCategoricalCrossentropy needs a softmax output layer/);
    m.dispose();
  });

  it('bad layer sizes and shapes', () => {
    expect(() => sn.layers.dense({ units: 0 })).toThrow(/units must be an integer >= 1, got 0/);
    expect(() => sn.layers.dense({ units: 2, inputShape: [2, 0] })).toThrow(/inputShape must be a list of whole sizes >= 1/);
    expect(() => sn.layers.dense({ units: 2, inputShape: 3 as never })).toThrow(/inputShape must be a list of whole sizes >= 1/);
    expect(() => sn.sequential([sn.layers.dense({ inputShape: [2], units: 3 }), sn.layers.dense({ inputShape: [4], units: 1 })])).toThrow(/declares inputShape \[4\] but the previous layer outputs \[3\]/);
  });

  it('layer protocol shape errors', () => {
    const d = sn.layers.dense({ inputShape: [2], units: 3, seed: 1 });
    const x = sn.tensor([[1, 2, 3]]);
    expect(() => d.forward(x)).toThrow(/expects input shape \[null, 2\], got \[1, 3\]/);
    expect(() => d.backward(x)).toThrow(/backward called before forward/);
    const ok = sn.tensor([[1, 2]]);
    d.forward(ok);
    const dy = sn.zeros([2, 3]);
    expect(() => d.backward(dy)).toThrow(/dy has shape \[2, 3\], the output has shape \[1, 3\]/);
    for (const t of [x, ok, dy]) t.dispose();
    d.dispose();
  });
});

describe('non-finite loss during fit', () => {
  // Linear regression with a learning rate far too large: the weights blow up within a few updates.
  const xs = [[1, 2], [2, 1], [3, 3], [0.5, 4]];
  const ys = [[1], [2], [3], [4]];
  const blowUp = () => {
    const m = sn.sequential([sn.layers.dense({ inputShape: [2], units: 1 })], { seed: 3 });
    m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 1e12 }), loss: 'halfSquaredError' });
    return m;
  };

  it("'stop' names epoch and batch and restores the last weights whose loss was finite", async () => {
    // The same run with 'continue' records the weights after every update.
    const probe = blowUp();
    const after: number[][][] = [snapshot(probe)];
    await probe.fit(xs, ys, { epochs: 30, batchSize: 1, shuffle: false, onNonFinite: 'continue', callbacks: { onBatchEnd: () => void after.push(snapshot(probe)) } });
    probe.dispose();

    const m = blowUp();
    let error: sn.NonFiniteLossError | null = null;
    await m.fit(xs, ys, { epochs: 30, batchSize: 1, shuffle: false }).catch((e) => (error = e));
    expect(error).toBeInstanceOf(sn.NonFiniteLossError);
    const e = error!;
    const step = e.epoch * 4 + e.batch; // updates made before the failing batch
    expect(step).toBeGreaterThan(1);
    expect(e.message).toMatch(new RegExp(`loss is (Infinity|NaN) at epoch ${e.epoch}, batch ${e.batch}`));
    expect(e.message).toMatch(/the last whose loss was finite/);
    // The failing batch ran on the weights after `step` updates; the model is back to those before the
    // previous update, whose loss was finite.
    expect(snapshot(m)).toEqual(after[step - 1]);
    expect(m.optimizer!.iterations).toBe(step - 1);
    expect(e.history.epoch.length).toBe(e.epoch);
    m.dispose();
  });

  it("'stop' on a parameter made non-finite behind a saturated tanh keeps the weights from before that update", async () => {
    // At learning rate 1e3 the first layer's weight overflows to +-Inf while tanh saturates, so the loss
    // stays finite: only the check of the parameters after each update catches it.
    const xs = Array.from({ length: 17 }, (_, i) => [3 * Math.sin(i + 1)]);
    const ys = Array.from({ length: 17 }, (_, i) => Array.from({ length: 5 }, (_, j) => Math.cos(7 * i + j)));
    const make = () => {
      const m = sn.sequential([sn.layers.dense({ inputShape: [1], units: 1 }), sn.layers.activation({ activation: 'tanh' }), sn.layers.dense({ units: 5 })], { seed: 0 });
      m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 1e3 }), loss: 'meanSquaredError' });
      return m;
    };
    const options = { epochs: 12, batchSize: 1, shuffle: false };
    const probe = make();
    const after: number[][][] = [snapshot(probe)];
    const losses: number[] = [];
    await probe.fit(xs, ys, { ...options, onNonFinite: 'continue', callbacks: { onBatchEnd: (_, logs) => void (after.push(snapshot(probe)), losses.push(logs.loss)) } });
    probe.dispose();
    const firstInfinite = after.findIndex((w) => !w.flat().every(Number.isFinite));
    expect(firstInfinite).toBeGreaterThan(0);
    // The loss of the batch whose update overflowed was finite: the loss check alone would not stop there.
    expect(Number.isFinite(losses[firstInfinite - 1])).toBe(true);

    const m = make();
    const before = sn.memory();
    let error: sn.NonFiniteLossError | null = null;
    await m.fit(xs, ys, options).catch((e) => (error = e));
    expect(error).toBeInstanceOf(sn.NonFiniteLossError);
    const e = error!;
    // Update number `firstInfinite` (from 1) is batch firstInfinite - 1.
    expect(e.epoch * 17 + e.batch).toBe(firstInfinite - 1);
    expect(e.message).toMatch(new RegExp(`^parameter dense\\S*/(kernel|bias) became (-?Infinity|NaN) \\(at index \\d+\\) in the update at epoch ${e.epoch}, batch ${e.batch} `));
    expect(snapshot(m)).toEqual(after[firstInfinite - 1]);
    expect(m.optimizer!.iterations).toBe(firstInfinite - 1);
    expect(sn.memory()).toEqual(before);
    m.dispose();
  });

  it("'stop' on the very first batch leaves the initial weights", async () => {
    // 3e38 + 3e38 overflows float32: the first forward pass already gives an infinite output.
    const m = sn.sequential([sn.layers.dense({ inputShape: [2], units: 1, kernelInitializer: 'ones' })], { seed: 1 });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const before = snapshot(m);
    await expect(m.fit([[3e38, 3e38]], [[0]], { epochs: 1 })).rejects.toThrow(/at epoch 0, batch 0 .*no update was made/);
    expect(snapshot(m)).toEqual(before);
    m.dispose();
  });

  it("'continue' trains on and records the non-finite losses", async () => {
    const m = blowUp();
    const h = await m.fit(xs, ys, { epochs: 30, batchSize: 1, shuffle: false, onNonFinite: 'continue' });
    expect(h.epoch.length).toBe(30);
    expect(h.history.loss.some((l) => !Number.isFinite(l))).toBe(true);
    m.dispose();
  });
});
