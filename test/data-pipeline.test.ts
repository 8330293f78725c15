// sn.data: streamed sources (IDX pairs, CSV files, arrays, generators) and the pipeline (shuffle, batch, map,
// prefetch, take). The last test trains on a CSV file streamed under a wasm memory cap its rows cannot fit
// in, and matches the in-memory fit on the same rows (same order, same batches: the same weights, so the
// same accuracy).
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as sn from '../dist/index.js';

const DIGITS = fileURLToPath(new URL('../data/digits/', import.meta.url));
const tmp = (): string => mkdtempSync(join(tmpdir(), 'simdnet-data-'));

afterEach(() => sn.setMemoryLimit(null));

describe('the pipeline', () => {
  it('array, map, take, batch (numbers, arrays, typed arrays, { data, shape }) and a smaller last batch', async () => {
    const ds = sn.data.array([1, 2, 3, 4, 5]).map((v) => ({ xs: [v, v * 10], ys: v % 2, img: { data: new Float32Array([v, v]), shape: [2, 1] } }));
    const batches = await ds.batch(2).toArray();
    expect(batches).toHaveLength(3);
    expect(batches[0].xs).toEqual({ data: new Float32Array([1, 10, 2, 20]), shape: [2, 2] });
    expect(batches[0].ys).toEqual({ data: new Float32Array([1, 0]), shape: [2] });
    expect(batches[0].img.shape).toEqual([2, 2, 1]);
    expect(batches[2].xs.shape).toEqual([1, 2]);
    expect(await ds.batch(2, false).toArray()).toHaveLength(2);
    expect(await sn.data.array([1, 2, 3]).take(2).toArray()).toEqual([1, 2]);
    const async = await sn.data.array([1, 2]).map(async (v) => v * 3).toArray();
    expect(async).toEqual([3, 6]);
    await expect(sn.data.array([[1, 2], [3]]).batch(2).toArray()).rejects.toThrow(/element 1 has shape \[1\], element 0 has \[2\]/);
    expect(() => sn.data.array([1]).batch(0)).toThrow(/batch must be a whole number >= 1/);
  });

  it('shuffle: a permutation, the same for the same seed, another each iteration, the identity with bufferSize 1', async () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const a = sn.data.array(items).shuffle(50, 7);
    const b = sn.data.array(items).shuffle(50, 7);
    const first = await a.toArray();
    expect([...first].sort((x, y) => x - y)).toEqual(items);
    expect(first).not.toEqual(items);
    expect(await b.toArray()).toEqual(first);
    expect(await a.toArray()).not.toEqual(first); // the second iteration (epoch) draws another order
    expect(await sn.data.array(items).shuffle(50, 7, false).toArray()).toEqual(await sn.data.array(items).shuffle(50, 7, false).toArray());
    expect(await sn.data.array(items).shuffle(1, 3).toArray()).toEqual(items);
    // A small buffer can delay an element without bound but bring it forward by at most bufferSize places.
    const local = await sn.data.array(items).shuffle(4, 1).toArray();
    local.forEach((v, i) => expect(v - i).toBeLessThanOrEqual(4));
  });

  it('prefetch reads ahead of the consumer and yields the same sequence', async () => {
    let pulled = 0;
    const source = sn.data.generator(function* () {
      for (let i = 0; i < 10; i++) {
        pulled++;
        yield i;
      }
    });
    const it = source.prefetch(4)[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(0);
    await new Promise((r) => setTimeout(r, 0));
    expect(pulled).toBeGreaterThanOrEqual(4);
    const rest: number[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
    expect(rest).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await source.prefetch(3).toArray()).toEqual(await source.toArray());
  });
});

