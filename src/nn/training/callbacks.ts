// fit's callbacks: the hooks a callbacks object may have, the logs they receive, and the built-ins of
// sn.callbacks (Keras's EarlyStopping, ModelCheckpoint, ReduceLROnPlateau and LearningRateScheduler, with
// Keras's semantics and TensorFlow.js's option spellings). A built-in extends Callback: fit hands it the
// model and the names its logs will have before training starts, so a bad `monitor` fails before any update.
import { checkBoolean, checkInteger, checkNumber, checkOptions } from '../config.js';
import type { Sequential } from '../sequential.js';

export interface EpochLogs {
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  samplesPerSecond: number;
  learningRate: number;
  /** TensorFlow.js's and Keras's names for the same figures (read-only aliases, not own keys). */
  readonly val_loss?: number;
  readonly acc?: number;
  readonly val_acc?: number;
  readonly val_accuracy?: number;
  readonly lr?: number;
  /** Each compiled metric under its name, and 'val' + Name for the validation data. */
  readonly [metric: string]: number | undefined;
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
  /** Called when fit gives the event loop a turn (about every 20 ms of training), as TensorFlow.js's onYield. */
  onYield?: (epoch: number, batch: number, logs: BatchLogs) => unknown;
}

export const HOOKS = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd', 'onYield'] as const;

export interface History {
  /** Epoch numbers (from 0) of the entries below. */
  epoch: number[];
  /**
   * One array per figure. TensorFlow.js's names (`val_loss`, `acc`, `val_acc`, `val_accuracy`) are aliases:
   * non-enumerable properties holding the same arrays, so nothing is stored twice.
   */
  history: {
    loss: number[];
    accuracy?: number[];
    valLoss?: number[];
    valAccuracy?: number[];
    samplesPerSecond: number[];
    learningRate: number[];
    readonly val_loss?: number[];
    readonly acc?: number[];
    readonly val_acc?: number[];
    readonly val_accuracy?: number[];
    /** Each compiled metric, and 'val' + Name with validation data. */
    [metric: string]: number[] | undefined;
  };
}

/** TensorFlow.js / Keras names of fit's figures, and simdnet's name for each (a metric's own are in tfjsMetricAliases). */
const ALIASES: Record<string, string> = {
  val_loss: 'valLoss', acc: 'accuracy', val_acc: 'valAccuracy', val_accuracy: 'valAccuracy', ce: 'crossentropy', val_ce: 'valCrossentropy', lr: 'learningRate',
};

/** The aliases (alias -> key) of a run whose figures are `keys`: the fixed ones and `metricAliases`, for keys it has. */
export function runAliases(keys: readonly string[], metricAliases: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries({ ...ALIASES, ...metricAliases }).filter(([alias, key]) => keys.includes(key) && !keys.includes(alias)));
}

/** Adds `aliases` to `target` as non-enumerable properties reading the same values (getters, for logs filled later). */
export function defineAliases(target: object, aliases: Readonly<Record<string, string>>, asGetters: boolean): void {
  for (const [alias, key] of Object.entries(aliases)) {
    Object.defineProperty(
      target,
      alias,
      asGetters ? { get: () => (target as Record<string, unknown>)[key], enumerable: false } : { value: (target as Record<string, unknown>)[key], enumerable: false },
    );
  }
}

/** A prototype for a run's epoch logs: getters for the aliases (logs.val_loss, logs.acc, logs.val_mse) over the own keys. */
export function logsPrototype(aliases: Readonly<Record<string, string>>): object {
  return Object.create(Object.prototype, Object.fromEntries(
    Object.entries(aliases).map(([alias, key]) => [alias, { get(this: Record<string, unknown>) { return this[key]; }, enumerable: false }]),
  )) as object;
}

/** simdnet's name for a monitored figure given in either spelling ('val_loss' -> 'valLoss'). */
export function monitorKey(name: string): string {
  return ALIASES[name] ?? name.replace(/_([a-zA-Z])/g, (_, c: string) => c.toUpperCase());
}

