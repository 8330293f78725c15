// Batch normalization over a channels-last row-major rows x cols batch: statistics per column (Ioffe &
// Szegedy 2015, "Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate
// Shift"). The sums run in f64 (f32 lanes promoted to f64x2 pairs): a batch of 30,000 rows then loses
// nothing visible in f32, where an f32 sum could lose rows * 2^-24 of its magnitude. Each column is summed
// in row order and each element computed by the same f32 formula whatever the lane, strip or row block, so a
// column's results depend only on its own values.
//
// Memory order: sweeping one 4-column vector down all rows reads 16 bytes per row at a stride of the row
// length, and at 256 or 512 columns (a stride of 1 or 2 KiB) the lines of successive rows fall into few
// cache sets and are evicted before the next vector uses them: a 128 x 512 forward took ~300 us that way
// (bench/layer-kernels.mjs). So the reductions sweep strips of 16 columns (one 64-byte line per row), and
// the elementwise passes go row-major in blocks of ROW_BLOCK rows, deriving each column's factors once a block.

/** Columns of a reduction strip: four f32x4 vectors, one cache line of a row. */
const STRIP_BYTES: usize = 64;
/**
 * Rows per block of the elementwise passes: a column's 1/sqrt costs 1/ROW_BLOCK of a vector per row, and the
 * block's lines of x, dy and dx (rows 1-2 KiB apart, so in few cache sets) stay in L1 (32 rows: 127 us for
 * a 64x512 forward, 8 rows: 10 us, 4 rows: 9 us).
 */
const ROW_BLOCK = 4;

/** The f32 lanes 2-3 of v as an f64x2 pair (f64x2.promote_low_f32x4 gives lanes 0-1). */
// @ts-ignore: decorator
@inline
function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3));
}

/** Two f64x2 pairs back to one f32x4 (each lane rounded once). */
// @ts-ignore: decorator
@inline
function demotePair(low: v128, high: v128): v128 {
  return i64x2.shuffle(f32x4.demote_f64x2_zero(low), f32x4.demote_f64x2_zero(high), 0, 2);
}

/** 1 / sqrt(variance + epsilon) of four columns, in f32 (correctly rounded square root and division). */
// @ts-ignore: decorator
@inline
function invStd4(variance: usize, offset: usize, epsilon4: v128): v128 {
  return f32x4.div(f32x4.splat(1.0), f32x4.sqrt(f32x4.add(v128.load(variance + offset), epsilon4)));
}

// @ts-ignore: decorator
@inline
function invStd(variance: usize, offset: usize, epsilon: f32): f32 {
  return <f32>1.0 / sqrt<f32>(load<f32>(variance + offset) + epsilon);
}

/** acc + (v - m)^2 on f64x2 pairs. */
// @ts-ignore: decorator
@inline
function addSquaredDeviation(acc: v128, v: v128, m: v128): v128 {
  const d = f64x2.sub(v, m);
  return f64x2.add(acc, f64x2.mul(d, d));
}