describe('sources', () => {
  it('data.idx streams the same pixels and labels as loadIdxImages / loadIdxLabels', async () => {
    const images = join(DIGITS, 't10k-images-idx3-ubyte.gz');
    const labelsFile = join(DIGITS, 't10k-labels-idx1-ubyte.gz');
    const x = await sn.io.loadIdxImages(images);
    const labels = await sn.io.loadIdxLabels(labelsFile);
    let i = 0;
    for await (const e of sn.data.idx(images, labelsFile)) {
      if (i === 0 || i === 1234 || i === labels.length - 1) {
        expect(Array.from(e.xs as Float32Array)).toEqual(Array.from(x.data.subarray(i * 784, (i + 1) * 784)));
      }
      expect(e.ys).toBe(labels[i]);
      i++;
    }
    expect(i).toBe(labels.length);
    const [first] = await sn.data.idx(images, labelsFile, { shape: 'image', oneHot: 10 }).take(1).toArray();
    expect((first.xs as sn.Block).shape).toEqual([28, 28, 1]);
    expect(Array.from(first.ys as Float32Array).indexOf(1)).toBe(labels[0]);
    x.dispose();
    await expect(sn.data.idx(join(DIGITS, 'train-images-idx3-ubyte.gz'), labelsFile).take(1).toArray()).rejects.toThrow(/holds 2000 labels but .*train-images.* holds 8000 images/);
    expect(() => sn.data.idx(images, labelsFile, { flat: true } as never)).toThrow(/unknown option 'flat'/);
  });

  it('data.idx(...).batch(n) gives loadIdx\'s floats and labels whatever the item size against the read and gunzip chunks', async () => {
    const dir = tmp();
    const header = (dims: number[], type = 0x08): Uint8Array => {
      const h = new DataView(new ArrayBuffer(4 + 4 * dims.length));
      h.setUint8(2, type);
      h.setUint8(3, dims.length);
      dims.forEach((d, i) => h.setUint32(4 + 4 * i, d));
      return new Uint8Array(h.buffer);
    };
    // Items of 3 bytes (many per chunk, edges mid-item), of 150x150 (22,500 bytes: the 12th spans two
    // 256 KiB gunzip chunks), and of 1100x1000 (larger than a 1 MiB read); gzipped and raw; batches of 4 and 7.
    for (const [count, h, w] of [[2001, 1, 3], [25, 150, 150], [2, 1100, 1000]]) {
      const pixels = Uint8Array.from({ length: count * h * w }, (_, i) => (i * 7 + (i >> 9)) & 255);
      const labelBytes = Uint8Array.from({ length: count }, (_, i) => (i * 3) % 10);
      const image = Buffer.concat([header([count, h, w]), pixels]);
      const label = Buffer.concat([header([count]), labelBytes]);
      for (const gz of [false, true]) {
        const imagesFile = join(dir, `i-${count}-${gz}`);
        const labelsFile = join(dir, `l-${count}-${gz}`);
        writeFileSync(imagesFile, gz ? gzipSync(image) : image);
        writeFileSync(labelsFile, gz ? gzipSync(label) : label);
        const expected = await sn.io.loadIdxImages(imagesFile);
        for (const size of [4, 7]) {
          let rows = 0;
          for await (const b of sn.data.idx(imagesFile, labelsFile).batch(size)) {
            const xs = b.xs as sn.Block;
            const n = xs.shape[0];
            const want = expected.data.subarray(rows * h * w, (rows + n) * h * w);
            let mismatches = xs.data.length === want.length ? 0 : -1;
            for (let i = 0; i < want.length && mismatches >= 0; i++) if (xs.data[i] !== want[i]) mismatches++;
            expect(mismatches, `${count} items of ${h}x${w}, gzip ${gz}, batch ${size}, rows ${rows}..`).toBe(0);
            expect(Array.from((b.ys as sn.Block).data)).toEqual(Array.from(labelBytes.subarray(rows, rows + n)));
            rows += n;
          }
          expect(rows).toBe(count);
        }
        expected.dispose();
      }
    }
  });

  it('data.csv: header, label column, delimiter, quotes, defaults; bad rows name the file and line', async () => {
    const dir = tmp();
    const file = join(dir, 'a.csv');
    writeFileSync(file, 'a;b;"label"\r\n1;2.5;0\n\n"3";-4;1\n5;;2\n');
    const rows = await sn.data.csv(file, { delimiter: ';', label: 'label', columnConfigs: { b: { default: 9 } } }).toArray();
    expect(rows).toEqual([
      { xs: new Float32Array([1, 2.5]), ys: 0 },
      { xs: new Float32Array([3, -4]), ys: 1 },
      { xs: new Float32Array([5, 9]), ys: 2 },
    ]);
    const noHeader = join(dir, 'b.csv');
    writeFileSync(noHeader, '1,2,3\n4,5,6\n');
    const two = await sn.data.csv(noHeader, { hasHeader: false, columnNames: ['x', 'y1', 'y2'], columnConfigs: { y1: { isLabel: true }, y2: { isLabel: true } } }).toArray();
    expect(two[1]).toEqual({ xs: new Float32Array([4]), ys: new Float32Array([5, 6]) });
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'a,b\n1,2\n3,x\n');
    await expect(sn.data.csv(bad, { label: 'b' }).toArray()).rejects.toThrow(new RegExp(`${bad}:3: row 2, column 'b' is "x", not a finite number`));
    writeFileSync(bad, 'a,b\n1,2\n3\n');
    await expect(sn.data.csv(bad, { label: 'b' }).toArray()).rejects.toThrow(new RegExp(`${bad}:3: row 2 has 1 fields, the header has 2`));
    writeFileSync(bad, 'a,b\n1,2\n3,\n');
    await expect(sn.data.csv(bad, { label: 'b' }).toArray()).rejects.toThrow(/:3: row 2, column 'b' is empty/);
    await expect(sn.data.csv(bad, { label: 'c' }).toArray()).rejects.toThrow(/columnConfigs names column 'c'/);
    await expect(sn.data.csv(join(dir, 'none.csv')).toArray()).rejects.toThrow(/none.csv/);
    expect(() => sn.data.csv(file, { header: true } as never)).toThrow(/unknown option 'header'/);
    expect(() => sn.data.csv(file, { hasHeader: false })).toThrow(/columnNames must name the columns/);
  });
});

