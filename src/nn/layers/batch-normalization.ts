// BatchNormalization over the last axis (Ioffe & Szegedy 2015), with Keras's and tfjs-layers' semantics:
// in training, each channel is normalized by the batch's mean and (biased) variance over every other axis,
// then scaled by gamma and shifted by beta, and the moving statistics move toward the batch's
// (moving -= (moving - batch) * (1 - momentum)); in inference the moving statistics normalize.
// Kernels: assembly/batchnorm.ts. As in tfjs-layers, trainable: false freezes gamma and beta only.
import { kernels, parallelRows } from '../../kernel-calls.js';
import { checkBoolean, checkNumber, checkOptions, checkShape, type Config } from '../config.js';
import { initializerConfig, initializerFromTfjs, initializers, initializerToTfjs, resolveInitializer, type Initializer } from '../initializers.js';
import { Layer, LAYER_OPTION_KEYS, type LayerBuffers, type LayerOptions, type TfjsLayerJson, type WeightDeclaration } from '../layer.js';
import { regularizerFromTfjs, regularizerToTfjs, resolveRegularizer, type Regularizer } from '../regularizers.js';

// Arguments of the current normalize call, reused (no per-call garbage).
const args: number[] = [];

/** y = gamma (x - mean) / sqrt(variance + epsilon) + beta over n rows of c channels, split by rows across the pool. */
function normalize(x: number, y: number, n: number, c: number, mean: number, variance: number, gamma: number, beta: number, epsilon: number): void {
  args.length = 9;
  args[0] = x; args[1] = y; args[2] = n; args[3] = c; args[4] = mean; args[5] = variance; args[6] = gamma; args[7] = beta; args[8] = epsilon;
  parallelRows('batchNormForward', n, c, args);
}

/** Byte offsets of the layer's weights and gradients by role (0: absent, or no gradient wanted). */
interface RolePointers {
  gamma: number;
  beta: number;
  movingMean: number;
  movingVariance: number;
  dgamma: number;
  dbeta: number;
}

export interface BatchNormalizationOptions extends LayerOptions {
  /** The normalized axis: -1 (the last, channels-last), or its positive index counting the batch axis. */
  axis?: number;
  /** Default 0.99. */
  momentum?: number;
  /** Added to the variance (default 1e-3). */
  epsilon?: number;
  /** Learn a shift beta (default true). */
  center?: boolean;
  /** Learn a scale gamma (default true). */
  scale?: boolean;
  betaInitializer?: Initializer | string;
  gammaInitializer?: Initializer | string;
  movingMeanInitializer?: Initializer | string;
  movingVarianceInitializer?: Initializer | string;
  betaRegularizer?: Regularizer | null;
  gammaRegularizer?: Regularizer | null;
}

const KEYS = [
  ...LAYER_OPTION_KEYS, 'axis', 'momentum', 'epsilon', 'center', 'scale', 'betaInitializer', 'gammaInitializer',
  'movingMeanInitializer', 'movingVarianceInitializer', 'betaRegularizer', 'gammaRegularizer',
];

export class BatchNormalization extends Layer {
  static readonly className = 'BatchNormalization';
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  readonly movingMeanInitializer: Initializer;
  readonly movingVarianceInitializer: Initializer;
  readonly betaRegularizer: Regularizer | null;
  readonly gammaRegularizer: Regularizer | null;

