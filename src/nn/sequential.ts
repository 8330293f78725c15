// Sequential: a stack of layers with the Keras model API (compile, fit, evaluate, predict, summary).
import { Tensor } from '../tensor.js';
import { heapI32 } from '../backend/allocator.js';
import { Layer } from './layers.js';
import { checkDistributions, checkFinite, checkUnitInterval, fromPairs, isPairList, labelIndices, toMatrix, type DataLike, type Matrix } from './data.js';
import { accuracyCount, accuracyPerRow, makeObjective, type Objective } from './objective.js';
import { lossRows, resolveLoss, type Loss, type LossName, type Reduction } from './losses.js';
import { copyBytes, firstNonFinite, gatherRowsAt, gemmSplits, releaseGemmScratch, startWorkers, Workspace } from './ops.js';
import { leadingRows, Optimizer, resolveOptimizer, type SavedState } from './optimizers.js';
import { Plan } from './plan.js';
import { Random, randomSeed } from './random.js';

export interface CompileConfig {
  optimizer: Optimizer | 'sgd' | 'adam';
  loss: LossName | Loss;
  metrics?: string[];
  /** 'mean' (default) or 'sum' of the per-sample losses of a batch: see Reduction in losses.ts. */
  reduction?: Reduction;
}

export interface EpochLogs {
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  samplesPerSecond: number;
  learningRate: number;
}

export interface BatchLogs {
  loss: number;
  size: number;
}

export interface FitCallbacks {
  onTrainBegin?: () => unknown;
  onTrainEnd?: (history: History) => unknown;
  onEpochEnd?: (epoch: number, logs: EpochLogs) => unknown;
  /** Called after each batch's update; when given, fit awaits it if it returns a promise. */
  onBatchEnd?: (batch: number, logs: BatchLogs) => unknown;
}

export interface FitOptions {
  /** Passes over the data (default 1; 0 trains nothing). */
  epochs?: number;
  /** Rows per update (default 32, at most the row count); the last partial batch is trained too. */
  batchSize?: number;
  /** Reshuffle the rows every epoch (default true). */
  shuffle?: boolean;
  /** Seeds the shuffling (default: a random seed). */
  seed?: number;
  validationData?: [DataLike, DataLike];
  callbacks?: FitCallbacks;
  /** 0 silent (default), 1 one line per epoch on the console. */
  verbose?: 0 | 1;
  /**
   * A non-finite loss, or a parameter made non-finite by an update (a saturated unit can hide an infinite
   * weight from the loss): 'stop' (default) restores the weights and optimizer state from before the last
   * update (the last weights whose loss was finite, all of them finite) and rejects with
   * NonFiniteLossError; 'continue' records the loss and trains on.
   */
  onNonFinite?: 'stop' | 'continue';
}

export interface History {
  /** Epoch numbers (from 0) of the entries below. */
  epoch: number[];
  history: {
    loss: number[];
    accuracy?: number[];
    valLoss?: number[];
    valAccuracy?: number[];
    samplesPerSecond: number[];
    learningRate: number[];
  };
}

/**
 * A NaN or infinite training loss, or parameter after an update (fit's default onNonFinite: 'stop').
 * `epoch` and `batch` name the batch whose loss was not finite, or whose update made a parameter so.
 */
export class NonFiniteLossError extends Error {
  readonly epoch: number;
  readonly batch: number;
  readonly history: History;
  constructor(message: string, epoch: number, batch: number, history: History) {
    super(message);
    this.name = 'NonFiniteLossError';
    this.epoch = epoch;
    this.batch = batch;
    this.history = history;
  }
}

/**
 * The parameters and optimizer state as they were before the latest update (fit's onNonFinite 'stop').
 * The optimizer kernels refresh it while they update (they copy the old values and report whether the new
 * ones are finite in the same pass), so 'stop' costs one extra write stream per parameter, not a copy
 * pass and a scan pass (those cost 5% of W1's 1-thread training and 17% of its 2-thread training).
 */
class Snapshot {
  /** Per parameter, where its update copies the old parameter and slot values (Optimizer.update's `saved`). */
  readonly saved: SavedState[] = [];
  readonly #live: number[] = [];
  readonly #copies: number[] = [];
  readonly #bytes: number[] = [];
  #iterations = -1;

