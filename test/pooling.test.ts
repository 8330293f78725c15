// Pooling (assembly/pooling.ts, src/nn/layers/pooling.ts): every kernel against the float64 reference
// (test/reference/pooling.ts) on awkward shapes: pools 1, 2, 3 and 2x3, strides 1-3, even and odd sizes,
// 'same' padding at the borders, 1, 3, 5 and 8 channels (vector lanes and scalar tail), batch 1; NaN in a
// max window; the layers' forward/backward and forward64; gradCheck through
// each layer; option and shape errors; save/load; buffers planned once per fit; and TensorFlow.js
// export/import against the real @tensorflow/tfjs.
//
// Tolerances: max pooling forward is exact (a maximum is one of the inputs) and its argmax identical;
// its backward adds at most poolHeight * poolWidth values of dy in [-1, 1] per element, and the average
// pooling passes sum at most 9 values in [-1, 1] in f32, so each is within 2e-6 absolute of float64
// (9 additions of at most 9 * 2^-24 each: 5e-6 worst case, far less in practice). Global average pooling
// sums up to 26 * 26 values in f32: within 2e-5 absolute (676 * 2^-24 relative to sums <= 1 per value).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as sn from '../dist/index.js';
import { kernels } from '../dist/backend/wasm.js';
import { allocate, heapF32, heapI32, release } from '../dist/backend/allocator.js';
import { releaseGemmScratch } from '../dist/ops/matmul.js';
import * as ref from './reference/pooling.js';
import { randomValues } from './reference/random.js';

const POOL_TOL = 2e-6;
const GLOBAL_TOL = 2e-5;

interface Case extends ref.PoolGeometry {
  images: number;
}

function poolCase(images: number, [height, width, channels]: number[], pool: number | [number, number], stride: number | [number, number], padding: 'valid' | 'same'): Case {
  const [poolHeight, poolWidth] = typeof pool === 'number' ? [pool, pool] : pool;
  const [strideHeight, strideWidth] = typeof stride === 'number' ? [stride, stride] : stride;
  return { images, height, width, channels, poolHeight, poolWidth, strideHeight, strideWidth, padding };
}

const CASES: Case[] = [
  poolCase(1, [4, 4, 1], 2, 2, 'valid'),
  poolCase(2, [5, 7, 3], 2, 2, 'valid'),
  poolCase(3, [6, 5, 5], 3, 1, 'valid'),
  poolCase(1, [7, 6, 8], 3, 2, 'same'),
  poolCase(2, [5, 8, 3], 2, 3, 'same'),
  poolCase(1, [4, 5, 5], [2, 3], [1, 2], 'same'),
  poolCase(2, [8, 8, 1], 3, 3, 'same'),
  poolCase(1, [3, 3, 8], 2, 1, 'same'),
  poolCase(3, [1, 1, 3], 1, 1, 'valid'),
  poolCase(1, [3, 3, 4], 3, 2, 'valid'),
  poolCase(2, [9, 9, 5], 3, 3, 'valid'),
  poolCase(1, [7, 7, 8], 2, 2, 'same'),
  poolCase(2, [26, 26, 32], 2, 2, 'valid'),
  poolCase(1, [11, 11, 64], 2, 2, 'valid'),
];

const label = (c: Case): string =>
  `${c.images}x${c.height}x${c.width}x${c.channels}, pool ${c.poolHeight}x${c.poolWidth}, strides ${c.strideHeight}x${c.strideWidth}, '${c.padding}'`;

function geometryArgs(c: Case): number[] {
  const o = ref.poolOutput(c);
  return [c.height, c.width, c.channels, o.outHeight, o.outWidth, c.poolHeight, c.poolWidth, c.strideHeight, c.strideWidth, o.padTop, o.padLeft];
}

function worstError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  return worst;
}

