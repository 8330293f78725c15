// Metrics: what compile({ metrics }) accepts, and their per-batch counts, taken by kernels
// (assembly/reduce.ts and the loss kernels without a gradient) into totals planned once per pass. An epoch's
// (or evaluate's) value is the ratio of its totals: correct / counted for the accuracies, the error sum over
// the elements for mse and mae, true positives over predicted (precision) or actual (recall) positives.
// That is Keras's definition over the whole epoch; tfjs averages per-batch values, which agrees on one batch.
// The cross-entropy metrics are the loss kernels called without a gradient: their sum over the batch's
// samples (or outputs, binary) over the count.
import { ACTIVATION_TABLE } from '../activation-table.js';
import { checkInteger, checkOptions } from './config.js';
import { kernels } from '../kernel-calls.js';
import type { Workspace } from '../workspace.js';
import type { Objective } from './objective.js';
import { lossRows, type LossSetting } from './losses.js';

export type MetricKind =
  | 'binaryAccuracy' | 'categoricalAccuracy' | 'sparseCategoricalAccuracy' | 'topKCategoricalAccuracy'
  | 'meanSquaredError' | 'meanAbsoluteError' | 'meanAbsolutePercentageError' | 'cosineProximity' | 'precision' | 'recall'
  | 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy';

/** A metric with its options (what `sn.metrics.<name>()` returns and compile takes). */
export interface Metric {
  /** The name its values are reported under (in history, logs and evaluate's result). */
  readonly name: string;
  readonly kind: MetricKind;
  /** topKCategoricalAccuracy: how many of the highest scores count as a hit (default 5). */
  readonly k: number;
}

/**
 * Names compile accepts. 'accuracy' (tfjs's 'acc') becomes binary, categorical or sparse accuracy from the
 * loss, 'crossentropy' (tfjs's 'ce') the binary, categorical or sparse cross-entropy, as in tfjs-layers'
 * compile; 'MSE' and 'MAE' are tfjs's spellings of mse and mae.
 */
