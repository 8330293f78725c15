// Optimizer steps at pointer level (assembly/optim.ts): one fused pass per parameter tensor, used by the
// training code's optimizers on their planned state buffers.
import { kernels } from '../backend/wasm.js';

/** w -= lr * g over n floats. */
export function sgdStep(w: number, g: number, n: number, lr: number): void {
  kernels.sgd(w, g, n, lr);
}

/** v = momentum v - lr g; w += v, or with Nesterov w += momentum v - lr g (Keras' formulation). */
export function sgdMomentumStep(w: number, g: number, v: number, n: number, lr: number, momentum: number, nesterov: boolean): void {
  kernels.sgdMomentum(w, g, v, n, lr, momentum, nesterov ? 1 : 0);
}

/**
 * One Adam step (Kingma & Ba 2015) at step t >= 1: the bias corrections 1 - beta^t are computed here in
 * f64 and passed to the kernel.
 */
export function adamStep(w: number, g: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, t: number): void {
  kernels.adam(w, g, m, v, n, lr, beta1, beta2, eps, 1 - beta1 ** t, 1 - beta2 ** t);
}
