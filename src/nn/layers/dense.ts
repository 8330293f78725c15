// Dense: y = act(x W + b) over the last axis, W [in, units] (the Keras layout), b [units]. An input of
// rank > 1 per sample ([steps, in]) applies the same W to every position, as tfjs-layers does.
import type { Tensor } from '../../tensor.js';
import { gemm, gemmPackBytes, kernels } from '../../kernel-calls.js';
import { activation64, activationConfig, activationGradientRows, activationRows, resolveActivation, SOFTMAX, type Activation, type ActivationName } from '../activations.js';
import { checkInteger, checkOptions, checkShape, type Config } from '../config.js';
import { initializerConfig, initializerFromTfjs, initializers, initializerToTfjs, resolveInitializer, type Initializer } from '../initializers.js';
import { Layer, LAYER_OPTION_KEYS, type LayerBuffers, type LayerOptions, type TfjsLayerJson, type WeightDeclaration } from '../layer.js';
import { Random } from '../random.js';
import { regularizerFromTfjs, regularizerToTfjs, resolveRegularizer, type Regularizer } from '../regularizers.js';

const IDENTITY = 0;

export interface DenseOptions extends LayerOptions {
  units: number;
  /** Default 'linear'. */
  activation?: ActivationName;
  /** Slope for activation 'leakyRelu' (default 0.3). */
  alpha?: number;
  useBias?: boolean;
  kernelInitializer?: Initializer | string;
  biasInitializer?: Initializer | string;
  kernelRegularizer?: Regularizer | null;
  biasRegularizer?: Regularizer | null;
  /** Seeds this layer's initializers; otherwise the model's seed (or a random one) is used. */
  seed?: number;
}

const KEYS = [...LAYER_OPTION_KEYS, 'units', 'activation', 'alpha', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'seed'];

export class Dense extends Layer {
  static readonly className = 'Dense';
  readonly units: number;
  readonly activation: Activation;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly seed: number | undefined;

  constructor(options: DenseOptions) {
    const o = checkOptions(options, KEYS, 'dense');
    super(o, 'dense');
    this.units = checkInteger(o.units, `${this.name}: units`, 1);
    if (o.alpha !== undefined && o.activation !== 'leakyRelu') throw new TypeError(`${this.name}: alpha applies to activation 'leakyRelu' only`);
    this.activation = resolveActivation(o.activation ?? 'linear', o.alpha);
    if (o.useBias !== undefined && typeof o.useBias !== 'boolean') throw new TypeError(`${this.name}: useBias must be true or false`);
    this.useBias = o.useBias ?? true;
    this.kernelInitializer = resolveInitializer(o.kernelInitializer ?? initializers.glorotUniform(), `${this.name}: kernelInitializer`);
    this.biasInitializer = resolveInitializer(o.biasInitializer ?? initializers.zeros(), `${this.name}: biasInitializer`);
    this.kernelRegularizer = resolveRegularizer(o.kernelRegularizer, `${this.name}: kernelRegularizer`);
    this.biasRegularizer = resolveRegularizer(o.biasRegularizer, `${this.name}: biasRegularizer`);
    if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new TypeError(`${this.name}: seed must be an integer`);
    this.seed = o.seed;
  }

  static fromConfig(config: Config): Dense {
    return new Dense(config as unknown as DenseOptions);
  }

  /** A tfjs Dense config (snake_case); its leaky activation, if any, arrives as a separate LeakyReLU layer. */
  static fromTfjs(config: Config, where: string): Dense {
    const activation = config.activation ?? 'linear';
    if (typeof activation !== 'string' || !['linear', 'relu', 'sigmoid', 'tanh', 'softmax'].includes(activation)) {
      throw new TypeError(`${where}: Dense layer '${String(config.name)}' has activation ${JSON.stringify(activation)}; simdnet imports linear, relu, sigmoid, tanh, softmax`);
    }
    return new Dense({
      name: config.name as string,
      trainable: config.trainable !== false,
      units: config.units as number,
      activation: activation as ActivationName,
      useBias: config.use_bias !== false,
      kernelInitializer: initializerFromTfjs(config.kernel_initializer, initializers.glorotUniform()),
      biasInitializer: initializerFromTfjs(config.bias_initializer, initializers.zeros()),
      kernelRegularizer: regularizerFromTfjs(config.kernel_regularizer, `${where}: ${String(config.name)}.kernel_regularizer`),
      biasRegularizer: regularizerFromTfjs(config.bias_regularizer, `${where}: ${String(config.name)}.bias_regularizer`),
    });
  }

  /** The weight matrix W, [in, units] (once built). */
  get kernel(): Tensor {
    if (!this.built) throw new Error(`${this.name} is not built yet (give inputShape, or run fit/forward)`);
    return this.weights[0].tensor;
  }

  /** The bias b, [units] (null without useBias or before build). */
  get bias(): Tensor | null {
    return this.useBias && this.built ? this.weights[1].tensor : null;
  }

  get outputActivation(): Activation {
    return this.activation;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    checkShape(inputShape, `${this.name}: input shape`);
    return [...inputShape.slice(0, -1), this.units];
  }

