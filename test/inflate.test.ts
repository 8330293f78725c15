// The wasm inflater and CRC-32 (assembly/inflate.ts, driven by src/io/gunzip.ts) against node:zlib, which
// is zlib itself, and a bitwise CRC-32 (test/reference/crc32.ts): the same bytes on every kind of deflate
// stream zlib writes, the same verdict (and zlib's message) on damaged ones, no write outside the output.
import { describe, expect, it } from 'vitest';
import { constants, crc32 as zlibCrc32, deflateRawSync, gunzipSync, gzipSync, type ZlibOptions } from 'node:zlib';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sn from '../dist/index.js';
import { kernels } from '../dist/backend/wasm.js';
import { allocate, allocatedBytes, heapU8, release } from '../dist/backend/allocator.js';
import { GUNZIP_INPUT_PADDING, gunzipInMemory, gunzipStateBytes } from '../dist/io/gunzip.js';
import { startWorkers } from '../dist/backend/pool.js';
import { crc32 } from './reference/crc32.js';
import { idx } from './reference/idx.js';

/** A deterministic byte source (xorshift32). */
function bytesFrom(seed: number, n: number, map: (r: number, i: number) => number): Uint8Array {
  let s = seed >>> 0 || 1;
  return Uint8Array.from({ length: n }, (_, i) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return map(s, i) & 255;
  });
}

const CANARY = 0xa5;

/**
 * Gunzips `gz` in the wasm memory into an output of `capacity` bytes with 64 canary bytes after it, and
 * returns what gunzipInMemory returned, the bytes it wrote, and whether the canaries survived.
 */
async function gunzipWasm(gz: Uint8Array, capacity: number): Promise<{ length: number; complete: boolean; bytes: Uint8Array; canariesIntact: boolean }> {
  const input = allocate(gz.length + GUNZIP_INPUT_PADDING);
  const output = allocate(capacity + 64);
  const state = allocate(gunzipStateBytes());
  try {
    heapU8().set(gz, input);
    heapU8().fill(0, input + gz.length, input + gz.length + GUNZIP_INPUT_PADDING);
    heapU8().fill(CANARY, output + capacity, output + capacity + 64);
    const { length, complete } = await gunzipInMemory('test.gz', input, gz.length, output, capacity, state);
    const heap = heapU8();
    return {
      length,
      complete,
      bytes: heap.slice(output, output + length),
      canariesIntact: heap.subarray(output + capacity, output + capacity + 64).every((b) => b === CANARY),
    };
  } finally {
    release(input);
    release(output);
    release(state);
  }
}

