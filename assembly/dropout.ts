// Inverted dropout (Srivastava et al. 2014; scaled at training time as Keras and TensorFlow.js do): each
// element is kept with probability 1 - rate and scaled by 1 / (1 - rate), else zeroed. The keep decision of
// element i is a pure function of (seed, start + i), so any sub-range (a thread's rows) gives the same bits
// and the float64 reference can rebuild the mask with dropoutHash32 (src/nn/dropout-hash.ts).

/** The golden-ratio multiplier spreads consecutive indices over the 32-bit range before the finalizer. */
const INDEX_MULTIPLIER: i32 = 0x9e3779b9;
/** Multipliers of Chris Wellons' lowbias32 integer finalizer (hash-prospector). */
const FINALIZE_1: i32 = 0x7feb352d;
const FINALIZE_2: i32 = 0x846ca68b;
/** 2^-24: the top 24 bits of a hash as a float in [0, 1), exact in f32. */
const UNIT: f32 = 5.9604644775390625e-8;

/** hash32(seed, index) = lowbias32((index * 0x9E3779B9) ^ seed), in 32-bit wrapping arithmetic. */
// @ts-ignore: decorator
@inline
function hash32(seed: u32, index: u32): u32 {
  let h = (index * <u32>INDEX_MULTIPLIER) ^ seed;
  h ^= h >>> 16;
  h *= <u32>FINALIZE_1;
  h ^= h >>> 15;
  h *= <u32>FINALIZE_2;
  h ^= h >>> 16;
  return h;
}

/** hash32 of four consecutive indices (lanes index4), the same bits as the scalar form. */
// @ts-ignore: decorator
@inline
function hash32x4(seed4: v128, index4: v128): v128 {
  let h = v128.xor(i32x4.mul(index4, i32x4.splat(INDEX_MULTIPLIER)), seed4);
  h = v128.xor(h, i32x4.shr_u(h, 16));
  h = i32x4.mul(h, i32x4.splat(FINALIZE_1));
  h = v128.xor(h, i32x4.shr_u(h, 15));
  h = i32x4.mul(h, i32x4.splat(FINALIZE_2));
  return v128.xor(h, i32x4.shr_u(h, 16));
}

/**
 * For i in [0, n): u = (hash32(seed, start + i) >>> 8) * 2^-24; mask[i] = u >= rate ? scale : 0 with
 * scale = f32(1 / (1 - rate)) (the division in f64, rounded once); y[i] = x[i] * mask[i]. y may alias x.
 * rate is in [0, 1): rate 0 keeps everything with scale exactly 1.
 */
export function dropoutForward(x: usize, y: usize, mask: usize, n: i32, rate: f32, seed: u32, start: u32): void {
  const scale = <f32>(1.0 / (1.0 - <f64>rate));
  const scale4 = f32x4.splat(scale);
  const rate4 = f32x4.splat(rate);
  const unit4 = f32x4.splat(UNIT);
  const seed4 = i32x4.splat(seed);
  const step4 = i32x4.splat(4);
  let index4 = i32x4.add(i32x4.splat(start), i32x4(0, 1, 2, 3));
  const vectorEnd = (<usize>n & ~3) << 2;
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const u = f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(hash32x4(seed4, index4), 8)), unit4);
    const m = v128.and(f32x4.ge(u, rate4), scale4);
    v128.store(mask + offset, m);
    v128.store(y + offset, f32x4.mul(v128.load(x + offset), m));
    index4 = i32x4.add(index4, step4);
  }
  const end = <usize>n << 2;
  for (let index = start + <u32>(vectorEnd >>> 2); offset < end; offset += 4, index++) {
    const u = <f32>(hash32(seed, index) >>> 8) * UNIT;
    const m: f32 = u >= rate ? scale : 0;
    store<f32>(mask + offset, m);
    store<f32>(y + offset, load<f32>(x + offset) * m);
  }
}

/** dx = dy * mask, the saved scaled mask of dropoutForward (dx may alias dy). */
export function dropoutBackward(dy: usize, mask: usize, dx: usize, n: i32): void {
  const vectorEnd = (<usize>n & ~3) << 2;
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    v128.store(dx + offset, f32x4.mul(v128.load(dy + offset), v128.load(mask + offset)));
  }
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) store<f32>(dx + offset, load<f32>(dy + offset) * load<f32>(mask + offset));
}
