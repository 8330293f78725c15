// Sequential: a stack of layers with the Keras model API (compile, fit, evaluate, predict, summary). The
// training loop itself is in training/; saving goes through the save handlers registered by src/io.
import { Tensor } from '../tensor.js';
import { checkOptions, checkShape, isPlainObject, shapeText, sizeOf, type Config } from './config.js';
import { Layer } from './layer.js';
import { layerFromConfig } from './layers/index.js';
import { makeObjective, type Objective } from './objective.js';
import { makeLoss, resolveLoss, type Loss, type LossName, type LossOptions, type Reduction } from './losses.js';
import { metricConfig, type Metric, type MetricConfig, type MetricName } from './metrics.js';
import { Optimizer, optimizerFromConfig, resolveOptimizer } from './optimizers/index.js';
import { Random, randomSeed } from './random.js';
import { saveWith, type ModelDestination, type SaveOptions } from './save-handlers.js';
import type { DataLike } from './data.js';
import { computeGradients, evaluateModel, predictModel, type EvaluateOptions, type EvaluateResult, type PredictOptions } from './training/passes.js';
import { fitModel, type FitOptions, type History } from './training/fit.js';
import { evaluateDatasetModel, fitDatasetModel, type BatchDataset, type EvaluateDatasetOptions, type FitDatasetOptions } from './training/fit-dataset.js';

export interface CompileConfig {
  optimizer: Optimizer | string;
  /** A loss name ('mse', 'categoricalCrossentropy', ...) or object (`sn.losses.huber({ delta: 2 })`). */
  loss: LossName | 'mse' | 'mae' | Loss;
  /** Metric names ('accuracy', 'mse', 'precision', ...) or objects (`sn.metrics.topKCategoricalAccuracy({ k: 3 })`). */
  /** Metric names (TypeScript checks them) or sn.metrics.*() objects. */
  metrics?: (MetricName | Metric)[];
  /** 'mean' (default) or 'sum' of the per-sample losses of a batch: see Reduction in losses.ts. */
  reduction?: Reduction;
}

/** A model as plain data: the layers' class names and configs, the input shape and every weight. */
export interface ModelSpec {
  /** Per-sample input shape ([784], [28, 28, 1]). */
  readonly inputShape: readonly number[];
  readonly layers: readonly { readonly className: string; readonly config: Config }[];
  /** All weights in model order (each layer's `weights`), named `<layer>/<weight>`. */
  readonly weights: readonly { readonly name: string; readonly shape: readonly number[]; readonly values: Float32Array }[];
}

/** How the model was compiled, as plain data (saved with the model). */
export interface TrainingConfig {
  /** The optimizer's registry name and options, e.g. { name: 'sgd', learningRate: 0.1, momentum: 0, nesterov: false }. */
  optimizer: { name: string } & Config;
  loss: string;
  /** The loss's options when it has any (huber's delta, the cross-entropies' fromLogits). */
  lossConfig?: LossOptions;
  metrics: MetricConfig[];
  reduction: string;
}

interface Compiled {
  optimizer: Optimizer;
  objective: Objective;
}

const modelNames = new Map<string, number>();

export class Sequential {
  readonly layers: Layer[] = [];
  /** Seed of the weight initialization (given, or drawn at random). */
  readonly seed: number;
  readonly name: string;
  readonly #random: Random;
  #compiled: Compiled | null = null;
  /** What runs on the model now ('fit'); structure and compile state are locked meanwhile. */
  #busy: string | null = null;
  /** Set to true (e.g. from a callback) to end `fit` after the current batch, as in Keras and TensorFlow.js. */
  stopTraining = false;
  #disposed = false;

