// Float64 references of the loss kernels (assembly/losses.ts): sums over elements/rows, gradients of that
// sum times gradScale. Conventions: MSE has the tutorials' 1/2; losses on probabilities clip to [eps, 1-eps]
// and take the derivative at the clipped value.
import { logSoftmaxRow, softmaxRow } from './softmax.js';

export interface LossResult { loss: number; grad: number[]; probs?: number[] }

function rowsOf(x: ArrayLike<number>, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, r) => Array.from(x).slice(r * cols, (r + 1) * cols));
}

export function softmaxCrossEntropy(logits: ArrayLike<number>, labels: ArrayLike<number>, rows: number, cols: number, gradScale: number): LossResult {
  let loss = 0;
  const grad: number[] = [];
  const probs: number[] = [];
  const y = rowsOf(labels, rows, cols);
  rowsOf(logits, rows, cols).forEach((row, r) => {
    const logP = logSoftmaxRow(row);
    const p = softmaxRow(row);
    for (let j = 0; j < cols; j++) {
      // A zero label adds nothing, even where log p is -Inf (a logit of -Inf): 0 * -Inf is not a loss term.
      if (y[r][j] !== 0) loss -= y[r][j] * logP[j];
      probs.push(p[j]);
      grad.push((p[j] - y[r][j]) * gradScale);
    }
  });
  return { loss, grad, probs };
}

export function sparseSoftmaxCrossEntropy(logits: ArrayLike<number>, labelIdx: ArrayLike<number>, rows: number, cols: number, gradScale: number): LossResult {
  const oneHot = new Array<number>(rows * cols).fill(0);
  for (let r = 0; r < rows; r++) oneHot[r * cols + labelIdx[r]] = 1;
  return softmaxCrossEntropy(logits, oneHot, rows, cols, gradScale);
}

/** The kernels clip in f32, so the upper bound is 1 - eps rounded to f32 (1 - 1.19e-7 for eps = 1e-7). */
const clip = (p: number, eps: number): number => (Number.isNaN(p) ? NaN : Math.min(Math.max(p, eps), Math.fround(1 - eps)));

export function crossEntropy(probs: ArrayLike<number>, labels: ArrayLike<number>, gradScale: number, eps: number): LossResult {
  let loss = 0;
  const grad: number[] = [];
  for (let i = 0; i < probs.length; i++) {
    const pc = clip(probs[i], eps);
    loss -= labels[i] * Math.log(pc);
    grad.push((-labels[i] / pc) * gradScale);
  }
  return { loss, grad };
}

/** Sum of (pred - target)^2; grad (pred - target) * gradScale (the loss code folds in the 2). */
export function squaredError(pred: ArrayLike<number>, target: ArrayLike<number>, gradScale: number): LossResult {
  let loss = 0;
  const grad: number[] = [];
  for (let i = 0; i < pred.length; i++) {
    const d = pred[i] - target[i];
    loss += d * d;
    grad.push(d * gradScale);
  }
  return { loss, grad };
}

/** Sum of |pred - target|; grad sign(pred - target) * gradScale (0 where equal). */
export function absoluteError(pred: ArrayLike<number>, target: ArrayLike<number>, gradScale: number): LossResult {
  let loss = 0;
  const grad: number[] = [];
  for (let i = 0; i < pred.length; i++) {
    const d = pred[i] - target[i];
    loss += Math.abs(d);
    grad.push(Math.sign(d) * gradScale);
  }
  return { loss, grad };
}

/** Sum of Huber terms: 0.5 d^2 for |d| <= delta, delta (|d| - 0.5 delta) beyond; grad clamp(d, -delta, delta) * gradScale. */
export function huberLoss(pred: ArrayLike<number>, target: ArrayLike<number>, gradScale: number, delta: number): LossResult {
  let loss = 0;
  const grad: number[] = [];
  for (let i = 0; i < pred.length; i++) {
    const d = pred[i] - target[i];
    const a = Math.abs(d);
    loss += a <= delta ? 0.5 * d * d : delta * (a - 0.5 * delta);
    grad.push(Math.min(Math.max(d, -delta), delta) * gradScale);
  }
  return { loss, grad };
}

/** Sum of max(0, 1 - t p); grad -t * gradScale where 1 - t p > 0. */
export function hingeLoss(pred: ArrayLike<number>, target: ArrayLike<number>, gradScale: number): LossResult {
  let loss = 0;
  const grad: number[] = [];
  for (let i = 0; i < pred.length; i++) {
    const margin = 1 - target[i] * pred[i];
    loss += Math.max(0, margin);
    grad.push(margin > 0 ? -target[i] * gradScale : 0);
  }
  return { loss, grad };
}

export function binaryCrossEntropyLogits(logits: ArrayLike<number>, target: ArrayLike<number>, gradScale: number): LossResult {
  let loss = 0;
  const grad: number[] = [];
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i];
    const t = target[i];
    loss += Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
    const sig = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    grad.push((sig - t) * gradScale);
  }
  return { loss, grad };
}

export function binaryCrossEntropy(probs: ArrayLike<number>, target: ArrayLike<number>, gradScale: number, eps: number): LossResult {
  let loss = 0;
  const grad: number[] = [];
  for (let i = 0; i < probs.length; i++) {
    const pc = clip(probs[i], eps);
    const t = target[i];
    loss -= t * Math.log(pc) + (1 - t) * Math.log(1 - pc);
    grad.push(((pc - t) / (pc * (1 - pc))) * gradScale);
  }
  return { loss, grad };
}
