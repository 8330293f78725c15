// Conv2D (src/nn/layers/conv2d.ts) and its kernels (assembly/conv.ts): im2col (also transposed, for one
// channel) and col2im against the float64 reference of test/reference/conv.ts on awkward shapes (1x1, 3x3,
// 2x3, 3x5 and 5x4 kernels, even and odd sizes, strides 1, 2 and 3, 'same' padding at the borders, kernels
// wider than the image, 1 to 32 channels, batch 1, filters off the GEMM tile); the layer's forward and backward against the same reference; gradCheck; save/load; TensorFlow.js
// both ways against the real @tensorflow/tfjs; option errors; memory planned once per fit; and a small
// convnet that learns the digits.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as sn from '../dist/index.js';
import { allocate, heapF32, release } from '../dist/backend/allocator.js';
import { kernels } from '../dist/backend/wasm.js';
import { gemmScratchBytes, releaseGemmScratch } from '../dist/ops/matmul.js';

type Thirteen = [number, number, number, number, number, number, number, number, number, number, number, number, number];
import { col2im, conv2dBackward, conv2dForward, convGeometry, im2col, type ConvShape } from './reference/conv.js';
import { randomValues } from './reference/random.js';

const U = 2 ** -24;
/**
 * A float32 sum of `terms` products has |error| <= gamma_terms * sum |term| (Higham 2002, eq. 3.5),
 * gamma_n = n u / (1 - n u); rigorous, so only a wrong, missing or repeated term can exceed it.
 */
const sumTolerance = (terms: number, magnitude: number): number => ((terms * U) / (1 - terms * U)) * magnitude + 1e-30;

const dirs: string[] = [];
const tmp = (name: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `simdnet-conv-${name}-`));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const shape = (n: number, h: number, w: number, c: number, kh: number, kw: number, sy: number, sx: number, padding: 'valid' | 'same'): ConvShape => ({ n, h, w, c, kh, kw, sy, sx, padding });

const SHAPES: ConvShape[] = [
  shape(1, 1, 1, 1, 1, 1, 1, 1, 'valid'),
  shape(2, 4, 5, 3, 1, 1, 1, 1, 'valid'),
  shape(1, 4, 9, 4, 1, 1, 2, 1, 'same'),
  shape(2, 5, 5, 1, 3, 3, 1, 1, 'valid'),
  shape(1, 6, 7, 3, 3, 3, 2, 2, 'same'),
  shape(3, 7, 6, 3, 2, 3, 1, 1, 'same'),
  shape(1, 8, 8, 5, 3, 3, 2, 2, 'valid'),
  shape(2, 5, 4, 8, 5, 4, 1, 1, 'same'),
  shape(1, 3, 3, 2, 3, 3, 3, 3, 'same'),
  shape(2, 9, 7, 1, 2, 3, 2, 1, 'same'),
  shape(3, 28, 28, 1, 3, 3, 1, 1, 'valid'),
  shape(2, 13, 13, 32, 3, 3, 1, 1, 'valid'),
  shape(2, 7, 8, 1, 3, 3, 2, 2, 'same'),
  shape(1, 2, 3, 1, 3, 5, 1, 1, 'same'),
];
const label = (s: ConvShape): string => `[${s.n}, ${s.h}, ${s.w}, ${s.c}] * ${s.kh}x${s.kw} stride ${s.sy},${s.sx} ${s.padding}`;

