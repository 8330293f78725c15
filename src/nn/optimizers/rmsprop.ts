// RMSprop (Hinton 2012, Lecture 6e), with Keras's and TensorFlow.js's options and defaults: rho 0.9,
// momentum 0, epsilon 1e-7 (inside the square root, as both write it), centered false (Graves 2013).
// Kernel: assembly/optim.ts rmsprop, split by the parameter's rows across the pool.
import { parallelRows } from '../../kernel-calls.js';
import { checkBoolean, checkOptions, type Config } from '../config.js';
import { checkFraction, checkRate, CLIP_OPTIONS, Optimizer, type ClipOptions, type LearningRateSchedule } from './optimizer.js';

export interface RmspropOptions extends ClipOptions {
  learningRate?: number | LearningRateSchedule;
  /** Decay of the moving mean of squared gradients (TensorFlow.js calls it `decay`). */
  rho?: number;
  momentum?: number;
  epsilon?: number;
  /** Divide by the estimated variance (mean square minus squared mean gradient) instead of the mean square. */
  centered?: boolean;
}

const args: number[] = [];

export class Rmsprop extends Optimizer {
  readonly className = 'rmsprop';
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;
  readonly #slotNames: readonly string[];

  constructor(options?: RmspropOptions) {
    const o = checkOptions(options, ['learningRate', 'rho', 'momentum', 'epsilon', 'centered', ...CLIP_OPTIONS], 'rmsprop');
    super(o.learningRate ?? 0.001, o, 'rmsprop');
    this.rho = checkFraction(o.rho ?? 0.9, 'rmsprop rho');
    this.momentum = checkFraction(o.momentum ?? 0, 'rmsprop momentum');
    this.epsilon = checkRate(o.epsilon ?? 1e-7, 'rmsprop epsilon');
    this.centered = checkBoolean(o.centered ?? false, 'rmsprop centered');
    this.#slotNames = ['meanSquare', ...(this.momentum > 0 ? ['momentum'] : []), ...(this.centered ? ['meanGradient'] : [])];
  }

  get slotNames(): readonly string[] {
    return this.#slotNames;
  }

  protected ownConfig(): Config {
    return { rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }

  protected fusedUpdate(
    w: number, g: number, slots: readonly number[], n: number, rows: number, lr: number, saved: readonly number[] | null, gScale: number, clip: number,
  ): boolean {
    // Slot positions in slotNames order: meanSquare, then momentum and meanGradient when present.
    const mom = this.momentum > 0 ? 1 : 0;
    const meanGrad = this.centered ? mom + 1 : 0;
    args.length = 16;
    args[0] = w; args[1] = g; args[2] = slots[0]; args[3] = mom === 0 ? 0 : slots[mom]; args[4] = meanGrad === 0 ? 0 : slots[meanGrad];
    args[5] = n; args[6] = lr; args[7] = this.rho; args[8] = this.momentum; args[9] = this.epsilon; args[10] = gScale; args[11] = clip;
    args[12] = saved === null ? 0 : saved[0];
    args[13] = saved === null ? 0 : saved[1];
    args[14] = saved === null || mom === 0 ? 0 : saved[mom + 1];
    args[15] = saved === null || meanGrad === 0 ? 0 : saved[meanGrad + 1];
    return parallelRows('rmsprop', rows, n / rows, args) === 0;
  }
}
