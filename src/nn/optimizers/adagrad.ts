// Adagrad (Duchi, Hazan & Singer 2011), with Keras's and TensorFlow.js's options and defaults: the
// accumulator of squared gradients starts at initialAccumulatorValue 0.1, epsilon 1e-7 inside the root.
// Kernel: assembly/optim.ts adagrad, split by the parameter's rows across the pool.
import { parallelRows } from '../../kernel-calls.js';
import { checkOptions, type Config } from '../config.js';
import { checkRate, CLIP_OPTIONS, Optimizer, type ClipOptions, type LearningRateSchedule } from './optimizer.js';

export interface AdagradOptions extends ClipOptions {
  learningRate?: number | LearningRateSchedule;
  initialAccumulatorValue?: number;
  epsilon?: number;
}

const args: number[] = [];

export class Adagrad extends Optimizer {
  readonly className = 'adagrad';
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;

  constructor(options?: AdagradOptions) {
    const o = checkOptions(options, ['learningRate', 'initialAccumulatorValue', 'epsilon', ...CLIP_OPTIONS], 'adagrad');
    super(o.learningRate ?? 0.001, o, 'adagrad');
    const initial = o.initialAccumulatorValue ?? 0.1;
    if (typeof initial !== 'number' || !Number.isFinite(initial) || initial < 0) {
      throw new RangeError(`adagrad initialAccumulatorValue must be a finite number >= 0, got ${String(initial)}`);
    }
    this.initialAccumulatorValue = initial;
    this.epsilon = checkRate(o.epsilon ?? 1e-7, 'adagrad epsilon');
  }

  get slotNames(): readonly string[] {
    return ['accumulator'];
  }

  protected initialSlotValue(): number {
    return this.initialAccumulatorValue;
  }

  protected ownConfig(): Config {
    return { initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon };
  }

  protected fusedUpdate(
    w: number, g: number, slots: readonly number[], n: number, rows: number, lr: number, saved: readonly number[] | null, gScale: number, clip: number,
  ): boolean {
    args.length = 10;
    args[0] = w; args[1] = g; args[2] = slots[0]; args[3] = n; args[4] = lr; args[5] = this.epsilon; args[6] = gScale; args[7] = clip;
    args[8] = saved === null ? 0 : saved[0]; args[9] = saved === null ? 0 : saved[1];
    return parallelRows('adagrad', rows, n / rows, args) === 0;
  }
}
