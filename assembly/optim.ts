// Optimizer updates: one fused pass over a parameter tensor w with its gradient g (and state buffers).
// Each element's update is the same f32 expression in lanes and tail, so results do not depend on position.
//
// The same pass serves fit's onNonFinite 'stop': each kernel can first copy the old values of w and of its
// state to `saved*` buffers (0 = no copy), and returns 1 when any new w is NaN or infinite, else 0. That
// replaces a copy pass and a check pass over every parameter per step (1.05x at 1 thread, 1.17x at 2 on
// the W1 benchmark, measured as the cost of 'stop' over 'continue' with separate passes).
//
// Every kernel clips its gradient as it reads it (Keras's clipnorm and clipvalue): g' = clamp(g * gScale,
// -clip, clip), where gScale = clipNorm / ||g|| for a tensor whose norm is above clipNorm (from
// sumSquaresRows, else 1) and clip = clipValue (else +Inf). Multiplying by 1 and clamping to +-Inf change no
// bits, and f32x4.min/max propagate NaN, so an unclipped or non-finite gradient passes through unchanged.

/** x - x is +0 for finite x and NaN for NaN and +-Inf: OR-ing those bits collects "some lane was not finite". */
// @ts-ignore: decorator
@inline
function collectNonFinite(bits: v128, x: v128): v128 {
  return v128.or(bits, f32x4.sub(x, x));
}

/**
 * pmax/pmin (one instruction each on x86, where f32x4.max/min need a NaN fix-up sequence that made the SGD
 * update 2.8x slower) with the gradient first: a NaN gradient fails both comparisons and passes through.
 */
// @ts-ignore: decorator
@inline
function clipped4(g: v128, scale: v128, clip: v128, negClip: v128): v128 {
  return f32x4.pmin(f32x4.pmax(f32x4.mul(g, scale), negClip), clip);
}

// @ts-ignore: decorator
@inline
function clipped(g: f32, scale: f32, clip: f32): f32 {
  return min<f32>(max<f32>(g * scale, -clip), clip);
}

// @ts-ignore: decorator
@inline
function isNonFinite(x: f32): bool {
  return x - x != 0;
}

/**
 * Per row of x (rows x cols), the sum of squares, accumulated in f64 (no overflow, and ||g|| within one
 * rounding of float64), into out[row] (f64). Each row is summed in the same order wherever it sits, so a
 * split by rows gives the bits of one call. The caller adds the rows in order: clipNorm's norm.
 */
export function sumSquaresRows(x: usize, out: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  const vectorBytes = (<usize>cols & ~3) << 2;
  for (let r = 0; r < rows; r++) {
    const row = x + <usize>r * rowBytes;
    let low = f64x2.splat(0);
    let high = f64x2.splat(0);
    let offset: usize = 0;
    for (; offset < vectorBytes; offset += 16) {
      const v = v128.load(row + offset);
      const a = f64x2.promote_low_f32x4(v);
      const b = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
      low = f64x2.add(low, f64x2.mul(a, a));
      high = f64x2.add(high, f64x2.mul(b, b));
    }
    let sum = (f64x2.extract_lane(low, 0) + f64x2.extract_lane(low, 1)) + (f64x2.extract_lane(high, 0) + f64x2.extract_lane(high, 1));
    for (; offset < rowBytes; offset += 4) {
      const value = <f64>load<f32>(row + offset);
      sum += value * value;
    }
    store<f64>(out + (<usize>r << 3), sum);
  }
}

/** w -= lr * g'; returns 1 if some new w is not finite. `saved`: where to copy the old w first (0 = nowhere). */
export function sgd(w: usize, g: usize, n: i32, lr: f32, gScale: f32, clip: f32, saved: usize): i32 {
  const lr4 = f32x4.splat(lr);
  const scale4 = f32x4.splat(gScale);
  const clip4 = f32x4.splat(clip);
  const negClip4 = f32x4.splat(-clip);
  const vectorEnd = (<usize>n & ~3) << 2;
  let bits = i32x4.splat(0);
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const old = v128.load(w + offset);
    if (saved != 0) v128.store(saved + offset, old);
    const next = f32x4.sub(old, f32x4.mul(lr4, clipped4(v128.load(g + offset), scale4, clip4, negClip4)));
    v128.store(w + offset, next);
    bits = collectNonFinite(bits, next);
  }
  let nonFinite = v128.any_true(bits);
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) {
    const old = load<f32>(w + offset);
    if (saved != 0) store<f32>(saved + offset, old);
    const next = old - lr * clipped(load<f32>(g + offset), gScale, clip);
    store<f32>(w + offset, next);
    nonFinite |= isNonFinite(next);
  }
  return <i32>nonFinite;
}