  weightDeclarations(inputShape: readonly number[]): WeightDeclaration[] {
    const inputs = inputShape[inputShape.length - 1];
    const kernel: WeightDeclaration = { name: 'kernel', shape: [inputs, this.units], init: this.kernelInitializer, regularizer: this.kernelRegularizer };
    return this.useBias ? [kernel, { name: 'bias', shape: [this.units], init: this.biasInitializer, regularizer: this.biasRegularizer }] : [kernel];
  }

  protected initRandom(modelRandom: Random): Random {
    return this.seed !== undefined ? new Random(this.seed) : modelRandom;
  }

  protected ownConfig(): Config {
    return {
      units: this.units,
      ...activationConfig(this.activation),
      useBias: this.useBias,
      kernelInitializer: initializerConfig(this.kernelInitializer),
      biasInitializer: initializerConfig(this.biasInitializer),
      kernelRegularizer: this.kernelRegularizer === null ? null : { ...this.kernelRegularizer },
      biasRegularizer: this.biasRegularizer === null ? null : { ...this.biasRegularizer },
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }

  toTfjs(): TfjsLayerJson[] {
    const act = this.activation;
    if (act.row.tfjs === null && act.name !== 'leakyRelu') {
      throw new TypeError(`${this.name} uses the ${act.name} activation, which TensorFlow.js does not have`);
    }
    const dense: TfjsLayerJson = {
      class_name: 'Dense',
      config: {
        name: this.name,
        trainable: this.trainable,
        dtype: 'float32',
        units: this.units,
        // tfjs's Dense has no leaky ReLU: a linear Dense followed by a LeakyReLU layer computes the same.
        activation: act.name === 'leakyRelu' ? 'linear' : act.row.tfjs,
        use_bias: this.useBias,
        kernel_initializer: initializerToTfjs(this.kernelInitializer),
        bias_initializer: initializerToTfjs(this.biasInitializer),
        kernel_regularizer: regularizerToTfjs(this.kernelRegularizer),
        bias_regularizer: regularizerToTfjs(this.biasRegularizer),
        activity_regularizer: null,
        kernel_constraint: null,
        bias_constraint: null,
      },
    };
    if (act.name !== 'leakyRelu') return [dense];
    return [dense, { class_name: 'LeakyReLU', config: { name: `${this.name}_leaky_re_lu`, trainable: true, dtype: 'float32', alpha: act.param } }];
  }

  /** Rows of the GEMM: every position of every sample. */
  #gemmRows(rows: number): number {
    return (rows * this.inputSize) / this.inputShape[this.inputShape.length - 1];
  }

  packBytes(capacity: number): number {
    const m = this.#gemmRows(capacity);
    const n = this.inputShape[this.inputShape.length - 1];
    const u = this.units;
    return Math.max(gemmPackBytes(m, u, n, false), gemmPackBytes(n, u, m, false), gemmPackBytes(m, n, u, true));
  }

  forwardPass(b: LayerBuffers, rows: number, _training: boolean, logits: boolean): void {
    const act = this.activation;
    const m = this.#gemmRows(rows);
    const n = this.inputShape[this.inputShape.length - 1];
    // Elementwise activations run in the GEMM epilogue; softmax (row-wise) runs after it.
    const fused = logits || act.kind === SOFTMAX ? IDENTITY : act.kind;
    const bias = this.useBias ? this.weights[1].tensor.ptr : 0;
    gemm(0, 0, m, this.units, n, b.x, n, this.weights[0].tensor.ptr, this.units, b.y, this.units, bias, fused, act.param, b.pack);
    if (!logits && act.kind === SOFTMAX) activationRows(act, b.y, b.y, m, this.units);
  }

  backwardPass(b: LayerBuffers, rows: number, logits: boolean): void {
    const m = this.#gemmRows(rows);
    const n = this.inputShape[this.inputShape.length - 1];
    const u = this.units;
    if (!logits && this.activation.kind !== IDENTITY) activationGradientRows(this.activation, b.y, b.dy, b.dy, m, u);
    // dZ = dy after the activation's slope: dW = x^T dZ, db = column sums of dZ, dx = dZ W^T.
    if (this.trainable) {
      gemm(1, 0, n, u, m, b.x, n, b.dy, u, this.weights[0].grad!.ptr, u, 0, IDENTITY, 0, b.pack);
      if (this.useBias) kernels.colSums(b.dy, m, u, this.weights[1].grad!.ptr, 0);
    }
    if (b.dx !== 0) gemm(0, 1, m, n, u, b.dy, u, this.weights[0].tensor.ptr, u, b.dx, n, 0, IDENTITY, 0, b.pack);
  }

  forward64(x: Float64Array, rows: number, weights: readonly Float64Array[], _training: boolean, logits: boolean): Float64Array {
    const m = this.#gemmRows(rows);
    const n = this.inputShape[this.inputShape.length - 1];
    const u = this.units;
    const w = weights[0];
    const bias = this.useBias ? weights[1] : null;
    const z = new Float64Array(m * u);
    for (let r = 0; r < m; r++) {
      for (let j = 0; j < u; j++) {
        let s = bias === null ? 0 : bias[j];
        for (let k = 0; k < n; k++) s += x[r * n + k] * w[k * u + j];
        z[r * u + j] = s;
      }
    }
    if (!logits) activation64(this.activation, z, m, u);
    return z;
  }
}
