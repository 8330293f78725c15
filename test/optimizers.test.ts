// RMSprop, Adagrad and AdamW, and clipNorm / clipValue on every optimizer: each checked against its float64
// reference (test/reference/optim.ts) over several steps on awkward sizes, and RMSprop and Adagrad against
// TensorFlow.js's own optimizers (tf.train.rmsprop, tf.train.adagrad) on the same gradients. TensorFlow.js
// has neither AdamW nor gradient clipping, so those are checked against the float64 reference only.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import * as sn from '../dist/index.js';
import * as ref from './reference/optim.js';
import { randomValues } from './reference/random.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SHAPES: number[][] = [[0], [1], [2], [3], [5], [7], [8], [13], [17], [100], [1000], [1, 1], [7, 13], [31, 37], [4, 1]];
const STEPS = 6;
/**
 * Weights start in [-1, 1] and move by about lr per step; slots stay below ~4. Each f32 step rounds a handful
 * of operations (and a division and a square root), so 6 steps drift a few ulps of the values they
 * combine from float64: absolute 1e-6 on weights, 1e-6 relative (floor 1e-6) on slots.
 */
const ATOL = 1e-6;

function expectNear(got: ArrayLike<number>, want: ArrayLike<number>, label: string, relative = false): void {
  expect(got.length, label).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const tol = relative ? ATOL * Math.max(1, Math.abs(want[i])) : ATOL;
    if (!(Math.abs(got[i] - want[i]) <= tol)) throw new Error(`${label}[${i}]: got ${got[i]}, want ${want[i]} (tolerance ${tol})`);
  }
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** An optimizer from its registry name and config, through the sn.optimizers factories. */
const fromConfig = (name: string, config: Record<string, unknown>): sn.Optimizer =>
  (sn.optimizers as unknown as Record<string, (c: Record<string, unknown>) => sn.Optimizer>)[name](config);

interface Case {
  label: string;
  make: () => sn.Optimizer;
  /** The float64 step on plain arrays: slots in the optimizer's slotNames order (absent ones are scratch). */
  reference: (w: number[], g: number[], slots: number[][], t: number) => void;
  /** Initial slot value (Adagrad's accumulator). */
  initial?: number;
}

const CASES: Case[] = [
  { label: 'rmsprop', make: () => sn.optimizers.rmsprop({ learningRate: 0.01 }), reference: (w, g, [s], _t) => ref.rmsprop(w, g, s, new Array(w.length).fill(0), [], 0.01, 0.9, 0, 1e-7, false) },
  {
    label: 'rmsprop momentum 0.5',
    make: () => sn.optimizers.rmsprop({ learningRate: 0.01, momentum: 0.5 }),
    reference: (w, g, [s, u]) => ref.rmsprop(w, g, s, u, [], 0.01, 0.9, 0.5, 1e-7, false),
  },
  {
    label: 'rmsprop centered, rho 0.8',
    make: () => sn.optimizers.rmsprop({ learningRate: 0.01, rho: 0.8, centered: true }),
    reference: (w, g, [s, a]) => ref.rmsprop(w, g, s, new Array(w.length).fill(0), a, 0.01, 0.8, 0, 1e-7, true),
  },
  {
    label: 'rmsprop centered with momentum 0.9',
    make: () => sn.optimizers.rmsprop({ learningRate: 0.005, momentum: 0.9, centered: true }),
    reference: (w, g, [s, u, a]) => ref.rmsprop(w, g, s, u, a, 0.005, 0.9, 0.9, 1e-7, true),
  },
  { label: 'adagrad', make: () => sn.optimizers.adagrad({ learningRate: 0.05 }), reference: (w, g, [acc]) => ref.adagrad(w, g, acc, 0.05, 1e-7), initial: 0.1 },
  {
    label: 'adagrad initial 0.5, epsilon 1e-3',
    make: () => sn.optimizers.adagrad({ learningRate: 0.05, initialAccumulatorValue: 0.5, epsilon: 1e-3 }),
    reference: (w, g, [acc]) => ref.adagrad(w, g, acc, 0.05, 1e-3),
    initial: 0.5,
  },
  { label: 'adamw', make: () => sn.optimizers.adamw({ learningRate: 0.01 }), reference: (w, g, [m, v], t) => ref.adamw(w, g, m, v, 0.01, 0.9, 0.999, 1e-7, t, 0.004) },
  {
    label: 'adamw weightDecay 0.5',
    make: () => sn.optimizers.adamw({ learningRate: 0.02, weightDecay: 0.5, beta1: 0.8 }),
    reference: (w, g, [m, v], t) => ref.adamw(w, g, m, v, 0.02, 0.8, 0.999, 1e-7, t, 0.5),
  },
];

