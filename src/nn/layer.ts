// The layer protocol. A layer type is one file in src/nn/layers/ that describes itself to the rest of the
// code: its config (checked, and written back by getConfig), its weights and their initializers, its
// output shape from its input shape, its forward and backward passes side by side at pointer level (over
// buffers the plan gives it), its float64 reference forward (what gradCheck differentiates), and its
// TensorFlow.js layers config in both directions. The model, the plan, save/load, tfjs interop, summary()
// and gradCheck only ever call these methods; the registry (layers/index.ts) finds a type by class name.
import { keep, Tensor } from '../tensor.js';
import { allocate, copyBytes, release } from '../kernel-calls.js';
import { checkBoolean, checkInteger, checkOptions, checkShape, shapeText, sizeOf, snakeCase, type Config } from './config.js';
import type { Activation } from './activations.js';
import type { Initializer } from './initializers.js';
import type { Regularizer } from './regularizers.js';
import { Random, randomSeed } from './random.js';

/** One weight tensor of a layer. */
export interface LayerWeight {
  /** Its name inside the layer ('kernel', 'bias', 'gamma', 'moving_mean', ...); saved as `<layer>/<name>`. */
  readonly name: string;
  readonly tensor: Tensor;
  /** Where backward writes its gradient; null for a weight no gradient reaches (moving statistics). */
  readonly grad: Tensor | null;
  readonly regularizer: Regularizer | null;
}

/**
 * The memory of one pass of one layer (byte offsets into the wasm memory), planned once. Rows vary per
 * call (a smaller last batch); every block holds the plan's capacity.
 */
export interface LayerBuffers {
  /** Input, rows x inputSize floats. */
  x: number;
  /** Output, rows x outputSize floats (the input itself for a layer that aliases it). */
  y: number;
  /** Gradient with respect to the output; backward may overwrite it. */
  dy: number;
  /** Gradient with respect to the input, or 0 when nobody needs it (the first layer). */
  dx: number;
  /** The layer's own scratch of scratchBytes(capacity) bytes (a dropout mask, batch statistics). */
  scratch: number;
  /** GEMM packing scratch shared by the layers of the plan. */
  pack: number;
  /** fit's fused update of the kernel (layers whose fusesKernelUpdate is true), else null. */
  kernelUpdate: KernelUpdate | null;
}

/**
 * A plain SGD step of a layer's kernel made inside its backward pass (fit sets it up when the optimizer's
 * updatesInGemm holds and no weight is penalized): backwardPass computes the kernel's input gradient first,
 * then kernel -= lr * dW in the weight-gradient GEMM's epilogue, so dW is never stored (the kernel's grad
 * tensor is left as it was). `saved` (0: none) receives the old kernel first (fit's rollback); backwardPass
 * sets `finite` to whether every new value is. The same bits as the gradient followed by the sgd kernel.
 */
export interface KernelUpdate {
  lr: number;
  saved: number;
  finite: boolean;
}

/** A weight a layer declares for an input shape: build creates it (and a model file is checked against it first). */
export interface WeightDeclaration {
  readonly name: string;
  readonly shape: number[];
  readonly init: Initializer;
  /** false for a weight no gradient reaches (moving statistics); default true. */
  readonly trainable?: boolean;
  readonly regularizer?: Regularizer | null;
  /** The initializer's [fanIn, fanOut]; default [size / last dim, last dim] (a dense kernel's). */
  readonly fans?: readonly [number, number];
}

/** A TensorFlow.js layers-model entry: { class_name, config } with snake_case config keys. */
export interface TfjsLayerJson {
  class_name: string;
  config: Config;
}

/** Options every layer takes, as in tfjs-layers. */
export interface LayerOptions {
  name?: string;
  /** false: the weights are not updated by fit (summary() counts them as non-trainable). */
  trainable?: boolean;
  /** The per-sample shape of the model's input, on the first layer: [784], [28, 28, 1]. */
  inputShape?: number[];
  /** tfjs's spelling for a rank-1 inputShape: inputDim n is inputShape [n]. */
  inputDim?: number;
  /** tfjs's batchInputShape: [null, ...inputShape]. */
  batchInputShape?: (number | null)[];
}

export const LAYER_OPTION_KEYS = ['name', 'trainable', 'inputShape', 'inputDim', 'batchInputShape'] as const;

