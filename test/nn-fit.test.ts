// Sequential.fit / evaluate / predict against the float64 reference (test/reference/nn.ts): every loss,
// optimizer and batch regime, awkward shapes (1x1, primes, partial last batches), determinism, memory.
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';
import { refFit, refForward, refLoss, type RefDense, type RefLoss, type RefOptimizer } from './reference/nn.js';

type Act = 'linear' | 'relu' | 'leakyRelu' | 'sigmoid' | 'tanh' | 'softmax' | 'step';

/** Deterministic pseudo-random values in [-1, 1) (no dependence on the library's generator). */
function values(count: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2147483648 - 1;
  });
}

function toRef(model: sn.Sequential): RefDense[] {
  return model.layers.map((layer) => {
    const d = layer as sn.Dense;
    return {
      inputs: d.inputSize,
      units: d.units,
      activation: d.activation.name,
      alpha: d.activation.param,
      w: Float64Array.from(d.kernel.data),
      b: d.bias === null ? null : Float64Array.from(d.bias.data),
    };
  });
}

/** max |a - r| / (1 + |r|): relative for large values, absolute near 0. */
function worstError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i])));
  return worst;
}

function targetsFor(loss: RefLoss, rows: number, cols: number, seed: number): number[] {
  const v = values(rows * cols, seed);
  if (loss === 'sparseCategoricalCrossentropy') return Array.from({ length: rows }, (_, r) => Math.floor(((v[r] + 1) / 2) * cols) % cols);
  if (loss === 'categoricalCrossentropy') {
    return Array.from({ length: rows * cols }, (_, i) => (Math.floor(i / cols) * 7 + 3) % cols === i % cols ? 1 : 0);
  }
  if (loss === 'binaryCrossentropy') return v.map((t) => (t > 0 ? 1 : 0));
  return v;
}

interface Case {
  name: string;
  sizes: number[];
  acts: Act[];
  loss: RefLoss;
  rows: number;
  batchSize: number;
  epochs: number;
  optimizer: RefOptimizer;
}

function makeOptimizer(o: RefOptimizer): sn.Optimizer {
  if (o.kind === 'adam') return sn.optimizers.adam({ learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon });
  return sn.optimizers.sgd({ learningRate: o.learningRate, momentum: o.momentum ?? 0, nesterov: o.kind === 'nesterov' });
}

const cases: Case[] = [
  { name: '1x1 linear, MSE, SGD, stochastic (batch 1)', sizes: [1, 1], acts: ['linear'], loss: 'meanSquaredError', rows: 1, batchSize: 1, epochs: 5, optimizer: { kind: 'sgd', learningRate: 0.1 } },
  { name: 'primes 7-13-5 tanh/sigmoid, MSE, full batch of 11', sizes: [7, 13, 5], acts: ['tanh', 'sigmoid'], loss: 'meanSquaredError', rows: 11, batchSize: 11, epochs: 4, optimizer: { kind: 'sgd', learningRate: 0.5 } },
  { name: '5-17-3 relu/softmax, categorical, mini-batch 4 of 23 rows (partial last batch of 3)', sizes: [5, 17, 3], acts: ['relu', 'softmax'], loss: 'categoricalCrossentropy', rows: 23, batchSize: 4, epochs: 3, optimizer: { kind: 'momentum', learningRate: 0.1, momentum: 0.9 } },
  { name: '6-9-4 leakyRelu/softmax, sparse labels, nesterov, batch 5 of 19', sizes: [6, 9, 4], acts: ['leakyRelu', 'softmax'], loss: 'sparseCategoricalCrossentropy', rows: 19, batchSize: 5, epochs: 3, optimizer: { kind: 'nesterov', learningRate: 0.05, momentum: 0.8 } },
  { name: '3-10-2 tanh/sigmoid, binary cross-entropy, Adam, batch 7 of 30', sizes: [3, 10, 2], acts: ['tanh', 'sigmoid'], loss: 'binaryCrossentropy', rows: 30, batchSize: 7, epochs: 3, optimizer: { kind: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } },
  { name: '33-65-31-1 wide (tile remainders), relu/relu/linear, MSE, Adam, batch 16 of 37', sizes: [33, 65, 31, 1], acts: ['relu', 'relu', 'linear'], loss: 'meanSquaredError', rows: 37, batchSize: 16, epochs: 2, optimizer: { kind: 'adam', learningRate: 0.003 } },
  { name: '4-6-3 sigmoid/softmax, MSE (unfused softmax backward), SGD, batch 3 of 10', sizes: [4, 6, 3], acts: ['sigmoid', 'softmax'], loss: 'meanSquaredError', rows: 10, batchSize: 3, epochs: 3, optimizer: { kind: 'sgd', learningRate: 0.5 } },
];

