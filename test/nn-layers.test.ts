// The layer protocol (forward/backward on Tensors), losses for the hand loop, optimizers' applyGradients
// and initializers, against float64 references.
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';
import { refBackward, refForward, refLoss, RefOptimizerState, type RefActivation, type RefDense, type RefLoss } from './reference/nn.js';

function values(count: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2147483648 - 1;
  });
}

function worstError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i])));
  return worst;
}

// Float32 kernels vs the float64 reference for one layer: max |a - r| / (1 + |r|) <= 1e-5.
const TOL = 1e-5;

describe('dense layer forward/backward', () => {
  const shapes: [number, number, number][] = [[1, 1, 1], [3, 7, 5], [13, 2, 11], [17, 33, 9], [64, 19, 4]];
  const acts: RefActivation[] = ['linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'softmax', 'step'];
  for (const [rows, inputs, units] of shapes) {
    for (const act of acts) {
      it(`[${rows}, ${inputs}] -> ${units} ${act}`, () => {
        const layer = sn.layers.dense({ units, activation: act, ...(act === 'leakyRelu' ? { alpha: 0.2 } : {}), seed: rows * 31 + units, biasInitializer: sn.initializers.randomNormal({ stddev: 0.5 }) });
        const x = sn.tensor(values(rows * inputs, 5), [rows, inputs]);
        const y = layer.forward(x);
        expect(y.shape).toEqual([rows, units]);
        const ref: RefDense = { inputs, units, activation: act, alpha: 0.2, w: Float64Array.from(layer.kernel.data), b: Float64Array.from(layer.bias!.data) };
        const xd = Float64Array.from(x.data);
        const outs = refForward([ref], xd, rows);
        expect(worstError(y.data, outs[0])).toBeLessThan(TOL);
        const dy = sn.tensor(values(rows * units, 9), [rows, units]);
        const dyCopy = Array.from(dy.data);
        const dx = layer.backward(dy);
        expect(Array.from(dy.data)).toEqual(dyCopy); // the caller's gradient is left alone
        // The reference backward on the layer's own float32 output (the kernels' saved y).
        const g = refBackward([ref], xd, [Float64Array.from(y.data)], Float64Array.from(dy.data), rows);
        expect(worstError(layer.grads[0].data, g[0].dw)).toBeLessThan(TOL);
        expect(worstError(layer.grads[1].data, g[0].db!)).toBeLessThan(TOL);
        expect(dx.shape).toEqual([rows, inputs]);
        // dx = dZ W^T, dZ from the same saved output.
        const expectedDx = new Float64Array(rows * inputs);
        const dzRef = refDz(act, Float64Array.from(y.data), Float64Array.from(dy.data), rows, units);
        for (let r = 0; r < rows; r++) for (let k = 0; k < inputs; k++) {
          let s = 0;
          for (let j = 0; j < units; j++) s += dzRef[r * units + j] * ref.w[k * units + j];
          expectedDx[r * inputs + k] = s;
        }
        expect(worstError(dx.data, expectedDx)).toBeLessThan(TOL);
        for (const t of [x, dy]) t.dispose();
        layer.dispose();
      });
    }
  }

  it('NaN in -> NaN out in the same rows', () => {
    const layer = sn.layers.dense({ inputShape: [3], units: 4, activation: 'relu', seed: 1 });
    const x = sn.tensor([[1, 2, 3], [NaN, 0, 0], [0, 0, 1]]);
    const y = layer.forward(x);
    const rows = y.toArray() as number[][];
    expect(rows[1].every(Number.isNaN)).toBe(true);
    expect(rows[0].some(Number.isNaN) || rows[2].some(Number.isNaN)).toBe(false);
    x.dispose();
    layer.dispose();
  });

  it('useBias: false has a kernel only', () => {
    const layer = sn.layers.dense({ inputShape: [2], units: 2, useBias: false, seed: 1 });
    layer.build(2);
    expect(layer.params.length).toBe(1);
    expect(layer.paramNames).toEqual([`${layer.name}/kernel`]);
    layer.dispose();
  });
});

/** dZ = dy * f'(y) in float64 (softmax: Jacobian-vector product). */
function refDz(act: RefActivation, y: Float64Array, dy: Float64Array, rows: number, units: number): Float64Array {
  const out = new Float64Array(y.length);
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    for (let j = 0; j < units; j++) dot += dy[r * units + j] * y[r * units + j];
    for (let j = 0; j < units; j++) {
      const i = r * units + j;
      const slope = act === 'relu' ? (y[i] > 0 ? 1 : 0) : act === 'leakyRelu' ? (y[i] > 0 ? 1 : 0.2) : act === 'sigmoid' ? y[i] * (1 - y[i]) : act === 'tanh' ? 1 - y[i] * y[i] : act === 'step' ? 0 : 1;
      out[i] = act === 'softmax' ? y[i] * (dy[i] - dot) : dy[i] * slope;
    }
  }
  return out;
}

