// Ownership rules of the model core: what a careless user can do to a model, its layers, its optimizer and
// the tensors given to fit, from fit's callbacks and outside them. Each misuse is a clear error that names
// the object and the rule, never corruption: the weights stay finite and correct, and sn.memory() returns
// to its baseline afterwards.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';

const X = [[0, 0], [0, 1], [1, 0], [1, 1], [0.5, 0.2], [0.3, 0.9], [0.8, 0.1], [0.1, 0.4]];
const Y = [[0], [1], [1], [0], [1], [0], [1], [0]];

function makeModel(seed = 1): sn.Sequential {
  const m = sn.sequential([sn.layers.dense({ inputShape: [2], units: 4, activation: 'tanh' }), sn.layers.dense({ units: 1, activation: 'sigmoid' })], { seed });
  m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.5 }), loss: 'binaryCrossentropy' });
  return m;
}

const finite = (m: sn.Sequential): boolean => m.getWeights().every((w) => w.every(Number.isFinite));

let baseline: { tensors: number; bytes: number };
beforeEach(() => {
  baseline = sn.memory();
});
afterEach(() => {
  expect(sn.memory()).toEqual(baseline);
});

describe('while fit runs, the model, its optimizer and its layers are locked', () => {
  const misuses: [string, (m: sn.Sequential) => void, RegExp][] = [
    ['compile with a new optimizer', (m) => m.compile({ optimizer: sn.optimizers.adam(), loss: 'binaryCrossentropy' }), /compile is not allowed while fit runs/],
    ['dispose the optimizer', (m) => m.optimizer!.dispose(), /optimizer sgd is in use by a running fit/],
    ['add a layer', (m) => m.add(sn.layers.dense({ units: 2 })), /add is not allowed while fit runs/],
    ['dispose the model', (m) => m.dispose(), /dispose is not allowed while fit runs/],
    ['dispose a layer of the model', (m) => m.layers[0].dispose(), /belongs to model 'sequential\S*': dispose the model/],
    ['build the model again', (m) => m.build([2]), /build is not allowed while fit runs/],
    ['freeze a layer', (m) => { m.layers[0].trainable = false; }, /trainable cannot change while fit runs; set it before fit or after it resolves/],
    ['start a second fit', (m) => void m.fit(X, Y).catch(() => undefined), /./],
  ];
  for (const [name, misuse, message] of misuses) {
    for (const hook of ['onEpochEnd', 'onBatchEnd'] as const) {
      it(`${name} from ${hook}: a clear error, and fit trains on as if nothing happened`, async () => {
        const m = makeModel();
        const reference = makeModel();
        let caught: unknown = null;
        const history = await m.fit(X, Y, {
          epochs: 3, batchSize: 4, seed: 3,
          callbacks: { [hook]: () => { try { misuse(m); } catch (e) { caught ??= e; } } },
        });
        await reference.fit(X, Y, { epochs: 3, batchSize: 4, seed: 3 });
        if (name === 'start a second fit') {
          // A second fit's promise rejects (it does not throw): the first trains on unchanged.
          await expect(m.fit(X, Y)).resolves.toBeDefined();
        } else {
          expect(caught, name).toBeInstanceOf(Error);
          expect((caught as Error).message).toMatch(message);
        }
        expect(history.history.loss).toHaveLength(3);
        expect(finite(m)).toBe(true);
        if (name !== 'start a second fit') expect(m.getWeights()).toEqual(reference.getWeights());
        m.dispose();
        reference.dispose();
      });
    }
  }

  it('a second fit started while one runs rejects, naming the rule', async () => {
    const m = makeModel();
    const first = m.fit(X, Y, { epochs: 2 });
    await expect(m.fit(X, Y)).rejects.toThrow(/fit is already running on this model/);
    await first;
    m.dispose();
  });

  it('the learning rate can be changed from a callback; the next epoch uses it', async () => {
    const m = makeModel();
    const history = await m.fit(X, Y, { epochs: 3, callbacks: { onEpochEnd: (epoch) => { m.optimizer!.learningRate = 0.1 * (epoch + 2); } } });
    expect(history.history.learningRate).toEqual([0.5, 0.2, 0.30000000000000004]);
    expect(() => { m.optimizer!.learningRate = -1; }).toThrow(/learningRate must be a finite number > 0, got -1/);
    m.dispose();
  });

  it('predict, evaluate and getWeights work from a callback (they change nothing fit uses)', async () => {
    const m = makeModel();
    const seen: number[] = [];
    await m.fit(X, Y, { epochs: 2, callbacks: { onEpochEnd: () => {
      const p = m.predict(X);
      seen.push(p.data[0], m.evaluate(X, Y).loss, m.getWeights().length);
      p.dispose();
    } } });
    expect(seen).toHaveLength(6);
    expect(seen.every(Number.isFinite)).toBe(true);
    m.dispose();
  });

  it('after fit resolves, compile and dispose work again', async () => {
    const m = makeModel();
    await m.fit(X, Y, { epochs: 1 });
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    await m.fit(X, Y, { epochs: 1 });
    m.dispose();
    expect(() => m.predict(X)).toThrow(/the model was disposed/);
  });
});

