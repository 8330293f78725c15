// Class labels in the two forms losses want: one-hot rows (categoricalCrossentropy) and class indices
// (sparseCategoricalCrossentropy, confusion matrices).
import { Tensor } from '../tensor.js';

/** One-hot rows [n, classes] from class indices; every label must be a whole number in [0, classes). */
export function oneHot(labels: ArrayLike<number>, classes: number): Tensor {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') {
    throw new TypeError(`oneHot: labels must be an array or typed array of class indices, got ${labels === null ? 'null' : typeof labels}`);
  }
  if (!Number.isInteger(classes) || classes < 1) throw new RangeError(`oneHot: classes must be a whole number >= 1, got ${classes}`);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new RangeError(`oneHot: label ${label} at row ${i} is not a class index in [0, ${classes})`);
    }
  }
  const y = new Tensor([labels.length, classes]);
  const data = y.data;
  data.fill(0);
  for (let i = 0; i < labels.length; i++) data[i * classes + labels[i]] = 1;
  return y;
}

/** Class indices from one-hot rows [n, classes]; a row that is not exactly one 1 among 0s is an error. */
export function fromOneHot(y: Tensor): Int32Array {
  if (!(y instanceof Tensor)) throw new TypeError('fromOneHot: expected a Tensor of one-hot rows');
  if (y.rank !== 2) throw new RangeError(`fromOneHot: expected one-hot rows [n, classes], got shape [${y.shape.join(', ')}]`);
  const [n, classes] = y.shape;
  const data = y.data;
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let hot = -1;
    for (let c = 0; c < classes; c++) {
      const v = data[r * classes + c];
      if (v === 1 && hot < 0) hot = c;
      else if (v !== 0) throw new RangeError(`fromOneHot: row ${r} is not one-hot (value ${v} at column ${c})`);
    }
    if (hot < 0) throw new RangeError(`fromOneHot: row ${r} is not one-hot (no 1)`);
    labels[r] = hot;
  }
  return labels;
}

/** Index of the largest value in each row of [n, classes] (the predicted class); NaN rows give -1. */
export function argmaxRows(scores: Tensor): Int32Array {
  if (!(scores instanceof Tensor)) throw new TypeError('argmaxRows: expected a Tensor [n, classes]');
  if (scores.rank !== 2) throw new RangeError(`argmaxRows: expected [n, classes], got shape [${scores.shape.join(', ')}]`);
  const [n, classes] = scores.shape;
  const data = scores.data;
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = -1;
    let bestValue = -Infinity;
    for (let c = 0; c < classes; c++) {
      const v = data[r * classes + c];
      if (Number.isNaN(v)) {
        best = -1;
        break;
      }
      if (best < 0 || v > bestValue) {
        best = c;
        bestValue = v;
      }
    }
    out[r] = best;
  }
  return out;
}
