// Rosenblatt's perceptron (1958): y_hat = step(w.x + b) with step(z) = 1 if z > 0 else 0, trained one
// sample at a time by w += eta (y - y_hat) x, b += eta (y - y_hat). It converges on linearly separable
// data (Novikoff 1962) and never on XOR, which train() reports as converged: false.
import { Tensor } from '../tensor.js';
import { ACTIVATIONS } from '../ops/activation-kinds.js';
import { toMatrix, type DataLike } from './data.js';
import { allocate, gemm, gemmPackBytes, heapF32, kernels, release } from '../kernel-calls.js';

export interface PerceptronConfig {
  inputs: number;
  /** eta (default 1; any positive rate gives the same decisions from zero weights, scaled). */
  learningRate?: number;
}

export interface PerceptronTraining {
  /** True when an epoch made no mistake (then training stopped). */
  converged: boolean;
  /** Epochs run. */
  epochs: number;
  /** Misclassified samples in each epoch. */
  errors: number[];
}

export class Perceptron {
  readonly inputs: number;
  readonly learningRate: number;
  /** w, [inputs, 1]; starts at zero. */
  readonly weights: Tensor;
  /** b, [1]; starts at zero. */
  readonly bias: Tensor;

  constructor({ inputs, learningRate = 1 }: PerceptronConfig) {
    if (!Number.isInteger(inputs) || inputs < 1) throw new RangeError(`perceptron inputs must be an integer >= 1, got ${String(inputs)}`);
    if (typeof learningRate !== 'number' || !Number.isFinite(learningRate) || learningRate <= 0) {
      throw new RangeError(`perceptron learningRate must be a finite number > 0, got ${String(learningRate)}`);
    }
    this.inputs = inputs;
    this.learningRate = learningRate;
    this.weights = new Tensor([inputs, 1]);
    this.weights.data.fill(0);
    this.bias = new Tensor([1]);
    this.bias.data.fill(0);
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
      const labels = ym.tensor.data;
      for (let r = 0; r < ym.rows; r++) {
        if (labels[r] !== 0 && labels[r] !== 1) {
          if (ym.owned) ym.tensor.dispose();
          throw new RangeError(`y row ${r} is ${labels[r]}: perceptron labels must be 0 or 1`);
        }
      }
      return { x: xm, y: ym };
    } catch (e) {
      if (xm.owned) xm.tensor.dispose();
      throw e;
    }
  }

  /** Cycles through the samples in order until an epoch without mistakes or maxEpochs (default 100). */
  train(x: DataLike, y: DataLike, { maxEpochs = 100 }: { maxEpochs?: number } = {}): PerceptronTraining {
    if (!Number.isInteger(maxEpochs) || maxEpochs < 1) throw new RangeError(`maxEpochs must be an integer >= 1, got ${String(maxEpochs)}`);
    const { x: xm, y: ym } = this.#matrices(x, y);
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
      for (let epoch = 0; epoch < maxEpochs; epoch++) {
        let mistakes = 0;
        for (let r = 0; r < xm.rows; r++) {
          const row = xm.tensor.ptr + r * n * 4;
          gemm(0, 0, 1, 1, n, row, n, w, 1, out, 1, b, ACTIVATIONS.step, 0, pack);
          const f = heapF32();
          const error = ym!.tensor.data[r] - f[out >>> 2];
          if (error === 0) continue;
          mistakes++;
          // w -= (-eta * error) * x is the perceptron rule w += eta * error * x, with the sgd kernel.
          kernels.sgd(w, row, n, -this.learningRate * error, 0);
          kernels.sgd(b, one, 1, -this.learningRate * error, 0);
        }
        errors.push(mistakes);
        if (mistakes === 0) return { converged: true, epochs: epoch + 1, errors };
      }
      return { converged: false, epochs: maxEpochs, errors };
    } finally {
      release(scratch);
      if (xm.owned) xm.tensor.dispose();
      if (ym!.owned) ym!.tensor.dispose();
    }
  }

  /** step(x w + b) for every row, as 0/1 numbers (one fused GEMM with the step epilogue). */
  predict(x: DataLike): number[] {
    const { x: xm } = this.#matrices(x, undefined);
    const out = new Tensor([xm.rows, 1]);
    const pack = allocate(Math.max(64, gemmPackBytes(xm.rows, 1, this.inputs, false)));
    try {
      gemm(0, 0, xm.rows, 1, this.inputs, xm.tensor.ptr, this.inputs, this.weights.ptr, 1, out.ptr, 1, this.bias.ptr, ACTIVATIONS.step, 0, pack);
      return Array.from(out.data);
    } finally {
      release(pack);
      out.dispose();
      if (xm.owned) xm.tensor.dispose();
    }
  }

  dispose(): void {
    this.weights.dispose();
    this.bias.dispose();
  }
}

export function perceptron(config: PerceptronConfig): Perceptron {
  if (config === null || typeof config !== 'object') throw new TypeError('perceptron expects { inputs, learningRate? }');
  return new Perceptron(config);
}
