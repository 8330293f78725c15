// Losses. Each is the mean over samples of a per-sample loss; the kernels return sums over elements (or
// rows) and take the gradient scale, so lossRows folds in the batch size, the outputs and the factors.
// The Keras losses compute Keras's (and TensorFlow.js's) values, each a mean over the outputs of a sample:
//   meanSquaredError ('mse'): mean_j (p_j - t_j)^2.        meanAbsoluteError ('mae'): mean_j |p_j - t_j|.
//   huber({ delta = 1 }): mean_j of 0.5 d^2 for |d| <= delta, delta (|d| - 0.5 delta) beyond (tf.losses.huberLoss).
//   hinge: mean_j max(0, 1 - t_j p_j), targets -1 or 1.
//   binaryCrossentropy: mean_j -[t log p + (1 - t) log(1 - p)], p clipped to [eps, 1 - eps].
//   categoricalCrossentropy: -sum_j t_j log p_j, t one-hot (or a distribution).
//   sparseCategoricalCrossentropy: the same with t given as a class index.
// The tutorials' cost keeps a name of its own:
//   halfSquaredError: (1/2) sum_j (p_j - t_j)^2, the "C = 1/2 ||y - a||^2" of the backpropagation tutorials
//     (Nielsen, "Neural Networks and Deep Learning", ch. 2): its gradient is p - t per sample.
//   halfMeanSquaredError: (1/2) mean_j (p_j - t_j)^2, what simdnet called meanSquaredError before model
//     format 3; files saved then load with it, so they train as they did.
// After a sigmoid (binary) or softmax (categorical) output, or with fromLogits, the cross-entropies work on
// the logits with the fused kernels, whose gradient is (p - t) scaled: no division by p, stable when saturated.
import { Tensor } from '../tensor.js';
import { ACTIVATION_TABLE } from '../activation-table.js';
import { checkOptions } from './config.js';
import { allocate, heapF32, heapI32, kernels, release } from '../kernel-calls.js';

export const LOSS_NAMES = [
  'meanSquaredError', 'meanAbsoluteError', 'huber', 'hinge', 'binaryCrossentropy', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy',
  'halfSquaredError', 'halfMeanSquaredError',
] as const;
export type LossName = (typeof LOSS_NAMES)[number];

/** Other spellings compile accepts (Keras's short and snake_case names). */
const LOSS_ALIASES: Readonly<Record<string, LossName>> = {
  mse: 'meanSquaredError', MSE: 'meanSquaredError', mean_squared_error: 'meanSquaredError',
  mae: 'meanAbsoluteError', MAE: 'meanAbsoluteError', mean_absolute_error: 'meanAbsoluteError',
  binary_crossentropy: 'binaryCrossentropy', categorical_crossentropy: 'categoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
};