/** zlib's verdict on `gz`: the bytes, or its error message. */
function gunzipZlib(gz: Uint8Array): { bytes: Uint8Array } | { error: string } {
  try {
    return { bytes: new Uint8Array(gunzipSync(gz)) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Ours, in the same form: the bytes (all of them: capacity to spare), or the message after "corrupt gzip data: ". */
async function gunzipOurs(gz: Uint8Array, capacity: number): Promise<{ bytes: Uint8Array } | { error: string }> {
  try {
    const r = await gunzipWasm(gz, capacity);
    expect(r.canariesIntact).toBe(true);
    expect(r.complete).toBe(true);
    return { bytes: r.bytes };
  } catch (e) {
    const message = (e as Error).message;
    expect(message).toMatch(/^test\.gz: corrupt gzip data: /);
    return { error: message.replace(/^test\.gz: corrupt gzip data: /, '') };
  }
}

/** Raw deflate wrapped as a gzip member with the given header flags and fields (RFC 1952). */
function member(data: Uint8Array, fields: { extra?: Uint8Array; name?: string; comment?: string; headerCrc?: boolean } = {}): Uint8Array {
  const flags = (fields.headerCrc ? 2 : 0) | (fields.extra ? 4 : 0) | (fields.name !== undefined ? 8 : 0) | (fields.comment !== undefined ? 16 : 0);
  const header = [0x1f, 0x8b, 8, flags, 1, 2, 3, 4, 0, 3];
  if (fields.extra) header.push(fields.extra.length & 255, fields.extra.length >> 8, ...fields.extra);
  if (fields.name !== undefined) header.push(...Buffer.from(fields.name, 'latin1'), 0);
  if (fields.comment !== undefined) header.push(...Buffer.from(fields.comment, 'latin1'), 0);
  if (fields.headerCrc) {
    const c = crc32(Uint8Array.from(header));
    header.push(c & 255, (c >>> 8) & 255);
  }
  const trailer = new Uint8Array(8);
  const view = new DataView(trailer.buffer);
  view.setUint32(0, crc32(data), true);
  view.setUint32(4, data.length, true);
  return Uint8Array.from([...header, ...deflateRawSync(data), ...trailer]);
}

// Inputs: empty, one byte, literals only, runs (distance 1), short periods (distances 2-7), long matches
// (258 bytes), matches 32,000 bytes back (near the window's far end), incompressible bytes (stored blocks),
// stored blocks over 65,535 bytes, and image-like bytes.
const period = (p: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (i % p) * 37 + p);
// zlib finds matches up to 32,506 bytes back (its window less its lookahead), so a block repeated every 32,000 bytes.
const farMatches = (() => {
  const block = bytesFrom(7, 32_000, (r) => r);
  return Uint8Array.from([...block, ...block, ...block.subarray(0, 1000)]);
})();
const INPUTS: Record<string, Uint8Array> = {
  empty: new Uint8Array(0),
  'one byte': Uint8Array.of(42),
  'text': new TextEncoder().encode('the quick brown fox jumps over the lazy dog; '.repeat(40)),
  'zero run': new Uint8Array(100_003),
  'period 2': period(2, 5000),
  'period 3': period(3, 5001),
  'period 7': period(7, 5003),
  'period 8': period(8, 5004),
  'long matches': Uint8Array.from({ length: 20_011 }, (_, i) => (i % 1000 < 600 ? 0 : i & 255)),
  'matches 32,000 back': farMatches,
  incompressible: bytesFrom(3, 70_001, (r) => r),
  'image-like': bytesFrom(11, 784 * 97, (r, i) => (i % 28 < 6 || i % 28 > 21 ? 0 : (r >>> 24) & 0xf0)),
};
const OPTIONS: Record<string, ZlibOptions> = {
  'level 0 (stored)': { level: 0 },
  'level 1': { level: 1 },
  'level 6': { level: 6 },
  'level 9': { level: 9 },
  'fixed codes': { strategy: constants.Z_FIXED },
  'Huffman only': { strategy: constants.Z_HUFFMAN_ONLY },
  'RLE': { strategy: constants.Z_RLE },
  'window 2^9, memLevel 1': { windowBits: 9, memLevel: 1 },
};

describe('inflate (assembly/inflate.ts) against node:zlib', () => {
  for (const [inputName, data] of Object.entries(INPUTS)) {
    it(`${inputName} (${data.length} bytes): every zlib setting inflates to the same bytes, nothing written past the output`, async () => {
      for (const [optionName, options] of Object.entries(OPTIONS)) {
        const gz = gzipSync(data, options);
        const got = await gunzipWasm(gz, data.length);
        expect({ optionName, complete: got.complete, length: got.length, canaries: got.canariesIntact }).toEqual({ optionName, complete: true, length: data.length, canaries: true });
        expect(Buffer.compare(Buffer.from(got.bytes), Buffer.from(data))).toBe(0);
      }
    });
  }

  it('an output shorter than the data fills exactly with its first bytes and says so, at every capacity near the end', async () => {
    const data = INPUTS['long matches'];
    for (const [optionName, options] of Object.entries(OPTIONS)) {
      const gz = gzipSync(data, options);
      for (const capacity of [0, 1, 257, 258, 259, 4096, data.length - 300, data.length - 1]) {
        const got = await gunzipWasm(gz, capacity);
        expect({ optionName, capacity, complete: got.complete, length: got.length, canaries: got.canariesIntact }).toEqual({ optionName, capacity, complete: false, length: capacity, canaries: true });
        expect(Buffer.compare(Buffer.from(got.bytes), Buffer.from(data.subarray(0, capacity)))).toBe(0);
      }
    }
  });

  it('pausing after every few bytes (the event-loop slices) gives the same bytes as one run', async () => {
    // Compressed blocks only: a stored block is copied whole, however far past the limit.
    for (const name of ['text', 'long matches', 'matches 32,000 back', 'image-like']) {
      const data = INPUTS[name];
      const gz = gzipSync(data, { level: 6 });
      const input = allocate(gz.length + GUNZIP_INPUT_PADDING);
      const output = allocate(data.length);
      const state = allocate(gunzipStateBytes());
      heapU8().set(gz, input);
      kernels.inflateStart(state, input + 10, gz.length - 10, output, data.length);
      let status = 0;
      let calls = 0;
      for (; status === 0; calls++) status = kernels.inflateRun(state, kernels.inflateOutputEnd(state) + (calls % 5));
      const same = Buffer.compare(Buffer.from(heapU8().subarray(output, output + data.length)), Buffer.from(data)) === 0;
      release(input);
      release(output);
      release(state);
      expect({ name, status, same }).toEqual({ name, status: 1, same: true });
      expect(calls).toBeGreaterThanOrEqual(10);
    }
  });

  it('several members, zero padding after the last, and headers with an extra field, a name, a comment and a header CRC', async () => {
    const a = INPUTS.text;
    const b = INPUTS['image-like'];
    const cases: Uint8Array[] = [
      Uint8Array.from([...gzipSync(a), ...gzipSync(b), ...gzipSync(new Uint8Array(0))]),
      Uint8Array.from([...gzipSync(a), 0, 0, 0, 0]),
      member(a, { extra: Uint8Array.of(1, 2, 3), name: 'train.idx', comment: 'c', headerCrc: true }),
      Uint8Array.from([...member(b, { name: '' }), ...member(a, { headerCrc: true })]),
    ];
    for (const gz of cases) {
      const zlib = gunzipZlib(gz);
      expect('bytes' in zlib).toBe(true);
      expect(await gunzipOurs(gz, 200_000)).toEqual(zlib);
    }
  });

  it('damaged data: the same verdict and message as zlib, for every byte cut off and for bit flips all through small files', async () => {
    const samples = [gzipSync(INPUTS.text), gzipSync(INPUTS['image-like'].subarray(0, 3000), { level: 9 }), gzipSync(INPUTS.text, { strategy: constants.Z_FIXED }), gzipSync(INPUTS.incompressible.subarray(0, 600), { level: 0 })];
    let compared = 0;
    const differ: string[] = [];
    for (const [s, gz] of samples.entries()) {
      const variants: [string, Uint8Array][] = [];
      for (let cut = 0; cut < gz.length; cut += 1 + (cut >> 6)) variants.push([`sample ${s} cut at ${cut}`, gz.subarray(0, cut)]);
      for (let at = 0; at < gz.length; at++) {
        for (const bit of [0, 3, 6]) {
          const flipped = Uint8Array.from(gz);
          flipped[at] ^= 1 << bit;
          variants.push([`sample ${s} byte ${at} bit ${bit}`, flipped]);
        }
      }
      for (const [name, variant] of variants) {
        const zlib = gunzipZlib(variant);
        // Where zlib accepts a flip (MTIME, OS), the bytes must match; it can accept nothing else here.
        const ours = await gunzipOurs(variant, 70_000);
        compared++;
        if (JSON.stringify('error' in ours ? ours : { n: ours.bytes.length, crc: crc32(ours.bytes) }) !== JSON.stringify('error' in zlib ? zlib : { n: zlib.bytes.length, crc: crc32(zlib.bytes) })) {
          differ.push(`${name}: zlib ${'error' in zlib ? zlib.error : 'ok'}, ours ${'error' in ours ? ours.error : 'ok'}`);
        }
      }
    }
    expect(compared).toBeGreaterThan(5000);
    expect(differ).toEqual([]);
  });
});

describe('crc32 (assembly/inflate.ts) against the bitwise reference', () => {
  it('every length 0-40 and long ones, at every start offset within 8 bytes, continued across calls', () => {
    const data = bytesFrom(5, 100_003, (r) => r);
    const ptr = allocate(data.length + 8);
    const tables = allocate(kernels.crc32TableBytes());
    kernels.crc32Tables(tables);
    try {
      for (const offset of [0, 1, 3, 7]) {
        heapU8().set(data, ptr + offset);
        for (const n of [...Array.from({ length: 41 }, (_, i) => i), 63, 64, 65, 1021, 100_003]) {
          const expected = crc32(data.subarray(0, n));
          expect({ offset, n, crc: kernels.crc32(0, ptr + offset, n, tables) >>> 0 }).toEqual({ offset, n, crc: expected });
          const half = n >> 1;
          expect(kernels.crc32(kernels.crc32(0, ptr + offset, half, tables), ptr + offset + half, n - half, tables) >>> 0).toBe(expected);
        }
      }
      expect(crc32(data)).toBe(zlibCrc32(data));
    } finally {
      release(ptr);
      release(tables);
    }
  });
});

describe('loadIdxImages from gzip: inflated in the tensor itself', () => {
  const dir = mkdtempSync(join(tmpdir(), 'simdnet-inflate-'));
  it('gives the floats of the raw file, in place (the whole file, 200 images) and through zlib (3 images)', async () => {
    const dims = [211, 28, 28];
    const values = bytesFrom(13, 211 * 784, (r, i) => (i % 28 < 5 ? 0 : r >>> 24));
    const raw = idx(dims, Array.from(values));
    // The tensor (4 bytes per pixel) holds the stored file, the state and the inflated bytes only from
    // about 40 images on (gunzipIntoImages in src/io/idx.ts); fewer go through node:zlib's stream.
    const fitsInPlace = (images: number) => gzipSync(raw).length + GUNZIP_INPUT_PADDING + 8 + gunzipStateBytes() <= 3 * images * 784 - 16;
    expect([fitsInPlace(211), fitsInPlace(200), fitsInPlace(3)]).toEqual([true, true, false]);
    writeFileSync(join(dir, 'raw'), raw);
    writeFileSync(join(dir, 'one.gz'), gzipSync(raw));
    writeFileSync(join(dir, 'stored.gz'), gzipSync(raw, { level: 0 }));
    writeFileSync(join(dir, 'members.gz'), Uint8Array.from([...gzipSync(raw.subarray(0, 50_000)), ...gzipSync(raw.subarray(50_000))]));
    for (const limit of [undefined, 3, 200]) {
      const expected = await sn.io.loadIdxImages(join(dir, 'raw'), { limit });
      for (const name of ['one.gz', 'stored.gz', 'members.gz']) {
        const got = await sn.io.loadIdxImages(join(dir, name), { limit });
        expect({ name, limit, shape: got.shape }).toEqual({ name, limit, shape: expected.shape });
        let mismatches = 0;
        const a = got.data;
        const b = expected.data;
        for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) mismatches++;
        expect({ name, limit, mismatches }).toEqual({ name, limit, mismatches: 0 });
        got.dispose();
      }
      expect(expected.data.every((v, i) => v === Math.fround(values[i] / 255))).toBe(true);
      expected.dispose();
    }
  });

  it('reads the same before and after a pool worker starts over the shared memory (instantiating the module rewrites its static data)', async () => {
    // CRC tables kept in the module's static data were zeroed by a worker started after the first load.
    const raw = idx([211, 28, 28], Array.from(bytesFrom(19, 211 * 784, (r) => r >>> 26)));
    const path = join(dir, 'around-workers.gz');
    writeFileSync(path, gzipSync(raw));
    const threads = sn.getThreads();
    try {
      const before = await sn.io.loadIdxImages(path);
      await sn.setThreads(1);
      await sn.setThreads(2);
      await startWorkers();
      const after = await sn.io.loadIdxImages(path);
      expect(after.data).toEqual(before.data);
      before.dispose();
      after.dispose();
    } finally {
      await sn.setThreads(threads);
    }
  });

  it('a damaged member ends in an error naming the file, and the memory it borrowed is returned', async () => {
    const raw = idx([211, 28, 28], Array.from(bytesFrom(17, 211 * 784, (r) => r >>> 25)));
    const gz = Uint8Array.from(gzipSync(raw));
    gz[gz.length - 6] ^= 1; // the trailer's CRC-32
    const path = join(dir, 'bad-crc.gz');
    writeFileSync(path, gz);
    const before = allocatedBytes();
    await expect(sn.io.loadIdxImages(path)).rejects.toThrow(`${path}: corrupt gzip data: incorrect data check`);
    expect(allocatedBytes()).toBe(before);
  });
});