describe('im2colNHWC and col2imNHWC against the float64 reference', () => {
  let baseline: { tensors: number; bytes: number };
  beforeEach(() => {
    baseline = sn.memory();
  });
  afterEach(() => {
    expect(sn.memory()).toEqual(baseline);
  });

  /** The kernels' arguments after the two pointers, for images [0, n). */
  const geometryArgs = (s: ConvShape): number[] => {
    const g = convGeometry(s);
    return [0, s.n, s.h, s.w, s.c, s.kh, s.kw, s.sy, s.sx, g.padTop, g.padLeft, g.oh, g.ow];
  };

  for (const s of SHAPES) {
    it(`${label(s)}: im2col exactly (a copy, zeros in the padding), writing nothing past its rows`, () => {
      const g = convGeometry(s);
      const x = randomValues(s.n * s.h * s.w * s.c, -2, 2, s.h * 31 + s.c);
      const expected = im2col(x, s);
      const xPtr = allocate(x.length * 4);
      // One sentinel float past the matrix: the kernel must stop at its last row.
      const colsPtr = allocate((expected.length + 1) * 4);
      heapF32().set(x, xPtr / 4);
      heapF32().fill(Number.NaN, colsPtr / 4, colsPtr / 4 + expected.length);
      heapF32()[colsPtr / 4 + expected.length] = 12345;
      kernels.im2colNHWC(xPtr, colsPtr, ...(geometryArgs(s) as Thirteen));
      const got = heapF32().slice(colsPtr / 4, colsPtr / 4 + expected.length + 1);
      expect(Array.from(got.subarray(0, expected.length))).toEqual(Array.from(expected));
      expect(got[expected.length]).toBe(12345);
      expect(expected.length).toBe(s.n * g.oh * g.ow * s.kh * s.kw * s.c);
      release(xPtr);
      release(colsPtr);
    });

    if (s.c === 1) {
      it(`${label(s)}: im2colTransposedC1 is im2col transposed, exactly, image by image`, () => {
        const g = convGeometry(s);
        const x = randomValues(s.n * s.h * s.w, -2, 2, s.h * 13 + s.w);
        const expected = im2col(x, s);
        const columns = s.n * g.oh * g.ow;
        const patch = s.kh * s.kw;
        const xPtr = allocate(x.length * 4);
        const colsPtr = allocate(expected.length * 4);
        heapF32().set(x, xPtr / 4);
        heapF32().fill(Number.NaN, colsPtr / 4, colsPtr / 4 + expected.length);
        // One call per image: each writes its own columns of every row (what the thread pool relies on).
        for (let img = 0; img < s.n; img++) {
          kernels.im2colTransposedC1(xPtr, colsPtr, img, 1, columns, s.h, s.w, s.kh, s.kw, s.sy, s.sx, g.padTop, g.padLeft, g.oh, g.ow);
        }
        const got = heapF32().slice(colsPtr / 4, colsPtr / 4 + expected.length);
        const transposed = Array.from({ length: expected.length }, (_, i) => expected[(i % columns) * patch + Math.floor(i / columns)]);
        expect(Array.from(got)).toEqual(transposed);
        release(xPtr);
        release(colsPtr);
      });
    }

    it(`${label(s)}: col2im within the rounding bound of its sums, over a dx that held NaN`, () => {
      const g = convGeometry(s);
      const cols = randomValues(s.n * g.oh * g.ow * s.kh * s.kw * s.c, -2, 2, s.w * 17 + s.kh);
      const expected = col2im(cols, s);
      const colsPtr = allocate(cols.length * 4);
      const dxPtr = allocate(expected.value.length * 4);
      heapF32().set(cols, colsPtr / 4);
      heapF32().fill(Number.NaN, dxPtr / 4, dxPtr / 4 + expected.value.length);
      kernels.col2imNHWC(colsPtr, dxPtr, ...(geometryArgs(s) as Thirteen));
      const got = heapF32().slice(dxPtr / 4, dxPtr / 4 + expected.value.length);
      for (let i = 0; i < got.length; i++) {
        expect(Math.abs(got[i] - expected.value[i]), `dx[${i}]`).toBeLessThanOrEqual(sumTolerance(s.kh * s.kw, expected.magnitude[i]));
      }
      release(colsPtr);
      release(dxPtr);
    });
  }
});

/** The ConvShape a layer of these options computes on `rows` samples of `input`. */
function layerShape(rows: number, input: number[], o: { kernelSize: number | [number, number]; strides?: number | [number, number]; padding?: 'valid' | 'same' }): ConvShape {
  const [kh, kw] = typeof o.kernelSize === 'number' ? [o.kernelSize, o.kernelSize] : o.kernelSize;
  const [sy, sx] = o.strides === undefined ? [1, 1] : typeof o.strides === 'number' ? [o.strides, o.strides] : o.strides;
  return shape(rows, input[0], input[1], input[2], kh, kw, sy, sx, o.padding ?? 'valid');
}

