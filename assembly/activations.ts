// Elementwise activations, forward and backward (see README.md for the ABI): the lanes of each kind, and
// the loops over them. The kernels actForward, actBackward and actBackwardColSums (and the GEMM epilogue's
// activate) are generated at build from the activation table (activation-dispatch.generated.ts): one case
// per kind calls a loop below with a constant kind, so the optimizer removes the kind tests from the loop
// body. Tails run the lane code on a splatted vector, so results never depend on position mod 4.
import { ACT_IDENTITY, ACT_LEAKY_RELU, ACT_RELU, ACT_SIGMOID, ACT_STEP, ACT_TANH } from './activation-kinds.generated';
import { sigmoid4, tanh4 } from './math';

/** All-ones lanes where v is NaN: OR-ing it into a value turns that lane into a NaN. */
// @ts-ignore: decorator
@inline
function nanLanes(v: v128): v128 {
  return f32x4.ne(v, v);
}

/** f(x) on four lanes. `param` is the leaky-relu slope (alpha >= 0); other kinds ignore it. */
// @ts-ignore: decorator
@inline
export function activation4(kind: i32, x: v128, param: v128): v128 {
  switch (kind) {
    case ACT_RELU:
      // pmax(x, 0) = x < 0 ? 0 : x: one instruction (f32x4.max needs a NaN/-0 fix-up sequence on x86);
      // a NaN x fails the comparison and passes through, and -0 stays -0.
      return f32x4.pmax(x, f32x4.splat(0.0));
    case ACT_LEAKY_RELU:
      return v128.bitselect(x, f32x4.mul(x, param), f32x4.gt(x, f32x4.splat(0.0)));
    case ACT_SIGMOID:
      return sigmoid4(x);
    case ACT_TANH:
      return tanh4(x);
    case ACT_STEP:
      // Heaviside with H(0) = 0, as in the perceptron's "1 if w.x + b > 0 else 0".
      return v128.or(v128.and(f32x4.gt(x, f32x4.splat(0.0)), f32x4.splat(1.0)), nanLanes(x));
    default: // ACT_IDENTITY (the generated dispatch traps on unknown kinds before getting here)
      return x;
  }
}

/** f'(x) expressed through the saved output y = f(x); a NaN y gives a NaN slope for the piecewise kinds. */
// @ts-ignore: decorator
@inline
function slope4(kind: i32, y: v128, param: v128): v128 {
  switch (kind) {
    case ACT_RELU:
      // The comparison mask AND 1.0 is 1.0 where y > 0 and +0 elsewhere.
      return v128.or(v128.and(f32x4.gt(y, f32x4.splat(0.0)), f32x4.splat(1.0)), nanLanes(y));
    case ACT_LEAKY_RELU:
      // For alpha >= 0, y > 0 exactly when x > 0.
      return v128.or(v128.bitselect(f32x4.splat(1.0), param, f32x4.gt(y, f32x4.splat(0.0))), nanLanes(y));
    case ACT_SIGMOID:
      return f32x4.mul(y, f32x4.sub(f32x4.splat(1.0), y));
    case ACT_TANH:
      // (1 - y)(1 + y) rather than 1 - y^2: near |y| = 1 the subtraction is exact (Sterbenz) instead of
      // cancelling the rounding error of y^2.
      return f32x4.mul(f32x4.sub(f32x4.splat(1.0), y), f32x4.add(f32x4.splat(1.0), y));
    case ACT_STEP:
      return nanLanes(y);
    default: // ACT_IDENTITY
      return f32x4.splat(1.0);
  }
}

/** y = f(x) over n floats (y == x allowed). */
// @ts-ignore: decorator
@inline
export function forwardLoop(kind: i32, x: usize, y: usize, n: i32, param: f32): void {
  if (kind == ACT_IDENTITY) {
    if (x != y) memory.copy(y, x, <usize>n << 2);
    return;
  }
  const p = f32x4.splat(param);
  // Two vectors per iteration: V8 re-materializes each v128 constant once per iteration, so this halves
  // that cost for the exp-based kinds (measured 1.5x faster for exp4). Both loads precede the stores (y == x).
  const pairEnd = (<usize>n & ~7) << 2;
  let offset: usize = 0;
  for (; offset < pairEnd; offset += 32) {
    const first = activation4(kind, v128.load(x + offset), p);
    const second = activation4(kind, v128.load(x + offset, 16), p);
    v128.store(y + offset, first);
    v128.store(y + offset, second, 16);
  }
  const vectorEnd = (<usize>n & ~3) << 2;
  for (; offset < vectorEnd; offset += 16) {
    v128.store(y + offset, activation4(kind, v128.load(x + offset), p));
  }
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) {
    store<f32>(y + offset, f32x4.extract_lane(activation4(kind, f32x4.splat(load<f32>(x + offset)), p), 0));
  }
}