export const METRIC_NAMES = [
  'accuracy', 'acc', 'crossentropy', 'ce', 'binaryAccuracy', 'categoricalAccuracy', 'sparseCategoricalAccuracy', 'topKCategoricalAccuracy',
  'mse', 'mae', 'MSE', 'MAE', 'meanSquaredError', 'meanAbsoluteError', 'mape', 'MAPE', 'meanAbsolutePercentageError',
  'cosine', 'cosineProximity', 'precision', 'recall', 'binaryCrossentropy', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

const KIND_OF: Readonly<Record<string, MetricKind>> = {
  binaryAccuracy: 'binaryAccuracy', categoricalAccuracy: 'categoricalAccuracy', sparseCategoricalAccuracy: 'sparseCategoricalAccuracy',
  topKCategoricalAccuracy: 'topKCategoricalAccuracy', mse: 'meanSquaredError', MSE: 'meanSquaredError', meanSquaredError: 'meanSquaredError',
  mae: 'meanAbsoluteError', MAE: 'meanAbsoluteError', meanAbsoluteError: 'meanAbsoluteError', precision: 'precision', recall: 'recall',
  mape: 'meanAbsolutePercentageError', MAPE: 'meanAbsolutePercentageError', meanAbsolutePercentageError: 'meanAbsolutePercentageError',
  cosine: 'cosineProximity', cosineProximity: 'cosineProximity',
  binaryCrossentropy: 'binaryCrossentropy', categoricalCrossentropy: 'categoricalCrossentropy', sparseCategoricalCrossentropy: 'sparseCategoricalCrossentropy',
};

/** The metrics whose kind follows the loss, under each spelling tfjs-layers' compile accepts. */
export type LossFamily = 'accuracy' | 'crossentropy';
const FAMILY_OF: Readonly<Record<string, LossFamily>> = { accuracy: 'accuracy', acc: 'accuracy', crossentropy: 'crossentropy', ce: 'crossentropy' };

/** tfjs-layers' history and logs name for a metric: 'acc' and 'ce' for the loss-dependent ones, else its name. */
const TFJS_NAME: Readonly<Record<string, string>> = { accuracy: 'acc', crossentropy: 'ce' };

const DEFAULT_K = 5;
/** tfjs's epsilon() in MAPE's denominator and cosine's norms. */
const METRIC_EPSILON = 1e-7;

function metric(name: string, kind: MetricKind, k = DEFAULT_K): Metric {
  return { name, kind, k };
}

/** `sn.metrics.<name>()`: metric objects for compile (names work too). */
export const metrics = {
  binaryAccuracy: (): Metric => metric('binaryAccuracy', 'binaryAccuracy'),
  categoricalAccuracy: (): Metric => metric('categoricalAccuracy', 'categoricalAccuracy'),
  sparseCategoricalAccuracy: (): Metric => metric('sparseCategoricalAccuracy', 'sparseCategoricalAccuracy'),
  topKCategoricalAccuracy(options?: { k?: number }): Metric {
    const { k = DEFAULT_K } = checkOptions(options, ['k'], 'metrics.topKCategoricalAccuracy');
    return metric('topKCategoricalAccuracy', 'topKCategoricalAccuracy', checkInteger(k, 'metrics.topKCategoricalAccuracy: k', 1));
  },
  binaryCrossentropy: (): Metric => metric('binaryCrossentropy', 'binaryCrossentropy'),
  categoricalCrossentropy: (): Metric => metric('categoricalCrossentropy', 'categoricalCrossentropy'),
  sparseCategoricalCrossentropy: (): Metric => metric('sparseCategoricalCrossentropy', 'sparseCategoricalCrossentropy'),
  mse: (): Metric => metric('mse', 'meanSquaredError'),
  mae: (): Metric => metric('mae', 'meanAbsoluteError'),
  meanSquaredError: (): Metric => metric('meanSquaredError', 'meanSquaredError'),
  meanAbsoluteError: (): Metric => metric('meanAbsoluteError', 'meanAbsoluteError'),
  meanAbsolutePercentageError: (): Metric => metric('meanAbsolutePercentageError', 'meanAbsolutePercentageError'),
  cosineProximity: (): Metric => metric('cosineProximity', 'cosineProximity'),
  precision: (): Metric => metric('precision', 'precision'),
  recall: (): Metric => metric('recall', 'recall'),
};

/** A metric as saved with a model: its name, or { name, k } for a top-k accuracy with k other than 5. */
export type MetricConfig = string | { name: string; k: number };

export function metricConfig(m: Metric): MetricConfig {
  return m.kind === 'topKCategoricalAccuracy' && m.k !== DEFAULT_K ? { name: m.name, k: m.k } : m.name;
}

/**
 * A metric from compile's list: a name, a metric object or saved config ({ name, k? }), or an uncalled
 * `sn.metrics.<name>`. 'accuracy' / 'acc' and 'crossentropy' / 'ce' take their kind from the loss
 * (`fromLoss`; Keras and tfjs: binary for binary cross-entropy and for one output, sparse for the sparse
 * loss, categorical otherwise) and are reported as 'accuracy' and 'crossentropy'.
 */
export function resolveMetric(spec: unknown, fromLoss: (family: LossFamily) => MetricKind): Metric {
  if (typeof spec === 'function' && Object.values(metrics).includes(spec as never)) return (spec as () => Metric)();
  const isObject = typeof spec === 'object' && spec !== null;
  const name = isObject ? (spec as { name?: unknown }).name : spec;
  if (typeof name === 'string' && FAMILY_OF[name] !== undefined && !isObject) return metric(FAMILY_OF[name], fromLoss(FAMILY_OF[name]));
  if (typeof name !== 'string' || KIND_OF[name] === undefined) {
    throw new TypeError(`unknown metric '${isObject ? JSON.stringify(spec) : String(spec)}'; valid: ${METRIC_NAMES.join(', ')}`);
  }
  if (!isObject) return metric(name, KIND_OF[name]);
  const { k, name: _, kind: __, ...rest } = spec as { name: string; k?: number; kind?: string };
  checkOptions(rest, [], `metric ${name}`);
  if (KIND_OF[name] !== 'topKCategoricalAccuracy') {
    if (k !== undefined && k !== DEFAULT_K) throw new TypeError(`metric ${name}: unknown option 'k' (only topKCategoricalAccuracy has k)`);
    return metric(name, KIND_OF[name]);
  }
  return metrics.topKCategoricalAccuracy(k === undefined ? {} : { k });
}

/** Where a metric's values are reported: its name, or 'val' + Name for the validation data (valAccuracy). */
export function metricKey(m: Metric, validation: boolean): string {
  return validation ? `val${m.name[0].toUpperCase()}${m.name.slice(1)}` : m.name;
}

/**
 * TensorFlow.js's names of a fit's metric figures, each with simdnet's key: tfjs's name of the metric
 * ('acc' for accuracy, 'ce' for crossentropy) and 'val_' + it for the validation figure.
 */
export function tfjsMetricAliases(list: readonly Metric[], withValidation: boolean): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const m of list) {
    const name = TFJS_NAME[m.name] ?? m.name;
    if (name !== m.name) aliases[name] = m.name;
    if (withValidation) aliases[`val_${name}`] = metricKey(m, true);
  }
  return aliases;
}