/** batchNormStats of the 16 columns from byte offset `offset`: eight f64x2 sums per pass. */
// @ts-ignore: decorator
@inline
function statsStrip(x: usize, rows: i32, rowBytes: usize, offset: usize, mean: usize, variance: usize, inverseRows2: v128): void {
  const zero = f64x2.splat(0.0);
  let s0 = zero, s1 = zero, s2 = zero, s3 = zero, s4 = zero, s5 = zero, s6 = zero, s7 = zero;
  for (let r = 0; r < rows; r++) {
    const at = x + <usize>r * rowBytes + offset;
    const a = v128.load(at), b = v128.load(at, 16), c = v128.load(at, 32), d = v128.load(at, 48);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(a)); s1 = f64x2.add(s1, promoteHigh(a));
    s2 = f64x2.add(s2, f64x2.promote_low_f32x4(b)); s3 = f64x2.add(s3, promoteHigh(b));
    s4 = f64x2.add(s4, f64x2.promote_low_f32x4(c)); s5 = f64x2.add(s5, promoteHigh(c));
    s6 = f64x2.add(s6, f64x2.promote_low_f32x4(d)); s7 = f64x2.add(s7, promoteHigh(d));
  }
  const m0 = f64x2.mul(s0, inverseRows2), m1 = f64x2.mul(s1, inverseRows2), m2 = f64x2.mul(s2, inverseRows2), m3 = f64x2.mul(s3, inverseRows2);
  const m4 = f64x2.mul(s4, inverseRows2), m5 = f64x2.mul(s5, inverseRows2), m6 = f64x2.mul(s6, inverseRows2), m7 = f64x2.mul(s7, inverseRows2);
  let q0 = zero, q1 = zero, q2 = zero, q3 = zero, q4 = zero, q5 = zero, q6 = zero, q7 = zero;
  for (let r = 0; r < rows; r++) {
    const at = x + <usize>r * rowBytes + offset;
    const a = v128.load(at), b = v128.load(at, 16), c = v128.load(at, 32), d = v128.load(at, 48);
    q0 = addSquaredDeviation(q0, f64x2.promote_low_f32x4(a), m0); q1 = addSquaredDeviation(q1, promoteHigh(a), m1);
    q2 = addSquaredDeviation(q2, f64x2.promote_low_f32x4(b), m2); q3 = addSquaredDeviation(q3, promoteHigh(b), m3);
    q4 = addSquaredDeviation(q4, f64x2.promote_low_f32x4(c), m4); q5 = addSquaredDeviation(q5, promoteHigh(c), m5);
    q6 = addSquaredDeviation(q6, f64x2.promote_low_f32x4(d), m6); q7 = addSquaredDeviation(q7, promoteHigh(d), m7);
  }
  v128.store(mean + offset, demotePair(m0, m1));
  v128.store(mean + offset, demotePair(m2, m3), 16);
  v128.store(mean + offset, demotePair(m4, m5), 32);
  v128.store(mean + offset, demotePair(m6, m7), 48);
  v128.store(variance + offset, demotePair(f64x2.mul(q0, inverseRows2), f64x2.mul(q1, inverseRows2)));
  v128.store(variance + offset, demotePair(f64x2.mul(q2, inverseRows2), f64x2.mul(q3, inverseRows2)), 16);
  v128.store(variance + offset, demotePair(f64x2.mul(q4, inverseRows2), f64x2.mul(q5, inverseRows2)), 32);
  v128.store(variance + offset, demotePair(f64x2.mul(q6, inverseRows2), f64x2.mul(q7, inverseRows2)), 48);
}

/**
 * mean[c] = sum_r x[r][c] / rows; variance[c] = sum_r (x[r][c] - mean[c])^2 / rows (biased, as tf.moments).
 * Two passes, both summed in f64; the second subtracts the unrounded f64 mean, so each result is the f32
 * rounding of a value within about rows * 2^-53 (relative) of the exact one.
 */
export function batchNormStats(x: usize, rows: i32, cols: i32, mean: usize, variance: usize): void {
  const rowBytes = <usize>cols << 2;
  const stripEnd = (<usize>cols & ~15) << 2;
  const vectorEnd = (<usize>cols & ~3) << 2;
  const inverseRows = 1.0 / <f64>rows;
  const inverseRows2 = f64x2.splat(inverseRows);
  let offset: usize = 0;
  for (; offset < stripEnd; offset += STRIP_BYTES) statsStrip(x, rows, rowBytes, offset, mean, variance, inverseRows2);
  for (; offset < vectorEnd; offset += 16) {
    let sumLow = f64x2.splat(0.0);
    let sumHigh = f64x2.splat(0.0);
    for (let r = 0; r < rows; r++) {
      const v = v128.load(x + <usize>r * rowBytes + offset);
      sumLow = f64x2.add(sumLow, f64x2.promote_low_f32x4(v));
      sumHigh = f64x2.add(sumHigh, promoteHigh(v));
    }
    const meanLow = f64x2.mul(sumLow, inverseRows2);
    const meanHigh = f64x2.mul(sumHigh, inverseRows2);
    let squaresLow = f64x2.splat(0.0);
    let squaresHigh = f64x2.splat(0.0);
    for (let r = 0; r < rows; r++) {
      const v = v128.load(x + <usize>r * rowBytes + offset);
      squaresLow = addSquaredDeviation(squaresLow, f64x2.promote_low_f32x4(v), meanLow);
      squaresHigh = addSquaredDeviation(squaresHigh, promoteHigh(v), meanHigh);
    }
    v128.store(mean + offset, demotePair(meanLow, meanHigh));
    v128.store(variance + offset, demotePair(f64x2.mul(squaresLow, inverseRows2), f64x2.mul(squaresHigh, inverseRows2)));
  }
  for (; offset < rowBytes; offset += 4) {
    let sum = 0.0;
    for (let r = 0; r < rows; r++) sum += <f64>load<f32>(x + <usize>r * rowBytes + offset);
    const columnMean = sum * inverseRows;
    let squares = 0.0;
    for (let r = 0; r < rows; r++) {
      const d = <f64>load<f32>(x + <usize>r * rowBytes + offset) - columnMean;
      squares += d * d;
    }
    store<f32>(mean + offset, <f32>columnMean);
    store<f32>(variance + offset, <f32>(squares * inverseRows));
  }
}

