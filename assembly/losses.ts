// Loss kernels: each returns the SUM of the per-element (or per-row) losses as f64 (the caller divides by
// the batch size) and, when `grad` (or `probs`) is not 0, writes the gradient of that sum times gradScale.
// Per-element terms are computed in f32 lanes and accumulated in f64 lanes (two f64x2 accumulators, then
// the tail), in an order fixed by the length alone.
import { exp4, log1p4, log4, sigmoid4, widenHigh, widenLow } from './math';
import { rowExpSum, rowMax } from './softmax';

// @ts-ignore: decorator
@inline
function total(accLo: v128, accHi: v128, tail: f64): f64 {
  return ((f64x2.extract_lane(accLo, 0) + f64x2.extract_lane(accLo, 1)) +
    (f64x2.extract_lane(accHi, 0) + f64x2.extract_lane(accHi, 1))) + tail;
}

/** clamp(p, eps, 1 - eps), NaN-propagating (f32x4.min/max propagate NaN). */
// @ts-ignore: decorator
@inline
function clip4(p: v128, eps: f32): v128 {
  return f32x4.min(f32x4.max(p, f32x4.splat(eps)), f32x4.splat(<f32>1.0 - eps));
}

/**
 * One row of softmax cross-entropy against a dense label row (one-hot or soft). The loss is computed from
 * the log-softmax, -sum y (z - log S) = log S * sum y - sum y z with z = x - max, so it stays finite
 * for huge logits where log(p) would be log(0). Writes p = e^z / S and (p - y) * gradScale when asked.
 */
// @ts-ignore: decorator
@inline
function softmaxCrossEntropyRow(x: usize, y: usize, cols: i32, probs: usize, grad: usize, gradScale: f32): f64 {
  const m = rowMax(x, cols);
  // The terms e^(x - m) are kept where p will go (probs, else grad), and p = term / s is computed from
  // them: the same bits as evaluating e^(x - m) again, at half the exps.
  const terms = probs != 0 ? probs : grad;
  const s = rowExpSum(x, cols, m, terms);
  const logS = Math.log(<f64>s);
  const m4 = f32x4.splat(m);
  const s4 = f32x4.splat(s);
  const scale4 = f32x4.splat(gradScale);
  let sumY4 = f32x4.splat(0.0);
  let sumYZ4 = f32x4.splat(0.0);
  const vectorEnd = (<usize>cols & ~3) << 2;
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const z = f32x4.sub(v128.load(x + offset), m4);
    const label = v128.load(y + offset);
    sumY4 = f32x4.add(sumY4, label);
    // A label of 0 contributes nothing, even against a logit of -Inf (0 * -Inf would be NaN): a masked-out
    // class has probability 0 and a finite loss, as in the sparse kernel.
    sumYZ4 = f32x4.add(sumYZ4, v128.and(f32x4.mul(label, z), f32x4.ne(label, f32x4.splat(0.0))));
    if (terms != 0) {
      const p = f32x4.div(v128.load(terms + offset), s4);
      if (probs != 0) v128.store(probs + offset, p);
      if (grad != 0) v128.store(grad + offset, f32x4.mul(f32x4.sub(p, label), scale4));
    }
  }
  let sumY = <f64>(f32x4.extract_lane(sumY4, 0) + f32x4.extract_lane(sumY4, 1)) +
    <f64>(f32x4.extract_lane(sumY4, 2) + f32x4.extract_lane(sumY4, 3));
  let sumYZ = <f64>(f32x4.extract_lane(sumYZ4, 0) + f32x4.extract_lane(sumYZ4, 1)) +
    <f64>(f32x4.extract_lane(sumYZ4, 2) + f32x4.extract_lane(sumYZ4, 3));
  const end = <usize>cols << 2;
  for (; offset < end; offset += 4) {
    const z = load<f32>(x + offset) - m;
    const label = load<f32>(y + offset);
    sumY += label;
    if (label != 0) sumYZ += <f64>(label * z);
    if (terms != 0) {
      const p = load<f32>(terms + offset) / s;
      if (probs != 0) store<f32>(probs + offset, p);
      if (grad != 0) store<f32>(grad + offset, (p - label) * gradScale);
    }
  }
  return logS * sumY - sumYZ;
}

/**
 * Sum over rows of -sum_j labels_j log softmax(logits)_j; probs and grad (p - labels) * gradScale optional.
 * p - labels is the exact gradient when each label row sums to 1 (one-hot or a distribution).
 */
