// The optimizer protocol. An optimizer type is one file in this folder (its options, its state slots, its
// config, its update as one fused kernel pass per parameter) plus a line in index.ts's registry. Its
// per-parameter state is a list of slots of any length, allocated once per parameter and kept until the
// optimizer or the model is disposed, so repeated fits continue where the last one stopped, as in Keras.
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

  protected constructor(learningRate: unknown, where: string) {
    this.#rate = checkLearningRate(learningRate, where);
  }

  /** A number or a schedule; may be changed at any time, also from a fit callback (the next batch uses it). */
  get learningRate(): number | LearningRateSchedule {
    return this.#rate;
  }

  set learningRate(value: number | LearningRateSchedule) {
    this.#rate = checkLearningRate(value, this.className);
  }

  /** Names of the state slots each parameter gets (['velocity'], ['m', 'v'], or none). */
  abstract get slotNames(): readonly string[];

  /** The optimizer's options as saved with a model (a schedule is saved as the rate it gives at `epoch`). */
  protected abstract ownConfig(): Config;

  getConfig(epoch = 0): Config {
    return { learningRate: this.rateAt(epoch), ...this.ownConfig() };
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

  /** State tensors of `param` (allocated, zeroed, on first use), in slotNames order. */
  slots(param: Tensor): Tensor[] {
    let s = this.#slots.get(param);
    if (s === undefined) {
      s = [];
      for (let i = 0; i < this.slotNames.length; i++) {
        const t = keep(new Tensor(param.shape));
        t.data.fill(0);
        s.push(t);
      }
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
   * Returns true when every updated value is finite.
   */
  abstract update(w: number, g: number, slots: readonly number[], n: number, rows: number, lr: number, saved: readonly number[] | null): boolean;

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
  }
}