describe('Conv2D forward and backward against the float64 reference', () => {
  const CASES: { rows: number; input: number[]; filters: number; kernelSize: number | [number, number]; strides?: number | [number, number]; padding?: 'valid' | 'same'; useBias?: boolean }[] = [
    { rows: 1, input: [1, 1, 1], filters: 1, kernelSize: 1 },
    { rows: 3, input: [4, 5, 3], filters: 17, kernelSize: 1 },
    { rows: 2, input: [5, 5, 1], filters: 5, kernelSize: 3 },
    { rows: 1, input: [6, 7, 3], filters: 33, kernelSize: 3, strides: 2, padding: 'same' },
    { rows: 3, input: [7, 6, 3], filters: 8, kernelSize: [2, 3], padding: 'same', useBias: false },
    { rows: 2, input: [9, 8, 2], filters: 6, kernelSize: [3, 2], strides: [2, 1], padding: 'same' },
    { rows: 2, input: [8, 8, 5], filters: 16, kernelSize: 3, strides: 2 },
    { rows: 1, input: [4, 4, 3], filters: 7, kernelSize: 1, strides: 2, padding: 'same' },
    { rows: 5, input: [13, 13, 8], filters: 19, kernelSize: 3 },
    { rows: 3, input: [7, 8, 1], filters: 9, kernelSize: [3, 2], strides: 2, padding: 'same' },
    // 1224 and 1352 im2col rows: dW is summed over chunks of 1024 rows (the second transposed, one channel).
    { rows: 4, input: [20, 19, 2], filters: 10, kernelSize: 3 },
    { rows: 2, input: [28, 28, 1], filters: 4, kernelSize: 3 },
    // On one thread the forward runs im2col and the GEMM by groups of images of ~512 KiB of im2col rows: 3
    // groups each (the digits convnet's second layer, 3 images per group; its first, transposed, 21).
    { rows: 7, input: [13, 13, 32], filters: 64, kernelSize: 3 },
    { rows: 45, input: [28, 28, 1], filters: 8, kernelSize: 3 },
  ];

  for (const c of CASES) {
    const { rows, input, ...options } = c;
    const s = layerShape(rows, input, options);
    it(`${label(s)}, ${c.filters} filters${c.useBias === false ? ', no bias' : ''}`, () => {
      // The pool's workers keep GEMM packing scratch grown on demand (freed by releaseGemmScratch).
      releaseGemmScratch();
      const baseline = sn.memory();
      const layer = sn.layers.conv2d({ ...options, inputShape: input, biasInitializer: 'glorotUniform', seed: rows + c.filters });
      const x = sn.tensor(randomValues(rows * input[0] * input[1] * input[2], -2, 2, 7 + c.filters), [rows, ...input]);
      const y = layer.forward(x);
      const g = convGeometry(s);
      expect(y.shape).toEqual([rows, g.oh, g.ow, c.filters]);
      const w = layer.weights[0].tensor.data;
      const b = layer.useBias ? layer.weights[1].tensor.data : null;
      const z = conv2dForward(x.data, s, w, b, c.filters);
      const terms = s.kh * s.kw * s.c + 1;
      for (let i = 0; i < z.value.length; i++) expect(Math.abs(y.data[i] - z.value[i]), `y[${i}]`).toBeLessThanOrEqual(sumTolerance(terms, z.magnitude[i]));

      const dyValues = randomValues(y.size, -1, 1, 99 + c.filters);
      const dy = sn.tensor(dyValues, y.shape);
      const dx = layer.backward(dy);
      const r = conv2dBackward(x.data, s, w, dyValues, c.filters);
      const m = rows * g.oh * g.ow;
      const dw = layer.grads[0].data;
      for (let i = 0; i < r.dw.length; i++) expect(Math.abs(dw[i] - r.dw[i]), `dW[${i}]`).toBeLessThanOrEqual(sumTolerance(m, r.dwMagnitude[i]));
      if (layer.useBias) {
        const db = layer.grads[1].data;
        for (let i = 0; i < r.db.length; i++) expect(Math.abs(db[i] - r.db[i]), `db[${i}]`).toBeLessThanOrEqual(sumTolerance(m, r.dbMagnitude[i]));
      }
      // dCols = dZ Wᵀ sums `filters` products, then col2im adds up to kh * kw of them.
      for (let i = 0; i < r.dx.length; i++) {
        expect(Math.abs(dx.data[i] - r.dx[i]), `dx[${i}]`).toBeLessThanOrEqual(sumTolerance(c.filters + s.kh * s.kw, r.dxMagnitude[i]));
      }
      expect(dy.data).toEqual(dyValues);
      for (const t of [x, dy]) t.dispose();
      layer.dispose();
      releaseGemmScratch();
      expect(sn.memory()).toEqual(baseline);
    });
  }

  it('applies its activation in the GEMM epilogue (relu, tanh) and softmax over the channels of each pixel', () => {
    const s = shape(2, 5, 6, 3, 3, 3, 1, 1, 'same');
    for (const activation of ['relu', 'tanh', 'softmax'] as const) {
      const layer = sn.layers.conv2d({ inputShape: [5, 6, 3], filters: 4, kernelSize: 3, padding: 'same', activation, seed: 3 });
      const x = sn.tensor(randomValues(2 * 90, -2, 2, 5), [2, 5, 6, 3]);
      const y = layer.forward(x);
      const z = conv2dForward(x.data, s, layer.weights[0].tensor.data, layer.weights[1].tensor.data, 4).value;
      const expected = Array.from(z, (v) => (activation === 'relu' ? Math.max(v, 0) : Math.tanh(v)));
      if (activation === 'softmax') {
        for (let p = 0; p < z.length; p += 4) {
          const e = Array.from(z.subarray(p, p + 4), Math.exp);
          const total = e.reduce((a, v) => a + v, 0);
          for (let j = 0; j < 4; j++) expected[p + j] = e[j] / total;
        }
      }
      for (let i = 0; i < z.length; i++) expect(Math.abs(y.data[i] - expected[i]), `${activation} y[${i}]`).toBeLessThanOrEqual(1e-5);
      x.dispose();
      layer.dispose();
    }
  });
});

