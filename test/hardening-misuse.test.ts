// Issue 15, class 3: misuse during training is an error, never corruption. A property test drives random
// sequences of the misuses a careless user commits (from fit's callbacks and between fits) and checks:
// no wasm trap, every refusal a clear Error, no tensor changed that the call did not own, the model's
// weights finite, and sn.memory() back to its baseline once everything is disposed. Also: predict whose
// work buffers cannot be allocated leaks nothing, and the debug mode that catches writes through a
// .data view kept past dispose().
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as sn from '../dist/index.js';
import { recorder } from './hardening/record.js';
import { SEED } from './hardening/values.js';

const record = recorder('hardening-misuse');
const GROUP = 'Misuse during training';

const MISUSES = [
  'compile a new optimizer', 'dispose the optimizer', 'add a layer', 'dispose the model', 'dispose a layer of the model',
  'dispose x', 'dispose y', 'dispose validation x', 'add a layer of the model to another model', 'add the same layer twice',
  "feed a layer its own output", 'a duplicate layer name', 'predict', 'evaluate', 'set the learning rate', 'build the model', 'start a second fit',
] as const;
type Misuse = (typeof MISUSES)[number];

/** A checksum that sees every bit of a tensor's values. */
function checksum(t: sn.Tensor): number {
  const bits = new Uint32Array(t.data.buffer, t.data.byteOffset, t.size);
  let h = 0x811c9dc5;
  for (const b of bits) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

let baseline: { tensors: number; bytes: number };
beforeEach(() => {
  baseline = sn.memory();
});
afterEach(() => {
  expect(sn.memory()).toEqual(baseline);
});

describe('misuse during training (issue 15, class 3)', () => {
  it('random sequences of misuses from callbacks and between fits: clear errors, no trap, no foreign tensor changed, memory back to baseline', async () => {
    const step = fc.record({ misuse: fc.constantFrom(...MISUSES), batch: fc.integer({ min: 0, max: 3 }), inCallback: fc.boolean() });
    await record.checkAsync('misuse-sequences', GROUP, 'random sequences of 1-6 misuses (compile, add, build, dispose of model/layer/optimizer/x/y/validation, a layer in two models or twice, a layer fed its own output, duplicate names, a second fit) from onBatchEnd or between fits', fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
      const before = sn.memory();
      const x = sn.tensor([[0, 0], [0, 1], [1, 0], [1, 1], [0.5, 0.5], [0.2, 0.8], [0.9, 0.1], [0.3, 0.3]]);
      const y = sn.tensor([[0], [1], [1], [0], [1], [0], [1], [0]]);
      const vx = sn.tensor([[0.1, 0.9], [0.9, 0.9]]);
      const vy = sn.tensor([[1], [0]]);
      const spare = sn.layers.dense({ units: 1, name: 'spare' });
      const other = sn.sequential([sn.layers.dense({ inputShape: [1], units: 1 })]);
      const model = sn.sequential([sn.layers.dense({ inputShape: [2], units: 4, activation: 'tanh' }), sn.layers.dense({ units: 1, activation: 'sigmoid' })], { seed: 3 });
      model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.3, momentum: 0.5 }), loss: 'binaryCrossentropy' });
      const userTensors = { x, y, vx, vy };
      const sums = new Map(Object.entries(userTensors).map(([k, t]) => [k, checksum(t)]));
      const refused: Error[] = [];
      const made: sn.Tensor[] = [];
      const free: sn.Layer[] = [spare];
      const background: Promise<unknown>[] = [];

      const attempt = (misuse: Misuse): void => {
        try {
          switch (misuse) {
            case 'compile a new optimizer': model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' }); break;
            case 'dispose the optimizer': model.optimizer?.dispose(); break;
            case 'add a layer': model.add(sn.layers.dense({ units: 1 })); break;
            case 'dispose the model': model.dispose(); break;
            case 'dispose a layer of the model': model.layers[0].dispose(); break;
            case 'dispose x': x.dispose(); break;
            case 'dispose y': y.dispose(); break;
            case 'dispose validation x': vx.dispose(); break;
            case 'add a layer of the model to another model': other.add(model.layers[1]); break;
            case 'add the same layer twice': { const d = sn.layers.dense({ units: 1 }); free.push(d); sn.sequential([d, d]); break; }
            case 'feed a layer its own output': { const out = spare.forward(x); spare.forward(out); break; }
            case 'a duplicate layer name': { const a = sn.layers.dense({ inputShape: [2], units: 1, name: 'twin' }); const b = sn.layers.dense({ units: 1, name: 'twin' }); free.push(a, b); sn.sequential([a, b]); break; }
            case 'predict': made.push(model.predict(vx)); break;
            case 'evaluate': model.evaluate(vx, vy); break;
            case 'set the learning rate': model.optimizer!.learningRate = 0.1; break;
            case 'build the model': model.build([2]); break;
            case 'start a second fit': background.push(model.fit(x, y).catch((e: Error) => refused.push(e))); break;
          }
        } catch (e) {
          if (!(e instanceof Error) || e instanceof WebAssembly.RuntimeError || e.message === '') throw new Error(`${misuse}: not a clear error: ${String(e)}`);
          refused.push(e);
        }
      };

      for (let round = 0; round < 2; round++) {
        const inCallback = steps.filter((s) => s.inCallback);
        try {
          await model.fit(x, y, {
            epochs: 2, batchSize: 2, seed: 1, validationData: [vx, vy],
            callbacks: { onBatchEnd: (b) => { for (const s of inCallback) if (s.batch === b) attempt(s.misuse); } },
          });
        } catch (e) {
          // fit may stop only because a tensor it was given was disposed, or the model was disposed before it.
          if (!(e instanceof Error) || !/disposed/.test(e.message)) throw new Error(`fit failed unclearly: ${String(e)}`);
        }
        for (const s of steps.filter((st) => !st.inCallback)) attempt(s.misuse);
        // A fit started between fits is a real one: it runs to its end (or a clear error) before the next round.
        await Promise.all(background.splice(0));
      }
      for (const e of refused) expect(e.message.length).toBeGreaterThan(10);
      // Tensors the misuses did not dispose are bit for bit as they were: nothing wrote through a stale pointer.
      for (const [k, t] of Object.entries(userTensors)) if (!t.disposed) expect(checksum(t), k).toBe(sums.get(k));
      if (!model.disposed) expect(model.getWeights().every((w) => w.every(Number.isFinite))).toBe(true);
      for (const t of [x, y, vx, vy, ...made]) t.dispose();
      model.dispose();
      other.dispose();
      for (const layer of free) if (layer.owner === null) layer.dispose();
      expect(sn.memory()).toEqual(before);
    }), { seed: SEED, numRuns: 60, endOnFailure: true });
  });

  it('predict whose work buffers cannot be allocated throws a RangeError and leaks nothing', () => {
    // 1,100 rows of a million outputs: the plan's output block would be 4.4 GB, past wasm32's 4 GiB.
    const model = sn.sequential([sn.layers.dense({ inputShape: [4], units: 1_000_000, kernelInitializer: 'zeros' })], { seed: 1 });
    const x = sn.zeros([1100, 4]);
    const before = sn.memory();
    expect(() => model.predict(x, { batchSize: 2048 })).toThrow(RangeError);
    expect(sn.memory()).toEqual(before);
    x.dispose();
    model.dispose();
    record.add('predict-alloc-failure', GROUP, 'predict whose work buffers cannot be allocated: RangeError, no tensor leaked', 1);
  });

  it('debug mode: a .data view kept past dispose() reads NaN, and writing through it is reported', () => {
    sn.setDebugMemory(true);
    try {
      const t = sn.tensor([1, 2, 3, 4]);
      const view = t.data;
      t.dispose();
      expect(Number.isNaN(view[0])).toBe(true);
      // A new tensor does not get the freed block while it is held back, so the stale write harms nothing...
      const other = sn.tensor([5, 6, 7, 8]);
      view[1] = 42;
      expect(Array.from(other.data)).toEqual([5, 6, 7, 8]);
      // ...and the write is found.
      expect(() => sn.checkFreedMemory()).toThrow(/memory freed by dispose\(\) was written afterwards \(a Float32Array from t.data kept past t.dispose\(\)\?\): 64 bytes at offset \d+/);
      expect(() => sn.checkFreedMemory()).not.toThrow();
      other.dispose();
    } finally {
      sn.setDebugMemory(false);
    }
    record.add('stale-view-debug', GROUP, 'debug mode: a view kept past dispose() reads NaN; a write through it lands in held-back memory and is reported', 1);
  });
});