/** What fit tells a built-in callback before training: the model and the figures of its epoch logs. */
export interface TrainInfo {
  readonly model: Sequential;
  readonly epochs: number;
  readonly logKeys: readonly string[];
}

/** Base of the built-in callbacks (and of user callbacks that need the model, as Keras's Callback). */
export class Callback {
  #model: Sequential | null = null;

  /** The model being trained (set by fit before onTrainBegin). */
  get model(): Sequential {
    if (this.#model === null) throw new Error(`${this.constructor.name}: no model yet (fit sets it before onTrainBegin)`);
    return this.#model;
  }

  /** @internal Called by fit before any training: checks the callback's settings against the run. */
  attach(info: TrainInfo): void {
    this.#model = info.model;
  }
}

type Mode = 'auto' | 'min' | 'max';

/** A monitored figure and its direction: Keras's 'auto' maximizes figures named for accuracy, minimizes the rest. */
class Monitor {
  readonly name: string;
  readonly key: string;
  readonly #max: boolean;

  constructor(name: unknown, mode: unknown, where: string) {
    if (typeof name !== 'string' || name === '') throw new TypeError(`${where}: monitor must be a figure's name such as 'valLoss' or 'val_loss', got ${String(name)}`);
    if (mode !== 'auto' && mode !== 'min' && mode !== 'max') throw new TypeError(`${where}: mode must be 'auto', 'min' or 'max', got ${String(mode)}`);
    this.name = name;
    this.key = monitorKey(name);
    this.#max = mode === 'max' || (mode === 'auto' && /acc|precision|recall|auc/i.test(this.key));
  }

  get max(): boolean {
    return this.#max;
  }

  check(info: TrainInfo, where: string): void {
    if (!info.logKeys.includes(this.key)) {
      const needs = [
        ...(this.key.startsWith('val') && !info.logKeys.includes('valLoss') ? ['give fit validationData or validationSplit'] : []),
        ...(/acc/i.test(this.key) && !info.logKeys.includes('accuracy') ? ["compile with metrics: ['accuracy']"] : []),
      ];
      const hint = needs.length === 0 ? '' : ` (${needs.join('; ')})`;
      throw new RangeError(`${where}: monitor '${this.name}' is not among this fit's figures${hint}; available: ${info.logKeys.join(', ')}`);
    }
  }

  value(logs: EpochLogs, epoch: number, where: string): number {
    const v = (logs as unknown as Record<string, unknown>)[this.key];
    if (typeof v !== 'number') throw new Error(`${where}: monitor '${this.name}' is missing from the logs of epoch ${epoch}`);
    return v;
  }

  /** Keras's test: current improves on reference by more than minDelta (>= 0). */
  improves(current: number, reference: number, minDelta: number): boolean {
    return this.#max ? current - minDelta > reference : current + minDelta < reference;
  }

  get worst(): number {
    return this.#max ? -Infinity : Infinity;
  }
}

export interface EarlyStoppingOptions {
  /** The figure watched (default 'valLoss'; 'val_loss', 'val_acc', 'loss', ... accepted). */
  monitor?: string;
  /** A change smaller than this is no improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement before training stops (default 0). */
  patience?: number;
  /** 'min', 'max' or 'auto' (default: max for accuracy figures, min otherwise). */
  mode?: Mode;
  /** Training stops unless the figure beats this within `patience` epochs (default none). */
  baseline?: number;
  /** At the end of training, put back the weights of the best epoch (default false). */
  restoreBestWeights?: boolean;
  /** Print a line when training stops (0 or 1, default 0). */
  verbose?: 0 | 1;
}

/** Keras's EarlyStopping: stops fit when the monitored figure has not improved for `patience` epochs. */
export class EarlyStopping extends Callback {
  readonly monitor: Monitor;
  readonly minDelta: number;
  readonly patience: number;
  readonly baseline: number | undefined;
  readonly restoreBestWeights: boolean;
  readonly #verbose: number;
  /** The best figure so far, its epoch, the epochs since it improved and the epoch training was stopped at (-1: not stopped). */
  best = Infinity;
  bestEpoch = -1;
  wait = 0;
  stoppedEpoch = -1;
  #bestWeights: Float32Array[] | null = null;