/** dx = dy * f'(x), with f' computed from the saved output y (dx may alias dy or y). */
// @ts-ignore: decorator
@inline
export function backwardLoop(kind: i32, y: usize, dy: usize, dx: usize, n: i32, param: f32): void {
  if (kind == ACT_IDENTITY) {
    if (dx != dy) memory.copy(dx, dy, <usize>n << 2);
    return;
  }
  const p = f32x4.splat(param);
  const vectorEnd = (<usize>n & ~3) << 2;
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const slope = slope4(kind, v128.load(y + offset), p);
    v128.store(dx + offset, f32x4.mul(v128.load(dy + offset), slope));
  }
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) {
    const slope = slope4(kind, f32x4.splat(load<f32>(y + offset)), p);
    store<f32>(dx + offset, load<f32>(dy + offset) * f32x4.extract_lane(slope, 0));
  }
}

/** dz = dy * f'(y) for four lanes at `at` (dy alone for the identity, whose slope is 1). */
// @ts-ignore: decorator
@inline
function gradient4(kind: i32, y: usize, dy: usize, at: usize, p: v128): v128 {
  if (kind == ACT_IDENTITY) return v128.load(dy + at);
  return f32x4.mul(v128.load(dy + at), slope4(kind, v128.load(y + at), p));
}

/**
 * actBackward and colSums in one pass over `cols` columns of `rows` rows (rows `rowFloats` floats apart):
 * dz = dy * f'(y) (dz may alias dy), and the column sums of dz to `sums` (a layer's bias gradient; 0: no
 * sums). Each column is summed from 0 in row order, as colSums does, so the sums carry colSums' bits and
 * dz actBackward's. With `accumulate` the sums continue from `sums` (the running f32 sums of earlier rows),
 * so calls over consecutive row ranges give the bits of one call over all of them: a layer can run it
 * chunk by chunk, each chunk just before a GEMM reads it. Each column is computed alone (a range of
 * columns gives their bits of the whole call). The identity kind only sums (and copies dy to dz when they
 * differ).
 */
// @ts-ignore: decorator
@inline
export function backwardColSumsLoop(kind: i32, y: usize, dy: usize, dz: usize, rows: i32, cols: i32, rowFloats: i32, param: f32, sums: usize, accumulate: bool): void {
  const p = f32x4.splat(param);
  const rowBytes = <usize>rowFloats << 2;
  const writes = kind != ACT_IDENTITY || dz != dy;
  const stripEnd = (<usize>cols & ~15) << 2;
  const vectorEnd = (<usize>cols & ~3) << 2;
  const end = <usize>cols << 2;
  const rowsEnd = <usize>rows * rowBytes;
  const keep = accumulate && sums != 0;
  // Strips of 16 columns (one cache line of a row): four independent sums in registers down the rows.
  let column: usize = 0;
  for (; column < stripEnd; column += 64) {
    let s0 = keep ? v128.load(sums + column) : f32x4.splat(0);
    let s1 = keep ? v128.load(sums + column, 16) : f32x4.splat(0);
    let s2 = keep ? v128.load(sums + column, 32) : f32x4.splat(0);
    let s3 = keep ? v128.load(sums + column, 48) : f32x4.splat(0);
    for (let at = column; at < rowsEnd + column; at += rowBytes) {
      const g0 = gradient4(kind, y, dy, at, p);
      const g1 = gradient4(kind, y, dy, at + 16, p);
      const g2 = gradient4(kind, y, dy, at + 32, p);
      const g3 = gradient4(kind, y, dy, at + 48, p);
      if (writes) {
        v128.store(dz + at, g0);
        v128.store(dz + at, g1, 16);
        v128.store(dz + at, g2, 32);
        v128.store(dz + at, g3, 48);
      }
      s0 = f32x4.add(s0, g0);
      s1 = f32x4.add(s1, g1);
      s2 = f32x4.add(s2, g2);
      s3 = f32x4.add(s3, g3);
    }
    if (sums != 0) {
      v128.store(sums + column, s0);
      v128.store(sums + column, s1, 16);
      v128.store(sums + column, s2, 32);
      v128.store(sums + column, s3, 48);
    }
  }
  for (; column < vectorEnd; column += 16) {
    let s = keep ? v128.load(sums + column) : f32x4.splat(0);
    for (let at = column; at < rowsEnd + column; at += rowBytes) {
      const g = gradient4(kind, y, dy, at, p);
      if (writes) v128.store(dz + at, g);
      s = f32x4.add(s, g);
    }
    if (sums != 0) v128.store(sums + column, s);
  }
  for (; column < end; column += 4) {
    let s: f32 = keep ? load<f32>(sums + column) : 0;
    for (let at = column; at < rowsEnd + column; at += rowBytes) {
      const g = kind == ACT_IDENTITY ? load<f32>(dy + at) : load<f32>(dy + at) * f32x4.extract_lane(slope4(kind, f32x4.splat(load<f32>(y + at)), p), 0);
      if (writes) store<f32>(dz + at, g);
      s += g;
    }
    if (sums != 0) store<f32>(sums + column, s);
  }
}
