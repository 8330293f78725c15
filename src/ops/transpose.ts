// Matrix transpose. Kernel: assembly/transpose.ts.
import { kernels } from '../backend/wasm.js';
import { heapU8 } from '../backend/allocator.js';
import { Tensor } from '../tensor.js';
import { checkTensor, formatShape } from './elementwise.js';
import { checkOptions, checkOutShape } from './options.js';

export interface TransposeOptions {
  /** Write the result here ([cols, rows]; not x itself) instead of into a new tensor. */
  out?: Tensor;
}

/** x^T of a 2-D tensor, [rows, cols] -> [cols, rows]. A vector or a scalar is copied unchanged (NumPy). */
export function transpose(x: Tensor, options?: TransposeOptions): Tensor {
  checkTensor('transpose: x', x);
  checkOptions('transpose', options, ['out']);
  if (x.rank > 2) throw new RangeError(`transpose: x must have at most 2 axes, got ${formatShape(x.shape)}`);
  const shape = x.rank === 2 ? [x.shape[1], x.shape[0]] : x.shape;
  const out = checkOutShape('transpose', options?.out, shape) ?? new Tensor(shape);
  if (x.rank < 2) {
    heapU8().copyWithin(out.ptr, x.ptr, x.ptr + 4 * x.size);
    return out;
  }
  if (out === x && x.size > 1) throw new RangeError('transpose: out must be a different tensor from x');
  kernels.transpose(x.ptr, x.shape[0], x.shape[1], out.ptr);
  return out;
}
