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

/** AdamW (Loshchilov & Hutter 2019) as Keras 3 writes it: w -= lr wd w first, then the Adam step. */
export function adamw(w: number[], g: ArrayLike<number>, m: number[], v: number[], lr: number, beta1: number, beta2: number, eps: number, t: number, weightDecay: number): void {
  for (let i = 0; i < w.length; i++) w[i] -= lr * weightDecay * w[i];
  adam(w, g, m, v, lr, beta1, beta2, eps, t);
}

/**
 * RMSprop as Keras and TensorFlow.js write it: s = rho s + (1 - rho) g^2; centered: a = rho a + (1 - rho) g,
 * d = s - a^2, else d = s; increment = lr g / sqrt(d + eps); momentum: u = mu u + increment, w -= u.
 */
export function rmsprop(w: number[], g: ArrayLike<number>, s: number[], u: number[], a: number[], lr: number, rho: number, momentum: number, eps: number, centered: boolean): void {
  for (let i = 0; i < w.length; i++) {
    s[i] = rho * s[i] + (1 - rho) * g[i] * g[i];
    let d = s[i];
    if (centered) {
      a[i] = rho * a[i] + (1 - rho) * g[i];
      d -= a[i] * a[i];
    }
    const increment = (lr * g[i]) / Math.sqrt(d + eps);
    u[i] = momentum * u[i] + increment;
    w[i] -= u[i];
  }
}

/** Adagrad as Keras and TensorFlow.js write it: acc += g^2; w -= lr g / sqrt(acc + eps). */
export function adagrad(w: number[], g: ArrayLike<number>, acc: number[], lr: number, eps: number): void {
  for (let i = 0; i < w.length; i++) {
    acc[i] += g[i] * g[i];
    w[i] -= (lr * g[i]) / Math.sqrt(acc[i] + eps);
  }
}

/** Keras's gradient clipping: clipnorm (tf.clip_by_norm: g clipNorm / max(||g||, clipNorm)), then clipvalue. */
export function clipGradient(g: ArrayLike<number>, clipNorm?: number, clipValue?: number): number[] {
  let out = Array.from(g);
  if (clipNorm !== undefined) {
    const norm = Math.sqrt(out.reduce((s, x) => s + x * x, 0));
    out = out.map((x) => (x * clipNorm) / Math.max(norm, clipNorm));
  }
  if (clipValue !== undefined) out = out.map((x) => Math.min(Math.max(x, -clipValue), clipValue));
  return out;
}