describe('fit matches the float64 reference', () => {
  // Tolerance: float32 kernels vs float64 over a few epochs: max |w - w_ref| / (1 + |w_ref|) <= 2e-4.
  const TOL = 2e-4;
  for (const c of cases) {
    it(c.name, async () => {
      const layers = c.acts.map((act, i) =>
        sn.layers.dense({ units: c.sizes[i + 1], activation: act, ...(i === 0 ? { inputShape: [c.sizes[0]] as [number] } : {}) }),
      );
      const model = sn.sequential(layers, { seed: 42 });
      model.compile({ optimizer: makeOptimizer(c.optimizer), loss: c.loss });
      const ref = toRef(model);
      const x = values(c.rows * c.sizes[0], 7);
      const outCols = c.sizes[c.sizes.length - 1];
      const y = targetsFor(c.loss, c.rows, outCols, 11);
      const yShape = c.loss === 'sparseCategoricalCrossentropy' ? [c.rows] : [c.rows, outCols];
      const refLosses = refFit(ref, Float64Array.from(x), y, c.rows, { loss: c.loss, optimizer: c.optimizer, epochs: c.epochs, batchSize: c.batchSize });
      const history = await model.fit({ data: x, shape: [c.rows, c.sizes[0]] }, { data: y, shape: yShape }, { epochs: c.epochs, batchSize: c.batchSize, shuffle: false });
      expect(worstError(history.history.loss, refLosses)).toBeLessThan(TOL);
      const weights = model.getWeights();
      let p = 0;
      for (const l of ref) {
        expect(worstError(weights[p++], l.w)).toBeLessThan(TOL);
        if (l.b !== null) expect(worstError(weights[p++], l.b)).toBeLessThan(TOL);
      }
      // evaluate and predict on the trained weights, against the reference forward pass.
      const xd = Float64Array.from(x);
      const refOut = refForward(ref, xd, c.rows).at(-1)!;
      const predicted = model.predict({ data: x, shape: [c.rows, c.sizes[0]] }, { batchSize: 4 });
      expect(predicted.shape).toEqual([c.rows, outCols]);
      expect(worstError(predicted.data, refOut)).toBeLessThan(TOL);
      predicted.dispose();
      const evaluated = model.evaluate({ data: x, shape: [c.rows, c.sizes[0]] }, { data: y, shape: yShape }, { batchSize: 3 });
      expect(Math.abs(evaluated.loss - refLoss(c.loss, refOut, y, c.rows, outCols).loss)).toBeLessThan(TOL * (1 + evaluated.loss));
      model.dispose();
    });
  }
});