/** STEPS updates through applyGradients (the public hand-loop API) and the reference; compares weights and slots. */
function runCase(c: Case, shape: number[], clip: { clipNorm?: number; clipValue?: number } = {}, make = c.make): void {
  const n = sizeOf(shape);
  const optimizer = make();
  const w0 = randomValues(n, -1, 1, n + 11);
  const w = sn.tensor(w0, shape);
  const g = sn.zeros(shape);
  const rw = Array.from(w0);
  const slots = [0, 1, 2].map(() => new Array<number>(n).fill(c.initial ?? 0));
  for (let t = 1; t <= STEPS; t++) {
    const grad = randomValues(n, -2, 2, 100 * t + n);
    g.data.set(grad);
    optimizer.applyGradients([w], [g]);
    c.reference(rw, ref.clipGradient(grad, clip.clipNorm, clip.clipValue), slots, t);
  }
  const where = `${c.label} ${JSON.stringify(clip)} shape [${shape}]`;
  expectNear(w.data, rw, `${where} w`);
  optimizer.slots(w).forEach((s, k) => expectNear(s.data, slots[k], `${where} slot ${optimizer.slotNames[k]}`, true));
  expect(optimizer.iterations).toBe(STEPS);
  // The gradient is read, never written (clipping happens in the kernel's registers).
  expect(Array.from(g.data)).toEqual(Array.from(randomValues(n, -2, 2, 100 * STEPS + n)));
  optimizer.dispose();
  [w, g].forEach((t) => t.dispose());
}

describe('rmsprop, adagrad, adamw vs float64 references over 6 steps', () => {
  for (const c of CASES) {
    it(`${c.label} on shapes ${SHAPES.map((s) => `[${s}]`).join(' ')}`, () => {
      for (const shape of SHAPES) runCase(c, shape);
    });
  }
});

