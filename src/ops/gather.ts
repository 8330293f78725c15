// Row gather: shuffled mini-batches without JavaScript copies. Kernel: assembly/gather.ts.
import { kernels } from '../backend/wasm.js';
import { parallelRows } from '../backend/pool.js';
import { allocate, heapI32, release } from '../backend/allocator.js';
import { Tensor } from '../tensor.js';
import { checkTensor, formatShape } from './elementwise.js';
import { checkOptions } from './options.js';

/**
 * Throws unless every entry of `indices` is a whole number in [0, limit): a RangeError naming the first
 * bad position and value (`what` names the list, e.g. 'labels' or 'gather: indices').
 */
export function checkIndices(what: string, indices: ArrayLike<number>, limit: number): void {
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i];
    if (!Number.isInteger(v) || v < 0 || v >= limit) {
      throw new RangeError(`${what}[${i}] = ${v} is not an index in [0, ${limit})`);
    }
  }
}

const gatherArgs = [0, 0, 0, 0, 0];

/**
 * dst[r] = src[idx[r]] for r < count (rows of cols floats; idx: i32 at a byte offset). Unchecked. A large
 * batch is gathered by the thread pool, split by rows.
 */
export function gatherRowsAt(src: number, cols: number, idx: number, count: number, dst: number): void {
  gatherArgs[0] = src; gatherArgs[1] = cols; gatherArgs[2] = idx; gatherArgs[3] = count; gatherArgs[4] = dst;
  parallelRows('gatherRows', count, cols, gatherArgs);
}

export interface GatherOptions {
  /** Write the rows here ([indices.length, ...x.shape.slice(1)]) instead of into a new tensor. */
  out?: Tensor;
}

/** The rows (first-axis slices) of x at `indices`, in that order; indices may repeat. */
export function gather(x: Tensor, indices: ArrayLike<number>, options: GatherOptions = {}): Tensor {
  checkTensor('gather: x', x);
  if (x.rank < 1) throw new RangeError(`gather: x must have at least one axis, got ${formatShape(x.shape)}`);
  if (indices === null || typeof indices !== 'object' || typeof indices.length !== 'number') {
    throw new TypeError('gather: indices must be an array or typed array of row numbers');
  }
  checkOptions('gather', options, ['out']);
  checkIndices('gather: indices', indices, x.shape[0]);
  const shape = [indices.length, ...x.shape.slice(1)];
  let out = options.out;
  if (out !== undefined) {
    checkTensor('gather: out', out);
    if (out.shape.length !== shape.length || out.shape.some((d, i) => d !== shape[i])) {
      throw new RangeError(`gather: out ${formatShape(out.shape)} must be ${formatShape(shape)} for x ${formatShape(x.shape)} and ${indices.length} indices`);
    }
    if (out === x) throw new RangeError('gather: out must be a different tensor from x');
  }
  const cols = x.shape[0] === 0 ? 0 : x.size / x.shape[0];
  const idx = allocate(indices.length * 4);
  try {
    heapI32().set(indices, idx >>> 2);
    out ??= new Tensor(shape);
    kernels.gatherRows(x.ptr, cols, idx, indices.length, out.ptr);
  } finally {
    release(idx);
  }
  return out;
}
