// What compile() fixes: the loss and its options, whether it fuses with the output activation (or reads
// logits the model outputs), the reduction and the metrics.
import type { Layer } from './layer.js';
import { fusableActivation, type Loss, type LossSetting, type Reduction } from './losses.js';
import { checkMetricTargets, resolveMetric, type LossFamily, type Metric, type MetricKind } from './metrics.js';

export interface Objective extends LossSetting {
  /** The loss object (name and options) compile was given. */
  readonly lossObject: Loss;
  /** The loss reads the last layer's logits: its sigmoid/softmax is left out of the training forward pass. */
  readonly fused: boolean;
  /** Targets are class indices (sparseCategoricalCrossentropy). */
  readonly sparse: boolean;
  readonly metrics: readonly Metric[];
  readonly reduction: Reduction;
  /** The last layer's activation name ('linear' when it has none). */
  readonly outputActivation: string;
  /** The output's last axis (read when the model is built): the classes of each softmax position. */
  readonly classes: number;
}

/**
 * Softmax positions per sample for the categorical losses and metrics: [steps, classes] outputs are `steps`
 * distributions (Keras's mean over the leading axes); 1 for rank-1 outputs and for the other losses' targets.
 */
export function positionsOf(objective: Objective, outCols: number): number {
  return objective.loss === 'categoricalCrossentropy' || objective.sparse ? outCols / objective.classes : 1;
}

/** Target values per sample: a class index per position for the sparse loss, else one per output. */
export function targetColsOf(objective: Objective, outCols: number): number {
  return objective.sparse ? outCols / objective.classes : outCols;
}

export function makeObjective(lossObject: Loss, last: Layer, metricSpecs: readonly unknown[], reduction: Reduction): Objective {
  if (reduction !== 'mean' && reduction !== 'sum') throw new TypeError(`unknown reduction '${String(reduction)}'; valid: mean, sum`);
  const loss = lossObject.name;
  const act = last.outputActivation?.name ?? 'linear';
  const sparse = loss === 'sparseCategoricalCrossentropy';
  if (lossObject.fromLogits && (act === 'sigmoid' || act === 'softmax')) {
    throw new RangeError(`${loss} with fromLogits: true reads logits, but the last layer '${last.name}' ends in ${act}: make its activation linear (or drop fromLogits)`);
  }
  if (sparse && !lossObject.fromLogits && act !== 'softmax') {
    throw new RangeError(`sparseCategoricalCrossentropy needs a softmax output layer, but the last layer '${last.name}' ends in ${act} (or give it a linear output and fromLogits: true)`);
  }
  const fused = !lossObject.fromLogits && fusableActivation(loss) === act;
  // Keras and tfjs: 'accuracy' ('crossentropy') is binary for binary cross-entropy and for one output per
  // position, sparse for the sparse loss, categorical otherwise. (Only asked when listed: the last layer may not be built yet.)
  const fromLoss = (family: LossFamily): MetricKind => {
    const shape = last.outputShape;
    const kind = sparse ? 'sparse' : loss === 'binaryCrossentropy' || shape[shape.length - 1] === 1 ? 'binary' : 'categorical';
    if (family === 'accuracy') return kind === 'sparse' ? 'sparseCategoricalAccuracy' : kind === 'binary' ? 'binaryAccuracy' : 'categoricalAccuracy';
    return kind === 'sparse' ? 'sparseCategoricalCrossentropy' : kind === 'binary' ? 'binaryCrossentropy' : 'categoricalCrossentropy';
  };
  const metrics = metricSpecs.map((m) => resolveMetric(m, fromLoss));
  checkMetricTargets(metrics, sparse, loss);
  const names = new Set<string>();
  for (const m of metrics) {
    if (names.has(m.name)) throw new TypeError(`compile: metric '${m.name}' is listed twice`);
    names.add(m.name);
  }
  return {
    loss, delta: lossObject.delta, logits: fused || lossObject.fromLogits, lossObject, fused, sparse, metrics, reduction, outputActivation: act,
    get classes(): number {
      const shape = last.outputShape;
      return shape[shape.length - 1];
    },
  };
}
