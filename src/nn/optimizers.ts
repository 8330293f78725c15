// Optimizers update parameters in place with the optim kernels. Their per-parameter state (momentum
// velocity, Adam moments) is allocated once per parameter and kept until dispose(), so repeated fits
// continue where the last one stopped, as in Keras.
import { Tensor } from '../tensor.js';
import { adamStep, sgdMomentumStep, sgdStep } from './ops.js';

/** A learning rate as a function of the optimizer's step count (from 0) and the current epoch (from 0). */
export type LearningRateSchedule = (iteration: number, epoch: number) => number;

function checkRate(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${what} must be a finite number > 0, got ${String(value)}`);
  }
  return value;
}

function checkFraction(value: unknown, what: string, allowZero: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value >= 1 || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`${what} must be in ${allowZero ? '[0, 1)' : '(0, 1)'}, got ${String(value)}`);
  }
  return value;
}

export const schedules = {
  /** lr = initial * factor^floor(epoch / everyEpochs): "step decay" annealing (e.g. halve every 5 epochs). */
  stepDecay({ initialLearningRate, factor = 0.5, everyEpochs = 10 }: { initialLearningRate: number; factor?: number; everyEpochs?: number }): LearningRateSchedule {
    checkRate(initialLearningRate, 'stepDecay initialLearningRate');
    checkRate(factor, 'stepDecay factor');
    if (!Number.isInteger(everyEpochs) || everyEpochs < 1) throw new RangeError(`stepDecay everyEpochs must be an integer >= 1, got ${everyEpochs}`);
    return (_iteration, epoch) => initialLearningRate * factor ** Math.floor(epoch / everyEpochs);
  },
  /** lr = initial * decayRate^(iteration / decaySteps), floored exponent when staircase (Keras ExponentialDecay). */
  exponentialDecay({ initialLearningRate, decaySteps, decayRate, staircase = false }: { initialLearningRate: number; decaySteps: number; decayRate: number; staircase?: boolean }): LearningRateSchedule {
    checkRate(initialLearningRate, 'exponentialDecay initialLearningRate');
    checkRate(decaySteps, 'exponentialDecay decaySteps');
    checkRate(decayRate, 'exponentialDecay decayRate');
    return (iteration) => initialLearningRate * decayRate ** (staircase ? Math.floor(iteration / decaySteps) : iteration / decaySteps);
  },
};

/** Where an update copies the old values of a parameter and of its state slots (0 = a slot it lacks). */
export interface SavedState {
  weights: number;
  slot0: number;
  slot1: number;
}

/**
 * The rows a parameter's update may be split by: a weight matrix's first axis (the rows of its gradient's
 * GEMM, which the thread pool splits the same way); 1 for a vector.
 */
export function leadingRows(param: Tensor): number {
  return param.rank >= 2 ? param.shape[0] : 1;
}

export abstract class Optimizer {
  abstract readonly name: string;
  /** Updates applied so far (Adam's bias correction and the schedules count these). */
  iterations = 0;
  readonly #rate: number | LearningRateSchedule;
  readonly #slots = new Map<Tensor, Tensor[]>();

  protected constructor(learningRate: number | LearningRateSchedule) {
    if (typeof learningRate !== 'function') checkRate(learningRate, 'learningRate');
    this.#rate = learningRate;
  }

  /** Number of state tensors per parameter. */
  protected abstract get slotCount(): number;

  /** The rate of the next update at `epoch`; a schedule returning a bad value is an error. */
  learningRate(epoch: number): number {
    if (typeof this.#rate === 'number') return this.#rate;
    const value = this.#rate(this.iterations, epoch);
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new RangeError(`learning-rate schedule returned ${String(value)} at iteration ${this.iterations}, epoch ${epoch}: must be a finite number > 0`);
    }
    return value;
  }

  /** State tensors of `param` (allocated, zeroed, on first use). */
  slots(param: Tensor): Tensor[] {
    let s = this.#slots.get(param);
    if (s === undefined) {
      s = [];
      for (let i = 0; i < this.slotCount; i++) {
        const t = new Tensor(param.shape);
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
    const lr = this.learningRate(epoch);
    this.iterations++;
    for (let i = 0; i < params.length; i++) {
      const s = this.slots(params[i]);
      this.update(params[i].ptr, grads[i].ptr, s.length > 0 ? s[0].ptr : 0, s.length > 1 ? s[1].ptr : 0, params[i].size, leadingRows(params[i]), lr);
    }
  }

  /** Counts one update; fit calls it once per batch, then update() for each parameter. */
  beginStep(): void {
    this.iterations++;
  }

  /**
   * Pointer-level update of one parameter of n floats (`rows` rows: see leadingRows) with its gradient and
   * state slots. When `saved` is given, the old parameter and slot values are copied to saved[0..2] first
   * (fit's onNonFinite rollback). Returns true when every updated value of the parameter is finite.
   */
  abstract update(w: number, g: number, slot0: number, slot1: number, n: number, rows: number, lr: number, saved?: SavedState): boolean;

  /** Frees the state of `params` (a model's dispose), or of every parameter when omitted. */
  dispose(params?: readonly Tensor[]): void {
    const keys = params ?? [...this.#slots.keys()];
    for (const p of keys) {
      for (const t of this.#slots.get(p) ?? []) t.dispose();
      this.#slots.delete(p);
    }
  }
}

export interface SgdConfig {
  learningRate?: number | LearningRateSchedule;
  momentum?: number;
  nesterov?: boolean;
}

/** w -= lr g; with momentum v = mu v - lr g, w += v (nesterov: w += mu v - lr g), as Keras SGD. */
export class Sgd extends Optimizer {
  readonly name = 'sgd';
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor({ learningRate = 0.01, momentum = 0, nesterov = false }: SgdConfig = {}) {
    super(learningRate);
    this.momentum = checkFraction(momentum, 'sgd momentum', true);
    if (typeof nesterov !== 'boolean') throw new TypeError(`sgd nesterov must be a boolean, got ${String(nesterov)}`);
    if (nesterov && momentum === 0) throw new RangeError('sgd nesterov needs momentum > 0');
    this.nesterov = nesterov;
  }

  protected get slotCount(): number {
    return this.momentum === 0 ? 0 : 1;
  }

  update(w: number, g: number, velocity: number, _unused: number, n: number, rows: number, lr: number, saved?: SavedState): boolean {
    if (this.momentum === 0) return sgdStep(w, g, n, rows, lr, saved?.weights);
    return sgdMomentumStep(w, g, velocity, n, rows, lr, this.momentum, this.nesterov, saved?.weights, saved?.slot0);
  }
}

export interface AdamConfig {
  learningRate?: number | LearningRateSchedule;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Kingma & Ba 2015, Algorithm 1, with bias corrections 1 - beta^t passed to the kernel. */
export class Adam extends Optimizer {
  readonly name = 'adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor({ learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7 }: AdamConfig = {}) {
    super(learningRate);
    this.beta1 = checkFraction(beta1, 'adam beta1', true);
    this.beta2 = checkFraction(beta2, 'adam beta2', true);
    this.epsilon = checkRate(epsilon, 'adam epsilon');
  }

  protected get slotCount(): number {
    return 2;
  }

  update(w: number, g: number, m: number, v: number, n: number, rows: number, lr: number, saved?: SavedState): boolean {
    return adamStep(w, g, m, v, n, rows, lr, this.beta1, this.beta2, this.epsilon, this.iterations, saved?.weights, saved?.slot0, saved?.slot1);
  }
}

export const optimizers = {
  sgd: (config: SgdConfig = {}): Sgd => new Sgd(config),
  adam: (config: AdamConfig = {}): Adam => new Adam(config),
  schedules,
};

const OPTIMIZER_NAMES = ['sgd', 'adam'];

export function resolveOptimizer(spec: unknown): Optimizer {
  if (spec instanceof Optimizer) return spec;
  if (spec === 'sgd') return new Sgd();
  if (spec === 'adam') return new Adam();
  throw new TypeError(`unknown optimizer '${String(spec)}'; valid: ${OPTIMIZER_NAMES.join(', ')} (or sn.optimizers.sgd(...) / adam(...))`);
}
