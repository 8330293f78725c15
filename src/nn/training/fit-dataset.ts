// fitDataset and evaluateDataset: training and evaluation on data that arrives in batches, as TensorFlow.js's
// model.fitDataset. A dataset is any iterable or async iterable of { xs, ys } batches (or a tfjs Dataset,
// whose iterator() is awaited); each batch (a Tensor, typed arrays, or nested arrays) is copied once into
// one pair of wasm buffers planned per call for the first batch's rows. Nothing is allocated per batch,
// so the data itself never has to fit in the wasm memory: only one batch of it at a time.
import { Tensor } from '../../tensor.js';
import { copyBytes, gemmSplits, heapF32, heapI32, kernels, startWorkers, writePixels } from '../../kernel-calls.js';
import type { Workspace } from '../../workspace.js';
import { checkInteger, checkOptions, shapeText } from '../config.js';
import { checkDistributions, checkUnitInterval, PixelBlock, type Matrix } from '../data.js';
import { targetColsOf, type Objective } from '../objective.js';
import type { Sequential } from '../sequential.js';
import { call, checkCallbacks, checkYieldEvery, EventLoopTurns, newHistory, progressFor, recordEpoch, trainStep, type EpochLogs, type FitCallbacks, type History } from './fit.js';
import { applyPenalties, penalizedWeights, prepare, withWorkspace, type Prepared } from './passes.js';
import { Callback, defineAliases } from './callbacks.js';
import { applyClassWeight, checkClassWeight, checkOnePosition, type ClassWeight } from './sample-weights.js';
import { TrainStep, type StepPlace } from './step.js';
import { Plan } from '../plan.js';
import { MetricTotals, tfjsMetricAliases } from '../metrics.js';

/** One batch: `xs` samples and `ys` targets, each a Tensor, a typed or plain array (flat or nested). */
export interface DatasetBatch {
  xs: unknown;
  ys: unknown;
}

/** What fitDataset reads: an (async) iterable of batches, or an object with tfjs's `iterator()`. */
export type BatchDataset =
  | Iterable<DatasetBatch>
  | AsyncIterable<DatasetBatch>
  | { iterator(): Promise<{ next(): Promise<IteratorResult<DatasetBatch>> }> };

export interface FitDatasetOptions {
  /** The epoch to stop before (default 1; training runs epochs initialEpoch..epochs-1, as in TensorFlow.js). */
  epochs?: number;
  /**
   * The epoch to start from (default 0), to resume a training: schedules, callbacks and the history see the
   * true epoch numbers, as fit's initialEpoch. The dataset is read from its start (as tfjs does).
   */
  initialEpoch?: number;
  /**
   * A loss weight per class, { classIndex: weight } (Keras's class_weight), applied to each batch's rows by
   * their targets as fit's classWeight; every class in the data needs one.
   */
  classWeight?: ClassWeight;
  /**
   * Batches per epoch. Without it an epoch is one full pass (the dataset is iterated again each epoch);
   * with it, one iterator is read across epochs (for endless or one-shot datasets), as in TensorFlow.js.
   */
  batchesPerEpoch?: number;
  /** Evaluated after every epoch: a dataset of batches, or [x, y] in memory. */
  validationData?: BatchDataset | [unknown, unknown];
  /** With a validation dataset: read at most this many of its batches (default: all). */
  validationBatches?: number;
  /** With validationData [x, y]: rows per forward pass (default: the first training batch's rows). */
  validationBatchSize?: number;
  callbacks?: FitCallbacks | FitCallbacks[];
  /** 0 silent (default), 1 one line per epoch on the console. */
  verbose?: 0 | 1;
  /** As fit's onNonFinite: 'stop' (default) restores the last finite weights and rejects; 'continue' trains on. */
  onNonFinite?: 'stop' | 'continue';
  /** TensorFlow.js's option: only 'auto', what simdnet does (a turn of the event loop every ~20 ms of training). */
  yieldEvery?: 'auto';
}

const FIT_DATASET_KEYS = ['epochs', 'initialEpoch', 'classWeight', 'batchesPerEpoch', 'validationData', 'validationBatches', 'validationBatchSize', 'callbacks', 'verbose', 'onNonFinite', 'yieldEvery'];

