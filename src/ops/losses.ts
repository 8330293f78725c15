// Loss kernels at pointer level, for the training code's planned buffers (assembly/losses.ts). Each returns
// the SUM over rows/elements; pass gradScale = 1 / batch for the gradient of the mean. A grad or probs
// pointer of 0 skips writing it.
import { kernels } from '../backend/wasm.js';
import { checkIndices } from './gather.js';

/** Keras' default clipping epsilon for losses on probabilities. */
export const DEFAULT_EPSILON = 1e-7;

/** Sum over rows of -sum labels * log softmax(logits); probs = softmax, grad = (probs - labels) * gradScale. */
export function softmaxCrossEntropy(logits: number, labels: number, rows: number, cols: number, probs: number, grad: number, gradScale: number): number {
  return kernels.softmaxCrossEntropy(logits, labels, rows, cols, probs, grad, gradScale);
}

/**
 * As softmaxCrossEntropy with one i32 class index per row at `labelIdx`. The kernel gives NaN for an index
 * outside [0, cols): check the labels once with `checkClassIndices` before training.
 */
export function sparseSoftmaxCrossEntropy(logits: number, labelIdx: number, rows: number, cols: number, probs: number, grad: number, gradScale: number): number {
  return kernels.sparseSoftmaxCrossEntropy(logits, labelIdx, rows, cols, probs, grad, gradScale);
}

/** Throws a RangeError naming the first row whose class index is not a whole number in [0, classes). */
export function checkClassIndices(labels: ArrayLike<number>, classes: number): void {
  checkIndices('labels', labels, classes);
}

/** Sum of -labels * log(clip(probs, eps, 1 - eps)); grad = -labels / clip(probs) * gradScale. */
export function crossEntropy(probs: number, labels: number, rows: number, cols: number, grad: number, gradScale: number, eps = DEFAULT_EPSILON): number {
  return kernels.crossEntropy(probs, labels, rows, cols, grad, gradScale, eps);
}

/** Sum of 1/2 (pred - target)^2 (tutorial convention: half Keras' MSE); grad = (pred - target) * gradScale. */
export function meanSquaredError(pred: number, target: number, n: number, grad: number, gradScale: number): number {
  return kernels.meanSquaredError(pred, target, n, grad, gradScale);
}

/** Sum of max(x, 0) - x t + log(1 + e^-|x|) (binary cross-entropy on logits); grad = (sigmoid(x) - t) * gradScale. */
export function binaryCrossEntropyLogits(logits: number, target: number, n: number, grad: number, gradScale: number): number {
  return kernels.binaryCrossEntropyLogits(logits, target, n, grad, gradScale);
}

/** Sum of -(t log pc + (1 - t) log(1 - pc)), pc = clip(p, eps, 1 - eps); grad = (pc - t) / (pc (1 - pc)) * gradScale. */
export function binaryCrossEntropy(probs: number, target: number, n: number, grad: number, gradScale: number, eps = DEFAULT_EPSILON): number {
  return kernels.binaryCrossEntropy(probs, target, n, grad, gradScale, eps);
}
