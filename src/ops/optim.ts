// Optimizer steps at pointer level (assembly/optim.ts): one fused pass per parameter tensor, used by the
// training code's optimizers on their planned state buffers. Each returns true when every updated weight is
// finite; the `saved*` pointers (0 = none) receive the old weights and state first, for fit's rollback.

import { kernels } from '../backend/wasm.js';

/** w -= lr * g over n floats. */
export function sgdStep(w: number, g: number, n: number, lr: number, savedW = 0): boolean {
  return kernels.sgd(w, g, n, lr, savedW) === 0;
}

/** v = momentum v - lr g; w += v, or with Nesterov w += momentum v - lr g (Keras' formulation). */
export function sgdMomentumStep(
  w: number, g: number, v: number, n: number, lr: number, momentum: number, nesterov: boolean, savedW = 0, savedV = 0,
): boolean {
  return kernels.sgdMomentum(w, g, v, n, lr, momentum, nesterov ? 1 : 0, savedW, savedV) === 0;
}

/**
 * One Adam step (Kingma & Ba 2015) at step t >= 1: the bias corrections 1 - beta^t are computed here in
 * f64 and passed to the kernel.
 */
export function adamStep(
  w: number, g: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, t: number,
  savedW = 0, savedM = 0, savedV = 0,
): boolean {
  return kernels.adam(w, g, m, v, n, lr, beta1, beta2, eps, 1 - beta1 ** t, 1 - beta2 ** t, savedW, savedM, savedV) === 0;
}
