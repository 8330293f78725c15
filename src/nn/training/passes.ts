// What fit, evaluate, predict and computeGradients share: turning user data into checked blocks in the
// wasm memory, the work buffers of one call (released however the call ends), weight penalties, and the
// passes that make no update (evaluate, predict, computeGradients).
import { Tensor } from '../../tensor.js';
import { copyBytes, kernels, releaseGemmScratch } from '../../kernel-calls.js';
import { Workspace } from '../../workspace.js';
import { checkInteger, checkOptions, shapeText } from '../config.js';
import { checkDistributions, checkFinite, checkUnitInterval, labelIndices, sparseTargets, toMatrix, type DataLike, type Matrix } from '../data.js';
import { lossRows } from '../losses.js';
import { MetricTotals, tfjsMetricAliases } from '../metrics.js';
import { defineAliases } from './callbacks.js';
import { targetColsOf, type Objective } from '../objective.js';
import { Plan } from '../plan.js';
import type { Sequential } from '../sequential.js';

export const DEFAULT_EVAL_BATCH = 256;

export interface EvaluateOptions {
  /** Rows per forward pass (default 256). */
  batchSize?: number;
  /** TensorFlow.js's option; only 0 (silent), which is what evaluate and predict are. */
  verbose?: 0;
}
export type PredictOptions = EvaluateOptions;

/** Data ready for a pass: samples and targets (floats, or i32 class indices) in the wasm memory. */
export interface Prepared {
  x: Matrix;
  targets: number;
  rows: number;
  /** The first row of x (and of the targets, already offset in `targets`) in use: fit's validationSplit part. */
  firstRow?: number;
  /** The caller's own tensors among x and y (fit checks at every batch that they were not disposed). */
  userTensors: Tensor[];
}

/**
 * Runs `body` with a Workspace and a list for tensors it converts; both are freed when it ends, thrown or
 * returned (also when it returns a promise, once that settles), with the GEMM scratch.
 */
export function withWorkspace<T>(body: (ws: Workspace, owned: Tensor[]) => T): T {
  const ws = new Workspace();
  const owned: Tensor[] = [];
  const release = (): void => {
    ws.releaseAll();
    for (const t of owned) t.dispose();
    releaseGemmScratch();
  };
  let result: T;
  try {
    result = body(ws, owned);
  } catch (e) {
    release();
    throw e;
  }
  if (result instanceof Promise) return result.finally(release) as T;
  release();
  return result;
}

/**
 * Converts x (and y, unless `objective` is null), builds the model if needed, and checks shapes and values.
 * Training data must be finite (a NaN would spread into every weight); evaluate and predict let NaN
 * through to NaN outputs.
 */
export function prepare(
  model: Sequential, xData: unknown, yData: unknown, what: string, objective: Objective | null, ws: Workspace, owned: Tensor[], training = false,
): Prepared {
  const x = toMatrix(xData, `${what}x`, model.inputShape);
  if (x.owned) owned.push(x.tensor);
  if (x.rows === 0) throw new RangeError(`${what}x has no rows`);
  model.ready(x.sample);
  const inputShape = model.layers[0].inputShape;
  if (shapeText(x.sample) !== shapeText(inputShape)) {
    throw new RangeError(`${what}x has samples of shape ${shapeText(x.sample)} but the model takes ${shapeText(inputShape)} (x shape ${shapeText([x.rows, ...x.sample])})`);
  }
  if (training) checkFinite(x, `${what}x`);
  const userTensors = x.owned ? [] : [x.tensor];
  if (objective === null) return { x, targets: 0, rows: x.rows, userTensors };
  const outputShape = model.outputShape;
  // Outputs of [steps, classes]: the categorical losses take one distribution per position (the last axis),
  // the sparse loss a class index per position.
  const outCols = model.outputUnits;
  const positions = targetColsOf(objective, outCols);
  const y = objective.sparse ? sparseTargets(yData, `${what}y`, outputShape) : toMatrix(yData, `${what}y`, outputShape);
  if (y.owned) owned.push(y.tensor);
  else userTensors.push(y.tensor);
  if (y.rows !== x.rows) {
    throw new RangeError(`${what}x has ${x.rows} rows but ${what}y has ${y.rows}: x ${shapeText([x.rows, ...x.sample])}, y ${shapeText([y.rows, ...y.sample])}`);
  }
  if (objective.sparse) return { x, targets: labelIndices(y, `${what}y`, objective.classes, ws, positions), rows: x.rows, userTensors };
  checkFinite(y, `${what}y`);
  if (objective.loss === 'categoricalCrossentropy') checkDistributions(y, `${what}y`, objective.classes);
  if (objective.loss === 'binaryCrossentropy') checkUnitInterval(y, `${what}y`);
  if (objective.loss === 'hinge') checkSigns(y, `${what}y`);
  return { x, targets: y.tensor.ptr, rows: x.rows, userTensors };
}

/** Targets for hinge: -1 or 1 (Keras maps 0/1 labels to -1/1, TensorFlow.js does not: simdnet asks for them). */
function checkSigns(m: Matrix, what: string): void {
  const d = m.tensor.data;
  for (let i = 0; i < d.length; i++) {
    if (d[i] !== -1 && d[i] !== 1) {
      throw new RangeError(`${what} row ${Math.floor(i / m.cols)}, column ${i % m.cols} is ${d[i]}: hinge targets must be -1 or 1 (for 0/1 labels pass 2y - 1)`);
    }
  }
}

