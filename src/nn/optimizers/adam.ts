// Adam (Kingma & Ba 2015, Algorithm 1): the bias corrections 1 - beta^t are computed here in f64 and
// passed to the kernel (assembly/optim.ts adam), split by the parameter's rows across the pool. AdamW
// (adamw.ts) is this class with a decoupled weight decay, which the same kernel applies.
import { parallelRows } from '../../kernel-calls.js';
import { checkOptions, type Config } from '../config.js';
import { checkFraction, checkRate, CLIP_OPTIONS, Optimizer, type ClipOptions, type LearningRateSchedule } from './optimizer.js';

export interface AdamOptions extends ClipOptions {
  learningRate?: number | LearningRateSchedule;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

const args: number[] = [];

/** Which member of the Adam family a constructor builds: its registry name and its options beyond Adam's. */
export interface AdamVariant {
  readonly name: string;
  readonly options: readonly string[];
}
const ADAM: AdamVariant = { name: 'adam', options: [] };

export class Adam extends Optimizer {
  readonly className: string;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  /** `variant` is for subclasses (AdamW); users pass only options. */
  constructor(options?: AdamOptions, variant: AdamVariant = ADAM) {
    const where = variant.name;
    const o = checkOptions(options, ['learningRate', 'beta1', 'beta2', 'epsilon', ...variant.options, ...CLIP_OPTIONS], where);
    super(o.learningRate ?? 0.001, o, where);
    this.className = where;
    this.beta1 = checkFraction(o.beta1 ?? 0.9, `${where} beta1`);
    this.beta2 = checkFraction(o.beta2 ?? 0.999, `${where} beta2`);
    this.epsilon = checkRate(o.epsilon ?? 1e-7, `${where} epsilon`);
  }

  get slotNames(): readonly string[] {
    return ['m', 'v'];
  }

  protected ownConfig(): Config {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  /** The factor w is multiplied by before the Adam step at rate lr: 1 (AdamW: 1 - lr * weightDecay). */
  protected keepFactor(_lr: number): number {
    return 1;
  }

  protected fusedUpdate(
    w: number, g: number, slots: readonly number[], n: number, rows: number, lr: number, saved: readonly number[] | null, gScale: number, clip: number,
  ): boolean {
    const t = this.iterations;
    args.length = 17;
    args[0] = w; args[1] = g; args[2] = slots[0]; args[3] = slots[1]; args[4] = n; args[5] = lr;
    args[6] = this.beta1; args[7] = this.beta2; args[8] = this.epsilon;
    args[9] = 1 - this.beta1 ** t; args[10] = 1 - this.beta2 ** t;
    args[11] = this.keepFactor(lr); args[12] = gScale; args[13] = clip;
    args[14] = saved === null ? 0 : saved[0]; args[15] = saved === null ? 0 : saved[1]; args[16] = saved === null ? 0 : saved[2];
    return parallelRows('adam', rows, n / rows, args) === 0;
  }
}
