// fit: the options, the epoch loop with its callbacks and history, and the event-loop turns. The step itself
// (training/step.ts) and the rollback (training/snapshot.ts) are planned once per fit.
import { gemmSplits, startWorkers, type Workspace } from '../../kernel-calls.js';
import { checkBoolean, checkInteger, checkOptions, isPlainObject } from '../config.js';
import { fromPairs, isPairList, type DataLike } from '../data.js';
import { metricKey, MetricTotals } from '../metrics.js';
import { Random, randomSeed } from '../random.js';
import type { Sequential } from '../sequential.js';
import { applyPenalties, penalizedWeights, prepare, withWorkspace, type Prepared } from './passes.js';
import { StepFailure, TrainStep } from './step.js';

/** An epoch's figures; each compiled metric under its name, and under 'val' + Name for the validation data. */
export interface EpochLogs {
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  samplesPerSecond: number;
  learningRate: number;
  [metric: string]: number | undefined;
}

export interface BatchLogs {
  loss: number;
  size: number;
}

/** Hooks called during fit; a hook that returns a promise is awaited before training goes on. */
export interface FitCallbacks {
  onTrainBegin?: () => unknown;
  onTrainEnd?: (history: History) => unknown;
  onEpochBegin?: (epoch: number) => unknown;
  onEpochEnd?: (epoch: number, logs: EpochLogs) => unknown;
  onBatchBegin?: (batch: number) => unknown;
  /** Called after each batch's update. */
  onBatchEnd?: (batch: number, logs: BatchLogs) => unknown;
}

const HOOKS = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'] as const;

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
  /** One callbacks object, or a list of them (called in order). */
  callbacks?: FitCallbacks | FitCallbacks[];
  /** 0 silent (default), 1 one line per epoch on the console. */
  verbose?: 0 | 1;
  /**
   * A non-finite loss, or a parameter made non-finite by an update (a saturated unit can hide an infinite
   * weight from the loss): 'stop' (default) restores the weights, optimizer state and moving statistics
   * from before the last update (the last weights whose loss was finite, all of them finite) and rejects
   * with NonFiniteLossError; 'continue' records the loss and trains on.
   */
  onNonFinite?: 'stop' | 'continue';
}

const FIT_KEYS = ['epochs', 'batchSize', 'shuffle', 'seed', 'validationData', 'callbacks', 'verbose', 'onNonFinite'];

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
    /** Each compiled metric, and 'val' + Name with validation data. */
    [metric: string]: number[] | undefined;
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

/** fit gives the event loop a turn at least this often (ms), so timers and I/O run during training. */
const YIELD_INTERVAL_MS = 20;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

function checkCallbacks(value: unknown): FitCallbacks[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  list.forEach((callbacks, i) => {
    const where = Array.isArray(value) ? `callbacks[${i}]` : 'callbacks';
    if (!isPlainObject(callbacks) && !(typeof callbacks === 'object' && callbacks !== null)) throw new TypeError(`${where} must be an object of hooks`);
    for (const [name, fn] of Object.entries(callbacks as object)) {
      if (!(HOOKS as readonly string[]).includes(name)) throw new TypeError(`${where}: unknown callback '${name}'; valid: ${HOOKS.join(', ')}`);
      if (typeof fn !== 'function') throw new TypeError(`${where}.${name} must be a function`);
    }
  });
  return list as FitCallbacks[];
}

/** Calls `hook` on every callbacks object that has it, awaiting promises in order. */
async function call<K extends keyof FitCallbacks>(list: readonly FitCallbacks[], hook: K, ...args: Parameters<NonNullable<FitCallbacks[K]>>): Promise<void> {
  for (const callbacks of list) {
    const fn = callbacks[hook] as ((...a: unknown[]) => unknown) | undefined;
    if (fn === undefined) continue;
    const r = fn.apply(callbacks, args);
    if (typeof r === 'object' && r !== null && typeof (r as PromiseLike<unknown>).then === 'function') await r;
  }
}

export function fitModel(model: Sequential, x: unknown, y: unknown, options: FitOptions | undefined): Promise<History> {
  if (isPairList(x)) {
    const pairs = fromPairs(x);
    return fitModel(model, pairs.x, pairs.y, y as FitOptions | undefined);
  }
  try {
    model.requireCompiled('fit');
    const opts = checkOptions(options, FIT_KEYS, 'fit');
    const settings = {
      epochs: checkInteger(opts.epochs ?? 1, 'epochs', 0),
      batchSize: checkInteger(opts.batchSize ?? 32, 'batchSize', 1),
      shuffle: checkBoolean(opts.shuffle ?? true, 'shuffle'),
      seed: opts.seed ?? randomSeed(),
      callbacks: checkCallbacks(opts.callbacks),
      verbose: opts.verbose ?? 0,
      rollback: (opts.onNonFinite ?? 'stop') === 'stop',
    };
    if (!Number.isInteger(settings.seed)) throw new TypeError(`seed must be an integer, got ${String(opts.seed)}`);
    if (opts.onNonFinite !== undefined && opts.onNonFinite !== 'stop' && opts.onNonFinite !== 'continue') {
      throw new TypeError(`onNonFinite must be 'stop' or 'continue', got ${String(opts.onNonFinite)}`);
    }
    if (settings.verbose !== 0 && settings.verbose !== 1) throw new TypeError(`verbose must be 0 or 1, got ${String(settings.verbose)}`);
    if (opts.validationData !== undefined && (!Array.isArray(opts.validationData) || opts.validationData.length !== 2)) {
      throw new TypeError('validationData must be [x, y]');
    }
    const { optimizer, objective } = model.requireCompiled('fit');
    model.lockFor('fit');
    optimizer.lock();
    const unlock = (): void => {
      optimizer.unlock();
      model.unlock();
    };
    try {
      return withWorkspace((ws, owned) => {
        const train = prepare(model, x, y, '', objective, ws, owned, true);
        const val = opts.validationData === undefined ? null : prepare(model, opts.validationData[0], opts.validationData[1], 'validation ', objective, ws, owned);
        optimizer.rateAt(0); // a schedule's first value is checked before anything changes
        return epochLoop(model, train, val, settings, ws);
      }).finally(unlock);
    } catch (e) {
      unlock();
      throw e;
    }
  } catch (e) {
    return Promise.reject(e);
  }
}

