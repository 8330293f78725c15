// Layers: dense and activations. Each layer has a pointer-level forward/backward (what fit's plan
// sequences over its own buffers) and the public Tensor-level forward/backward of the layer protocol,
// which runs the same code over buffers the layer owns (reused while the batch size stays the same).
import { Tensor } from '../tensor.js';
import { ACTIVATIONS, type ActivationCode } from '../ops/activation-kinds.js';
import { allocate, release } from '../backend/allocator.js';
import { Activation, ActivationName, DEFAULT_LEAKY_ALPHA, resolveActivation, SOFTMAX } from './activations.js';
import { Initializer, initializers, resolveInitializer } from './initializers.js';
import { activationBackward, activationForward, copyBytes, gemm, gemmPackBytes, colSums, softmaxBackwardRows, softmaxRows } from './ops.js';
import { Random, randomSeed } from './random.js';

const IDENTITY = ACTIVATIONS.linear;
const nameCounts = new Map<string, number>();

function uniqueName(base: string): string {
  const n = nameCounts.get(base) ?? 0;
  nameCounts.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

function checkUnits(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${what} must be an integer >= 1, got ${String(value)}`);
  }
  return value;
}

function checkInputShape(shape: unknown, layer: string): number | undefined {
  if (shape === undefined) return undefined;
  if (!Array.isArray(shape) || shape.length !== 1) {
    throw new RangeError(`${layer}: inputShape must be [features] (one dimension), got ${JSON.stringify(shape)}`);
  }
  return checkUnits(shape[0], `${layer}: inputShape[0]`);
}

function applyActivation(act: Activation, x: number, y: number, rows: number, cols: number): void {
  if (act.kind === SOFTMAX) softmaxRows(x, y, rows, cols);
  else activationForward(act.kind as ActivationCode, x, y, rows * cols, act.param);
}

function activationGradient(act: Activation, y: number, dy: number, dx: number, rows: number, cols: number): void {
  if (act.kind === SOFTMAX) softmaxBackwardRows(y, dy, dx, rows, cols);
  else activationBackward(act.kind as ActivationCode, y, dy, dx, rows * cols, act.param);
}

/**
 * The layer protocol. `forward(x)` returns the layer's output tensor and `backward(dy)` the gradient with
 * respect to its input, both owned by the layer and overwritten by the next call (dispose() frees them);
 * backward also fills `grads` (same order as `params`). Keep `x` alive until backward has run.
 */
export abstract class Layer {
  readonly name: string;
  /** Input features, known once built (from inputShape, the previous layer, or the first forward). */
  inputUnits = 0;
  outputUnits = 0;
  #output: Tensor | null = null;
  #inputGrad: Tensor | null = null;
  #scratch: Tensor | null = null;
  #pack = 0;
  #packBytes = 0;
  #lastInput: Tensor | null = null;

  protected constructor(name: string) {
    this.name = name;
  }

  abstract get className(): string;
  abstract get built(): boolean;
  /** Trainable parameters (empty for activation layers). */
  abstract get params(): readonly Tensor[];
  /** Gradients of the last backward, parallel to params. */
  abstract get grads(): readonly Tensor[];
  abstract get paramNames(): readonly string[];
  /** Declared input features (dense's inputShape), if any. */
  get declaredInputUnits(): number | undefined {
    return undefined;
  }
  /** The output activation fit may fuse with the loss ('sigmoid' | 'softmax'), if this layer ends in one. */
  abstract get outputActivation(): ActivationName;
  /** Sets the sizes and allocates parameters; `random` draws the initial weights. */
  abstract build(inputUnits: number, random?: Random): void;
  /** GEMM scratch bytes a pass over `rows` rows needs. */
  abstract packBytes(rows: number): number;
  /**
   * y = layer(x) for `rows` rows (pointers). `logits` leaves out the output activation (the loss fuses it).
   */
  abstract forwardRows(x: number, rows: number, y: number, logits: boolean, pack: number): void;
  /**
   * From dy (gradient w.r.t. y, overwritten) fills the parameter gradients and, unless `dx` is 0, the
   * input gradient. `x` and `y` are the saved input and output of the forward pass.
   */
  abstract backwardRows(x: number, y: number, dy: number, rows: number, dx: number, logits: boolean, pack: number): void;

  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) throw new TypeError(`${this.name}.forward expects a Tensor, got ${String(x)}`);
    if (x.rank !== 2) throw new RangeError(`${this.name}.forward expects a [batch, features] tensor, got shape [${x.shape.join(', ')}]`);
    if (!this.built) this.build(this.declaredInputUnits ?? x.shape[1]);
    if (x.shape[1] !== this.inputUnits) {
      throw new RangeError(`${this.name} expects ${this.inputUnits} input features, got shape [${x.shape.join(', ')}]`);
    }
    const rows = x.shape[0];
    this.#output = this.#ensure(this.#output, rows, this.outputUnits);
    this.#ensurePack(rows);
    this.forwardRows(x.ptr, rows, this.#output.ptr, false, this.#pack);
    this.#lastInput = x;
    return this.#output;
  }

  backward(dy: Tensor): Tensor {
    if (!(dy instanceof Tensor)) throw new TypeError(`${this.name}.backward expects a Tensor, got ${String(dy)}`);
    const x = this.#lastInput;
    const y = this.#output;
    if (x === null || y === null) throw new Error(`${this.name}.backward called before forward`);
    if (x.disposed) throw new Error(`${this.name}.backward: the input of the last forward was disposed`);
    if (dy.rank !== 2 || dy.shape[0] !== y.shape[0] || dy.shape[1] !== y.shape[1]) {
      throw new RangeError(`${this.name}.backward: dy has shape [${dy.shape.join(', ')}], the output has shape [${y.shape.join(', ')}]`);
    }
    const rows = y.shape[0];
    // backwardRows overwrites its dy: work on a copy so the caller's tensor is left as it was.
    this.#scratch = this.#ensure(this.#scratch, rows, this.outputUnits);
    copyBytes(this.#scratch.ptr, dy.ptr, dy.size * 4);
    this.#inputGrad = this.#ensure(this.#inputGrad, rows, this.inputUnits);
    this.backwardRows(x.ptr, y.ptr, this.#scratch.ptr, rows, this.#inputGrad.ptr, false, this.#pack);
    return this.#inputGrad;
  }

  /** Frees parameters, gradients and the protocol's buffers. */
  dispose(): void {
    for (const t of [this.#output, this.#inputGrad, this.#scratch]) t?.dispose();
    this.#output = this.#inputGrad = this.#scratch = null;
    if (this.#pack !== 0) release(this.#pack);
    this.#pack = this.#packBytes = 0;
    this.#lastInput = null;
    this.disposeParams();
  }

  protected abstract disposeParams(): void;

  #ensure(t: Tensor | null, rows: number, cols: number): Tensor {
    if (t !== null && t.shape[0] === rows && t.shape[1] === cols) return t;
    t?.dispose();
    return new Tensor([rows, cols]);
  }

  #ensurePack(rows: number): void {
    const bytes = this.packBytes(rows);
    if (bytes <= this.#packBytes) return;
    if (this.#pack !== 0) release(this.#pack);
    this.#pack = allocate(bytes);
    this.#packBytes = bytes;
  }
}

export interface DenseConfig {
  units: number;
  inputShape?: [number];
  activation?: ActivationName;
  /** Slope for activation 'leakyRelu' (default 0.3). */
  alpha?: number;
  useBias?: boolean;
  kernelInitializer?: Initializer | string;
  biasInitializer?: Initializer | string;
  /** Seeds this layer's initializers; otherwise the model's seed (or a random one) is used. */
  seed?: number;
  name?: string;
}

/** y = act(x W + b), x [batch, in], W [in, units] (the Keras layout), b [units]. */
export class Dense extends Layer {
  readonly units: number;
  readonly activation: Activation;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly seed: number | undefined;
  readonly #declaredInput: number | undefined;
  #kernel: Tensor | null = null;
  #bias: Tensor | null = null;
  #kernelGrad: Tensor | null = null;
  #biasGrad: Tensor | null = null;

  constructor(config: DenseConfig) {
    if (config === null || typeof config !== 'object') throw new TypeError('dense expects a config object { units, ... }');
    const name = config.name ?? uniqueName('dense');
    super(name);
    this.units = checkUnits(config.units, `${name}: units`);
    this.#declaredInput = checkInputShape(config.inputShape, name);
    this.activation = resolveActivation(config.activation ?? 'linear', config.alpha ?? DEFAULT_LEAKY_ALPHA);
    if (config.useBias !== undefined && typeof config.useBias !== 'boolean') throw new TypeError(`${name}: useBias must be a boolean`);
    this.useBias = config.useBias ?? true;
    this.kernelInitializer = resolveInitializer(config.kernelInitializer ?? initializers.glorotUniform(), `${name}: kernelInitializer`);
    this.biasInitializer = resolveInitializer(config.biasInitializer ?? initializers.zeros(), `${name}: biasInitializer`);
    if (config.seed !== undefined && !Number.isInteger(config.seed)) throw new TypeError(`${name}: seed must be an integer`);
    this.seed = config.seed;
    this.outputUnits = this.units;
  }

  get className(): string {
    return 'Dense';
  }
  get built(): boolean {
    return this.#kernel !== null;
  }
  get declaredInputUnits(): number | undefined {
    return this.#declaredInput;
  }
  get outputActivation(): ActivationName {
    return this.activation.name;
  }
  /** The weight matrix W, [inputUnits, units]. */
  get kernel(): Tensor {
    if (this.#kernel === null) throw new Error(`${this.name} is not built yet (give inputShape or run forward)`);
    return this.#kernel;
  }
  get bias(): Tensor | null {
    return this.#bias;
  }
  get params(): readonly Tensor[] {
    if (this.#kernel === null) return [];
    return this.#bias === null ? [this.#kernel] : [this.#kernel, this.#bias];
  }
  get grads(): readonly Tensor[] {
    if (this.#kernelGrad === null) return [];
    return this.#biasGrad === null ? [this.#kernelGrad] : [this.#kernelGrad, this.#biasGrad];
  }
  get paramNames(): readonly string[] {
    return this.useBias ? [`${this.name}/kernel`, `${this.name}/bias`] : [`${this.name}/kernel`];
  }

  build(inputUnits: number, random?: Random): void {
    if (this.built) {
      if (inputUnits !== this.inputUnits) {
        throw new RangeError(`${this.name} was built for ${this.inputUnits} input features, got ${inputUnits}`);
      }
      return;
    }
    checkUnits(inputUnits, `${this.name}: input features`);
    if (this.#declaredInput !== undefined && inputUnits !== this.#declaredInput) {
      throw new RangeError(`${this.name} declares inputShape [${this.#declaredInput}] but receives ${inputUnits} features`);
    }
    const rng = this.seed !== undefined ? new Random(this.seed) : (random ?? new Random(randomSeed()));
    this.inputUnits = inputUnits;
    const kernel = new Tensor([inputUnits, this.units]);
    this.kernelInitializer.fill(kernel.data, inputUnits, this.units, rng);
    this.#kernel = kernel;
    this.#kernelGrad = new Tensor([inputUnits, this.units]);
    this.#kernelGrad.data.fill(0);
    if (this.useBias) {
      this.#bias = new Tensor([this.units]);
      this.biasInitializer.fill(this.#bias.data, inputUnits, this.units, rng);
      this.#biasGrad = new Tensor([this.units]);
      this.#biasGrad.data.fill(0);
    }
  }

  packBytes(rows: number): number {
    const n = this.inputUnits;
    const u = this.units;
    return Math.max(gemmPackBytes(rows, u, n, false), gemmPackBytes(n, u, rows, false), gemmPackBytes(rows, n, u, true));
  }

  forwardRows(x: number, rows: number, y: number, logits: boolean, pack: number): void {
    const act = this.activation;
    // Elementwise activations run in the GEMM epilogue; softmax (row-wise) runs after it.
    const fused = logits || act.kind === SOFTMAX ? IDENTITY : act.kind;
    const bias = this.#bias === null ? 0 : this.#bias.ptr;
    gemm(0, 0, rows, this.units, this.inputUnits, x, this.inputUnits, this.kernel.ptr, this.units, y, this.units, bias, fused, act.param, pack);
    if (!logits && act.kind === SOFTMAX) softmaxRows(y, y, rows, this.units);
  }

  backwardRows(x: number, y: number, dy: number, rows: number, dx: number, logits: boolean, pack: number): void {
    const n = this.inputUnits;
    const u = this.units;
    if (!logits && this.activation.kind !== IDENTITY) activationGradient(this.activation, y, dy, dy, rows, u);
    // dW = x^T dZ, db = column sums of dZ, dx = dZ W^T (dZ = dy after the activation's slope).
    gemm(1, 0, n, u, rows, x, n, dy, u, this.#kernelGrad!.ptr, u, 0, IDENTITY, 0, pack);
    if (this.#biasGrad !== null) colSums(dy, rows, u, this.#biasGrad.ptr, 0);
    if (dx !== 0) gemm(0, 1, rows, n, u, dy, u, this.kernel.ptr, u, dx, n, 0, IDENTITY, 0, pack);
  }

  protected disposeParams(): void {
    for (const t of [this.#kernel, this.#bias, this.#kernelGrad, this.#biasGrad]) t?.dispose();
    this.#kernel = this.#bias = this.#kernelGrad = this.#biasGrad = null;
  }
}

/** An activation on its own (no parameters): same shape in and out. */
export class ActivationLayer extends Layer {
  readonly activation: Activation;
  #built = false;

  constructor(name: ActivationName, alpha = DEFAULT_LEAKY_ALPHA, layerName?: string) {
    super(layerName ?? uniqueName(name === 'linear' ? 'linear' : name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)));
    this.activation = resolveActivation(name, alpha);
  }

  get className(): string {
    return 'Activation';
  }
  get built(): boolean {
    return this.#built;
  }
  get outputActivation(): ActivationName {
    return this.activation.name;
  }
  get params(): readonly Tensor[] {
    return [];
  }
  get grads(): readonly Tensor[] {
    return [];
  }
  get paramNames(): readonly string[] {
    return [];
  }

  build(inputUnits: number): void {
    if (this.#built && inputUnits !== this.inputUnits) {
      throw new RangeError(`${this.name} was built for ${this.inputUnits} features, got ${inputUnits}`);
    }
    this.inputUnits = this.outputUnits = checkUnits(inputUnits, `${this.name}: input features`);
    this.#built = true;
  }

  packBytes(): number {
    return 0;
  }

  forwardRows(x: number, rows: number, y: number, logits: boolean): void {
    if (logits) copyBytes(y, x, rows * this.outputUnits * 4);
    else applyActivation(this.activation, x, y, rows, this.outputUnits);
  }

  backwardRows(_x: number, y: number, dy: number, rows: number, dx: number, logits: boolean): void {
    if (dx === 0) return;
    if (logits) copyBytes(dx, dy, rows * this.outputUnits * 4);
    else activationGradient(this.activation, y, dy, dx, rows, this.outputUnits);
  }

  protected disposeParams(): void {
    this.#built = false;
  }
}

export const layers = {
  dense: (config: DenseConfig): Dense => new Dense(config),
  activation: ({ activation, alpha }: { activation: ActivationName; alpha?: number }): ActivationLayer => new ActivationLayer(activation, alpha),
  relu: (): ActivationLayer => new ActivationLayer('relu'),
  sigmoid: (): ActivationLayer => new ActivationLayer('sigmoid'),
  tanh: (): ActivationLayer => new ActivationLayer('tanh'),
  leakyRelu: ({ alpha = DEFAULT_LEAKY_ALPHA }: { alpha?: number } = {}): ActivationLayer => new ActivationLayer('leakyRelu', alpha),
  softmax: (): ActivationLayer => new ActivationLayer('softmax'),
  step: (): ActivationLayer => new ActivationLayer('step'),
  linear: (): ActivationLayer => new ActivationLayer('linear'),
};
