// Optimizer steps at pointer level (assembly/optim.ts): one fused pass per parameter tensor, used by the
// training code's optimizers on their planned state buffers. Each returns true when every updated weight is
// finite; the `saved*` pointers (0 = none) receive the old weights and state first, for fit's rollback.
// A parameter of n floats is `rows` rows of n / rows (a weight matrix's inputs): a large one is updated
// by the thread pool, split by the same rows as the GEMM that computed its gradient.

import { parallelRows } from '../backend/pool.js';

// Arguments of the current call, reused (a training step makes no per-op garbage).
const args: number[] = [];

function update(kernel: 'sgd' | 'sgdMomentum' | 'adam', n: number, rows: number): boolean {
  return parallelRows(kernel, rows, n / rows, args) === 0;
}

/** w -= lr * g over n floats. */
export function sgdStep(w: number, g: number, n: number, rows: number, lr: number, savedW = 0): boolean {
  args.length = 5;
  args[0] = w; args[1] = g; args[2] = n; args[3] = lr; args[4] = savedW;
  return update('sgd', n, rows);
}

/** v = momentum v - lr g; w += v, or with Nesterov w += momentum v - lr g (Keras' formulation). */
export function sgdMomentumStep(
  w: number, g: number, v: number, n: number, rows: number, lr: number, momentum: number, nesterov: boolean, savedW = 0, savedV = 0,
): boolean {
  args.length = 9;
  args[0] = w; args[1] = g; args[2] = v; args[3] = n; args[4] = lr; args[5] = momentum; args[6] = nesterov ? 1 : 0;
  args[7] = savedW; args[8] = savedV;
  return update('sgdMomentum', n, rows);
}

/**
 * One Adam step (Kingma & Ba 2015) at step t >= 1: the bias corrections 1 - beta^t are computed here in
 * f64 and passed to the kernel.
 */
export function adamStep(
  w: number, g: number, m: number, v: number, n: number, rows: number, lr: number, beta1: number, beta2: number, eps: number, t: number,
  savedW = 0, savedM = 0, savedV = 0,
): boolean {
  args.length = 14;
  args[0] = w; args[1] = g; args[2] = m; args[3] = v; args[4] = n; args[5] = lr; args[6] = beta1; args[7] = beta2; args[8] = eps;
  args[9] = 1 - beta1 ** t; args[10] = 1 - beta2 ** t; args[11] = savedW; args[12] = savedM; args[13] = savedV;
  return update('adam', n, rows);
}
