// fit: the options, the epoch loop with its callbacks and history, and the event-loop turns. The step itself
// (training/step.ts), the rollback (training/snapshot.ts) and the per-row loss weights (sample-weights.ts)
// are planned once per fit; the hooks, logs and built-in callbacks are in callbacks.ts.
import { gemmSplits, startWorkers } from '../../kernel-calls.js';
import type { Workspace } from '../../workspace.js';
import { checkBoolean, checkInteger, checkOptions } from '../config.js';
import { fromPairs, isPairList, type DataLike } from '../data.js';
import { metricKey, MetricTotals, tfjsMetricAliases } from '../metrics.js';
import { Random, randomSeed } from '../random.js';
import type { Sequential } from '../sequential.js';
import { targetColsOf, type Objective } from '../objective.js';
import { Callback, defineAliases, HOOKS, logsPrototype, runAliases, type BatchLogs, type EpochLogs, type FitCallbacks, type History } from './callbacks.js';
import { applyPenalties, penalizedWeights, prepare, withWorkspace, type Prepared } from './passes.js';
import { Progress, type ProgressOutput } from './progress.js';
import { sampleWeightBlock, type ClassWeight } from './sample-weights.js';
import { StepFailure, TrainStep, type StepPlace, type StepResult } from './step.js';

export type { BatchLogs, EpochLogs, FitCallbacks, History } from './callbacks.js';

export interface FitOptions {
  /** The epoch to stop before (default 1; training runs epochs initialEpoch..epochs-1, as in Keras). */
  epochs?: number;
  /**
   * The epoch to start from (default 0), to resume a training: schedules, callbacks and the history see
   * the true epoch numbers, and with the same seed each epoch shuffles as it would in one straight run.
   */
  initialEpoch?: number;
  /** Rows per update (default 32, at most the row count); the last partial batch is trained too. */
  batchSize?: number;
  /** Reshuffle the rows every epoch (default true). */
  shuffle?: boolean;
  /** Seeds the shuffling (default: a random seed). */
  seed?: number;
  validationData?: [DataLike, DataLike];
  /**
   * Keep the last fraction of the rows (in (0, 1)) out of training to validate on, taken before shuffling
   * as in Keras (x and y are not copied). Not with validationData.
   */
  validationSplit?: number;
  /** A loss weight per class, { classIndex: weight } (Keras's class_weight); every class in y needs one. */
  classWeight?: ClassWeight;
  /** A loss weight per row of x (multiplied by classWeight's when both are given). */
  sampleWeight?: DataLike;
  /** One callbacks object (a built-in of sn.callbacks, or an object of hooks), or a list of them called in order. */
  callbacks?: FitCallbacks | FitCallbacks[];
  /** 0 silent (default); 1 a progress bar on a terminal, one line per epoch otherwise; 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  /**
   * A non-finite loss, or a parameter made non-finite by an update (a saturated unit can hide an infinite
   * weight from the loss): 'stop' (default) restores the weights, optimizer state and moving statistics
   * from before the last update (the last weights whose loss was finite, all of them finite) and rejects
   * with NonFiniteLossError; 'continue' records the loss and trains on.
   */
  onNonFinite?: 'stop' | 'continue';
  /** TensorFlow.js's option: only 'auto', what simdnet does (a turn of the event loop every ~20 ms of training). */
  yieldEvery?: 'auto';
}

const FIT_KEYS = ['epochs', 'initialEpoch', 'batchSize', 'shuffle', 'seed', 'validationData', 'validationSplit', 'classWeight', 'sampleWeight', 'callbacks', 'verbose', 'onNonFinite', 'yieldEvery'];

