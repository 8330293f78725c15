// The perceptron learning rule: converges on AND and OR, reports no convergence on XOR.
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';

const x = [[0, 0], [0, 1], [1, 0], [1, 1]];

/**
 * The perceptron rule in float64 from zero weights, over x in order until an epoch without mistakes (at
 * most 50): 0/1 labels w += eta (y - step(w.x + b)) x; -1/+1 labels w += eta y x on a mistake.
 */
function replay(y: number[], eta: number, signed: boolean): { w: number[]; b: number; epochs: number } {
  let w = [0, 0];
  let b = 0;
  for (let epoch = 1; epoch <= 50; epoch++) {
    let mistakes = 0;
    x.forEach((xi, i) => {
      const z = w[0] * xi[0] + w[1] * xi[1] + b;
      const out = z > 0 ? 1 : signed ? -1 : 0;
      if (out === y[i]) return;
      mistakes++;
      const delta = eta * (signed ? y[i] : y[i] - out);
      w = [w[0] + delta * xi[0], w[1] + delta * xi[1]];
      b += delta;
    });
    if (mistakes === 0) return { w, b, epochs: epoch };
  }
  return { w, b, epochs: 50 };
}

describe('perceptron', () => {
  it('converges on AND and OR and then classifies every point', () => {
    for (const y of [[0, 0, 0, 1], [0, 1, 1, 1]]) {
      const p = sn.perceptron({ inputs: 2, learningRate: 0.1 });
      const r = p.train(x, y, { maxEpochs: 50 });
      expect(r.converged).toBe(true);
      expect(r.errors.at(-1)).toBe(0);
      expect(r.errors.length).toBe(r.epochs);
      expect(p.predict(x)).toEqual(y);
      p.dispose();
    }
  });

  it('follows the rule w += eta (y - step(w.x + b)) x step by step (float64 replay)', () => {
    const p = sn.perceptron({ inputs: 2, learningRate: 0.25 });
    const y = [0, 0, 0, 1];
    const r = p.train(x, y, { maxEpochs: 50 });
    const { w, b, epochs } = replay(y, 0.25, false);
    expect(r.epochs).toBe(epochs);
    expect(Array.from(p.weights.data)).toEqual(w);
    expect(p.bias.data[0]).toBe(b);
    p.dispose();
  });

  it('reports that XOR did not converge after maxEpochs, without throwing', () => {
    const p = sn.perceptron({ inputs: 2 });
    const r = p.train(x, [0, 1, 1, 0], { maxEpochs: 25 });
    expect(r.converged).toBe(false);
    expect(r.epochs).toBe(25);
    expect(r.errors.length).toBe(25);
    expect(Math.min(...r.errors)).toBeGreaterThan(0);
    p.dispose();
  });

  it('rejects bad input with clear errors and frees what it allocated', () => {
    const before = sn.memory();
    const p = sn.perceptron({ inputs: 2 });
    expect(() => p.train(x, [0, 1, 2, 0])).toThrow(/y row 2 is 2: perceptron labels must be 0 or 1/);
    expect(() => p.train(x, [0, 1, 1])).toThrow(/x has 4 rows but y has 3/);
    expect(() => p.train([[1, 2, 3]], [1])).toThrow(/expected 2 values per row/);
    expect(() => p.train(x, [0, 0, 0, 1], { maxEpochs: 0 })).toThrow(/maxEpochs must be an integer >= 1/);
    expect(() => sn.perceptron({ inputs: 2, learningRate: 0 })).toThrow(/learningRate must be a finite number > 0/);
    expect(Array.from(p.weights.data)).toEqual([0, 0]);
    p.dispose();
    expect(sn.memory()).toEqual(before);
  });
});