/**
 * SGD with momentum, in the velocity form of Keras/TensorFlow.js (keras.optimizers.SGD):
 *   v = momentum * v - lr * g
 *   classic:  w = w + v
 *   Nesterov: w = w + momentum * v - lr * g   (with the updated v; Sutskever et al. 2013, as Keras rewrites it)
 * Returns 1 if some new w is not finite; savedW / savedV receive the old w / v first (0 = no copy).
 */
export function sgdMomentum(
  w: usize, g: usize, v: usize, n: i32, lr: f32, momentum: f32, nesterov: i32, gScale: f32, clip: f32, savedW: usize, savedV: usize,
): i32 {
  const lr4 = f32x4.splat(lr);
  const mu4 = f32x4.splat(momentum);
  const scale4 = f32x4.splat(gScale);
  const clip4 = f32x4.splat(clip);
  const negClip4 = f32x4.splat(-clip);
  const vectorEnd = (<usize>n & ~3) << 2;
  let bits = i32x4.splat(0);
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const oldW = v128.load(w + offset);
    const oldV = v128.load(v + offset);
    if (savedW != 0) {
      v128.store(savedW + offset, oldW);
      v128.store(savedV + offset, oldV);
    }
    const step = f32x4.mul(lr4, clipped4(v128.load(g + offset), scale4, clip4, negClip4));
    const velocity = f32x4.sub(f32x4.mul(mu4, oldV), step);
    v128.store(v + offset, velocity);
    const delta = nesterov != 0 ? f32x4.sub(f32x4.mul(mu4, velocity), step) : velocity;
    const next = f32x4.add(oldW, delta);
    v128.store(w + offset, next);
    bits = collectNonFinite(bits, next);
  }
  let nonFinite = v128.any_true(bits);
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) {
    const oldW = load<f32>(w + offset);
    const oldV = load<f32>(v + offset);
    if (savedW != 0) {
      store<f32>(savedW + offset, oldW);
      store<f32>(savedV + offset, oldV);
    }
    const step = lr * clipped(load<f32>(g + offset), gScale, clip);
    const velocity = momentum * oldV - step;
    store<f32>(v + offset, velocity);
    const delta = nesterov != 0 ? momentum * velocity - step : velocity;
    const next = oldW + delta;
    store<f32>(w + offset, next);
    nonFinite |= isNonFinite(next);
  }
  return <i32>nonFinite;
}

/**
 * Adam (Kingma & Ba 2015, Algorithm 1), with the bias corrections passed in by the caller, and AdamW's
 * decoupled weight decay (Loshchilov & Hutter 2019) as the factor `keep` = 1 - lr * weightDecay (1 for Adam):
 *   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
 *   w = w * keep - lr * (m / correction1) / (sqrt(v / correction2) + eps),  correction_i = 1 - beta_i^t
 * Returns 1 if some new w is not finite; savedW / savedM / savedV receive the old w / m / v first (0 = no copy).
 */
