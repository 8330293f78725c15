// Float64 reference of training a stack of dense layers: forward, loss and its gradient (unfused: dL/dp
// through the activation's derivative, never the fused (p - t) shortcut), backward, and the optimizer
// updates (Keras formulas). Independent of src/nn: the spec the Sequential model is tested against.

export type RefActivation = 'linear' | 'relu' | 'leakyRelu' | 'sigmoid' | 'tanh' | 'softmax' | 'step';
export type RefLoss = 'meanSquaredError' | 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy';

export interface RefDense {
  inputs: number;
  units: number;
  activation: RefActivation;
  alpha: number;
  /** [inputs * units], row-major [inputs, units]. */
  w: Float64Array;
  /** [units], or null without bias. */
  b: Float64Array | null;
}

export interface RefOptimizer {
  kind: 'sgd' | 'momentum' | 'nesterov' | 'adam';
  learningRate: number;
  momentum?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

const EPS = 1e-7;

/** act over z (rows x cols); softmax normalizes each row. */
export function activate(act: RefActivation, alpha: number, z: Float64Array, rows: number, cols: number): Float64Array {
  const y = new Float64Array(z.length);
  if (act === 'softmax') {
    for (let r = 0; r < rows; r++) {
      let max = -Infinity;
      for (let c = 0; c < cols; c++) max = Math.max(max, z[r * cols + c]);
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += Math.exp(z[r * cols + c] - max);
      for (let c = 0; c < cols; c++) y[r * cols + c] = Math.exp(z[r * cols + c] - max) / sum;
    }
    return y;
  }
  for (let i = 0; i < z.length; i++) {
    const v = z[i];
    y[i] =
      act === 'relu' ? Math.max(v, 0)
      : act === 'leakyRelu' ? (v > 0 ? v : alpha * v)
      : act === 'sigmoid' ? 1 / (1 + Math.exp(-v))
      : act === 'tanh' ? Math.tanh(v)
      : act === 'step' ? (v > 0 ? 1 : 0)
      : v;
  }
  return y;
}

/** dz = dy * f'(z) from the output y (softmax: the Jacobian-vector product). */
function activationGrad(act: RefActivation, alpha: number, y: Float64Array, dy: Float64Array, rows: number, cols: number): Float64Array {
  const dz = new Float64Array(y.length);
  if (act === 'softmax') {
    for (let r = 0; r < rows; r++) {
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += dy[r * cols + c] * y[r * cols + c];
      for (let c = 0; c < cols; c++) dz[r * cols + c] = y[r * cols + c] * (dy[r * cols + c] - dot);
    }
    return dz;
  }
  for (let i = 0; i < y.length; i++) {
    const slope =
      act === 'relu' ? (y[i] > 0 ? 1 : 0)
      : act === 'leakyRelu' ? (y[i] > 0 ? 1 : alpha)
      : act === 'sigmoid' ? y[i] * (1 - y[i])
      : act === 'tanh' ? 1 - y[i] * y[i]
      : act === 'step' ? 0
      : 1;
    dz[i] = dy[i] * slope;
  }
  return dz;
}

/** Outputs of every layer (post-activation) for x [rows, inputs]. */
export function refForward(layers: RefDense[], x: Float64Array, rows: number): Float64Array[] {
  const outs: Float64Array[] = [];
  let input = x;
  for (const l of layers) {
    const z = new Float64Array(rows * l.units);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < l.units; j++) {
        let s = l.b === null ? 0 : l.b[j];
        for (let k = 0; k < l.inputs; k++) s += input[r * l.inputs + k] * l.w[k * l.units + j];
        z[r * l.units + j] = s;
      }
    }
    input = activate(l.activation, l.alpha, z, rows, l.units);
    outs.push(input);
  }
  return outs;
}

/** Mean per-sample loss of p against t and dL/dp of the batch mean (or sum) loss. Sparse t: class indices. */
export function refLoss(loss: RefLoss, p: Float64Array, t: ArrayLike<number>, rows: number, cols: number, reduction: 'mean' | 'sum' = 'mean'): { loss: number; grad: Float64Array } {
  const grad = new Float64Array(p.length);
  const m = reduction === 'mean' ? rows : 1;
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      switch (loss) {
        case 'meanSquaredError':
          sum += (p[i] - t[i]) ** 2 / cols;
          grad[i] = (2 * (p[i] - t[i])) / (m * cols);
          break;
        case 'binaryCrossentropy': {
          const q = Math.min(Math.max(p[i], EPS), 1 - EPS);
          sum -= (t[i] * Math.log(q) + (1 - t[i]) * Math.log(1 - q)) / cols;
          grad[i] = (q - t[i]) / (q * (1 - q)) / (m * cols);
          break;
        }
        case 'categoricalCrossentropy':
        case 'sparseCategoricalCrossentropy': {
          const target = loss === 'sparseCategoricalCrossentropy' ? (t[r] === c ? 1 : 0) : t[i];
          const q = Math.max(p[i], EPS);
          if (target !== 0) sum -= target * Math.log(q);
          grad[i] = -target / q / m;
          break;
        }
      }
    }
  }
  return { loss: sum / rows, grad };
}

