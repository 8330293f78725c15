// Activation: y = act(x) on any rank (softmax over the last axis). Also what tfjs's LeakyReLU, ReLU and
// Softmax layers import as.
import { copyBytes } from '../../kernel-calls.js';
import { activation64, activationConfig, activationGradientRows, activationRows, resolveActivation, type Activation, type ActivationName } from '../activations.js';
import { checkOptions, checkShape, type Config } from '../config.js';
import { Layer, LAYER_OPTION_KEYS, type LayerBuffers, type LayerOptions, type TfjsLayerJson } from '../layer.js';

export interface ActivationOptions extends LayerOptions {
  activation: ActivationName;
  /** Slope for 'leakyRelu' (default 0.3). */
  alpha?: number;
}

const KEYS = [...LAYER_OPTION_KEYS, 'activation', 'alpha'];

export class ActivationLayer extends Layer {
  static readonly className = 'Activation';
  readonly activation: Activation;

  constructor(options: ActivationOptions) {
    const o = checkOptions(options, KEYS, 'activation');
    super(o, 'activation');
    if (o.alpha !== undefined && o.activation !== 'leakyRelu') throw new TypeError(`${this.name}: alpha applies to activation 'leakyRelu' only`);
    this.activation = resolveActivation(o.activation, o.alpha);
  }

  static fromConfig(config: Config): ActivationLayer {
    return new ActivationLayer(config as unknown as ActivationOptions);
  }

  static fromTfjs(className: string, config: Config, where: string): ActivationLayer {
    const common = { name: config.name as string, trainable: config.trainable !== false };
    if (className === 'LeakyReLU') return new ActivationLayer({ ...common, activation: 'leakyRelu', alpha: (config.alpha ?? config.negative_slope ?? 0.3) as number });
    if (className === 'ReLU' || className === 'Softmax') return new ActivationLayer({ ...common, activation: className === 'ReLU' ? 'relu' : 'softmax' });
    const activation = config.activation ?? 'linear';
    if (typeof activation !== 'string' || !['linear', 'relu', 'sigmoid', 'tanh', 'softmax'].includes(activation)) {
      throw new TypeError(`${where}: Activation layer '${common.name}' has activation ${JSON.stringify(activation)}; simdnet imports linear, relu, sigmoid, tanh, softmax`);
    }
    return new ActivationLayer({ ...common, activation: activation as ActivationName });
  }

  get outputActivation(): Activation {
    return this.activation;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    return checkShape(inputShape, `${this.name}: input shape`);
  }

  protected ownConfig(): Config {
    return activationConfig(this.activation);
  }

  toTfjs(): TfjsLayerJson[] {
    const a = this.activation;
    const common = { name: this.name, trainable: this.trainable, dtype: 'float32' };
    if (a.name === 'leakyRelu') return [{ class_name: 'LeakyReLU', config: { ...common, alpha: a.param } }];
    if (a.row.tfjs === null) throw new TypeError(`${this.name} uses the ${a.name} activation, which TensorFlow.js does not have`);
    return [{ class_name: 'Activation', config: { ...common, activation: a.row.tfjs } }];
  }

  /** Rows of the last axis (softmax normalizes each). */
  #rows(rows: number): number {
    return (rows * this.inputSize) / this.inputShape[this.inputShape.length - 1];
  }

  forwardPass(b: LayerBuffers, rows: number, _training: boolean, logits: boolean): void {
    const cols = this.inputShape[this.inputShape.length - 1];
    if (logits) copyBytes(b.y, b.x, rows * this.inputSize * 4);
    else activationRows(this.activation, b.x, b.y, this.#rows(rows), cols);
  }

  backwardPass(b: LayerBuffers, rows: number, logits: boolean): void {
    if (b.dx === 0) return;
    const cols = this.inputShape[this.inputShape.length - 1];
    if (logits) copyBytes(b.dx, b.dy, rows * this.inputSize * 4);
    else activationGradientRows(this.activation, b.y, b.dy, b.dx, this.#rows(rows), cols);
  }

  forward64(x: Float64Array, rows: number, _weights: readonly Float64Array[], _training: boolean, logits: boolean): Float64Array {
    const z = Float64Array.from(x);
    if (!logits) activation64(this.activation, z, this.#rows(rows), this.inputShape[this.inputShape.length - 1]);
    return z;
  }
}

/** The factories of sn.layers for activation layers. */
export const activationFactories = {
  activation: (options: ActivationOptions): ActivationLayer => new ActivationLayer(options),
  relu: (options: LayerOptions = {}): ActivationLayer => new ActivationLayer({ ...options, activation: 'relu' }),
  sigmoid: (options: LayerOptions = {}): ActivationLayer => new ActivationLayer({ ...options, activation: 'sigmoid' }),
  tanh: (options: LayerOptions = {}): ActivationLayer => new ActivationLayer({ ...options, activation: 'tanh' }),
  leakyRelu: (options: LayerOptions & { alpha?: number } = {}): ActivationLayer => new ActivationLayer({ ...options, activation: 'leakyRelu' }),
  softmax: (options: LayerOptions = {}): ActivationLayer => new ActivationLayer({ ...options, activation: 'softmax' }),
  step: (options: LayerOptions = {}): ActivationLayer => new ActivationLayer({ ...options, activation: 'step' }),
  linear: (options: LayerOptions = {}): ActivationLayer => new ActivationLayer({ ...options, activation: 'linear' }),
};