describe('Conv2D in a model', () => {
  const values = (n: number, seed: number): Float32Array => randomValues(n, -1, 1, seed);

  it('gradCheck < 1e-3 on stride 2, same padding, 1x1, 2x3 kernels, every hidden activation and no bias', () => {
    const stacks: [string, () => sn.Layer[], sn.LossName][] = [
      ['3x3 s2 same tanh -> 2x3 valid relu -> softmax', () => [
        sn.layers.conv2d({ inputShape: [6, 7, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }),
        sn.layers.conv2d({ filters: 3, kernelSize: [2, 3], activation: 'relu' }),
        sn.layers.flatten(), sn.layers.dense({ units: 3, activation: 'softmax' }),
      ], 'sparseCategoricalCrossentropy'],
      ['1x1 sigmoid no bias -> 3x3 same leakyRelu -> linear', () => [
        sn.layers.conv2d({ inputShape: [6, 7, 3], filters: 5, kernelSize: 1, activation: 'sigmoid', useBias: false }),
        sn.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'leakyRelu', alpha: 0.1 }),
        sn.layers.flatten(), sn.layers.dense({ units: 2 }),
      ], 'meanSquaredError'],
      ['conv softmax output (per pixel) with MSE', () => [
        sn.layers.conv2d({ inputShape: [6, 7, 3], filters: 3, kernelSize: [3, 2], strides: [1, 2], padding: 'same', activation: 'softmax' }),
      ], 'meanSquaredError'],
    ];
    for (const [name, make, loss] of stacks) {
      const model = sn.sequential(make(), { seed: 11 });
      model.compile({ optimizer: 'sgd', loss });
      const rows = 3;
      const y = loss === 'sparseCategoricalCrossentropy' ? [0, 2, 1] : { data: values(rows * model.outputUnits, 4), shape: [rows, ...model.outputShape] };
      const results = sn.gradCheck(model, { data: values(rows * 126, 2).map((v) => 2 * v), shape: [rows, 6, 7, 3] }, y);
      expect(results.map((r) => r.name)).toEqual(model.paramNames);
      for (const r of results) expect(r.maxRelativeError, `${name}: ${r.name}`).toBeLessThan(1e-3);
      model.dispose();
    }
  });

  it('names itself conv2d, conv2d_1, ... and reports its shapes and parameters in summary()', () => {
    const model = sn.sequential([
      sn.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }),
      sn.layers.conv2d({ filters: 64, kernelSize: 3, strides: 2, padding: 'same' }),
    ]);
    expect(model.layers.map((l) => l.name)).toEqual([expect.stringMatching(/^conv2d(_\d+)?$/), expect.stringMatching(/^conv2d_\d+$/)]);
    const summary = model.summary({ print: false });
    expect(summary).toMatch(/\(Conv2D\)\s+\[null, 26, 26, 32\]\s+320\n/);
    expect(summary).toMatch(/\(Conv2D\)\s+\[null, 13, 13, 64\]\s+18496\n/);
    model.dispose();
  });

  it('round-trips through save / loadModel: the same config and the same predictions, bit for bit', async () => {
    const model = sn.sequential([
      sn.layers.conv2d({ inputShape: [9, 8, 3], filters: 6, kernelSize: [3, 2], strides: [2, 1], padding: 'same', activation: 'leakyRelu', alpha: 0.2, kernelRegularizer: sn.regularizers.l2({ l2: 1e-3 }) }),
      sn.layers.conv2d({ filters: 4, kernelSize: 1, useBias: false, seed: 5 }),
      sn.layers.flatten(),
      sn.layers.dense({ units: 3, activation: 'softmax' }),
    ], { seed: 2 });
    const x = sn.tensor(values(4 * 216, 9), [4, 9, 8, 3]);
    const before = model.predict(x);
    const dir = tmp('save');
    await model.save(dir);
    const loaded = await sn.loadModel(dir);
    // The input shape is saved with the model, not with its first layer.
    const configs = (m: typeof model) => m.layers.map((l) => ({ ...l.getConfig(), inputShape: undefined }));
    expect(configs(loaded)).toEqual(configs(model));
    const after = loaded.predict(x);
    expect(after.data).toEqual(before.data);
    for (const t of [x, before, after]) t.dispose();
    loaded.dispose();
    model.dispose();
  });

  it('plans its buffers once per fit: memory() is the same after every batch and back to its baseline after fit', async () => {
    // Besides the plan, split GEMMs grow the pool's per-worker packing scratch on first need (released here).
    releaseGemmScratch();
    const baseline = sn.memory();
    const model = sn.sequential([
      sn.layers.conv2d({ inputShape: [10, 10, 2], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
      sn.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2 }),
      sn.layers.flatten(),
      sn.layers.dense({ units: 3, activation: 'softmax' }),
    ], { seed: 4 });
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const x = sn.tensor(values(50 * 200, 3), [50, 10, 10, 2]);
    const labels = Array.from({ length: 50 }, (_, i) => i % 3);
    const seen: number[] = [];
    await model.fit(x, labels, { epochs: 2, batchSize: 16, callbacks: { onBatchEnd: () => void seen.push(sn.memory().bytes - gemmScratchBytes()) } });
    expect(seen.length).toBe(8);
    expect(new Set(seen).size).toBe(1);
    x.dispose();
    model.dispose();
    releaseGemmScratch();
    expect(sn.memory()).toEqual(baseline);
  });

  it('a small convnet learns the digits: conv 3x3 -> flatten -> dense softmax, well above chance in 3 epochs', async () => {
    const ds = await sn.datasets.digits({ shape: 'image' });
    const n = 1200;
    const x = sn.tensor(ds.train.x.data.subarray(0, n * 784), [n, 28, 28, 1]);
    const y = sn.tensor(ds.train.y.data.subarray(0, n * 10), [n, 10]);
    const model = sn.sequential([
      sn.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, strides: 2, activation: 'relu' }),
      sn.layers.flatten(),
      sn.layers.dense({ units: 10, activation: 'softmax' }),
    ], { seed: 1 });
    model.compile({ optimizer: sn.optimizers.adam({ learningRate: 3e-3 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    await model.fit(x, y, { epochs: 3, batchSize: 32, seed: 1 });
    const heldOut = model.evaluate(ds.test.x, ds.test.y);
    // Chance is 10%; this net reaches ~90% here.
    expect(heldOut.accuracy).toBeGreaterThan(0.8);
    for (const t of [x, y]) t.dispose();
    model.dispose();
    ds.dispose();
  });
});