describe('clipNorm and clipValue (Keras semantics) on every optimizer vs float64 references', () => {
  const clipped: Case[] = [
    { label: 'sgd', make: () => sn.optimizers.sgd({ learningRate: 0.1 }), reference: (w, g) => ref.sgd(w, g, Math.fround(0.1)) },
    { label: 'sgd momentum', make: () => sn.optimizers.sgd({ learningRate: 0.05, momentum: 0.9 }), reference: (w, g, [v]) => ref.sgdMomentum(w, g, v, Math.fround(0.05), Math.fround(0.9), false) },
    { label: 'sgd nesterov', make: () => sn.optimizers.sgd({ learningRate: 0.05, momentum: 0.9, nesterov: true }), reference: (w, g, [v]) => ref.sgdMomentum(w, g, v, Math.fround(0.05), Math.fround(0.9), true) },
    { label: 'adam', make: () => sn.optimizers.adam({ learningRate: 0.01 }), reference: (w, g, [m, v], t) => ref.adam(w, g, m, v, 0.01, 0.9, 0.999, 1e-7, t) },
    CASES[3], CASES[4], CASES[6],
  ];
  // Norms of the test gradients: about 1.15 sqrt(n). clipNorm 0.5 clips every one with n >= 1; 1e6 clips none.
  const clips = [{ clipNorm: 0.5 }, { clipNorm: 3 }, { clipNorm: 1e6 }, { clipValue: 0.3 }, { clipValue: 1.5 }, { clipNorm: 2, clipValue: 0.2 }];
  for (const c of clipped) {
    it(`${c.label} with ${clips.map((x) => JSON.stringify(x)).join(' ')}`, () => {
      for (const clip of clips) {
        for (const shape of [[1], [3], [13], [100], [7, 13], [31, 37]]) {
          // The same optimizer options plus the clip, through the registry (as a saved model rebuilds it).
          const base = c.make();
          const name = base.className;
          const config = base.getConfig();
          runCase(c, shape, clip, () => fromConfig(name, { ...config, ...clip }));
        }
      }
    });
  }

  it('clipNorm rescales a whole tensor to the norm exactly as Keras: g * c / ||g|| (a 3-4-5 triangle)', () => {
    const w = sn.zeros([2]);
    const g = sn.tensor([3, 4], [2]);
    sn.optimizers.sgd({ learningRate: 1, clipNorm: 1 }).applyGradients([w], [g]);
    expect(Array.from(w.data)).toEqual([-0.6000000238418579, -0.800000011920929]);
    // Below the norm nothing changes, bit for bit.
    sn.optimizers.sgd({ learningRate: 1, clipNorm: 5.5 }).applyGradients([w], [g]);
    expect(Array.from(w.data)).toEqual([Math.fround(Math.fround(-0.6) - 3), Math.fround(Math.fround(-0.8) - 4)]);
    [w, g].forEach((t) => t.dispose());
  });

  it('an unclipped optimizer and one whose clips never bite give the same bits', () => {
    for (const make of [(o = {}) => sn.optimizers.adam(o), (o = {}) => sn.optimizers.rmsprop({ momentum: 0.5, ...o }), (o = {}) => sn.optimizers.sgd({ momentum: 0.9, ...o })]) {
      const results = [{}, { clipNorm: 1e30, clipValue: 1e30 }].map((clip) => {
        const w = sn.tensor(randomValues(77, -1, 1, 5), [7, 11]);
        const g = sn.tensor(randomValues(77, -2, 2, 6), [7, 11]);
        const opt = make(clip);
        for (let t = 0; t < 3; t++) opt.applyGradients([w], [g]);
        const out = w.data.slice();
        opt.dispose();
        [w, g].forEach((x) => x.dispose());
        return out;
      });
      expect(results[1]).toEqual(results[0]);
    }
  });

  it('clipNorm\'s work buffer is allocated with the optimizer state: sn.memory() after a fit equals the figure before', async () => {
    const model = sn.sequential([sn.layers.dense({ inputShape: [6], units: 9, activation: 'tanh' }), sn.layers.dense({ units: 3, activation: 'softmax' })], { seed: 1 });
    model.compile({ optimizer: sn.optimizers.adam({ clipNorm: 0.1 }), loss: 'categoricalCrossentropy' });
    const x = sn.tensor(randomValues(40 * 6, -1, 1, 8), [40, 6]);
    const y = sn.oneHot(Array.from({ length: 40 }, (_, i) => i % 3), 3);
    const before = sn.memory();
    await model.fit(x, y, { epochs: 2, batchSize: 8, seed: 1 });
    expect(sn.memory()).toEqual(before);
    model.dispose();
    [x, y].forEach((t) => t.dispose());
  });

  it('a NaN gradient element with clipNorm leaves a NaN at that place only and the update reports it', () => {
    for (const make of [() => sn.optimizers.adam({ clipNorm: 1 }), () => sn.optimizers.rmsprop({ clipNorm: 1 }), () => sn.optimizers.adagrad({ clipValue: 1 })]) {
      const w = sn.tensor(randomValues(9, -1, 1, 3), [9]);
      const g = sn.tensor(randomValues(9, -1, 1, 4), [9]);
      g.data[6] = NaN;
      const opt = make();
      opt.iterations = 1; // update() runs at the step count fit or applyGradients has advanced (Adam's corrections)
      const finite = opt.update(w.ptr, g.ptr, opt.slots(w).map((s) => s.ptr), 9, 1, 0.01, null);
      expect(finite).toBe(false);
      expect(Array.from(w.data, Number.isNaN)).toEqual([false, false, false, false, false, false, true, false, false]);
      opt.dispose();
      [w, g].forEach((t) => t.dispose());
    }
  });
});