export function softmaxCrossEntropy(logits: usize, labels: usize, rows: i32, cols: i32, probs: usize, grad: usize, gradScale: f32): f64 {
  const rowBytes = <usize>cols << 2;
  let loss: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const at = <usize>r * rowBytes;
    loss += softmaxCrossEntropyRow(logits + at, labels + at, cols, probs == 0 ? 0 : probs + at, grad == 0 ? 0 : grad + at, gradScale);
  }
  return loss;
}

/**
 * softmaxCrossEntropy with one class index per row (i32) instead of a label matrix: the row loss is
 * log S - z[label]. A label outside [0, cols) makes that row's loss NaN (the caller validates labels).
 */
export function sparseSoftmaxCrossEntropy(logits: usize, labelIdx: usize, rows: i32, cols: i32, probs: usize, grad: usize, gradScale: f32): f64 {
  const rowBytes = <usize>cols << 2;
  const vectorEnd = (<usize>cols & ~3) << 2;
  const end = <usize>cols << 2;
  const scale4 = f32x4.splat(gradScale);
  let loss: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const at = <usize>r * rowBytes;
    const x = logits + at;
    const label = load<i32>(labelIdx + (<usize>r << 2));
    const m = rowMax(x, cols);
    // As in softmaxCrossEntropyRow: the terms e^(x - m) are kept where p will go and divided by s there.
    const terms = probs != 0 ? probs + at : grad != 0 ? grad + at : 0;
    const s = rowExpSum(x, cols, m, terms);
    const inRange = label >= 0 && label < cols;
    if (!inRange) {
      loss += NaN;
    } else {
      loss += Math.log(<f64>s) - <f64>(load<f32>(x + (<usize>label << 2)) - m);
    }
    if (terms == 0) continue;
    const labelAt = <usize>label << 2;
    // Read before the pass below overwrites it: the label's entry of the gradient is (p - 1) * gradScale.
    const labelP = inRange ? load<f32>(terms + labelAt) / s : 0;
    const s4 = f32x4.splat(s);
    let offset: usize = 0;
    for (; offset < vectorEnd; offset += 16) {
      const p = f32x4.div(v128.load(terms + offset), s4);
      if (probs != 0) v128.store(probs + at + offset, p);
      if (grad != 0) v128.store(grad + at + offset, f32x4.mul(p, scale4));
    }
    for (; offset < end; offset += 4) {
      const p = load<f32>(terms + offset) / s;
      if (probs != 0) store<f32>(probs + at + offset, p);
      if (grad != 0) store<f32>(grad + at + offset, p * gradScale);
    }
    if (grad != 0 && inRange) store<f32>(grad + at + labelAt, (labelP - 1) * gradScale);
  }
  return loss;
}

/**
 * Categorical cross-entropy on probabilities: sum of -labels * log(clip(p, eps, 1 - eps)) (Keras clips the
 * same way). grad = -labels / clip(p) * gradScale: like PyTorch's BCELoss, the derivative is taken at the
 * clipped value instead of being zeroed outside the clip range, so a saturated output still learns.
 */
export function crossEntropy(probs: usize, labels: usize, rows: i32, cols: i32, grad: usize, gradScale: f32, eps: f32): f64 {
  const n = rows * cols;
  const scale4 = f32x4.splat(-gradScale);
  let accLo = f64x2.splat(0);
  let accHi = f64x2.splat(0);
  const vectorEnd = (<usize>n & ~3) << 2;
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const pc = clip4(v128.load(probs + offset), eps);
    const label = v128.load(labels + offset);
    const term = f32x4.mul(label, log4(pc));
    accLo = f64x2.sub(accLo, widenLow(term));
    accHi = f64x2.sub(accHi, widenHigh(term));
    if (grad != 0) v128.store(grad + offset, f32x4.mul(f32x4.div(label, pc), scale4));
  }
  let tail: f64 = 0;
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) {
    const pc = clip4(f32x4.splat(load<f32>(probs + offset)), eps);
    const label = f32x4.splat(load<f32>(labels + offset));
    tail -= <f64>f32x4.extract_lane(f32x4.mul(label, log4(pc)), 0);
    if (grad != 0) store<f32>(grad + offset, f32x4.extract_lane(f32x4.mul(f32x4.div(label, pc), scale4), 0));
  }
  return total(accLo, accHi, tail);
}

/**
 * An elementwise loss of d = pred - target (or of pred and target for hinge): `term4` gives each element's
 * loss, `grad4` its derivative with respect to pred (before gradScale). Terms in f32 lanes, summed in f64
 * (two f64x2 accumulators, then the tail, in an order fixed by n), the tail through the same lane code so
 * an element's term and gradient do not depend on its position.
 */
