// Rosenblatt's perceptron (1958), trained one sample at a time so that every update can be watched.
// Labels 0/1: y_hat = step(w.x + b) with step(z) = 1 if z > 0 else 0, and w += eta (y - y_hat) x,
// b += eta (y - y_hat). Labels -1/+1: y_hat = 1 if w.x + b > 0 else -1, and on a mistake w += eta y x,
// b += eta y (the textbook form of the same rule: y - y_hat is then 2y). It converges on linearly separable
// data (Novikoff 1962) and cycles forever on XOR, which train() reports as converged: false.
import { keep, Tensor } from '../tensor.js';
import { allocate, gemm, gemmPackBytes, heapF32, kernels, release } from '../kernel-calls.js';
import { ACTIVATIONS } from '../ops/activation-kinds.js';
import { toMatrix, type DataLike } from './data.js';
import { Random } from './random.js';

/** The two label conventions: '0/1' (the step function) or '-1/+1' (the sign function). */
export type PerceptronLabels = '0/1' | '-1/+1';

/** Starting weights: zeros, seeded U(-0.5, 0.5) values for w and b, or given values. */
export type PerceptronInit = 'zeros' | 'random' | { weights: ArrayLike<number>; bias: number };

export interface PerceptronConfig {
  inputs: number;
  /** eta (default 1; from zero weights any positive rate gives the same decisions, scaled). */
  learningRate?: number;
  /** Label convention of y and of predict's results (default '0/1'). */
  labels?: PerceptronLabels;
  /** Initial weights and bias (default 'zeros'). */
  init?: PerceptronInit;
  /** Seed of init: 'random' (default 0); the same seed gives the same weights. */
  seed?: number;
}

/** One sample's step of training: what the perceptron predicted, its error, and w and b after the update. */
export interface PerceptronStep {
  /** Epoch, from 0. */
  epoch: number;
  /** Row of x. */
  sample: number;
  prediction: number;
  /** y - prediction (0 when right: the weights did not change). */
  error: number;
  weights: number[];
  bias: number;
}

/** The weights and bias at one moment (the end of an epoch, a step), as the hyperplane plot takes them. */
export interface PerceptronState {
  weights: number[];
  bias: number;
}

export interface PerceptronTraining {
  /** True when an epoch made no mistake (then training stopped). */
  converged: boolean;
  /** Epochs run. */
  epochs: number;
  /** Misclassified samples in each epoch. */
  errors: number[];
  /** Weights and bias at the end of each epoch. */
  epochEnds: PerceptronState[];
  /** Every step, when train was called with { trace: true }. */
  trace?: PerceptronStep[];
}

export interface PerceptronTrainOptions {
  /** Default 100. */
  maxEpochs?: number;
  /** Called after every sample's step (right or wrong), with w and b after the update. */
  onStep?: (step: PerceptronStep) => void;
  /** Return every step in the result's `trace` (default false). */
  trace?: boolean;
}

const CONFIG_KEYS = ['inputs', 'learningRate', 'labels', 'init', 'seed'];
const TRAIN_KEYS = ['maxEpochs', 'onStep', 'trace'];

function checkKeys(what: string, options: object, valid: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!valid.includes(key)) throw new TypeError(`${what}: unknown option '${key}'; valid: ${valid.join(', ')}`);
  }
}

export class Perceptron {
  readonly inputs: number;
  readonly learningRate: number;
  readonly labels: PerceptronLabels;
  /** w, [inputs, 1]. */
  readonly weights: Tensor;
  /** b, [1]. */
  readonly bias: Tensor;

