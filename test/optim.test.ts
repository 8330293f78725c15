// Optimizer steps (sgd, momentum classic and Nesterov, Adam) vs float64 references over several steps; the
// fused rollback copy of the old weights and state, and the report of non-finite results.
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';
import { kernels } from '../dist/backend/wasm.js';

// The optimizers' pointer-level update (what fit calls), in the argument order of the old kernel wrappers.
function sgdStep(w: number, g: number, n: number, rows: number, lr: number, savedW = 0): boolean {
  return sn.optimizers.sgd({ learningRate: lr }).update(w, g, [], n, rows, lr, savedW === 0 ? null : [savedW]);
}
function sgdMomentumStep(w: number, g: number, v: number, n: number, rows: number, lr: number, momentum: number, nesterov: boolean, savedW = 0, savedV = 0): boolean {
  return sn.optimizers.sgd({ learningRate: lr, momentum, nesterov }).update(w, g, [v], n, rows, lr, savedW === 0 ? null : [savedW, savedV]);
}
function adamStep(w: number, g: number, m: number, v: number, n: number, rows: number, lr: number, beta1: number, beta2: number, epsilon: number, t: number, savedW = 0, savedM = 0, savedV = 0): boolean {
  const adam = sn.optimizers.adam({ learningRate: lr, beta1, beta2, epsilon });
  adam.iterations = t;
  return adam.update(w, g, [m, v], n, rows, lr, savedW === 0 ? null : [savedW, savedM, savedV]);
}
import * as ref from './reference/optim.js';
import { randomValues } from './reference/random.js';

const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 13, 17, 31, 64, 100, 1000];
const STEPS = 6;
/**
 * Weights and state near 1 after 6 steps: each f32 step rounds w, v, m (and Adam's divisions and sqrt), so
 * the drift from float64 stays within a few ulps of 1 per step: absolute 1e-6.
 */
const ATOL = 1e-6;


