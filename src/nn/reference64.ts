// A float64 forward pass and loss of a Sequential model's layers, written plainly (no kernels): the
// reference side of gradCheck's central differences. Formulas match src/nn/losses.ts.
import { ActivationLayer, Dense, type Layer } from './layers.js';
import { SOFTMAX, type Activation } from './activations.js';
import type { LossName } from './losses.js';
import { ACTIVATIONS } from '../ops/activation-kinds.js';

const EPSILON = 1e-7;

function activate(act: Activation, z: Float64Array, rows: number, cols: number): void {
  if (act.kind === SOFTMAX) {
    for (let r = 0; r < rows; r++) {
      let max = -Infinity;
      for (let c = 0; c < cols; c++) max = Math.max(max, z[r * cols + c]);
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += Math.exp(z[r * cols + c] - max);
      for (let c = 0; c < cols; c++) z[r * cols + c] = Math.exp(z[r * cols + c] - max) / sum;
    }
    return;
  }
  for (let i = 0; i < z.length; i++) {
    const v = z[i];
    switch (act.kind) {
      case ACTIVATIONS.relu: z[i] = v > 0 ? v : 0; break;
      case ACTIVATIONS.leakyRelu: z[i] = v > 0 ? v : act.param * v; break;
      case ACTIVATIONS.sigmoid: z[i] = 1 / (1 + Math.exp(-v)); break;
      case ACTIVATIONS.tanh: z[i] = Math.tanh(v); break;
      case ACTIVATIONS.step: z[i] = v > 0 ? 1 : 0; break;
      default: break;
    }
  }
}

/**
 * Outputs of `layers` for x ([rows, in], float64) with parameters `params` (in the model's order);
 * `logits` leaves out the last layer's output activation.
 */
export function forward64(layers: readonly Layer[], params: readonly Float64Array[], x: Float64Array, rows: number, logits: boolean): Float64Array {
  let input = x;
  let p = 0;
  layers.forEach((layer, i) => {
    const skipActivation = logits && i === layers.length - 1;
    if (layer instanceof Dense) {
      const n = layer.inputUnits;
      const u = layer.units;
      const w = params[p++];
      const b = layer.useBias ? params[p++] : null;
      const z = new Float64Array(rows * u);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < u; j++) {
          let s = b === null ? 0 : b[j];
          for (let k = 0; k < n; k++) s += input[r * n + k] * w[k * u + j];
          z[r * u + j] = s;
        }
      }
      if (!skipActivation) activate(layer.activation, z, rows, u);
      input = z;
    } else if (layer instanceof ActivationLayer) {
      const z = Float64Array.from(input);
      if (!skipActivation) activate(layer.activation, z, rows, layer.outputUnits);
      input = z;
    } else {
      throw new TypeError(`gradCheck: layer ${layer.name} has no float64 reference`);
    }
  });
  return input;
}

/** Mean loss over rows (targets: floats, or class indices for the sparse loss). */
export function loss64(loss: LossName, fused: boolean, out: Float64Array, targets: ArrayLike<number>, rows: number, cols: number): number {
  let sum = 0;
  const clip = (p: number, lo: number, hi: number): number => Math.min(Math.max(p, lo), hi);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    switch (loss) {
      case 'meanSquaredError':
        for (let c = 0; c < cols; c++) sum += (0.5 * (out[o + c] - targets[o + c]) ** 2) / cols;
        break;
      case 'binaryCrossentropy':
        for (let c = 0; c < cols; c++) {
          const t = targets[o + c];
          if (fused) {
            const z = out[o + c];
            sum += (Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)))) / cols;
          } else {
            const p = clip(out[o + c], EPSILON, 1 - EPSILON);
            sum -= (t * Math.log(p) + (1 - t) * Math.log(1 - p)) / cols;
          }
        }
        break;
      case 'categoricalCrossentropy':
      case 'sparseCategoricalCrossentropy': {
        let logSum = 0;
        let max = -Infinity;
        if (fused) {
          for (let c = 0; c < cols; c++) max = Math.max(max, out[o + c]);
          for (let c = 0; c < cols; c++) logSum += Math.exp(out[o + c] - max);
          logSum = Math.log(logSum) + max;
        }
        for (let c = 0; c < cols; c++) {
          const t = loss === 'sparseCategoricalCrossentropy' ? (targets[r] === c ? 1 : 0) : targets[o + c];
          if (t === 0) continue;
          sum -= t * (fused ? out[o + c] - logSum : Math.log(clip(out[o + c], EPSILON, 1 - EPSILON)));
        }
        break;
      }
    }
  }
  return sum / rows;
}
