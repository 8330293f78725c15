// IDX reader: values, shapes, gzip, limits, and a clear error naming the file for each kind of damage.
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as sn from '../dist/index.js';

/** IDX bytes: magic 00 00 type rank, big-endian dims, values. */
function idx(dims: number[], values: ArrayLike<number>, type = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + values.length);
  out.set(header);
  out.set(Uint8Array.from(values), header.length);
  return out;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'simdnet-idx-'));
});

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** Deterministic pseudo-random bytes covering 0 and 255. */
function bytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = i % 17 === 0 ? 255 : i % 13 === 0 ? 0 : s >>> 24;
  }
  return out;
}

describe('loadIdxImages', () => {
  // Awkward shapes: one 1x1 image, primes, a non-multiple of 4 pixels, and MNIST's own 28x28.
  for (const dims of [[1, 1, 1], [3, 5, 7], [13, 3, 1], [2, 28, 28], [5, 11]]) {
    it(`reads [${dims}] exactly as b / 255 (raw and gzipped)`, async () => {
      const values = bytes(dims.reduce((a, b) => a * b, 1));
      for (const [name, data] of [[`raw-${dims.join('x')}`, idx(dims, values)], [`gz-${dims.join('x')}.gz`, gzipSync(idx(dims, values))]] as const) {
        const x = await sn.io.loadIdxImages(file(name, data));
        const features = dims.slice(1).reduce((a, b) => a * b, 1);
        expect(x.shape).toEqual([dims[0], features]);
        // Tolerance: exact; each pixel is the float32 nearest the float64 b / 255.
        for (let i = 0; i < values.length; i++) expect(x.data[i]).toBe(Math.fround(values[i] / 255));
        x.dispose();
      }
    });
  }

  it('reads only the first `limit` images', async () => {
    const values = bytes(7 * 4 * 3);
    const x = await sn.io.loadIdxImages(file('limit', idx([7, 4, 3], values)), { limit: 2 });
    expect(x.shape).toEqual([2, 12]);
    expect(Array.from(x.data)).toEqual(Array.from(values.subarray(0, 24), (b) => Math.fround(b / 255)));
    x.dispose();
    await expect(sn.io.loadIdxImages(file('limit0', idx([7, 4, 3], values)), { limit: 0 })).rejects.toThrow(/limit must be a whole number >= 1/);
  });

  it('reads labels as class indices', async () => {
    const labels = await sn.io.loadIdxLabels(file('labels', idx([6], [3, 0, 9, 1, 255, 7])));
    expect(Array.from(labels)).toEqual([3, 0, 9, 1, 255, 7]);
    expect(Array.from(await sn.io.loadIdxLabels(file('labels-gz.gz', gzipSync(idx([3], [1, 2, 3]))), { limit: 2 }))).toEqual([1, 2]);
  });
});

describe('damaged IDX files get an error naming the file and the problem, and allocate nothing', () => {
  const good = () => idx([4, 3, 3], bytes(36));
  const cases: [string, () => Uint8Array, RegExp][] = [
    ['empty', () => new Uint8Array(0), /shorter than the 4-byte magic number/],
    ['bad-magic', () => Uint8Array.from([0x1a, 0x2b, 8, 3, ...good().subarray(4)]), /magic number 1a 2b 08 03 does not start with 00 00/],
    ['float-type', () => idx([2, 2], new Uint8Array(4 * 4), 0x0d), /float32; simdnet reads unsigned-byte IDX files/],
    ['unknown-type', () => idx([2, 2], new Uint8Array(4), 0x42), /unknown IDX type code 0x42/],
    ['zero-rank', () => Uint8Array.from([0, 0, 8, 0]), /declares 0 dimensions/],
    ['short-header', () => good().subarray(0, 9), /truncated IDX header: 3 dimensions need 16 bytes, the file has 9/],
    ['truncated', () => good().subarray(0, good().length - 5), /truncated: dimensions \[4, 3, 3\] need 36 data bytes .* the file has 47/],
    ['trailing', () => Uint8Array.from([...good(), 1, 2]), /2 unexpected bytes after the data/],
    ['truncated-gz.gz', () => gzipSync(good()).subarray(0, 20), /corrupt gzip data/],
    ['one-dimension-images', () => idx([5], bytes(5)), /images need at least 2 dimensions/],
  ];
  for (const [name, make, message] of cases) {
    it(name, async () => {
      const path = file(name, make());
      const before = sn.memory();
      const error = await sn.io.loadIdxImages(path).then(() => null, (e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error!.message).toContain(path);
      expect(error!.message).toMatch(message);
      expect(sn.memory()).toEqual(before);
    });
  }

  it('a missing file', async () => {
    await expect(sn.io.loadIdxImages(join(dir, 'nope'))).rejects.toThrow(/nope: cannot read/);
  });

  it('labels with 2 dimensions', async () => {
    await expect(sn.io.loadIdxLabels(file('labels-2d', idx([2, 2], [1, 2, 3, 4])))).rejects.toThrow(/labels-2d: labels must have 1 dimension/);
  });
});