describe('vs TensorFlow.js optimizers on the same gradients', () => {
  /** STEPS steps of simdnet's optimizer and tfjs's on a [rows, cols] variable; returns both final weights. */
  function both(make: () => sn.Optimizer, tfOptimizer: tf.Optimizer, shape: number[]): [Float32Array, Float32Array] {
    const n = sizeOf(shape);
    const w0 = randomValues(n, -1, 1, 42 + n);
    const w = sn.tensor(w0, shape);
    const g = sn.zeros(shape);
    const opt = make();
    const variable = tf.variable(tf.tensor(w0, shape), true, `w${n}_${Math.random().toString(36).slice(2)}`);
    for (let t = 1; t <= STEPS; t++) {
      const grad = randomValues(n, -2, 2, 7 * t + n);
      g.data.set(grad);
      opt.applyGradients([w], [g]);
      const gradient = tf.tensor(grad, shape);
      tfOptimizer.applyGradients({ [variable.name]: gradient });
      gradient.dispose();
    }
    const out: [Float32Array, Float32Array] = [w.data.slice(), variable.dataSync() as Float32Array];
    variable.dispose();
    tfOptimizer.dispose();
    opt.dispose();
    [w, g].forEach((t) => t.dispose());
    return out;
  }

  /** tfjs rounds in another order (e.g. g / sqrt(...) * -lr): each step differs by a few ulps; 6 steps within 2e-6. */
  const TFJS_ATOL = 2e-6;
  const shapes = [[1], [7], [13, 5], [31, 37]];

  it('rmsprop (defaults, momentum, centered) matches tf.train.rmsprop', () => {
    for (const shape of shapes) {
      for (const [momentum, centered] of [[0, false], [0.5, false], [0, true], [0.9, true]] as const) {
        // Centered, tfjs takes sqrt(s - (a^2 + eps)) where Keras (and simdnet) take sqrt(s - a^2 + eps)
        // (tfjs-core rmsprop_optimizer.ts): compared there with an epsilon too small to tell them apart.
        const epsilon = centered ? 1e-12 : undefined;
        const [ours, theirs] = both(() => sn.optimizers.rmsprop({ learningRate: 0.01, momentum, centered, ...(epsilon === undefined ? {} : { epsilon }) }), tf.train.rmsprop(0.01, 0.9, momentum, epsilon, centered), shape);
        expectNearTol(ours, theirs, TFJS_ATOL, `rmsprop momentum ${momentum} centered ${centered} [${shape}]`);
      }
    }
  });

  it('adagrad (defaults: initialAccumulatorValue 0.1, epsilon 1e-7) matches tf.train.adagrad', () => {
    for (const shape of shapes) {
      for (const initial of [0.1, 1]) {
        const [ours, theirs] = both(() => sn.optimizers.adagrad({ learningRate: 0.05, initialAccumulatorValue: initial }), tf.train.adagrad(0.05, initial), shape);
        expectNearTol(ours, theirs, TFJS_ATOL, `adagrad initial ${initial} [${shape}]`);
      }
    }
  });

  it('adam and sgd with momentum match tf.train.adam and tf.train.momentum (the unclipped path of the new kernels)', () => {
    for (const shape of shapes) {
      const [a, b] = both(() => sn.optimizers.adam({ learningRate: 0.01 }), tf.train.adam(0.01, 0.9, 0.999, 1e-7), shape);
      expectNearTol(a, b, TFJS_ATOL, `adam [${shape}]`);
      // tfjs's MomentumOptimizer: v = mu v + g; w -= lr v, the same weights as Keras's v = mu v - lr g; w += v.
      const [c, d] = both(() => sn.optimizers.sgd({ learningRate: 0.05, momentum: 0.9 }), tf.train.momentum(0.05, 0.9), shape);
      expectNearTol(c, d, TFJS_ATOL, `momentum [${shape}]`);
    }
  });

  function expectNearTol(got: Float32Array, want: Float32Array, tol: number, label: string): void {
    expect(got.length, label).toBe(want.length);
    for (let i = 0; i < want.length; i++) {
      if (!(Math.abs(got[i] - want[i]) <= tol)) throw new Error(`${label}[${i}]: simdnet ${got[i]}, tfjs ${want[i]}`);
    }
  }
});