describe('activation layers', () => {
  for (const [name, make] of [['relu', () => sn.layers.relu()], ['sigmoid', () => sn.layers.sigmoid()], ['tanh', () => sn.layers.tanh()], ['leakyRelu', () => sn.layers.leakyRelu({ alpha: 0.2 })], ['softmax', () => sn.layers.softmax()], ['step', () => sn.layers.step()], ['linear', () => sn.layers.linear()]] as const) {
    it(`${name}: forward and backward on a [7, 5] batch`, () => {
      const layer = make();
      const x = sn.tensor(values(35, 3).map((v) => v * 4), [7, 5]);
      const y = layer.forward(x);
      const ref = refForward([{ inputs: 5, units: 5, activation: name, alpha: 0.2, w: identity(5), b: null }], Float64Array.from(x.data), 7)[0];
      expect(worstError(y.data, ref)).toBeLessThan(TOL);
      const dy = sn.tensor(values(35, 4), [7, 5]);
      const dx = layer.backward(dy);
      expect(worstError(dx.data, refDz(name, Float64Array.from(y.data), Float64Array.from(dy.data), 7, 5))).toBeLessThan(TOL);
      expect(layer.params.length).toBe(0);
      for (const t of [x, dy]) t.dispose();
      layer.dispose();
    });
  }
});

function identity(n: number): Float64Array {
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) w[i * n + i] = 1;
  return w;
}

describe('losses.compute (the hand loop)', () => {
  const cases: [RefLoss, number, number][] = [['meanSquaredError', 5, 3], ['binaryCrossentropy', 7, 2], ['categoricalCrossentropy', 6, 4], ['sparseCategoricalCrossentropy', 9, 3], ['meanSquaredError', 1, 1]];
  for (const [name, rows, cols] of cases) {
    it(`${name} [${rows}, ${cols}]: value and gradient`, () => {
      const raw = values(rows * cols, rows + cols);
      // Probabilities: softmax rows for the categorical losses, sigmoid for binary.
      const p = raw.map((v) => 1 / (1 + Math.exp(-3 * v)));
      if (name.includes('ategorical')) {
        for (let r = 0; r < rows; r++) {
          const s = p.slice(r * cols, r * cols + cols).reduce((a, b) => a + b);
          for (let c = 0; c < cols; c++) p[r * cols + c] /= s;
        }
      }
      const t =
        name === 'sparseCategoricalCrossentropy' ? Array.from({ length: rows }, (_, r) => (r * 2) % cols)
        : name === 'categoricalCrossentropy' ? Array.from({ length: rows * cols }, (_, i) => (i % cols === Math.floor(i / cols) % cols ? 1 : 0))
        : name === 'binaryCrossentropy' ? raw.map((v) => (v > 0 ? 1 : 0))
        : values(rows * cols, 99);
      const pred = sn.tensor(p, [rows, cols]);
      const target = name === 'sparseCategoricalCrossentropy' ? sn.tensor(t, [rows]) : sn.tensor(t, [rows, cols]);
      const grad = sn.zeros([rows, cols]);
      const value = sn.losses[name]().compute(pred, target, grad);
      const ref = refLoss(name, Float64Array.from(pred.data), t, rows, cols);
      expect(Math.abs(value - ref.loss)).toBeLessThan(TOL * (1 + ref.loss));
      expect(worstError(grad.data, ref.grad)).toBeLessThan(TOL);
      for (const x of [pred, target, grad]) x.dispose();
    });
  }
});

describe('optimizers.applyGradients', () => {
  const configs = [
    { kind: 'sgd' as const, learningRate: 0.3 },
    { kind: 'momentum' as const, learningRate: 0.1, momentum: 0.9 },
    { kind: 'nesterov' as const, learningRate: 0.1, momentum: 0.7 },
    { kind: 'adam' as const, learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 },
  ];
  for (const config of configs) {
    it(`${config.kind}: 4 steps on 1, 7 and 33 floats`, () => {
      const opt = config.kind === 'adam' ? sn.optimizers.adam({ learningRate: config.learningRate, beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon }) : sn.optimizers.sgd({ learningRate: config.learningRate, momentum: config.momentum ?? 0, nesterov: config.kind === 'nesterov' });
      const ref = new RefOptimizerState(config);
      const sizes = [1, 7, 33];
      const params = sizes.map((n, i) => sn.tensor(values(n, i + 1), [n]));
      const refParams = params.map((p) => Float64Array.from(p.data));
      for (let step = 0; step < 4; step++) {
        const grads = sizes.map((n, i) => sn.tensor(values(n, 10 * step + i + 50), [n]));
        opt.applyGradients(params, grads);
        ref.step(refParams, grads.map((g) => Float64Array.from(g.data)));
        for (const g of grads) g.dispose();
      }
      params.forEach((p, i) => expect(worstError(p.data, refParams[i])).toBeLessThan(TOL));
      expect(opt.iterations).toBe(4);
      opt.dispose();
      for (const p of params) p.dispose();
    });
  }
});

