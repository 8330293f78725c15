// The optimizer protocol. An optimizer type is one file in this folder (its options, its state slots, its
// config, its update as one fused kernel pass per parameter) plus a line in index.ts's registry. Its
// per-parameter state is a list of slots of any length, allocated once per parameter and kept until the
// optimizer or the model is disposed, so repeated fits continue where the last one stopped, as in Keras.
// Every optimizer clips its gradients (clipNorm, clipValue) inside its kernel pass; see update().
import { allocate, heapF64, parallelRows, release } from '../../kernel-calls.js';
import { keep, Tensor } from '../../tensor.js';
import type { Config } from '../config.js';

/** A learning rate as a function of the optimizer's step count (from 0) and the current epoch (from 0). */
export type LearningRateSchedule = (iteration: number, epoch: number) => number;

export function checkRate(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${what} must be a finite number > 0, got ${String(value)}`);
  }
  return value;
}

function checkLearningRate(value: unknown, where: string): number | LearningRateSchedule {
  return typeof value === 'function' ? (value as LearningRateSchedule) : checkRate(value, `${where} learningRate`);
}

export function checkFraction(value: unknown, what: string): number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number in [0, 1), got ${JSON.stringify(value)}`);
  if (!(value >= 0 && value < 1)) throw new RangeError(`${what} must be in [0, 1), got ${value}`);
  return value;
}

/** The options every optimizer takes besides its own (Keras's clipnorm and clipvalue). */
export const CLIP_OPTIONS = ['clipNorm', 'clipValue'] as const;

export interface ClipOptions {
  /** Rescale each gradient tensor whose L2 norm exceeds this to that norm (Keras clipnorm). */
  clipNorm?: number;
  /** Clip each gradient element to [-clipValue, clipValue] (Keras clipvalue), after clipNorm. */
  clipValue?: number;
}

/** The saved state of one parameter's slot: `${parameter name}/${slot name}`. */
export interface SlotState {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

const normArgs: number[] = [];

/**
 * The rows a parameter's update may be split by: a weight matrix's first axis (the rows of its gradient's
 * GEMM, which the thread pool splits the same way); 1 for a vector.
 */
export function leadingRows(param: Tensor): number {
  return param.rank >= 2 ? param.shape[0] : 1;
}

export abstract class Optimizer {
  /** The registry name ('sgd', 'adam'): what a saved model records. */
  abstract readonly className: string;
  /** Updates applied so far (Adam's bias correction and the schedules count these). */
  iterations = 0;
  #rate: number | LearningRateSchedule;
  readonly #slots = new Map<Tensor, Tensor[]>();
  #locks = 0;
  /** Undefined when not clipping. */
  readonly clipNorm: number | undefined;
  readonly clipValue: number | undefined;
  /** clipNorm's per-row sums of squares (f64), grown to the most rows seen; 0 until first needed. */
  #rowSums = 0;
  #rowSumsCapacity = 0;

  /** `options`: the subclass's checked options (their clipNorm and clipValue are read here). */
  protected constructor(learningRate: unknown, options: ClipOptions, where: string) {
    this.#rate = checkLearningRate(learningRate, where);
    this.clipNorm = options.clipNorm === undefined ? undefined : checkRate(options.clipNorm, `${where} clipNorm`);
    this.clipValue = options.clipValue === undefined ? undefined : checkRate(options.clipValue, `${where} clipValue`);
  }

  /** A number or a schedule; may be changed at any time, also from a fit callback (the next batch uses it). */
  get learningRate(): number | LearningRateSchedule {
    return this.#rate;
  }

  set learningRate(value: number | LearningRateSchedule) {
    this.#rate = checkLearningRate(value, this.className);
  }

  /**
   * True when an update is w -= lr * g and nothing else (plain SGD, no clipping): fit may then apply it to a
   * layer's kernel in the GEMM that computes its gradient (KernelUpdate in ../layer.ts).
   */
  get updatesInGemm(): boolean {
    return false;
  }