interface Settings {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  callbacks: FitCallbacks[];
  verbose: number;
  rollback: boolean;
}

async function epochLoop(model: Sequential, train: Prepared, val: Prepared | null, s: Settings, ws: Workspace): Promise<History> {
  const { objective, optimizer } = model.requireCompiled('fit');
  const history: History = { epoch: [], history: { loss: [], samplesPerSecond: [], learningRate: [] } };
  // The logs' keys beyond loss, speed and rate, in the order they are printed.
  const metricKeys = objective.metrics.map((m) => metricKey(m, false));
  if (val !== null) metricKeys.push('valLoss', ...objective.metrics.map((m) => metricKey(m, true)));
  for (const key of metricKeys) history.history[key] = [];
  model.stopTraining = false;
  if (s.epochs === 0) return history;
  const rows = train.rows;
  const batch = Math.min(s.batchSize, rows);
  const watched = [...train.userTensors, ...(val?.userTensors ?? [])];
  const step = new TrainStep(model, train, watched, batch, s.shuffle && batch < rows, s.rollback, ws);
  // Worker threads (and their memory) come up before the first epoch, not at its first big GEMM.
  // A layer with weights runs GEMMs of about [batch, outputs, inputs] and [inputs, outputs, batch].
  if (model.layers.some((l) => l.weights.length > 0 && (gemmSplits(batch, l.outputSize, l.inputSize) || gemmSplits(l.inputSize, l.outputSize, batch)))) {
    await startWorkers();
  }
  const random = new Random(s.seed);
  const batchesPerEpoch = Math.ceil(rows / batch);
  const valTotals = val === null ? null : new MetricTotals(objective, model.outputUnits, step.plan.capacity, ws);
  const hooks = { batchBegin: s.callbacks.some((c) => c.onBatchBegin), batchEnd: s.callbacks.some((c) => c.onBatchEnd) };
  let lastYield = performance.now();
  await call(s.callbacks, 'onTrainBegin');
  for (let epoch = 0; epoch < s.epochs && !model.stopTraining; epoch++) {
    await call(s.callbacks, 'onEpochBegin', epoch);
    const started = performance.now();
    step.shuffle(random);
    const epochRate = optimizer.rateAt(epoch);
    let lossSum = 0;
    step.metrics.reset();
    let trainedRows = 0;
    for (let b = 0; b < batchesPerEpoch && !model.stopTraining; b++) {
      if (hooks.batchBegin) await call(s.callbacks, 'onBatchBegin', b);
      const start = b * batch;
      const n = Math.min(batch, rows - start);
      let result;
      try {
        result = step.run(start, n, b === 0 ? epochRate : optimizer.rateAt(epoch), `epoch ${epoch}, batch ${b} (rows ${start}-${start + n - 1})`);
      } catch (e) {
        if (e instanceof StepFailure) {
          throw new NonFiniteLossError(`${e.message}. Lower the learning rate, check the data, or pass onNonFinite: 'continue'`, epoch, b, history);
        }
        throw e;
      }
      lossSum += result.lossSum;
      trainedRows += n;
      if (hooks.batchEnd) await call(s.callbacks, 'onBatchEnd', b, { loss: result.lossSum / n, size: n });
      if (performance.now() - lastYield >= YIELD_INTERVAL_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const logs: EpochLogs = { loss: lossSum / trainedRows, samplesPerSecond: trainedRows / Math.max(seconds, 1e-9), learningRate: epochRate };
    step.metrics.report(logs, false);
    if (val !== null && valTotals !== null) {
      for (const t of val.userTensors) {
        if (t.disposed) throw new Error(`epoch ${epoch}: a validation tensor given to fit (${t}) was disposed during training; fit stopped before using it`);
      }
      valTotals.reset();
      const valLossSum = step.plan.evaluate(objective, val.x.tensor.ptr, val.targets, val.rows, valTotals);
      logs.valLoss = valLossSum / val.rows + applyPenalties(penalizedWeights(model), false);
      valTotals.report(logs, true);
    }
    history.epoch.push(epoch);
    const h = history.history;
    h.loss.push(logs.loss);
    h.samplesPerSecond.push(logs.samplesPerSecond);
    h.learningRate.push(logs.learningRate);
    for (const key of metricKeys) h[key]!.push(logs[key]!);
    if (s.verbose === 1) console.log(formatEpoch(epoch, s.epochs, logs, metricKeys));
    await call(s.callbacks, 'onEpochEnd', epoch, logs);
  }
  await call(s.callbacks, 'onTrainEnd', history);
  return history;
}

function formatEpoch(epoch: number, epochs: number, logs: EpochLogs, keys: readonly string[]): string {
  let s = `epoch ${epoch + 1}/${epochs} - loss ${logs.loss.toPrecision(4)}`;
  for (const key of keys) s += ` - ${key} ${logs[key]!.toPrecision(4)}`;
  return `${s} - ${Math.round(logs.samplesPerSecond)} samples/s`;
}