  constructor(layers: Layer[] = [], options?: { seed?: number; name?: string }) {
    if (!Array.isArray(layers)) throw new TypeError('sequential expects an array of layers');
    const o = checkOptions(options, ['seed', 'name'], 'sequential');
    if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new TypeError(`seed must be an integer, got ${String(o.seed)}`);
    const n = modelNames.get('sequential') ?? 0;
    modelNames.set('sequential', n + 1);
    this.name = o.name ?? (n === 0 ? 'sequential' : `sequential_${n}`);
    this.seed = o.seed ?? randomSeed();
    this.#random = new Random(this.seed);
    try {
      for (const layer of layers) this.add(layer);
    } catch (e) {
      // The model never existed for the caller: its layers are free to join another.
      for (const layer of this.layers) layer.detach(this);
      throw e;
    }
  }

  /** Appends a layer (refused while fit runs, for a layer of another model, or a name already used here); builds it when the input shape is known. */
  add(layer: Layer): void {
    this.#checkIdle('add');
    if (!(layer instanceof Layer)) throw new TypeError(`${this.name}.add: ${String(layer)} is not a layer (use sn.layers.*)`);
    layer.checkCanJoin(this);
    const clash = this.layers.find((l) => l.name === layer.name);
    if (clash !== undefined) throw new Error(`${this.name}.add: a layer named '${layer.name}' is already in this model; layer names must be unique within a model`);
    const previous = this.layers[this.layers.length - 1];
    if (previous !== undefined && layer.declaredInputShape !== undefined && previous.built && shapeText(layer.declaredInputShape) !== shapeText(previous.outputShape)) {
      throw new RangeError(`${layer.name} declares inputShape ${shapeText(layer.declaredInputShape)} but the previous layer outputs ${shapeText(previous.outputShape)}`);
    }
    if (layer.built && previous === undefined) {
      // A built layer keeps its weights: it must be the first layer, or fit the previous one's output.
    } else if (layer.built && (!previous.built || shapeText(previous.outputShape) !== shapeText(layer.inputShape))) {
      throw new RangeError(`${layer.name} was built for input ${shapeText(layer.inputShape)}, which does not follow ${previous.name}`);
    }
    const input = previous === undefined ? layer.declaredInputShape : previous.built ? previous.outputShape : undefined;
    if (!layer.built && input !== undefined) layer.build(input, this.#random);
    layer.attach(this, `model '${this.name}'`);
    this.layers.push(layer);
  }

  get built(): boolean {
    return this.layers.length > 0 && this.layers.every((l) => l.built);
  }

  /** Per-sample input shape (from the first layer's inputShape, or the data of the first fit). */
  get inputShape(): readonly number[] | undefined {
    return this.built ? this.layers[0].inputShape : this.layers[0]?.declaredInputShape;
  }

  /** Per-sample output shape (once built). */
  get outputShape(): readonly number[] {
    if (!this.built) throw new Error(`${this.name} is not built yet (give the first layer an inputShape, or fit it)`);
    return this.layers[this.layers.length - 1].outputShape;
  }

  /** Values per input sample (0 before the input shape is known). */
  get inputUnits(): number {
    const shape = this.inputShape;
    return shape === undefined ? 0 : sizeOf(shape);
  }

  /** Values per output sample (0 before build). */
  get outputUnits(): number {
    return this.built ? sizeOf(this.outputShape) : 0;
  }

  /** Builds every layer for a per-sample input shape (a number n means [n]). */
  build(inputShape: readonly number[] | number): void {
    this.#checkIdle('build');
    this.#build(inputShape);
  }

  #build(inputShape: readonly number[] | number): void {
    if (this.layers.length === 0) throw new Error(`${this.name}: the model has no layers`);
    let shape = checkShape(typeof inputShape === 'number' ? [inputShape] : inputShape, `${this.name}.build: input shape`);
    for (const layer of this.layers) {
      layer.build(shape, this.#random);
      shape = [...layer.outputShape];
    }
  }

  /** The tensors fit updates (trainable layers' trainable weights), in layer order. */
  get params(): Tensor[] {
    return this.layers.flatMap((l) => [...l.params]);
  }

  get grads(): Tensor[] {
    return this.layers.flatMap((l) => [...l.grads]);
  }

  get paramNames(): string[] {
    return this.layers.flatMap((l) => [...l.paramNames]);
  }

  /** Every weight: `{ name: '<layer>/<weight>', tensor }`, in Keras's getWeights order. */
  get namedWeights(): { name: string; tensor: Tensor }[] {
    return this.layers.flatMap((l) => l.weights.map((w) => ({ name: `${l.name}/${w.name}`, tensor: w.tensor })));
  }

  /** Copies of all weights (Keras's getWeights order: each layer's weights, e.g. kernel then bias). */
  getWeights(): Float32Array[] {
    return this.namedWeights.map((w) => w.tensor.data.slice());
  }

  /**
   * Sets all weights (getWeights's order). Each entry: a flat array of the weight's size, or nested arrays
   * shaped like the weight (a kernel is [in, units]: a transposed matrix is an error, not wrong weights).
   */
  setWeights(weights: readonly unknown[]): void {
    const named = this.namedWeights;
    if (!Array.isArray(weights) || weights.length !== named.length) {
      throw new RangeError(`setWeights expects ${named.length} arrays (${named.map((w) => w.name).join(', ')}), got ${Array.isArray(weights) ? weights.length : String(weights)}`);
    }
    const flat = weights.map((w, i) => flatWeight(w, named[i].name, named[i].tensor.shape));
    flat.forEach((w, i) => named[i].tensor.data.set(w));
  }

  compile(config: CompileConfig): void {
    this.#checkIdle('compile');
    const c = checkOptions(config, ['optimizer', 'loss', 'metrics', 'reduction'], 'compile');
    if (config === undefined) throw new TypeError('compile expects { optimizer, loss, metrics? }');
    if (this.layers.length === 0) throw new Error('compile: the model has no layers');
    const optimizer = resolveOptimizer(c.optimizer);
    const loss = resolveLoss(c.loss);
    const metrics = c.metrics ?? [];
    if (!Array.isArray(metrics)) throw new TypeError('compile: metrics must be an array of metric names or objects');
    const objective = makeObjective(loss, this.layers[this.layers.length - 1], metrics, c.reduction ?? 'mean');
    // A new optimizer replaces the old one: free the old one's state for these weights.
    if (this.#compiled !== null && this.#compiled.optimizer !== optimizer) this.#compiled.optimizer.dispose(this.params);
    this.#compiled = { optimizer, objective };
    // Optimizer state is allocated here (when built), so fit itself leaves memory() as it found it.
    if (this.built) for (const p of this.params) optimizer.slots(p);
  }

  get optimizer(): Optimizer | null {
    return this.#compiled?.optimizer ?? null;
  }

  /** The compiled loss's name (null before compile). */
  get loss(): LossName | null {
    return this.#compiled?.objective.loss ?? null;
  }

  /** The compiled objective: loss, reduction, whether the loss reads the last layer's logits, accuracy kind. */
  get objective(): Objective {
    return this.requireCompiled('objective').objective;
  }

  /** How the model was compiled, as plain data (null before compile). */
  get trainingConfig(): TrainingConfig | null {
    const c = this.#compiled;
    if (c === null) return null;
    const lossConfig = c.objective.lossObject.getConfig();
    return {
      optimizer: { name: c.optimizer.className, ...c.optimizer.getConfig() },
      loss: c.objective.loss,
      ...(Object.keys(lossConfig).length > 0 ? { lossConfig } : {}),
      metrics: c.objective.metrics.map(metricConfig),
      reduction: c.objective.reduction,
    };
  }

  /** Compiles from a saved TrainingConfig (what loadModel calls). */
  compileFrom(config: TrainingConfig, where: string): void {
    const { name, ...options } = config.optimizer;
    let loss: Loss;
    try {
      loss = makeLoss(resolveLoss(config.loss).name, config.lossConfig);
    } catch (e) {
      throw new TypeError(`${where}: training: ${(e as Error).message}`);
    }
    this.compile({ optimizer: optimizerFromConfig(name, options, `${where}: training.optimizer`), loss, metrics: config.metrics as CompileConfig['metrics'], reduction: config.reduction as Reduction });
  }

  /** @internal The compiled state, for the training code; throws a clear error before compile. */
  requireCompiled(what: string): Compiled {
    if (this.#compiled === null) throw new Error(`${what} called before compile(): call model.compile({ optimizer, loss }) first`);
    return this.#compiled;
  }

  /** @internal Marks the model busy with `what` (fit): add, compile, build and dispose are refused until done. */
  lockFor(what: string): void {
    if (this.#disposed) throw new Error(`${what}: ${this.name}: the model was disposed and cannot be used`);
    if (this.#busy !== null) throw new Error(`${what}: ${this.#busy} is already running on this model (${this.name}): await it before starting another`);
    this.#busy = what;
    for (const layer of this.layers) layer.markInUse(what);
  }

  /** @internal */
  unlock(): void {
    this.#busy = null;
    for (const layer of this.layers) layer.markInUse(null);
  }

  /** @internal Throws when disposed; builds the model for `sample` when it is not built yet. */
  ready(sample: readonly number[] | undefined): void {
    if (this.#disposed) throw new Error(`${this.name}: the model was disposed and cannot be used`);
    if (this.layers.length === 0) throw new Error(`${this.name}: the model has no layers`);
    if (!this.built) {
      if (sample === undefined) throw new Error(`${this.name} is not built yet (give the first layer an inputShape)`);
      this.#build(sample);
    }
  }

  #checkIdle(what: string): void {
    if (this.#disposed) throw new Error(`${this.name}.${what}: the model was disposed`);
    if (this.#busy !== null) {
      throw new Error(`${this.name}.${what} is not allowed while ${this.#busy} runs (it would change what the running ${this.#busy} uses); call it after ${this.#busy} resolves`);
    }
  }

  /**
   * Trains the model. x/y: Tensors, nested arrays, flat typed arrays of whole rows or { data, shape };
   * or fit([{ input, output }, ...], options). Everything is checked before any weight changes.
   */
  fit(x: DataLike, y: DataLike, options?: FitOptions): Promise<History>;
  fit(pairs: readonly { input: unknown; output: unknown }[], options?: FitOptions): Promise<History>;
  fit(x: DataLike | readonly { input: unknown; output: unknown }[], y?: DataLike | FitOptions, options?: FitOptions): Promise<History> {
    return fitModel(this, x, y, options);
  }

  /** Mean loss and each compiled metric (under its name) over x/y, computed in batches of `batchSize` rows. */
  evaluate(x: DataLike, y: DataLike, options?: EvaluateOptions): EvaluateResult {
    return evaluateModel(this, x, y, options);
  }

  /**
   * Trains on a dataset of { xs, ys } batches (any iterable or async iterable, an sn.data pipeline, a tfjs
   * Dataset), as TensorFlow.js's fitDataset; only one batch is in the wasm memory at a time.
   */
  fitDataset(dataset: BatchDataset, options?: FitDatasetOptions): Promise<History> {
    return fitDatasetModel(this, dataset, options);
  }

  /** Mean loss and accuracy over a dataset of { xs, ys } batches, as `evaluate`. */
  evaluateDataset(dataset: BatchDataset, options?: EvaluateDatasetOptions): Promise<{ loss: number; accuracy?: number }> {
    return evaluateDatasetModel(this, dataset, options);
  }

  /** The model's outputs for x as a new [rows, ...outputShape] Tensor (the caller disposes it), in bounded batches. */
  predict(x: DataLike, options?: PredictOptions): Tensor {
    return predictModel(this, x, options);
  }

  /**
   * One forward (training mode) and backward pass over all of x/y without an update: fills `grads` and
   * returns the mean loss. Moving statistics are left as they were. gradCheck compares these with finite differences.
   */
  computeGradients(x: DataLike, y: DataLike): number {
    return computeGradients(this, x, y);
  }

  /** The model as plain data: layer configs, input shape and copies of all weights. */
  toSpec(): ModelSpec {
    if (!this.built) throw new Error(`${this.name} is not built yet (give the first layer an inputShape, or fit it first)`);
    return {
      inputShape: [...this.layers[0].inputShape],
      layers: this.layers.map((l) => ({ className: l.className, config: l.getConfig() })),
      weights: this.namedWeights.map((w) => ({ name: w.name, shape: [...w.tensor.shape], values: w.tensor.data.slice() })),
    };
  }

  /**
   * A model built from plain data: each layer made by the registry from its class name and config, built
   * for the input shape; the weights' names and shapes must be exactly the layers' (checked before any is
   * written). On any failure everything made so far is disposed.
   */
  static fromSpec(spec: ModelSpec, where: string): Sequential {
    if (!isPlainObject(spec) || !Array.isArray(spec.layers) || !Array.isArray(spec.weights)) throw new TypeError(`${where}: not a model description`);
    const inputShape = checkShape(spec.inputShape, `${where}: input shape`);
    const made: Layer[] = [];
    let model: Sequential | null = null;
    try {
      spec.layers.forEach((l, i) => {
        if (!isPlainObject(l) || !isPlainObject(l.config)) throw new TypeError(`${where}: layer ${i} is not { className, config }`);
        const { inputShape: _declared, ...config } = l.config;
        made.push(withWhere(() => layerFromConfig(l.className, config, `${where}: layer ${i}`), `${where}: layer ${i}`));
      });
      // The weights the layers declare must be exactly the ones given, checked before anything is allocated.
      const expected = declaredWeights(made, inputShape, where);
      if (spec.weights.length !== expected.length) {
        throw new RangeError(`${where}: ${spec.weights.length} weight tensors, the layers need ${expected.length} (${expected.map((w) => w.name).join(', ')})`);
      }
      expected.forEach((e, i) => {
        const w = spec.weights[i];
        if (w.name !== e.name) throw new RangeError(`${where}: weight ${i} is '${w.name}', expected '${e.name}'`);
        if (shapeText(w.shape) !== shapeText(e.shape)) throw new RangeError(`${where}: weight '${w.name}' has shape ${shapeText(w.shape)}, the layers need ${shapeText(e.shape)}`);
        if (!(w.values instanceof Float32Array) || w.values.length !== sizeOf(e.shape)) {
          throw new TypeError(`${where}: weight '${w.name}' needs ${sizeOf(e.shape)} float32 values, got ${w.values?.length}`);
        }
      });
      model = new Sequential([], { seed: 0 });
      for (const layer of made) model.add(layer);
      model.build(inputShape);
      model.namedWeights.forEach((e, i) => e.tensor.data.set(spec.weights[i].values));
      return model;
    } catch (e) {
      if (model !== null) model.dispose();
      else for (const layer of made) layer.dispose();
      throw e;
    }
  }

  /**
   * Writes the model where `destination` says (a folder, a path to its model.json, or a file:// URL); see
   * sn.saveModel. The weights are copied when the call is made, so later training does not change what is saved.
   */
  save(destination: ModelDestination, options?: SaveOptions): Promise<void> {
    return saveWith('save', this, destination, options);
  }

  /** Writes a TensorFlow.js layers model (model.json + weights) that tf.loadLayersModel reads; see sn.exportTfjs. */
  exportTfjs(destination: ModelDestination): Promise<void> {
    return saveWith('exportTfjs', this, destination);
  }

  /** A table of the layers, their output shapes and parameter counts; printed unless `print` is false. */
  summary(options?: { print?: boolean }): string {
    const { print = true } = checkOptions(options, ['print'], 'summary');
    const rows: string[][] = [['Layer (type)', 'Output shape', 'Param #']];
    let trainable = 0;
    let frozen = 0;
    for (const layer of this.layers) {
      let count = 0;
      for (const w of layer.weights) {
        count += w.tensor.size;
        if (layer.trainable && w.grad !== null) trainable += w.tensor.size;
        else frozen += w.tensor.size;
      }
      rows.push([`${layer.name} (${layer.className})`, layer.built ? shapeText([null, ...layer.outputShape]) : '(not built)', String(count)]);
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const line = (r: string[]): string => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
    const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
    const text = [
      `Model: ${this.name}`, line(rows[0]), rule, ...rows.slice(1).map(line), rule,
      `Total params: ${trainable + frozen}`, `Trainable params: ${trainable}`, `Non-trainable params: ${frozen}`,
    ].join('\n');
    if (print) console.log(text);
    return text;
  }

  /** Frees the weights, gradients and the optimizer's state for them (refused while fit runs). */
  dispose(): void {
    if (this.#disposed) return;
    this.#checkIdle('dispose');
    this.#compiled?.optimizer.dispose(this.params);
    for (const layer of this.layers) {
      layer.detach(this);
      layer.dispose();
    }
    this.#disposed = true;
  }

  get disposed(): boolean {
    return this.#disposed;
  }
}

/**
 * The weights `layers` would have for a per-sample input shape, `<layer>/<weight>` with shapes, found by
 * walking the output shapes: nothing is allocated. Shape errors name `where`.
 */
export function declaredWeights(layers: readonly Layer[], inputShape: readonly number[], where: string): { name: string; shape: number[] }[] {
  const out: { name: string; shape: number[] }[] = [];
  let shape = inputShape;
  for (const layer of layers) {
    const input = shape;
    withWhere(() => {
      for (const d of layer.weightDeclarations(input)) out.push({ name: `${layer.name}/${d.name}`, shape: d.shape });
      shape = layer.computeOutputShape(input);
    }, where);
  }
  return out;
}

/** Runs `make`, prefixing an error's message with `where` (a saved layer's position). */
function withWhere<T>(make: () => T, where: string): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof Error && !e.message.startsWith(where)) e.message = `${where}: ${e.message}`;
    throw e;
  }
}

/** A setWeights entry as a flat array: flat values of the right count, or nested arrays of exactly `shape`. */
function flatWeight(value: unknown, name: string, shape: readonly number[]): ArrayLike<number> {
  const size = sizeOf(shape);
  if (ArrayBuffer.isView(value) || (Array.isArray(value) && !Array.isArray(value[0]))) {
    const flat = value as ArrayLike<number>;
    if (flat.length !== size) throw new TypeError(`setWeights: ${name} needs ${size} values (shape ${shapeText(shape)}), got ${flat.length}`);
    return flat;
  }
  if (!Array.isArray(value)) throw new TypeError(`setWeights: ${name} must be an array of ${size} values or nested arrays of shape ${shapeText(shape)}`);
  const out: number[] = [];
  const walk = (v: unknown, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number') throw new TypeError(`setWeights: ${name}${path} is not a number`);
      out.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new RangeError(`setWeights: ${name} must have shape ${shapeText(shape)}, but${path === '' ? ' it' : ` ${path}`} has ${Array.isArray(v) ? v.length : 'no'} entries at axis ${dim}${name.endsWith('/kernel') ? ' (a kernel is [inputs, units])' : ''}`);
    }
    v.forEach((item, i) => walk(item, dim + 1, `${path}[${i}]`));
  };
  walk(value, 0, '');
  return out;
}

/** sn.sequential([...layers], { seed }): a model; weights are drawn from the seed as layers are built. */
export function sequential(layers: Layer[] = [], options?: { seed?: number; name?: string }): Sequential {
  return new Sequential(layers, options);
}