describe('data.csv: RFC 4180 records and string columns', () => {
  const CHUNKS = [1, 2, 3, 5, 7, 64, undefined];

  it('quoted fields spanning lines, doubled quotes, CRLF, BOM, empty fields: the same rows at every chunk size', async () => {
    const dir = tmp();
    const file = join(dir, 'rfc.csv');
    // A BOM, CRLF and LF line ends, a quoted header name, a field with the delimiter, one with a CRLF and an LF
    // inside, doubled quotes (also at a field's end and as a whole field), UTF-8 beyond ASCII, empty fields, a
    // blank line, and no newline at the end.
    const text = '\uFEFF"x1",note,x2,label\r\n' +
      '1.5,"a, b",2,cat\r\n' +
      '-2,"line one\r\nline two\nline ""three""",,dog\n' +
      '\n' +
      '3,"""",4,"cat"\r\n' +
      '4,,5,"émoji 🐍 ""q"""\n' +
      '5,plain,6,dog';
    writeFileSync(file, text);
    const configs = { note: { dtype: 'string' as const }, x2: { default: -1 }, label: { isLabel: true, dtype: 'string' as const } };
    const want = [
      { xs: new Float32Array([1.5, 2]), ys: 'cat', strings: { note: 'a, b' } },
      { xs: new Float32Array([-2, -1]), ys: 'dog', strings: { note: 'line one\r\nline two\nline "three"' } },
      { xs: new Float32Array([3, 4]), ys: 'cat', strings: { note: '"' } },
      { xs: new Float32Array([4, 5]), ys: 'émoji 🐍 "q"', strings: { note: '' } },
      { xs: new Float32Array([5, 6]), ys: 'dog', strings: { note: 'plain' } },
    ];
    for (const chunkBytes of CHUNKS) {
      const rows = await sn.data.csv(file, { columnConfigs: configs, ...(chunkBytes === undefined ? {} : { chunkBytes }) }).toArray();
      expect(rows, `chunkBytes ${chunkBytes}`).toEqual(want);
    }
    // A quote, a CRLF and a doubled quote each falling on a chunk boundary, for every offset of the file.
    const boundary = join(dir, 'boundary.csv');
    writeFileSync(boundary, 'a,b\r\n"1""2",3\r\n"x\r\ny",4\r\n');
    for (let chunkBytes = 1; chunkBytes <= 12; chunkBytes++) {
      const rows = await sn.data.csv(boundary, { columnConfigs: { a: { dtype: 'string' } }, chunkBytes }).toArray();
      expect(rows, `chunkBytes ${chunkBytes}`).toEqual([{ xs: new Float32Array([3]), strings: { a: '1"2' } }, { xs: new Float32Array([4]), strings: { a: 'x\r\ny' } }]);
    }
  });

  it('delimWhitespace: runs of spaces (and tabs) separate fields, as tfjs.data.csv reads them', async () => {
    const dir = tmp();
    const file = join(dir, 'spaces.csv');
    writeFileSync(file, 'a  b   label\n1  2.5 0\n  3 -4   1  \n\n5 "x y" 2\n');
    const configs = { b: { dtype: 'string' as const }, label: { isLabel: true } };
    const want = [
      { xs: new Float32Array([1]), ys: 0, strings: { b: '2.5' } },
      { xs: new Float32Array([3]), ys: 1, strings: { b: '-4' } },
      { xs: new Float32Array([5]), ys: 2, strings: { b: 'x y' } },
    ];
    for (const chunkBytes of CHUNKS) {
      expect(await sn.data.csv(file, { delimWhitespace: true, columnConfigs: configs, ...(chunkBytes === undefined ? {} : { chunkBytes }) }).toArray(), `chunkBytes ${chunkBytes}`).toEqual(want);
    }
    // tfjs reads the same but for trailing spaces (an empty last field there): compare on a file without them.
    const plain = join(dir, 'plain.csv');
    writeFileSync(plain, 'a  b   label\n1  2.5 0\n  3 -4   1\n5 6 2\n');
    const theirs = (await tf.data.csv(`file://${plain}`, { delimWhitespace: true, columnConfigs: { label: { isLabel: true } } }).toArray()) as unknown as { xs: Record<string, number>; ys: Record<string, number> }[];
    const ours = await sn.data.csv(plain, { delimWhitespace: true, label: 'label' }).toArray();
    expect(ours.map((o) => [...o.xs, o.ys])).toEqual(theirs.map((t) => [t.xs.a, t.xs.b, t.ys.label]));
    const tabs = join(dir, 'tabs.tsv');
    writeFileSync(tabs, 'a\tb\r\n1 \t 2\r\n');
    expect(await sn.data.csv(tabs, { delimWhitespace: true }).toArray()).toEqual([{ xs: new Float32Array([1, 2]) }]);
    expect(() => sn.data.csv(file, { delimWhitespace: true, delimiter: ' ' })).toThrow(/give delimiter or delimWhitespace, not both/);
  });

  it('reads what tfjs.data.csv reads from the same file: numbers, int32, bool, string columns and labels', async () => {
    const dir = tmp();
    const file = join(dir, 'mixed.csv');
    writeFileSync(file, 'id,city,flag,temp,kind\n7.9,"Oslo, NO",true,-3.25,cold\n8,Lima,0,19.5,warm\n9,"Said ""hi""",1,2.75e1,warm\n');
    const columnConfigs = { id: { dtype: 'int32' as const }, city: { dtype: 'string' as const }, flag: { dtype: 'bool' as const }, kind: { isLabel: true, dtype: 'string' as const } };
    const ours = await sn.data.csv(file, { columnConfigs }).toArray();
    const theirs = (await tf.data.csv(`file://${file}`, { columnConfigs }).toArray()) as unknown as { xs: Record<string, number | string>; ys: Record<string, string> }[];
    expect(ours).toHaveLength(3);
    expect(theirs).toHaveLength(3);
    ours.forEach((row, r) => {
      const t = theirs[r];
      expect(Array.from(row.xs)).toEqual(['id', 'flag', 'temp'].map((k) => Math.fround(t.xs[k] as number)));
      // RFC 4180's doubled quote is one quote; tfjs keeps both (the one difference).
      expect(row.strings).toEqual({ city: (t.xs.city as string).replaceAll('""', '"') });
      expect(row.ys).toBe(t.ys.kind);
    });
    expect(ours[0].xs[0]).toBe(7);
    expect([ours[2].strings!.city, theirs[2].xs.city]).toEqual(['Said "hi"', 'Said ""hi""']);
    // A string label, mapped to a class index, trains through batch() and fitDataset.
    const kinds = ['cold', 'warm'];
    const ds = sn.data.csv(file, { columnConfigs }).map(({ xs, ys }) => ({ xs, ys: kinds.indexOf(ys as string) })).batch(2);
    const m = sn.sequential([sn.layers.dense({ inputShape: [3], units: 2, activation: 'softmax' })], { seed: 1 });
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const h = await m.fitDataset(ds, { epochs: 1 });
    expect(h.epoch).toEqual([0]);
    m.dispose();
  });

  it('errors name the file, line, row and column; options are checked', async () => {
    const dir = tmp();
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'a,note,b\n1,"two\nlines",2\n3,"x",oops\n');
    await expect(sn.data.csv(bad, { columnConfigs: { note: { dtype: 'string' } } }).toArray()).rejects.toThrow(
      `${bad}:4: row 2, column 'b' is "oops", not a finite number (give columnConfigs.b.dtype: 'string' to read it as text)`,
    );
    // Without dtype string, a text column is an error that says how to read it.
    await expect(sn.data.csv(bad).toArray()).rejects.toThrow(`${bad}:2: row 1, column 'note' is "two\\nlines", not a finite number`);
    writeFileSync(bad, 'a,b\n1,"open\n2,3\n');
    await expect(sn.data.csv(bad).toArray()).rejects.toThrow(`${bad}:2: a quoted field in the record that starts here is still open at the end of the file`);
    writeFileSync(bad, 'a,b\n1,"q"x\n');
    await expect(sn.data.csv(bad).toArray()).rejects.toThrow(`${bad}:2: "x" after the closing quote of field 2`);
    writeFileSync(bad, 'a,b\n1,maybe\n');
    await expect(sn.data.csv(bad, { columnConfigs: { b: { dtype: 'bool' } } }).toArray()).rejects.toThrow(`${bad}:2: row 1, column 'b' is "maybe", not 1, 0, true or false`);
    writeFileSync(bad, 'a,s\n1,\n');
    await expect(sn.data.csv(bad, { columnConfigs: { s: { dtype: 'string', required: true } } }).toArray()).rejects.toThrow("row 1, column 's' is empty");
    expect(await sn.data.csv(bad, { columnConfigs: { s: { dtype: 'string' } } }).toArray()).toEqual([{ xs: new Float32Array([1]), strings: { s: '' } }]);
    expect(() => sn.data.csv(bad, { columnConfigs: { s: { dtype: 'text' as never } } })).toThrow(/columnConfigs.s.dtype must be one of float32, int32, bool, string/);
    expect(() => sn.data.csv(bad, { columnConfigs: { s: { dtype: 'string', default: 0 } } })).toThrow(/columnConfigs.s.default must be a string/);
    expect(() => sn.data.csv(bad, { columnConfigs: { a: { default: 'x' } } })).toThrow(/columnConfigs.a.default must be a finite number/);
    expect(() => sn.data.csv(bad, { delimiter: ';;' })).toThrow(/delimiter must be one character/);
    expect(() => sn.data.csv(bad, { chunkBytes: 0 })).toThrow(/chunkBytes must be a whole number >= 1/);
    // A string that reaches a numeric batch is an error naming it.
    writeFileSync(bad, 'a,kind\n1,cat\n2,dog\n');
    await expect(sn.data.csv(bad, { columnConfigs: { kind: { isLabel: true, dtype: 'string' } } }).batch(2).toArray()).rejects.toThrow('batch: ys of element 0 is the string "cat": a batch holds numbers; map it to one first');
  });
});