  constructor(params: readonly Tensor[], slots: readonly Tensor[][], ws: Workspace) {
    params.forEach((p, i) => {
      const copies = [p, ...slots[i]].map((t) => {
        this.#live.push(t.ptr);
        this.#bytes.push(t.size * 4);
        const copy = ws.bytes(t.size * 4);
        this.#copies.push(copy);
        return copy;
      });
      this.saved.push({ weights: copies[0], slot0: copies[1] ?? 0, slot1: copies[2] ?? 0 });
    });
  }

  /** Called before an update that passes `saved` to every parameter: its copies become the state to restore. */
  saving(optimizer: Optimizer): void {
    this.#iterations = optimizer.iterations;
  }

  /** Puts the saved state back; false when nothing was saved yet (no update was made). */
  restore(optimizer: Optimizer): boolean {
    if (this.#iterations < 0) return false;
    for (let i = 0; i < this.#live.length; i++) copyBytes(this.#live[i], this.#copies[i], this.#bytes[i]);
    optimizer.iterations = this.#iterations;
    return true;
  }
}

const DEFAULT_EVAL_BATCH = 256;
/** fit gives the event loop a turn at least this often (ms), so timers and I/O run during training. */
const YIELD_INTERVAL_MS = 20;

const shapeText = (t: Matrix): string => `[${t.rows}, ${t.cols}]`;

function checkInteger(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${what} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

function isPromise(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

interface Compiled {
  optimizer: Optimizer;
  lossName: LossName;
  metrics: string[];
  reduction: Reduction;
}

/** Data ready for a pass: x and targets (floats, or i32 class indices) in the wasm memory. */
interface Prepared {
  x: Matrix;
  targets: number;
  rows: number;
}

export class Sequential {
  readonly layers: Layer[] = [];
  /** Seed of the weight initialization (given, or drawn at random). */
  readonly seed: number;
  readonly #random: Random;
  #compiled: Compiled | null = null;
  #training = false;
  /** Set to true (e.g. from a callback) to end `fit` after the current batch, as in Keras and TensorFlow.js. */
  stopTraining = false;
  #disposed = false;

  constructor(layers: Layer[] = [], { seed }: { seed?: number } = {}) {
    if (!Array.isArray(layers)) throw new TypeError('sequential expects an array of layers');
    if (seed !== undefined && !Number.isInteger(seed)) throw new TypeError(`seed must be an integer, got ${String(seed)}`);
    this.seed = seed ?? randomSeed();
    this.#random = new Random(this.seed);
    for (const layer of layers) this.add(layer);
  }

  /** Appends a layer; builds it at once when the model's input width is known. */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) throw new TypeError(`sequential: ${String(layer)} is not a layer (use sn.layers.*)`);
    if (this.layers.length === 0 && layer.built) {
      this.layers.push(layer);
      return;
    }
    if (this.layers.length > 0 && layer.declaredInputUnits !== undefined && layer.declaredInputUnits !== this.layers[this.layers.length - 1].outputUnits) {
      throw new RangeError(`${layer.name} declares inputShape [${layer.declaredInputUnits}] but the previous layer outputs ${this.layers[this.layers.length - 1].outputUnits}`);
    }
    this.layers.push(layer);
    const width = this.layers.length === 1 ? layer.declaredInputUnits : this.layers[this.layers.length - 2].built ? this.layers[this.layers.length - 2].outputUnits : undefined;
    if (width !== undefined) layer.build(width, this.#random);
  }

  get built(): boolean {
    return this.layers.length > 0 && this.layers.every((l) => l.built);
  }

  get inputUnits(): number {
    return this.built ? this.layers[0].inputUnits : (this.layers[0]?.declaredInputUnits ?? 0);
  }

  get outputUnits(): number {
    return this.built ? this.layers[this.layers.length - 1].outputUnits : 0;
  }

  /** Builds every layer for `inputUnits` features (done by the constructor when the first layer has inputShape). */
  build(inputUnits: number): void {
    if (this.layers.length === 0) throw new Error('the model has no layers');
    let width = inputUnits;
    for (const layer of this.layers) {
      layer.build(width, this.#random);
      width = layer.outputUnits;
    }
  }

  get params(): Tensor[] {
    return this.layers.flatMap((l) => [...l.params]);
  }

  get grads(): Tensor[] {
    return this.layers.flatMap((l) => [...l.grads]);
  }

  get paramNames(): string[] {
    return this.layers.flatMap((l) => [...l.paramNames]);
  }

  /** Copies of the parameters (Keras's getWeights order: each layer's kernel then bias). */
  getWeights(): Float32Array[] {
    return this.params.map((p) => p.data.slice());
  }

  setWeights(weights: ArrayLike<number>[]): void {
    const params = this.params;
    if (!Array.isArray(weights) || weights.length !== params.length) {
      throw new RangeError(`setWeights expects ${params.length} arrays (${this.paramNames.join(', ')}), got ${Array.isArray(weights) ? weights.length : String(weights)}`);
    }
    weights.forEach((w, i) => {
      if (w === null || typeof w !== 'object' || w.length !== params[i].size) {
        throw new TypeError(`setWeights: ${this.paramNames[i]} needs ${params[i].size} values, got ${w?.length}`);
      }
    });
    weights.forEach((w, i) => params[i].data.set(w));
  }

  compile(config: CompileConfig): void {
    if (config === null || typeof config !== 'object') throw new TypeError('compile expects { optimizer, loss, metrics? }');
    if (this.layers.length === 0) throw new Error('compile: the model has no layers');
    const optimizer = resolveOptimizer(config.optimizer);
    const lossName = resolveLoss(config.loss);
    const metrics = config.metrics ?? [];
    if (!Array.isArray(metrics)) throw new TypeError('compile: metrics must be an array of names');
    const last = this.layers[this.layers.length - 1];
    const reduction = config.reduction ?? 'mean';
    makeObjective(lossName, last, metrics, reduction);
    // A new optimizer replaces the old one: free the old one's state for these weights.
    if (this.#compiled !== null && this.#compiled.optimizer !== optimizer) this.#compiled.optimizer.dispose(this.params);
    this.#compiled = { optimizer, lossName, metrics: [...metrics], reduction };
    // Optimizer state is allocated here (when built), so fit itself leaves memory() as it found it.
    if (this.built) for (const p of this.params) optimizer.slots(p);
  }

  get optimizer(): Optimizer | null {
    return this.#compiled?.optimizer ?? null;
  }

  /** The compiled loss's name (null before compile). */
  get loss(): LossName | null {
    return this.#compiled?.lossName ?? null;
  }

  /**
   * One forward and backward pass over all of x/y without an update: fills `grads` (each layer's
   * gradients of the loss, reduced as compiled) and returns the mean loss. gradCheck compares these with finite differences.
   */
  computeGradients(x: DataLike, y: DataLike): number {
    const compiled = this.#requireCompiled('computeGradients');
    const owned: Tensor[] = [];
    const ws = new Workspace();
    try {
      const data = this.#prepare(x, y, '', () => this.#objective(compiled), owned, ws);
      const obj = this.#objective(compiled);
      const plan = new Plan(this.layers, data.rows, true, ws);
      const last = this.layers.length - 1;
      const out = plan.forward(data.x.tensor.ptr, data.rows, obj.fused);
      const lossSum = lossRows(obj.loss, obj.fused, out, data.targets, data.rows, this.outputUnits, plan.outputGrads[last], obj.reduction);
      plan.backward(data.x.tensor.ptr, data.rows, obj.fused);
      return lossSum / data.rows;
    } finally {
      ws.releaseAll();
      for (const t of owned) t.dispose();
      releaseGemmScratch();
    }
  }

  /** The compiled objective: loss, reduction, and whether the loss reads the last layer's logits. */
  get objective(): Objective {
    return this.#objective(this.#requireCompiled('objective'));
  }

  #requireCompiled(what: string): Compiled {
    if (this.#compiled === null) throw new Error(`${what} called before compile(): call model.compile({ optimizer, loss }) first`);
    return this.#compiled;
  }

  #objective(compiled: Compiled): Objective {
    return makeObjective(compiled.lossName, this.layers[this.layers.length - 1], compiled.metrics, compiled.reduction);
  }

  /**
   * Converts x/y, builds the model if needed, and checks shapes and values; owned tensors go to `owned`.
   * Training data must be finite (a NaN would spread into every weight); evaluate and predict let NaN
   * through to NaN outputs.
   */
  #prepare(xData: unknown, yData: unknown, what: string, objective: (() => Objective) | null, owned: Tensor[], ws: Workspace, training = false): Prepared {
    if (this.#disposed) throw new Error('the model was disposed and cannot be used');
    const x = toMatrix(xData, `${what}x`, this.built ? this.inputUnits : this.layers[0]?.declaredInputUnits);
    if (x.owned) owned.push(x.tensor);
    if (x.rows === 0) throw new RangeError(`${what}x has no rows`);
    if (!this.built) this.build(x.cols);
    if (x.cols !== this.inputUnits) {
      throw new RangeError(`${what}x has shape ${shapeText(x)} but the first layer expects ${this.inputUnits} features per row`);
    }
    if (training) checkFinite(x, `${what}x`);
    if (objective === null) return { x, targets: 0, rows: x.rows };
    const obj = objective();
    const y = toMatrix(yData, `${what}y`, obj.sparse ? 1 : this.outputUnits);
    if (y.owned) owned.push(y.tensor);
    if (y.rows !== x.rows) {
      throw new RangeError(`${what}x has ${x.rows} rows but ${what}y has ${y.rows}: x ${shapeText(x)}, y ${shapeText(y)}`);
    }
    if (obj.sparse) return { x, targets: labelIndices(y, `${what}y`, this.outputUnits, ws), rows: x.rows };
    if (y.cols !== this.outputUnits) {
      throw new RangeError(`${what}y has shape ${shapeText(y)} but the model outputs ${this.outputUnits} values per row`);
    }
    checkFinite(y, `${what}y`);
    if (obj.loss === 'categoricalCrossentropy') checkDistributions(y, `${what}y`);
    if (obj.loss === 'binaryCrossentropy') checkUnitInterval(y, `${what}y`);
    return { x, targets: y.tensor.ptr, rows: x.rows };
  }

  /**
   * Trains the model. x/y: Tensors, nested arrays, flat typed arrays of whole rows or { data, shape };
   * or fit([{ input, output }, ...], options). Everything is checked before any weight changes.
   */
  fit(x: DataLike, y: DataLike, options?: FitOptions): Promise<History>;
  fit(pairs: readonly { input: unknown; output: unknown }[], options?: FitOptions): Promise<History>;
  async fit(x: DataLike | readonly { input: unknown; output: unknown }[], y?: DataLike | FitOptions, options?: FitOptions): Promise<History> {
    if (isPairList(x)) {
      const pairs = fromPairs(x);
      return this.fit(pairs.x, pairs.y, y as FitOptions | undefined);
    }
    const compiled = this.#requireCompiled('fit');
    const opts = options ?? {};
    if (opts === null || typeof opts !== 'object') throw new TypeError('fit options must be an object');
    const epochs = checkInteger(opts.epochs ?? 1, 'epochs', 0);
    const requestedBatch = checkInteger(opts.batchSize ?? 32, 'batchSize', 1);
    const shuffle = opts.shuffle ?? true;
    if (typeof shuffle !== 'boolean') throw new TypeError(`shuffle must be a boolean, got ${String(shuffle)}`);
    if (opts.seed !== undefined && !Number.isInteger(opts.seed)) throw new TypeError(`seed must be an integer, got ${String(opts.seed)}`);
    const onNonFinite = opts.onNonFinite ?? 'stop';
    if (onNonFinite !== 'stop' && onNonFinite !== 'continue') throw new TypeError(`onNonFinite must be 'stop' or 'continue', got ${String(onNonFinite)}`);
    const verbose = opts.verbose ?? 0;
    if (verbose !== 0 && verbose !== 1) throw new TypeError(`verbose must be 0 or 1, got ${String(verbose)}`);
    const callbacks = opts.callbacks ?? {};
    for (const [name, fn] of Object.entries(callbacks)) {
      if (!['onTrainBegin', 'onTrainEnd', 'onEpochEnd', 'onBatchEnd'].includes(name)) {
        throw new TypeError(`unknown callback '${name}'; valid: onTrainBegin, onTrainEnd, onEpochEnd, onBatchEnd`);
      }
      if (typeof fn !== 'function') throw new TypeError(`callback ${name} must be a function`);
    }
    if (opts.validationData !== undefined && (!Array.isArray(opts.validationData) || opts.validationData.length !== 2)) {
      throw new TypeError('validationData must be [x, y]');
    }
    const optimizer = compiled.optimizer;
    if (this.#training) throw new Error('fit is already running on this model: await it before starting another');

    const owned: Tensor[] = [];
    const ws = new Workspace();
    this.#training = true;
    this.stopTraining = false;
    try {
      const objective = (): Objective => this.#objective(compiled);
      const train = this.#prepare(x, y, '', objective, owned, ws, true);
      const val = opts.validationData === undefined ? null : this.#prepare(opts.validationData[0], opts.validationData[1], 'validation ', objective, owned, ws);
      const obj = objective();
      optimizer.learningRate(0); // a schedule's first value is checked before anything changes
      const params = this.params;
      const grads = this.grads;
      const slots = params.map((p) => optimizer.slots(p));
      const history: History = { epoch: [], history: { loss: [], samplesPerSecond: [], learningRate: [] } };
      if (obj.accuracy !== null) history.history.accuracy = [];
      if (val !== null) {
        history.history.valLoss = [];
        if (obj.accuracy !== null) history.history.valAccuracy = [];
      }
      if (epochs === 0) return history;

      // The plan: every buffer of the loop, once.
      const rows = train.rows;
      const batch = Math.min(requestedBatch, rows);
      const inCols = this.inputUnits;
      const outCols = this.outputUnits;
      const targetCols = obj.sparse ? 1 : outCols;
      const plan = new Plan(this.layers, batch, true, ws);
      const last = this.layers.length - 1;
      // Worker threads (and their memory) come up before the first epoch, not at its first big GEMM.
      // A layer with parameters runs GEMMs of [batch, units, inputs] and [inputs, units, batch].
      if (this.layers.some((l) => l.params.length > 0 && (gemmSplits(batch, l.outputUnits, l.inputUnits) || gemmSplits(l.inputUnits, l.outputUnits, batch)))) {
        await startWorkers();
      }
      const gathered = shuffle && batch < rows;
      const indices = gathered ? ws.elements(rows) : 0;
      const xBatch = gathered ? ws.elements(batch * inCols) : 0;
      const yBatch = gathered ? ws.elements(batch * targetCols) : 0;
      const weightPtrs = params.map((p) => p.ptr);
      const gradPtrs = grads.map((g) => g.ptr);
      const sizes = params.map((p) => p.size);
      const paramRows = params.map(leadingRows);
      const paramNames = this.paramNames;
      const slot0 = slots.map((s) => (s.length > 0 ? s[0].ptr : 0));
      const slot1 = slots.map((s) => (s.length > 1 ? s[1].ptr : 0));
      const snapshot = onNonFinite === 'stop' ? new Snapshot(params, slots, ws) : null;
      const random = new Random(opts.seed ?? randomSeed());
      const batchesPerEpoch = Math.ceil(rows / batch);
      const onBatchEnd = callbacks.onBatchEnd;
      let lastYield = performance.now();

      if (callbacks.onTrainBegin) {
        const r = callbacks.onTrainBegin();
        if (isPromise(r)) await r;
      }
      for (let epoch = 0; epoch < epochs && !this.stopTraining; epoch++) {
        const started = performance.now();
        if (gathered) {
          const heap = heapI32();
          const base = indices >>> 2;
          for (let i = 0; i < rows; i++) heap[base + i] = i;
          random.shuffle(heap, base, rows);
        }
        const epochRate = optimizer.learningRate(epoch);
        let lossSum = 0;
        let correct = 0;
        let trainedRows = 0;
        for (let b = 0; b < batchesPerEpoch && !this.stopTraining; b++) {
          const start = b * batch;
          const n = Math.min(batch, rows - start);
          let xPtr: number;
          let yPtr: number;
          if (gathered) {
            gatherRowsAt(train.x.tensor.ptr, inCols, indices + start * 4, n, xBatch);
            gatherRowsAt(train.targets, targetCols, indices + start * 4, n, yBatch);
            xPtr = xBatch;
            yPtr = yBatch;
          } else {
            xPtr = train.x.tensor.ptr + start * inCols * 4;
            yPtr = train.targets + start * targetCols * 4;
          }
          const out = plan.forward(xPtr, n, obj.fused);
          const batchLoss = lossRows(obj.loss, obj.fused, out, yPtr, n, outCols, plan.outputGrads[last], obj.reduction);
          if (!Number.isFinite(batchLoss) && snapshot !== null) {
            const restored = snapshot.restore(optimizer);
            throw new NonFiniteLossError(
              `loss is ${batchLoss} at epoch ${epoch}, batch ${b} (rows ${start}-${start + n - 1}); training stopped and the model keeps ` +
                (restored ? 'the weights from before the previous update, the last whose loss was finite' : 'its weights from before this fit (no update was made)') +
                ". Lower the learning rate, check the data, or pass onNonFinite: 'continue'",
              epoch, b, history,
            );
          }
          lossSum += batchLoss;
          trainedRows += n;
          if (obj.accuracy !== null) correct += accuracyCount(obj, out, yPtr, n, outCols);
          plan.backward(xPtr, n, obj.fused);
          const lr = b === 0 ? epochRate : optimizer.learningRate(epoch);
          snapshot?.saving(optimizer);
          optimizer.beginStep();
          // One pass per parameter updates it, saves its old values for the rollback and checks the result.
          let finite = true;
          for (let i = 0; i < weightPtrs.length; i++) {
            finite = optimizer.update(weightPtrs[i], gradPtrs[i], slot0[i], slot1[i], sizes[i], paramRows[i], lr, snapshot?.saved[i]) && finite;
          }
          if (snapshot !== null && !finite) {
            // Checked before onBatchEnd, so no callback sees a non-finite weight.
            for (let i = 0; i < weightPtrs.length; i++) {
              const at = firstNonFinite(weightPtrs[i], sizes[i]);
              if (at < 0) continue;
              const value = params[i].data[at];
              snapshot.restore(optimizer);
              throw new NonFiniteLossError(
                `parameter ${paramNames[i]} became ${value} (at index ${at}) in the update at epoch ${epoch}, batch ${b} (rows ${start}-${start + n - 1}) ` +
                  `although the loss was finite; training stopped and the model keeps the weights from before this update, the last all finite. ` +
                  "Lower the learning rate, check the data, or pass onNonFinite: 'continue'",
                epoch, b, history,
              );
            }
          }
          if (onBatchEnd !== undefined) {
            const r = onBatchEnd(b, { loss: batchLoss / n, size: n });
            if (isPromise(r)) await r;
          }
        }
        const seconds = (performance.now() - started) / 1000;
        const logs: EpochLogs = { loss: lossSum / trainedRows, samplesPerSecond: trainedRows / Math.max(seconds, 1e-9), learningRate: epochRate };
        if (obj.accuracy !== null) logs.accuracy = correct / (trainedRows * accuracyPerRow(obj, outCols));
        if (val !== null) {
          const r = plan.evaluate(obj, val.x.tensor.ptr, val.targets, val.rows);
          logs.valLoss = r.lossSum / val.rows;
          if (obj.accuracy !== null) logs.valAccuracy = r.correct / (val.rows * accuracyPerRow(obj, outCols));
        }
        history.epoch.push(epoch);
        const h = history.history;
        h.loss.push(logs.loss);
        h.samplesPerSecond.push(logs.samplesPerSecond);
        h.learningRate.push(logs.learningRate);
        if (logs.accuracy !== undefined) h.accuracy!.push(logs.accuracy);
        if (logs.valLoss !== undefined) h.valLoss!.push(logs.valLoss);
        if (logs.valAccuracy !== undefined) h.valAccuracy!.push(logs.valAccuracy);
        if (verbose === 1) console.log(formatEpoch(epoch, epochs, logs));
        if (callbacks.onEpochEnd) {
          const r = callbacks.onEpochEnd(epoch, logs);
          if (isPromise(r)) await r;
        }
        if (performance.now() - lastYield >= YIELD_INTERVAL_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
      }
      if (callbacks.onTrainEnd) {
        const r = callbacks.onTrainEnd(history);
        if (isPromise(r)) await r;
      }
      return history;
    } finally {
      this.#training = false;
      ws.releaseAll();
      for (const t of owned) t.dispose();
      releaseGemmScratch();
    }
  }

  /** Mean loss (and accuracy, if compiled with it) over x/y, computed in batches of `batchSize` rows. */
  evaluate(x: DataLike, y: DataLike, { batchSize = DEFAULT_EVAL_BATCH }: { batchSize?: number } = {}): { loss: number; accuracy?: number } {
    const compiled = this.#requireCompiled('evaluate');
    checkInteger(batchSize, 'batchSize', 1);
    const owned: Tensor[] = [];
    const ws = new Workspace();
    try {
      const data = this.#prepare(x, y, '', () => this.#objective(compiled), owned, ws);
      const obj = this.#objective(compiled);
      const plan = new Plan(this.layers, Math.min(batchSize, data.rows), false, ws);
      const r = plan.evaluate(obj, data.x.tensor.ptr, data.targets, data.rows);
      const result: { loss: number; accuracy?: number } = { loss: r.lossSum / data.rows };
      if (obj.accuracy !== null) result.accuracy = r.correct / (data.rows * accuracyPerRow(obj, this.outputUnits));
      return result;
    } finally {
      ws.releaseAll();
      for (const t of owned) t.dispose();
      releaseGemmScratch();
    }
  }

  /** The model's outputs for x as a new [rows, outputs] Tensor (the caller disposes it), in bounded batches. */
  predict(x: DataLike, { batchSize = DEFAULT_EVAL_BATCH }: { batchSize?: number } = {}): Tensor {
    checkInteger(batchSize, 'batchSize', 1);
    if (this.layers.length === 0) throw new Error('predict: the model has no layers');
    const owned: Tensor[] = [];
    const ws = new Workspace();
    try {
      const data = this.#prepare(x, undefined, '', null, owned, ws);
      const outCols = this.outputUnits;
      const result = new Tensor([data.rows, outCols]);
      const plan = new Plan(this.layers, Math.min(batchSize, data.rows), false, ws);
      const inBytes = this.inputUnits * 4;
      for (let start = 0; start < data.rows; start += plan.capacity) {
        const n = Math.min(plan.capacity, data.rows - start);
        plan.forward(data.x.tensor.ptr + start * inBytes, n, false, result.ptr + start * outCols * 4);
      }
      return result;
    } finally {
      ws.releaseAll();
      for (const t of owned) t.dispose();
      releaseGemmScratch();
    }
  }

  /** A table of the layers, their output shapes and parameter counts; printed unless `print` is false. */
  /**
   * Writes `dir/model.json` and the weights file it names (see `sn.loadModel`); a failed save leaves the old model
   * whole. The file code (src/io) is imported on first use, so the training core never loads it.
   */
  async save(dir: string, options?: { metadata?: Record<string, unknown> }): Promise<void> {
    const { saveModel } = await import('../io/model-io.js');
    return saveModel(this, dir, options);
  }

  /** Writes a TensorFlow.js layers model (`model.json` + the weights file it names) that `tf.loadLayersModel` reads. */
  async exportTfjs(dir: string): Promise<void> {
    const { exportTfjs } = await import('../io/model-io.js');
    return exportTfjs(this, dir);
  }

  summary({ print = true }: { print?: boolean } = {}): string {
    const rows: string[][] = [['Layer (type)', 'Output shape', 'Activation', 'Params']];
    let total = 0;
    for (const layer of this.layers) {
      const count = layer.params.reduce((s, p) => s + p.size, 0);
      total += count;
      rows.push([`${layer.name} (${layer.className})`, layer.built ? `[batch, ${layer.outputUnits}]` : '(not built)', layer.outputActivation, String(count)]);
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const line = (r: string[]): string => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
    const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
    const text = [line(rows[0]), rule, ...rows.slice(1).map(line), rule, `Total params: ${total}`].join('\n');
    if (print) console.log(text);
    return text;
  }

  /** Frees the weights, gradients and the optimizer's state for them. */
  dispose(): void {
    this.#compiled?.optimizer.dispose(this.params);
    for (const layer of this.layers) layer.dispose();
    this.#disposed = true;
  }
}

function formatEpoch(epoch: number, epochs: number, logs: EpochLogs): string {
  let s = `epoch ${epoch + 1}/${epochs} - loss ${logs.loss.toPrecision(4)}`;
  if (logs.accuracy !== undefined) s += ` - accuracy ${logs.accuracy.toFixed(4)}`;
  if (logs.valLoss !== undefined) s += ` - valLoss ${logs.valLoss.toPrecision(4)}`;
  if (logs.valAccuracy !== undefined) s += ` - valAccuracy ${logs.valAccuracy.toFixed(4)}`;
  return `${s} - ${Math.round(logs.samplesPerSecond)} samples/s`;
}

/** sn.sequential([...layers], { seed }): a model; weights are drawn from the seed as layers are built. */
export function sequential(layers: Layer[] = [], options: { seed?: number } = {}): Sequential {
  return new Sequential(layers, options);
}
