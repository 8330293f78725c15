// Reductions over row-major rows x cols matrices: column sums (bias gradients), row argmax and accuracy counts;
// and for the tensor math, sums and argmax along one axis of an [outer, dim, inner] tensor and the dot product.
import { widenHigh, widenLow } from './math';

/**
 * out[j] = beta * out[j] + sum_r x[r][j]. Columns are summed four at a time down the rows, in row order,
 * so every column (lane or tail) is the same sequence of f32 additions. beta == 0 never reads out.
 */
export function colSums(x: usize, rows: i32, cols: i32, out: usize, beta: f32): void {
  const rowBytes = <usize>cols << 2;
  const vectorEnd = (<usize>cols & ~3) << 2;
  const beta4 = f32x4.splat(beta);
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    let acc = f32x4.splat(0.0);
    for (let r = 0; r < rows; r++) acc = f32x4.add(acc, v128.load(x + <usize>r * rowBytes + offset));
    if (beta != 0) acc = f32x4.add(f32x4.mul(beta4, v128.load(out + offset)), acc);
    v128.store(out + offset, acc);
  }
  const end = <usize>cols << 2;
  for (; offset < end; offset += 4) {
    let acc: f32 = 0;
    for (let r = 0; r < rows; r++) acc += load<f32>(x + <usize>r * rowBytes + offset);
    if (beta != 0) acc = beta * load<f32>(out + offset) + acc;
    store<f32>(out + offset, acc);
  }
}

/**
 * Index of the largest element of one row; the first wins on ties. A NaN counts as larger than any number
 * (as NumPy's argmax), so the first NaN's index is returned. An empty row gives -1.
 */
// @ts-ignore: decorator
@inline
function argmaxRow(row: usize, cols: i32): i32 {
  if (cols <= 0) return -1;
  let best = load<f32>(row);
  let bestIndex = 0;
  for (let j = 1; j < cols && best == best; j++) {
    const v = load<f32>(row + (<usize>j << 2));
    if (v > best || v != v) {
      best = v;
      bestIndex = j;
    }
  }
  return bestIndex;
}

/** outIdx[r] = argmax of row r (i32), with the tie and NaN rules of argmaxRow. */
export function rowArgmax(x: usize, rows: i32, cols: i32, outIdx: usize): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) store<i32>(outIdx + (<usize>r << 2), argmaxRow(x + <usize>r * rowBytes, cols));
}

/** Number of rows where argmax(pred) == argmax(labels) (labels one-hot or soft). */
export function countCorrect(pred: usize, labels: usize, rows: i32, cols: i32): i32 {
  const rowBytes = <usize>cols << 2;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const at = <usize>r * rowBytes;
    if (argmaxRow(pred + at, cols) == argmaxRow(labels + at, cols)) correct++;
  }
  return correct;
}

/** Number of rows where argmax(pred) equals the i32 class index labelIdx[r]. */
export function countCorrectSparse(pred: usize, labelIdx: usize, rows: i32, cols: i32): i32 {
  const rowBytes = <usize>cols << 2;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    if (argmaxRow(pred + <usize>r * rowBytes, cols) == load<i32>(labelIdx + (<usize>r << 2))) correct++;
  }
  return correct;
}

/** Number of elements where (pred > threshold) == (target > 0.5): binary accuracy (threshold 0 on logits, 0.5 on probabilities). */
export function countCorrectBinary(pred: usize, target: usize, n: i32, threshold: f32): i32 {
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 2;
    if ((load<f32>(pred + at) > threshold) == (load<f32>(target + at) > <f32>0.5)) correct++;
  }
  return correct;
}

/**
 * Number of rows whose true class is among the k largest predictions: fewer than k classes score strictly
 * higher than it (so ties at the boundary count as in, as tf.math.in_top_k). The true class is the i32
 * index labelIdx[r] when `sparse`, else the argmax of the label row. A NaN score for it counts as a miss.
 */