  constructor(options: BatchNormalizationOptions = {}) {
    const o = checkOptions(options, KEYS, 'batchNormalization');
    super(o, 'batchNormalization');
    this.axis = o.axis ?? -1;
    if (!Number.isInteger(this.axis) || (this.axis < 1 && this.axis !== -1)) throw new RangeError(`${this.name}: axis must be -1 or a positive axis index, got ${String(o.axis)}`);
    this.momentum = checkNumber(o.momentum ?? 0.99, `${this.name}: momentum`, 0, 1);
    this.epsilon = checkNumber(o.epsilon ?? 1e-3, `${this.name}: epsilon`, 0);
    if (this.epsilon <= 0) throw new RangeError(`${this.name}: epsilon must be > 0, got ${this.epsilon}`);
    this.center = checkBoolean(o.center ?? true, `${this.name}: center`);
    this.scale = checkBoolean(o.scale ?? true, `${this.name}: scale`);
    this.betaInitializer = resolveInitializer(o.betaInitializer ?? initializers.zeros(), `${this.name}: betaInitializer`);
    this.gammaInitializer = resolveInitializer(o.gammaInitializer ?? initializers.ones(), `${this.name}: gammaInitializer`);
    this.movingMeanInitializer = resolveInitializer(o.movingMeanInitializer ?? initializers.zeros(), `${this.name}: movingMeanInitializer`);
    this.movingVarianceInitializer = resolveInitializer(o.movingVarianceInitializer ?? initializers.ones(), `${this.name}: movingVarianceInitializer`);
    this.betaRegularizer = resolveRegularizer(o.betaRegularizer, `${this.name}: betaRegularizer`);
    this.gammaRegularizer = resolveRegularizer(o.gammaRegularizer, `${this.name}: gammaRegularizer`);
  }

  static fromConfig(config: Config): BatchNormalization {
    return new BatchNormalization(config as BatchNormalizationOptions);
  }

  static fromTfjs(config: Config, where: string): BatchNormalization {
    const axis = Array.isArray(config.axis) && config.axis.length === 1 ? config.axis[0] : config.axis;
    return new BatchNormalization({
      name: config.name as string,
      trainable: config.trainable !== false,
      axis: (axis ?? -1) as number,
      momentum: (config.momentum ?? 0.99) as number,
      epsilon: (config.epsilon ?? 1e-3) as number,
      center: config.center !== false,
      scale: config.scale !== false,
      betaInitializer: initializerFromTfjs(config.beta_initializer, initializers.zeros()),
      gammaInitializer: initializerFromTfjs(config.gamma_initializer, initializers.ones()),
      movingMeanInitializer: initializerFromTfjs(config.moving_mean_initializer, initializers.zeros()),
      movingVarianceInitializer: initializerFromTfjs(config.moving_variance_initializer, initializers.ones()),
      betaRegularizer: regularizerFromTfjs(config.beta_regularizer, `${where}: ${String(config.name)}.beta_regularizer`),
      gammaRegularizer: regularizerFromTfjs(config.gamma_regularizer, `${where}: ${String(config.name)}.gamma_regularizer`),
    });
  }

  get trainingDiffers(): boolean {
    return true;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    const shape = checkShape(inputShape, `${this.name}: input shape`);
    if (this.axis !== -1 && this.axis !== shape.length) {
      throw new RangeError(`${this.name}: axis ${this.axis} is not the last axis of input [null, ${shape.join(', ')}]; simdnet normalizes the last (channels-last) axis`);
    }
    return shape;
  }

  weightDeclarations(inputShape: readonly number[]): WeightDeclaration[] {
    const channels = [inputShape[inputShape.length - 1]];
    const out: WeightDeclaration[] = [];
    if (this.scale) out.push({ name: 'gamma', shape: channels, init: this.gammaInitializer, regularizer: this.gammaRegularizer });
    if (this.center) out.push({ name: 'beta', shape: channels, init: this.betaInitializer, regularizer: this.betaRegularizer });
    out.push({ name: 'moving_mean', shape: channels, init: this.movingMeanInitializer, trainable: false });
    out.push({ name: 'moving_variance', shape: [...channels], init: this.movingVarianceInitializer, trainable: false });
    return out;
  }

  protected ownConfig(): Config {
    return {
      axis: this.axis, momentum: this.momentum, epsilon: this.epsilon, center: this.center, scale: this.scale,
      betaInitializer: initializerConfig(this.betaInitializer), gammaInitializer: initializerConfig(this.gammaInitializer),
      movingMeanInitializer: initializerConfig(this.movingMeanInitializer), movingVarianceInitializer: initializerConfig(this.movingVarianceInitializer),
      betaRegularizer: this.betaRegularizer === null ? null : { ...this.betaRegularizer },
      gammaRegularizer: this.gammaRegularizer === null ? null : { ...this.gammaRegularizer },
    };
  }