/** The losses that take `fromLogits`. */
const CROSS_ENTROPIES: readonly LossName[] = ['binaryCrossentropy', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy'];

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

/** What lossRows needs to know: the loss, its option, and whether `out` holds logits. */
export interface LossSetting {
  readonly loss: LossName;
  readonly delta: number;
  /** The loss reads logits (a fused output activation, or fromLogits). */
  readonly logits: boolean;
  /**
   * The categorical losses: the classes of one distribution, the output's last axis (default: all of a
   * sample's outputs). A sample of [steps, classes] is `steps` positions, each its own softmax.
   */
  readonly classes?: number;
}

/** Per-sample loss = factor * (kernel sum over the sample's outputs) / (cols when averaged over outputs). */
const PER_OUTPUT_MEAN: readonly LossName[] = ['meanSquaredError', 'meanAbsoluteError', 'huber', 'hinge', 'binaryCrossentropy', 'halfMeanSquaredError'];

/**
 * Sum over `rows` samples of the per-sample loss of `out` (values, probabilities, or logits) against
 * `target` (floats; i32 class indices for the sparse loss). Writes into `grad` (unless 0) the gradient with
 * respect to `out` of the batch mean (reduction 'mean') or of the batch sum ('sum').
 */
export function lossRows(setting: LossSetting, out: number, target: number, rows: number, cols: number, grad: number, reduction: Reduction = 'mean'): number {
  const { loss, logits } = setting;
  const d = PER_OUTPUT_MEAN.includes(loss) ? cols : 1;
  const scale = 1 / ((reduction === 'mean' ? rows : 1) * d);
  const n = rows * cols;
  switch (loss) {
    case 'meanSquaredError':
      // d/dp (p - t)^2 = 2 (p - t): the kernel's gradient is (p - t) times the scale it is given.
      return kernels.squaredError(out, target, n, grad, 2 * scale) / d;
    case 'halfSquaredError':
    case 'halfMeanSquaredError':
      return (0.5 * kernels.squaredError(out, target, n, grad, scale)) / d;
    case 'meanAbsoluteError':
      return kernels.absoluteError(out, target, n, grad, scale) / d;
    case 'huber':
      return kernels.huberLoss(out, target, n, grad, scale, setting.delta) / d;
    case 'hinge':
      return kernels.hingeLoss(out, target, n, grad, scale) / d;
    case 'binaryCrossentropy':
      return (logits ? kernels.binaryCrossEntropyLogits(out, target, n, grad, scale) : kernels.binaryCrossEntropy(out, target, n, grad, scale, PROBABILITY_EPSILON)) / d;
    case 'categoricalCrossentropy':
    case 'sparseCategoricalCrossentropy': {
      // Keras: a sample's loss is the mean over its positions (the leading axes) of each position's
      // cross-entropy over the last axis; each position is a row of the kernels.
      const classes = setting.classes ?? cols;
      const positions = cols / classes;
      const n = rows * positions;
      const s = scale / positions;
      if (loss === 'sparseCategoricalCrossentropy') {
        if (!logits) throw new Error('sparseCategoricalCrossentropy in fit needs a softmax output or fromLogits: true (it works on the logits)');
        return kernels.sparseSoftmaxCrossEntropy(out, target, n, classes, 0, grad, s) / positions;
      }
      return (logits ? kernels.softmaxCrossEntropy(out, target, n, classes, 0, grad, s) : kernels.crossEntropy(out, target, n, classes, grad, s, PROBABILITY_EPSILON)) / positions;
    }
  }
}

/** Options of a loss object: `delta` for huber, `fromLogits` for the cross-entropies. */
export interface LossOptions {
  /** huber: where the loss turns from quadratic to linear (default 1). */
  delta?: number;
  /** Cross-entropies: the model outputs logits (a linear last layer); the loss applies sigmoid/softmax itself. */
  fromLogits?: boolean;
}

/** A loss with its options: what compile takes (or a name), and a function for hand-written loops. */
export interface Loss {
  readonly name: LossName;
  readonly delta: number;
  readonly fromLogits: boolean;
  /** The options that differ from the defaults, as saved with a model. */
  getConfig(): LossOptions;
  /**
   * Mean loss of `pred` against `target` (both [batch, outputs], or [batch, ..., classes]: the categorical
   * losses then average over the positions, Keras's mean over the leading axes); if `grad` (pred's shape) is
   * given, writes the gradient with respect to pred into it. For sparseCategoricalCrossentropy, `target`
   * holds class indices ([batch] or [batch, 1]; [batch, ...positions] for a [batch, ...positions, classes]
   * pred) and `pred` softmax probabilities (or logits with fromLogits).
   */
  compute(pred: Tensor, target: Tensor, grad?: Tensor): number;
}

function shapeText(t: Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

/** A loss object from its name and options; unknown options (or options the loss has not) are errors. */
export function makeLoss(name: LossName, options?: LossOptions): Loss {
  const allowed = name === 'huber' ? ['delta'] : CROSS_ENTROPIES.includes(name) ? ['fromLogits'] : [];
  const o = checkOptions(options, allowed, `losses.${name}`);
  const delta = o.delta ?? 1;
  const fromLogits = o.fromLogits ?? false;
  if (typeof delta !== 'number' || !(delta > 0) || !Number.isFinite(delta)) throw new RangeError(`losses.${name}: delta must be a finite number > 0, got ${String(delta)}`);
  if (typeof fromLogits !== 'boolean') throw new TypeError(`losses.${name}: fromLogits must be true or false, got ${String(fromLogits)}`);
  const setting: LossSetting = { loss: name, delta, logits: fromLogits };
  return {
    name,
    delta,
    fromLogits,
    getConfig: () => ({ ...(delta !== 1 ? { delta } : {}), ...(fromLogits ? { fromLogits } : {}) }),
    compute(pred, target, grad) {
      if (!(pred instanceof Tensor) || !(target instanceof Tensor)) throw new TypeError(`${name}.compute expects Tensors`);
      if (pred.rank < 2) throw new RangeError(`${name}: pred must be [batch, outputs] (or [batch, ..., classes]), got ${shapeText(pred)}`);
      const rows = pred.shape[0];
      const cols = pred.size / rows;
      const classes = pred.shape[pred.rank - 1];
      if (grad !== undefined && (!(grad instanceof Tensor) || shapeText(grad) !== shapeText(pred))) {
        throw new RangeError(`${name}: grad must have pred's shape ${shapeText(pred)}, got ${grad instanceof Tensor ? shapeText(grad) : String(grad)}`);
      }
      const perPosition: LossSetting = { ...setting, classes };
      if (name === 'sparseCategoricalCrossentropy') {
        const positions = cols / classes;
        checkClassIndices(target, rows, positions, classes, pred);
        if (!fromLogits) return sparseOnProbabilities(pred, target, classes, grad);
        const labels = allocate(rows * positions * 4);
        try {
          heapI32().set(target.data, labels >>> 2);
          return lossRows(perPosition, pred.ptr, labels, rows, cols, grad === undefined ? 0 : grad.ptr) / rows;
        } finally {
          release(labels);
        }
      }
      if (target.size !== pred.size || target.shape[0] !== rows) {
        throw new RangeError(`${name}: target shape ${shapeText(target)} does not match pred shape ${shapeText(pred)}`);
      }
      return lossRows(perPosition, pred.ptr, target.ptr, rows, cols, grad === undefined ? 0 : grad.ptr) / rows;
    },
  };
}

function checkClassIndices(target: Tensor, rows: number, positions: number, classes: number, pred: Tensor): void {
  if (target.size !== rows * positions || target.shape[0] !== rows) {
    throw new RangeError(`sparseCategoricalCrossentropy: target shape ${shapeText(target)} does not hold one class index per ${positions === 1 ? 'row' : 'position'} of pred ${shapeText(pred)}`);
  }
  const labels = target.data;
  for (let i = 0; i < labels.length; i++) {
    if (!Number.isInteger(labels[i]) || labels[i] < 0 || labels[i] >= classes) {
      throw new RangeError(`sparseCategoricalCrossentropy: label ${labels[i]} at ${positions === 1 ? `row ${i}` : `row ${Math.floor(i / positions)}, position ${i % positions}`} is not a class index in [0, ${classes})`);
    }
  }
}

/** -mean log p[label] over every position, on probabilities (the layer-protocol path; fit uses the fused logits kernel). */
function sparseOnProbabilities(pred: Tensor, target: Tensor, classes: number, grad: Tensor | undefined): number {
  const n = target.size;
  const labels = target.data;
  if (grad !== undefined) grad.data.fill(0);
  const f = heapF32();
  const p0 = pred.ptr >>> 2;
  const g0 = grad === undefined ? -1 : grad.ptr >>> 2;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const at = i * classes + labels[i];
    const p = Math.max(f[p0 + at], PROBABILITY_EPSILON);
    sum -= Math.log(p);
    if (g0 >= 0) f[g0 + at] = -1 / (p * n);
  }
  return sum / n;
}

/** `sn.losses.<name>(options?)`: a loss object for compile or a hand-written loop. */
export const losses = Object.fromEntries(LOSS_NAMES.map((name) => [name, (options?: LossOptions) => makeLoss(name, options)])) as {
  readonly [K in LossName]: (options?: LossOptions) => Loss;
};

/** A loss from compile's `loss`: a name (or alias), a loss object, or an uncalled `sn.losses.<name>`. */
export function resolveLoss(spec: unknown): Loss {
  if (typeof spec === 'function' && Object.values(losses).includes(spec as never)) return (spec as () => Loss)();
  if (typeof spec === 'object' && spec !== null && typeof (spec as Loss).compute === 'function' && (LOSS_NAMES as readonly unknown[]).includes((spec as Loss).name)) {
    const loss = spec as Loss;
    return makeLoss(loss.name, loss.getConfig());
  }
  const name = typeof spec === 'string' ? (LOSS_ALIASES[spec] ?? spec) : spec;
  if (typeof name !== 'string' || !(LOSS_NAMES as readonly string[]).includes(name)) {
    throw new TypeError(`unknown loss '${String(typeof spec === 'object' && spec !== null ? JSON.stringify(spec) : spec)}'; valid: ${LOSS_NAMES.join(', ')} (or ${Object.keys(LOSS_ALIASES).join(', ')})`);
  }
  return makeLoss(name as LossName);
}