/** tfjs's yieldEvery: simdnet's turns are tfjs's 'auto'; another setting is refused, not ignored. */
export function checkYieldEvery(value: unknown, where: string): void {
  if (value === undefined || value === 'auto') return;
  throw new TypeError(
    `${where}: yieldEvery ${JSON.stringify(value)} is not supported: simdnet gives the event loop a turn every ~20 ms of training ` +
      "(tfjs's 'auto'; onYield is called then); pass 'auto' or leave it out",
  );
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

/** Gives the event loop a turn when YIELD_INTERVAL_MS passed since the last one (fit, fitDataset, evaluateDataset). */
export class EventLoopTurns {
  #last = performance.now();
  /** Whether YIELD_INTERVAL_MS have passed since the last turn: a check, where an async call made a promise per batch. */
  due(): boolean {
    return performance.now() - this.#last >= YIELD_INTERVAL_MS;
  }

  /** Gives the event loop its turn. */
  async take(): Promise<void> {
    await yieldToEventLoop();
    this.#last = performance.now();
  }
}

/** Where fit's step is, for its errors: one object updated every step, made text only when a message needs it. */
class BatchPlace implements StepPlace {
  epoch = 0;
  batch = 0;
  start = 0;
  rows = 0;

  toString(): string {
    return `epoch ${this.epoch}, batch ${this.batch} (rows ${this.start}-${this.start + this.rows - 1})`;
  }
}

export function checkCallbacks(value: unknown): FitCallbacks[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  list.forEach((callbacks, i) => {
    const where = Array.isArray(value) ? `callbacks[${i}]` : 'callbacks';
    if (typeof callbacks !== 'object' || callbacks === null) throw new TypeError(`${where} must be a callback (sn.callbacks.*) or an object of hooks, got ${callbacks === null ? 'null' : typeof callbacks}`);
    if (Object.getPrototypeOf(callbacks) !== Object.prototype && Object.getPrototypeOf(callbacks) !== null) {
      // An instance of a class: its own fields are its state; a method named like a hook must be one.
      for (let proto = Object.getPrototypeOf(callbacks); proto !== null && proto !== Object.prototype && proto !== Callback.prototype; proto = Object.getPrototypeOf(proto)) {
        for (const name of Object.getOwnPropertyNames(proto)) {
          if (/^on[A-Z]/.test(name) && !(HOOKS as readonly string[]).includes(name)) throw new TypeError(`${where}: unknown callback '${name}'; valid: ${HOOKS.join(', ')}`);
        }
      }
      return;
    }
    for (const [name, fn] of Object.entries(callbacks as object)) {
      if (!(HOOKS as readonly string[]).includes(name)) throw new TypeError(`${where}: unknown callback '${name}'; valid: ${HOOKS.join(', ')}`);
      if (typeof fn !== 'function') throw new TypeError(`${where}.${name} must be a function`);
    }
  });
  return list as FitCallbacks[];
}

function checkValidationSplit(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !(value > 0 && value < 1)) throw new RangeError(`validationSplit must be a number > 0 and < 1, got ${String(value)}`);
  return value;
}

/** Where verbose output goes: process.stdout where there is one (Node, Bun, Deno's node compatibility), else the console. */
/** The epoch lines (and, with verbose 1 on a terminal, the bar) of fit and fitDataset; null when silent. */
export function progressFor(verbose: number): Progress | null {
  return verbose === 0 ? null : new Progress(progressOutput(verbose));
}

function progressOutput(verbose: number): ProgressOutput {
  const stdout = (globalThis as { process?: { stdout?: ProgressOutput } }).process?.stdout;
  const write = stdout !== undefined && typeof stdout.write === 'function' ? (text: string) => void stdout.write(text) : (text: string) => console.log(text.replace(/\n$/, ''));
  return { write, isTTY: verbose === 1 && stdout?.isTTY === true, columns: stdout?.columns };
}

/** Splits off the last rows of `data` for validation (Keras: the last fraction, before shuffling), sharing its memory. */
function splitRows(data: Prepared, split: number, targetCols: number): [Prepared, Prepared] {
  const trainRows = Math.floor(data.rows * (1 - split));
  const valRows = data.rows - trainRows;
  if (trainRows < 1 || valRows < 1) {
    throw new RangeError(`validationSplit ${split} of ${data.rows} rows leaves ${trainRows} rows to train on and ${valRows} to validate on; each needs at least one`);
  }
  return [
    { ...data, rows: trainRows },
    { ...data, rows: valRows, firstRow: trainRows, targets: data.targets + trainRows * targetCols * 4, userTensors: [] },
  ];
}

