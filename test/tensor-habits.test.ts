// TensorFlow.js habits on Tensor: dataSync, arraySync, array, reshape, clone, Symbol.dispose, tidy and keep,
// checked against the real @tensorflow/tfjs where it has the same call.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import * as sn from '../dist/index.js';

describe('Tensor: tfjs-style reads', () => {
  it('dataSync is a copy (writing it leaves the tensor), data is the live view', () => {
    const t = sn.tensor([[1, 2], [3, 4]]);
    const copy = t.dataSync();
    expect(copy).toBeInstanceOf(Float32Array);
    expect(Array.from(copy)).toEqual(Array.from(tf.tensor([[1, 2], [3, 4]]).dataSync()));
    copy[0] = 99;
    expect(t.data[0]).toBe(1);
    t.data[1] = 7;
    expect(copy[1]).toBe(2);
    t.dispose();
  });

  it('arraySync and array() give the nested values, as tfjs', async () => {
    const values = [[[1, 2, 3]], [[4, 5, 6]]];
    const t = sn.tensor(values);
    const ref = tf.tensor(values);
    expect(t.arraySync()).toEqual(ref.arraySync());
    const p = t.array();
    expect(p).toBeInstanceOf(Promise);
    expect(await p).toEqual(await ref.array());
    expect(sn.tensor(3).arraySync()).toBe(3);
    t.dispose();
    await expect(t.array()).rejects.toThrow(/disposed/);
    ref.dispose();
  });
});

describe('Tensor.reshape and clone', () => {
  it('reshape gives the same values in the new shape as tfjs, including an inferred -1', () => {
    const flat = Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);
    const t = sn.tensor(flat, [24]);
    for (const shape of [[2, 3, 4], [4, -1], [-1], [1, 24, 1], [-1, 2, 2]]) {
      const r = t.reshape(shape);
      const ref = tf.tensor(flat).reshape(shape);
      expect(r.shape).toEqual(ref.shape);
      expect(r.arraySync()).toEqual(ref.arraySync());
      r.dispose();
      ref.dispose();
    }
    t.dispose();
  });

  it('reshape returns a tensor that owns a copy: each is disposed on its own', () => {
    const t = sn.tensor([1, 2, 3, 4], [4]);
    const before = sn.memory().tensors;
    const r = t.reshape([2, 2]);
    expect(sn.memory().tensors).toBe(before + 1);
    r.data[0] = 42;
    expect(t.data[0]).toBe(1);
    t.dispose();
    expect(r.toArray()).toEqual([[42, 2], [3, 4]]);
    r.dispose();
    expect(sn.memory().tensors).toBe(before - 1);
  });

  it('reshape refuses a shape with another element count or two -1, naming both shapes', () => {
    const t = sn.tensor([1, 2, 3, 4, 5, 6], [6]);
    expect(() => t.reshape([4, 2])).toThrow(/cannot reshape \[6\] \(6 elements\) to \[4, 2\]/);
    expect(() => t.reshape([4, -1])).toThrow(/cannot reshape/);
    expect(() => t.reshape([-1, -1])).toThrow(/more than one -1/);
    expect(() => t.reshape([2.5, 2])).toThrow(/whole number/);
    t.dispose();
    expect(() => t.reshape([6])).toThrow(/disposed/);
  });

  it('clone copies values and shape into a new tensor', () => {
    const t = sn.tensor([[1, 2], [3, 4]]);
    const c = t.clone();
    expect(c).not.toBe(t);
    expect(c.shape).toEqual([2, 2]);
    c.data[3] = 0;
    expect(t.data[3]).toBe(4);
    t.dispose();
    c.dispose();
  });

  it('[Symbol.dispose] disposes (what `using` calls at the end of a block)', () => {
    const t = sn.tensor([1, 2]);
    expect(typeof Symbol.dispose).toBe('symbol');
    t[Symbol.dispose]();
    expect(t.disposed).toBe(true);
  });
});

describe('tidy and keep', () => {
  it('disposes the tensors made inside except the returned one', () => {
    const before = sn.memory();
    let inner: sn.Tensor | undefined;
    const result = sn.tidy(() => {
      const a = sn.tensor([1, 2, 3]);
      inner = sn.square(a);
      return sn.add(inner, a);
    });
    expect(inner!.disposed).toBe(true);
    expect(result.disposed).toBe(false);
    expect(result.toArray()).toEqual([2, 6, 12]);
    expect(sn.memory().tensors).toBe(before.tensors + 1);
    result.dispose();
    expect(sn.memory()).toEqual(before);
  });

  it('keeps tensors inside returned arrays, objects and Maps; keep() saves others; input tensors are left alone', () => {
    const x = sn.tensor([1, 2]);
    let kept: sn.Tensor | undefined;
    let dropped: sn.Tensor | undefined;
    const out = sn.tidy('named', () => {
      kept = sn.keep(sn.scale(x, 2));
      dropped = sn.scale(x, 3);
      return { a: [sn.neg(x), 5], b: { c: sn.square(x) }, m: new Map([['d', sn.exp(x)]]) };
    });
    expect(x.disposed).toBe(false);
    expect(kept!.disposed).toBe(false);
    expect(dropped!.disposed).toBe(true);
    expect((out.a[0] as sn.Tensor).toArray()).toEqual([-1, -2]);
    expect(out.b.c.toArray()).toEqual([1, 4]);
    expect(out.m.get('d')!.disposed).toBe(false);
    for (const t of [x, kept!, out.a[0] as sn.Tensor, out.b.c, out.m.get('d')!]) t.dispose();
  });

  it('nested tidy: what the inner one returns belongs to the outer one', () => {
    let fromInner: sn.Tensor | undefined;
    const before = sn.memory().tensors;
    const r = sn.tidy(() => {
      fromInner = sn.tidy(() => sn.tensor([1]));
      expect(fromInner.disposed).toBe(false);
      return sn.tensor([2]);
    });
    expect(fromInner!.disposed).toBe(true);
    expect(sn.memory().tensors).toBe(before + 1);
    r.dispose();
  });

  it('disposes everything when fn throws, refuses async functions, and leaves a model built inside usable', async () => {
    const before = sn.memory();
    expect(() => sn.tidy(() => {
      sn.tensor([1, 2]);
      throw new Error('boom');
    })).toThrow('boom');
    expect(sn.memory()).toEqual(before);
    expect(() => sn.tidy((async () => sn.tensor([1])) as unknown as () => sn.Tensor)).toThrow(/Promise/);
    expect(() => sn.tidy(5 as unknown as () => void)).toThrow(/expects a function/);
    expect(() => sn.keep({} as sn.Tensor)).toThrow(/expects a Tensor/);
    const model = sn.tidy(() => {
      const m = sn.sequential([sn.layers.dense({ units: 2, inputShape: [3], activation: 'softmax' })]);
      m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
      m.predict([[1, 2, 3]]);
      return m;
    });
    const h = await model.fit([[1, 2, 3], [3, 2, 1]], [[1, 0], [0, 1]], { epochs: 2 });
    expect(h.history.loss).toHaveLength(2);
    model.dispose();
    expect(sn.memory()).toEqual(before);
  });
});