const nameCounts = new Map<string, number>();

/** A fresh name: 'dense', then 'dense_1', 'dense_2', ... (one counter per base name, per process). */
function uniqueName(base: string): string {
  const n = nameCounts.get(base) ?? 0;
  nameCounts.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/**
 * Snake_case base name of a class, by Keras's rule (generic_utils.to_snake_case): 'BatchNormalization' ->
 * 'batch_normalization', 'Conv2D' -> 'conv2d', 'MaxPooling2D' -> 'max_pooling2d' (a capital after a digit starts no new word).
 */
const baseName = (className: string): string => className.replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();

function declaredShape(options: LayerOptions, where: string): number[] | undefined {
  const given = [options.inputShape, options.inputDim, options.batchInputShape].filter((v) => v !== undefined).length;
  if (given > 1) throw new TypeError(`${where}: give one of inputShape, inputDim and batchInputShape`);
  if (options.inputShape !== undefined) return checkShape(options.inputShape, `${where}: inputShape`);
  if (options.inputDim !== undefined) return [checkInteger(options.inputDim, `${where}: inputDim`, 1)];
  if (options.batchInputShape !== undefined) {
    const b = options.batchInputShape;
    if (!Array.isArray(b) || b.length < 2) throw new RangeError(`${where}: batchInputShape must be [null, ...inputShape], got ${JSON.stringify(b)}`);
    return checkShape(b.slice(1), `${where}: batchInputShape`);
  }
  return undefined;
}

/** The Tensor-level protocol's own buffers (forward/backward on Tensors), reused while the batch size stays. */
interface ProtocolBuffers {
  rows: number;
  training: boolean;
  input: Tensor;
  output: Tensor;
  inputGrad: Tensor | null;
  outputGrad: Tensor | null;
  scratch: number;
  pack: number;
}

/** What a layer type's class offers the registry besides its instances. */
export interface LayerType {
  /** The class name in saved models and TensorFlow.js ('Dense'). */
  readonly className: string;
  /** Makes a layer from its saved config (getConfig's output). */
  fromConfig(config: Config): Layer;
}

export abstract class Layer {
  readonly name: string;
  #trainable: boolean;
  /** Set while the model that holds the layer runs fit: what fit planned must not change. */
  #inUse: string | null = null;
  /** The per-sample input shape the layer declared (inputShape), if any. */
  readonly declaredInputShape: readonly number[] | undefined;
  #inputShape: readonly number[] | null = null;
  #outputShape: readonly number[] | null = null;
  readonly #weights: LayerWeight[] = [];
  /** The model that holds this layer (a layer belongs to at most one), as an opaque owner. */
  #owner: object | null = null;
  #ownerName = '';
  #protocol: ProtocolBuffers | null = null;

  protected constructor(options: LayerOptions, where: string) {
    const className = (this.constructor as unknown as LayerType).className;
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '' || /[/\s]/.test(options.name))) {
      throw new TypeError(`${where}: name must be a non-empty string without '/' or spaces, got ${JSON.stringify(options.name)}`);
    }
    this.name = options.name ?? uniqueName(baseName(className));
    this.#trainable = options.trainable === undefined ? true : checkBoolean(options.trainable, `${this.name}: trainable`);
    this.declaredInputShape = declaredShape(options, this.name);
  }

  /** false: fit does not update the layer's weights. Changed between fits, not during one (refused then). */
  get trainable(): boolean {
    return this.#trainable;
  }

  set trainable(value: boolean) {
    if (this.#inUse !== null) throw new Error(`${this.name}.trainable cannot change while ${this.#inUse} runs; set it before fit or after it resolves`);
    this.#trainable = checkBoolean(value, `${this.name}.trainable`);
  }

  /** @internal The model marks its layers while fit runs (null when it ends). */
  markInUse(what: string | null): void {
    this.#inUse = what;
  }

  /** The class name in saved models and TensorFlow.js ('Dense'). */
  get className(): string {
    return (this.constructor as unknown as LayerType).className;
  }

  get built(): boolean {
    return this.#inputShape !== null;
  }

  /** Per-sample input shape (known once built). */
  get inputShape(): readonly number[] {
    return this.#requireBuilt(this.#inputShape);
  }

  /** Per-sample output shape (known once built). */
  get outputShape(): readonly number[] {
    return this.#requireBuilt(this.#outputShape);
  }

  get inputSize(): number {
    return sizeOf(this.inputShape);
  }

  get outputSize(): number {
    return sizeOf(this.outputShape);
  }

  /** All weights (Keras's layer.weights: trainable ones first, in creation order, then the others). */
  get weights(): readonly LayerWeight[] {
    return this.#weights;
  }

  /** The tensors the optimizer updates (none when trainable is false), parallel to `grads`. */
  get params(): readonly Tensor[] {
    return this.trainable ? this.#weights.filter((w) => w.grad !== null).map((w) => w.tensor) : [];
  }

  get grads(): readonly Tensor[] {
    return this.trainable ? this.#weights.filter((w) => w.grad !== null).map((w) => w.grad!) : [];
  }

  /** `<layer>/<weight>` of each entry of `params`. */
  get paramNames(): readonly string[] {
    return this.trainable ? this.#weights.filter((w) => w.grad !== null).map((w) => `${this.name}/${w.name}`) : [];
  }

  /** The output activation a loss may fuse with (it then reads this layer's logits), or null. */
  get outputActivation(): Activation | null {
    return null;
  }

  /** True when backwardPass applies b.kernelUpdate (see KernelUpdate) to its kernel, weights[0]. */
  get fusesKernelUpdate(): boolean {
    return false;
  }

  /**
   * True when the layer computes differently in training (dropout, batch statistics): backward on the
   * Tensor-level protocol then needs a forward with { training: true }.
   */
  get trainingDiffers(): boolean {
    return false;
  }

  /** Output shape for a per-sample input shape; throws (naming the layer) when the input does not fit. */
  abstract computeOutputShape(inputShape: readonly number[]): number[];

  /** The weights the layer has for a per-sample input shape (none by default). Declaring them allocates nothing. */
  weightDeclarations(_inputShape: readonly number[]): WeightDeclaration[] {
    return [];
  }

  /** The generator that fills this layer's initial weights: the model's, unless the layer has a seed of its own. */
  protected initRandom(modelRandom: Random): Random {
    return modelRandom;
  }

  /** The layer's own config: what fromConfig needs besides the common options. */
  protected abstract ownConfig(): Config;

  /**
   * Forward over `rows` samples: b.x -> b.y. `logits` leaves out the output activation (the loss fuses it).
   * A layer that aliases its input gets b.y == b.x from the plan, but must copy when they differ.
   */
  abstract forwardPass(b: LayerBuffers, rows: number, training: boolean, logits: boolean): void;

  /**
   * Backward over `rows` samples of the last training forward: b.dy -> the parameter gradients and b.dx
   * (unless 0). b.x and b.y are that forward's input and output.
   */
  abstract backwardPass(b: LayerBuffers, rows: number, logits: boolean): void;

  /** The float64 reference forward over `rows` samples; `weights` parallel to `this.weights`. */
  abstract forward64(x: Float64Array, rows: number, weights: readonly Float64Array[], training: boolean, logits: boolean): Float64Array;

  /** Bytes of the layer's own scratch for `capacity` rows (b.scratch). */
  scratchBytes(_capacity: number, _training: boolean): number {
    return 0;
  }

  /** Bytes of GEMM packing scratch for `capacity` rows (b.pack is shared: the plan takes the largest). */
  packBytes(_capacity: number): number {
    return 0;
  }

  /** True when the output is the input's memory (a reshape); the plan then gives no output block. */
  aliasesInput(_training: boolean): boolean {
    return false;
  }

  /** The layer's TensorFlow.js entries (usually one; Dense with leaky ReLU is Dense + LeakyReLU). */
  toTfjs(): TfjsLayerJson[] {
    const config: Config = { name: this.name, trainable: this.trainable, dtype: 'float32' };
    for (const [key, value] of Object.entries(this.ownConfig())) config[snakeCase(key)] = value;
    return [{ class_name: this.className, config }];
  }

  /** The saved config: name, trainable, the declared input shape, and the layer's own options. */
  getConfig(): Config {
    return {
      name: this.name,
      trainable: this.trainable,
      ...(this.declaredInputShape === undefined ? {} : { inputShape: [...this.declaredInputShape] }),
      ...this.ownConfig(),
    };
  }

  /**
   * Sets the shapes for a per-sample input shape (a number n means [n]) and creates the weights, drawn from
   * `random` (a model's generator; default a random seed). Once: later calls must agree.
   */
  build(shape: readonly number[] | number, random: Random = new Random(randomSeed())): void {
    const inputShape = checkShape(typeof shape === 'number' ? [shape] : shape, `${this.name}: input shape`);
    if (this.#inputShape !== null) {
      if (shapeText(inputShape) !== shapeText(this.#inputShape)) {
        throw new RangeError(`${this.name} was built for input shape ${shapeText(this.#inputShape)}, got ${shapeText(inputShape)}`);
      }
      return;
    }
    if (this.declaredInputShape !== undefined && shapeText(inputShape) !== shapeText(this.declaredInputShape)) {
      throw new RangeError(`${this.name} declares inputShape ${shapeText(this.declaredInputShape)} but receives ${shapeText(inputShape)}`);
    }
    const output = this.computeOutputShape(inputShape);
    const rng = this.initRandom(random);
    try {
      for (const d of this.weightDeclarations(inputShape)) this.#addWeight(d, rng);
    } catch (e) {
      this.#disposeWeights();
      throw e;
    }
    this.#inputShape = Object.freeze([...inputShape]);
    this.#outputShape = Object.freeze(output);
  }

  /** Creates a declared weight, filled by its initializer (fan-in and fan-out declared, else from the shape as Keras for dense kernels). */
  #addWeight(d: WeightDeclaration, random: Random): void {
    // The layer owns its weights: a tidy() around building the model must not dispose them.
    const tensor = keep(new Tensor(d.shape));
    let grad: Tensor | null = null;
    try {
      if (d.trainable !== false) grad = keep(new Tensor(d.shape));
    } catch (e) {
      tensor.dispose();
      throw e;
    }
    grad?.data.fill(0);
    const last = d.shape[d.shape.length - 1];
    const [fanIn, fanOut] = d.fans ?? [tensor.size / last, last];
    d.init.fill(tensor.data, fanIn, fanOut, random);
    this.#weights.push({ name: d.name, tensor, grad, regularizer: d.regularizer ?? null });
  }

  /** Throws unless the layer is free to join `owner` (a layer joins one model, once). */
  checkCanJoin(owner: object): void {
    if (this.#owner === owner) throw new Error(`${this.name} is already in this model: a layer object can appear once (make a new layer)`);
    if (this.#owner !== null) {
      throw new Error(`${this.name} belongs to ${this.#ownerName}: a layer belongs to one model (make a new layer, or copy weights with getWeights/setWeights)`);
    }
  }

  /** Records the model that holds this layer; a layer joins one model, once. */
  attach(owner: object, ownerName: string): void {
    this.checkCanJoin(owner);
    this.#owner = owner;
    this.#ownerName = ownerName;
  }

  /** Releases the layer from its model (the model's dispose, before disposing it). */
  detach(owner: object): void {
    if (this.#owner === owner) this.#owner = null;
  }

  /** The model that holds this layer, or null. */
  get owner(): object | null {
    return this.#owner;
  }

  /**
   * y = layer(x) on Tensors, for hand-written loops: returns a tensor owned by the layer, overwritten by its
   * next call. `training` (default false, as Keras) runs dropout and batch statistics.
   */
  forward(x: Tensor, options: { training?: boolean } = {}): Tensor {
    if (!(x instanceof Tensor)) throw new TypeError(`${this.name}.forward expects a Tensor, got ${String(x)}`);
    if (x.disposed) throw new Error(`${this.name}.forward: the input tensor was disposed`);
    checkOptions(options, ['training'], `${this.name}.forward`);
    const training = options.training === undefined ? false : checkBoolean(options.training, `${this.name}.forward: training`);
    let p = this.#protocol;
    if (p !== null && (x === p.output || x === p.inputGrad || x === p.outputGrad)) {
      throw new Error(`${this.name}.forward: the input is this layer's own ${x === p.output ? 'output' : 'gradient'} tensor, which the call overwrites; copy it first`);
    }
    if (x.rank < 1) throw new RangeError(`${this.name}.forward expects [batch, ...features], got a scalar`);
    const sample = x.shape.slice(1);
    if (!this.built) {
      if (this.#owner !== null) throw new Error(`${this.name} belongs to a model that has not built it yet: use the model`);
      this.build(this.declaredInputShape ?? sample);
    }
    if (shapeText(sample) !== shapeText(this.inputShape)) {
      throw new RangeError(`${this.name} expects input shape ${shapeText([null, ...this.inputShape])}, got ${shapeText(x.shape)}`);
    }
    const rows = x.shape[0];
    if (p === null || p.rows !== rows) {
      this.#releaseProtocol();
      p = this.#allocateProtocol(x, rows);
    }
    p.input = x;
    p.training = training;
    this.forwardPass({ x: x.ptr, y: p.output.ptr, dy: 0, dx: 0, scratch: p.scratch, pack: p.pack, kernelUpdate: null }, rows, training, false);
    return p.output;
  }

  /**
   * The gradient with respect to the input of the last forward, for `dy` (the output's gradient): fills
   * `grads` and returns a tensor owned by the layer; `dy` is left as it was. Keep forward's input alive until then.
   */
  backward(dy: Tensor): Tensor {
    const p = this.#protocol;
    if (!(dy instanceof Tensor)) throw new TypeError(`${this.name}.backward expects a Tensor, got ${String(dy)}`);
    if (p === null) throw new Error(`${this.name}.backward called before forward`);
    if (p.input.disposed) throw new Error(`${this.name}.backward: the input of the last forward was disposed`);
    if (this.trainingDiffers && !p.training) throw new Error(`${this.name}.backward needs the forward to run with { training: true }`);
    if (shapeText(dy.shape) !== shapeText(p.output.shape)) {
      throw new RangeError(`${this.name}.backward: dy has shape ${shapeText(dy.shape)}, the output has shape ${shapeText(p.output.shape)}`);
    }
    p.outputGrad ??= keep(new Tensor(p.output.shape));
    p.inputGrad ??= keep(new Tensor(p.input.shape));
    // backward may overwrite its dy: it gets a copy, so the caller's tensor is left as it was.
    copyBytes(p.outputGrad.ptr, dy.ptr, dy.size * 4);
    this.backwardPass({ x: p.input.ptr, y: p.output.ptr, dy: p.outputGrad.ptr, dx: p.inputGrad.ptr, scratch: p.scratch, pack: p.pack, kernelUpdate: null }, p.rows, false);
    return p.inputGrad;
  }

  #allocateProtocol(x: Tensor, rows: number): ProtocolBuffers {
    const output = keep(new Tensor([rows, ...this.outputShape]));
    let scratch = 0;
    try {
      const scratchBytes = this.scratchBytes(rows, true);
      scratch = scratchBytes > 0 ? allocate(scratchBytes) : 0;
      const packBytes = this.packBytes(rows);
      const pack = packBytes > 0 ? allocate(packBytes) : 0;
      this.#protocol = { rows, training: false, input: x, output, inputGrad: null, outputGrad: null, scratch, pack };
      return this.#protocol;
    } catch (e) {
      output.dispose();
      if (scratch !== 0) release(scratch);
      throw e;
    }
  }

  #releaseProtocol(): void {
    const p = this.#protocol;
    if (p === null) return;
    for (const t of [p.output, p.inputGrad, p.outputGrad]) t?.dispose();
    if (p.scratch !== 0) release(p.scratch);
    if (p.pack !== 0) release(p.pack);
    this.#protocol = null;
  }

  #disposeWeights(): void {
    for (const w of this.#weights) {
      w.tensor.dispose();
      w.grad?.dispose();
    }
    this.#weights.length = 0;
  }

  /** Frees the weights, gradients and the Tensor-level protocol's buffers. A layer in a model is freed by the model's dispose. */
  dispose(): void {
    if (this.#owner !== null) throw new Error(`${this.name} belongs to ${this.#ownerName}: dispose the model, which frees its layers`);
    this.#releaseProtocol();
    this.#disposeWeights();
    this.#inputShape = this.#outputShape = null;
  }

  #requireBuilt<T>(value: T | null): T {
    if (value === null) throw new Error(`${this.name} is not built yet (give the first layer an inputShape, or run fit/apply)`);
    return value;
  }

  toString(): string {
    return `${this.className} '${this.name}'`;
  }
}
