// What compile() fixes: the loss, whether it fuses with the output activation, and how accuracy counts.
import type { Layer } from './layer.js';
import { fusableActivation, type LossName, type Reduction } from './losses.js';
import { kernels } from '../kernel-calls.js';

export type AccuracyKind = 'binary' | 'categorical' | 'sparse';

export interface Objective {
  readonly loss: LossName;
  /** The loss reads the last layer's logits (sigmoid/softmax left out of the forward pass). */
  readonly fused: boolean;
  readonly sparse: boolean;
  readonly accuracy: AccuracyKind | null;
  readonly reduction: Reduction;
}

export const METRIC_NAMES = ['accuracy'] as const;

export function makeObjective(loss: LossName, last: Layer, metrics: readonly string[], reduction: Reduction): Objective {
  if (reduction !== 'mean' && reduction !== 'sum') throw new TypeError(`unknown reduction '${String(reduction)}'; valid: mean, sum`);
  const act = last.outputActivation?.name ?? 'linear';
  const sparse = loss === 'sparseCategoricalCrossentropy';
  if (sparse && act !== 'softmax') {
    throw new RangeError(`sparseCategoricalCrossentropy needs a softmax output layer, but the last layer '${last.name}' ends in ${act}`);
  }
  for (const m of metrics) {
    if (!(METRIC_NAMES as readonly string[]).includes(m)) throw new TypeError(`unknown metric '${String(m)}'; valid: ${METRIC_NAMES.join(', ')}`);
  }
  const fused = fusableActivation(loss) === act;
  let accuracy: AccuracyKind | null = null;
  if (metrics.includes('accuracy')) {
    // Keras: threshold 0.5 for binary cross-entropy and for a single output, argmax otherwise.
    if (sparse) accuracy = 'sparse';
    else if (loss === 'binaryCrossentropy' || last.outputSize === 1) accuracy = 'binary';
    else accuracy = 'categorical';
  }
  return { loss, fused, sparse, accuracy, reduction };
}

/** Accuracy denominator per row: binary accuracy counts every output, the others count rows. */
export function accuracyPerRow(objective: Objective, cols: number): number {
  return objective.accuracy === 'binary' ? cols : 1;
}

/**
 * Correct predictions among `rows` rows of outputs `out` (logits when fused: argmax is the same, and
 * sigmoid(z) > 0.5 exactly when z > 0).
 */
export function accuracyCount(objective: Objective, out: number, targets: number, rows: number, cols: number): number {
  switch (objective.accuracy) {
    case 'categorical':
      return kernels.countCorrect(out, targets, rows, cols);
    case 'sparse':
      return kernels.countCorrectSparse(out, targets, rows, cols);
    case 'binary':
      // A fused sigmoid leaves logits in `out`: logit > 0 is probability > 0.5.
      return kernels.countCorrectBinary(out, targets, rows * cols, objective.fused ? 0 : 0.5);
    default:
      return 0;
  }
}
