// SIMD transcendental functions on f32x4 shared by the elementwise, softmax and loss kernels.
// The kernels run an array's tail through the same lane code (on a splat or a partly filled vector), so an
// element's result never depends on its position modulo 4.

/** f32 lanes 0,1 (widenLow) or 2,3 (widenHigh) as an f64x2, for f64 accumulators. */
// @ts-ignore: decorator
@inline
export function widenLow(t: v128): v128 {
  return f64x2.promote_low_f32x4(t);
}
// @ts-ignore: decorator
@inline
export function widenHigh(t: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(t, t, 2, 3, 2, 3));
}

// Cephes expf (S. L. Moshier, Cephes Math Library, expf.c): x = n ln2 + r with |r| <= ln2/2, ln2 split
// in two (LN2_HI has 9 significant bits, so n * LN2_HI is exact), then a degree-5 minimax polynomial for
// (e^r - 1 - r) / r^2.
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const EXP_P0: f32 = 1.9875691500e-4;
const EXP_P1: f32 = 1.3981999507e-3;
const EXP_P2: f32 = 8.3334519073e-3;
const EXP_P3: f32 = 4.1665795894e-2;
const EXP_P4: f32 = 1.6666665459e-1;
const EXP_P5: f32 = 5.0000001201e-1;
// Clamp bounds: e^89 overflows f32 and e^-104 rounds to 0 even as a subnormal, so clamping changes no
// result while keeping n in [-150, 128], where the two-step scaling below is exact.
const EXP_HI: f32 = 89.0;
const EXP_LO: f32 = -104.0;
const ROUNDING_BIAS: f32 = 12582912.0; // 1.5 * 2^23
const ROUNDING_BIAS_BITS: i32 = 0x4b400000;

/**
 * e^x on four lanes. Measured maximum relative error against Math.exp over a dense sweep of [-87, 88]
 * (test/activations.test.ts, 2^21 points): 8.1e-8 (about one f32 ulp). Overflow gives +Inf (x > 88.7228),
 * underflow gives subnormals then 0 (x < -103.97), NaN gives NaN, -Inf gives 0.
 */
// @ts-ignore: decorator
@inline
export function exp4(x: v128): v128 {
  // pmin/pmax (one instruction each on x86) keep x when the comparison fails, so a NaN x passes through.
  x = f32x4.pmax(f32x4.pmin(x, f32x4.splat(EXP_HI)), f32x4.splat(EXP_LO));
  // n = round-to-nearest-even(x log2e) by adding 1.5 * 2^23: the sum's ulp is 1, and its low mantissa
  // bits hold n as an integer (XNNPACK's "magic bias"), so no float-to-int conversion is needed.
  const biased = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(ROUNDING_BIAS));
  const n = f32x4.sub(biased, f32x4.splat(ROUNDING_BIAS));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(EXP_P0);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EXP_P1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EXP_P2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EXP_P3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EXP_P4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EXP_P5));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1.0));
  // 2^n as two factors 2^(n>>1) * 2^(n - (n>>1)): each is a normal float for n in [-150, 128], so
  // results near the overflow edge and subnormal results are each rounded once.
  const ni = i32x4.sub(biased, i32x4.splat(ROUNDING_BIAS_BITS));
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  return f32x4.mul(f32x4.mul(y, s1), s2);
}

/**
 * Logistic sigmoid 1 / (1 + e^-x), evaluated so that e is only ever raised to -|x| (never overflows):
 * with e = e^-|x|, sigmoid = 1 - e / (1 + e) for x >= 0 and e / (1 + e) for x < 0. Limits are exact 0 and 1.
 */
// @ts-ignore: decorator
@inline
export function sigmoid4(x: v128): v128 {
  const e = exp4(f32x4.neg(f32x4.abs(x)));
  // q = e / (1 + e) = sigmoid(-|x|) <= 1/2, and sigmoid(|x|) = 1 - q: one division, and the subtraction
  // lands in [1/2, 1] where it adds at most half an ulp.
  const q = f32x4.div(e, f32x4.add(f32x4.splat(1.0), e));
  return v128.bitselect(f32x4.sub(f32x4.splat(1.0), q), q, f32x4.ge(x, f32x4.splat(0.0)));
}

