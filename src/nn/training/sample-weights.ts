// fit's sampleWeight and classWeight (Keras): one weight per training row, their product when both are given.
// The weighted loss of a batch is mean_r w_r * L_r (Keras's and tfjs-layers' computeWeightedLoss, over the
// batch's rows, not over the weights' sum), so row r's gradient is w_r times its unweighted gradient. The
// weights sit in one planned block per fit, gathered with y; a step allocates nothing.
import { heapF32, heapI32, kernels } from '../../kernel-calls.js';
import type { Workspace } from '../../workspace.js';
import { isPlainObject } from '../config.js';
import { toMatrix } from '../data.js';
import { lossRows } from '../losses.js';
import { positionsOf, targetColsOf, type Objective } from '../objective.js';
import type { Tensor } from '../../tensor.js';
import type { Prepared } from './passes.js';

/** Keras's class_weight: { classIndex: weight }. */
export type ClassWeight = Record<number, number>;

/**
 * The per-row weights of `data` (its first `rows` rows: the training part of a validationSplit) in a block of
 * `ws`, or 0 when neither option is given. `owned` receives tensors converted here.
 */
export function sampleWeightBlock(
  sampleWeight: unknown, classWeight: unknown, data: Prepared, rows: number, objective: Objective, outCols: number, ws: Workspace, owned: Tensor[],
): number {
  if (sampleWeight === undefined && classWeight === undefined) return 0;
  const ptr = ws.elements(rows);
  const f = heapF32();
  const base = ptr >>> 2;
  f.fill(1, base, base + rows);
  if (sampleWeight !== undefined) {
    const m = toMatrix(sampleWeight, 'sampleWeight', [1]);
    if (m.owned) owned.push(m.tensor);
    if (m.rows !== data.rows) throw new RangeError(`sampleWeight has ${m.rows} values but x has ${data.rows} rows: give one weight per row`);
    const values = m.tensor.data;
    for (let r = 0; r < rows; r++) {
      const w = values[r];
      if (!Number.isFinite(w) || w < 0) throw new RangeError(`sampleWeight row ${r} is ${w}: weights must be finite numbers >= 0`);
      f[base + r] = w;
    }
  }
  if (classWeight !== undefined) checkOnePosition(objective, outCols);
  if (classWeight !== undefined) applyClassWeight(checkClassWeight(classWeight, outCols), data.targets, rows, objective, outCols, ptr, 'y');
  return ptr;
}

/**
 * Multiplies the weights of `rows` rows at `ptr` (f32) by the class weight of each row's target (targets at
 * `targets`, as the loss takes them); `what` names the targets in errors (fitDataset: its batch).
 */
export function applyClassWeight(weights: ReadonlyMap<number, number>, targets: number, rows: number, objective: Objective, outCols: number, ptr: number, what: string): void {
  const classOf = rowClass(targets, objective, outCols);
  const base = ptr >>> 2;
  for (let r = 0; r < rows; r++) {
    const c = classOf(r);
    const w = weights.get(c);
    if (w === undefined) throw new RangeError(`classWeight has no weight for class ${c} (${what} row ${r}); give a weight for every class in the data (${[...weights.keys()].join(', ')} given)`);
    heapF32()[base + r] *= w;
  }
}

/** classWeight reads one class per row: not defined for outputs of several softmax positions (nor in Keras). */
export function checkOnePosition(objective: Objective, outCols: number): void {
  const positions = positionsOf(objective, outCols);
  if (positions > 1) {
    throw new RangeError(`classWeight needs one class per row, but the outputs hold ${positions} positions of ${objective.classes} classes each; weight the rows with sampleWeight instead`);
  }
}

/** Keras's class_weight checked: a finite weight >= 0 for class indices of the model's outputs. */
export function checkClassWeight(value: unknown, outCols: number): Map<number, number> {
  if (!isPlainObject(value) && !(value instanceof Map)) throw new TypeError('classWeight must be an object { classIndex: weight }');
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  const classes = Math.max(outCols, 2);
  const out = new Map<number, number>();
  for (const [key, w] of entries) {
    const c = Number(key);
    if (!Number.isInteger(c) || c < 0 || c >= classes) throw new RangeError(`classWeight key '${String(key)}' is not a class index in [0, ${classes})`);
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw new RangeError(`classWeight[${c}] is ${String(w)}: weights must be finite numbers >= 0`);
    out.set(c, w);
  }
  return out;
}

/**
 * The class of a row as Keras reads it for class_weight: the label (sparse), the argmax of a one-hot row,
 * or the rounded target of a single output.
 */
function rowClass(targetPtr: number, objective: Objective, outCols: number): (row: number) => number {
  const targets = targetPtr >>> 2;
  if (objective.sparse) return (r) => heapI32()[targets + r];
  if (outCols === 1) return (r) => Math.round(heapF32()[targets + r]);
  return (r) => {
    const f = heapF32();
    const at = targets + r * outCols;
    let best = 0;
    for (let j = 1; j < outCols; j++) if (f[at + j] > f[at + best]) best = j;
    return best;
  };
}

/**
 * The loss of `rows` rows weighted by `weights` (f32 per row): returns sum_r w_r * L_r and writes into `grad`
 * the gradient of sum_r w_r L_r / rows (reduction 'mean') or of the sum. One loss call per row gives each L_r.
 */
export function weightedLossRows(objective: Objective, out: number, targets: number, rows: number, cols: number, grad: number, weights: number): number {
  const targetBytes = targetColsOf(objective, cols) * 4;
  const f = heapF32();
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    // One row at a time with the 'sum' reduction: its gradient is exactly dL_r / d out_r.
    const loss = lossRows(objective, out + r * cols * 4, targets + r * targetBytes, 1, cols, grad + r * cols * 4, 'sum');
    sum += f[(weights >>> 2) + r] * loss;
  }
  kernels.scaleRowsByWeights(grad, rows, cols, weights, objective.reduction === 'mean' ? 1 / rows : 1);
  return sum;
}