// @ts-ignore: decorator
@inline
function elementwiseLoss(kind: i32, pred: usize, target: usize, n: i32, grad: usize, gradScale: f32, param: f32): f64 {
  const scale4 = f32x4.splat(gradScale);
  let accLo = f64x2.splat(0);
  let accHi = f64x2.splat(0);
  const vectorEnd = (<usize>n & ~3) << 2;
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const p = v128.load(pred + offset);
    const t = v128.load(target + offset);
    if (kind == SQUARED) {
      // Squared in f64 (exact for an f32 difference), so the sum loses nothing to f32 rounding.
      const d = f32x4.sub(p, t);
      const dLo = widenLow(d);
      const dHi = widenHigh(d);
      accLo = f64x2.add(accLo, f64x2.mul(dLo, dLo));
      accHi = f64x2.add(accHi, f64x2.mul(dHi, dHi));
    } else {
      const term = elementTerm(kind, p, t, param);
      accLo = f64x2.add(accLo, widenLow(term));
      accHi = f64x2.add(accHi, widenHigh(term));
    }
    if (grad != 0) v128.store(grad + offset, f32x4.mul(elementGrad(kind, p, t, param), scale4));
  }
  let tail: f64 = 0;
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) {
    const p = f32x4.splat(load<f32>(pred + offset));
    const t = f32x4.splat(load<f32>(target + offset));
    if (kind == SQUARED) {
      const d = <f64>f32x4.extract_lane(f32x4.sub(p, t), 0);
      tail += d * d;
    } else {
      tail += <f64>f32x4.extract_lane(elementTerm(kind, p, t, param), 0);
    }
    if (grad != 0) store<f32>(grad + offset, f32x4.extract_lane(f32x4.mul(elementGrad(kind, p, t, param), scale4), 0));
  }
  return total(accLo, accHi, tail);
}

const SQUARED = 0;
const ABSOLUTE = 1;
const HUBER = 2;
const HINGE = 3;

/** One element's loss (not SQUARED, which the caller sums in f64). */
// @ts-ignore: decorator
@inline
function elementTerm(kind: i32, p: v128, t: v128, delta: f32): v128 {
  if (kind == ABSOLUTE) return f32x4.abs(f32x4.sub(p, t));
  if (kind == HUBER) {
    // TensorFlow's huber_loss: q = min(|d|, delta); 0.5 q^2 + delta (|d| - q).
    const a = f32x4.abs(f32x4.sub(p, t));
    const q = f32x4.min(a, f32x4.splat(delta));
    return f32x4.add(f32x4.mul(f32x4.splat(0.5), f32x4.mul(q, q)), f32x4.mul(f32x4.splat(delta), f32x4.sub(a, q)));
  }
  // HINGE: max(0, 1 - t p).
  return f32x4.max(f32x4.sub(f32x4.splat(1.0), f32x4.mul(t, p)), f32x4.splat(0.0));
}

/** d loss / d pred of one element. */
// @ts-ignore: decorator
@inline
function elementGrad(kind: i32, p: v128, t: v128, delta: f32): v128 {
  const d = f32x4.sub(p, t);
  if (kind == SQUARED) return d;
  if (kind == ABSOLUTE) {
    // sign(d): +1, -1, 0 at 0; a NaN d gives NaN (d - d is NaN only then).
    const positive = v128.and(f32x4.gt(d, f32x4.splat(0.0)), f32x4.splat(1.0));
    const negative = v128.and(f32x4.lt(d, f32x4.splat(0.0)), f32x4.splat(1.0));
    return f32x4.add(f32x4.sub(positive, negative), f32x4.sub(d, d));
  }
  if (kind == HUBER) return f32x4.min(f32x4.max(d, f32x4.splat(-delta)), f32x4.splat(delta));
  // HINGE: -t where 1 - t p > 0, else 0 (NaN in gives NaN: the product carries it).
  const margin = f32x4.sub(f32x4.splat(1.0), f32x4.mul(t, p));
  return f32x4.add(v128.and(f32x4.neg(t), f32x4.gt(margin, f32x4.splat(0.0))), f32x4.sub(margin, margin));
}

/** Sum of (pred - target)^2; grad = (pred - target) * gradScale (the caller folds in the 2 of the derivative). */
export function squaredError(pred: usize, target: usize, n: i32, grad: usize, gradScale: f32): f64 {
  return elementwiseLoss(SQUARED, pred, target, n, grad, gradScale, 0);
}

/** Sum of |pred - target|; grad = sign(pred - target) * gradScale (0 where they are equal, as tf.abs's gradient). */
export function absoluteError(pred: usize, target: usize, n: i32, grad: usize, gradScale: f32): f64 {
  return elementwiseLoss(ABSOLUTE, pred, target, n, grad, gradScale, 0);
}