export function adam(
  w: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, beta1: f32, beta2: f32, eps: f32, correction1: f32, correction2: f32,
  keep: f32, gScale: f32, clip: f32, savedW: usize, savedM: usize, savedV: usize,
): i32 {
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const oneMinusB1 = f32x4.splat(<f32>1.0 - beta1);
  const oneMinusB2 = f32x4.splat(<f32>1.0 - beta2);
  const c1 = f32x4.splat(correction1);
  const c2 = f32x4.splat(correction2);
  const lr4 = f32x4.splat(lr);
  const eps4 = f32x4.splat(eps);
  const keep4 = f32x4.splat(keep);
  const scale4 = f32x4.splat(gScale);
  const clip4 = f32x4.splat(clip);
  const negClip4 = f32x4.splat(-clip);
  const vectorEnd = (<usize>n & ~3) << 2;
  let bits = i32x4.splat(0);
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const oldW = v128.load(w + offset);
    const oldM = v128.load(m + offset);
    const oldV = v128.load(v + offset);
    if (savedW != 0) {
      v128.store(savedW + offset, oldW);
      v128.store(savedM + offset, oldM);
      v128.store(savedV + offset, oldV);
    }
    const grad = clipped4(v128.load(g + offset), scale4, clip4, negClip4);
    const first = f32x4.add(f32x4.mul(b1, oldM), f32x4.mul(oneMinusB1, grad));
    const second = f32x4.add(f32x4.mul(b2, oldV), f32x4.mul(oneMinusB2, f32x4.mul(grad, grad)));
    v128.store(m + offset, first);
    v128.store(v + offset, second);
    const denominator = f32x4.add(f32x4.sqrt(f32x4.div(second, c2)), eps4);
    const step = f32x4.div(f32x4.mul(lr4, f32x4.div(first, c1)), denominator);
    const next = f32x4.sub(f32x4.mul(oldW, keep4), step);
    v128.store(w + offset, next);
    bits = collectNonFinite(bits, next);
  }
  let nonFinite = v128.any_true(bits);
  const oneMinusBeta1 = <f32>1.0 - beta1;
  const oneMinusBeta2 = <f32>1.0 - beta2;
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) {
    const oldW = load<f32>(w + offset);
    const oldM = load<f32>(m + offset);
    const oldV = load<f32>(v + offset);
    if (savedW != 0) {
      store<f32>(savedW + offset, oldW);
      store<f32>(savedM + offset, oldM);
      store<f32>(savedV + offset, oldV);
    }
    const grad = clipped(load<f32>(g + offset), gScale, clip);
    const first = beta1 * oldM + oneMinusBeta1 * grad;
    const second = beta2 * oldV + oneMinusBeta2 * (grad * grad);
    store<f32>(m + offset, first);
    store<f32>(v + offset, second);
    const step = (lr * (first / correction1)) / (sqrt<f32>(second / correction2) + eps);
    const next = oldW * keep - step;
    store<f32>(w + offset, next);
    nonFinite |= isNonFinite(next);
  }
  return <i32>nonFinite;
}

/**
 * RMSprop (Hinton, Lecture 6e of "Neural Networks for Machine Learning", 2012), as Keras and TensorFlow.js
 * write it (epsilon inside the root; centered: Graves 2013, eq. 38-45):
 *   s = rho s + (1 - rho) g^2;  centered: a = rho a + (1 - rho) g, d = s - a^2;  else d = s
 *   increment = lr g / sqrt(d + eps);  with momentum: u = momentum u + increment, w -= u;  else w -= increment
 * `mom` (u) and `meanGrad` (a) are 0 when unused. Returns 1 if some new w is not finite; saved* receive the
 * old w / s / u / a first (0 = no copy).
 */
