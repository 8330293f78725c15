// Dense: y = act(x W + b) over the last axis, W [in, units] (the Keras layout), b [units]. An input of
// rank > 1 per sample ([steps, in]) applies the same W to every position, as tfjs-layers does.
import { gemm, gemmPackBytes, gemmSgdUpdate, kernels } from '../../kernel-calls.js';
import { activation64, activationGradientRows, activationRows, SOFTMAX } from '../activations.js';
import { checkInteger, checkOptions, checkShape, type Config } from '../config.js';
import { initializers, initializerToTfjs } from '../initializers.js';
import type { LayerBuffers, TfjsLayerJson, WeightDeclaration } from '../layer.js';
import { regularizerToTfjs } from '../regularizers.js';
import { KERNEL_LAYER_OPTION_KEYS, KernelLayer, type KernelLayerOptions } from './kernel-layer.js';

const IDENTITY = 0;

export interface DenseOptions extends KernelLayerOptions {
  units: number;
}

const KEYS = [...KERNEL_LAYER_OPTION_KEYS, 'units'];

export class Dense extends KernelLayer {
  static readonly className = 'Dense';
  readonly units: number;

  constructor(options: DenseOptions) {
    const o = checkOptions(options, KEYS, 'dense');
    super(o, 'dense', initializers.glorotUniform);
    this.units = checkInteger(o.units, `${this.name}: units`, 1);
  }

  static fromConfig(config: Config): Dense {
    return new Dense(config as unknown as DenseOptions);
  }

  /** A tfjs Dense config (snake_case); its leaky activation, if any, arrives as a separate LeakyReLU layer. */
  static fromTfjs(config: Config, where: string): Dense {
    return new Dense({ ...KernelLayer.tfjsOptions('Dense', config, where, initializers.glorotUniform), units: config.units as number });
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

  protected ownConfig(): Config {
    return { units: this.units, ...this.kernelConfig() };
  }

  toTfjs(): TfjsLayerJson[] {
    return this.withLeakyReLU({
      class_name: 'Dense',
      config: {
        name: this.name,
        trainable: this.trainable,
        dtype: 'float32',
        units: this.units,
        activation: this.tfjsActivation,
        use_bias: this.useBias,
        kernel_initializer: initializerToTfjs(this.kernelInitializer),
        bias_initializer: initializerToTfjs(this.biasInitializer),
        kernel_regularizer: regularizerToTfjs(this.kernelRegularizer),
        bias_regularizer: regularizerToTfjs(this.biasRegularizer),
        activity_regularizer: null,
        kernel_constraint: null,
        bias_constraint: null,
      },
    });
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
    // dZ = dy after the activation's slope: dx = dZ W^T (first: a fused update changes W), dW = x^T dZ,
    // db = column sums of dZ.
    const w = this.weights[0].tensor.ptr;
    if (b.dx !== 0) gemm(0, 1, m, n, u, b.dy, u, w, u, b.dx, n, 0, IDENTITY, 0, b.pack);
    if (!this.trainable) return;
    const update = b.kernelUpdate;
    if (update === null) gemm(1, 0, n, u, m, b.x, n, b.dy, u, this.weights[0].grad!.ptr, u, 0, IDENTITY, 0, b.pack);
    else update.finite = gemmSgdUpdate(1, 0, n, u, m, b.x, n, b.dy, u, update.lr, w, u, update.saved, b.pack);
    if (this.useBias) kernels.colSums(b.dy, m, u, this.weights[1].grad!.ptr, 0);
  }

  get fusesKernelUpdate(): boolean {
    return true;
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