// Cephes tanhf (tanhf.c): an odd minimax polynomial for |x| < 0.625, where 1 - e^-2|x| would cancel.
const TANH_SMALL: f32 = 0.625;
const TANH_P0: f32 = -5.70498872745e-3;
const TANH_P1: f32 = 2.06390887954e-2;
const TANH_P2: f32 = -5.37397155531e-2;
const TANH_P3: f32 = 1.33314422036e-1;
const TANH_P4: f32 = -3.33332819422e-1;

/**
 * tanh on four lanes. For |x| >= 0.625, tanh|x| = (1 - e) / (1 + e) with e = e^-2|x| (never overflows;
 * e underflows to 0 for |x| > 52, giving exactly 1), with the sign of x copied back. NaN gives NaN.
 */
// @ts-ignore: decorator
@inline
export function tanh4(x: v128): v128 {
  // Computed on |x| and the sign of x OR-ed back in: tanh is odd, and this keeps tanh(-0) = -0.
  const ax = f32x4.abs(x);
  const e = exp4(f32x4.mul(ax, f32x4.splat(-2.0)));
  const large = f32x4.div(f32x4.sub(f32x4.splat(1.0), e), f32x4.add(f32x4.splat(1.0), e));
  const z = f32x4.mul(ax, ax);
  let p = f32x4.splat(TANH_P0);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(TANH_P1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(TANH_P2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(TANH_P3));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(TANH_P4));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), ax), ax);
  const magnitude = v128.bitselect(small, large, f32x4.lt(ax, f32x4.splat(TANH_SMALL)));
  return v128.or(magnitude, v128.and(x, f32x4.splat(-0.0)));
}

// Cephes logf (logf.c): x = f 2^e with f in [sqrt(1/2), sqrt(2)), then a degree-8 minimax polynomial for
// log(1 + (f - 1)) and e ln2 added in two parts (the same ln2 split as exp4).
const SQRT_HALF: f32 = 0.707106781186547524;
const LOG_P0: f32 = 7.0376836292e-2;
const LOG_P1: f32 = -1.1514610310e-1;
const LOG_P2: f32 = 1.1676998740e-1;
const LOG_P3: f32 = -1.2420140846e-1;
const LOG_P4: f32 = 1.4249322787e-1;
const LOG_P5: f32 = -1.6668057665e-1;
const LOG_P6: f32 = 2.0000714765e-1;
const LOG_P7: f32 = -2.4999993993e-1;
const LOG_P8: f32 = 3.3333331174e-1;
const MIN_NORMAL: f32 = 1.17549435e-38;

/**
 * Natural log on four lanes. log(0) = -Inf, log(x < 0) = NaN, log(+Inf) = +Inf, NaN gives NaN; subnormal
 * inputs are scaled by 2^23 first. Measured maximum relative error against Math.log over [1e-40, 0.999]
 * (test/losses.test.ts, 2^15 log-spaced points): 7.4e-8.
 */
