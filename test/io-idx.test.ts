// IDX reader: values, shapes, gzip, limits, and a clear error naming the file for each kind of damage.
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as sn from '../dist/index.js';
import { idx } from './reference/idx.js';

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

describe('streaming: files larger than a read or gunzip chunk (1 MiB / 256 KiB)', () => {
  // 2,701 images of 28x28 = 2,117,584 bytes: three reads, and read and gunzip chunk edges fall mid-image.
  const dims = [2701, 28, 28];
  const values = bytes(2701 * 784);
  const raw = idx(dims, values);

  it('reads every pixel exactly as b / 255, raw and gzipped, with and without a limit that ends mid-chunk', async () => {
    for (const [name, data] of [['big-raw', raw], ['big-gz.gz', gzipSync(raw)]] as const) {
      const path = file(name, data);
      for (const limit of [undefined, 1, 97, 1338, 2701, 3000]) {
        const x = await sn.io.loadIdxImages(path, { limit });
        const n = Math.min(limit ?? 2701, 2701);
        expect(x.shape).toEqual([n, 784]);
        // Tolerance: exact (the same float32 expression as the in-memory path).
        const data32 = x.data;
        let mismatches = 0;
        for (let i = 0; i < n * 784; i++) if (data32[i] !== Math.fround(values[i] / 255)) mismatches++;
        expect(mismatches, `${name} limit ${limit}`).toBe(0);
        x.dispose();
      }
    }
  });

  it('reads labels across chunks, raw and gzipped, and readIdx returns the same bytes as parseIdx', async () => {
    const labels = bytes(2_100_003);
    const bytesOnDisk = idx([labels.length], labels);
    for (const [name, data] of [['labels-big', bytesOnDisk], ['labels-big-gz.gz', gzipSync(bytesOnDisk)]] as const) {
      const path = file(name, data);
      expect(Array.from(await sn.io.loadIdxLabels(path))).toEqual(Array.from(labels));
      expect(Array.from(await sn.io.loadIdxLabels(path, { limit: 65_537 }))).toEqual(Array.from(labels.subarray(0, 65_537)));
      const read = await sn.io.readIdx(path);
      const parsed = sn.io.parseIdx(bytesOnDisk, name);
      expect(read.dims).toEqual(parsed.dims);
      expect(Buffer.compare(Buffer.from(read.values), Buffer.from(parsed.values))).toBe(0);
    }
  });

  it('a file of several gzip members (trailer ISIZE covers only the last) is checked by a counting pass, then loads', async () => {
    const path = file('members.gz', Buffer.concat([gzipSync(raw.subarray(0, 70_000)), gzipSync(raw.subarray(70_000))]));
    const x = await sn.io.loadIdxImages(path);
    expect(x.shape).toEqual([2701, 784]);
    let mismatches = 0;
    for (let i = 0; i < values.length; i++) if (x.data[i] !== Math.fround(values[i] / 255)) mismatches++;
    expect(mismatches).toBe(0);
    x.dispose();
  });
});

