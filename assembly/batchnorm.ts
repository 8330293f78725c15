// Batch normalization over a channels-last row-major rows x cols batch: statistics per column (Ioffe &
// Szegedy 2015, "Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate
// Shift"). Each kernel walks four columns at a time down all rows (scalar tail for the last cols % 4), so a
// column's result depends only on its own values and rows. The sums run in f64 (f32 lanes promoted to
// f64x2 pairs): a batch of 30,000 rows then loses nothing visible in f32, where an f32 sum could lose
// rows * 2^-24 of its magnitude.

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

/**
 * mean[c] = sum_r x[r][c] / rows; variance[c] = sum_r (x[r][c] - mean[c])^2 / rows (biased, as tf.moments).
 * Two passes, both summed in f64; the second subtracts the unrounded f64 mean, so each result is the f32
 * rounding of a value within about rows * 2^-53 (relative) of the exact one.
 */
export function batchNormStats(x: usize, rows: i32, cols: i32, mean: usize, variance: usize): void {
  const rowBytes = <usize>cols << 2;
  const vectorEnd = (<usize>cols & ~3) << 2;
  const inverseRows = 1.0 / <f64>rows;
  const inverseRows2 = f64x2.splat(inverseRows);
  let offset: usize = 0;
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
      const dLow = f64x2.sub(f64x2.promote_low_f32x4(v), meanLow);
      const dHigh = f64x2.sub(promoteHigh(v), meanHigh);
      squaresLow = f64x2.add(squaresLow, f64x2.mul(dLow, dLow));
      squaresHigh = f64x2.add(squaresHigh, f64x2.mul(dHigh, dHigh));
    }
    v128.store(mean + offset, demotePair(meanLow, meanHigh));
    v128.store(variance + offset, demotePair(f64x2.mul(squaresLow, inverseRows2), f64x2.mul(squaresHigh, inverseRows2)));
  }
  const end = rowBytes;
  for (; offset < end; offset += 4) {
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
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    let scale4 = invStd4(variance, offset, epsilon4);
    if (gamma != 0) scale4 = f32x4.mul(v128.load(gamma + offset), scale4);
    const mean4 = v128.load(mean + offset);
    const beta4 = beta != 0 ? v128.load(beta + offset) : f32x4.splat(0.0);
    for (let r = 0; r < rows; r++) {
      const at = <usize>r * rowBytes + offset;
      v128.store(y + at, f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + at), mean4), scale4), beta4));
    }
  }
  for (; offset < rowBytes; offset += 4) {
    let scale = invStd(variance, offset, epsilon);
    if (gamma != 0) scale = load<f32>(gamma + offset) * scale;
    const columnMean = load<f32>(mean + offset);
    const shift: f32 = beta != 0 ? load<f32>(beta + offset) : 0;
    for (let r = 0; r < rows; r++) {
      const at = <usize>r * rowBytes + offset;
      store<f32>(y + at, (load<f32>(x + at) - columnMean) * scale + shift);
    }
  }
}

/**
 * The gradient through the batch statistics (Ioffe & Szegedy 2015, section 3), with
 * xhat = (x - mean) * invstd and invstd = 1 / sqrt(variance + epsilon):
 *   dbeta[c] = sum_r dy, dgamma[c] = sum_r dy * xhat (written, not accumulated; summed in f64);
 *   dx = gamma * invstd / rows * (rows * dy - dbeta - xhat * dgamma) when dx != 0 (gamma 0 = ones).
 * dx may alias dy: a column's dy is read in full before its dx is written.
 */
export function batchNormBackward(x: usize, dy: usize, dx: usize, rows: i32, cols: i32, mean: usize, variance: usize, gamma: usize, epsilon: f32, dgamma: usize, dbeta: usize): void {
  const rowBytes = <usize>cols << 2;
  const vectorEnd = (<usize>cols & ~3) << 2;
  const epsilon4 = f32x4.splat(epsilon);
  const rowsF = <f32>rows;
  const rows4 = f32x4.splat(rowsF);
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const invStd = invStd4(variance, offset, epsilon4);
    const mean4 = v128.load(mean + offset);
    let dyLow = f64x2.splat(0.0);
    let dyHigh = f64x2.splat(0.0);
    let dyXhatLow = f64x2.splat(0.0);
    let dyXhatHigh = f64x2.splat(0.0);
    for (let r = 0; r < rows; r++) {
      const at = <usize>r * rowBytes + offset;
      const g = v128.load(dy + at);
      const xhat = f32x4.mul(f32x4.sub(v128.load(x + at), mean4), invStd);
      const gLow = f64x2.promote_low_f32x4(g);
      const gHigh = promoteHigh(g);
      dyLow = f64x2.add(dyLow, gLow);
      dyHigh = f64x2.add(dyHigh, gHigh);
      dyXhatLow = f64x2.add(dyXhatLow, f64x2.mul(gLow, f64x2.promote_low_f32x4(xhat)));
      dyXhatHigh = f64x2.add(dyXhatHigh, f64x2.mul(gHigh, promoteHigh(xhat)));
    }
    const sumDy = demotePair(dyLow, dyHigh);
    const sumDyXhat = demotePair(dyXhatLow, dyXhatHigh);
    v128.store(dbeta + offset, sumDy);
    v128.store(dgamma + offset, sumDyXhat);
    if (dx == 0) continue;
    let k = f32x4.div(invStd, rows4);
    if (gamma != 0) k = f32x4.mul(v128.load(gamma + offset), k);
    for (let r = 0; r < rows; r++) {
      const at = <usize>r * rowBytes + offset;
      const xhat = f32x4.mul(f32x4.sub(v128.load(x + at), mean4), invStd);
      const inner = f32x4.sub(f32x4.sub(f32x4.mul(rows4, v128.load(dy + at)), sumDy), f32x4.mul(xhat, sumDyXhat));
      v128.store(dx + at, f32x4.mul(k, inner));
    }
  }
  for (; offset < rowBytes; offset += 4) {
    const columnInvStd = invStd(variance, offset, epsilon);
    const columnMean = load<f32>(mean + offset);
    let sumDy64 = 0.0;
    let sumDyXhat64 = 0.0;
    for (let r = 0; r < rows; r++) {
      const at = <usize>r * rowBytes + offset;
      const g = <f64>load<f32>(dy + at);
      sumDy64 += g;
      sumDyXhat64 += g * <f64>((load<f32>(x + at) - columnMean) * columnInvStd);
    }
    const sumDy = <f32>sumDy64;
    const sumDyXhat = <f32>sumDyXhat64;
    store<f32>(dbeta + offset, sumDy);
    store<f32>(dgamma + offset, sumDyXhat);
    if (dx == 0) continue;
    let k = columnInvStd / rowsF;
    if (gamma != 0) k = load<f32>(gamma + offset) * k;
    for (let r = 0; r < rows; r++) {
      const at = <usize>r * rowBytes + offset;
      const xhat = (load<f32>(x + at) - columnMean) * columnInvStd;
      store<f32>(dx + at, k * ((rowsF * load<f32>(dy + at) - sumDy) - xhat * sumDyXhat));
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
