// Softmax and log-softmax over the last axis (rows of a 2-D tensor). Kernels: assembly/softmax.ts.
import { kernels } from '../backend/wasm.js';
import { Tensor } from '../tensor.js';
import { checkOut, checkTensor, formatShape, type ElementwiseOptions } from './elementwise.js';

/** Row softmax at pointer level (y == x allowed). Unchecked. */
export function softmaxRows(x: number, y: number, rows: number, cols: number): void {
  kernels.softmaxRows(x, y, rows, cols);
}

/** Softmax backward at pointer level from the saved output y: dx = y (dy - sum dy y) per row (dx may alias dy). Unchecked. */
export function softmaxBackwardRows(y: number, dy: number, dx: number, rows: number, cols: number): void {
  kernels.softmaxBackwardRows(y, dy, dx, rows, cols);
}

/** Row log-softmax at pointer level (y == x allowed). Unchecked. */
export function logSoftmaxRows(x: number, y: number, rows: number, cols: number): void {
  kernels.logSoftmaxRows(x, y, rows, cols);
}

function applyRows(op: string, kernel: (x: number, y: number, rows: number, cols: number) => void, x: Tensor, options: ElementwiseOptions | undefined): Tensor {
  checkTensor(`${op}: x`, x);
  if (x.rank !== 2) throw new RangeError(`${op}: x must be 2-D [rows, classes], got ${formatShape(x.shape)}`);
  const target = checkOut(op, x, options) ?? new Tensor(x.shape);
  kernel(x.ptr, target.ptr, x.shape[0], x.shape[1]);
  return target;
}

/** Softmax of each row of a 2-D tensor, max-subtracted (finite for any finite logits). A NaN makes its row NaN. */
export function softmax(x: Tensor, options?: ElementwiseOptions): Tensor {
  return applyRows('softmax', kernels.softmaxRows, x, options);
}

/** log softmax of each row, (x - max) - log sum e^(x - max): finite where log(softmax(x)) would be -Inf. */
export function logSoftmax(x: Tensor, options?: ElementwiseOptions): Tensor {
  return applyRows('logSoftmax', kernels.logSoftmaxRows, x, options);
}