export function rmsprop(
  w: usize, g: usize, meanSquare: usize, mom: usize, meanGrad: usize, n: i32, lr: f32, rho: f32, momentum: f32, eps: f32,
  gScale: f32, clip: f32, savedW: usize, savedMeanSquare: usize, savedMom: usize, savedMeanGrad: usize,
): i32 {
  const rho4 = f32x4.splat(rho);
  const oneMinusRho4 = f32x4.splat(<f32>1.0 - rho);
  const lr4 = f32x4.splat(lr);
  const mu4 = f32x4.splat(momentum);
  const eps4 = f32x4.splat(eps);
  const scale4 = f32x4.splat(gScale);
  const clip4 = f32x4.splat(clip);
  const negClip4 = f32x4.splat(-clip);
  const vectorEnd = (<usize>n & ~3) << 2;
  let bits = i32x4.splat(0);
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const oldW = v128.load(w + offset);
    const oldS = v128.load(meanSquare + offset);
    if (savedW != 0) {
      v128.store(savedW + offset, oldW);
      v128.store(savedMeanSquare + offset, oldS);
    }
    const grad = clipped4(v128.load(g + offset), scale4, clip4, negClip4);
    const s = f32x4.add(f32x4.mul(rho4, oldS), f32x4.mul(oneMinusRho4, f32x4.mul(grad, grad)));
    v128.store(meanSquare + offset, s);
    let d = s;
    if (meanGrad != 0) {
      const oldA = v128.load(meanGrad + offset);
      if (savedW != 0) v128.store(savedMeanGrad + offset, oldA);
      const a = f32x4.add(f32x4.mul(rho4, oldA), f32x4.mul(oneMinusRho4, grad));
      v128.store(meanGrad + offset, a);
      d = f32x4.sub(s, f32x4.mul(a, a));
    }
    let delta = f32x4.div(f32x4.mul(lr4, grad), f32x4.sqrt(f32x4.add(d, eps4)));
    if (mom != 0) {
      const oldU = v128.load(mom + offset);
      if (savedW != 0) v128.store(savedMom + offset, oldU);
      delta = f32x4.add(f32x4.mul(mu4, oldU), delta);
      v128.store(mom + offset, delta);
    }
    const next = f32x4.sub(oldW, delta);
    v128.store(w + offset, next);
    bits = collectNonFinite(bits, next);
  }
  let nonFinite = v128.any_true(bits);
  const oneMinusRho = <f32>1.0 - rho;
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) {
    const oldW = load<f32>(w + offset);
    const oldS = load<f32>(meanSquare + offset);
    if (savedW != 0) {
      store<f32>(savedW + offset, oldW);
      store<f32>(savedMeanSquare + offset, oldS);
    }
    const grad = clipped(load<f32>(g + offset), gScale, clip);
    const s = rho * oldS + oneMinusRho * (grad * grad);
    store<f32>(meanSquare + offset, s);
    let d = s;
    if (meanGrad != 0) {
      const oldA = load<f32>(meanGrad + offset);
      if (savedW != 0) store<f32>(savedMeanGrad + offset, oldA);
      const a = rho * oldA + oneMinusRho * grad;
      store<f32>(meanGrad + offset, a);
      d = s - a * a;
    }
    let delta = (lr * grad) / sqrt<f32>(d + eps);
    if (mom != 0) {
      const oldU = load<f32>(mom + offset);
      if (savedW != 0) store<f32>(savedMom + offset, oldU);
      delta = momentum * oldU + delta;
      store<f32>(mom + offset, delta);
    }
    const next = oldW - delta;
    store<f32>(w + offset, next);
    nonFinite |= isNonFinite(next);
  }
  return <i32>nonFinite;
}

/**
 * Adagrad (Duchi, Hazan & Singer 2011), as Keras and TensorFlow.js write it:
 *   acc = acc + g^2;  w -= lr g / sqrt(acc + eps)
 * Returns 1 if some new w is not finite; savedW / savedAcc receive the old w / acc first (0 = no copy).
 */
export function adagrad(w: usize, g: usize, acc: usize, n: i32, lr: f32, eps: f32, gScale: f32, clip: f32, savedW: usize, savedAcc: usize): i32 {
  const lr4 = f32x4.splat(lr);
  const eps4 = f32x4.splat(eps);
  const scale4 = f32x4.splat(gScale);
  const clip4 = f32x4.splat(clip);
  const negClip4 = f32x4.splat(-clip);
  const vectorEnd = (<usize>n & ~3) << 2;
  let bits = i32x4.splat(0);
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const oldW = v128.load(w + offset);
    const oldAcc = v128.load(acc + offset);
    if (savedW != 0) {
      v128.store(savedW + offset, oldW);
      v128.store(savedAcc + offset, oldAcc);
    }
    const grad = clipped4(v128.load(g + offset), scale4, clip4, negClip4);
    const sum = f32x4.add(oldAcc, f32x4.mul(grad, grad));
    v128.store(acc + offset, sum);
    const next = f32x4.sub(oldW, f32x4.div(f32x4.mul(lr4, grad), f32x4.sqrt(f32x4.add(sum, eps4))));
    v128.store(w + offset, next);
    bits = collectNonFinite(bits, next);
  }
  let nonFinite = v128.any_true(bits);
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) {
    const oldW = load<f32>(w + offset);
    const oldAcc = load<f32>(acc + offset);
    if (savedW != 0) {
      store<f32>(savedW + offset, oldW);
      store<f32>(savedAcc + offset, oldAcc);
    }
    const grad = clipped(load<f32>(g + offset), gScale, clip);
    const sum = oldAcc + grad * grad;
    store<f32>(acc + offset, sum);
    const next = oldW - (lr * grad) / sqrt<f32>(sum + eps);
    store<f32>(w + offset, next);
    nonFinite |= isNonFinite(next);
  }
  return <i32>nonFinite;
}