export interface EvaluateDatasetOptions {
  /** Read at most this many batches (default: all). */
  batches?: number;
}

type BatchIterator = { next(): Promise<IteratorResult<DatasetBatch>> | IteratorResult<DatasetBatch>; return?(): unknown };

/** A new iterator over `dataset` (every kind fitDataset takes). */
async function iterate(dataset: unknown, what: string): Promise<BatchIterator> {
  const d = dataset as Record<PropertyKey, unknown> | null;
  if (d !== null && typeof d === 'object') {
    if (typeof d[Symbol.asyncIterator] === 'function') return (d[Symbol.asyncIterator] as () => BatchIterator)();
    if (typeof d[Symbol.iterator] === 'function' && !Array.isArray(d[0]) && !(d instanceof Tensor)) return (d[Symbol.iterator] as () => BatchIterator)();
    if (typeof d.iterator === 'function') return (await (d.iterator as () => Promise<BatchIterator>)()) as BatchIterator;
  }
  throw new TypeError(`${what} must be an iterable or async iterable of { xs, ys } batches (or a tfjs Dataset), got ${d === null ? 'null' : typeof d}`);
}

function isDataset(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const d = value as Record<PropertyKey, unknown>;
  return typeof d[Symbol.asyncIterator] === 'function' || typeof d[Symbol.iterator] === 'function' || typeof d.iterator === 'function';
}

/** A TensorFlow.js tensor (from a tfjs Dataset): read through its dataSync() copy. */
function isTfjsTensor(value: unknown): value is { shape: number[]; dataSync(): ArrayLike<number> } {
  return typeof value === 'object' && value !== null && !(value instanceof Tensor) && typeof (value as { dataSync?: unknown }).dataSync === 'function' && Array.isArray((value as { shape?: unknown }).shape);
}

/** { data, shape }: what sn.data's batch() makes (and a form of DataLike). */
function isBlock(value: unknown): value is { data: ArrayLike<number>; shape: number[] } {
  return typeof value === 'object' && value !== null && !(value instanceof Tensor) && !Array.isArray(value) && 'data' in value && Array.isArray((value as { shape?: unknown }).shape);
}

/** The leading dimension and per-sample shape of a batch part, when it shows them (a Tensor, { data, shape }, nested arrays). */
function shapeOf(value: unknown): number[] | null {
  if (value instanceof Tensor || isTfjsTensor(value) || isBlock(value)) return [...value.shape];
  if (!Array.isArray(value)) return null;
  const shape: number[] = [];
  let level: unknown = value;
  while (Array.isArray(level) || (shape.length > 0 && ArrayBuffer.isView(level))) {
    shape.push((level as ArrayLike<unknown>).length);
    if (ArrayBuffer.isView(level)) break;
    level = (level as unknown[])[0];
  }
  return shape;
}

/**
 * Writes the numbers of `value` (a Tensor, a flat typed or plain array, nested arrays) to the f32 heap from
 * element `at`; returns how many were written, at most `limit` (more is an error naming `what`).
 */