/** Sum of Huber terms (quadratic within delta of the target, linear beyond); grad = clamp(d, -delta, delta) * gradScale. */
export function huberLoss(pred: usize, target: usize, n: i32, grad: usize, gradScale: f32, delta: f32): f64 {
  return elementwiseLoss(HUBER, pred, target, n, grad, gradScale, delta);
}

/** Sum of max(0, 1 - target * pred) (targets -1 or 1); grad = -target * gradScale inside the margin, else 0. */
export function hingeLoss(pred: usize, target: usize, n: i32, grad: usize, gradScale: f32): f64 {
  return elementwiseLoss(HINGE, pred, target, n, grad, gradScale, 0);
}

/**
 * Binary cross-entropy on logits, in the overflow-free form of TensorFlow's
 * sigmoid_cross_entropy_with_logits: max(x, 0) - x t + log(1 + e^-|x|). grad = (sigmoid(x) - t) * gradScale.
 */
// @ts-ignore: decorator
@inline
function bceLogitsTerm(x: v128, t: v128): v128 {
  const linear = f32x4.sub(f32x4.max(x, f32x4.splat(0.0)), f32x4.mul(x, t));
  return f32x4.add(linear, log1p4(exp4(f32x4.neg(f32x4.abs(x)))));
}

export function binaryCrossEntropyLogits(logits: usize, target: usize, n: i32, grad: usize, gradScale: f32): f64 {
  const scale4 = f32x4.splat(gradScale);
  let accLo = f64x2.splat(0);
  let accHi = f64x2.splat(0);
  const vectorEnd = (<usize>n & ~3) << 2;
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const x = v128.load(logits + offset);
    const t = v128.load(target + offset);
    const term = bceLogitsTerm(x, t);
    accLo = f64x2.add(accLo, widenLow(term));
    accHi = f64x2.add(accHi, widenHigh(term));
    if (grad != 0) v128.store(grad + offset, f32x4.mul(f32x4.sub(sigmoid4(x), t), scale4));
  }
  let tail: f64 = 0;
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) {
    const x = f32x4.splat(load<f32>(logits + offset));
    const t = f32x4.splat(load<f32>(target + offset));
    tail += <f64>f32x4.extract_lane(bceLogitsTerm(x, t), 0);
    if (grad != 0) store<f32>(grad + offset, f32x4.extract_lane(f32x4.mul(f32x4.sub(sigmoid4(x), t), scale4), 0));
  }
  return total(accLo, accHi, tail);
}

/**
 * Binary cross-entropy on probabilities: -(t log pc + (1 - t) log(1 - pc)) with pc = clip(p, eps, 1 - eps).
 * grad = (pc - t) / (pc (1 - pc)) * gradScale, the derivative at the clipped value (as PyTorch's BCELoss).
 */
// @ts-ignore: decorator
@inline
function bceTerm(pc: v128, t: v128): v128 {
  const one = f32x4.splat(1.0);
  const pos = f32x4.mul(t, log4(pc));
  const neg = f32x4.mul(f32x4.sub(one, t), log4(f32x4.sub(one, pc)));
  return f32x4.neg(f32x4.add(pos, neg));
}
// @ts-ignore: decorator
@inline
function bceGrad(pc: v128, t: v128, scale4: v128): v128 {
  const denominator = f32x4.mul(pc, f32x4.sub(f32x4.splat(1.0), pc));
  return f32x4.mul(f32x4.div(f32x4.sub(pc, t), denominator), scale4);
}

export function binaryCrossEntropy(probs: usize, target: usize, n: i32, grad: usize, gradScale: f32, eps: f32): f64 {
  const scale4 = f32x4.splat(gradScale);
  let accLo = f64x2.splat(0);
  let accHi = f64x2.splat(0);
  const vectorEnd = (<usize>n & ~3) << 2;
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const pc = clip4(v128.load(probs + offset), eps);
    const t = v128.load(target + offset);
    const term = bceTerm(pc, t);
    accLo = f64x2.add(accLo, widenLow(term));
    accHi = f64x2.add(accHi, widenHigh(term));
    if (grad != 0) v128.store(grad + offset, bceGrad(pc, t, scale4));
  }
  let tail: f64 = 0;
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) {
    const pc = clip4(f32x4.splat(load<f32>(probs + offset)), eps);
    const t = f32x4.splat(load<f32>(target + offset));
    tail += <f64>f32x4.extract_lane(bceTerm(pc, t), 0);
    if (grad != 0) store<f32>(grad + offset, f32x4.extract_lane(bceGrad(pc, t, scale4), 0));
  }
  return total(accLo, accHi, tail);
}