// @ts-ignore: decorator
@inline
export function log4(x: v128): v128 {
  const subnormal = f32x4.lt(x, f32x4.splat(MIN_NORMAL));
  const scaled = v128.bitselect(f32x4.mul(x, f32x4.splat(8388608.0)), x, subnormal);
  const bits = scaled;
  // Exponent with the mantissa read as [0.5, 1), as C frexp returns it.
  let e = i32x4.sub(i32x4.shr_u(v128.and(bits, i32x4.splat(0x7f800000)), 23), i32x4.splat(126));
  e = i32x4.sub(e, v128.and(subnormal, i32x4.splat(23)));
  let f = v128.or(v128.and(bits, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000));
  // f < sqrt(1/2): use 2f - 1 and e - 1 so the polynomial's argument stays in [sqrt(1/2) - 1, sqrt(2) - 1).
  const low = f32x4.lt(f, f32x4.splat(SQRT_HALF));
  e = i32x4.add(e, low); // the mask is -1 in those lanes
  f = f32x4.sub(f32x4.add(f, v128.and(f, low)), f32x4.splat(1.0));
  const ef = f32x4.convert_i32x4_s(e);
  const z = f32x4.mul(f, f);
  let p = f32x4.splat(LOG_P0);
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(LOG_P1));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(LOG_P2));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(LOG_P3));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(LOG_P4));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(LOG_P5));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(LOG_P6));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(LOG_P7));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(LOG_P8));
  let y = f32x4.mul(f32x4.mul(p, f), z);
  y = f32x4.add(y, f32x4.mul(ef, f32x4.splat(LN2_LO)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  let r = f32x4.add(f, y);
  r = f32x4.add(r, f32x4.mul(ef, f32x4.splat(LN2_HI)));
  // Special values: 0 -> -Inf, negative -> NaN, +Inf stays +Inf, NaN stays NaN.
  r = v128.bitselect(f32x4.splat(-Infinity), r, f32x4.eq(x, f32x4.splat(0.0)));
  r = v128.bitselect(x, r, f32x4.eq(x, f32x4.splat(Infinity)));
  return v128.bitselect(f32x4.splat(NaN), r, v128.or(f32x4.lt(x, f32x4.splat(0.0)), f32x4.ne(x, x)));
}

/**
 * log(1 + u) on four lanes, accurate for tiny u by Goldberg's correction (What Every Computer Scientist
 * Should Know About Floating-Point Arithmetic, 1991, Theorem 4): log(w) * u / (w - 1) with w = 1 + u.
 */
// @ts-ignore: decorator
@inline
export function log1p4(u: v128): v128 {
  const w = f32x4.add(f32x4.splat(1.0), u);
  const wMinus1 = f32x4.sub(w, f32x4.splat(1.0));
  const corrected = f32x4.div(f32x4.mul(log4(w), u), wMinus1);
  // w == 1 means u is below half an ulp of 1, where log1p(u) = u to f32 precision; w = +Inf keeps Inf.
  const exact = v128.or(f32x4.eq(wMinus1, f32x4.splat(0.0)), f32x4.eq(w, f32x4.splat(Infinity)));
  return v128.bitselect(u, corrected, exact);
}

/** The loop of expElementwise and logElementwise; `useLog` is a literal at each call, so each gets its own loop. */
// @ts-ignore: decorator
@inline
function transcendentalLoop(useLog: bool, x: usize, y: usize, n: i32): void {
  // Two vectors per iteration, as in activations.ts: halves V8's per-iteration constant materialization
  // (measured 1.5x faster for exp4). Both loads precede the stores (y == x).
  const pairEnd = (<usize>n & ~7) << 2;
  let offset: usize = 0;
  for (; offset < pairEnd; offset += 32) {
    const first = v128.load(x + offset);
    const second = v128.load(x + offset, 16);
    v128.store(y + offset, useLog ? log4(first) : exp4(first));
    v128.store(y + offset, useLog ? log4(second) : exp4(second), 16);
  }
  const vectorEnd = (<usize>n & ~3) << 2;
  for (; offset < vectorEnd; offset += 16) {
    const v = v128.load(x + offset);
    v128.store(y + offset, useLog ? log4(v) : exp4(v));
  }
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) {
    const v = f32x4.splat(load<f32>(x + offset));
    store<f32>(y + offset, f32x4.extract_lane(useLog ? log4(v) : exp4(v), 0));
  }
}

/** Elementwise y = e^x over n floats (in place allowed). */
export function expElementwise(x: usize, y: usize, n: i32): void {
  transcendentalLoop(false, x, y, n);
}

/** Elementwise y = log x over n floats (in place allowed), with log4's special values. */
export function logElementwise(x: usize, y: usize, n: i32): void {
  transcendentalLoop(true, x, y, n);
}
