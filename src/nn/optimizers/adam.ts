// Adam (Kingma & Ba 2015, Algorithm 1): the bias corrections 1 - beta^t are computed here in f64 and
// passed to the kernel (assembly/optim.ts adam), split by the parameter's rows across the pool.
import { parallelRows } from '../../kernel-calls.js';
import { checkOptions, type Config } from '../config.js';
import { checkFraction, checkRate, Optimizer, type LearningRateSchedule } from './optimizer.js';

export interface AdamOptions {
  learningRate?: number | LearningRateSchedule;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

const args: number[] = [];

export class Adam extends Optimizer {
  readonly className = 'adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(options?: AdamOptions) {
    const o = checkOptions(options, ['learningRate', 'beta1', 'beta2', 'epsilon'], 'adam');
    super(o.learningRate ?? 0.001, 'adam');
    this.beta1 = checkFraction(o.beta1 ?? 0.9, 'adam beta1');
    this.beta2 = checkFraction(o.beta2 ?? 0.999, 'adam beta2');
    this.epsilon = checkRate(o.epsilon ?? 1e-7, 'adam epsilon');
  }

  get slotNames(): readonly string[] {
    return ['m', 'v'];
  }

  protected ownConfig(): Config {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  update(w: number, g: number, slots: readonly number[], n: number, rows: number, lr: number, saved: readonly number[] | null): boolean {
    const t = this.iterations;
    args.length = 14;
    args[0] = w; args[1] = g; args[2] = slots[0]; args[3] = slots[1]; args[4] = n; args[5] = lr;
    args[6] = this.beta1; args[7] = this.beta2; args[8] = this.epsilon;
    args[9] = 1 - this.beta1 ** t; args[10] = 1 - this.beta2 ** t;
    args[11] = saved === null ? 0 : saved[0]; args[12] = saved === null ? 0 : saved[1]; args[13] = saved === null ? 0 : saved[2];
    return parallelRows('adam', rows, n / rows, args) === 0;
  }
}