  /** Names of the state slots each parameter gets (['velocity'], ['m', 'v'], or none). */
  abstract get slotNames(): readonly string[];

  /** The optimizer's options as saved with a model (a schedule is saved as the rate it gives at `epoch`). */
  protected abstract ownConfig(): Config;

  getConfig(epoch = 0): Config {
    const config: Config = { learningRate: this.rateAt(epoch), ...this.ownConfig() };
    if (this.clipNorm !== undefined) config.clipNorm = this.clipNorm;
    if (this.clipValue !== undefined) config.clipValue = this.clipValue;
    return config;
  }

  /** The rate of the next update at `epoch`; a schedule returning a bad value is an error. */
  rateAt(epoch: number): number {
    const rate = this.#rate;
    if (typeof rate === 'number') return rate;
    const value = rate(this.iterations, epoch);
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new RangeError(`learning-rate schedule returned ${String(value)} at iteration ${this.iterations}, epoch ${epoch}: must be a finite number > 0`);
    }
    return value;
  }

  /** The value slot `slot` starts from (0; Adagrad's accumulator starts from initialAccumulatorValue). */
  protected initialSlotValue(_slot: number): number {
    return 0;
  }

  /** State tensors of `param` (allocated and initialized on first use), in slotNames order. */
  slots(param: Tensor): Tensor[] {
    let s = this.#slots.get(param);
    if (s === undefined) {
      s = [];
      for (let i = 0; i < this.slotNames.length; i++) {
        const t = keep(new Tensor(param.shape));
        t.data.fill(this.initialSlotValue(i));
        s.push(t);
      }
      // clipNorm's per-row sums are state too: allocated with the slots, so a training step allocates nothing.
      if (this.clipNorm !== undefined) this.#reserveRowSums(leadingRows(param));
      this.#slots.set(param, s);
    }
    return s;
  }

  /** One update: params[i] -= step(grads[i]). The layer protocol's hand loop calls this after backward. */
  applyGradients(params: readonly Tensor[], grads: readonly Tensor[], epoch = 0): void {
    if (params.length !== grads.length) throw new RangeError(`applyGradients: ${params.length} parameters but ${grads.length} gradients`);
    for (let i = 0; i < params.length; i++) {
      if (!(params[i] instanceof Tensor) || !(grads[i] instanceof Tensor)) throw new TypeError(`applyGradients: entry ${i} is not a Tensor`);
      if (params[i].size !== grads[i].size) {
        throw new RangeError(`applyGradients: parameter ${i} has shape [${params[i].shape.join(', ')}], its gradient [${grads[i].shape.join(', ')}]`);
      }
    }
    const lr = this.rateAt(epoch);
    this.iterations++;
    for (let i = 0; i < params.length; i++) {
      this.update(params[i].ptr, grads[i].ptr, this.slots(params[i]).map((t) => t.ptr), params[i].size, leadingRows(params[i]), lr, null);
    }
  }

  /**
   * Pointer-level update of one parameter of n floats (`rows` rows: see leadingRows) with its gradient and
   * state slots (pointers in slotNames order), at step `this.iterations` (counted before the call). With
   * `saved` ([weights copy, slot copies...]), the old values are copied there first (fit's rollback).
   * Returns true when every updated value is finite. The gradient is read, never written: clipping happens
   * as the kernel reads it.
   */
  update(w: number, g: number, slots: readonly number[], n: number, rows: number, lr: number, saved: readonly number[] | null): boolean {
    const gScale = this.clipNorm === undefined ? 1 : this.#normScale(g, n, rows, this.clipNorm);
    return this.fusedUpdate(w, g, slots, n, rows, lr, saved, gScale, this.clipValue ?? Infinity);
  }

  /**
   * The optimizer's kernel pass (update's arguments), reading each gradient element as
   * clamp(g * gScale, -clip, clip).
   */
  protected abstract fusedUpdate(
    w: number, g: number, slots: readonly number[], n: number, rows: number, lr: number, saved: readonly number[] | null, gScale: number, clip: number,
  ): boolean;

