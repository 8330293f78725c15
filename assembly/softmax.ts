// Row softmax and log-softmax over a row-major rows x cols matrix, max-subtracted so that e is never raised
// to a positive power: softmax(x) = e^(x - m) / sum e^(x - m) with m = max x. A NaN anywhere in a row (or
// +Inf, since Inf - Inf is NaN) gives a NaN row, as in TensorFlow.js. Sums run in a fixed order that
// depends only on cols, so a row's result does not depend on where it sits in memory.
import { exp4 } from './math';

/** max over one row; NaN if any element is NaN (f32x4.max and f32.max propagate NaN). */
// @ts-ignore: decorator
@inline
export function rowMax(row: usize, cols: i32): f32 {
  const vectorEnd = (<usize>cols & ~3) << 2;
  let m4 = f32x4.splat(-Infinity);
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) m4 = f32x4.max(m4, v128.load(row + offset));
  let m = max(max(f32x4.extract_lane(m4, 0), f32x4.extract_lane(m4, 1)), max(f32x4.extract_lane(m4, 2), f32x4.extract_lane(m4, 3)));
  const end = <usize>cols << 2;
  for (; offset < end; offset += 4) m = max(m, load<f32>(row + offset));
  return m;
}

/**
 * sum of e^(x - m) over one row; when `out` is not 0 the terms are also stored there (out == row allowed).
 * Four lane partial sums, then the tail's terms one by one, in that fixed order.
 */
// @ts-ignore: decorator
@inline
export function rowExpSum(row: usize, cols: i32, m: f32, out: usize): f32 {
  const vectorEnd = (<usize>cols & ~3) << 2;
  const m4 = f32x4.splat(m);
  let s4 = f32x4.splat(0.0);
  // Two vectors per iteration (see activations.ts), added to s4 in order, so the sum is unchanged.
  const pairEnd = (<usize>cols & ~7) << 2;
  let offset: usize = 0;
  for (; offset < pairEnd; offset += 32) {
    const first = exp4(f32x4.sub(v128.load(row + offset), m4));
    const second = exp4(f32x4.sub(v128.load(row + offset, 16), m4));
    if (out != 0) {
      v128.store(out + offset, first);
      v128.store(out + offset, second, 16);
    }
    s4 = f32x4.add(f32x4.add(s4, first), second);
  }
  for (; offset < vectorEnd; offset += 16) {
    const e = exp4(f32x4.sub(v128.load(row + offset), m4));
    if (out != 0) v128.store(out + offset, e);
    s4 = f32x4.add(s4, e);
  }
  let s = (f32x4.extract_lane(s4, 0) + f32x4.extract_lane(s4, 1)) + (f32x4.extract_lane(s4, 2) + f32x4.extract_lane(s4, 3));
  // The last cols % 4 terms come from one exp4 (its other lanes hold e^0, unused) instead of one exp4 per
  // term, each waiting on the last. exp4 works lane by lane, so every term has the bits a lone evaluation
  // gives, and they are added in the same order as before.
  const tail = cols & 3;
  if (tail != 0) {
    const at = row + offset;
    let t = f32x4.replace_lane(m4, 0, load<f32>(at));
    if (tail > 1) t = f32x4.replace_lane(t, 1, load<f32>(at, 4));
    if (tail > 2) t = f32x4.replace_lane(t, 2, load<f32>(at, 8));
    const e = exp4(f32x4.sub(t, m4));
    const e0 = f32x4.extract_lane(e, 0);
    const e1 = f32x4.extract_lane(e, 1);
    const e2 = f32x4.extract_lane(e, 2);
    s += e0;
    if (out != 0) store<f32>(out + offset, e0);
    if (tail > 1) {
      s += e1;
      if (out != 0) store<f32>(out + offset, e1, 4);
    }
    if (tail > 2) {
      s += e2;
      if (out != 0) store<f32>(out + offset, e2, 8);
    }
  }
  return s;
}