  constructor(config: PerceptronConfig) {
    if (config === null || typeof config !== 'object') throw new TypeError('perceptron expects { inputs, learningRate?, labels?, init?, seed? }');
    checkKeys('perceptron', config, CONFIG_KEYS);
    const { inputs, learningRate = 1, labels = '0/1', init = 'zeros', seed = 0 } = config;
    if (!Number.isInteger(inputs) || inputs < 1) throw new RangeError(`perceptron inputs must be an integer >= 1, got ${String(inputs)}`);
    if (typeof learningRate !== 'number' || !Number.isFinite(learningRate) || learningRate <= 0) {
      throw new RangeError(`perceptron learningRate must be a finite number > 0, got ${String(learningRate)}`);
    }
    if (labels !== '0/1' && labels !== '-1/+1') throw new RangeError(`perceptron labels must be '0/1' or '-1/+1', got ${String(labels)}`);
    if (!Number.isInteger(seed)) throw new RangeError(`perceptron seed must be an integer, got ${String(seed)}`);
    const start = new Float32Array(inputs + 1);
    if (init === 'random') {
      const random = new Random(seed);
      for (let i = 0; i <= inputs; i++) start[i] = random.nextFloat() - 0.5;
    } else if (typeof init === 'object' && init !== null) {
      const w = init.weights;
      if (w === null || typeof w !== 'object' || w.length !== inputs) {
        throw new RangeError(`perceptron init.weights must be ${inputs} numbers, got ${w === null || typeof w !== 'object' ? String(w) : `${w.length}`}`);
      }
      for (let i = 0; i < inputs; i++) {
        if (!Number.isFinite(w[i])) throw new RangeError(`perceptron init.weights[${i}] = ${w[i]} is not a finite number`);
        start[i] = w[i];
      }
      if (!Number.isFinite(init.bias)) throw new RangeError(`perceptron init.bias = ${init.bias} is not a finite number`);
      start[inputs] = init.bias;
    } else if (init !== 'zeros') {
      throw new RangeError(`perceptron init must be 'zeros', 'random' or { weights, bias }, got ${String(init)}`);
    }
    this.inputs = inputs;
    this.learningRate = learningRate;
    this.labels = labels;
    this.weights = keep(new Tensor([inputs, 1]));
    this.weights.data.set(start.subarray(0, inputs));
    this.bias = keep(new Tensor([1]));
    this.bias.data[0] = start[inputs];
  }

  /** w and b now, as plain numbers. */
  state(): PerceptronState {
    return { weights: Array.from(this.weights.data), bias: this.bias.data[0] };
  }