function writeValues(value: unknown, at: number, limit: number, what: string, tooMany?: () => Error): number {
  const overflow = (count: string): Error => tooMany?.() ?? new RangeError(`${what} holds ${count} values, more than the ${limit} the batch buffer takes`);
  if (value instanceof Tensor) {
    if (value.disposed) throw new Error(`${what} is a disposed Tensor`);
    if (value.size > limit) throw overflow(String(value.size));
    copyBytes(at * 4, value.ptr, value.size * 4);
    return value.size;
  }
  if (value instanceof PixelBlock) {
    if (value.bytes.length > limit) throw overflow(String(value.bytes.length));
    writePixels(value.bytes, at * 4);
    return value.bytes.length;
  }
  if (isTfjsTensor(value)) value = value.dataSync();
  else if (isBlock(value)) {
    const size = value.shape.reduce((a, b) => a * b, 1);
    if (value.data?.length !== size) throw new RangeError(`${what}: data holds ${String(value.data?.length)} values, shape [${value.shape.join(', ')}] needs ${size}`);
    value = value.data;
  }
  const heap = heapF32();
  if (value instanceof Float32Array) {
    if (value.length > limit) throw overflow(String(value.length));
    heap.set(value, at);
    return value.length;
  }
  let n = 0;
  const walk = (v: unknown, path: string): void => {
    if (typeof v === 'number') {
      if (n >= limit) throw overflow(`more than ${limit}`);
      heap[at + n++] = v;
    } else if (Array.isArray(v) || ArrayBuffer.isView(v)) {
      const list = v as ArrayLike<unknown>;
      for (let i = 0; i < list.length; i++) walk(list[i], `${path}[${i}]`);
    } else {
      throw new TypeError(`${what}${path} is ${v === null ? 'null' : typeof v}, not a number`);
    }
  };
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) {
    throw new TypeError(`${what} must be a Tensor, a typed array or an array of numbers, got ${value === null ? 'null' : typeof value}`);
  }
  walk(value, '');
  return n;
}

/**
 * The two wasm buffers one batch is copied into (samples, and targets: floats, or i32 class indices for the
 * sparse loss), sized for `capacity` rows once per call, with the checks fit makes on its data.
 */
class BatchBuffers {
  readonly x: Tensor;
  readonly y: Tensor;
  readonly labels: number;
  readonly #model: Sequential;
  readonly #objective: Objective;
  readonly #inCols: number;
  readonly #yCols: number;

