// The perceptron learning rule: converges on AND and OR, reports no convergence on XOR.
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';

const x = [[0, 0], [0, 1], [1, 0], [1, 1]];

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
    let w = [0, 0];
    let b = 0;
    let epochs = 0;
    for (; epochs < 50; epochs++) {
      let mistakes = 0;
      x.forEach((xi, i) => {
        const out = w[0] * xi[0] + w[1] * xi[1] + b > 0 ? 1 : 0;
        const e = y[i] - out;
        if (e !== 0) mistakes++;
        w = [w[0] + 0.25 * e * xi[0], w[1] + 0.25 * e * xi[1]];
        b += 0.25 * e;
      });
      if (mistakes === 0) break;
    }
    expect(r.epochs).toBe(epochs + 1);
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