const SPARSE_KINDS: readonly MetricKind[] = ['sparseCategoricalAccuracy', 'sparseCategoricalCrossentropy'];

/** Checks that the targets the loss implies suit each metric. */
export function checkMetricTargets(list: readonly Metric[], sparse: boolean, loss: string): void {
  for (const m of list) {
    if (m.kind === 'topKCategoricalAccuracy') continue;
    if (sparse && !SPARSE_KINDS.includes(m.kind)) {
      throw new TypeError(`metric ${m.name} needs a target per output, but ${loss} takes class indices; use sparseCategoricalAccuracy or sparseCategoricalCrossentropy (or 'accuracy', 'crossentropy')`);
    }
    if (!sparse && SPARSE_KINDS.includes(m.kind)) {
      throw new TypeError(`metric ${m.name} needs class-index targets (loss sparseCategoricalCrossentropy), but ${loss} takes a target per output; use categoricalAccuracy or categoricalCrossentropy (or 'accuracy', 'crossentropy')`);
    }
  }
}

const SIGMOID_CODE = ACTIVATION_TABLE.find((a) => a.name === 'sigmoid')!.code;

/** Which function's logits the outputs hold (a fused or fromLogits loss), or null for the predictions themselves. */
function logitsOf(o: Objective): 'sigmoid' | 'softmax' | null {
  if (!o.logits) return null;
  if (o.fused) return o.outputActivation === 'sigmoid' || o.outputActivation === 'softmax' ? o.outputActivation : null;
  return o.loss === 'binaryCrossentropy' ? 'sigmoid' : 'softmax';
}

/** A metric that needs the predictions where the outputs hold logits of another function (or reads values, not only their order). */
function readsValues(kind: MetricKind, logits: 'sigmoid' | 'softmax' | null): boolean {
  if (logits === null) return false;
  if (kind === 'meanSquaredError' || kind === 'meanAbsoluteError' || kind === 'meanAbsolutePercentageError' || kind === 'cosineProximity') return true;
  if (kind === 'binaryCrossentropy') return logits !== 'sigmoid';
  if (kind === 'categoricalCrossentropy') return logits !== 'softmax';
  // Thresholds at 0.5: on a fused sigmoid's logits that is logit > 0; a softmax needs its probabilities.
  return (kind === 'binaryAccuracy' || kind === 'precision' || kind === 'recall') && logits === 'softmax';
}

/** The loss computation of a cross-entropy metric: on the logits when the outputs hold that function's, else on the predictions. */
function metricLoss(kind: MetricKind, logits: 'sigmoid' | 'softmax' | null, classes: number): LossSetting | null {
  if (kind !== 'binaryCrossentropy' && kind !== 'categoricalCrossentropy' && kind !== 'sparseCategoricalCrossentropy') return null;
  const onLogits = kind === 'binaryCrossentropy' ? logits === 'sigmoid' : logits === 'softmax';
  return { loss: kind, delta: 1, logits: onLogits, classes };
}

/** The running numerators and denominators of a pass's metrics; every buffer planned in the constructor. */
export class MetricTotals {
  readonly #objective: Objective;
  readonly #cols: number;
  readonly #numerators: Float64Array;
  readonly #denominators: Float64Array;
  /** Probabilities of a fused output, when a metric reads values (0: none needed). */
  readonly #probabilities: number;
  /** The loss setting of each cross-entropy metric (null for the others). */
  readonly #losses: (LossSetting | null)[];