/** A block of floats in the wasm memory, filled with `values` (or a sentinel). */
function block(count: number, values?: ArrayLike<number>): number {
  const ptr = allocate(Math.max(1, count) * 4);
  const view = heapF32().subarray(ptr / 4, ptr / 4 + count);
  if (values === undefined) view.fill(-7.25);
  else view.set(values);
  return ptr;
}
const floats = (ptr: number, count: number): Float32Array => heapF32().slice(ptr / 4, ptr / 4 + count);

describe('pooling kernels vs the float64 reference', () => {
  for (const c of CASES) {
    it(`${label(c)}: max and average, forward and backward`, () => {
        const o = ref.poolOutput(c);
        const inSize = c.height * c.width * c.channels;
        const outSize = o.outHeight * o.outWidth * c.channels;
        const xValues = randomValues(c.images * inSize, -1, 1, inSize + c.images);
        const dyValues = randomValues(c.images * outSize, -1, 1, outSize + 7);
        const x = block(c.images * inSize, xValues);
        const y = block(c.images * outSize);
        const argmax = block(c.images * outSize);
        const dy = block(c.images * outSize, dyValues);
        const dx = block(c.images * inSize);
        const geometry = geometryArgs(c);
        try {
          const wantMax = ref.maxPool(xValues, c.images, c);
          kernels.maxPoolForwardF32x4(x, inSize, y, argmax, c.images, ...geometry);
          expect(Array.from(floats(y, c.images * outSize))).toEqual(Array.from(wantMax.y, Math.fround));
          expect(Array.from(heapI32().slice(argmax / 4, argmax / 4 + c.images * outSize))).toEqual(Array.from(wantMax.argmax));
          // Without an argmax buffer (inference): the same outputs.
          heapF32().fill(0, y / 4, y / 4 + c.images * outSize);
          kernels.maxPoolForwardF32x4(x, inSize, y, 0, c.images, ...geometry);
          expect(Array.from(floats(y, c.images * outSize))).toEqual(Array.from(wantMax.y, Math.fround));

          kernels.maxPoolBackward(dy, argmax, outSize, dx, inSize, c.images);
          expect(worstError(floats(dx, c.images * inSize), ref.poolBackward(dyValues, wantMax.argmax, c.images, c))).toBeLessThan(POOL_TOL);

          kernels.avgPoolForwardF32x4(x, inSize, y, c.images, ...geometry);
          expect(worstError(floats(y, c.images * outSize), ref.avgPool(xValues, c.images, c))).toBeLessThan(POOL_TOL);
          // dx starts as NaN: the kernel zero-fills it first.
          heapF32().fill(NaN, dx / 4, dx / 4 + c.images * inSize);
          kernels.avgPoolBackwardF32x4(dy, dx, inSize, c.images, ...geometry);
          expect(worstError(floats(dx, c.images * inSize), ref.poolBackward(dyValues, null, c.images, c))).toBeLessThan(POOL_TOL);
        } finally {
          [x, y, argmax, dy, dx].forEach(release);
        }
    });
  }

  for (const [images, positions, channels] of [[1, 1, 1], [2, 4, 3], [3, 9, 5], [1, 25, 8], [2, 676, 32], [1, 121, 64], [2, 7, 13]]) {
    it(`global average pooling, ${images} images of ${positions} positions x ${channels} channels`, () => {
      const xValues = randomValues(images * positions * channels, -1, 1, positions * channels);
      const dyValues = randomValues(images * channels, -1, 1, channels + 3);
      const x = block(images * positions * channels, xValues);
      const y = block(images * channels);
      const dy = block(images * channels, dyValues);
      const dx = block(images * positions * channels);
      try {
        kernels.globalAvgPoolForwardF32x4(x, y, images, positions, channels);
        expect(worstError(floats(y, images * channels), ref.globalAvgPool(xValues, images, positions, channels))).toBeLessThan(GLOBAL_TOL);
        kernels.globalAvgPoolBackwardF32x4(dy, dx, images, positions, channels);
        // dy / positions is one f32 division: within half an ulp.
        const want = ref.globalAvgPoolBackward(dyValues, images, positions, channels);
        expect(Array.from(floats(dx, images * positions * channels))).toEqual(Array.from(want, Math.fround));
      } finally {
        [x, y, dy, dx].forEach(release);
      }
    });
  }

  it('NaN in a max window propagates: the output is NaN and its gradient goes to the first NaN (lanes and tail)', () => {
    // One 2x2 image, 5 channels (a vector of 4 and a tail of 1), one 2x2 window.
    const c = poolCase(1, [2, 2, 5], 2, 2, 'valid');
    const values = Float32Array.from({ length: 20 }, (_, i) => i / 10);
    // Channel 0: NaN at position 1 only; channel 1: NaN at positions 2 and 3 (the first wins); channel 4 (tail): NaN at position 0.
    values[1 * 5 + 0] = NaN;
    values[2 * 5 + 1] = NaN;
    values[3 * 5 + 1] = NaN;
    values[0 * 5 + 4] = NaN;
    const x = block(20, values);
    const y = block(5);
    const argmax = block(5);
    const dy = block(5, [1, 2, 3, 4, 5]);
    const dx = block(20);
    try {
      kernels.maxPoolForwardF32x4(x, 20, y, argmax, 1, ...geometryArgs(c));
      const got = floats(y, 5);
      expect([Number.isNaN(got[0]), Number.isNaN(got[1]), got[2], got[3], Number.isNaN(got[4])]).toEqual([true, true, Math.fround(1.7), Math.fround(1.8), true]);
      expect(Array.from(heapI32().slice(argmax / 4, argmax / 4 + 5))).toEqual([5, 11, 17, 18, 4]);
      const want = ref.maxPool(values, 1, c);
      expect(Array.from(heapI32().slice(argmax / 4, argmax / 4 + 5))).toEqual(Array.from(want.argmax));
      kernels.maxPoolBackward(dy, argmax, 5, dx, 20, 1);
      const grad = floats(dx, 20);
      expect([grad[5], grad[11], grad[17], grad[18], grad[4]]).toEqual([1, 2, 3, 4, 5]);
      expect(grad.reduce((s, v) => s + v, 0)).toBe(15);
    } finally {
      [x, y, argmax, dy, dx].forEach(release);
    }
  });

  it('ties keep the first maximum in window order', () => {
    const c = poolCase(1, [2, 2, 4], 2, 2, 'valid');
    const x = block(16, new Float32Array(16).fill(0.5));
    const y = block(4);
    const argmax = block(4);
    try {
      kernels.maxPoolForwardF32x4(x, 16, y, argmax, 1, ...geometryArgs(c));
      expect(Array.from(heapI32().slice(argmax / 4, argmax / 4 + 4))).toEqual([0, 1, 2, 3]);
    } finally {
      [x, y, argmax].forEach(release);
    }
  });
});

