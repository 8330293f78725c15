// Float64 references of the optimizer steps (assembly/optim.ts). Arrays are updated in place.
export function sgd(w: number[], g: ArrayLike<number>, lr: number): void {
  for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
}

/** Keras/TensorFlow.js SGD: v = mu v - lr g; w += v, or w += mu v - lr g (Nesterov) with the new v. */
export function sgdMomentum(w: number[], g: ArrayLike<number>, v: number[], lr: number, momentum: number, nesterov: boolean): void {
  for (let i = 0; i < w.length; i++) {
    v[i] = momentum * v[i] - lr * g[i];
    w[i] += nesterov ? momentum * v[i] - lr * g[i] : v[i];
  }
}

/** Adam, Kingma & Ba 2015 Algorithm 1, at step t >= 1. */
export function adam(w: number[], g: ArrayLike<number>, m: number[], v: number[], lr: number, beta1: number, beta2: number, eps: number, t: number): void {
  for (let i = 0; i < w.length; i++) {
    m[i] = beta1 * m[i] + (1 - beta1) * g[i];
    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
    const mHat = m[i] / (1 - beta1 ** t);
    const vHat = v[i] / (1 - beta2 ** t);
    w[i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
  }
}
