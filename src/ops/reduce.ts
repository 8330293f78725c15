// Reductions (assembly/reduce.ts): pointer-level calls for the training code, and the public tensor-math
// reductions sum, mean, argmax (over all elements or along one axis) and dot.
import { kernels } from '../backend/wasm.js';
import { Tensor } from '../tensor.js';
import { checkTensor, formatShape } from './elementwise.js';
import { checkAxis, checkOptions, checkOutShape } from './options.js';

/** out[j] = beta * out[j] + sum over rows of x[r][j] (bias gradients); beta 0 never reads out. Unchecked. */
export function colSums(x: number, rows: number, cols: number, out: number, beta: number): void {
  kernels.colSums(x, rows, cols, out, beta);
}

/** i32 argmax of each row into outIdx (first max wins; the first NaN counts as the max). Unchecked. */
export function rowArgmax(x: number, rows: number, cols: number, outIdx: number): void {
  kernels.rowArgmax(x, rows, cols, outIdx);
}

/** Rows where argmax(pred) == argmax(labels). Unchecked. */
export function countCorrect(pred: number, labels: number, rows: number, cols: number): number {
  return kernels.countCorrect(pred, labels, rows, cols);
}

/** Rows where argmax(pred) equals the i32 class index in labelIdx. Unchecked. */
export function countCorrectSparse(pred: number, labelIdx: number, rows: number, cols: number): number {
  return kernels.countCorrectSparse(pred, labelIdx, rows, cols);
}

/** Elements where (pred > threshold) agrees with (target > 0.5): binary accuracy. Unchecked. */
export function countCorrectBinary(pred: number, target: number, n: number, threshold: number): number {
  return kernels.countCorrectBinary(pred, target, n, threshold);
}

/** Index of the first NaN or +-Inf among n floats at x, or -1 when all are finite. Unchecked. */
export function firstNonFinite(x: number, n: number): number {
  return kernels.firstNonFinite(x, n);
}

export interface AxisOptions {
  /** Reduce along this axis only (negative counts from the end); default: over all elements. */
  axis?: number;
  /** Keep the reduced axis with size 1 (NumPy's keepdims); default false. */
  keepDims?: boolean;
  /** Write the result here (the reduced shape) instead of into a new tensor. */
  out?: Tensor;
}

const AXIS_OPTIONS = ['axis', 'keepDims', 'out'];

/** x viewed as [outer, dim, inner] around the reduced axis, and the result's shape. */
function reduction(op: string, x: Tensor, options: AxisOptions | undefined): { outer: number; dim: number; inner: number; out: Tensor } {
  checkTensor(`${op}: x`, x);
  checkOptions(op, options, AXIS_OPTIONS);
  const keepDims = options?.keepDims ?? false;
  if (typeof keepDims !== 'boolean') throw new TypeError(`${op}: keepDims must be true or false, got ${String(keepDims)}`);
  let outer = 1;
  let dim = x.size;
  let inner = 1;
  let shape: number[];
  if (options?.axis === undefined) {
    shape = keepDims ? x.shape.map(() => 1) : [];
  } else {
    const axis = checkAxis(op, options.axis, x.rank);
    outer = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
    dim = x.shape[axis];
    inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
    shape = keepDims ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis);
  }
  // out can only be x when the reduced axis has size 1, where reading and writing in step is safe.
  const out = checkOutShape(op, options?.out, shape) ?? new Tensor(shape);
  return { outer, dim, inner, out };
}

/** Sum of all elements (a tensor of shape []) or along `axis`; accumulated in float64, then rounded once. */
export function sum(x: Tensor, options?: AxisOptions): Tensor {
  const { outer, dim, inner, out } = reduction('sum', x, options);
  kernels.sumAxis(x.ptr, outer, dim, inner, out.ptr, 1);
  return out;
}

/** Mean of all elements or along `axis` (the float64 sum divided by the count; NaN for an empty axis). */
export function mean(x: Tensor, options?: AxisOptions): Tensor {
  const { outer, dim, inner, out } = reduction('mean', x, options);
  kernels.sumAxis(x.ptr, outer, dim, inner, out.ptr, 1 / dim);
  return out;
}

/**
 * Index of the largest element, over the flattened tensor (a tensor of shape []) or along `axis`, as float32
 * numbers (exact below 2^24; ready for `oneHot`). The first maximum wins; a NaN counts as the maximum (NumPy).
 */
export function argmax(x: Tensor, options?: AxisOptions): Tensor {
  const { outer, dim, inner, out } = reduction('argmax', x, options);
  if (dim === 0) throw new RangeError(`argmax: x ${formatShape(x.shape)} has no elements along the reduced axis`);
  kernels.argmaxAxis(x.ptr, outer, dim, inner, out.ptr);
  return out;
}

/** The dot product of two vectors of the same length, as a number (exact float64 products, float64 sum). */
export function dot(a: Tensor, b: Tensor): number {
  checkTensor('dot: a', a);
  checkTensor('dot: b', b);
  if (a.rank !== 1 || b.rank !== 1 || a.size !== b.size) {
    throw new RangeError(`dot: a and b must be vectors of the same length, got ${formatShape(a.shape)} and ${formatShape(b.shape)} (use matmul for matrices)`);
  }
  return kernels.dot(a.ptr, b.ptr, a.size);
}
