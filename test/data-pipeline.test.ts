// sn.data: streamed sources (IDX pairs, CSV files, arrays, generators) and the pipeline (shuffle, batch, map,
// prefetch, take). The last test trains on a CSV file streamed under a wasm memory cap its rows cannot fit
// in, and matches the in-memory fit on the same rows (same order, same batches: the same weights, so the
// same accuracy).
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    await expect(sn.data.csv(bad, { label: 'b' }).toArray()).rejects.toThrow(new RegExp(`${bad}:3: column 'b' is "x", not a finite number`));
    writeFileSync(bad, 'a,b\n1,2\n3\n');
    await expect(sn.data.csv(bad, { label: 'b' }).toArray()).rejects.toThrow(new RegExp(`${bad}:3: 1 fields, the header has 2`));
    writeFileSync(bad, 'a,b\n1,2\n3,\n');
    await expect(sn.data.csv(bad, { label: 'b' }).toArray()).rejects.toThrow(/:3: column 'b' is empty/);
    await expect(sn.data.csv(bad, { label: 'c' }).toArray()).rejects.toThrow(/columnConfigs names column 'c'/);
    await expect(sn.data.csv(join(dir, 'none.csv')).toArray()).rejects.toThrow(/none.csv/);
    expect(() => sn.data.csv(file, { header: true } as never)).toThrow(/unknown option 'header'/);
    expect(() => sn.data.csv(file, { hasHeader: false })).toThrow(/columnNames must name the columns/);
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