  constructor(options?: EarlyStoppingOptions) {
    super();
    const o = checkOptions(options, ['monitor', 'minDelta', 'patience', 'mode', 'baseline', 'restoreBestWeights', 'verbose'], 'earlyStopping');
    this.monitor = new Monitor(o.monitor ?? 'valLoss', o.mode ?? 'auto', 'earlyStopping');
    this.minDelta = Math.abs(checkNumber(o.minDelta ?? 0, 'earlyStopping: minDelta'));
    this.patience = checkInteger(o.patience ?? 0, 'earlyStopping: patience', 0);
    this.baseline = o.baseline === undefined ? undefined : checkNumber(o.baseline, 'earlyStopping: baseline');
    this.restoreBestWeights = checkBoolean(o.restoreBestWeights ?? false, 'earlyStopping: restoreBestWeights');
    this.#verbose = checkVerbose(o.verbose, 'earlyStopping');
  }

  override attach(info: TrainInfo): void {
    this.monitor.check(info, 'earlyStopping');
    super.attach(info);
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = -1;
    this.best = this.monitor.worst;
    this.bestEpoch = -1;
    this.#bestWeights = null;
  }

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    const current = this.monitor.value(logs, epoch, 'earlyStopping');
    this.wait++;
    if (this.monitor.improves(current, this.best, this.minDelta)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.#bestWeights = this.model.getWeights();
      // Keras: an improvement that does not beat the baseline does not reset the patience.
      if (this.baseline === undefined || this.monitor.improves(current, this.baseline, this.minDelta)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.stoppedEpoch >= 0 && this.#verbose > 0) console.log(`epoch ${this.stoppedEpoch + 1}: early stopping`);
    // Keras 3: the best epoch's weights come back at the end of training, whether it stopped early or not.
    if (this.restoreBestWeights && this.#bestWeights !== null) {
      this.model.setWeights(this.#bestWeights);
      if (this.#verbose > 0) console.log(`restoring the weights of the best epoch, ${this.bestEpoch + 1}`);
    }
    this.#bestWeights = null;
  }
}

export interface ModelCheckpointOptions {
  /**
   * Where model.save writes (a folder or file:// URL). `{epoch}` (from 1, as Keras; `{epoch:03d}` pads) and a
   * figure such as `{valLoss}` or `{val_loss:.4f}` are replaced by the epoch's values.
   */
  path: string;
  /** The figure compared with saveBestOnly (default 'valLoss'). */
  monitor?: string;
  /** Save only when the monitored figure improves on the best so far (default false: every epoch). */
  saveBestOnly?: boolean;
  mode?: Mode;
  verbose?: 0 | 1;
}

/** Keras's ModelCheckpoint: model.save after each epoch (or each improving one); saves run one after another. */
export class ModelCheckpoint extends Callback {
  readonly path: string;
  readonly monitor: Monitor;
  readonly saveBestOnly: boolean;
  readonly #verbose: number;
  best = Infinity;
  /** The paths written, in order. */
  readonly saved: string[] = [];

  constructor(options: ModelCheckpointOptions) {
    super();
    if (options === undefined) throw new TypeError("modelCheckpoint expects { path, monitor?, saveBestOnly? }");
    const o = checkOptions(options, ['path', 'monitor', 'saveBestOnly', 'mode', 'verbose'], 'modelCheckpoint');
    if (typeof o.path !== 'string' || o.path === '') throw new TypeError(`modelCheckpoint: path must be a folder path or file:// URL, got ${String(o.path)}`);
    this.path = o.path;
    this.monitor = new Monitor(o.monitor ?? 'valLoss', o.mode ?? 'auto', 'modelCheckpoint');
    this.saveBestOnly = checkBoolean(o.saveBestOnly ?? false, 'modelCheckpoint: saveBestOnly');
    this.#verbose = checkVerbose(o.verbose, 'modelCheckpoint');
  }

  override attach(info: TrainInfo): void {
    if (this.saveBestOnly) this.monitor.check(info, 'modelCheckpoint');
    for (const [, name] of this.path.matchAll(PLACEHOLDER)) {
      if (name !== 'epoch' && !info.logKeys.includes(monitorKey(name))) throw new RangeError(`modelCheckpoint: path '${this.path}' names {${name}}, which is not among this fit's figures (${info.logKeys.join(', ')})`);
    }
    super.attach(info);
  }

  onTrainBegin(): void {
    this.best = this.monitor.worst;
  }

  /** Returns the save's promise: fit awaits it before the next epoch, so saves never overlap. */
  async onEpochEnd(epoch: number, logs: EpochLogs): Promise<void> {
    if (this.saveBestOnly) {
      const current = this.monitor.value(logs, epoch, 'modelCheckpoint');
      if (!this.monitor.improves(current, this.best, 0)) return;
      this.best = current;
    }
    const path = fillPath(this.path, epoch, logs);
    await this.model.save(path);
    this.saved.push(path);
    if (this.#verbose > 0) console.log(`epoch ${epoch + 1}: saved the model to ${path}`);
  }
}

const PLACEHOLDER = /\{(\w+)(?::(0?)(\d*)(?:\.(\d+))?([df]))?\}/g;

/** The path with {epoch} and {figure[:format]} replaced (Python's format specs 03d and .4f). */
function fillPath(path: string, epoch: number, logs: EpochLogs): string {
  return path.replace(PLACEHOLDER, (_, name: string, zero: string, width: string, decimals: string | undefined, kind: string | undefined) => {
    const value = name === 'epoch' ? epoch + 1 : ((logs as unknown as Record<string, number>)[monitorKey(name)]);
    let text = kind === 'd' ? String(Math.round(value)) : kind === 'f' ? value.toFixed(decimals === undefined ? 6 : Number(decimals)) : String(value);
    if (width !== undefined && width !== '') text = text.padStart(Number(width), zero === '0' ? '0' : ' ');
    return text;
  });
}

export interface ReduceLROnPlateauOptions {
  /** default 'valLoss' */
  monitor?: string;
  /** The learning rate is multiplied by this (in (0, 1), default 0.1). */
  factor?: number;
  /** Epochs without improvement before the rate is reduced (default 10). */
  patience?: number;
  /** The rate never goes below this (default 0). */
  minLr?: number;
  /** A change smaller than this is no improvement (default 1e-4, Keras's). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  mode?: Mode;
  verbose?: 0 | 1;
}

/** Keras's ReduceLROnPlateau: multiplies the learning rate by `factor` when the figure stops improving. */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: Monitor;
  readonly factor: number;
  readonly patience: number;
  readonly minLr: number;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly #verbose: number;
  best = Infinity;
  wait = 0;
  #cooldownLeft = 0;

  constructor(options?: ReduceLROnPlateauOptions) {
    super();
    const o = checkOptions(options, ['monitor', 'factor', 'patience', 'minLr', 'minDelta', 'cooldown', 'mode', 'verbose'], 'reduceLROnPlateau');
    this.monitor = new Monitor(o.monitor ?? 'valLoss', o.mode ?? 'auto', 'reduceLROnPlateau');
    this.factor = checkNumber(o.factor ?? 0.1, 'reduceLROnPlateau: factor', 0, 1, true);
    if (this.factor === 0) throw new RangeError('reduceLROnPlateau: factor must be > 0 and < 1, got 0');
    this.patience = checkInteger(o.patience ?? 10, 'reduceLROnPlateau: patience', 0);
    this.minLr = checkNumber(o.minLr ?? 0, 'reduceLROnPlateau: minLr', 0);
    this.minDelta = Math.abs(checkNumber(o.minDelta ?? 1e-4, 'reduceLROnPlateau: minDelta'));
    this.cooldown = checkInteger(o.cooldown ?? 0, 'reduceLROnPlateau: cooldown', 0);
    this.#verbose = checkVerbose(o.verbose, 'reduceLROnPlateau');
  }

  override attach(info: TrainInfo): void {
    this.monitor.check(info, 'reduceLROnPlateau');
    checkFixedRate(info.model, 'reduceLROnPlateau');
    super.attach(info);
  }

  onTrainBegin(): void {
    this.best = this.monitor.worst;
    this.wait = 0;
    this.#cooldownLeft = 0;
  }

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    const current = this.monitor.value(logs, epoch, 'reduceLROnPlateau');
    if (this.#cooldownLeft > 0) {
      this.#cooldownLeft--;
      this.wait = 0;
    }
    if (this.monitor.improves(current, this.best, this.minDelta)) {
      this.best = current;
      this.wait = 0;
      return;
    }
    if (this.#cooldownLeft > 0) return;
    this.wait++;
    if (this.wait < this.patience) return;
    const optimizer = this.model.optimizer!;
    const old = optimizer.rateAt(epoch + 1);
    // Keras compares in float32: a rate already at minLr is left alone.
    if (Math.fround(old) > Math.fround(this.minLr)) {
      optimizer.learningRate = Math.max(old * this.factor, this.minLr);
      this.#cooldownLeft = this.cooldown;
      this.wait = 0;
      if (this.#verbose > 0) console.log(`epoch ${epoch + 1}: reducing the learning rate to ${optimizer.rateAt(epoch + 1)}`);
    }
  }
}

/** Keras's LearningRateScheduler: before each epoch, the rate becomes schedule(epoch, currentRate). */
export class LearningRateScheduler extends Callback {
  readonly schedule: (epoch: number, learningRate: number) => number;
  readonly #verbose: number;

  constructor(schedule: (epoch: number, learningRate: number) => number, options?: { verbose?: 0 | 1 }) {
    super();
    if (typeof schedule !== 'function') throw new TypeError('learningRateScheduler expects a function (epoch, learningRate) => learningRate');
    this.schedule = schedule;
    this.#verbose = checkVerbose(checkOptions(options, ['verbose'], 'learningRateScheduler').verbose, 'learningRateScheduler');
  }

  override attach(info: TrainInfo): void {
    checkFixedRate(info.model, 'learningRateScheduler');
    super.attach(info);
  }

  onEpochBegin(epoch: number): void {
    const optimizer = this.model.optimizer!;
    const rate = this.schedule(epoch, optimizer.rateAt(epoch));
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0) {
      throw new RangeError(`learningRateScheduler: the schedule returned ${String(rate)} for epoch ${epoch}: it must return a finite number > 0`);
    }
    optimizer.learningRate = rate;
    if (this.#verbose > 0) console.log(`epoch ${epoch + 1}: learning rate ${rate}`);
  }
}

/** Keras: a callback that sets the learning rate cannot work on an optimizer whose rate is a schedule. */
function checkFixedRate(model: Sequential, where: string): void {
  if (typeof model.optimizer?.learningRate === 'function') {
    throw new TypeError(`${where}: the optimizer's learning rate is a schedule, which this callback would replace; give the optimizer a number`);
  }
}

function checkVerbose(value: unknown, where: string): number {
  if (value === undefined) return 0;
  if (value !== 0 && value !== 1) throw new TypeError(`${where}: verbose must be 0 or 1, got ${String(value)}`);
  return value;
}

/** sn.callbacks: the built-in callbacks, named as TensorFlow.js's tf.callbacks. */
export const callbacks = {
  earlyStopping: (options?: EarlyStoppingOptions): EarlyStopping => new EarlyStopping(options),
  modelCheckpoint: (options: ModelCheckpointOptions): ModelCheckpoint => new ModelCheckpoint(options),
  reduceLROnPlateau: (options?: ReduceLROnPlateauOptions): ReduceLROnPlateau => new ReduceLROnPlateau(options),
  learningRateScheduler: (schedule: (epoch: number, learningRate: number) => number, options?: { verbose?: 0 | 1 }): LearningRateScheduler => new LearningRateScheduler(schedule, options),
};
