// Reductions (assembly/reduce.ts): pointer-level calls for the training code. The public row argmax is
// io's argmaxRows (src/io/labels.ts).
import { kernels } from '../backend/wasm.js';

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