/**
 * y = (x - mean) * (gamma / sqrt(variance + epsilon)) + beta per column, in f32; gamma 0 = ones, beta 0 =
 * zeros. Subtracting the mean before scaling keeps a large mean from swamping a small deviation. y may alias x.
 */
export function batchNormForward(x: usize, y: usize, rows: i32, cols: i32, mean: usize, variance: usize, gamma: usize, beta: usize, epsilon: f32): void {
  const rowBytes = <usize>cols << 2;
  const vectorEnd = (<usize>cols & ~3) << 2;
  const epsilon4 = f32x4.splat(epsilon);
  for (let first = 0; first < rows; first += ROW_BLOCK) {
    const last = min(rows, first + ROW_BLOCK);
    let offset: usize = 0;
    for (; offset < vectorEnd; offset += 16) {
      let scale4 = invStd4(variance, offset, epsilon4);
      if (gamma != 0) scale4 = f32x4.mul(v128.load(gamma + offset), scale4);
      const mean4 = v128.load(mean + offset);
      const beta4 = beta != 0 ? v128.load(beta + offset) : f32x4.splat(0.0);
      for (let r = first; r < last; r++) {
        const at = <usize>r * rowBytes + offset;
        v128.store(y + at, f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + at), mean4), scale4), beta4));
      }
    }
    for (; offset < rowBytes; offset += 4) {
      let scale = invStd(variance, offset, epsilon);
      if (gamma != 0) scale = load<f32>(gamma + offset) * scale;
      const columnMean = load<f32>(mean + offset);
      const shift: f32 = beta != 0 ? load<f32>(beta + offset) : 0;
      for (let r = first; r < last; r++) {
        const at = <usize>r * rowBytes + offset;
        store<f32>(y + at, (load<f32>(x + at) - columnMean) * scale + shift);
      }
    }
  }
}

/** (x - mean) * invStd of four columns, in f32: the kernels' xhat. */
// @ts-ignore: decorator
@inline
function xhat4(x: usize, at: usize, mean4: v128, invStd: v128): v128 {
  return f32x4.mul(f32x4.sub(v128.load(x + at), mean4), invStd);
}

/** acc + promoted lanes 0-1 (high: lanes 2-3) of g * h, the products taken in f64. */
// @ts-ignore: decorator
@inline
function addProductLow(acc: v128, g: v128, h: v128): v128 {
  return f64x2.add(acc, f64x2.mul(f64x2.promote_low_f32x4(g), f64x2.promote_low_f32x4(h)));
}
// @ts-ignore: decorator
@inline
function addProductHigh(acc: v128, g: v128, h: v128): v128 {
  return f64x2.add(acc, f64x2.mul(promoteHigh(g), promoteHigh(h)));
}

/** dgamma of four columns: the f64 sums of dy * (x - mean) (lanes 0-1, 2-3) times invstd, rounded once. */
// @ts-ignore: decorator
@inline
function scaleByInvStd(low: v128, high: v128, invStd: v128): v128 {
  return demotePair(f64x2.mul(low, f64x2.promote_low_f32x4(invStd)), f64x2.mul(high, promoteHigh(invStd)));
}

/**
 * dbeta and dgamma of the 16 columns from byte offset `offset`, in two sweeps of eight f64x2 sums each. A
 * sweep must keep its live vectors within x64's 16 registers (V8 spills the rest, which cost 4x here): so
 * dbeta and dgamma are separate sweeps, and dgamma sums dy * (x - mean) and scales by invstd at the end.
 */
