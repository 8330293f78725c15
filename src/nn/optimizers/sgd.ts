// SGD, plain or with momentum (Keras's velocity form): v = mu v - lr g; w += v, Nesterov w += mu v - lr g.
// Kernels: assembly/optim.ts sgd / sgdMomentum, split by the parameter's rows across the pool.
import { parallelRows } from '../../kernel-calls.js';
import { checkBoolean, checkOptions, type Config } from '../config.js';
import { checkFraction, CLIP_OPTIONS, Optimizer, type ClipOptions, type LearningRateSchedule } from './optimizer.js';

export interface SgdOptions extends ClipOptions {
  learningRate?: number | LearningRateSchedule;
  momentum?: number;
  nesterov?: boolean;
}

// Arguments of the current call, reused (a training step makes no per-call garbage).
const args: number[] = [];

export class Sgd extends Optimizer {
  readonly className = 'sgd';
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(options?: SgdOptions) {
    const o = checkOptions(options, ['learningRate', 'momentum', 'nesterov', ...CLIP_OPTIONS], 'sgd');
    super(o.learningRate ?? 0.01, o, 'sgd');
    this.momentum = checkFraction(o.momentum ?? 0, 'sgd momentum');
    this.nesterov = checkBoolean(o.nesterov ?? false, 'sgd nesterov');
    if (this.nesterov && this.momentum === 0) throw new RangeError('sgd nesterov needs momentum > 0');
  }

  get updatesInGemm(): boolean {
    return this.momentum === 0 && this.clipNorm === undefined && this.clipValue === undefined;
  }

  get slotNames(): readonly string[] {
    return this.momentum === 0 ? [] : ['velocity'];
  }

  protected ownConfig(): Config {
    return { momentum: this.momentum, nesterov: this.nesterov };
  }

  protected fusedUpdate(
    w: number, g: number, slots: readonly number[], n: number, rows: number, lr: number, saved: readonly number[] | null, gScale: number, clip: number,
  ): boolean {
    if (this.momentum === 0) {
      args.length = 7;
      args[0] = w; args[1] = g; args[2] = n; args[3] = lr; args[4] = gScale; args[5] = clip; args[6] = saved === null ? 0 : saved[0];
      return parallelRows('sgd', rows, n / rows, args) === 0;
    }
    args.length = 11;
    args[0] = w; args[1] = g; args[2] = slots[0]; args[3] = n; args[4] = lr; args[5] = this.momentum; args[6] = this.nesterov ? 1 : 0;
    args[7] = gScale; args[8] = clip; args[9] = saved === null ? 0 : saved[0]; args[10] = saved === null ? 0 : saved[1];
    return parallelRows('sgdMomentum', rows, n / rows, args) === 0;
  }
}
