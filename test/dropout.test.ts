// Dropout kernels vs the float64 reference (test/reference/dropout.ts): the keep mask bit for bit (the
// kernel, the TypeScript twin dropoutHash32 and an independent BigInt hash agree), sub-ranges, rates, scale.
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';
import { kernels } from '../dist/backend/wasm.js';
import { dropoutHash32 } from '../dist/nn/dropout-hash.js';
import * as ref from './reference/dropout.js';
import { randomValues } from './reference/random.js';

const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 13, 85, 1000, 4099];

function runForward(values: Float32Array, rate: number, seed: number, start: number): { y: Float32Array; mask: Float32Array } {
  const n = values.length;
  const x = sn.tensor(values, [n]);
  const y = sn.zeros([n]);
  const mask = sn.zeros([n]);
  kernels.dropoutForward(x.ptr, y.ptr, mask.ptr, n, rate, seed, start);
  const out = { y: y.data.slice(), mask: mask.data.slice() };
  [x, y, mask].forEach((t) => t.dispose());
  return out;
}

describe('dropoutHash32', () => {
  it('the TypeScript twin equals an independent BigInt evaluation of the formula', () => {
    const seeds = [0, 1, 42, 0x7fffffff, 0x80000000, 0xffffffff, 0x9e3779b9];
    const indices = [0, 1, 2, 3, 1000, 65535, 65536, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
    for (const seed of seeds) for (const index of indices) expect(dropoutHash32(seed, index), `${seed} ${index}`).toBe(ref.hash32(seed, index));
    for (let i = 0; i < 2000; i++) expect(dropoutHash32(12345, i * 7919)).toBe(ref.hash32(12345, i * 7919));
  });

  it('spreads bits: each output bit is set about half the time over consecutive indices and seeds', () => {
    const counts = new Array<number>(32).fill(0);
    const samples = 20000;
    for (let i = 0; i < samples; i++) {
      const h = dropoutHash32(i & 1 ? 7 : 8, i >> 1);
      for (let b = 0; b < 32; b++) counts[b] += (h >>> b) & 1;
    }
    // 5 binomial standard deviations (sqrt(n/4)) around n/2.
    for (const c of counts) expect(Math.abs(c - samples / 2)).toBeLessThan(5 * Math.sqrt(samples / 4));
  });
});

describe('dropoutForward / dropoutBackward vs float64 reference', () => {
  for (const n of LENGTHS) {
    it(`n = ${n}: mask and output bit for bit, at rates 0.1, 0.5, 0.9 and awkward seeds/starts`, () => {
      const values = randomValues(n, -3, 3, n + 1);
      for (const [rate, seed, start] of [[0.1, 1, 0], [0.5, 0xdeadbeef, 3], [0.9, 7, 0xfffffffe]]) {
        const got = runForward(values, rate, seed, start);
        const want = ref.dropoutForward(values, rate, seed, start);
        // Exact: the mask is a comparison of exactly representable numbers, and y one f32 product.
        expect(Array.from(got.mask)).toEqual(want.mask);
        expect(Array.from(got.y)).toEqual(want.y.map(Math.fround));
        const twinMask = Array.from(values, (_, i) => ((dropoutHash32(seed, start + i) >>> 8) * 2 ** -24 >= Math.fround(rate) ? 1 : 0));
        expect(Array.from(got.mask, (m) => (m === 0 ? 0 : 1))).toEqual(twinMask);
      }
    });
  }

  it('pins every u exactly: rate = u_i keeps element i, rate = u_i + 2^-24 drops it (vector lanes and tail)', () => {
    // A keep/drop flip needs u to cross the rate, so a hash wrong in its low bits could pass the tests above;
    // a rate exactly at u_i (u >= rate keeps) tests all 24 bits of u_i and the comparison's direction.
    const n = 23;
    const values = new Float32Array(n).fill(1);
    for (const [seed, start] of [[3, 0], [0xfedcba98, 0xfffffff0]]) {
      for (let i = 0; i < n; i++) {
        const u = (dropoutHash32(seed, start + i) >>> 8) * 2 ** -24;
        expect(runForward(values, u, seed, start).mask[i], `seed ${seed} i ${i} at u`).not.toBe(0);
        if (u + 2 ** -24 < 1) expect(runForward(values, u + 2 ** -24, seed, start).mask[i], `seed ${seed} i ${i} above u`).toBe(0);
      }
    }
  });

  it('a range split at any point (start offsets) gives the same bits as one call', () => {
    const n = 103;
    const values = randomValues(n, -1, 1, 5);
    const whole = runForward(values, 0.3, 99, 1000);
    for (const cut of [1, 2, 3, 5, 50, 101]) {
      const head = runForward(values.slice(0, cut), 0.3, 99, 1000);
      const tail = runForward(values.slice(cut), 0.3, 99, 1000 + cut);
      expect([...head.mask, ...tail.mask], `cut ${cut}`).toEqual(Array.from(whole.mask));
      expect([...head.y, ...tail.y]).toEqual(Array.from(whole.y));
    }
  });

  it('rate 0 keeps every element unchanged (scale exactly 1), NaN and infinities included', () => {
    const values = randomValues(37, -1e30, 1e30, 3);
    values[5] = NaN;
    values[6] = Infinity;
    values[36] = -Infinity;
    const got = runForward(values, 0, 1234, 0);
    expect(Array.from(got.mask)).toEqual(new Array(37).fill(1));
    expect(Array.from(got.y)).toEqual(Array.from(values));
  });

  it('keeps a fraction 1 - rate within a binomial bound, with the scale f32(1 / (1 - rate)) exactly', () => {
    const n = 100003;
    const values = new Float32Array(n).fill(1);
    for (const rate of [0.05, 0.2, 0.5, 0.8, 0.99]) {
      for (const seed of [0, 1, 2]) {
        const { mask, y } = runForward(values, rate, seed, 0);
        const scale = Math.fround(1 / (1 - Math.fround(rate)));
        let kept = 0;
        let offScale = 0;
        let yDiffers = 0;
        for (let i = 0; i < n; i++) {
          if (mask[i] !== 0) kept++;
          if (mask[i] !== 0 && mask[i] !== scale) offScale++;
          if (!Object.is(y[i], mask[i])) yDiffers++;
        }
        expect(offScale).toBe(0);
        expect(yDiffers).toBe(0);
        // 5 standard deviations of a binomial(n, 1 - rate) count.
        const p = 1 - rate;
        expect(Math.abs(kept - n * p), `rate ${rate} seed ${seed}`).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)));
      }
    }
  });

  it('different seeds give different masks (agreeing about as often as chance)', () => {
    const n = 4096;
    const values = new Float32Array(n).fill(1);
    const a = runForward(values, 0.5, 1, 0).mask;
    const b = runForward(values, 0.5, 2, 0).mask;
    let same = 0;
    for (let i = 0; i < n; i++) if ((a[i] === 0) === (b[i] === 0)) same++;
    expect(Math.abs(same - n / 2)).toBeLessThan(5 * Math.sqrt(n / 4));
  });

  it('works in place (y == x), and backward dx = dy * mask exactly, also in place (dx == dy)', () => {
    for (const n of [1, 3, 4, 7, 13, 1001]) {
      const values = randomValues(n, -2, 2, n);
      const separate = runForward(values, 0.4, 77, 5);
      const t = sn.tensor(values, [n]);
      const mask = sn.zeros([n]);
      kernels.dropoutForward(t.ptr, t.ptr, mask.ptr, n, 0.4, 77, 5);
      expect(Array.from(t.data)).toEqual(Array.from(separate.y));
      const dyValues = randomValues(n, -1, 1, n + 50);
      const dy = sn.tensor(dyValues, [n]);
      const dx = sn.zeros([n]);
      kernels.dropoutBackward(dy.ptr, mask.ptr, dx.ptr, n);
      const want = Array.from(dyValues, (v, i) => Math.fround(v * separate.mask[i]));
      expect(Array.from(dx.data)).toEqual(want);
      kernels.dropoutBackward(dy.ptr, mask.ptr, dy.ptr, n);
      expect(Array.from(dy.data)).toEqual(want);
      [t, mask, dy, dx].forEach((x) => x.dispose());
    }
  });
});