describe('streaming: the length is checked before allocating, and errors free everything and close the file', () => {
  const good = () => idx([301, 28, 28], bytes(301 * 784));

  /** Open file descriptors of this process (Linux), to see that every load closed its file. */
  const openFiles = () => readdirSync('/proc/self/fd').length;

  const cases: [string, () => Uint8Array, RegExp][] = [
    // gzip of a truncated / padded IDX: the trailer disagrees with the header, the counting pass gives today's messages.
    ['gz-of-truncated.gz', () => gzipSync(good().subarray(0, 100_000)), /truncated: dimensions \[301, 28, 28\] need 235984 data bytes .* the file has 100000/],
    ['gz-of-padded.gz', () => gzipSync(Uint8Array.from([...good(), 9, 9, 9])), /3 unexpected bytes after the data of dimensions \[301, 28, 28\]/],
    // Hostile headers: a raw file and a small gzip claiming 2^31 rows are refused before the tensor is sized.
    ['huge-raw', () => { const b = good(); new DataView(b.buffer).setUint32(4, 2 ** 31); return b; }, /truncated: dimensions \[2147483648, 28, 28\]/],
    // (a gzip file cannot inflate to more than 1032 times its size, so this one is refused before inflating)
    ['huge-gz.gz', () => { const b = good(); new DataView(b.buffer).setUint32(4, 2 ** 31); return gzipSync(b); }, /dimensions \[2147483648, 28, 28\] declare 1683627180048 bytes, more than a \d+-byte gzip file can inflate to/],
    // A trailer that lies (ISIZE patched to the header's length) over short data: zlib's own length check fails at the end.
    ['lying-trailer.gz', () => {
      const b = Uint8Array.from(gzipSync(good().subarray(0, 200_000)));
      new DataView(b.buffer).setUint32(b.length - 4, good().length, true);
      return b;
    }, /corrupt gzip data/],
    // Damage in the middle of the deflate stream, found only after the tensor was allocated and partly filled.
    ['flipped-middle.gz', () => { const b = Uint8Array.from(gzipSync(good())); for (let i = 0; i < 64; i++) b[(b.length >> 1) + i] ^= 0x5a; return b; }, /corrupt gzip data/],
    ['cut-gz.gz', () => gzipSync(good()).subarray(0, 40_000), /corrupt gzip data/],
  ];
  for (const [name, make, message] of cases) {
    it(name, async () => {
      const path = file(name, make());
      const before = sn.memory();
      const filesBefore = openFiles();
      const arrayBuffersBefore = process.memoryUsage().arrayBuffers;
      const error = await sn.io.loadIdxImages(path).then(() => null, (e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error!.message).toContain(path);
      expect(error!.message).toMatch(message);
      expect(sn.memory()).toEqual(before);
      expect(openFiles()).toBe(filesBefore);
      // Nothing sized from the header: far below the 1.6 TB (bytes) or 6.7 TB (float32) it claims.
      expect(process.memoryUsage().arrayBuffers - arrayBuffersBefore).toBeLessThan(16 * 2 ** 20);
      const labelsError = await sn.io.loadIdxLabels(path).then(() => null, (e: Error) => e);
      expect(labelsError!.message).toContain(path);
      expect(openFiles()).toBe(filesBefore);
    }, 30_000); // Fails a hang instead of waiting for the 120 s default.
  }

  it('every byte of a small gzip flipped in turn: a clear error or the right values, never a hang or an open file', async () => {
    const small = idx([3, 5, 7], bytes(105));
    const gz = gzipSync(small);
    const filesBefore = openFiles();
    const before = sn.memory();
    for (let at = 0; at < gz.length; at++) {
      const damaged = Uint8Array.from(gz);
      damaged[at] ^= 0xff;
      const path = file(`flip-${at}.gz`, damaged);
      const result = await sn.io.loadIdxImages(path).then((x) => x, (e: Error) => e);
      if (result instanceof Error) expect(result.message, `byte ${at}`).toContain(path);
      else {
        // gzip header bytes such as MTIME or OS may change without harm; the values must still be the file's.
        expect(Array.from(result.data), `byte ${at}`).toEqual(Array.from(small.subarray(16), (b) => Math.fround(b / 255)));
        result.dispose();
      }
    }
    expect(sn.memory()).toEqual(before);
    expect(openFiles()).toBe(filesBefore);
  }, 30_000); // A hang (a load waiting forever on a destroyed gunzip) fails here; the loop takes well under a second.

  it('a limit stops early and closes the file; a directory is refused', async () => {
    const path = file('limit-gz.gz', gzipSync(good()));
    const filesBefore = openFiles();
    const x = await sn.io.loadIdxImages(path, { limit: 2 });
    expect(x.shape).toEqual([2, 784]);
    x.dispose();
    expect(openFiles()).toBe(filesBefore);
    await expect(sn.io.loadIdxImages(dir)).rejects.toThrow(/cannot read: not a regular file/);
    expect(openFiles()).toBe(filesBefore);
  });
});