describe('fit', () => {
  const xorX = [[0, 0], [0, 1], [1, 0], [1, 1]];
  const xorY = [[0], [1], [1], [0]];
  const xorModel = (seed: number) => {
    const m = sn.sequential([sn.layers.dense({ inputShape: [2], units: 3, activation: 'sigmoid' }), sn.layers.dense({ units: 1, activation: 'sigmoid' })], { seed });
    m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 1 }), loss: 'meanSquaredError', metrics: ['accuracy'] });
    return m;
  };

  it('same seed: bit-identical initial and trained weights; another seed differs', async () => {
    const bits = (m: sn.Sequential) => m.getWeights().map((w) => Array.from(new Uint32Array(w.buffer.slice(0))));
    const a = xorModel(5);
    const b = xorModel(5);
    const c = xorModel(6);
    expect(bits(a)).toEqual(bits(b));
    expect(bits(a)).not.toEqual(bits(c));
    const x = values(200 * 2, 3).map((v) => v * 3);
    const y = x.filter((_, i) => i % 2 === 0).map((v, i) => (v * x[2 * i + 1] > 0 ? 1 : 0));
    await a.fit({ data: x, shape: [200, 2] }, y, { epochs: 3, batchSize: 16, shuffle: true, seed: 9 });
    await b.fit({ data: x, shape: [200, 2] }, y, { epochs: 3, batchSize: 16, shuffle: true, seed: 9 });
    expect(bits(a)).toEqual(bits(b));
    await c.fit({ data: x, shape: [200, 2] }, y, { epochs: 3, batchSize: 16, shuffle: true, seed: 10 });
    const d = xorModel(6);
    await d.fit({ data: x, shape: [200, 2] }, y, { epochs: 3, batchSize: 16, shuffle: true, seed: 9 });
    expect(bits(c)).not.toEqual(bits(d));
    for (const m of [a, b, c, d]) m.dispose();
  });

  it('same initializer seed gives the same weights in a layer outside any model', () => {
    const a = sn.layers.dense({ units: 5, seed: 3, kernelInitializer: 'heNormal' });
    const b = sn.layers.dense({ units: 5, seed: 3, kernelInitializer: 'heNormal' });
    a.build(4);
    b.build(4);
    expect(Array.from(a.kernel.data)).toEqual(Array.from(b.kernel.data));
    a.dispose();
    b.dispose();
  });

  it('leaves memory() as it found it, including on a thrown error', async () => {
    const m = xorModel(1);
    const before = sn.memory();
    const history = await m.fit(xorX, xorY, { epochs: 20, batchSize: 3, validationData: [xorX, xorY] });
    expect(history.epoch.length).toBe(20);
    expect(sn.memory()).toEqual(before);
    const probs = m.predict(xorX);
    probs.dispose();
    m.evaluate(xorX, xorY);
    expect(sn.memory()).toEqual(before);
    await expect(m.fit(xorX, [[0], [1], [1]], { epochs: 1 })).rejects.toThrow(RangeError);
    expect(sn.memory()).toEqual(before);
    m.dispose();
  });

  it('allocates its buffers once per fit: wasm memory is constant from batch to batch', async () => {
    const m = xorModel(3);
    m.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.01 }), loss: 'meanSquaredError' });
    const seen = new Set<string>();
    await m.fit(values(60, 1), values(30, 2).map((v) => (v > 0 ? 1 : 0)), {
      epochs: 3, batchSize: 7, validationData: [xorX, xorY], callbacks: { onBatchEnd: () => void seen.add(JSON.stringify(sn.memory())) },
    });
    expect(seen.size).toBe(1);
    m.dispose();
  });

  it('starts the thread pool before the first batch when its GEMMs split, and frees all GEMM scratch when done', async () => {
    const pool = await import('../dist/backend/pool.js');
    const { gemmScratchBytes } = await import('../dist/ops/matmul.js');
    // No earlier GEMM of this file is big enough to split, so nothing has started the workers yet.
    expect(pool.poolStatus().workers).toBe(0);
    // 64 x 128 x 128 multiply-adds per batch in the first layer: above the split threshold.
    const m = sn.sequential([sn.layers.dense({ inputShape: [128], units: 128, activation: 'relu' }), sn.layers.dense({ units: 10, activation: 'softmax' })], { seed: 5 });
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const x = { data: values(200 * 128, 7), shape: [200, 128] };
    const y = values(200, 8).map((v) => Math.floor((v + 1) * 5));
    const before = sn.memory();
    let readyAtStart = -1;
    const seen = new Set<string>();
    await m.fit(x, y, {
      epochs: 2, batchSize: 64,
      callbacks: { onTrainBegin: () => void (readyAtStart = pool.poolStatus().readyWorkers), onBatchEnd: () => void seen.add(JSON.stringify(sn.memory())) },
    });
    expect(readyAtStart).toBe(sn.getThreads() - 1);
    // The workers' packing scratch is reserved by the first batch and kept: no allocation per batch.
    expect(seen.size).toBe(1);
    expect(gemmScratchBytes()).toBe(0);
    expect(sn.memory()).toEqual(before);
    m.predict(x).dispose();
    m.evaluate(x, y);
    expect(gemmScratchBytes()).toBe(0);
    expect(sn.memory()).toEqual(before);
    m.dispose();
  });

  it('recompiling with another optimizer frees the old one\'s state', () => {
    const m = xorModel(3);
    const before = sn.memory();
    m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const withAdam = sn.memory();
    expect(withAdam.bytes).toBeGreaterThan(before.bytes);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    expect(sn.memory()).toEqual(before);
    m.dispose();
  });

  it('refuses a second fit on the same model while one is running', async () => {
    const m = xorModel(3);
    // The awaited callback suspends the first fit after its first epoch.
    const first = m.fit(xorX, xorY, { epochs: 3, callbacks: { onEpochEnd: () => Promise.resolve() } });
    await expect(m.fit(xorX, xorY)).rejects.toThrow(/fit is already running on this model/);
    await first;
    m.dispose();
  });

  it('trains the last partial batch (not dropped): 5 rows in batches of 2 take 3 updates per epoch', async () => {
    const m = xorModel(2);
    const batches: number[] = [];
    await m.fit([...xorX, [0.5, 0.5]], [...xorY, [1]], { epochs: 2, batchSize: 2, shuffle: false, callbacks: { onBatchEnd: (_b, logs) => void batches.push(logs.size) } });
    expect(batches).toEqual([2, 2, 1, 2, 2, 1]);
    expect(m.optimizer!.iterations).toBe(6);
    m.dispose();
  });

  it('stopTraining set in a callback ends fit after that batch; history covers the rows trained', async () => {
    const m = xorModel(2);
    const batches: number[] = [];
    const history = await m.fit([...xorX, [0.5, 0.5]], [...xorY, [1]], {
      epochs: 5, batchSize: 2, shuffle: false,
      callbacks: { onBatchEnd: (b) => { batches.push(b); if (batches.length === 4) m.stopTraining = true; } },
    });
    expect(batches).toEqual([0, 1, 2, 0]);
    expect(m.optimizer!.iterations).toBe(4);
    expect(history.epoch).toEqual([0, 1]);
    expect(history.history.loss.every(Number.isFinite)).toBe(true);
    // The flag is reset by the next fit.
    await m.fit(xorX, xorY, { epochs: 1, batchSize: 4 });
    expect(m.optimizer!.iterations).toBe(5);
    m.dispose();
  });

  it('history holds loss, accuracy, validation figures, samples/s and the learning rate per epoch', async () => {
    const m = sn.sequential([sn.layers.dense({ inputShape: [2], units: 4, activation: 'tanh' }), sn.layers.dense({ units: 2, activation: 'softmax' })], { seed: 3 });
    const schedule = sn.optimizers.schedules.stepDecay({ initialLearningRate: 0.4, factor: 0.5, everyEpochs: 2 });
    m.compile({ optimizer: sn.optimizers.sgd({ learningRate: schedule }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const epochs: number[] = [];
    const h = await m.fit(xorX, [0, 1, 1, 0], { epochs: 5, batchSize: 2, validationData: [xorX, [0, 1, 1, 0]], seed: 1, callbacks: { onEpochEnd: (e) => void epochs.push(e) } });
    expect(epochs).toEqual([0, 1, 2, 3, 4]);
    expect(h.epoch).toEqual([0, 1, 2, 3, 4]);
    expect(h.history.learningRate).toEqual([0.4, 0.4, 0.2, 0.2, 0.1]);
    for (const key of ['loss', 'accuracy', 'valLoss', 'valAccuracy', 'samplesPerSecond'] as const) {
      expect(h.history[key]!.length).toBe(5);
      for (const v of h.history[key]!) expect(Number.isFinite(v)).toBe(true);
    }
    // valLoss of the last epoch is the evaluation of the final weights.
    expect(h.history.valLoss!.at(-1)).toBeCloseTo(m.evaluate(xorX, [0, 1, 1, 0]).loss, 6);
    m.dispose();
  });

  it('exponential decay follows the iteration count (Keras ExponentialDecay)', () => {
    const s = sn.optimizers.schedules.exponentialDecay({ initialLearningRate: 1, decaySteps: 10, decayRate: 0.5 });
    expect(s(0, 0)).toBe(1);
    expect(s(10, 3)).toBe(0.5);
    expect(s(5, 0)).toBeCloseTo(Math.SQRT1_2, 12);
    const stairs = sn.optimizers.schedules.exponentialDecay({ initialLearningRate: 1, decaySteps: 10, decayRate: 0.5, staircase: true });
    expect(stairs(19, 0)).toBe(0.5);
  });

  it('lets timers run during fit (awaits between epochs)', async () => {
    const m = xorModel(1);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await m.fit(xorX, xorY, { epochs: 20000, batchSize: 4 });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    m.dispose();
  });

  it('accepts Tensors, Float32Arrays of whole rows, { data, shape }, nested arrays and [{ input, output }]', async () => {
    const results: number[][] = [];
    const x = sn.tensor(xorX);
    const y = sn.tensor(xorY);
    const inputs = [
      async (m: sn.Sequential) => m.fit(x, y, { epochs: 3, batchSize: 4 }),
      async (m: sn.Sequential) => m.fit(new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]), new Float32Array([0, 1, 1, 0]), { epochs: 3, batchSize: 4 }),
      async (m: sn.Sequential) => m.fit({ data: [0, 0, 0, 1, 1, 0, 1, 1], shape: [4, 2] }, [0, 1, 1, 0], { epochs: 3, batchSize: 4 }),
      async (m: sn.Sequential) => m.fit(xorX, xorY, { epochs: 3, batchSize: 4 }),
      async (m: sn.Sequential) => m.fit(xorX.map((input, i) => ({ input, output: xorY[i] })), { epochs: 3, batchSize: 4 }),
    ];
    for (const run of inputs) {
      const m = xorModel(4);
      await run(m);
      results.push(Array.from(m.getWeights()[0]));
      m.dispose();
    }
    for (const r of results) expect(r).toEqual(results[0]);
    x.dispose();
    y.dispose();
  });

  it('a layer can be built lazily from the data when no inputShape is given', async () => {
    const m = sn.sequential([sn.layers.dense({ units: 3, activation: 'relu' }), sn.layers.dense({ units: 1 })], { seed: 1 });
    expect(m.built).toBe(false);
    m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    await m.fit([[1, 2, 3, 4, 5]], [[1]], { epochs: 2 });
    expect(m.built).toBe(true);
    expect(m.inputUnits).toBe(5);
    expect(m.params.map((p) => p.shape)).toEqual([[5, 3], [3], [3, 1], [1]]);
    m.dispose();
  });

  it('separate activation layers train like the same activation fused into dense', async () => {
    const fused = sn.sequential([sn.layers.dense({ inputShape: [2], units: 3, activation: 'tanh' }), sn.layers.dense({ units: 2, activation: 'softmax' })], { seed: 8 });
    const separate = sn.sequential([sn.layers.dense({ inputShape: [2], units: 3 }), sn.layers.tanh(), sn.layers.dense({ units: 2 }), sn.layers.softmax()], { seed: 8 });
    for (const m of [fused, separate]) {
      m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.5 }), loss: 'categoricalCrossentropy' });
      await m.fit(xorX, [[1, 0], [0, 1], [0, 1], [1, 0]], { epochs: 10, batchSize: 2, shuffle: false });
    }
    const a = fused.getWeights();
    const b = separate.getWeights();
    for (let i = 0; i < a.length; i++) expect(worstError(a[i], b[i])).toBeLessThan(1e-6);
    fused.dispose();
    separate.dispose();
  });

  it('predict and evaluate let NaN through to the rows it touches (fit rejects it)', () => {
    const m = xorModel(1);
    const out = m.predict([[0, 1], [NaN, 1], [1, 1]]);
    const v = Array.from(out.data);
    expect(Number.isNaN(v[1])).toBe(true);
    expect(Number.isNaN(v[0]) || Number.isNaN(v[2])).toBe(false);
    out.dispose();
    expect(Number.isNaN(m.evaluate([[NaN, 1]], [[1]]).loss)).toBe(true);
    m.dispose();
  });

  it('a disposed model frees its memory and refuses further use', async () => {
    const before = sn.memory();
    const m = xorModel(1);
    m.dispose();
    expect(sn.memory()).toEqual(before);
    expect(() => m.predict(xorX)).toThrow(/model was disposed/);
    await expect(m.fit(xorX, xorY)).rejects.toThrow(/model was disposed/);
  });

  it('summary lists layers, output shapes and parameter counts', () => {
    const m = sn.sequential([sn.layers.dense({ inputShape: [784], units: 128, activation: 'relu' }), sn.layers.dense({ units: 10, activation: 'softmax' })], { seed: 1 });
    const text = m.summary({ print: false });
    expect(text).toMatch(/\(Dense\)\s+\[null, 128\]\s+100480/);
    expect(text).toMatch(/\(Dense\)\s+\[null, 10\]\s+1290/);
    expect(text).toMatch(/Total params: 101770\nTrainable params: 101770\nNon-trainable params: 0/);
    m.dispose();
  });
});

