// Float64 references of the layers that work over the last axis of a tensor of any rank (Dense applied at
// every position, activations, softmax per last-axis row) and of a whole model of the new layers in either
// mode, written independently of src/nn (the dropout masks replay the independent BigInt hash of
// reference/dropout.ts). A rank-k sample [d1, ..., dk] is `positions` rows of its last axis dk.
import { batchNormForward, batchNormStats } from './batchnorm.js';
import { hash32 } from './dropout.js';
import { activate, type RefActivation } from './nn.js';

/** y[p, j] = b[j] + sum_k x[p, k] w[k, j] at every position p (W [inputs, units] row-major). */
export function denseRows(x: ArrayLike<number>, positions: number, inputs: number, w: ArrayLike<number>, b: ArrayLike<number> | null, units: number): Float64Array {
  const y = new Float64Array(positions * units);
  for (let p = 0; p < positions; p++) {
    for (let j = 0; j < units; j++) {
      let s = b === null ? 0 : b[j];
      for (let k = 0; k < inputs; k++) s += x[p * inputs + k] * w[k * units + j];
      y[p * units + j] = s;
    }
  }
  return y;
}

/** act over rows of `cols` values (softmax normalizes each row). */
export function activateRows(act: RefActivation, alpha: number, z: ArrayLike<number>, cols: number): Float64Array {
  return activate(act, alpha, Float64Array.from(z), z.length / cols, cols);
}

/**
 * The keep-and-scale factors of inverted dropout for one training step: the step's seed is the hash of
 * (layer seed, step index), each value's decision the hash of (step seed, index), kept when its top 24 bits
 * as a fraction are >= rate (rate as the float32 the kernel receives).
 */
export function dropoutScales(count: number, rate: number, layerSeed: number, step: number): Float64Array {
  const stepSeed = hash32(layerSeed, step);
  const rate32 = Math.fround(rate);
  const scale = Math.fround(1 / (1 - rate32));
  return Float64Array.from({ length: count }, (_, i) => ((hash32(stepSeed, i) >>> 8) * 2 ** -24 >= rate32 ? scale : 0));
}

/** One layer of a reference model, with its weights in float64 (the model's getWeights order). */
export type RefLayer =
  | { kind: 'dense'; units: number; activation: RefActivation; alpha?: number; w: ArrayLike<number>; b: ArrayLike<number> | null }
  | { kind: 'activation'; activation: RefActivation; alpha?: number }
  | { kind: 'reshape'; shape: number[] }
  | { kind: 'dropout'; rate: number; seed: number; step: number }
  | { kind: 'batchNorm'; gamma: ArrayLike<number> | null; beta: ArrayLike<number> | null; movingMean: ArrayLike<number>; movingVariance: ArrayLike<number>; epsilon: number };

/**
 * The model's outputs for samples of per-sample shape `shape`. In training, dropout applies its
 * step's mask and batch normalization the batch's statistics (the biased variance); in inference both
 * are the identity / the moving statistics. Returns the outputs and the per-sample output shape.
 */
export function refModelForward(layers: RefLayer[], x: ArrayLike<number>, shape: number[], training: boolean): { y: Float64Array; shape: number[] } {
  let v: Float64Array<ArrayBufferLike> = Float64Array.from(x);
  let s = [...shape];
  for (const l of layers) {
    const last = s[s.length - 1];
    const count = v.length / last;
    switch (l.kind) {
      case 'dense':
        v = activateRows(l.activation, l.alpha ?? 0.3, denseRows(v, count, last, l.w, l.b, l.units), l.units);
        s = [...s.slice(0, -1), l.units];
        break;
      case 'activation':
        v = activateRows(l.activation, l.alpha ?? 0.3, v, last);
        break;
      case 'reshape':
        s = [...l.shape];
        break;
      case 'dropout':
        if (training) {
          const scales = dropoutScales(v.length, l.rate, l.seed, l.step);
          v = v.map((value, i) => value * scales[i]);
        }
        break;
      case 'batchNorm': {
        const stats = training ? batchNormStats(v, count, last) : { mean: l.movingMean, variance: l.movingVariance };
        v = Float64Array.from(batchNormForward(v, count, last, stats.mean, stats.variance, l.gamma, l.beta, l.epsilon));
        break;
      }
    }
  }
  return { y: v, shape: s };
}

/** Worst |a - r| / (1 + |r|) (relative for large values, absolute near zero). */
export function worstError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`lengths differ: ${actual.length} vs ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i])));
  return worst;
}