  constructor(model: Sequential, objective: Objective, readonly capacity: number, ws: Workspace, owned: Tensor[]) {
    this.#model = model;
    this.#objective = objective;
    this.#inCols = model.inputUnits;
    this.#yCols = targetColsOf(objective, model.outputUnits);
    this.x = new Tensor([capacity, ...model.layers[0].inputShape]);
    owned.push(this.x);
    this.y = new Tensor([capacity, this.#yCols]);
    owned.push(this.y);
    this.x.data.fill(0);
    this.y.data.fill(0);
    this.labels = objective.sparse ? ws.elements(capacity * this.#yCols) : 0;
  }

  #tooLarge(where: string, rows: number | string): RangeError {
    return new RangeError(`${where} has ${rows} rows, more than the first batch's ${this.capacity}: the buffers are planned for the first batch's size (make it the largest)`);
  }

  /** Where the targets are for the passes: the floats, or the i32 class indices. */
  get targets(): number {
    return this.labels !== 0 ? this.labels : this.y.ptr;
  }

  /** Copies `batch` in (checked); returns its row count. `where` names the batch in errors. */
  load(batch: unknown, where: string, training: boolean): number {
    if (batch === null || typeof batch !== 'object' || !('xs' in batch) || !('ys' in batch)) {
      throw new TypeError(`${where} is not { xs, ys }`);
    }
    const { xs, ys } = batch as DatasetBatch;
    const inputShape = this.#model.layers[0].inputShape;
    const xShape = shapeOf(xs);
    if (xShape !== null && xShape.length > 1 && shapeText(xShape.slice(1)) !== shapeText(inputShape) && xShape.slice(1).reduce((a, b) => a * b, 1) !== this.#inCols) {
      throw new RangeError(`${where}: xs has shape ${shapeText(xShape)} but the model takes samples of shape ${shapeText(inputShape)}`);
    }
    if (xShape !== null && xShape.length > 1 && xShape[0] > this.capacity) throw this.#tooLarge(where, xShape[0]);
    const xCount = writeValues(xs, this.x.ptr >>> 2, this.capacity * this.#inCols, `${where}: xs`, () => this.#tooLarge(where, `more than ${this.capacity}`));
    if (xCount === 0 || xCount % this.#inCols !== 0) {
      throw new RangeError(`${where}: xs holds ${xCount} values, not a whole number (>= 1) of samples of ${this.#inCols}`);
    }
    const rows = xCount / this.#inCols;
    const yCount = writeValues(ys, this.y.ptr >>> 2, this.capacity * this.#yCols, `${where}: ys`);
    if (yCount !== rows * this.#yCols) {
      throw new RangeError(`${where}: ys holds ${yCount} values, expected ${rows * this.#yCols} (${rows} rows of ${this.#yCols}) for the ${rows} samples of xs`);
    }
    // Floats made from pixel bytes (b / 255) are finite by construction.
    if (training && !(xs instanceof PixelBlock)) {
      const bad = kernels.firstNonFinite(this.x.ptr, rows * this.#inCols);
      if (bad >= 0) throw new RangeError(`${where}: xs row ${Math.floor(bad / this.#inCols)}, column ${bad % this.#inCols} is ${this.x.data[bad]}: data must be finite`);
    }
    const m: Matrix = { tensor: this.y, rows, cols: this.#yCols, sample: [this.#yCols], owned: false };
    const objective = this.#objective;
    if (objective.sparse) {
      const d = this.y.data;
      const classes = objective.classes;
      const per = this.#yCols;
      const labels = heapI32();
      for (let i = 0; i < rows * per; i++) {
        if (!Number.isInteger(d[i]) || d[i] < 0 || d[i] >= classes) {
          throw new RangeError(`${where}: ys row ${Math.floor(i / per)}${per === 1 ? '' : `, position ${i % per}`} is ${d[i]}: not a class index in [0, ${classes})`);
        }
        labels[(this.labels >>> 2) + i] = d[i];
      }
      return rows;
    }
    const bad = kernels.firstNonFinite(this.y.ptr, rows * this.#yCols);
    if (bad >= 0) throw new RangeError(`${where}: ys row ${Math.floor(bad / this.#yCols)}, column ${bad % this.#yCols} is ${this.y.data[bad]}: data must be finite`);
    if (objective.loss === 'categoricalCrossentropy') checkDistributions(m, `${where}: ys`, objective.classes);
    if (objective.loss === 'binaryCrossentropy') checkUnitInterval(m, `${where}: ys`);
    return rows;
  }
}

/** The first batch's row count and sample shape (to build the model and plan the buffers). */
function firstBatchRows(batch: unknown, model: Sequential, where: string): number {
  if (batch === null || typeof batch !== 'object' || !('xs' in batch) || !('ys' in batch)) throw new TypeError(`${where} is not { xs, ys }`);
  const xs = (batch as DatasetBatch).xs;
  const shape = shapeOf(xs);
  if (shape !== null && shape.length > 1) {
    model.ready(shape.slice(1));
    return shape[0];
  }
  if (model.inputShape === undefined) throw new RangeError(`${where}: xs is flat, so the sample shape is unknown: give the first layer an inputShape, or batches of shape [rows, ...features]`);
  const length = (xs as ArrayLike<number> | null)?.length;
  if (typeof length !== 'number') throw new TypeError(`${where}: xs must be a Tensor, a typed array or an array of numbers`);
  return Math.max(1, Math.floor(length / model.inputUnits));
}

/** Where fitDataset's step is: its text names the batch in data errors and step failures. */
class DatasetPlace implements StepPlace {
  epoch = 0;
  batch = 0;

  toString(): string {
    return `dataset epoch ${this.epoch}, batch ${this.batch}`;
  }
}

/** Reads the next batch, or null at the end; `what` names the dataset in errors. */
async function nextBatch(it: BatchIterator, what: string): Promise<unknown> {
  let r: IteratorResult<DatasetBatch>;
  try {
    r = await it.next();
  } catch (e) {
    if (e instanceof Error) e.message = `${what}: ${e.message}`;
    throw e;
  }
  return r.done ? null : r.value;
}

/** Loss sum and rows over the batches of `dataset` (at most `limit`), through `buffers`; the metrics go to `totals`. */
async function evaluateBatches(
  plan: Plan, buffers: BatchBuffers, objective: Objective, dataset: unknown, limit: number, what: string, totals: MetricTotals, first: unknown = null, it0: BatchIterator | null = null,
): Promise<{ lossSum: number; rows: number }> {
  const it = it0 ?? (await iterate(dataset, what));
  let lossSum = 0;
  let rows = 0;
  const turns = new EventLoopTurns();
  try {
    for (let b = 0; b < limit; b++) {
      const batch = b === 0 && first !== null ? first : await nextBatch(it, what);
      if (batch === null) break;
      const n = buffers.load(batch, `${what} batch ${b}`, false);
      lossSum += plan.evaluate(objective, buffers.x.ptr, buffers.targets, n, totals);
      rows += n;
      if (turns.due()) await turns.take();
    }
  } finally {
    await it.return?.();
  }
  if (rows === 0) throw new RangeError(`${what} yielded no batches`);
  return { lossSum, rows };
}

/** evaluate over a dataset of batches: mean loss (with the weight penalties) and accuracy, as `evaluate`. */
export async function evaluateDatasetModel(model: Sequential, dataset: BatchDataset, options?: EvaluateDatasetOptions): Promise<{ loss: number; [metric: string]: number }> {
  const { objective } = model.requireCompiled('evaluateDataset');
  const opts = checkOptions(options, ['batches'], 'evaluateDataset');
  const limit = opts.batches === undefined ? Infinity : checkInteger(opts.batches, 'evaluateDataset: batches', 1);
  const it = await iterate(dataset, 'evaluateDataset: dataset');
  const first = await nextBatch(it, 'dataset');
  if (first === null) throw new RangeError('evaluateDataset: the dataset yielded no batches');
  const rows = firstBatchRows(first, model, 'dataset batch 0');
  return withWorkspace(async (ws, owned) => {
    const plan = new Plan(model.layers, rows, false, ws);
    const buffers = new BatchBuffers(model, objective, rows, ws, owned);
    const totals = new MetricTotals(objective, model.outputUnits, rows, ws);
    const r = await evaluateBatches(plan, buffers, objective, dataset, limit, 'dataset', totals, first, it);
    const result: { loss: number; [metric: string]: number } = { loss: r.lossSum / r.rows + applyPenalties(penalizedWeights(model), false) };
    totals.report(result, false);
    defineAliases(result, tfjsMetricAliases(objective.metrics, false), false);
    return result;
  });
}

interface Settings {
  epochs: number;
  initialEpoch: number;
  batchesPerEpoch: number | null;
  validationBatches: number;
  callbacks: FitCallbacks[];
  verbose: number;
  rollback: boolean;
}

/** model.fitDataset: see FitDatasetOptions. Options are checked (and the first batch read) before any weight changes. */
export async function fitDatasetModel(model: Sequential, dataset: BatchDataset, options?: FitDatasetOptions): Promise<History> {
  model.requireCompiled('fitDataset');
  if (options !== null && typeof options === 'object' && 'validationSplit' in options) {
    throw new TypeError('fitDataset: validationSplit is not an option of fitDataset (nor of TensorFlow.js\'s): a dataset has no last rows to hold out; pass validationData (a dataset of batches, or [x, y])');
  }
  const opts = checkOptions(options, FIT_DATASET_KEYS, 'fitDataset');
  checkYieldEvery(opts.yieldEvery, 'fitDataset');
  const s: Settings = {
    epochs: checkInteger(opts.epochs ?? 1, 'fitDataset: epochs', 0),
    initialEpoch: checkInteger(opts.initialEpoch ?? 0, 'fitDataset: initialEpoch', 0),
    batchesPerEpoch: opts.batchesPerEpoch === undefined ? null : checkInteger(opts.batchesPerEpoch, 'fitDataset: batchesPerEpoch', 1),
    validationBatches: opts.validationBatches === undefined ? Infinity : checkInteger(opts.validationBatches, 'fitDataset: validationBatches', 1),
    callbacks: checkCallbacks(opts.callbacks),
    verbose: opts.verbose ?? 0,
    rollback: (opts.onNonFinite ?? 'stop') === 'stop',
  };
  if (opts.onNonFinite !== undefined && opts.onNonFinite !== 'stop' && opts.onNonFinite !== 'continue') {
    throw new TypeError(`fitDataset: onNonFinite must be 'stop' or 'continue', got ${String(opts.onNonFinite)}`);
  }
  if (s.verbose !== 0 && s.verbose !== 1) throw new TypeError(`fitDataset: verbose must be 0 or 1, got ${String(s.verbose)}`);
  const val = opts.validationData;
  const valIsDataset = isDataset(val);
  if (val !== undefined && !valIsDataset && (!Array.isArray(val) || val.length !== 2)) {
    throw new TypeError('fitDataset: validationData must be a dataset of { xs, ys } batches or [x, y]');
  }
  const valBatchSize = opts.validationBatchSize === undefined ? null : checkInteger(opts.validationBatchSize, 'fitDataset: validationBatchSize', 1);
  if (valBatchSize !== null && (val === undefined || valIsDataset)) {
    throw new TypeError('fitDataset: validationBatchSize applies to validationData [x, y]; a validation dataset comes in its own batches (limit them with validationBatches)');
  }
  const { optimizer, objective } = model.requireCompiled('fitDataset');
  let it = await iterate(dataset, 'fitDataset: dataset');
  const first = await nextBatch(it, 'dataset');
  if (first === null) throw new RangeError('fitDataset: the dataset yielded no batches');
  const capacity = firstBatchRows(first, model, `dataset epoch ${s.initialEpoch}, batch 0`);
  const classWeight = opts.classWeight === undefined ? null : checkClassWeight(opts.classWeight, model.outputUnits);
  if (classWeight !== null) checkOnePosition(objective, model.outputUnits);
  model.lockFor('fitDataset');
  optimizer.lock();
  try {
    return await withWorkspace(async (ws, owned) => {
      const buffers = new BatchBuffers(model, objective, capacity, ws, owned);
      const valData = val !== undefined && !valIsDataset ? prepare(model, (val as unknown[])[0], (val as unknown[])[1], 'validation ', objective, ws, owned) : null;
      optimizer.rateAt(s.initialEpoch); // a schedule's first value is checked before anything changes
      const data: Prepared = { x: { tensor: buffers.x, rows: capacity, cols: model.inputUnits, sample: model.layers[0].inputShape, owned: false }, targets: buffers.targets, rows: capacity, userTensors: [] };
      // classWeight: one loss weight per row of the batch, set from its targets after each copy.
      const rowWeights = classWeight === null ? 0 : ws.elements(capacity);
      const step = new TrainStep(model, data, valData?.userTensors ?? [], capacity, false, s.rollback, ws, rowWeights);
      if (model.layers.some((l) => l.weights.length > 0 && (gemmSplits(capacity, l.outputSize, l.inputSize) || gemmSplits(l.inputSize, l.outputSize, capacity)))) {
        await startWorkers();
      }
      const { history, keys, logs: newLogs } = newHistory(objective, val !== undefined);
      // Built-in callbacks check their settings (a monitored figure this run has) before anything trains.
      for (const c of s.callbacks) if (c instanceof Callback) c.attach({ model, epochs: s.epochs, logKeys: Object.keys(history.history) });
      const progress = progressFor(s.verbose);
      model.stopTraining = false;
      const hooks = { batchBegin: s.callbacks.some((c) => c.onBatchBegin), batchEnd: s.callbacks.some((c) => c.onBatchEnd), yielded: s.callbacks.some((c) => c.onYield) };
      // Validation's plan, buffers and metric totals, sized for its batches: the training ones, or planned once
      // for validationBatchSize ([x, y]) or at a validation dataset's first batch when that is larger.
      type ValidationSet = { plan: Plan; buffers: BatchBuffers; totals: MetricTotals };
      const validationSet = (plan: Plan, batchBuffers: BatchBuffers): ValidationSet => ({ plan, buffers: batchBuffers, totals: new MetricTotals(objective, model.outputUnits, plan.capacity, ws) });
      let valSet: ValidationSet | null = valData === null
        ? null
        : validationSet(valBatchSize === null ? step.plan : new Plan(model.layers, Math.min(valBatchSize, valData.rows), false, ws), buffers);
      const validate = async (): Promise<{ lossSum: number; rows: number; totals: MetricTotals }> => {
        if (valData !== null) {
          valSet!.totals.reset();
          return { lossSum: valSet!.plan.evaluate(objective, valData.x.tensor.ptr, valData.targets, valData.rows, valSet!.totals), rows: valData.rows, totals: valSet!.totals };
        }
        const what = 'validation dataset';
        const vit = await iterate(val, `fitDataset: ${what}`);
        const vfirst = await nextBatch(vit, what);
        if (vfirst === null) throw new RangeError(`fitDataset: the ${what} yielded no batches`);
        if (valSet === null) {
          const rows = firstBatchRows(vfirst, model, `${what} batch 0`);
          valSet = rows <= capacity ? validationSet(step.plan, buffers) : validationSet(new Plan(model.layers, rows, false, ws), new BatchBuffers(model, objective, rows, ws, owned));
        }
        valSet.totals.reset();
        return { ...(await evaluateBatches(valSet.plan, valSet.buffers, objective, val, s.validationBatches, what, valSet.totals, vfirst, vit)), totals: valSet.totals };
      };
      let pending: unknown = first;
      const turns = new EventLoopTurns();
      const place = new DatasetPlace();
      await call(s.callbacks, 'onTrainBegin');
      try {
        for (let epoch = s.initialEpoch; epoch < s.epochs && !model.stopTraining; epoch++) {
          await call(s.callbacks, 'onEpochBegin', epoch);
          if (epoch > s.initialEpoch && s.batchesPerEpoch === null) {
            await it.return?.();
            it = await iterate(dataset, 'fitDataset: dataset');
          }
          const started = performance.now();
          const epochRate = optimizer.rateAt(epoch);
          let lossSum = 0;
          step.metrics.reset();
          let trainedRows = 0;
          let b = 0;
          for (; (s.batchesPerEpoch === null || b < s.batchesPerEpoch) && !model.stopTraining; b++) {
            const batch = pending ?? (await nextBatch(it, `dataset (epoch ${epoch}, batch ${b})`));
            pending = null;
            if (batch === null) break;
            place.epoch = epoch;
            place.batch = b;
            const where = place.toString();
            const n = buffers.load(batch, where, true);
            if (classWeight !== null) {
              heapF32().fill(1, rowWeights >>> 2, (rowWeights >>> 2) + n);
              applyClassWeight(classWeight, buffers.targets, n, objective, model.outputUnits, rowWeights, `${where}: ys`);
            }
            if (hooks.batchBegin) await call(s.callbacks, 'onBatchBegin', b);
            const result = trainStep(step, 0, n, b === 0 ? epochRate : optimizer.rateAt(epoch), place, history);
            lossSum += result.lossSum;
            trainedRows += n;
            if (hooks.batchEnd) await call(s.callbacks, 'onBatchEnd', b, { loss: result.lossSum / n, size: n });
            if (turns.due()) {
              await turns.take();
              if (hooks.yielded) await call(s.callbacks, 'onYield', epoch, b, { loss: result.lossSum / n, size: n });
            }
          }
          if (trainedRows === 0) {
            throw new RangeError(
              `fitDataset: the dataset yielded no batches in epoch ${epoch}` +
                (s.batchesPerEpoch === null ? ' (an iterable is read again each epoch: a generator object can be read only once; pass a function-backed iterable, or batchesPerEpoch)' : ' (it ended; give batchesPerEpoch * epochs batches)'),
            );
          }
          const seconds = (performance.now() - started) / 1000;
          const logs: EpochLogs = Object.assign(newLogs(), { loss: lossSum / trainedRows, samplesPerSecond: trainedRows / Math.max(seconds, 1e-9), learningRate: epochRate });
          step.metrics.report(logs, false);
          if (val !== undefined) {
            const r = await validate();
            logs.valLoss = r.lossSum / r.rows + applyPenalties(penalizedWeights(model), false);
            r.totals.report(logs, true);
          }
          recordEpoch(history, keys, epoch, s.epochs, logs, progress, trainedRows, seconds);
          await call(s.callbacks, 'onEpochEnd', epoch, logs);
        }
      } finally {
        await it.return?.();
      }
      await call(s.callbacks, 'onTrainEnd', history);
      return history;
    });
  } finally {
    optimizer.unlock();
    model.unlock();
  }
}