/** Calls `hook` on every callbacks object that has it, awaiting promises in order. */
export async function call<K extends keyof FitCallbacks>(list: readonly FitCallbacks[], hook: K, ...args: Parameters<NonNullable<FitCallbacks[K]>>): Promise<void> {
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
    checkYieldEvery(opts.yieldEvery, 'fit');
    const settings = {
      epochs: checkInteger(opts.epochs ?? 1, 'epochs', 0),
      initialEpoch: checkInteger(opts.initialEpoch ?? 0, 'initialEpoch', 0),
      batchSize: checkInteger(opts.batchSize ?? 32, 'batchSize', 1),
      shuffle: checkBoolean(opts.shuffle ?? true, 'shuffle'),
      seed: opts.seed ?? randomSeed(),
      callbacks: checkCallbacks(opts.callbacks),
      verbose: opts.verbose ?? 0,
      rollback: (opts.onNonFinite ?? 'stop') === 'stop',
      validationSplit: checkValidationSplit(opts.validationSplit),
    };
    if (!Number.isInteger(settings.seed)) throw new TypeError(`seed must be an integer, got ${String(opts.seed)}`);
    if (opts.onNonFinite !== undefined && opts.onNonFinite !== 'stop' && opts.onNonFinite !== 'continue') {
      throw new TypeError(`onNonFinite must be 'stop' or 'continue', got ${String(opts.onNonFinite)}`);
    }
    if (settings.verbose !== 0 && settings.verbose !== 1 && settings.verbose !== 2) throw new TypeError(`verbose must be 0, 1 or 2, got ${String(settings.verbose)}`);
    if (opts.validationData !== undefined && (!Array.isArray(opts.validationData) || opts.validationData.length !== 2)) {
      throw new TypeError('validationData must be [x, y]');
    }
    if (opts.validationData !== undefined && settings.validationSplit > 0) throw new TypeError('give fit validationData or validationSplit, not both');
    const { optimizer, objective } = model.requireCompiled('fit');
    model.lockFor('fit');
    optimizer.lock();
    const unlock = (): void => {
      optimizer.unlock();
      model.unlock();
    };
    try {
      return withWorkspace((ws, owned) => {
        const all = prepare(model, x, y, '', objective, ws, owned, true);
        let train = all;
        let val = opts.validationData === undefined ? null : prepare(model, opts.validationData[0], opts.validationData[1], 'validation ', objective, ws, owned);
        if (settings.validationSplit > 0) [train, val] = splitRows(all, settings.validationSplit, targetColsOf(objective, model.outputUnits));
        const weights = sampleWeightBlock(opts.sampleWeight, opts.classWeight, all, train.rows, objective, model.outputUnits, ws, owned);
        optimizer.rateAt(settings.initialEpoch); // a schedule's first value is checked before anything changes
        return epochLoop(model, train, val, settings, ws, weights);
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
  initialEpoch: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  callbacks: FitCallbacks[];
  verbose: number;
  rollback: boolean;
  validationSplit: number;
}

/**
 * An empty history with an array per figure of a fit with these metrics (and validation data), the logs'
 * keys beyond loss, speed and rate, in the order they are printed, and a new epoch logs object's prototype
 * (fit and fitDataset). TensorFlow.js's names (val_loss, acc, val_mse, ...) read the same arrays and values.
 */
export function newHistory(objective: Objective, withValidation: boolean): { history: History; keys: string[]; logs: () => EpochLogs } {
  const history: History = { epoch: [], history: { loss: [], samplesPerSecond: [], learningRate: [] } };
  const keys = objective.metrics.map((m) => metricKey(m, false));
  if (withValidation) keys.push('valLoss', ...objective.metrics.map((m) => metricKey(m, true)));
  for (const key of keys) history.history[key] = [];
  const aliases = runAliases(Object.keys(history.history), tfjsMetricAliases(objective.metrics, withValidation));
  defineAliases(history.history, Object.fromEntries(Object.entries(aliases).filter(([alias]) => alias !== 'lr')), false);
  const prototype = logsPrototype(aliases);
  return { history, keys, logs: () => Object.create(prototype) as EpochLogs };
}

/** Appends one epoch's logs to the history, and shows them when `progress` is given (fit and fitDataset). */
export function recordEpoch(history: History, keys: readonly string[], epoch: number, epochs: number, logs: EpochLogs, progress: Progress | null, samples: number, seconds: number): void {
  history.epoch.push(epoch);
  const h = history.history;
  h.loss.push(logs.loss);
  h.samplesPerSecond.push(logs.samplesPerSecond);
  h.learningRate.push(logs.learningRate);
  for (const key of keys) h[key]!.push(logs[key]!);
  progress?.endEpoch({
    epoch: epoch + 1, epochs, loss: logs.loss, accuracy: logs.accuracy, valLoss: logs.valLoss, valAccuracy: logs.valAccuracy, samples, seconds,
  });
}

/**
 * One step (fit and fitDataset); a StepFailure becomes the NonFiniteLossError that carries the history.
 * `nextRows`: see TrainStep.run.
 */
export function trainStep(step: TrainStep, start: number, n: number, lr: number, where: StepPlace, history: History, nextRows = 0): StepResult {
  try {
    return step.run(start, n, lr, where, nextRows);
  } catch (e) {
    if (e instanceof StepFailure) {
      throw new NonFiniteLossError(`${e.message}. Lower the learning rate, check the data, or pass onNonFinite: 'continue'`, where.epoch, where.batch, history);
    }
    throw e;
  }
}

async function epochLoop(model: Sequential, train: Prepared, val: Prepared | null, s: Settings, ws: Workspace, weights: number): Promise<History> {
  const { objective, optimizer } = model.requireCompiled('fit');
  const { history, keys, logs: newLogs } = newHistory(objective, val !== null);
  const figures = Object.keys(history.history);
  // Built-in callbacks check their settings (a monitored figure this fit has) before anything trains.
  for (const c of s.callbacks) if (c instanceof Callback) c.attach({ model, epochs: s.epochs, logKeys: figures });
  model.stopTraining = false;
  if (s.initialEpoch >= s.epochs) return history;
  const rows = train.rows;
  const batch = Math.min(s.batchSize, rows);
  const watched = [...train.userTensors, ...(val?.userTensors ?? [])];
  const step = new TrainStep(model, train, watched, batch, s.shuffle && batch < rows, s.rollback, ws, weights);
  const progress = progressFor(s.verbose);
  // Worker threads (and their memory) come up before the first epoch, not at its first big GEMM.
  // A layer with weights runs GEMMs of about [batch, outputs, inputs] and [inputs, outputs, batch].
  if (model.layers.some((l) => l.weights.length > 0 && (gemmSplits(batch, l.outputSize, l.inputSize) || gemmSplits(l.inputSize, l.outputSize, batch)))) {
    await startWorkers();
  }
  // One stream of shuffles from the seed; a fit resumed at initialEpoch first replays the shuffles of the
  // epochs before it (one pass over the row indices each), so its epochs get the orders of one straight run.
  const random = new Random(s.seed);
  for (let epoch = 0; epoch < s.initialEpoch; epoch++) step.shuffle(random);
  const batchesPerEpoch = Math.ceil(rows / batch);
  const valTotals = val === null ? null : new MetricTotals(objective, model.outputUnits, step.plan.capacity, ws);
  const hooks = { batchBegin: s.callbacks.some((c) => c.onBatchBegin), batchEnd: s.callbacks.some((c) => c.onBatchEnd), yielded: s.callbacks.some((c) => c.onYield) };
  const batchLogs: BatchLogs = { loss: 0, size: 0 };
  const turns = new EventLoopTurns();
  const place = new BatchPlace();
  await call(s.callbacks, 'onTrainBegin');
  try {
    for (let epoch = s.initialEpoch; epoch < s.epochs && !model.stopTraining; epoch++) {
      await call(s.callbacks, 'onEpochBegin', epoch);
      progress?.startEpoch();
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
        const nextRows = b + 1 < batchesPerEpoch ? Math.min(batch, rows - start - n) : 0;
        place.epoch = epoch;
        place.batch = b;
        place.start = start;
        place.rows = n;
        const result = trainStep(step, start, n, b === 0 ? epochRate : optimizer.rateAt(epoch), place, history, nextRows);
        lossSum += result.lossSum;
        trainedRows += n;
        if (hooks.batchEnd) await call(s.callbacks, 'onBatchEnd', b, { loss: result.lossSum / n, size: n });
        progress?.batch(epoch + 1, s.epochs, trainedRows, rows, lossSum / trainedRows);
        if (turns.due()) {
          await turns.take();
          if (hooks.yielded) {
            batchLogs.loss = result.lossSum / n;
            batchLogs.size = n;
            await call(s.callbacks, 'onYield', epoch, b, batchLogs);
          }
        }
      }
      const seconds = (performance.now() - started) / 1000;
      // Logs read TensorFlow.js's names too (logs.val_loss, logs.acc) through the prototype's getters.
      const logs: EpochLogs = Object.assign(newLogs(), {
        loss: lossSum / trainedRows, samplesPerSecond: trainedRows / Math.max(seconds, 1e-9), learningRate: epochRate,
      });
      step.metrics.report(logs, false);
      if (val !== null && valTotals !== null) {
        for (const t of val.userTensors) {
          if (t.disposed) throw new Error(`epoch ${epoch}: a validation tensor given to fit (${t}) was disposed during training; fit stopped before using it`);
        }
        valTotals.reset();
        const valLossSum = step.plan.evaluate(objective, val.x.tensor.ptr + (val.firstRow ?? 0) * model.inputUnits * 4, val.targets, val.rows, valTotals);
        logs.valLoss = valLossSum / val.rows + applyPenalties(penalizedWeights(model), false);
        valTotals.report(logs, true);
      }
      recordEpoch(history, keys, epoch, s.epochs, logs, progress, trainedRows, seconds);
      await call(s.callbacks, 'onEpochEnd', epoch, logs);
    }
  } finally {
    // A batch gathered in the background for a step that did not run (stopTraining, a callback threw).
    step.settle();
  }
  await call(s.callbacks, 'onTrainEnd', history);
  return history;
}
