// Turning user data (Tensors, flat typed arrays with a known row width, { data, shape }, nested arrays)
// into [rows, cols] float blocks in the wasm memory, and checking values before training touches weights.
import { Tensor, tensor, type TensorLike } from '../tensor.js';
import { heapI32, kernels } from '../kernel-calls.js';
import type { Workspace } from '../workspace.js';

/** Data accepted for x and y: a Tensor, nested arrays, a flat (typed) array of whole rows, or { data, shape }. */
export type DataLike = Tensor | TensorLike | { data: ArrayLike<number>; shape: readonly number[] };

/**
 * Samples in the wasm memory: `rows` samples of `cols` floats each (a sample of shape `sample`, e.g.
 * [28, 28, 1]); `owned` when converted here (dispose after use).
 */
export interface Matrix {
  readonly tensor: Tensor;
  readonly rows: number;
  readonly cols: number;
  readonly sample: readonly number[];
  readonly owned: boolean;
}

/**
 * A { data, shape } block of image pixels kept as their bytes b (sn.data.idx's batches). `data` is the
 * float32 b / 255 array, made on first read; fitDataset never reads it: it converts the bytes inside the
 * wasm memory (writePixels), and skips the finiteness scan those floats cannot fail. Making that array in JavaScript (a 200 KB allocation and a scalar loop per W1 batch) took
 * a fifth of a streamed W1 epoch.
 */
export class PixelBlock {
  #data: Float32Array | null = null;

  constructor(readonly bytes: Uint8Array, readonly shape: number[]) {}

  get data(): Float32Array {
    if (this.#data === null) {
      const data = new Float32Array(this.bytes.length);
      for (let i = 0; i < data.length; i++) data[i] = this.bytes[i] / 255;
      this.#data = data;
    }
    return this.#data;
  }
}

const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

function isShaped(value: unknown): value is { data: ArrayLike<number>; shape: readonly number[] } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value) && 'data' in value && 'shape' in value;
}

/**
 * Reads `value` as samples. `sample` (when known: the model's per-sample input or output shape) must match
 * the data's trailing shape, and lets flat data be cut into samples; a rank-1 tensor or flat list of n
 * values with sample [1] is n samples of one value.
 */
export function toMatrix(value: unknown, what: string, sample: readonly number[] | undefined): Matrix {
  const cols = sample === undefined ? undefined : sample.reduce((a, b) => a * b, 1);
  if (value instanceof Tensor) {
    if (value.disposed) throw new Error(`${what} is a disposed Tensor`);
    return shapeMatrix(value, false, what, sample, cols);
  }
  if (isShaped(value)) {
    if (!Array.isArray(value.shape)) throw new TypeError(`${what}.shape must be an array`);
    return shapeMatrix(tensorOf(value.data as TensorLike, what, value.shape), true, what, sample, cols);
  }
  if (value === null || typeof value !== 'object' || typeof (value as ArrayLike<number>).length !== 'number') {
    throw new TypeError(`${what} must be a Tensor, an array, a typed array or { data, shape }, got ${value === null ? 'null' : typeof value}`);
  }
  const list = value as ArrayLike<unknown>;
  if (list.length === 0) throw new RangeError(`${what} is empty: it needs at least one row`);
  if (Array.isArray(list) && ArrayBuffer.isView(list[0])) return shapeMatrix(fromTypedRows(list, what), true, what, sample, cols);
  const nested = Array.isArray(list) && Array.isArray(list[0]);
  return shapeMatrix(tensorOf(list as TensorLike, what), true, what, sample, cols, !nested);
}

/**
 * tensor(), with its TypeError or RangeError (a ragged row, a value that is not a number, a shape that
 * does not fit the data) prefixed by the argument's name: tensor() only knows the position.
 */
function tensorOf(values: TensorLike, what: string, shape?: readonly number[]): Tensor {
  try {
    return tensor(values, shape);
  } catch (e) {
    if (e instanceof TypeError) throw new TypeError(`${what}: ${e.message}`);
    if (e instanceof RangeError) throw new RangeError(`${what}: ${e.message}`);
    throw e;
  }
}

/** An array of typed-array rows (tensor() reads nested plain arrays only). */
function fromTypedRows(rows: readonly unknown[], what: string): Tensor {
  const width = (rows[0] as ArrayLike<number>).length;
  const flat = new Float32Array(rows.length * width);
  rows.forEach((row, r) => {
    if (!ArrayBuffer.isView(row) || (row as unknown as ArrayLike<number>).length !== width) {
      throw new TypeError(`${what} row ${r} is not a typed array of ${width} values like row 0`);
    }
    flat.set(row as unknown as ArrayLike<number>, r * width);
  });
  return tensor(flat, [rows.length, width]);
}

function shapeMatrix(t: Tensor, owned: boolean, what: string, sample: readonly number[] | undefined, cols: number | undefined, flat = t.rank === 1): Matrix {
  try {
    if (t.rank >= 2 && !flat) {
      const rows = t.shape[0];
      const trailing = t.shape.slice(1);
      if (sample !== undefined && shapeText(trailing) !== shapeText(sample)) {
        const wanted = sample.length === 1 ? `${sample[0]} value${sample[0] === 1 ? '' : 's'} per row` : `[rows, ${sample.join(', ')}]`;
        throw new RangeError(`${what} has shape ${shapeText(t.shape)}: expected ${wanted}`);
      }
      return { tensor: t, rows, cols: trailing.reduce((a, b) => a * b, 1), sample: trailing, owned };
    }
    if (t.rank === 1 || flat) {
      if (cols === undefined || sample === undefined) throw new RangeError(`${what} has shape ${shapeText(t.shape)}: give [rows, features] (the row width is not known yet)`);
      if (t.size % cols !== 0) {
        throw new TypeError(`${what} holds ${t.size} values, which is not a whole number of rows of ${cols}`);
      }
      return { tensor: t, rows: t.size / cols, cols, sample, owned };
    }
    throw new RangeError(`${what} has shape ${shapeText(t.shape)}: expected [rows, ...features]`);
  } catch (e) {
    if (owned) t.dispose();
    throw e;
  }
}

