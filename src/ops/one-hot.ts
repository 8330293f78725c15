// One-hot encoding of class indices: from a list (the labels of a dataset) or from a tensor of indices (e.g.
// the result of argmax), with one more axis of `classes` values.
import { Tensor } from '../tensor.js';
import { checkTensor } from './elementwise.js';
import { checkOptions, checkOutShape } from './options.js';

export interface OneHotOptions {
  /** Write the result here ([...indices' shape, classes]) instead of into a new tensor. */
  out?: Tensor;
}

/**
 * One-hot rows from class indices: a list of n indices gives [n, classes]; a tensor of indices of shape s
 * gives [...s, classes]. Every index must be a whole number in [0, classes) (the error names its position).
 */
export function oneHot(indices: Tensor | ArrayLike<number>, classes: number, options?: OneHotOptions): Tensor {
  let values: ArrayLike<number>;
  let shape: number[];
  if (indices instanceof Tensor) {
    checkTensor('oneHot: indices', indices);
    values = indices.data;
    shape = [...indices.shape, classes];
  } else {
    if (indices === null || typeof indices !== 'object' || typeof indices.length !== 'number') {
      throw new TypeError(`oneHot: labels must be an array, typed array or Tensor of class indices, got ${indices === null ? 'null' : typeof indices}`);
    }
    values = indices;
    shape = [indices.length, classes];
  }
  if (!Number.isInteger(classes) || classes < 1) throw new RangeError(`oneHot: classes must be a whole number >= 1, got ${classes}`);
  checkOptions('oneHot', options, ['out']);
  const out = checkOutShape('oneHot', options?.out, shape);
  if (out !== undefined && out === indices) throw new RangeError('oneHot: out must be a different tensor from the indices');
  for (let i = 0; i < values.length; i++) {
    const label = values[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new RangeError(`oneHot: label ${label} at row ${i}${indices instanceof Tensor && indices.rank > 1 ? ' (flat position)' : ''} is not a class index in [0, ${classes})`);
    }
  }
  const y = out ?? new Tensor(shape);
  // The indices are read before the first write: y is never the indices tensor.
  const hot = Array.from(values);
  const data = y.data;
  data.fill(0);
  for (let i = 0; i < hot.length; i++) data[i * classes + hot[i]] = 1;
  return y;
}
