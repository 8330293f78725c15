// Losses. Each is the mean over samples of a per-sample loss; the kernels return sums and take the
// gradient scale, so the plan passes 1 / (rows * divisor) and divides the sum by `divisor`.
//   meanSquaredError: per sample (1/2) mean_j (p_j - t_j)^2. The 1/2 (absent from Keras's MSE, so this
//     is half of Keras's figure) makes the gradient exactly (p - t) / (batch * outputs), the convention of
//     the backpropagation tutorials (e.g. Nielsen, "Neural Networks and Deep Learning", ch. 2).
//   binaryCrossentropy: per sample mean_j -[t log p + (1 - t) log(1 - p)] (Keras), p clipped to [eps, 1 - eps].
//   categoricalCrossentropy: per sample -sum_j t_j log p_j, t one-hot (or a distribution).
//   sparseCategoricalCrossentropy: the same with t given as a class index.
// After a sigmoid (binary) or softmax (categorical) output, fit works on the logits with the fused
// kernels, whose gradient is (p - t) scaled: no division by p, stable for saturated outputs.
import { Tensor } from '../tensor.js';
import { ACTIVATION_TABLE } from '../activation-table.js';
import { heapF32, kernels } from '../kernel-calls.js';

export const LOSS_NAMES = ['meanSquaredError', 'binaryCrossentropy', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy'] as const;
export type LossName = (typeof LOSS_NAMES)[number];

/**
 * How a batch's per-sample losses combine into the quantity whose gradient is taken: 'mean' (Keras's
 * default) or 'sum' (the summed cost of the from-scratch tutorials, e.g. A. Trask's "A Neural Network in
 * 11 lines of Python", whose learning rates assume it). Reported losses are per-sample means either way.
 */
export type Reduction = 'mean' | 'sum';

/** Clipping of probabilities inside logarithms (Keras's epsilon). */
const PROBABILITY_EPSILON = 1e-7;

/** Which output activation a loss fuses with (the loss then reads logits): the activation table says. */
export function fusableActivation(loss: LossName): string | null {
  return ACTIVATION_TABLE.find((a) => (a.fusesWith as readonly string[]).includes(loss))?.name ?? null;
}

/** Per-sample losses are sums over outputs divided by this. */
function divisor(loss: LossName, cols: number): number {
  return loss === 'meanSquaredError' || loss === 'binaryCrossentropy' ? cols : 1;
}

/**
 * Sum over `rows` samples of the per-sample loss of `out` (probabilities/values, or logits when `fused`)
 * against `target` (floats; i32 class indices for the sparse loss). Writes into `grad` (unless 0) the
 * gradient with respect to `out` of the batch mean (reduction 'mean') or of the batch sum ('sum').
 */
export function lossRows(loss: LossName, fused: boolean, out: number, target: number, rows: number, cols: number, grad: number, reduction: Reduction = 'mean'): number {
  const d = divisor(loss, cols);
  const scale = 1 / ((reduction === 'mean' ? rows : 1) * d);
  const n = rows * cols;
  let sum: number;
  switch (loss) {
    case 'meanSquaredError':
      sum = kernels.meanSquaredError(out, target, n, grad, scale);
      break;
    case 'binaryCrossentropy':
      sum = fused ? kernels.binaryCrossEntropyLogits(out, target, n, grad, scale) : kernels.binaryCrossEntropy(out, target, n, grad, scale, PROBABILITY_EPSILON);
      break;
    case 'categoricalCrossentropy':
      sum = fused ? kernels.softmaxCrossEntropy(out, target, rows, cols, 0, grad, scale) : kernels.crossEntropy(out, target, rows, cols, grad, scale, PROBABILITY_EPSILON);
      break;
    case 'sparseCategoricalCrossentropy':
      if (!fused) throw new Error('sparseCategoricalCrossentropy needs a softmax output (it works on the logits)');
      sum = kernels.sparseSoftmaxCrossEntropy(out, target, rows, cols, 0, grad, scale);
      break;
  }
  return sum / d;
}

/** A loss for the hand-written loop of the layer protocol. */
export interface Loss {
  readonly name: LossName;
  /**
   * Mean loss of `pred` against `target` (both [batch, outputs]); if `grad` ([batch, outputs]) is given,
   * writes the gradient with respect to pred into it. For sparseCategoricalCrossentropy, `target` holds
   * class indices ([batch] or [batch, 1]) and `pred` must be softmax probabilities.
   */
  compute(pred: Tensor, target: Tensor, grad?: Tensor): number;
}

function shapeText(t: Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

function makeLoss(name: LossName): Loss {
  return {
    name,
    compute(pred, target, grad) {
      if (!(pred instanceof Tensor) || !(target instanceof Tensor)) throw new TypeError(`${name}.compute expects Tensors`);
      if (pred.rank !== 2) throw new RangeError(`${name}: pred must be [batch, outputs], got ${shapeText(pred)}`);
      const [rows, cols] = pred.shape;
      if (grad !== undefined && (!(grad instanceof Tensor) || grad.rank !== 2 || grad.shape[0] !== rows || grad.shape[1] !== cols)) {
        throw new RangeError(`${name}: grad must have pred's shape ${shapeText(pred)}, got ${grad instanceof Tensor ? shapeText(grad) : String(grad)}`);
      }
      if (name === 'sparseCategoricalCrossentropy') return sparseOnProbabilities(pred, target, grad);
      if (target.size !== pred.size || target.shape[0] !== rows) {
        throw new RangeError(`${name}: target shape ${shapeText(target)} does not match pred shape ${shapeText(pred)}`);
      }
      return lossRows(name, false, pred.ptr, target.ptr, rows, cols, grad === undefined ? 0 : grad.ptr) / rows;
    },
  };
}

/** -mean log p[label] on probabilities (the layer-protocol path; fit uses the fused logits kernel). */
function sparseOnProbabilities(pred: Tensor, target: Tensor, grad: Tensor | undefined): number {
  const [rows, cols] = pred.shape;
  if (target.size !== rows) {
    throw new RangeError(`sparseCategoricalCrossentropy: target shape ${shapeText(target)} does not hold one class index per row of pred ${shapeText(pred)}`);
  }
  const labels = target.data;
  for (let r = 0; r < rows; r++) {
    if (!Number.isInteger(labels[r]) || labels[r] < 0 || labels[r] >= cols) {
      throw new RangeError(`sparseCategoricalCrossentropy: label ${labels[r]} at row ${r} is not a class index in [0, ${cols})`);
    }
  }
  if (grad !== undefined) grad.data.fill(0);
  const f = heapF32();
  const p0 = pred.ptr >>> 2;
  const g0 = grad === undefined ? -1 : grad.ptr >>> 2;
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    const at = r * cols + labels[r];
    const p = Math.max(f[p0 + at], PROBABILITY_EPSILON);
    sum -= Math.log(p);
    if (g0 >= 0) f[g0 + at] = -1 / (p * rows);
  }
  return sum / rows;
}

export const losses: Record<LossName, Loss> = {
  meanSquaredError: makeLoss('meanSquaredError'),
  binaryCrossentropy: makeLoss('binaryCrossentropy'),
  categoricalCrossentropy: makeLoss('categoricalCrossentropy'),
  sparseCategoricalCrossentropy: makeLoss('sparseCategoricalCrossentropy'),
};

export function resolveLoss(spec: unknown): LossName {
  const name = typeof spec === 'object' && spec !== null && 'name' in spec ? (spec as Loss).name : spec;
  if (typeof name !== 'string' || !(LOSS_NAMES as readonly string[]).includes(name)) {
    throw new TypeError(`unknown loss '${String(name)}'; valid: ${LOSS_NAMES.join(', ')}`);
  }
  return name as LossName;
}
