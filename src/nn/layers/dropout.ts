// Dropout (Srivastava et al. 2014), inverted as in Keras: in training each value is kept with probability
// 1 - rate and scaled by 1 / (1 - rate), so inference is the identity (the output is the input's memory).
// The keep decisions are a hash of (step seed, position) (assembly/dropout.ts), so a seed gives the same
// masks whatever the thread count, and the float64 reference rebuilds them exactly.
import { copyBytes, parallelRows } from '../../kernel-calls.js';
import { checkNumber, checkOptions, checkShape, type Config } from '../config.js';
import { dropoutHash32 } from '../dropout-hash.js';
import { Layer, LAYER_OPTION_KEYS, type LayerBuffers, type LayerOptions } from '../layer.js';
import type { Random } from '../random.js';

// Arguments of the current kernel call, reused (a training step makes no per-call garbage).
const args: number[] = [];

export interface DropoutOptions extends LayerOptions {
  /** Fraction of the values dropped in training, in [0, 1). */
  rate: number;
  /** Seeds the masks; otherwise drawn from the model's seed when the layer is built. */
  seed?: number;
}

export class Dropout extends Layer {
  static readonly className = 'Dropout';
  readonly rate: number;
  readonly seed: number | undefined;
  /** The seed of this layer's masks (the given one, or drawn at build), and the training steps so far. */
  #maskSeed = 0;
  #steps = 0;
  /** The seed of the last training forward's mask (what the float64 reference replays). */
  #lastStepSeed = 0;

  constructor(options: DropoutOptions) {
    const o = checkOptions(options, [...LAYER_OPTION_KEYS, 'rate', 'seed'], 'dropout');
    super(o, 'dropout');
    this.rate = checkNumber(o.rate, `${this.name}: rate`, 0, 1, true);
    if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new TypeError(`${this.name}: seed must be an integer`);
    this.seed = o.seed;
  }

  static fromConfig(config: Config): Dropout {
    return new Dropout(config as unknown as DropoutOptions);
  }

  static fromTfjs(config: Config): Dropout {
    if (config.noise_shape !== null && config.noise_shape !== undefined) throw new TypeError(`Dropout layer '${String(config.name)}' has a noise_shape, which simdnet does not support`);
    const seed = typeof config.seed === 'number' ? config.seed : undefined;
    return new Dropout({ name: config.name as string, trainable: config.trainable !== false, rate: config.rate as number, ...(seed === undefined ? {} : { seed }) });
  }

  get trainingDiffers(): boolean {
    return true;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    return checkShape(inputShape, `${this.name}: input shape`);
  }

  protected initRandom(modelRandom: Random): Random {
    this.#maskSeed = this.seed ?? modelRandom.nextUint32();
    return modelRandom;
  }

  protected ownConfig(): Config {
    return { rate: this.rate, ...(this.seed === undefined ? {} : { seed: this.seed }) };
  }

  aliasesInput(training: boolean): boolean {
    return !training;
  }

  scratchBytes(capacity: number, training: boolean): number {
    return training && this.rate > 0 ? capacity * this.inputSize * 4 : 0;
  }

  forwardPass(b: LayerBuffers, rows: number, training: boolean): void {
    const n = rows * this.inputSize;
    if (training && this.rate > 0) {
      this.#lastStepSeed = dropoutHash32(this.#maskSeed, this.#steps++);
      // Split by rows across the pool when large enough: each element's mask is keyed by its index.
      args.length = 7;
      args[0] = b.x; args[1] = b.y; args[2] = b.scratch; args[3] = n; args[4] = this.rate; args[5] = this.#lastStepSeed; args[6] = 0;
      parallelRows('dropoutForward', rows, this.inputSize, args);
    } else if (b.y !== b.x) {
      copyBytes(b.y, b.x, n * 4);
    }
  }

  backwardPass(b: LayerBuffers, rows: number): void {
    if (b.dx === 0) return;
    const n = rows * this.inputSize;
    if (this.rate > 0) {
      args.length = 4;
      args[0] = b.dy; args[1] = b.scratch; args[2] = b.dx; args[3] = n;
      parallelRows('dropoutBackward', rows, this.inputSize, args);
    } else if (b.dx !== b.dy) copyBytes(b.dx, b.dy, n * 4);
  }

  forward64(x: Float64Array, _rows: number, _weights: readonly Float64Array[], training: boolean): Float64Array {
    if (!training || this.rate === 0) return x;
    const rate = Math.fround(this.rate);
    const scale = Math.fround(1 / (1 - rate));
    // The kernel's decision: u = (hash >>> 8) * 2^-24, kept when u >= rate.
    return x.map((v, i) => ((dropoutHash32(this.#lastStepSeed, i) >>> 8) * 2 ** -24 >= rate ? v * scale : 0));
  }
}