describe('tensors given to fit are checked at every batch', () => {
  for (const which of ['x', 'y', 'validation x', 'validation y'] as const) {
    it(`${which} disposed mid-fit stops fit with an error naming it`, async () => {
      const m = makeModel();
      const before = m.getWeights();
      const x = sn.tensor(X);
      const y = sn.tensor(Y);
      const vx = sn.tensor(X);
      const vy = sn.tensor(Y);
      const victim = { x, y, 'validation x': vx, 'validation y': vy }[which];
      let batches = 0;
      const run = m.fit(x, y, {
        epochs: 3, batchSize: 2, validationData: [vx, vy],
        callbacks: { onBatchEnd: () => { if (++batches === 2) victim.dispose(); } },
      });
      await expect(run).rejects.toThrow(new RegExp(`tensor given to fit \\(Tensor \\[8, ${which.endsWith('x') ? 2 : 1}\\] \\(disposed\\)\\) was disposed during training`));
      expect(finite(m)).toBe(true);
      expect(m.getWeights()).not.toEqual(before); // the batches before the disposal trained
      for (const t of [x, y, vx, vy]) t.dispose();
      m.dispose();
    });
  }
});

describe('a layer belongs to one model', () => {
  it('the same layer twice in one model is refused, and the layer stays usable', () => {
    const d = sn.layers.dense({ inputShape: [2], units: 2 });
    expect(() => sn.sequential([d, d])).toThrow(/is already in this model: a layer object can appear once/);
    const m = sn.sequential([d]);
    expect(() => m.add(d)).toThrow(/is already in this model/);
    m.dispose();
  });

  it('a layer of one model is refused by a second, with the first left intact', () => {
    const d = sn.layers.dense({ inputShape: [2], units: 1, seed: 4 });
    const first = sn.sequential([d]);
    const weights = first.getWeights();
    expect(() => sn.sequential([d])).toThrow(/belongs to model 'sequential\S*': a layer belongs to one model/);
    const other = sn.sequential([sn.layers.dense({ inputShape: [2], units: 1 })]);
    expect(() => other.add(d)).toThrow(/a layer belongs to one model/);
    expect(first.getWeights()).toEqual(weights); // not re-initialized
    other.dispose();
    first.dispose();
  });

  it('layer names are unique within a model, checked when the layer is added', () => {
    const a = sn.layers.dense({ inputShape: [2], units: 2, name: 'h' });
    const b = sn.layers.dense({ units: 1, name: 'h' });
    expect(() => sn.sequential([a, b])).toThrow(/a layer named 'h' is already in this model; layer names must be unique within a model/);
    // The failed model released its layers: they are the caller's again.
    const m = sn.sequential([a]);
    m.dispose();
    b.dispose();
  });

  it("a layer's forward refuses its own output (or gradient) as input", () => {
    const d = sn.layers.dense({ inputShape: [2], units: 2, seed: 1 });
    const x = sn.tensor([[1, 2]]);
    const y = d.forward(x);
    expect(() => d.forward(y)).toThrow(/the input is this layer's own output tensor, which the call overwrites; copy it first/);
    const dy = sn.tensor([[1, 1]]);
    const dx = d.backward(dy);
    expect(() => d.forward(dx)).toThrow(/own gradient tensor/);
    for (const t of [x, dy]) t.dispose();
    d.dispose();
  });
});
