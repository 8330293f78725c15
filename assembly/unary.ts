// Elementwise unary ops of the tensor math: y = f(x) over n floats (in place allowed): neg, square, scale.
// (exp and log are math.ts's expElementwise / logElementwise.) Tails run the lane code on a splat.

export const UNARY_NEG: i32 = 0;
export const UNARY_SQUARE: i32 = 1;
/** y = param * x. */
export const UNARY_SCALE: i32 = 2;

// @ts-ignore: decorator
@inline
function apply4(op: i32, x: v128, param: v128): v128 {
  switch (op) {
    case UNARY_NEG: return f32x4.neg(x);
    case UNARY_SQUARE: return f32x4.mul(x, x);
    default: return f32x4.mul(x, param); // UNARY_SCALE
  }
}

// @ts-ignore: decorator
@inline
function loop(op: i32, x: usize, y: usize, n: i32, param: f32): void {
  const p = f32x4.splat(param);
  const vectorEnd = (<usize>n & ~3) << 2;
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) v128.store(y + offset, apply4(op, v128.load(x + offset), p));
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) store<f32>(y + offset, f32x4.extract_lane(apply4(op, f32x4.splat(load<f32>(x + offset)), p), 0));
}

/** y = op(x) over n floats; `param` is the factor of UNARY_SCALE. An unknown op traps. */
export function unaryOp(op: i32, x: usize, y: usize, n: i32, param: f32): void {
  switch (op) {
    case UNARY_NEG: loop(UNARY_NEG, x, y, n, param); break;
    case UNARY_SQUARE: loop(UNARY_SQUARE, x, y, n, param); break;
    case UNARY_SCALE: loop(UNARY_SCALE, x, y, n, param); break;
    default: unreachable();
  }
}