describe('the perceptron you can watch', () => {
  it('-1/+1 labels: the rule w += eta y x on a mistake (float64 replay), predictions in -1/+1', () => {
    const y = [-1, -1, -1, 1];
    const p = sn.perceptron({ inputs: 2, learningRate: 0.5, labels: '-1/+1' });
    const r = p.train(x, y, { maxEpochs: 50 });
    const { w, b, epochs } = replay(y, 0.5, true);
    expect(r.converged).toBe(true);
    expect(r.epochs).toBe(epochs);
    expect(p.state()).toEqual({ weights: w, bias: b });
    expect(p.predict(x)).toEqual(y);
    expect(() => sn.perceptron({ inputs: 2 }).train(x, y)).toThrow(/y row 0 is -1: perceptron labels must be 0 or 1 \(create it with labels: '-1\/\+1'/);
    expect(() => p.train(x, [0, 0, 0, 1])).toThrow(/y row 0 is 0: perceptron labels must be -1 or 1/);
    p.dispose();
  });

  it('starts from zeros, from seeded U(-0.5, 0.5) weights (same seed, same weights) or from given ones', () => {
    const a = sn.perceptron({ inputs: 3, init: 'random', seed: 7 });
    const b = sn.perceptron({ inputs: 3, init: 'random', seed: 7 });
    const c = sn.perceptron({ inputs: 3, init: 'random', seed: 8 });
    expect(a.state()).toEqual(b.state());
    expect(a.state()).not.toEqual(c.state());
    for (const v of [...a.state().weights, a.state().bias]) expect(Math.abs(v)).toBeLessThanOrEqual(0.5);
    expect(new Set([...a.state().weights, a.state().bias]).size).toBe(4);
    const given = sn.perceptron({ inputs: 2, init: { weights: [0.25, -0.5], bias: 0.125 } });
    expect(given.state()).toEqual({ weights: [0.25, -0.5], bias: 0.125 });
    expect(() => sn.perceptron({ inputs: 2, init: { weights: [1], bias: 0 } })).toThrow(/init.weights must be 2 numbers, got 1/);
    expect(() => sn.perceptron({ inputs: 2, init: { weights: [1, NaN], bias: 0 } })).toThrow(/init.weights\[1\] = NaN/);
    expect(() => sn.perceptron({ inputs: 2, init: 'ones' as never })).toThrow(/init must be 'zeros', 'random' or \{ weights, bias \}/);
    expect(() => sn.perceptron({ inputs: 2, labels: '+-1' as never })).toThrow(/labels must be '0\/1' or '-1\/\+1'/);
    expect(() => sn.perceptron({ inputs: 2, lr: 1 } as never)).toThrow(/perceptron: unknown option 'lr'/);
    for (const p of [a, b, c, given]) p.dispose();
  });

  it('traces every step (epoch, sample, prediction, error, w and b after it), by callback and in the result', () => {
    const before = sn.memory();
    const p = sn.perceptron({ inputs: 2, learningRate: 0.1, init: 'random', seed: 1 });
    const start = p.state();
    const seen: sn.PerceptronStep[] = [];
    const r = p.train(x, [0, 1, 1, 1], { maxEpochs: 40, trace: true, onStep: (s) => seen.push(s) });
    expect(r.trace).toEqual(seen);
    expect(seen).toHaveLength(r.epochs * 4);
    // Replay the trace: each step's weights follow from the previous ones by the rule (in float32).
    let w = start.weights;
    let b = start.bias;
    for (const s of seen) {
      const xi = x[s.sample];
      const z = Math.fround(Math.fround(w[0] * xi[0]) + Math.fround(w[1] * xi[1]));
      expect(s.prediction).toBe(Math.fround(z + b) > 0 ? 1 : 0);
      expect(s.error).toBe([0, 1, 1, 1][s.sample] - s.prediction);
      const eta = Math.fround(-0.1 * s.error);
      if (s.error !== 0) {
        w = [Math.fround(w[0] - Math.fround(eta * xi[0])), Math.fround(w[1] - Math.fround(eta * xi[1]))];
        b = Math.fround(b - eta);
      }
      expect(s.weights).toEqual(w);
      expect(s.bias).toBe(b);
    }
    expect(r.epochEnds).toHaveLength(r.epochs);
    expect(r.epochEnds.at(-1)).toEqual(p.state());
    expect(r.epochEnds.map((_, e) => seen[e * 4 + 3])).toEqual(r.epochEnds.map((s) => expect.objectContaining(s)));
    expect(p.train(x, [0, 1, 1, 1]).trace).toBeUndefined();
    expect(() => p.train(x, [0, 1, 1, 1], { epochs: 3 } as never)).toThrow(/train: unknown option 'epochs'/);
    p.dispose();
    expect(sn.memory()).toEqual(before);
  });

  it('XOR cycles: an epoch ends where an earlier one ended', () => {
    const p = sn.perceptron({ inputs: 2, learningRate: 0.1 });
    const r = p.train(x, [0, 1, 1, 0], { maxEpochs: 20 });
    const ends = r.epochEnds.map((e) => JSON.stringify(e));
    expect(new Set(ends).size).toBeLessThan(ends.length);
    p.dispose();
  });

  it('predict gives a [n, 1] tensor for a tensor, so decisionBoundary and hyperplane take the perceptron as it is', () => {
    const before = sn.memory();
    const p = sn.perceptron({ inputs: 2, labels: '-1/+1' });
    p.train(x, [-1, 1, 1, 1]);
    const xt = sn.tensor(x);
    const out = p.predict(xt);
    expect(out.shape).toEqual([4, 1]);
    expect(Array.from(out.data)).toEqual([-1, 1, 1, 1]);
    const boundary = sn.plot.decisionBoundary(p, x, [-1, 1, 1, 1], { resolution: 20 });
    expect(boundary).toContain('class="boundary"');
    expect([...boundary.matchAll(/class="point" data-label="(-?\d)"/g)].map((m) => m[1])).toEqual(['-1', '1', '1', '1']);
    const picture = sn.plot.hyperplane(p, x, [-1, 1, 1, 1]);
    expect(picture).toContain('wrong side (0)');
    for (const t of [xt, out]) t.dispose();
    p.dispose();
    expect(sn.memory()).toEqual(before);
  });
});