describe('the event loop keeps running during fit', () => {
  it('a 5 ms setInterval fires throughout a one-epoch fit, not only between epochs', async () => {
    const rows = 6000;
    const x = sn.tensor(Float32Array.from({ length: rows * 784 }, (_, i) => ((i * 7919) % 1000) / 1000), [rows, 784]);
    const y = sn.oneHot(Int32Array.from({ length: rows }, (_, i) => i % 10), 10);
    const m = sn.sequential([sn.layers.dense({ inputShape: [784], units: 128, activation: 'relu' }), sn.layers.dense({ units: 10, activation: 'softmax' })], { seed: 1 });
    m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 5);
    const start = performance.now();
    await m.fit(x, y, { epochs: 1, batchSize: 32 });
    const elapsed = performance.now() - start;
    clearInterval(timer);
    // fit yields after any batch that ends 20 ms or more after the last turn: the timer runs at least once
    // per ~20 ms of training, so the longest gap between ticks stays far below the epoch's length.
    const gaps = ticks.map((t, i) => t - (i === 0 ? start : ticks[i - 1]));
    expect(elapsed).toBeGreaterThan(60);
    expect(ticks.length).toBeGreaterThanOrEqual(Math.floor(elapsed / 40));
    expect(Math.max(...gaps)).toBeLessThan(Math.max(60, elapsed / 3));
    for (const t of [x, y]) t.dispose();
    m.dispose();
  });
});
