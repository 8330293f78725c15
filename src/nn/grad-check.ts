// Gradient checking: the model's float32 analytic gradients (the kernels' backward pass) against central
// differences of a float64 reference forward pass, (L(w + h) - L(w - h)) / 2h (CS231n, "Gradient checks").
import { Tensor } from '../tensor.js';
import { checkOptions } from './config.js';
import { sparseTargets, toMatrix, type DataLike } from './data.js';
import { forward64, loss64, penalty64 } from './reference64.js';
import type { Sequential } from './sequential.js';

export interface GradCheckOptions {
  /** Finite-difference step h (default 1e-5; the reference is float64, so a small h is safe). */
  epsilon?: number;
  /** Entries checked per parameter tensor, evenly spread (default 200; all of a smaller tensor). */
  maxPerTensor?: number;
}

export interface GradCheckResult {
  /** Parameter name, e.g. 'dense_1/kernel'. */
  name: string;
  /**
   * Worst |analytic - numeric| / max(|analytic|, |numeric|, floor) over the checked entries, where floor =
   * 1e-3 x the largest |numeric| of the tensor: entries far below the tensor's gradient scale are judged
   * against that scale (float32 round-off is relative to it), not against their own near-zero size.
   */
  maxRelativeError: number;
  maxAbsoluteError: number;
  checked: number;
}

export function gradCheck(model: Sequential, x: DataLike, y: DataLike, options: GradCheckOptions = {}): GradCheckResult[] {
  checkOptions(options, ['epsilon', 'maxPerTensor'], 'gradCheck');
  const h = options.epsilon ?? 1e-5;
  const maxPerTensor = options.maxPerTensor ?? 200;
  if (!(h > 0 && Number.isFinite(h))) throw new RangeError(`gradCheck epsilon must be a finite number > 0, got ${h}`);
  if (!Number.isInteger(maxPerTensor) || maxPerTensor < 1) throw new RangeError(`gradCheck maxPerTensor must be an integer >= 1, got ${maxPerTensor}`);
  model.computeGradients(x, y);
  const objective = model.objective;
  const { loss, fused, reduction } = objective;
  const owned: Tensor[] = [];
  try {
    const xm = toMatrix(x, 'x', model.inputShape);
    if (xm.owned) owned.push(xm.tensor);
    const ym = loss === 'sparseCategoricalCrossentropy' ? sparseTargets(y, 'y', model.outputShape) : toMatrix(y, 'y', model.outputShape);
    if (ym.owned) owned.push(ym.tensor);
    const rows = xm.rows;
    const x64 = Float64Array.from(xm.tensor.data);
    const targets = Float64Array.from(ym.tensor.data);
    // Every weight in float64 (moving statistics too); the trainable ones are perturbed.
    const named = model.namedWeights;
    const weights = named.map((w) => Float64Array.from(w.tensor.data));
    const trainable = new Set(model.params);
    const checked = named.flatMap((w, i) => (trainable.has(w.tensor) ? [i] : []));
    const grads = model.grads.map((g) => Float64Array.from(g.data));
    const names = model.paramNames;
    const scale = reduction === 'sum' ? rows : 1;
    const lossAt = (): number =>
      scale * loss64(objective, forward64(model.layers, weights, x64, rows, fused), targets, rows, model.outputUnits) + penalty64(model.layers, weights);
    return checked.map((index, t) => {
      const w = weights[index];
      const count = Math.min(w.length, maxPerTensor);
      const numeric: number[] = [];
      const analytic: number[] = [];
      for (let k = 0; k < count; k++) {
        const i = Math.floor((k * w.length) / count);
        const saved = w[i];
        w[i] = saved + h;
        const plus = lossAt();
        w[i] = saved - h;
        const minus = lossAt();
        w[i] = saved;
        numeric.push((plus - minus) / (2 * h));
        analytic.push(grads[t][i]);
      }
      const floor = Math.max(1e-3 * Math.max(...numeric.map(Math.abs)), 1e-12);
      let maxRelativeError = 0;
      let maxAbsoluteError = 0;
      for (let k = 0; k < count; k++) {
        const diff = Math.abs(analytic[k] - numeric[k]);
        maxAbsoluteError = Math.max(maxAbsoluteError, diff);
        maxRelativeError = Math.max(maxRelativeError, diff / Math.max(Math.abs(analytic[k]), Math.abs(numeric[k]), floor));
      }
      return { name: names[t], maxRelativeError, maxAbsoluteError, checked: count };
    });
  } finally {
    for (const t of owned) t.dispose();
  }
}