describe('training on a streamed file larger than the wasm memory allowed', () => {
  it('fitDataset over data.csv under setMemoryLimit matches the in-memory fit on the same rows', async () => {
    const ROWS = 30000;
    const FEATURES = 12;
    const dir = tmp();
    const file = join(dir, 'big.csv');
    // Values on a 1/64 grid: exact in float32 and in decimal text, so both paths see the same numbers.
    const x: number[][] = [];
    const labels: number[] = [];
    let seed = 12345;
    const next = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const lines = [[...Array.from({ length: FEATURES }, (_, i) => `f${i}`), 'label'].join(',')];
    for (let r = 0; r < ROWS; r++) {
      const row = Array.from({ length: FEATURES }, () => Math.round((next() * 2 - 1) * 64) / 64);
      const label = row[0] + row[1] * 0.5 > 0 ? (row[2] > 0 ? 0 : 1) : 2;
      x.push(row);
      labels.push(label);
      lines.push([...row, label].join(','));
    }
    writeFileSync(file, lines.join('\n') + '\n');
    const make = (): InstanceType<typeof sn.Sequential> => {
      const m = sn.sequential([sn.layers.dense({ units: 16, inputShape: [FEATURES], activation: 'relu' }), sn.layers.dense({ units: 3, activation: 'softmax' })], { seed: 5 });
      m.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    const streamed = make();
    const dataBytes = ROWS * (FEATURES + 1) * 4;
    const cap = sn.memory().bytes + 256 * 1024;
    sn.setMemoryLimit(cap);
    expect(dataBytes).toBeGreaterThan(4 * (cap - sn.memory().bytes));
    // The rows cannot be in the wasm memory under this cap ...
    expect(() => sn.tensor(new Float32Array(ROWS * FEATURES), [ROWS, FEATURES])).toThrow(/memory limit \(setMemoryLimit\)/);
    // ... but streamed, one batch at a time, they train.
    const ds = sn.data.csv(file, { label: 'label' }).batch(64).prefetch(2);
    const h = await streamed.fitDataset(ds, { epochs: 2 });
    const streamedEval = await streamed.evaluateDataset(ds);
    sn.setMemoryLimit(null);
    const inMemory = make();
    const h0 = await inMemory.fit(x, labels, { epochs: 2, batchSize: 64, shuffle: false });
    expect(h.history.accuracy).toEqual(h0.history.accuracy);
    expect(streamed.getWeights().map((w) => Array.from(w))).toEqual(inMemory.getWeights().map((w) => Array.from(w)));
    const e0 = inMemory.evaluate(x, labels);
    expect(streamedEval.accuracy).toBe(e0.accuracy);
    expect(e0.accuracy!).toBeGreaterThan(0.9);
    streamed.dispose();
    inMemory.dispose();
  });
});