export function countInTopK(pred: usize, labels: usize, rows: i32, cols: i32, k: i32, sparse: bool): i32 {
  const rowBytes = <usize>cols << 2;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const row = pred + <usize>r * rowBytes;
    const label = sparse ? load<i32>(labels + (<usize>r << 2)) : argmaxRow(labels + <usize>r * rowBytes, cols);
    if (label < 0 || label >= cols) continue;
    const v = load<f32>(row + (<usize>label << 2));
    if (v != v) continue;
    let higher = 0;
    for (let j = 0; j < cols; j++) if (load<f32>(row + (<usize>j << 2)) > v) higher++;
    if (higher < k) correct++;
  }
  return correct;
}

/** Number of the n floats above threshold (predicted positives at a threshold, or positive targets at 0.5). */
export function countAbove(x: usize, n: i32, threshold: f32): i32 {
  let count = 0;
  for (let i = 0; i < n; i++) if (load<f32>(x + (<usize>i << 2)) > threshold) count++;
  return count;
}

/** Number of elements predicted positive (pred > threshold) whose target is positive (> 0.5). */
export function countTruePositives(pred: usize, target: usize, n: i32, threshold: f32): i32 {
  let count = 0;
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 2;
    if (load<f32>(pred + at) > threshold && load<f32>(target + at) > <f32>0.5) count++;
  }
  return count;
}

/**
 * Sum over n elements of |t - p| / max(|t|, eps), the terms of the mean absolute percentage error (tfjs's
 * `100 * mean(|t - p| / clip(|t|, eps))`; the caller scales and divides). Each term in f32, summed in f64.
 */
export function absolutePercentageErrorSum(pred: usize, target: usize, n: i32, eps: f32): f64 {
  let sum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 2;
    const t = load<f32>(target + at);
    sum += <f64>(Mathf.abs(t - load<f32>(pred + at)) / Mathf.max(Mathf.abs(t), eps));
  }
  return sum;
}

/**
 * Sum over rows of -cos(p, t) = -(p . t) / (|p| |t|), each squared norm at least eps (tfjs's cosineProximity:
 * both rows l2-normalized, x / sqrt(max(sum x^2, eps))). Dot products and norms in f64.
 */
export function cosineProximitySum(pred: usize, target: usize, rows: i32, cols: i32, eps: f32): f64 {
  let sum: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const row = <usize>r * <usize>cols << 2;
    let pt: f64 = 0;
    let pp: f64 = 0;
    let tt: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const at = row + (<usize>j << 2);
      const p = <f64>load<f32>(pred + at);
      const t = <f64>load<f32>(target + at);
      pt += p * t;
      pp += p * p;
      tt += t * t;
    }
    sum -= pt / (Math.sqrt(Math.max(pp, <f64>eps)) * Math.sqrt(Math.max(tt, <f64>eps)));
  }
  return sum;
}

/** Index of the first NaN or +-Inf among n floats, or -1 when all are finite (x - x is 0 only for finite x). */
export function firstNonFinite(x: usize, n: i32): i32 {
  const zero = f32x4.splat(0.0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    if (!i32x4.all_true(f32x4.eq(f32x4.sub(v, v), zero))) break;
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v - v != 0) return i;
  }
  return -1;
}

/** Sum of n contiguous floats in f64 (two f64x2 accumulators, then the tail: an order fixed by n). */
// @ts-ignore: decorator
@inline
function contiguousSum(x: usize, n: i32): f64 {
  let lo = f64x2.splat(0.0);
  let hi = f64x2.splat(0.0);
  const vectorEnd = (<usize>n & ~3) << 2;
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const v = v128.load(x + offset);
    lo = f64x2.add(lo, widenLow(v));
    hi = f64x2.add(hi, widenHigh(v));
  }
  let tail: f64 = 0;
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) tail += <f64>load<f32>(x + offset);
  return ((f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1)) + (f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1))) + tail;
}

/**
 * out[o][i] = f32(scale * sum over d of x[o][d][i]) for x of shape [outer, dim, inner] (scale 1 for a sum,
 * 1 / dim for a mean). Sums are taken in f64 (every f32 is exact there; the f64 rounding, about
 * dim * 2^-53 of the sum of magnitudes, stays far below the final f32 rounding), in an order fixed by the
 * shape alone.
 */
