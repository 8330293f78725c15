// gatherRows vs the float64 reference (test/reference/gather.ts), and the public sn.gather.
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';
import { kernels } from '../dist/backend/wasm.js';
import { allocate, heapI32, release } from '../dist/backend/allocator.js';
import { gatherRows } from './reference/gather.js';

function runGather(src: Float32Array, cols: number, idx: number[]): Float32Array {
  const rows = cols === 0 ? 0 : src.length / cols;
  const s = sn.tensor(src, [rows, cols]);
  const d = sn.zeros([idx.length, cols]);
  const ip = allocate(Math.max(1, idx.length) * 4);
  heapI32().set(idx, ip >>> 2);
  kernels.gatherRows(s.ptr, cols, ip, idx.length, d.ptr);
  const out = d.data.slice();
  s.dispose();
  d.dispose();
  release(ip);
  return out;
}

describe('gatherRows', () => {
  // 2500 floats: rows of 10,000 bytes, whose touch pass (touchRows) steps over three 4 KiB pages.
  for (const cols of [1, 3, 4, 5, 13, 1000, 2500]) {
    it(`copies rows of ${cols} by repeated and out-of-order indices, exactly`, () => {
      const rows = 7;
      const src = Float32Array.from({ length: rows * cols }, (_, i) => (i * 0.37) % 5 - 2);
      src[cols + 0] = NaN;
      const idx = [6, 0, 3, 3, 1, 6, 2, 5, 4, 0];
      const got = runGather(src, cols, idx);
      const want = gatherRows(src, cols, idx);
      expect(Array.from(got)).toEqual(want);
    });
  }

  // The kernel copies eight rows side by side, then one at a time: counts around and across that block.
  for (const count of [1, 7, 8, 9, 16, 17, 64]) {
    it(`copies ${count} rows of 784 and of 3 (blocks of eight and the rows after them), bit for bit`, () => {
      for (const cols of [784, 3]) {
        const rows = 23;
        const src = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i) * 1e3);
        // A NaN with a payload: copied as bits, never as a float value.
        new Uint32Array(src.buffer)[5 * cols + 1] = 0x7fc00001;
        const idx = Array.from({ length: count }, (_, r) => (r * 17 + 5) % rows);
        const got = runGather(src, cols, idx);
        // The reference on the bit patterns (as integers), so the NaN's payload is compared too.
        expect(Array.from(new Uint32Array(got.buffer))).toEqual(gatherRows(new Uint32Array(src.buffer), cols, idx));
      }
    });
  }

  it('copies nothing for count 0 or cols 0', () => {
    expect(runGather(new Float32Array([1, 2, 3]), 3, []).length).toBe(0);
    expect(runGather(new Float32Array(0), 0, [0, 0]).length).toBe(0);
  });
});

describe('sn.gather', () => {
  it('gathers first-axis slices into a new tensor or out', () => {
    const x = sn.tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[9, 10], [11, 12]]]);
    const g = sn.gather(x, [2, 0, 2]);
    expect(g.shape).toEqual([3, 2, 2]);
    expect(g.toArray()).toEqual([[[9, 10], [11, 12]], [[1, 2], [3, 4]], [[9, 10], [11, 12]]]);
    const out = sn.zeros([2, 2, 2]);
    expect(sn.gather(x, new Int32Array([1, 1]), { out })).toBe(out);
    expect(out.toArray()).toEqual([[[5, 6], [7, 8]], [[5, 6], [7, 8]]]);
    [x, g, out].forEach((t) => t.dispose());
  });

  it('rejects bad indices (naming the position), a mismatched out and disposed tensors, leaking nothing', () => {
    const x = sn.zeros([4, 3]);
    const before = sn.memory();
    expect(() => sn.gather(x, [0, 4])).toThrow(RangeError);
    expect(() => sn.gather(x, [0, 4])).toThrow(/indices\[1\] = 4 is not an index in \[0, 4\)/);
    expect(() => sn.gather(x, [1.5])).toThrow(/indices\[0\] = 1.5/);
    expect(() => sn.gather(x, [-1])).toThrow(RangeError);
    const out = sn.zeros([3, 3]);
    expect(() => sn.gather(x, [0, 1], { out })).toThrow(/out \[3, 3\] must be \[2, 3\]/);
    expect(() => sn.gather(x, 5 as unknown as number[])).toThrow(TypeError);
    out.dispose();
    expect(sn.memory()).toEqual(before);
    x.dispose();
    expect(() => sn.gather(x, [0])).toThrow(/disposed/);
  });
});