describe('Conv2D options', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['an unknown option', () => sn.layers.conv2d({ filters: 2, kernelSize: 3, kernelConstraint: 'maxNorm' } as never), /conv2d: unknown option 'kernelConstraint'; valid: .*filters/],
    ['dilationRate 2', () => sn.layers.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2 }), /dilationRate 2 is not supported/],
    ['dilationRate [1, 2]', () => sn.layers.conv2d({ filters: 2, kernelSize: 3, dilationRate: [1, 2] }), /dilationRate \[1,2\] is not supported/],
    ["dataFormat 'channelsFirst'", () => sn.layers.conv2d({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst' as never }), /dataFormat "channelsFirst" is not supported/],
    ['kernelSize 0', () => sn.layers.conv2d({ filters: 2, kernelSize: 0 }), /kernelSize must be a whole number >= 1 or a pair/],
    ['kernelSize [3]', () => sn.layers.conv2d({ filters: 2, kernelSize: [3] as never }), /kernelSize must be .* got \[3\]/],
    ['kernelSize 2.5', () => sn.layers.conv2d({ filters: 2, kernelSize: 2.5 }), /kernelSize must be/],
    ['strides [2, 0]', () => sn.layers.conv2d({ filters: 2, kernelSize: 3, strides: [2, 0] }), /strides must be .* got \[2,0\]/],
    ["padding 'causal'", () => sn.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'causal' as never }), /padding must be 'valid' or 'same', got "causal"/],
    ['no filters', () => sn.layers.conv2d({ kernelSize: 3 } as never), /filters must be an integer >= 1, got undefined/],
    ['an unknown activation', () => sn.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'swish' as never }), /unknown activation 'swish'/],
  ];
  for (const [what, make, message] of cases) {
    it(`${what} is an error naming it`, () => {
      expect(make).toThrow(message);
    });
  }

  it('refuses inputs that are not images, or smaller than a valid kernel, naming the shapes', () => {
    expect(() => sn.sequential([sn.layers.conv2d({ inputShape: [784], filters: 2, kernelSize: 3 })])).toThrow(/expects images \[height, width, channels\] per sample, got input shape \[784\]/);
    expect(() => sn.sequential([sn.layers.conv2d({ inputShape: [2, 5, 1], filters: 2, kernelSize: 3 })])).toThrow(/input 2x5 is smaller than the 3x3 kernel with 'valid' padding/);
    const same = sn.sequential([sn.layers.conv2d({ inputShape: [2, 5, 1], filters: 2, kernelSize: 3, padding: 'same' })]);
    expect(same.outputShape).toEqual([2, 5, 2]);
    same.dispose();
  });
});