  /**
   * Keras's clip_by_norm factor: clipNorm / ||g|| when the norm exceeds clipNorm, else 1. The per-row sums
   * of squares are split across threads by rows and added here in row order, so the factor has the same
   * bits whatever the thread count. A NaN norm gives 1 (the NaN reaches the weights and is reported).
   */
  #normScale(g: number, n: number, rows: number, clipNorm: number): number {
    this.#reserveRowSums(rows);
    normArgs.length = 4;
    normArgs[0] = g; normArgs[1] = this.#rowSums; normArgs[2] = rows; normArgs[3] = n / rows;
    parallelRows('sumSquaresRows', rows, n / rows, normArgs);
    const sums = heapF64();
    const base = this.#rowSums >>> 3;
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += sums[base + r];
    const norm = Math.sqrt(sum);
    return norm > clipNorm ? clipNorm / norm : 1;
  }

  #reserveRowSums(rows: number): void {
    if (rows <= this.#rowSumsCapacity) return;
    const ptr = allocate(rows * 8);
    if (this.#rowSums !== 0) release(this.#rowSums);
    this.#rowSums = ptr;
    this.#rowSumsCapacity = rows;
  }

  /** The state of `params` (named `names`), copied now: each slot as `${name}/${slot name}`, in order. */
  stateOf(params: readonly Tensor[], names: readonly string[]): SlotState[] {
    return params.flatMap((p, i) =>
      this.slots(p).map((t, k) => ({ name: `${names[i]}/${this.slotNames[k]}`, shape: [...p.shape], values: t.data.slice() })),
    );
  }

  /**
   * Restores a saved state (stateOf's list and the step count) for `params` named `names`. Everything is
   * checked (names, order, shapes) before anything changes; errors name `where` and the slot.
   */
  restoreState(params: readonly Tensor[], names: readonly string[], iterations: number, state: readonly SlotState[], where: string): void {
    if (!Number.isInteger(iterations) || iterations < 0) throw new RangeError(`${where}: optimizer iterations must be a whole number >= 0, got ${String(iterations)}`);
    const expected = params.flatMap((p, i) => this.slotNames.map((slot) => ({ name: `${names[i]}/${slot}`, size: p.size })));
    if (state.length !== expected.length) {
      throw new RangeError(`${where}: the ${this.className} optimizer state lists ${state.length} slots, the model's parameters need ${expected.length} (${expected.map((e) => e.name).join(', ') || 'none'})`);
    }
    expected.forEach((e, j) => {
      if (state[j].name !== e.name) throw new RangeError(`${where}: optimizer slot ${j} is '${state[j].name}', expected '${e.name}'`);
      if (state[j].values.length !== e.size) throw new RangeError(`${where}: optimizer slot '${e.name}' holds ${state[j].values.length} values, its parameter ${e.size}`);
    });
    let j = 0;
    for (const p of params) for (const t of this.slots(p)) t.data.set(state[j++].values);
    this.iterations = iterations;
  }

  /** While a fit runs with this optimizer it is locked: dispose() is refused (its state is in use). */
  lock(): void {
    this.#locks++;
  }

  unlock(): void {
    this.#locks--;
  }

  /** Frees the state of `params` (a model's dispose), or of every parameter when omitted. */
  dispose(params?: readonly Tensor[]): void {
    if (this.#locks > 0) throw new Error(`optimizer ${this.className} is in use by a running fit: dispose it after fit resolves`);
    const keys = params ?? [...this.#slots.keys()];
    for (const p of keys) {
      for (const t of this.#slots.get(p) ?? []) t.dispose();
      this.#slots.delete(p);
    }
    if (this.#slots.size === 0 && this.#rowSums !== 0) {
      release(this.#rowSums);
      this.#rowSums = 0;
      this.#rowSumsCapacity = 0;
    }
  }
}