type PoolFactory = 'maxPooling2d' | 'averagePooling2d';

function layerOf(kind: PoolFactory, c: Case): sn.Layer {
  return sn.layers[kind]({ poolSize: [c.poolHeight, c.poolWidth], strides: [c.strideHeight, c.strideWidth], padding: c.padding });
}

describe('pooling layers: forward, backward and forward64 vs the reference', () => {
  for (const c of CASES.filter((k) => k.height * k.width * k.channels < 5000)) {
    it(label(c), () => {
      const o = ref.poolOutput(c);
      const inSize = c.height * c.width * c.channels;
      const outSize = o.outHeight * o.outWidth * c.channels;
      const xValues = randomValues(c.images * inSize, -1, 1, inSize);
      const dyValues = randomValues(c.images * outSize, -1, 1, outSize);
      const x = sn.tensor(xValues, [c.images, c.height, c.width, c.channels]);
      const dy = sn.tensor(dyValues, [c.images, o.outHeight, o.outWidth, c.channels]);
      for (const kind of ['maxPooling2d', 'averagePooling2d'] as const) {
        const layer = layerOf(kind, c);
        const y = layer.forward(x);
        expect(y.shape).toEqual([c.images, o.outHeight, o.outWidth, c.channels]);
        const want = kind === 'maxPooling2d' ? ref.maxPool(xValues, c.images, c) : null;
        const wantY = want?.y ?? ref.avgPool(xValues, c.images, c);
        expect(worstError(y.data, wantY), kind).toBeLessThan(POOL_TOL);
        expect(worstError(layer.forward64(Float64Array.from(xValues), c.images, [], false, false), wantY), `${kind} forward64`).toBeLessThan(1e-12);
        const dx = layer.backward(dy);
        expect(worstError(dx.data, ref.poolBackward(dyValues, want?.argmax ?? null, c.images, c)), `${kind} backward`).toBeLessThan(POOL_TOL);
        layer.dispose();
      }
      const global = sn.layers.globalAveragePooling2d();
      const gy = global.forward(x);
      expect(gy.shape).toEqual([c.images, c.channels]);
      const positions = c.height * c.width;
      expect(worstError(gy.data, ref.globalAvgPool(xValues, c.images, positions, c.channels))).toBeLessThan(GLOBAL_TOL);
      const gdy = sn.tensor(dyValues.slice(0, c.images * c.channels), [c.images, c.channels]);
      expect(worstError(global.backward(gdy).data, ref.globalAvgPoolBackward(gdy.data, c.images, positions, c.channels))).toBeLessThan(1e-7);
      global.dispose();
      [x, dy, gdy].forEach((t) => t.dispose());
    });
  }
});