/** Divides one row by d in place (a true division, correctly rounded, rather than a reciprocal). */
// @ts-ignore: decorator
@inline
function rowDivide(row: usize, cols: i32, d: f32): void {
  const vectorEnd = (<usize>cols & ~3) << 2;
  const d4 = f32x4.splat(d);
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) v128.store(row + offset, f32x4.div(v128.load(row + offset), d4));
  const end = <usize>cols << 2;
  for (; offset < end; offset += 4) store<f32>(row + offset, load<f32>(row + offset) / d);
}

/** y = (x - m) - logSum over one row (y == x allowed): two roundings, so logSum is not lost next to a huge m. */
// @ts-ignore: decorator
@inline
function rowShiftLog(x: usize, y: usize, cols: i32, m: f32, logSum: f32): void {
  const vectorEnd = (<usize>cols & ~3) << 2;
  const m4 = f32x4.splat(m);
  const l4 = f32x4.splat(logSum);
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    v128.store(y + offset, f32x4.sub(f32x4.sub(v128.load(x + offset), m4), l4));
  }
  const end = <usize>cols << 2;
  for (; offset < end; offset += 4) store<f32>(y + offset, (load<f32>(x + offset) - m) - logSum);
}

/** log(sum e^(x - m)) of one row given its max m, with the logarithm taken in f64. */
// @ts-ignore: decorator
@inline
export function rowLogSumExpShifted(row: usize, cols: i32, m: f32): f32 {
  return <f32>Math.log(<f64>rowExpSum(row, cols, m, 0));
}

/** y = softmax of each row of x (y == x allowed). */
export function softmaxRows(x: usize, y: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const yr = y + <usize>r * rowBytes;
    const m = rowMax(xr, cols);
    const s = rowExpSum(xr, cols, m, yr);
    rowDivide(yr, cols, s);
  }
}

/** y = log softmax of each row of x = (x - m) - log sum e^(x - m) (y == x allowed). */
export function logSoftmaxRows(x: usize, y: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const m = rowMax(xr, cols);
    const logSum = rowLogSumExpShifted(xr, cols, m);
    rowShiftLog(xr, y + <usize>r * rowBytes, cols, m, logSum);
  }
}

/**
 * dx = y * (dy - sum_j dy_j y_j) per row: the softmax Jacobian-vector product from the saved output y
 * (dy_i/dx_j = y_i (delta_ij - y_j)). dx may alias dy. The dot product uses four lane sums then the tail,
 * a fixed order that depends only on cols.
 */
export function softmaxBackwardRows(y: usize, dy: usize, dx: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  const vectorEnd = (<usize>cols & ~3) << 2;
  const end = rowBytes;
  for (let r = 0; r < rows; r++) {
    const yr = y + <usize>r * rowBytes;
    const dyr = dy + <usize>r * rowBytes;
    const dxr = dx + <usize>r * rowBytes;
    let d4 = f32x4.splat(0.0);
    let offset: usize = 0;
    for (; offset < vectorEnd; offset += 16) d4 = f32x4.add(d4, f32x4.mul(v128.load(dyr + offset), v128.load(yr + offset)));
    let dot = (f32x4.extract_lane(d4, 0) + f32x4.extract_lane(d4, 1)) + (f32x4.extract_lane(d4, 2) + f32x4.extract_lane(d4, 3));
    for (; offset < end; offset += 4) dot += load<f32>(dyr + offset) * load<f32>(yr + offset);
    const dot4 = f32x4.splat(dot);
    for (offset = 0; offset < vectorEnd; offset += 16) {
      v128.store(dxr + offset, f32x4.mul(v128.load(yr + offset), f32x4.sub(v128.load(dyr + offset), dot4)));
    }
    for (; offset < end; offset += 4) store<f32>(dxr + offset, load<f32>(yr + offset) * (load<f32>(dyr + offset) - dot));
  }
}
