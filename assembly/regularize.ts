// Weight penalties of Keras's L1L2 regularizer: penalty = l1 * sum |w| + l2 * sum w^2, with its gradient
// l1 * sign(w) + 2 * l2 * w added into the weight gradient. As in Keras and tfjs-layers, a zero coefficient
// drops its term altogether, so l2 = 0 with an infinite weight adds no NaN from 0 * inf.

/**
 * Returns l1 * sum |w| + l2 * sum w^2 (sums in f64, lanes promoted from f32); when g != 0 also
 * g += l1 * sign(w) + 2 * l2 * w in f32 (sign(0) = sign(NaN) = 0, as
 * tf.sign on the cpu backend).
 */
export function regularize(w: usize, g: usize, n: i32, l1: f32, l2: f32): f64 {
  const l14 = f32x4.splat(l1);
  const twoL2 = <f32>2.0 * l2;
  const twoL24 = f32x4.splat(twoL2);
  // All ones when l2 != 0: masks the l2 gradient term (to +0) when its coefficient is zero.
  const l2Used4 = i32x4.splat(l2 != 0 ? -1 : 0);
  const zero4 = f32x4.splat(0.0);
  let absLow = f64x2.splat(0.0);
  let absHigh = f64x2.splat(0.0);
  let squaresLow = f64x2.splat(0.0);
  let squaresHigh = f64x2.splat(0.0);
  const vectorEnd = (<usize>n & ~3) << 2;
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const v = v128.load(w + offset);
    const low = f64x2.promote_low_f32x4(v);
    const high = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3));
    absLow = f64x2.add(absLow, f64x2.abs(low));
    absHigh = f64x2.add(absHigh, f64x2.abs(high));
    squaresLow = f64x2.add(squaresLow, f64x2.mul(low, low));
    squaresHigh = f64x2.add(squaresHigh, f64x2.mul(high, high));
    if (g == 0) continue;
    // l1 * sign(v) by selecting l1 or -l1: exact, and 0 for a zero or NaN weight (tfjs's sign).
    const signed = f32x4.sub(v128.and(f32x4.gt(v, zero4), l14), v128.and(f32x4.lt(v, zero4), l14));
    const step = f32x4.add(signed, v128.and(f32x4.mul(twoL24, v), l2Used4));
    v128.store(g + offset, f32x4.add(v128.load(g + offset), step));
  }
  let sumAbs = f64x2.extract_lane(absLow, 0) + f64x2.extract_lane(absLow, 1) + (f64x2.extract_lane(absHigh, 0) + f64x2.extract_lane(absHigh, 1));
  let sumSquares = f64x2.extract_lane(squaresLow, 0) + f64x2.extract_lane(squaresLow, 1) + (f64x2.extract_lane(squaresHigh, 0) + f64x2.extract_lane(squaresHigh, 1));
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) {
    const v = load<f32>(w + offset);
    const v64 = <f64>v;
    sumAbs += Math.abs(v64);
    sumSquares += v64 * v64;
    if (g == 0) continue;
    const signed: f32 = v > 0 ? l1 : v < 0 ? -l1 : 0;
    const step = signed + (l2 != 0 ? twoL2 * v : 0);
    store<f32>(g + offset, load<f32>(g + offset) + step);
  }
  return (l1 != 0 ? <f64>l1 * sumAbs : 0) + (l2 != 0 ? <f64>l2 * sumSquares : 0);
}