/** A weight with a penalty: pointers and factors for assembly/regularize.ts. */
export interface Penalized {
  readonly w: number;
  readonly g: number;
  readonly n: number;
  readonly l1: number;
  readonly l2: number;
}

/** The regularized weights of the model (gradients only for trainable ones; 0 = none). */
export function penalizedWeights(model: Sequential): Penalized[] {
  return model.layers.flatMap((layer) =>
    layer.weights
      .filter((w) => w.regularizer !== null)
      .map((w) => ({ w: w.tensor.ptr, g: layer.trainable && w.grad !== null ? w.grad.ptr : 0, n: w.tensor.size, l1: w.regularizer!.l1, l2: w.regularizer!.l2 })),
  );
}

/** Sum of the penalties; with `withGradients`, each penalty's gradient is added to its weight's gradient. */
export function applyPenalties(penalized: readonly Penalized[], withGradients: boolean): number {
  let sum = 0;
  for (const p of penalized) sum += kernels.regularize(p.w, withGradients ? p.g : 0, p.n, p.l1, p.l2);
  return sum;
}

function batchOption(options: EvaluateOptions | undefined, where: string): number {
  const { batchSize = DEFAULT_EVAL_BATCH, verbose = 0 } = checkOptions(options, ['batchSize', 'verbose'], where);
  if (verbose !== 0) throw new RangeError(`${where}: verbose must be 0 (${where} prints nothing), got ${String(verbose)}`);
  return checkInteger(batchSize, `${where}: batchSize`, 1);
}

/** What evaluate returns: the loss and each compiled metric under its name. */
export type EvaluateResult = { loss: number } & Record<string, number>;

/** Mean loss (with the weight penalties, as Keras) and the metrics over x/y. */
export function evaluateModel(model: Sequential, x: DataLike, y: DataLike, options?: EvaluateOptions): EvaluateResult {
  const objective = model.requireCompiled('evaluate').objective;
  const batchSize = batchOption(options, 'evaluate');
  return withWorkspace((ws, owned) => {
    const data = prepare(model, x, y, '', objective, ws, owned);
    const plan = new Plan(model.layers, Math.min(batchSize, data.rows), false, ws);
    const totals = new MetricTotals(objective, model.outputUnits, plan.capacity, ws);
    const lossSum = plan.evaluate(objective, data.x.tensor.ptr, data.targets, data.rows, totals);
    const result = { loss: lossSum / data.rows + applyPenalties(penalizedWeights(model), false) } as EvaluateResult;
    totals.report(result, false);
    defineAliases(result, tfjsMetricAliases(objective.metrics, false), false);
    return result;
  });
}

/** The outputs for x as a new [rows, ...outputShape] Tensor, computed in batches. */
export function predictModel(model: Sequential, x: DataLike, options?: PredictOptions): Tensor {
  const batchSize = batchOption(options, 'predict');
  return withWorkspace((ws, owned) => {
    const data = prepare(model, x, undefined, '', null, ws, owned);
    const plan = new Plan(model.layers, Math.min(batchSize, data.rows), false, ws);
    // The result is made last, so a failure to allocate the work buffers leaves nothing behind.
    const result = new Tensor([data.rows, ...model.outputShape]);
    const inBytes = model.inputUnits * 4;
    const outBytes = model.outputUnits * 4;
    for (let start = 0; start < data.rows; start += plan.capacity) {
      const n = Math.min(plan.capacity, data.rows - start);
      const out = plan.forward(data.x.tensor.ptr + start * inBytes, n, false, false);
      copyBytes(result.ptr + start * outBytes, out, n * outBytes);
    }
    return result;
  });
}

/** Copies of the weights no gradient reaches (moving statistics), to put back after a pass that changes them. */
function stateCopies(model: Sequential): { tensor: Tensor; copy: Float32Array }[] {
  return model.layers.flatMap((l) => l.weights.filter((w) => w.grad === null).map((w) => ({ tensor: w.tensor, copy: w.tensor.data.slice() })));
}

/** One training-mode forward and backward pass over all of x/y: fills the gradients, returns the mean loss with penalties. */
export function computeGradients(model: Sequential, x: DataLike, y: DataLike): number {
  const objective = model.requireCompiled('computeGradients').objective;
  return withWorkspace((ws, owned) => {
    const data = prepare(model, x, y, '', objective, ws, owned);
    const saved = stateCopies(model);
    try {
      const plan = new Plan(model.layers, data.rows, true, ws);
      const out = plan.forward(data.x.tensor.ptr, data.rows, true, objective.fused);
      const lossSum = lossRows(objective, out, data.targets, data.rows, model.outputUnits, plan.outputGrad, objective.reduction);
      plan.backward(data.rows, objective.fused);
      return lossSum / data.rows + applyPenalties(penalizedWeights(model), true);
    } finally {
      for (const s of saved) s.tensor.data.set(s.copy);
    }
  });
}