describe('the new optimizers as options and names', () => {
  it('defaults follow Keras/TensorFlow.js, and getConfig round-trips through the registry', () => {
    expect(sn.optimizers.rmsprop().getConfig()).toEqual({ learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
    expect(sn.optimizers.adagrad().getConfig()).toEqual({ learningRate: 0.001, initialAccumulatorValue: 0.1, epsilon: 1e-7 });
    expect(sn.optimizers.adamw().getConfig()).toEqual({ learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0.004 });
    expect(sn.optimizers.sgd({ clipNorm: 1, clipValue: 0.5 }).getConfig()).toEqual({ learningRate: 0.01, momentum: 0, nesterov: false, clipNorm: 1, clipValue: 0.5 });
    for (const opt of [sn.optimizers.rmsprop({ momentum: 0.3, centered: true, clipValue: 2 }), sn.optimizers.adagrad({ clipNorm: 4 }), sn.optimizers.adamw({ weightDecay: 0.1 })]) {
      const again = fromConfig(opt.className, opt.getConfig());
      expect(again.className).toBe(opt.className);
      expect(again.getConfig()).toEqual(opt.getConfig());
    }
    expect(sn.optimizers.rmsprop({ momentum: 0.3, centered: true }).slotNames).toEqual(['meanSquare', 'momentum', 'meanGradient']);
    expect(sn.optimizers.rmsprop().slotNames).toEqual(['meanSquare']);
    expect(sn.optimizers.adagrad().slotNames).toEqual(['accumulator']);
    expect(sn.optimizers.adamw().slotNames).toEqual(['m', 'v']);
  });

  it('compile takes the names; bad options are errors naming the option', () => {
    for (const name of ['rmsprop', 'adagrad', 'adamw'] as const) {
      const model = sn.sequential([sn.layers.dense({ inputShape: [3], units: 2 })]);
      model.compile({ optimizer: name, loss: 'meanSquaredError' });
      expect(model.optimizer!.className).toBe(name);
      model.dispose();
    }
    expect(() => sn.optimizers.rmsprop({ decay: 0.9 } as never)).toThrow(/rmsprop: unknown option 'decay'; valid: learningRate, rho, momentum, epsilon, centered, clipNorm, clipValue/);
    expect(() => sn.optimizers.adamw({ weightDecay: -1 })).toThrow(/adamw weightDecay must be a finite number >= 0/);
    expect(() => sn.optimizers.adam({ weightDecay: 0.1 } as never)).toThrow(/adam: unknown option 'weightDecay'/);
    expect(() => sn.optimizers.adagrad({ initialAccumulatorValue: -0.1 })).toThrow(/initialAccumulatorValue/);
    expect(() => sn.optimizers.sgd({ clipNorm: 0 })).toThrow(/sgd clipNorm must be a finite number > 0/);
    expect(() => sn.optimizers.adam({ clipValue: NaN })).toThrow(/adam clipValue must be a finite number > 0/);
    expect(() => sn.optimizers.rmsprop({ rho: 1 })).toThrow(/rmsprop rho must be in \[0, 1\)/);
  });

  it('adamw with weightDecay 0 is adam, bit for bit', () => {
    const run = (opt: sn.Optimizer) => {
      const w = sn.tensor(randomValues(50, -1, 1, 1), [5, 10]);
      const g = sn.tensor(randomValues(50, -1, 1, 2), [5, 10]);
      for (let t = 0; t < 4; t++) opt.applyGradients([w], [g]);
      const out = w.data.slice();
      [w, g].forEach((x) => x.dispose());
      opt.dispose();
      return out;
    };
    expect(run(sn.optimizers.adamw({ weightDecay: 0 }))).toEqual(run(sn.optimizers.adam()));
  });
});

describe("plain SGD in fit: each Dense kernel is updated in the GEMM that computes its gradient", () => {
  it('only plain SGD (no momentum, no clipping) updates in the GEMM', () => {
    expect(sn.optimizers.sgd().updatesInGemm).toBe(true);
    expect(sn.optimizers.sgd({ momentum: 0.5 }).updatesInGemm).toBe(false);
    expect(sn.optimizers.sgd({ clipNorm: 1 }).updatesInGemm).toBe(false);
    expect(sn.optimizers.sgd({ clipValue: 1 }).updatesInGemm).toBe(false);
    expect(sn.optimizers.adam().updatesInGemm).toBe(false);
  });

  it('gives the bits of the separate update (an sgd whose clipNorm never bites), for every layer shape, with and without the rollback', async () => {
    // 37 rows in batches of 8 (a last batch of 5), shuffled; kernels of 1, 10, 13 and 130 columns cover the
    // GEMM's tiles and right edges, the ReLU and tanh layers backpropagate through their slopes.
    const [rows, inputs] = [37, 29];
    const x = sn.tensor(randomValues(rows * inputs, -1, 1, 7), [rows, inputs]);
    const y = sn.tensor(randomValues(rows, -1, 1, 8), [rows, 1]);
    const train = async (optimizer: sn.Optimizer, onNonFinite: 'stop' | 'continue') => {
      const model = sn.sequential([
        sn.layers.dense({ inputShape: [inputs], units: 130, activation: 'relu' }),
        sn.layers.dense({ units: 13, activation: 'tanh' }),
        sn.layers.dense({ units: 10, useBias: false }),
        sn.layers.dense({ units: 1 }),
      ], { seed: 9 });
      model.compile({ optimizer, loss: 'meanSquaredError' });
      await model.fit(x, y, { epochs: 3, batchSize: 8, seed: 10, onNonFinite });
      const weights = model.getWeights().map((w) => Array.from(new Uint32Array(w.buffer.slice(0))));
      // Fused: the kernels' gradient tensors are never written (they stay zero); the biases' are.
      const kernelGradsWritten = model.layers.map((l) => l.grads[0].data.some((v) => v !== 0));
      model.dispose();
      return { weights, kernelGradsWritten };
    };
    for (const onNonFinite of ['stop', 'continue'] as const) {
      const fused = await train(sn.optimizers.sgd({ learningRate: 0.05 }), onNonFinite);
      const separate = await train(sn.optimizers.sgd({ learningRate: 0.05, clipNorm: 1e30 }), onNonFinite);
      expect(fused.kernelGradsWritten).toEqual([false, false, false, false]);
      expect(separate.kernelGradsWritten).toEqual([true, true, true, true]);
      expect(fused.weights, onNonFinite).toEqual(separate.weights);
    }
    [x, y].forEach((t) => t.dispose());
  });

  it('a penalized weight keeps the separate update for every kernel (its gradient gets the penalty first): same bits as a clipNorm that never bites', async () => {
    const x = sn.tensor(randomValues(24 * 5, -1, 1, 11), [24, 5]);
    const y = sn.tensor(randomValues(24 * 3, -1, 1, 12), [24, 3]);
    const train = async (optimizer: sn.Optimizer) => {
      const model = sn.sequential([
        sn.layers.dense({ inputShape: [5], units: 7, activation: 'relu', kernelRegularizer: sn.regularizers.l2({ l2: 0.01 }) }),
        sn.layers.dense({ units: 3 }),
      ], { seed: 13 });
      model.compile({ optimizer, loss: 'meanSquaredError' });
      await model.fit(x, y, { epochs: 2, batchSize: 6, seed: 14 });
      const weights = model.getWeights().map((w) => Array.from(new Uint32Array(w.buffer.slice(0))));
      const kernelGradsWritten = model.layers.map((l) => l.grads[0].data.some((v) => v !== 0));
      model.dispose();
      return { weights, kernelGradsWritten };
    };
    const plain = await train(sn.optimizers.sgd({ learningRate: 0.1 }));
    const separate = await train(sn.optimizers.sgd({ learningRate: 0.1, clipNorm: 1e30 }));
    expect(plain.kernelGradsWritten).toEqual([true, true]);
    expect(plain.weights).toEqual(separate.weights);
    [x, y].forEach((t) => t.dispose());
  });
});