describe('gradCheck through the pooling layers', () => {
  // A Dense at every pixel before the pooling layer, so its kernel's gradient flows through the pooling
  // backward; random weights and inputs, so no two values of a max window tie (within the 1e-5 step).
  const pools: [string, () => sn.Layer][] = [
    ['maxPooling2d 2, strides 1 (overlapping windows)', () => sn.layers.maxPooling2d({ poolSize: 2, strides: 1 })],
    ['maxPooling2d 3, strides 2, same', () => sn.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' })],
    ['averagePooling2d 3, strides 2, same', () => sn.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })],
    ['averagePooling2d [2, 3], strides 1', () => sn.layers.averagePooling2d({ poolSize: [2, 3], strides: 1 })],
    ['globalAveragePooling2d', () => sn.layers.globalAveragePooling2d()],
  ];
  for (const [name, make] of pools) {
    it(`${name}: < 1e-3`, () => {
      const rows = 3;
      const pool = make();
      const layers = [sn.layers.dense({ inputShape: [5, 5, 2], units: 5, activation: 'tanh' }), pool];
      if (!(pool instanceof sn.GlobalAveragePooling2D)) layers.push(sn.layers.flatten());
      layers.push(sn.layers.dense({ units: 3, activation: 'softmax' }));
      const model = sn.sequential(layers, { seed: 11 });
      model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      const x = { data: Array.from(randomValues(rows * 50, -2, 2, 9)), shape: [rows, 5, 5, 2] };
      const results = sn.gradCheck(model, x, { data: [0, 2, 1], shape: [rows] });
      expect(results.length).toBe(4);
      for (const r of results) {
        expect(r.checked).toBeGreaterThan(0);
        expect(r.maxRelativeError, r.name).toBeLessThan(1e-3);
      }
      model.dispose();
    });
  }
});