  #matrices(x: DataLike, y: DataLike | undefined): { x: ReturnType<typeof toMatrix>; y: ReturnType<typeof toMatrix> | null } {
    const xm = toMatrix(x, 'x', [this.inputs]);
    try {
      if (xm.cols !== this.inputs) throw new RangeError(`x has ${xm.cols} features per row, the perceptron has ${this.inputs} inputs`);
      if (y === undefined) return { x: xm, y: null };
      const ym = toMatrix(y, 'y', [1]);
      if (ym.rows !== xm.rows) {
        if (ym.owned) ym.tensor.dispose();
        throw new RangeError(`x has ${xm.rows} rows but y has ${ym.rows}: x [${xm.rows}, ${xm.cols}], y [${ym.rows}, ${ym.cols}]`);
      }
      const valid = this.labels === '0/1' ? [0, 1] : [-1, 1];
      const labels = ym.tensor.data;
      for (let r = 0; r < ym.rows; r++) {
        if (!valid.includes(labels[r])) {
          if (ym.owned) ym.tensor.dispose();
          const hint = this.labels === '0/1' && labels[r] === -1 ? " (create it with labels: '-1/+1' for -1/+1 labels)" : '';
          throw new RangeError(`y row ${r} is ${labels[r]}: perceptron labels must be ${valid.join(' or ')}${hint}`);
        }
      }
      return { x: xm, y: ym };
    } catch (e) {
      if (xm.owned) xm.tensor.dispose();
      throw e;
    }
  }

  /** Cycles through the samples in order until an epoch without mistakes or maxEpochs. */
  train(x: DataLike, y: DataLike, options: PerceptronTrainOptions = {}): PerceptronTraining {
    if (options === null || typeof options !== 'object') throw new TypeError('train: options must be an object');
    checkKeys('train', options, TRAIN_KEYS);
    const { maxEpochs = 100, onStep, trace = false } = options;
    if (!Number.isInteger(maxEpochs) || maxEpochs < 1) throw new RangeError(`maxEpochs must be an integer >= 1, got ${String(maxEpochs)}`);
    if (onStep !== undefined && typeof onStep !== 'function') throw new TypeError('train: onStep must be a function');
    if (typeof trace !== 'boolean') throw new TypeError(`train: trace must be true or false, got ${String(trace)}`);
    const { x: xm, y: ym } = this.#matrices(x, y);
    const signed = this.labels === '-1/+1';
    // out: the prediction of one sample; one: the constant input of the bias; then the GEMM scratch.
    const scratch = allocate(64 + gemmPackBytes(1, 1, this.inputs, false));
    try {
      const out = scratch;
      const one = scratch + 4;
      const pack = scratch + 64;
      heapF32()[one >>> 2] = 1;
      const n = this.inputs;
      const w = this.weights.ptr;
      const b = this.bias.ptr;
      const errors: number[] = [];
      const epochEnds: PerceptronState[] = [];
      const steps: PerceptronStep[] = [];
      const watch = trace || onStep !== undefined;
      for (let epoch = 0; epoch < maxEpochs; epoch++) {
        let mistakes = 0;
        for (let r = 0; r < xm.rows; r++) {
          const row = xm.tensor.ptr + r * n * 4;
          gemm(0, 0, 1, 1, n, row, n, w, 1, out, 1, b, ACTIVATIONS.step, 0, pack);
          const fired = heapF32()[out >>> 2];
          const prediction = signed ? 2 * fired - 1 : fired;
          const label = ym!.tensor.data[r];
          const error = label - prediction;
          if (error !== 0) {
            mistakes++;
            // w -= (-eta * delta) * x is w += eta * delta * x, with the sgd kernel; delta = y - y_hat (0/1)
            // or y (-1/+1).
            const step = -this.learningRate * (signed ? label : error);
            kernels.sgd(w, row, n, step, 1, Infinity, 0);
            kernels.sgd(b, one, 1, step, 1, Infinity, 0);
          }
          if (watch) {
            const s: PerceptronStep = { epoch, sample: r, prediction, error, ...this.state() };
            if (trace) steps.push(s);
            onStep?.(s);
          }
        }
        errors.push(mistakes);
        epochEnds.push(this.state());
        if (mistakes === 0) return { converged: true, epochs: epoch + 1, errors, epochEnds, ...(trace ? { trace: steps } : {}) };
      }
      return { converged: false, epochs: maxEpochs, errors, epochEnds, ...(trace ? { trace: steps } : {}) };
    } finally {
      release(scratch);
      if (xm.owned) xm.tensor.dispose();
      if (ym!.owned) ym!.tensor.dispose();
    }
  }

  /**
   * The predicted labels (0/1, or -1/+1) of every row, by one GEMM with the step epilogue: a list for array
   * input, a [n, 1] tensor for a tensor (so `sn.plot.decisionBoundary(p, ...)` takes the perceptron as it is).
   */
  predict(x: Tensor): Tensor;
  predict(x: Exclude<DataLike, Tensor>): number[];
  predict(x: DataLike): Tensor | number[];
  predict(x: DataLike): Tensor | number[] {
    const { x: xm } = this.#matrices(x, undefined);
    const out = new Tensor([xm.rows, 1]);
    const pack = allocate(Math.max(64, gemmPackBytes(xm.rows, 1, this.inputs, false)));
    try {
      gemm(0, 0, xm.rows, 1, this.inputs, xm.tensor.ptr, this.inputs, this.weights.ptr, 1, out.ptr, 1, this.bias.ptr, ACTIVATIONS.step, 0, pack);
      if (this.labels === '-1/+1') {
        const d = out.data;
        for (let i = 0; i < d.length; i++) d[i] = 2 * d[i] - 1;
      }
      if (x instanceof Tensor) return out;
      const labels = Array.from(out.data);
      out.dispose();
      return labels;
    } catch (e) {
      out.dispose();
      throw e;
    } finally {
      release(pack);
      if (xm.owned) xm.tensor.dispose();
    }
  }

  dispose(): void {
    this.weights.dispose();
    this.bias.dispose();
  }
}

export function perceptron(config: PerceptronConfig): Perceptron {
  return new Perceptron(config);
}
