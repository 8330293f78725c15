// The float64 reference of a model: each layer's own reference forward (Layer.forward64) in turn, and the
// losses written plainly (formulas as src/nn/losses.ts). gradCheck differentiates these by central differences.
import type { Layer } from './layer.js';
import type { LossSetting } from './losses.js';

const EPSILON = 1e-7;

/**
 * Outputs of `layers` for x (`rows` samples, float64) with `weights` (every layer's weights, in model order)
 * in training mode; `logits` leaves out the last layer's output activation.
 */
export function forward64(layers: readonly Layer[], weights: readonly Float64Array[], x: Float64Array, rows: number, logits: boolean): Float64Array {
  let input = x;
  let at = 0;
  layers.forEach((layer, i) => {
    const own = weights.slice(at, at + layer.weights.length);
    at += layer.weights.length;
    input = layer.forward64(input, rows, own, true, logits && i === layers.length - 1);
  });
  return input;
}

/** l1 * sum|w| + l2 * sum w^2 over the regularized weights (float64). */
export function penalty64(layers: readonly Layer[], weights: readonly Float64Array[]): number {
  let sum = 0;
  let at = 0;
  for (const layer of layers) {
    for (const w of layer.weights) {
      const values = weights[at++];
      if (w.regularizer === null) continue;
      for (const v of values) sum += w.regularizer.l1 * Math.abs(v) + w.regularizer.l2 * v * v;
    }
  }
  return sum;
}

/** Mean loss over rows (targets: floats, or class indices for the sparse loss); `logits`: out holds logits. */
export function loss64(setting: LossSetting, out: Float64Array, targets: ArrayLike<number>, rows: number, cols: number): number {
  const { loss, logits, delta } = setting;
  let sum = 0;
  const clip = (p: number, lo: number, hi: number): number => Math.min(Math.max(p, lo), hi);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    switch (loss) {
      case 'meanSquaredError':
        for (let c = 0; c < cols; c++) sum += (out[o + c] - targets[o + c]) ** 2 / cols;
        break;
      case 'halfSquaredError':
        for (let c = 0; c < cols; c++) sum += 0.5 * (out[o + c] - targets[o + c]) ** 2;
        break;
      case 'halfMeanSquaredError':
        for (let c = 0; c < cols; c++) sum += (0.5 * (out[o + c] - targets[o + c]) ** 2) / cols;
        break;
      case 'meanAbsoluteError':
        for (let c = 0; c < cols; c++) sum += Math.abs(out[o + c] - targets[o + c]) / cols;
        break;
      case 'huber':
        for (let c = 0; c < cols; c++) {
          const a = Math.abs(out[o + c] - targets[o + c]);
          sum += (a <= delta ? 0.5 * a * a : delta * (a - 0.5 * delta)) / cols;
        }
        break;
      case 'hinge':
        for (let c = 0; c < cols; c++) sum += Math.max(0, 1 - targets[o + c] * out[o + c]) / cols;
        break;
      case 'binaryCrossentropy':
        for (let c = 0; c < cols; c++) {
          const t = targets[o + c];
          if (logits) {
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
        // The mean over the sample's positions of each one's cross-entropy over `classes` (Keras).
        const classes = setting.classes ?? cols;
        const positions = cols / classes;
        for (let p = 0; p < positions; p++) {
          const at = o + p * classes;
          let logSum = 0;
          let max = -Infinity;
          if (logits) {
            for (let c = 0; c < classes; c++) max = Math.max(max, out[at + c]);
            for (let c = 0; c < classes; c++) logSum += Math.exp(out[at + c] - max);
            logSum = Math.log(logSum) + max;
          }
          for (let c = 0; c < classes; c++) {
            const t = loss === 'sparseCategoricalCrossentropy' ? (targets[r * positions + p] === c ? 1 : 0) : targets[at + c];
            if (t === 0) continue;
            sum -= (t * (logits ? out[at + c] - logSum : Math.log(clip(out[at + c], EPSILON, 1 - EPSILON)))) / positions;
          }
        }
        break;
      }
    }
  }
  return sum / rows;
}