describe('Conv2D and TensorFlow.js', () => {
  const TOLERANCE = 1e-5;
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => tf.disposeVariables());

  /** simdnet's and tfjs's predictions for `rows` samples of `sample` (values in [lo, hi)) agree within TOLERANCE; disposes both models. */
  async function expectSamePredictions(model: InstanceType<typeof sn.Sequential>, tfModel: tf.LayersModel, rows: number, sample: number[], lo: number, hi: number): Promise<void> {
    const data = randomValues(rows * sample.reduce((a, b) => a * b, 1), lo, hi, rows);
    const x = sn.tensor(data, [rows, ...sample]);
    const ours = model.predict(x);
    const theirs = tfModel.predict(tf.tensor(data, [rows, ...sample])) as tf.Tensor;
    const expected = await theirs.data();
    expect(ours.data.length).toBe(expected.length);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(ours.data[i] - expected[i]));
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
    theirs.dispose();
    tfModel.dispose();
    for (const t of [x, ours]) t.dispose();
    model.dispose();
  }

  it("exports tfjs-layers' Conv2D config key for key, and tfjs predicts the same within 1e-5", async () => {
    const model = sn.sequential([
      sn.layers.conv2d({ inputShape: [9, 8, 3], filters: 6, kernelSize: [3, 2], strides: 2, padding: 'same', activation: 'relu', biasInitializer: 'glorotUniform' }),
      sn.layers.conv2d({ filters: 5, kernelSize: 3, activation: 'leakyRelu', alpha: 0.2, kernelRegularizer: sn.regularizers.l2({ l2: 1e-3 }) }),
      sn.layers.conv2d({ filters: 4, kernelSize: 1, useBias: false, activation: 'tanh' }),
      sn.layers.flatten(),
      sn.layers.dense({ units: 3, activation: 'softmax' }),
    ], { seed: 8 });
    const dir = tmp('export');
    await model.exportTfjs(dir);
    const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const entries = modelJson.modelTopology.config.layers as { class_name: string; config: Record<string, unknown> }[];
    expect(entries.map((e) => e.class_name)).toEqual(['Conv2D', 'Conv2D', 'LeakyReLU', 'Conv2D', 'Flatten', 'Dense']);
    // The same layer made by tfjs itself: the same keys in the same order (batch_input_shape aside).
    const own = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [9, 8, 3], filters: 6, kernelSize: [3, 2], strides: 2, padding: 'same', activation: 'relu' })] });
    const ownConfig = (own.toJSON(null, false) as unknown as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[0].config;
    const keys = (c: Record<string, unknown>): string[] => Object.keys(c).filter((k) => k !== 'batch_input_shape');
    expect(keys(entries[0].config)).toEqual(keys(ownConfig));
    expect(entries[0].config).toMatchObject({ kernel_size: [3, 2], strides: [2, 2], padding: 'same', data_format: 'channels_last', dilation_rate: [1, 1], activation: 'relu', use_bias: true });
    // tfjs-layers' default kernel initializer for Conv2D is Glorot normal (it writes it as VarianceScaling
    // fan_avg normal scale 1), where Dense's is Glorot uniform.
    expect(ownConfig.kernel_initializer).toMatchObject({ class_name: 'VarianceScaling', config: { distribution: 'normal', mode: 'fan_avg', scale: 1 } });
    expect(entries[0].config.kernel_initializer).toMatchObject({ class_name: 'GlorotNormal' });
    own.dispose();

    const bin = readFileSync(join(dir, 'weights.bin'));
    const tfModel = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }));
    await expectSamePredictions(model, tfModel, 5, [9, 8, 3], -2, 2);
  });

  it('imports a convnet built and saved by tfjs; predictions within 1e-5', async () => {
    const tfModel = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [12, 11, 1], filters: 8, kernelSize: 3, activation: 'relu', biasInitializer: 'glorotUniform' }),
        tf.layers.conv2d({ filters: 6, kernelSize: [2, 3], strides: [2, 1], padding: 'same', activation: 'sigmoid', biasInitializer: 'glorotUniform' }),
        tf.layers.conv2d({ filters: 3, kernelSize: 1, useBias: false }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 4, activation: 'softmax' }),
      ],
    });
    const dir = tmp('import');
    await tfModel.save(tf.io.withSaveHandler(async (artifacts) => {
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
      writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: artifacts.modelTopology, format: artifacts.format, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] }));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const model = await sn.loadTfjs(dir);
    expect(model.layers.map((l) => l.className)).toEqual(['Conv2D', 'Conv2D', 'Conv2D', 'Flatten', 'Dense']);
    expect((model.layers[1] as InstanceType<typeof sn.Conv2D>).strides).toEqual([2, 1]);
    await expectSamePredictions(model, tfModel, 6, [12, 11, 1], 0, 1);
  });

  it('refuses a tfjs Conv2D it cannot compute, naming the layer and the setting', async () => {
    const base = { name: 'c', filters: 2, kernel_size: [3, 3], strides: [1, 1], padding: 'valid', data_format: 'channels_last', dilation_rate: [1, 1], activation: 'relu', use_bias: true, batch_input_shape: [null, 5, 5, 1] };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ data_format: 'channels_first' }, /Conv2D layer 'c' has data_format "channels_first"; simdnet imports channels_last only/],
      [{ dilation_rate: [2, 2] }, /c: dilationRate \[2,2\] is not supported/],
      [{ kernel_constraint: { class_name: 'MaxNorm', config: {} } }, /Conv2D layer 'c' has a kernel_constraint/],
      [{ activation: 'elu' }, /Conv2D layer 'c' has activation "elu"/],
    ];
    for (const [change, message] of cases) {
      const dir = tmp('refused');
      const layers = [{ class_name: 'Conv2D', config: { ...base, ...change } }];
      writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: { class_name: 'Sequential', config: { layers } }, weightsManifest: [{ paths: ['weights.bin'], weights: [] }] }));
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(0));
      await expect(sn.loadTfjs(dir)).rejects.toThrow(message);
    }
  });
});