  toTfjs(): TfjsLayerJson[] {
    return [{
      class_name: 'BatchNormalization',
      config: {
        name: this.name, trainable: this.trainable, dtype: 'float32', axis: this.axis, momentum: this.momentum, epsilon: this.epsilon,
        center: this.center, scale: this.scale,
        beta_initializer: initializerToTfjs(this.betaInitializer), gamma_initializer: initializerToTfjs(this.gammaInitializer),
        moving_mean_initializer: initializerToTfjs(this.movingMeanInitializer), moving_variance_initializer: initializerToTfjs(this.movingVarianceInitializer),
        beta_regularizer: regularizerToTfjs(this.betaRegularizer), gamma_regularizer: regularizerToTfjs(this.gammaRegularizer),
        beta_constraint: null, gamma_constraint: null,
      },
    }];
  }

  get #channels(): number {
    return this.inputShape[this.inputShape.length - 1];
  }

  /** Pointers of the weights by role, refilled per pass without allocating (gamma and beta may be absent: 0). */
  readonly #p: RolePointers = { gamma: 0, beta: 0, movingMean: 0, movingVariance: 0, dgamma: 0, dbeta: 0 };

  /** The weights in weightDeclarations' order: gamma (with scale), beta (with center), moving mean, moving variance. */
  #pointers(): RolePointers {
    const w = this.weights;
    const p = this.#p;
    let i = 0;
    const gamma = this.scale ? w[i++] : null;
    const beta = this.center ? w[i++] : null;
    p.gamma = gamma === null ? 0 : gamma.tensor.ptr;
    p.beta = beta === null ? 0 : beta.tensor.ptr;
    p.movingMean = w[i].tensor.ptr;
    p.movingVariance = w[i + 1].tensor.ptr;
    p.dgamma = this.trainable && gamma !== null ? gamma.grad!.ptr : 0;
    p.dbeta = this.trainable && beta !== null ? beta.grad!.ptr : 0;
    return p;
  }

  /** Scratch: the batch mean and variance (kept for backward), and gradient sums nobody needs (frozen or absent gamma/beta). */
  scratchBytes(_capacity: number, training: boolean): number {
    return training ? 4 * this.#channels * 4 : 0;
  }

  forwardPass(b: LayerBuffers, rows: number, training: boolean): void {
    const c = this.#channels;
    const n = (rows * this.inputSize) / c;
    const p = this.#pointers();
    if (!training) {
      normalize(b.x, b.y, n, c, p.movingMean, p.movingVariance, p.gamma, p.beta, this.epsilon);
      return;
    }
    const mean = b.scratch;
    const variance = b.scratch + c * 4;
    kernels.batchNormStats(b.x, n, c, mean, variance);
    normalize(b.x, b.y, n, c, mean, variance, p.gamma, p.beta, this.epsilon);
    kernels.batchNormMovingUpdate(p.movingMean, p.movingVariance, mean, variance, c, this.momentum);
  }

  backwardPass(b: LayerBuffers, rows: number): void {
    const c = this.#channels;
    const n = (rows * this.inputSize) / c;
    const p = this.#pointers();
    const spare = b.scratch + 2 * c * 4;
    kernels.batchNormBackward(b.x, b.dy, b.dx, n, c, b.scratch, b.scratch + c * 4, p.gamma, this.epsilon, p.dgamma || spare, p.dbeta || spare + c * 4);
  }

  forward64(x: Float64Array, rows: number, weights: readonly Float64Array[], training: boolean): Float64Array {
    const c = this.#channels;
    const n = (rows * this.inputSize) / c;
    let at = 0;
    const gamma = this.scale ? weights[at++] : null;
    const beta = this.center ? weights[at++] : null;
    let mean = weights[at++];
    let variance = weights[at];
    if (training) {
      mean = new Float64Array(c);
      variance = new Float64Array(c);
      for (let r = 0; r < n; r++) for (let j = 0; j < c; j++) mean[j] += x[r * c + j] / n;
      for (let r = 0; r < n; r++) for (let j = 0; j < c; j++) variance[j] += (x[r * c + j] - mean[j]) ** 2 / n;
    }
    const y = new Float64Array(x.length);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < c; j++) {
        const normalized = (x[r * c + j] - mean[j]) / Math.sqrt(variance[j] + this.epsilon);
        y[r * c + j] = (gamma === null ? 1 : gamma[j]) * normalized + (beta === null ? 0 : beta[j]);
      }
    }
    return y;
  }
}