export function sumAxis(x: usize, outer: i32, dim: i32, inner: i32, out: usize, scale: f64): void {
  const innerBytes = <usize>inner << 2;
  const blockBytes = <usize>dim * innerBytes;
  const vectorEnd = (<usize>inner & ~3) << 2;
  const s = f64x2.splat(scale);
  for (let o = 0; o < outer; o++) {
    const block = x + <usize>o * blockBytes;
    const dst = out + <usize>o * innerBytes;
    if (inner == 1) {
      store<f32>(dst, <f32>(scale * contiguousSum(block, dim)));
      continue;
    }
    let offset: usize = 0;
    for (; offset < vectorEnd; offset += 16) {
      let lo = f64x2.splat(0.0);
      let hi = f64x2.splat(0.0);
      for (let d = 0; d < dim; d++) {
        const v = v128.load(block + <usize>d * innerBytes + offset);
        lo = f64x2.add(lo, widenLow(v));
        hi = f64x2.add(hi, widenHigh(v));
      }
      const low = f32x4.demote_f64x2_zero(f64x2.mul(lo, s));
      const high = f32x4.demote_f64x2_zero(f64x2.mul(hi, s));
      v128.store(dst + offset, v128.shuffle<f32>(low, high, 0, 1, 4, 5));
    }
    for (; offset < innerBytes; offset += 4) {
      let acc: f64 = 0;
      for (let d = 0; d < dim; d++) acc += <f64>load<f32>(block + <usize>d * innerBytes + offset);
      store<f32>(dst + offset, <f32>(acc * scale));
    }
  }
}

/**
 * out[o][i] = argmax over d of x[o][d][i], as an f32 index, for x of shape [outer, dim, inner], with
 * argmaxRow's rules (first maximum wins; the first NaN counts as the maximum); -1 when dim is 0.
 */
export function argmaxAxis(x: usize, outer: i32, dim: i32, inner: i32, out: usize): void {
  const innerBytes = <usize>inner << 2;
  const blockBytes = <usize>dim * innerBytes;
  const vectorEnd = (<usize>inner & ~3) << 2;
  for (let o = 0; o < outer; o++) {
    const block = x + <usize>o * blockBytes;
    const dst = out + <usize>o * innerBytes;
    if (dim <= 0) {
      for (let i = 0; i < inner; i++) store<f32>(dst + (<usize>i << 2), -1.0);
      continue;
    }
    if (inner == 1) {
      store<f32>(dst, <f32>argmaxRow(block, dim));
      continue;
    }
    let offset: usize = 0;
    for (; offset < vectorEnd; offset += 16) {
      let best = v128.load(block + offset);
      let index = i32x4.splat(0);
      for (let d = 1; d < dim; d++) {
        const v = v128.load(block + <usize>d * innerBytes + offset);
        // Lanes whose best is still a number take v when it is larger or NaN.
        const take = v128.and(f32x4.eq(best, best), v128.or(f32x4.gt(v, best), f32x4.ne(v, v)));
        best = v128.bitselect(v, best, take);
        index = v128.bitselect(i32x4.splat(d), index, take);
      }
      v128.store(dst + offset, f32x4.convert_i32x4_s(index));
    }
    for (; offset < innerBytes; offset += 4) {
      let best = load<f32>(block + offset);
      let index = 0;
      for (let d = 1; d < dim && best == best; d++) {
        const v = load<f32>(block + <usize>d * innerBytes + offset);
        if (v > best || v != v) {
          best = v;
          index = d;
        }
      }
      store<f32>(dst + offset, <f32>index);
    }
  }
}

/** sum of a[i] * b[i] over n floats: products exact in f64, summed in f64 (two f64x2 accumulators, then the tail). */
export function dot(a: usize, b: usize, n: i32): f64 {
  let lo = f64x2.splat(0.0);
  let hi = f64x2.splat(0.0);
  const vectorEnd = (<usize>n & ~3) << 2;
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const x = v128.load(a + offset);
    const y = v128.load(b + offset);
    lo = f64x2.add(lo, f64x2.mul(widenLow(x), widenLow(y)));
    hi = f64x2.add(hi, f64x2.mul(widenHigh(x), widenHigh(y)));
  }
  let tail: f64 = 0;
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) tail += <f64>load<f32>(a + offset) * <f64>load<f32>(b + offset);
  return ((f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1)) + (f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1))) + tail;
}
