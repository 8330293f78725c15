// Runs every example as a user would (`node examples/<name>.mjs`, importing 'simdnet' through the
// package's self-reference) with its fixed seeds, and checks the tutorials' results.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function run(name: string, ...args: string[]): any {
  const out = execFileSync(process.execPath, [`examples/${name}.mjs`, '--json', ...args], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

/** The example wrote its decision-boundary SVG: the four points with their labels, over shaded regions. */
function expectBoundaryPlot(file: string, labels: number[]): void {
  const svg = readFileSync(file, 'utf8');
  expect(svg.startsWith('<svg') || svg.startsWith('<?xml')).toBe(true);
  const points = [...svg.matchAll(/<circle class="point" data-label="(\d+)"/g)].map((m) => Number(m[1]));
  expect(points).toEqual(labels);
}

describe('examples', () => {
  it('or-gate: the cost falls and all four points are classified right', () => {
    const r = run('or-gate');
    expect(r.finalCost).toBeLessThan(r.firstCost / 10);
    expect(r.accuracy).toBe(1);
    r.outputs.forEach((p: number, i: number) => expect(p > 0.5).toBe(i > 0));
    expectBoundaryPlot(r.plotFile, [0, 1, 1, 1]);
  });

  it('losses-metrics: mse regression fits exactly, huber is half the mse inside delta, fromLogits classifier >= 90% held out', () => {
    const r = run('losses-metrics');
    expect(r.mse).toBeLessThan(1e-6);
    expect(r.mae).toBeLessThan(1e-3);
    expect(Math.abs(r.huber - r.huberMse / 2)).toBeLessThanOrEqual(1e-6 * r.huberMse + 1e-30);
    expect(r.valAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(r.valTopK).toBeGreaterThanOrEqual(r.valAccuracy);
  });

  it('xor: 2-3-1 sigmoid, lr 1, full batch, 5000 epochs: 100% and cost < 0.001', () => {
    const r = run('xor');
    expect(r.accuracy).toBe(1);
    expect(r.cost).toBeLessThan(0.001);
    expectBoundaryPlot(r.plotFile, [0, 1, 1, 0]);
  });

  it('hand-loop-xor: the layer protocol by hand reproduces xor bit for bit', () => {
    const hand = run('hand-loop-xor');
    const fit = run('xor');
    expect(hand.accuracy).toBe(1);
    expect(hand.cost).toBeLessThan(0.001);
    expect(hand.weights).toEqual(fit.weights);
    expect(hand.outputs).toEqual(fit.outputs);
  });

  it('xor-feature-cross: x1 * x2 makes XOR separable for one neuron: 100%', () => {
    const r = run('xor-feature-cross');
    expect(r.accuracy).toBe(1);
  });

  it('toy-3-4-1: outputs within 0.1 of 0, 1, 1, 0 after 1000 iterations', () => {
    const r = run('toy-3-4-1');
    expect(r.maxError).toBeLessThan(0.1);
  });

  it('perceptron-watch: AND and OR converge, XOR cycles; every step traced; the pictures are written', () => {
    const r = run('perceptron-watch');
    for (const gate of ['AND', 'OR']) {
      expect(r[gate].converged).toBe(true);
      expect(r[gate].errors.at(-1)).toBe(0);
      expect(r[gate].steps).toBe(4 * r[gate].epochs);
    }
    expect(r.AND.predictions).toEqual([0, 0, 0, 1]);
    expect(r.OR.predictions).toEqual([-1, 1, 1, 1]);
    expect(r.OR.start).not.toEqual({ weights: [0, 0], bias: 0 });
    expect(r.XOR.converged).toBe(false);
    expect(r.XOR.cycle.to).toBeGreaterThan(r.XOR.cycle.from);
    expect(Math.min(...r.XOR.errors)).toBeGreaterThan(0);
    for (const gate of ['AND', 'OR', 'XOR']) {
      const [hyperplane, boundary] = r[gate].files.map((f: string) => readFileSync(f, 'utf8'));
      expect(hyperplane).toContain('class="weight-vector"');
      expect(boundary).toContain('class="boundary"');
    }
  });

  it('tensor-math: the tour\'s values, and XOR by hand with the ops only: cost < 0.001, all four right', () => {
    const r = run('tensor-math');
    expect(r.tour.shifted).toEqual([[11, 18, 33], [14, 25, 24]]);
    expect(r.tour.colSums).toEqual([5, 3, -3]);
    expect(r.tour.classes).toEqual([2, 1]);
    expect(r.tour.hot).toEqual([[0, 0, 1], [0, 1, 0]]);
    expect(r.tour.xT).toEqual([[1, 4], [-2, 5], [3, -6]]);
    expect(r.tour.d).toBe(32);
    expect(r.cost).toBeLessThan(0.001);
    expect(r.predicted).toEqual([0, 1, 1, 0]);
    // README.md shows this example's code: each of its "Tensor math" blocks is in the file, line for line.
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const section = readme.slice(readme.indexOf('### Tensor math'), readme.indexOf('## Training API'));
    const blocks = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toHaveLength(2);
    const source = readFileSync(`${root}examples/tensor-math.mjs`, 'utf8');
    for (const block of blocks) expect(source).toContain(block);
  });

  it('perceptron: converges on AND and OR, not on XOR', () => {
    const r = run('perceptron');
    expect(r.AND.converged).toBe(true);
    expect(r.AND.predictions).toEqual([0, 0, 0, 1]);
    expect(r.OR.converged).toBe(true);
    expect(r.OR.predictions).toEqual([0, 1, 1, 1]);
    expect(r.XOR.converged).toBe(false);
  });

  it('mnist: 784-10-10 ReLU/softmax, U(-0.5, 0.5), batch 64, SGD 0.1: >= 85% on 2000 held-out digits', () => {
    const r = run('mnist');
    expect(r.trainImages + r.testImages).toBe(10000);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.85);
  });
});