// @ts-ignore: decorator
@inline
function gradientSumsStrip(x: usize, dy: usize, rows: i32, rowBytes: usize, offset: usize, mean: usize, variance: usize, epsilon4: v128, dgamma: usize, dbeta: usize): void {
  const zero = f64x2.splat(0.0);
  let s0 = zero, s1 = zero, s2 = zero, s3 = zero, s4 = zero, s5 = zero, s6 = zero, s7 = zero;
  for (let r = 0; r < rows; r++) {
    const at = dy + <usize>r * rowBytes + offset;
    const a = v128.load(at), b = v128.load(at, 16), c = v128.load(at, 32), d = v128.load(at, 48);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(a)); s1 = f64x2.add(s1, promoteHigh(a));
    s2 = f64x2.add(s2, f64x2.promote_low_f32x4(b)); s3 = f64x2.add(s3, promoteHigh(b));
    s4 = f64x2.add(s4, f64x2.promote_low_f32x4(c)); s5 = f64x2.add(s5, promoteHigh(c));
    s6 = f64x2.add(s6, f64x2.promote_low_f32x4(d)); s7 = f64x2.add(s7, promoteHigh(d));
  }
  v128.store(dbeta + offset, demotePair(s0, s1));
  v128.store(dbeta + offset, demotePair(s2, s3), 16);
  v128.store(dbeta + offset, demotePair(s4, s5), 32);
  v128.store(dbeta + offset, demotePair(s6, s7), 48);
  const m0 = v128.load(mean + offset), m1 = v128.load(mean + offset, 16), m2 = v128.load(mean + offset, 32), m3 = v128.load(mean + offset, 48);
  s0 = zero; s1 = zero; s2 = zero; s3 = zero; s4 = zero; s5 = zero; s6 = zero; s7 = zero;
  for (let r = 0; r < rows; r++) {
    const at = <usize>r * rowBytes + offset;
    const a = v128.load(dy + at), b = v128.load(dy + at, 16), c = v128.load(dy + at, 32), d = v128.load(dy + at, 48);
    const ha = f32x4.sub(v128.load(x + at), m0), hb = f32x4.sub(v128.load(x + at, 16), m1);
    const hc = f32x4.sub(v128.load(x + at, 32), m2), hd = f32x4.sub(v128.load(x + at, 48), m3);
    s0 = addProductLow(s0, a, ha); s1 = addProductHigh(s1, a, ha);
    s2 = addProductLow(s2, b, hb); s3 = addProductHigh(s3, b, hb);
    s4 = addProductLow(s4, c, hc); s5 = addProductHigh(s5, c, hc);
    s6 = addProductLow(s6, d, hd); s7 = addProductHigh(s7, d, hd);
  }
  v128.store(dgamma + offset, scaleByInvStd(s0, s1, invStd4(variance, offset, epsilon4)));
  v128.store(dgamma + offset, scaleByInvStd(s2, s3, invStd4(variance, offset + 16, epsilon4)), 16);
  v128.store(dgamma + offset, scaleByInvStd(s4, s5, invStd4(variance, offset + 32, epsilon4)), 32);
  v128.store(dgamma + offset, scaleByInvStd(s6, s7, invStd4(variance, offset + 48, epsilon4)), 48);
}

/**
 * The gradient through the batch statistics (Ioffe & Szegedy 2015, section 3), with
 * xhat = (x - mean) * invstd and invstd = 1 / sqrt(variance + epsilon):
 *   dbeta[c] = sum_r dy, dgamma[c] = sum_r dy * xhat (written, not accumulated; summed in f64, dgamma as
 *   invstd * sum_r dy * (x - mean) with the f32 difference);
 *   dx = gamma * invstd / rows * (rows * dy - dbeta - xhat * dgamma) when dx != 0 (gamma 0 = ones).
 * The sums are finished for every column before any dx is written, so dx may alias dy.
 */