  constructor(objective: Objective, cols: number, capacityRows: number, ws: Workspace) {
    this.#objective = objective;
    this.#cols = cols;
    this.#numerators = new Float64Array(objective.metrics.length);
    this.#denominators = new Float64Array(objective.metrics.length);
    const logits = logitsOf(objective);
    // The fused loss leaves logits in the outputs; with fromLogits they are the model's predictions.
    const needed = objective.fused && objective.metrics.some((m) => readsValues(m.kind, logits));
    this.#probabilities = needed ? ws.elements(capacityRows * cols) : 0;
    this.#losses = objective.metrics.map((m) => metricLoss(m.kind, logits, objective.classes));
  }

  reset(): void {
    this.#numerators.fill(0);
    this.#denominators.fill(0);
  }

  /** Counts `rows` rows of outputs `out` (logits when the loss is fused) against their targets. */
  add(out: number, targets: number, rows: number): void {
    const o = this.#objective;
    const list = o.metrics;
    if (list.length === 0) return;
    const cols = this.#cols;
    const n = rows * cols;
    // Outputs of [steps, classes]: the argmax metrics count each position (Keras: over the last axis).
    const classes = o.classes;
    const positions = rows * (cols / classes);
    let values = out;
    if (this.#probabilities !== 0) {
      values = this.#probabilities;
      if (o.outputActivation === 'softmax') kernels.softmaxRows(out, values, positions, classes);
      else kernels.actForward(SIGMOID_CODE, out, values, n, 0);
    }
    // On a fused sigmoid's logits, probability > 0.5 is logit > 0.
    const threshold = o.fused && values === out ? 0 : 0.5;
    for (let i = 0; i < list.length; i++) {
      let numerator: number;
      let denominator: number;
      switch (list[i].kind) {
        case 'binaryAccuracy':
          numerator = kernels.countCorrectBinary(values, targets, n, threshold);
          denominator = n;
          break;
        case 'categoricalAccuracy':
          numerator = kernels.countCorrect(out, targets, positions, classes);
          denominator = positions;
          break;
        case 'sparseCategoricalAccuracy':
          numerator = kernels.countCorrectSparse(out, targets, positions, classes);
          denominator = positions;
          break;
        case 'topKCategoricalAccuracy':
          numerator = kernels.countInTopK(out, targets, positions, classes, list[i].k, o.sparse);
          denominator = positions;
          break;
        case 'meanSquaredError':
          numerator = kernels.squaredError(values, targets, n, 0, 0);
          denominator = n;
          break;
        case 'meanAbsoluteError':
          numerator = kernels.absoluteError(values, targets, n, 0, 0);
          denominator = n;
          break;
        case 'meanAbsolutePercentageError':
          numerator = 100 * kernels.absolutePercentageErrorSum(values, targets, n, METRIC_EPSILON);
          denominator = n;
          break;
        case 'cosineProximity':
          // Over the last axis (each position of [steps, classes] outputs), as tfjs.
          numerator = kernels.cosineProximitySum(values, targets, positions, classes, METRIC_EPSILON);
          denominator = positions;
          break;
        case 'precision':
          numerator = kernels.countTruePositives(values, targets, n, threshold);
          denominator = kernels.countAbove(values, n, threshold);
          break;
        case 'recall':
          numerator = kernels.countTruePositives(values, targets, n, threshold);
          denominator = kernels.countAbove(targets, n, 0.5);
          break;
        case 'binaryCrossentropy':
        case 'categoricalCrossentropy':
        case 'sparseCategoricalCrossentropy': {
          const setting = this.#losses[i]!;
          numerator = lossRows(setting, setting.logits ? out : values, targets, rows, cols, 0);
          denominator = rows;
          break;
        }
      }
      this.#numerators[i] += numerator;
      this.#denominators[i] += denominator;
    }
  }

  /** Writes each metric's value into `into` under its metricKey. */
  report(into: Record<string, unknown>, validation: boolean): void {
    this.#objective.metrics.forEach((m, i) => {
      // No predicted (precision) or actual (recall) positives: 0, as tfjs.
      into[metricKey(m, validation)] = this.#denominators[i] === 0 ? 0 : this.#numerators[i] / this.#denominators[i];
    });
  }
}