describe('initializers', () => {
  const fill = (init: sn.Initializer, fanIn: number, fanOut: number) => {
    const layer = sn.layers.dense({ units: fanOut, kernelInitializer: init, seed: 77 });
    layer.build(fanIn);
    const w = Array.from(layer.kernel.data);
    layer.dispose();
    return w;
  };
  const stats = (w: number[]) => {
    const mean = w.reduce((a, b) => a + b) / w.length;
    const sd = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    return { mean, sd, min: Math.min(...w), max: Math.max(...w) };
  };
  // 200 x 100 = 20000 draws: the sample standard deviation is within 3% of sigma (about 6 standard errors).
  it('glorotUniform: U(-l, l), l = sqrt(6 / (in + out))', () => {
    const s = stats(fill(sn.initializers.glorotUniform(), 200, 100));
    const l = Math.sqrt(6 / 300);
    expect(s.min).toBeGreaterThanOrEqual(-l);
    expect(s.max).toBeLessThanOrEqual(l);
    expect(Math.abs(s.sd - l / Math.sqrt(3)) / (l / Math.sqrt(3))).toBeLessThan(0.03);
  });
  it('glorotNormal, heNormal, heUniform, randomNormal, randomUniform: spread as specified', () => {
    expect(Math.abs(stats(fill(sn.initializers.glorotNormal(), 200, 100)).sd / Math.sqrt(2 / 300) - 1)).toBeLessThan(0.03);
    expect(Math.abs(stats(fill(sn.initializers.heNormal(), 200, 100)).sd / Math.sqrt(2 / 200) - 1)).toBeLessThan(0.03);
    expect(Math.abs(stats(fill(sn.initializers.heUniform(), 200, 100)).sd / (Math.sqrt(6 / 200) / Math.sqrt(3)) - 1)).toBeLessThan(0.03);
    const n = stats(fill(sn.initializers.randomNormal({ mean: 1, stddev: 0.01 }), 200, 100));
    expect(Math.abs(n.mean - 1)).toBeLessThan(0.001);
    expect(Math.abs(n.sd / 0.01 - 1)).toBeLessThan(0.03);
    const u = stats(fill(sn.initializers.randomUniform({ min: -0.5, max: 0.5 }), 200, 100));
    expect(u.min).toBeGreaterThanOrEqual(-0.5);
    expect(u.max).toBeLessThan(0.5);
    expect(Math.abs(u.mean)).toBeLessThan(0.01);
  });
  it('zeros and ones', () => {
    expect(new Set(fill(sn.initializers.zeros(), 3, 2))).toEqual(new Set([0]));
    expect(new Set(fill(sn.initializers.ones(), 3, 2))).toEqual(new Set([1]));
  });
});

describe('hand loop vs fit', () => {
  it('the layer protocol loop and fit give bit-identical weights', async () => {
    const x = [[0, 0], [0, 1], [1, 0], [1, 1], [0.5, 0.25]];
    const y = [[0], [1], [1], [0], [1]];
    const make = () => sn.sequential([sn.layers.dense({ inputShape: [2], units: 3, activation: 'tanh' }), sn.layers.dense({ units: 1, activation: 'sigmoid' })], { seed: 12 });
    const byFit = make();
    byFit.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.05 }), loss: 'meanSquaredError' });
    await byFit.fit(x, y, { epochs: 50, batchSize: 5, shuffle: false });

    const byHand = make();
    const opt = sn.optimizers.adam({ learningRate: 0.05 });
    const xt = sn.tensor(x);
    const yt = sn.tensor(y);
    const grad = sn.zeros([5, 1]);
    for (let e = 0; e < 50; e++) {
      let h = xt;
      for (const l of byHand.layers) h = l.forward(h);
      sn.losses.meanSquaredError().compute(h, yt, grad);
      let g = grad;
      for (let i = byHand.layers.length - 1; i >= 0; i--) g = byHand.layers[i].backward(g);
      opt.applyGradients(byHand.params, byHand.grads);
    }
    const bits = (m: sn.Sequential) => m.getWeights().map((w) => Array.from(new Uint32Array(w.slice().buffer)));
    expect(bits(byHand)).toEqual(bits(byFit));
    for (const t of [xt, yt, grad]) t.dispose();
    opt.dispose();
    byFit.dispose();
    byHand.dispose();
  });
});