export function batchNormBackward(x: usize, dy: usize, dx: usize, rows: i32, cols: i32, mean: usize, variance: usize, gamma: usize, epsilon: f32, dgamma: usize, dbeta: usize): void {
  const rowBytes = <usize>cols << 2;
  const stripEnd = (<usize>cols & ~15) << 2;
  const vectorEnd = (<usize>cols & ~3) << 2;
  const epsilon4 = f32x4.splat(epsilon);
  let offset: usize = 0;
  for (; offset < stripEnd; offset += STRIP_BYTES) gradientSumsStrip(x, dy, rows, rowBytes, offset, mean, variance, epsilon4, dgamma, dbeta);
  for (; offset < vectorEnd; offset += 16) {
    const mean4 = v128.load(mean + offset);
    let dyLow = f64x2.splat(0.0);
    let dyHigh = f64x2.splat(0.0);
    let dyDeviationLow = f64x2.splat(0.0);
    let dyDeviationHigh = f64x2.splat(0.0);
    for (let r = 0; r < rows; r++) {
      const at = <usize>r * rowBytes + offset;
      const g = v128.load(dy + at);
      const deviation = f32x4.sub(v128.load(x + at), mean4);
      dyLow = f64x2.add(dyLow, f64x2.promote_low_f32x4(g));
      dyHigh = f64x2.add(dyHigh, promoteHigh(g));
      dyDeviationLow = addProductLow(dyDeviationLow, g, deviation);
      dyDeviationHigh = addProductHigh(dyDeviationHigh, g, deviation);
    }
    v128.store(dbeta + offset, demotePair(dyLow, dyHigh));
    v128.store(dgamma + offset, scaleByInvStd(dyDeviationLow, dyDeviationHigh, invStd4(variance, offset, epsilon4)));
  }
  for (; offset < rowBytes; offset += 4) {
    const columnMean = load<f32>(mean + offset);
    let sumDy = 0.0;
    let sumDyDeviation = 0.0;
    for (let r = 0; r < rows; r++) {
      const at = <usize>r * rowBytes + offset;
      const g = <f64>load<f32>(dy + at);
      sumDy += g;
      sumDyDeviation += g * <f64>(load<f32>(x + at) - columnMean);
    }
    store<f32>(dbeta + offset, <f32>sumDy);
    store<f32>(dgamma + offset, <f32>(sumDyDeviation * <f64>invStd(variance, offset, epsilon)));
  }
  if (dx == 0) return;
  const rowsF = <f32>rows;
  const rows4 = f32x4.splat(rowsF);
  for (let first = 0; first < rows; first += ROW_BLOCK) {
    const last = min(rows, first + ROW_BLOCK);
    offset = 0;
    for (; offset < vectorEnd; offset += 16) {
      const invStd = invStd4(variance, offset, epsilon4);
      let k = f32x4.div(invStd, rows4);
      if (gamma != 0) k = f32x4.mul(v128.load(gamma + offset), k);
      const mean4 = v128.load(mean + offset);
      const sumDy = v128.load(dbeta + offset);
      const sumDyXhat = v128.load(dgamma + offset);
      for (let r = first; r < last; r++) {
        const at = <usize>r * rowBytes + offset;
        const inner = f32x4.sub(f32x4.sub(f32x4.mul(rows4, v128.load(dy + at)), sumDy), f32x4.mul(xhat4(x, at, mean4, invStd), sumDyXhat));
        v128.store(dx + at, f32x4.mul(k, inner));
      }
    }
    for (; offset < rowBytes; offset += 4) {
      const columnInvStd = invStd(variance, offset, epsilon);
      let k = columnInvStd / rowsF;
      if (gamma != 0) k = load<f32>(gamma + offset) * k;
      const columnMean = load<f32>(mean + offset);
      const sumDy = load<f32>(dbeta + offset);
      const sumDyXhat = load<f32>(dgamma + offset);
      for (let r = first; r < last; r++) {
        const at = <usize>r * rowBytes + offset;
        const xhat = (load<f32>(x + at) - columnMean) * columnInvStd;
        store<f32>(dx + at, k * ((rowsF * load<f32>(dy + at) - sumDy) - xhat * sumDyXhat));
      }
    }
  }
}

/**
 * moving -= (moving - batch) * (1 - momentum) for the mean and the variance (tfjs-layers' doMovingAverage;
 * the batch variance is used as is, with no Bessel correction). 1 - momentum is taken in f64 and rounded once.
 */
export function batchNormMovingUpdate(movingMean: usize, movingVariance: usize, mean: usize, variance: usize, cols: i32, momentum: f32): void {
  const decay = <f32>(1.0 - <f64>momentum);
  const decay4 = f32x4.splat(decay);
  const vectorEnd = (<usize>cols & ~3) << 2;
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const m = v128.load(movingMean + offset);
    v128.store(movingMean + offset, f32x4.sub(m, f32x4.mul(f32x4.sub(m, v128.load(mean + offset)), decay4)));
    const v = v128.load(movingVariance + offset);
    v128.store(movingVariance + offset, f32x4.sub(v, f32x4.mul(f32x4.sub(v, v128.load(variance + offset)), decay4)));
  }
  const end = <usize>cols << 2;
  for (; offset < end; offset += 4) {
    const m = load<f32>(movingMean + offset);
    store<f32>(movingMean + offset, m - (m - load<f32>(mean + offset)) * decay);
    const v = load<f32>(movingVariance + offset);
    store<f32>(movingVariance + offset, v - (v - load<f32>(variance + offset)) * decay);
  }
}