/** Gradients [dW, db] of each layer from dL/d(output of the last layer). */
export function refBackward(layers: RefDense[], x: Float64Array, outs: Float64Array[], dOut: Float64Array, rows: number): { dw: Float64Array; db: Float64Array | null }[] {
  const grads: { dw: Float64Array; db: Float64Array | null }[] = [];
  let dy = dOut;
  for (let li = layers.length - 1; li >= 0; li--) {
    const l = layers[li];
    const input = li === 0 ? x : outs[li - 1];
    const dz = activationGrad(l.activation, l.alpha, outs[li], dy, rows, l.units);
    const dw = new Float64Array(l.inputs * l.units);
    const db = l.b === null ? null : new Float64Array(l.units);
    const dx = new Float64Array(rows * l.inputs);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < l.units; j++) {
        const g = dz[r * l.units + j];
        if (db !== null) db[j] += g;
        for (let k = 0; k < l.inputs; k++) {
          dw[k * l.units + j] += input[r * l.inputs + k] * g;
          dx[r * l.inputs + k] += g * l.w[k * l.units + j];
        }
      }
    }
    grads[li] = { dw, db };
    dy = dx;
  }
  return grads;
}

/** Optimizer state for the reference: one velocity / moment pair per parameter array. */
export class RefOptimizerState {
  t = 0;
  readonly #slots = new Map<Float64Array, [Float64Array, Float64Array]>();
  constructor(readonly config: RefOptimizer) {}

  step(params: Float64Array[], grads: Float64Array[], lr = this.config.learningRate): void {
    this.t++;
    const { kind, momentum = 0, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7 } = this.config;
    params.forEach((w, pi) => {
      const g = grads[pi];
      let s = this.#slots.get(w);
      if (s === undefined) {
        s = [new Float64Array(w.length), new Float64Array(w.length)];
        this.#slots.set(w, s);
      }
      const [m, v] = s;
      for (let i = 0; i < w.length; i++) {
        if (kind === 'sgd') w[i] -= lr * g[i];
        else if (kind === 'momentum' || kind === 'nesterov') {
          m[i] = momentum * m[i] - lr * g[i];
          w[i] += kind === 'nesterov' ? momentum * m[i] - lr * g[i] : m[i];
        } else {
          m[i] = beta1 * m[i] + (1 - beta1) * g[i];
          v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
          const mHat = m[i] / (1 - beta1 ** this.t);
          const vHat = v[i] / (1 - beta2 ** this.t);
          w[i] -= (lr * mHat) / (Math.sqrt(vHat) + epsilon);
        }
      }
    });
  }
}

/**
 * Trains the reference in order (no shuffle): epochs of batches of batchSize rows, the last batch
 * partial. Returns the mean loss of each epoch.
 */
export function refFit(
  layers: RefDense[], x: Float64Array, y: ArrayLike<number>, rows: number,
  options: { loss: RefLoss; optimizer: RefOptimizer; epochs: number; batchSize: number; reduction?: 'mean' | 'sum' },
): number[] {
  const opt = new RefOptimizerState(options.optimizer);
  const inputs = layers[0].inputs;
  const outputs = layers[layers.length - 1].units;
  const yCols = options.loss === 'sparseCategoricalCrossentropy' ? 1 : outputs;
  const losses: number[] = [];
  for (let e = 0; e < options.epochs; e++) {
    let sum = 0;
    for (let start = 0; start < rows; start += options.batchSize) {
      const n = Math.min(options.batchSize, rows - start);
      const xb = x.subarray(start * inputs, (start + n) * inputs);
      const yb = Array.prototype.slice.call(y, start * yCols, (start + n) * yCols) as number[];
      const outs = refForward(layers, xb, n);
      const { loss, grad } = refLoss(options.loss, outs[outs.length - 1], yb, n, outputs, options.reduction);
      sum += loss * n;
      const grads = refBackward(layers, xb, outs, grad, n);
      const params: Float64Array[] = [];
      const g: Float64Array[] = [];
      layers.forEach((l, i) => {
        params.push(l.w);
        g.push(grads[i].dw);
        if (l.b !== null) {
          params.push(l.b);
          g.push(grads[i].db!);
        }
      });
      opt.step(params, g);
    }
    losses.push(sum / rows);
  }
  return losses;
}