describe('pooling layer options and shapes', () => {
  it('tfjs-layers defaults: poolSize 2, strides = poolSize, padding valid, channels last', () => {
    const layer = sn.layers.maxPooling2d();
    expect(layer.getConfig()).toEqual({ name: layer.name, trainable: true, poolSize: [2, 2], padding: 'valid', strides: [2, 2], dataFormat: 'channelsLast' });
    expect(sn.layers.averagePooling2d({ poolSize: 3 }).strides).toEqual([3, 3]);
    expect(sn.layers.averagePooling2d({ poolSize: [3, 2], strides: null }).strides).toEqual([3, 2]);
    expect(sn.layers.maxPooling2d({ strides: [1, 2] }).poolSize).toEqual([2, 2]);
    expect(layer.name).toMatch(/^max_pooling2d(_\d+)?$/);
    expect(sn.layers.globalAveragePooling2d().name).toMatch(/^global_average_pooling2d(_\d+)?$/);
    // tfjs-layers' aliases.
    expect(sn.layers.maxPool2d()).toBeInstanceOf(sn.MaxPooling2D);
    expect(sn.layers.avgPool2d()).toBeInstanceOf(sn.AveragePooling2D);
    expect(sn.layers.avgPooling2d()).toBeInstanceOf(sn.AveragePooling2D);
  });

  it('bad options are errors naming the option', () => {
    expect(() => sn.layers.maxPooling2d({ poolsize: 2 } as never)).toThrow(/unknown option 'poolsize'.*valid: .*poolSize, strides, padding, dataFormat/);
    expect(() => sn.layers.globalAveragePooling2d({ poolSize: 2 } as never)).toThrow(/unknown option 'poolSize'/);
    expect(() => sn.layers.maxPooling2d({ poolSize: 0 })).toThrow(/poolSize must be a whole number >= 1.*got 0/);
    expect(() => sn.layers.maxPooling2d({ poolSize: [2, 2, 2] as never })).toThrow(/poolSize .*\[height, width\] pair/);
    expect(() => sn.layers.averagePooling2d({ strides: 1.5 })).toThrow(/strides must be a whole number >= 1/);
    expect(() => sn.layers.averagePooling2d({ padding: 'causal' as never })).toThrow(/padding must be 'valid' or 'same', got "causal"/);
    expect(() => sn.layers.maxPooling2d({ dataFormat: 'channelsFirst' as never })).toThrow(/dataFormat must be 'channelsLast'/);
    expect(() => sn.layers.globalAveragePooling2d({ dataFormat: 'channelsFirst' as never })).toThrow(/dataFormat must be 'channelsLast'/);
  });

  it('computeOutputShape: TensorFlow sizes, and clear errors for non-image inputs and windows larger than the input', () => {
    expect(sn.layers.maxPooling2d().computeOutputShape([26, 26, 32])).toEqual([13, 13, 32]);
    expect(sn.layers.maxPooling2d().computeOutputShape([11, 11, 64])).toEqual([5, 5, 64]);
    expect(sn.layers.maxPooling2d({ padding: 'same' }).computeOutputShape([11, 11, 64])).toEqual([6, 6, 64]);
    expect(sn.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }).computeOutputShape([7, 1, 3])).toEqual([4, 1, 3]);
    expect(sn.layers.globalAveragePooling2d().computeOutputShape([7, 5, 3])).toEqual([3]);
    expect(() => sn.layers.maxPooling2d({ name: 'p' }).computeOutputShape([28, 28])).toThrow(/p expects images \[height, width, channels\] per sample \(NHWC\), got input shape \[28, 28\]/);
    expect(() => sn.layers.globalAveragePooling2d({ name: 'g' }).computeOutputShape([784])).toThrow(/g expects images \[height, width, channels\]/);
    expect(() => sn.layers.maxPooling2d({ name: 'big', poolSize: [3, 5] }).computeOutputShape([4, 4, 1])).toThrow(/big: poolSize \[3, 5\] is larger than the input image 4x4 with padding 'valid'/);
    expect(sn.layers.maxPooling2d({ poolSize: [3, 5], padding: 'same' }).computeOutputShape([4, 4, 1])).toEqual([2, 1, 1]);
    expect(() => sn.sequential([sn.layers.maxPooling2d({ inputShape: [784] })])).toThrow(/expects images/);
  });
});

