// Tensors and the allocator: zero-copy views, growth, disposal, leaks, errors.
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';
import { allocate, release, heapF32 } from '../dist/backend/allocator.js';
import { backend } from '../dist/backend/wasm.js';

describe('tensor()', () => {
  it('reads the shape from nested arrays and round-trips through toArray', () => {
    const t = sn.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.size).toBe(6);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    t.dispose();
  });

  it('takes flat values with a shape, and typed arrays', () => {
    const t = sn.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]);
    expect(t.toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    const u = sn.tensor([1.5, -2], [2]);
    expect(u.toArray()).toEqual([1.5, -2]);
    t.dispose();
    u.dispose();
  });

  it('rejects data of the wrong length or type with a TypeError naming the problem', () => {
    expect(() => sn.tensor([1, 2, 3], [2, 2])).toThrow(/3 values do not fit shape \[2, 2\]/);
    expect(() => sn.tensor([[1, 2], [3]])).toThrow(TypeError);
    expect(() => sn.tensor([[1, 2], [3]])).toThrow(/row \[1\]/);
    expect(() => sn.tensor(['a' as unknown as number])).toThrow(/not a number/);
    expect(() => sn.tensor([1, 2], [2.5])).toThrow(TypeError);
    expect(() => sn.zeros([-1])).toThrow(TypeError);
  });

  it('does not leak when construction fails', () => {
    const before = sn.memory();
    expect(() => sn.tensor([[1, 2], [3, 'x' as unknown as number]])).toThrow(TypeError);
    expect(sn.memory()).toEqual(before);
  });

  it('data is zero-copy: a write through one view is seen by the next read', () => {
    const t = sn.zeros([4]);
    t.data[2] = 7;
    expect(t.data[2]).toBe(7);
    expect(heapF32()[t.ptr / 4 + 2]).toBe(7);
    t.dispose();
  });

  it('throws on use after dispose, and disposing twice is harmless', () => {
    const t = sn.zeros([2, 2]);
    t.dispose();
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(() => t.data).toThrow(/disposed/);
    expect(() => t.ptr).toThrow(/disposed/);
  });
});

describe('memory', () => {
  it('keeps a tensor readable across memory.grow (which replaces memory.buffer)', () => {
    const t = sn.tensor([1, 2, 3, 4, 5], [5]);
    const before = t.data;
    const bufferBefore = backend.memory.buffer;
    // Far more than the current memory: forces growth.
    const big = sn.zeros([Math.ceil(bufferBefore.byteLength / 4) + 1_000_000]);
    expect(backend.memory.buffer).not.toBe(bufferBefore);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5]);
    // The tensor re-derived its view; the old one is over the old buffer.
    expect(t.data.buffer).toBe(backend.memory.buffer);
    if (!backend.shared) expect(before.length).toBe(0); // a detached ArrayBuffer view reads as empty
    t.data[0] = 42;
    expect(t.toArray()).toEqual([42, 2, 3, 4, 5]);
    big.dispose();
    t.dispose();
  });

  it('reuses freed memory and returns to its baseline', () => {
    const base = sn.memory();
    const a = sn.zeros([1000]);
    const b = sn.zeros([1000]);
    expect(sn.memory().tensors).toBe(base.tensors + 2);
    expect(sn.memory().bytes).toBeGreaterThanOrEqual(base.bytes + 8000);
    const aPtr = a.ptr;
    a.dispose();
    const c = sn.zeros([1000]);
    expect(c.ptr).toBe(aPtr);
    b.dispose();
    c.dispose();
    expect(sn.memory()).toEqual(base);
  });

  it('keeps every live block intact through random allocate/release sequences', () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const base = sn.memory();
    const live: { t: sn.Tensor; tag: number }[] = [];
    for (let step = 0; step < 2000; step++) {
      if (live.length > 0 && rand() < 0.45) {
        const i = Math.floor(rand() * live.length);
        const { t, tag } = live[i];
        expect(t.data.every((v) => v === tag)).toBe(true);
        t.dispose();
        live.splice(i, 1);
      } else {
        const n = Math.floor(rand() ** 3 * 200_000);
        const t = sn.zeros([n]);
        const tag = step + 0.5;
        t.data.fill(tag);
        live.push({ t, tag });
      }
    }
    for (const { t, tag } of live) {
      expect(t.data.every((v) => v === tag)).toBe(true);
      t.dispose();
    }
    expect(sn.memory()).toEqual(base);
  });

  it('refuses a request past the wasm32 limit with a RangeError before touching anything', () => {
    const base = sn.memory();
    const pages = backend.memory.buffer.byteLength;
    expect(() => sn.zeros([2 ** 31])).toThrow(RangeError);
    expect(() => allocate(5 * 2 ** 30)).toThrow(/4 GiB/);
    expect(backend.memory.buffer.byteLength).toBe(pages);
    expect(sn.memory()).toEqual(base);
  });

  it('releasing an unknown pointer is an error', () => {
    expect(() => release(12345)).toThrow(/not a live block/);
  });
});
