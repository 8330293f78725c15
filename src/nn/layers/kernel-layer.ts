// What the layers that multiply by a kernel and add a bias (Dense, Conv2D) share, as tfjs-layers names it:
// the activation (elementwise ones fused in the GEMM epilogue), useBias, the kernel and bias initializers
// and regularizers, the layer's own seed, their saved config, and the TensorFlow.js side of all of these.
import type { Tensor } from '../../tensor.js';
import { activationConfig, resolveActivation, type Activation, type ActivationName } from '../activations.js';
import type { Config } from '../config.js';
import { initializerConfig, initializerFromTfjs, initializers, resolveInitializer, type Initializer } from '../initializers.js';
import { Layer, LAYER_OPTION_KEYS, type LayerOptions, type TfjsLayerJson } from '../layer.js';
import { Random } from '../random.js';
import { regularizerFromTfjs, resolveRegularizer, type Regularizer } from '../regularizers.js';

export interface KernelLayerOptions extends LayerOptions {
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

/** The option names of KernelLayerOptions, the common layer options included. */
export const KERNEL_LAYER_OPTION_KEYS = [
  ...LAYER_OPTION_KEYS, 'activation', 'alpha', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'seed',
];

/** The activations a TensorFlow.js Dense or Conv2D config may name that simdnet imports. */
const TFJS_ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];

export abstract class KernelLayer extends Layer {
  readonly activation: Activation;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly seed: number | undefined;

  /**
   * `o` has passed checkOptions; `where` names the factory in errors before the layer has a name;
   * `defaultKernel` is the kernel initializer tfjs-layers gives this class (Dense glorotUniform, Conv2D glorotNormal).
   */
  protected constructor(o: KernelLayerOptions, where: string, defaultKernel: () => Initializer) {
    super(o, where);
    if (o.alpha !== undefined && o.activation !== 'leakyRelu') throw new TypeError(`${this.name}: alpha applies to activation 'leakyRelu' only`);
    this.activation = resolveActivation(o.activation ?? 'linear', o.alpha);
    if (o.useBias !== undefined && typeof o.useBias !== 'boolean') throw new TypeError(`${this.name}: useBias must be true or false`);
    this.useBias = o.useBias ?? true;
    this.kernelInitializer = resolveInitializer(o.kernelInitializer ?? defaultKernel(), `${this.name}: kernelInitializer`);
    this.biasInitializer = resolveInitializer(o.biasInitializer ?? initializers.zeros(), `${this.name}: biasInitializer`);
    this.kernelRegularizer = resolveRegularizer(o.kernelRegularizer, `${this.name}: kernelRegularizer`);
    this.biasRegularizer = resolveRegularizer(o.biasRegularizer, `${this.name}: biasRegularizer`);
    if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new TypeError(`${this.name}: seed must be an integer`);
    this.seed = o.seed;
  }

  /**
   * The shared options of a tfjs config (snake_case) of class `className`: activation (one simdnet imports;
   * a leaky one arrives as a separate LeakyReLU layer), use_bias, initializers and regularizers.
   */
  protected static tfjsOptions(className: string, config: Config, where: string, defaultKernel: () => Initializer): KernelLayerOptions {
    const activation = config.activation ?? 'linear';
    if (typeof activation !== 'string' || !TFJS_ACTIVATIONS.includes(activation)) {
      throw new TypeError(`${where}: ${className} layer '${String(config.name)}' has activation ${JSON.stringify(activation)}; simdnet imports ${TFJS_ACTIVATIONS.join(', ')}`);
    }
    return {
      name: config.name as string,
      trainable: config.trainable !== false,
      activation: activation as ActivationName,
      useBias: config.use_bias !== false,
      kernelInitializer: initializerFromTfjs(config.kernel_initializer, defaultKernel()),
      biasInitializer: initializerFromTfjs(config.bias_initializer, initializers.zeros()),
      kernelRegularizer: regularizerFromTfjs(config.kernel_regularizer, `${where}: ${String(config.name)}.kernel_regularizer`),
      biasRegularizer: regularizerFromTfjs(config.bias_regularizer, `${where}: ${String(config.name)}.bias_regularizer`),
    };
  }

  /** The kernel: Dense's W [in, units], Conv2D's [kh, kw, inChannels, filters] (once built). */
  get kernel(): Tensor {
    if (!this.built) throw new Error(`${this.name} is not built yet (give inputShape, or run fit/forward)`);
    return this.weights[0].tensor;
  }

  /** The bias b, [units or filters] (null without useBias or before build). */
  get bias(): Tensor | null {
    return this.useBias && this.built ? this.weights[1].tensor : null;
  }

  get outputActivation(): Activation {
    return this.activation;
  }

  protected initRandom(modelRandom: Random): Random {
    return this.seed !== undefined ? new Random(this.seed) : modelRandom;
  }

  /** The shared part of the saved config (after the layer's own sizes). */
  protected kernelConfig(): Config {
    return {
      ...activationConfig(this.activation),
      useBias: this.useBias,
      kernelInitializer: initializerConfig(this.kernelInitializer),
      biasInitializer: initializerConfig(this.biasInitializer),
      kernelRegularizer: this.kernelRegularizer === null ? null : { ...this.kernelRegularizer },
      biasRegularizer: this.biasRegularizer === null ? null : { ...this.biasRegularizer },
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }

  /** The tfjs name of the activation; leaky ReLU is 'linear' here and a LeakyReLU layer after (withLeakyReLU). */
  protected get tfjsActivation(): string {
    const act = this.activation;
    if (act.name === 'leakyRelu') return 'linear';
    if (act.row.tfjs === null) throw new TypeError(`${this.name} uses the ${act.name} activation, which TensorFlow.js does not have`);
    return act.row.tfjs;
  }

  /** `entry`, followed by a LeakyReLU layer when the activation is leaky ReLU (tfjs's Dense and Conv2D have none). */
  protected withLeakyReLU(entry: TfjsLayerJson): TfjsLayerJson[] {
    if (this.activation.name !== 'leakyRelu') return [entry];
    return [entry, { class_name: 'LeakyReLU', config: { name: `${this.name}_leaky_re_lu`, trainable: true, dtype: 'float32', alpha: this.activation.param } }];
  }
}