/** [rows, 6, 6, 2] images through reshape -> pooling -> flatten -> dense, in simdnet and tfjs. */
function poolingModel(seed: number): InstanceType<typeof sn.Sequential> {
  return sn.sequential(
    [
      sn.layers.reshape({ inputShape: [72], targetShape: [6, 6, 2] }),
      sn.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' }),
      sn.layers.averagePooling2d({ poolSize: 2, strides: [2, 1] }),
      sn.layers.maxPooling2d({ poolSize: [2, 3], strides: 2, padding: 'same' }),
      sn.layers.flatten(),
      sn.layers.dense({ units: 4, activation: 'softmax' }),
    ],
    { seed },
  );
}

describe('pooling models: fit, save/load, memory', () => {
  it('trains with buffers planned once per fit (memory() the same after every batch), saves and loads with identical predictions', async () => {
    const rows = 50;
    const x = sn.tensor(randomValues(rows * 72, -1, 1, 3), [rows, 72]);
    const y = sn.tensor(Float32Array.from({ length: rows }, (_, i) => i % 4), [rows]);
    const before = sn.memory();
    const model = sn.sequential(
      [
        sn.layers.reshape({ inputShape: [72], targetShape: [6, 6, 2] }),
        sn.layers.dense({ units: 4, activation: 'relu' }),
        sn.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
        sn.layers.averagePooling2d({ padding: 'same' }),
        sn.layers.globalAveragePooling2d(),
        sn.layers.dense({ units: 4, activation: 'softmax' }),
      ],
      { seed: 3 },
    );
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const bytes: number[] = [];
    const first = model.getWeights()[0].slice();
    await model.fit(x, y, { epochs: 2, batchSize: 16, seed: 1, callbacks: { onBatchEnd: () => void bytes.push(sn.memory().bytes) } });
    expect(bytes.length).toBe(8);
    expect(new Set(bytes.slice(1)).size, `memory() after each batch: ${bytes.join(', ')}`).toBe(1);
    // The gradient reached the first Dense through all three pooling layers.
    expect(model.getWeights()[0]).not.toEqual(first);

    const dir = mkdtempSync(join(tmpdir(), 'simdnet-pooling-'));
    await sn.saveModel(model, dir);
    const loaded = await sn.loadModel(dir);
    expect(loaded.layers.slice(1).map((l) => l.getConfig())).toEqual(model.layers.slice(1).map((l) => l.getConfig()));
    const [ours, theirs] = [loaded.predict(x), model.predict(x)];
    expect(Array.from(ours.data)).toEqual(Array.from(theirs.data));
    [ours, theirs, loaded, model].forEach((t) => t.dispose());
    // Everything fit and the models held is freed (the worker pool's GEMM scratch aside).
    releaseGemmScratch();
    expect(sn.memory().bytes).toBe(before.bytes);
    x.dispose();
    y.dispose();
  });
});