function expectNear(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= ATOL)) throw new Error(`${label}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

type Method = 'sgd' | 'momentum' | 'nesterov' | 'adam';
const LR = { sgd: 0.1, momentum: 0.05, nesterov: 0.05, adam: 0.01 };

/** Runs STEPS updates with fresh gradients each step, on the kernel and on the reference, and compares. */
function compare(method: Method, n: number): { w: Float32Array; m: Float32Array; v: Float32Array } {
  const w0 = randomValues(n, -1, 1, n + 1);
  const w = sn.tensor(w0, [n]);
  const m = sn.zeros([n]);
  const v = sn.zeros([n]);
  const g = sn.zeros([n]);
  const rw = Array.from(w0);
  const rm = new Array<number>(n).fill(0);
  const rv = new Array<number>(n).fill(0);
  for (let t = 1; t <= STEPS; t++) {
    const grad = randomValues(n, -2, 2, 100 * t + n);
    g.data.set(grad);
    switch (method) {
      case 'sgd':
        sgdStep(w.ptr, g.ptr, n, 1, LR.sgd);
        ref.sgd(rw, grad, Math.fround(LR.sgd));
        break;
      case 'momentum':
      case 'nesterov':
        sgdMomentumStep(w.ptr, g.ptr, v.ptr, n, 1, LR[method], 0.9, method === 'nesterov');
        ref.sgdMomentum(rw, grad, rv, Math.fround(LR[method]), Math.fround(0.9), method === 'nesterov');
        break;
      case 'adam':
        adamStep(w.ptr, g.ptr, m.ptr, v.ptr, n, 1, LR.adam, 0.9, 0.999, 1e-7, t);
        ref.adam(rw, grad, rm, rv, LR.adam, 0.9, 0.999, 1e-7, t);
        break;
    }
  }
  expectNear(w.data, rw, `${method} n=${n} w`);
  expectNear(v.data, rv, `${method} n=${n} v`);
  if (method === 'adam') expectNear(m.data, rm, `adam n=${n} m`);
  const out = { w: w.data.slice(), m: m.data.slice(), v: v.data.slice() };
  [w, m, v, g].forEach((t) => t.dispose());
  return out;
}

describe('optimizer steps vs float64 reference over 6 steps', () => {
  for (const method of ['sgd', 'momentum', 'nesterov', 'adam'] as const) {
    it(`${method} on lengths ${LENGTHS.join(',')}`, () => {
      for (const n of LENGTHS) compare(method, n);
    });
  }

  it('classic and Nesterov momentum differ, and Nesterov looks ahead by mu v - lr g', () => {
    // One step from v = 0: classic moves by -lr g, Nesterov by mu(-lr g) - lr g = -(1 + mu) lr g.
    for (const nesterov of [false, true]) {
      const w = sn.tensor([1, 1], [2]);
      const g = sn.tensor([1, -2], [2]);
      const v = sn.zeros([2]);
      kernels.sgdMomentum(w.ptr, g.ptr, v.ptr, 2, 0.5, 0.5, nesterov ? 1 : 0, 1, Infinity, 0, 0);
      expect(Array.from(w.data)).toEqual(nesterov ? [0.25, 2.5] : [0.5, 2]);
      expect(Array.from(v.data)).toEqual([-0.5, 1]);
      [w, g, v].forEach((t) => t.dispose());
    }
  });

  it('Adam\'s first step moves every weight by about lr (bias correction at t = 1)', () => {
    const w = sn.zeros([5]);
    const g = sn.tensor([3, -0.01, 100, -7, 0.5], [5]);
    const m = sn.zeros([5]);
    const v = sn.zeros([5]);
    adamStep(w.ptr, g.ptr, m.ptr, v.ptr, 5, 1, 0.001, 0.9, 0.999, 1e-8, 1);
    for (const [i, s] of [-1, 1, -1, 1, -1].entries()) expect(w.data[i]).toBeCloseTo(s * 0.001, 6);
    [w, g, m, v].forEach((t) => t.dispose());
  });

  it('each element gets the same bits wherever it sits (lanes and tail agree)', () => {
    // One step on 11 elements (8 in lanes, 3 in the tail) vs each element alone (always the tail).
    const oneStep = (method: Method, values: Float32Array[]): Float32Array[] => {
      const [w, g, m, v] = values.map((a) => sn.tensor(a, [a.length]));
      const n = w.size;
      if (method === 'sgd') sgdStep(w.ptr, g.ptr, n, 1, LR.sgd);
      else if (method === 'adam') adamStep(w.ptr, g.ptr, m.ptr, v.ptr, n, 1, LR.adam, 0.9, 0.999, 1e-7, 3);
      else sgdMomentumStep(w.ptr, g.ptr, v.ptr, n, 1, LR[method], 0.9, method === 'nesterov');
      const out = [w, m, v].map((t) => t.data.slice());
      [w, g, m, v].forEach((t) => t.dispose());
      return out;
    };
    const inputs = [randomValues(11, -1, 1, 1), randomValues(11, -2, 2, 2), randomValues(11, -1, 1, 3), randomValues(11, 0, 1, 4)];
    for (const method of ['sgd', 'momentum', 'nesterov', 'adam'] as const) {
      const all = oneStep(method, inputs);
      for (let i = 0; i < 11; i++) {
        const alone = oneStep(method, inputs.map((a) => a.slice(i, i + 1)));
        for (let k = 0; k < 3; k++) expect(alone[k][0], `${method} element ${i}`).toBe(all[k][i]);
      }
    }
  });

  it('copies the old weights and state to the saved buffers, exactly, and the update matches the unsaved one', () => {
    for (const method of ['sgd', 'momentum', 'nesterov', 'adam'] as const) {
      for (const n of [1, 3, 4, 9, 100]) {
        const inputs = [randomValues(n, -1, 1, n), randomValues(n, -2, 2, n + 1), randomValues(n, -1, 1, n + 2), randomValues(n, 0, 1, n + 3)];
        const run = (save: boolean): Float32Array[] => {
          const [w, g, m, v] = inputs.map((a) => sn.tensor(a, [n]));
          const saved = [0, 1, 2].map(() => sn.tensor(new Float32Array(n).fill(-7), [n]));
          const [sw, s0, s1] = save ? saved.map((t) => t.ptr) : [0, 0, 0];
          let finite: boolean;
          if (method === 'sgd') finite = sgdStep(w.ptr, g.ptr, n, 1, LR.sgd, sw);
          else if (method === 'adam') finite = adamStep(w.ptr, g.ptr, m.ptr, v.ptr, n, 1, LR.adam, 0.9, 0.999, 1e-7, 2, sw, s0, s1);
          else finite = sgdMomentumStep(w.ptr, g.ptr, v.ptr, n, 1, LR[method], 0.9, method === 'nesterov', sw, s0);
          expect(finite, `${method} n=${n} reports finite weights`).toBe(true);
          const out = [w, m, v, ...saved].map((t) => t.data.slice());
          [w, g, m, v, ...saved].forEach((t) => t.dispose());
          return out;
        };
        const [w, m, v, savedW, savedA, savedB] = run(true);
        const [w0, m0, v0, untouchedW, untouchedA, untouchedB] = run(false);
        expect([w, m, v], `${method} n=${n}`).toEqual([w0, m0, v0]);
        expect(savedW, `${method} n=${n} saved weights`).toEqual(inputs[0]);
        // sgd saves only w; momentum w and its velocity (slot 0); Adam w, m and v.
        const minus7 = new Float32Array(n).fill(-7);
        expect(savedA).toEqual(method === 'adam' ? inputs[2] : method === 'sgd' ? minus7 : inputs[3]);
        expect(savedB).toEqual(method === 'adam' ? inputs[3] : minus7);
        for (const untouched of [untouchedW, untouchedA, untouchedB]) expect(untouched).toEqual(minus7);
      }
    }
  });

  it('reports a NaN or infinite new weight, in the lanes and in the tail, and only then', () => {
    for (const method of ['sgd', 'momentum', 'nesterov', 'adam'] as const) {
      for (const [n, at, value] of [[9, 2, NaN], [9, 8, NaN], [8, 5, Infinity], [3, 0, -Infinity], [1, 0, 3e38]] as const) {
        const w = sn.tensor(randomValues(n, -1, 1, 5), [n]);
        const g = sn.tensor(randomValues(n, -1, 1, 6), [n]);
        const m = sn.zeros([n]);
        const v = sn.zeros([n]);
        // 3e38: finite weight and gradient whose update overflows float32 (lr 10: 10 * 3e38 is already Inf;
        // Adam's lr 1e38 moves w by about 1e38 past 3.4e38). The other entries stay finite.
        if (value === 3e38) {
          w.data[at] = 3e38;
          g.data[at] = -3e38;
        } else {
          g.data[at] = value;
        }
        const lr = method === 'sgd' ? 10 : method === 'adam' ? 1e38 : 10;
        const finite = method === 'sgd' ? sgdStep(w.ptr, g.ptr, n, 1, lr)
          : method === 'adam' ? adamStep(w.ptr, g.ptr, m.ptr, v.ptr, n, 1, lr, 0.9, 0.999, 1e-7, 1)
          : sgdMomentumStep(w.ptr, g.ptr, v.ptr, n, 1, lr, 0.9, method === 'nesterov');
        const bad = Array.from(w.data).findIndex((x) => !Number.isFinite(x));
        expect(bad, `${method} n=${n} value ${value}`).toBe(at);
        expect(finite, `${method} n=${n} value ${value}`).toBe(false);
        [w, g, m, v].forEach((t) => t.dispose());
      }
    }
  });

  it('a NaN gradient gives a NaN weight at that place only', () => {
    const w = sn.tensor(randomValues(9, -1, 1, 3), [9]);
    const g = sn.tensor(randomValues(9, -1, 1, 4), [9]);
    g.data[6] = NaN;
    const m = sn.zeros([9]);
    const v = sn.zeros([9]);
    adamStep(w.ptr, g.ptr, m.ptr, v.ptr, 9, 1, 0.01, 0.9, 0.999, 1e-7, 1);
    expect(Array.from(w.data, Number.isNaN)).toEqual([false, false, false, false, false, false, true, false, false]);
    [w, g, m, v].forEach((t) => t.dispose());
  });
});
