// pixelsToFloats (assembly/pixels.ts) against the float64 rule b / 255 rounded to float32, in place and not,
// and the PixelBlock batches of sn.data.idx: the same floats whether JavaScript or fitDataset reads them.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sn from '../dist/index.js';
import { kernels } from '../dist/backend/wasm.js';
import { allocate, heapF32, heapU8, release } from '../dist/backend/allocator.js';
import { idx } from './reference/idx.js';

/** Every byte value, then a pattern, `n` bytes in all. */
const pattern = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i < 256 ? i : (i * 37 + (i >> 7)) & 255));

/** The kernel's floats for `bytes`: apart (bytes in their own block) or in place (bytes at the end of the float span). */
function convert(bytes: Uint8Array, inPlace: boolean): Float32Array {
  const n = bytes.length;
  const dst = allocate(Math.max(4, n * 4));
  const src = inPlace ? dst + 3 * n : allocate(Math.max(1, n));
  heapU8().set(bytes, src);
  kernels.pixelsToFloats(src, dst, n);
  const out = heapF32().slice(dst >>> 2, (dst >>> 2) + n);
  release(dst);
  if (!inPlace) release(src);
  return out;
}

describe('pixelsToFloats', () => {
  // Lengths: empty, 1, one short of / at / past a 16-byte step, a prime, and all 256 values many times over.
  for (const n of [0, 1, 15, 16, 17, 31, 256, 257, 1009, 50176]) {
    for (const inPlace of [false, true]) {
      it(`converts ${n} bytes${inPlace ? ' in place' : ''} to exactly fround(b / 255)`, () => {
        const bytes = pattern(n);
        const got = convert(bytes, inPlace);
        // Tolerance: none (a correctly rounded float32 division equals the double's rounding).
        let mismatches = 0;
        for (let i = 0; i < n; i++) if (got[i] !== Math.fround(bytes[i] / 255)) mismatches++;
        expect(mismatches).toBe(0);
      });
    }
  }
});

describe('data.idx batches keep their pixel bytes until read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'simdnet-pixels-'));
  const count = 203;
  const pixels = pattern(count * 28 * 28);
  const labels = Uint8Array.from({ length: count }, (_, i) => (i * 7) % 10);
  const imagesFile = join(dir, 'images');
  const labelsFile = join(dir, 'labels');
  writeFileSync(imagesFile, idx([count, 28, 28], pixels));
  writeFileSync(labelsFile, idx([count], labels));

  it('xs.data of a batch holds fround(b / 255) in sample order, and the shape follows the layout', async () => {
    let rows = 0;
    for await (const b of sn.data.idx(imagesFile, labelsFile, { shape: 'image' }).batch(64)) {
      const xs = b.xs as sn.Block;
      const n = xs.shape[0];
      expect(xs.shape).toEqual([n, 28, 28, 1]);
      expect(xs.data).toBe(xs.data); // made once
      const want = Float32Array.from(pixels.subarray(rows * 784, (rows + n) * 784), (v) => v / 255);
      expect(xs.data).toEqual(want);
      rows += n;
    }
    expect(rows).toBe(count);
  });

  it('fitDataset over data.idx trains to the same bits as over the same batches given as float arrays', async () => {
    const train = async (dataset: AsyncIterable<unknown>): Promise<Float32Array[]> => {
      const model = sn.sequential([sn.layers.dense({ inputShape: [784], units: 16, activation: 'relu' }), sn.layers.dense({ units: 10, activation: 'softmax' })], { seed: 3 });
      model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
      await model.fitDataset(dataset as never, { epochs: 2 });
      const weights = model.getWeights();
      model.dispose();
      return weights;
    };
    const streamed = sn.data.idx(imagesFile, labelsFile, { oneHot: 10 }).batch(32);
    const copies = (await streamed.toArray()).map((b) => ({ xs: { data: Float32Array.from((b.xs as sn.Block).data), shape: [...(b.xs as sn.Block).shape] }, ys: b.ys }));
    const fromBytes = await train(streamed);
    const fromFloats = await train(sn.data.array(copies));
    expect(fromBytes).toEqual(fromFloats);
  });
});