describe('pooling and TensorFlow.js (the real @tensorflow/tfjs, cpu backend)', () => {
  const TOLERANCE = 1e-5;
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => tf.disposeVariables());

  /** simdnet's and tfjs's predictions agree within TOLERANCE on 1 and `rows` samples of shape `sample`, values in [-2, 2]. */
  async function expectSamePredictions(model: InstanceType<typeof sn.Sequential>, tfModel: tf.LayersModel, sample: number[], rows: number): Promise<void> {
    const size = sample.reduce((a, b) => a * b, 1);
    for (const n of [1, rows]) {
      const values = randomValues(n * size, -2, 2, n + size);
      const x = sn.tensor(values, [n, ...sample]);
      const want = tfModel.predict(tf.tensor(values, [n, ...sample])) as tf.Tensor;
      const got = model.predict(x);
      expect(worstError(got.data, await want.data()), `${n} samples`).toBeLessThanOrEqual(TOLERANCE);
      [want, got, x].forEach((t) => t.dispose());
    }
  }

  /** `model` through exportTfjs, as tf.loadLayersModel reads it back, with the model.json written. */
  async function exportToTfjs(model: InstanceType<typeof sn.Sequential>): Promise<{ modelJson: { modelTopology: { config: { layers: unknown[] } } }; tfModel: tf.LayersModel }> {
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-pooling-tfjs-'));
    await model.exportTfjs(dir);
    const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const bin = readFileSync(join(dir, 'weights.bin'));
    const tfModel = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights), weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }),
    );
    return { modelJson, tfModel };
  }

  it('exports a pooling model whose JSON is the one tfjs writes, and tfjs predicts within 1e-5', async () => {
    const model = poolingModel(5);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const { modelJson, tfModel } = await exportToTfjs(model);
    // tfjs's own configs of the same layers, as its toJSON writes them.
    const ours = modelJson.modelTopology.config.layers as { class_name: string; config: Record<string, unknown> }[];
    const theirs = (tfModel.toJSON(null, false) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers;
    expect(ours.slice(1, 4)).toEqual(theirs.slice(1, 4));
    expect(ours.slice(1, 4).map((l) => l.class_name)).toEqual(['MaxPooling2D', 'AveragePooling2D', 'MaxPooling2D']);
    await expectSamePredictions(model, tfModel, [72], 9);
    tfModel.dispose();
    model.dispose();
  });

  it('exports a model whose first layer is a pooling layer (batch_input_shape and dtype on it, as tfjs writes)', async () => {
    const model = sn.sequential([sn.layers.averagePooling2d({ inputShape: [5, 6, 3], poolSize: 2, strides: 1, padding: 'same' }), sn.layers.globalAveragePooling2d(), sn.layers.dense({ units: 2 })], { seed: 2 });
    const { modelJson, tfModel } = await exportToTfjs(model);
    const theirs = (tfModel.toJSON(null, false) as { config: { layers: unknown[] } }).config.layers;
    expect(modelJson.modelTopology.config.layers.slice(0, 2)).toEqual(theirs.slice(0, 2));
    await expectSamePredictions(model, tfModel, [5, 6, 3], 4);
    tfModel.dispose();
    model.dispose();
  });

  it('imports a tfjs model with every pooling layer (and alias factories) and predicts within 1e-5', async () => {
    const tfModel = tf.sequential({
      layers: [
        tf.layers.reshape({ inputShape: [98], targetShape: [7, 7, 2] }),
        tf.layers.dense({ units: 3, activation: 'tanh', biasInitializer: 'randomNormal' }),
        tf.layers.maxPool2d({ poolSize: 3, strides: 2, padding: 'same' }),
        tf.layers.avgPool2d({ poolSize: [2, 1], strides: 1, padding: 'same' }),
        tf.layers.averagePooling2d({ poolSize: 2, strides: 1 }),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-pooling-from-tfjs-'));
    await tfModel.save(
      tf.io.withSaveHandler(async (artifacts) => {
        writeFileSync(join(dir, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
        writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: artifacts.modelTopology, format: artifacts.format, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] }));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const model = await sn.loadTfjs(dir);
    expect(model.layers.map((l) => l.className)).toEqual(['Reshape', 'Dense', 'MaxPooling2D', 'AveragePooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'Dense']);
    await expectSamePredictions(model, tfModel, [98], 6);
    model.dispose();
    tfModel.dispose();
  });

  it('refuses a channels_first pooling layer from tfjs, naming it', () => {
    expect(() => sn.MaxPooling2D.fromTfjs({ name: 'p1', pool_size: [2, 2], strides: [2, 2], padding: 'valid', data_format: 'channels_first' }, 'model.json')).toThrow(
      /model.json: layer 'p1' has data_format "channels_first"/,
    );
    expect(() => sn.GlobalAveragePooling2D.fromTfjs({ name: 'g1', data_format: 'channels_first' }, 'model.json')).toThrow(/layer 'g1' has data_format/);
  });
});