/**
 * The class-index targets of the sparse loss for outputs of `outputShape`: one per row ([rows] or
 * [rows, 1]), or one per position for [...positions, classes] outputs ([rows, ...positions], or with a
 * trailing axis of 1 as tfjs asks for).
 */
export function sparseTargets(value: unknown, what: string, outputShape: readonly number[]): Matrix {
  const lead = outputShape.slice(0, -1);
  if (lead.length === 0) return toMatrix(value, what, [1]);
  try {
    return toMatrix(value, what, lead);
  } catch (e) {
    try {
      return toMatrix(value, what, [...lead, 1]);
    } catch {
      throw e;
    }
  }
}

/** Throws a RangeError naming the first non-finite value's row and column. */
export function checkFinite(m: Matrix, what: string): void {
  const i = kernels.firstNonFinite(m.tensor.ptr, m.tensor.size);
  if (i >= 0) throw new RangeError(`${what} row ${Math.floor(i / m.cols)}, column ${i % m.cols} is ${m.tensor.data[i]}: data must be finite`);
}

/** Labels for categoricalCrossentropy: rows of non-negative values summing to 1 (one-hot, or a distribution). */
export function checkDistributions(m: Matrix, what: string, classes = m.cols): void {
  const d = m.tensor.data;
  const positions = m.cols / classes;
  for (let g = 0; g < m.rows * positions; g++) {
    let sum = 0;
    let ok = true;
    for (let c = 0; c < classes; c++) {
      const v = d[g * classes + c];
      if (!(v >= 0 && v <= 1)) ok = false;
      sum += v;
    }
    if (!ok || Math.abs(sum - 1) > 1e-4) {
      const values = Array.from(d.subarray(g * classes, Math.min((g + 1) * classes, g * classes + 12)));
      const at = positions === 1 ? `row ${g}` : `row ${Math.floor(g / positions)}, position ${g % positions}`;
      throw new RangeError(
        `${what} ${at} is not one-hot (values [${values.join(', ')}${classes > 12 ? ', ...' : ''}]): categoricalCrossentropy needs one-hot ` +
          `rows (or probability distributions)${positions === 1 ? '' : ' over the last axis'}; for class indices use sparseCategoricalCrossentropy`,
      );
    }
  }
}

/** Targets for binaryCrossentropy: every value in [0, 1]. */
export function checkUnitInterval(m: Matrix, what: string): void {
  const d = m.tensor.data;
  for (let i = 0; i < d.length; i++) {
    if (!(d[i] >= 0 && d[i] <= 1)) {
      throw new RangeError(`${what} row ${Math.floor(i / m.cols)}, column ${i % m.cols} is ${d[i]}: binaryCrossentropy targets must be in [0, 1]`);
    }
  }
}

/** Copies class indices (one per row, checked to be whole numbers in [0, classes)) into an i32 block. */
export function labelIndices(m: Matrix, what: string, classes: number, ws: Workspace, positions = 1): number {
  if (m.cols !== positions) {
    throw new RangeError(
      `${what} has ${m.cols} values per row: sparseCategoricalCrossentropy needs one class index per ${positions === 1 ? 'row' : `position (${positions} per row)`}`,
    );
  }
  const d = m.tensor.data;
  const n = m.rows * positions;
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(d[i]) || d[i] < 0 || d[i] >= classes) {
      const at = positions === 1 ? `row ${i}` : `row ${Math.floor(i / positions)}, position ${i % positions}`;
      throw new RangeError(`${what} ${at} is ${d[i]}: not a class index in [0, ${classes})`);
    }
  }
  const ptr = ws.elements(n);
  heapI32().set(d.subarray(0, n), ptr >>> 2);
  return ptr;
}

/** Splits brain.js-style [{ input, output }] samples into x and y matrices. */
export function fromPairs(pairs: readonly { input: unknown; output: unknown }[]): { x: number[][]; y: number[][] } {
  const x: number[][] = [];
  const y: number[][] = [];
  pairs.forEach((p, i) => {
    if (p === null || typeof p !== 'object' || !('input' in p) || !('output' in p)) throw new TypeError(`sample ${i} is not { input, output }`);
    const asRow = (v: unknown, part: string): number[] => {
      if (typeof v === 'number') return [v];
      if (Array.isArray(v) || ArrayBuffer.isView(v)) return Array.from(v as ArrayLike<number>);
      throw new TypeError(`sample ${i} ${part} must be a number or an array of numbers`);
    };
    x.push(asRow(p.input, 'input'));
    y.push(asRow(p.output, 'output'));
  });
  return { x, y };
}

export function isPairList(value: unknown): value is { input: unknown; output: unknown }[] {
  return Array.isArray(value) && value.length > 0 && typeof value[0] === 'object' && value[0] !== null && !Array.isArray(value[0]) && !ArrayBuffer.isView(value[0]) && 'input' in value[0];
}
