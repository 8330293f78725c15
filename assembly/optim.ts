// Optimizer updates: one fused pass over a parameter tensor w with its gradient g (and state buffers).
// Each element's update is the same f32 expression in lanes and tail, so results do not depend on position.

/** w -= lr * g. */
export function sgd(w: usize, g: usize, n: i32, lr: f32): void {
  const lr4 = f32x4.splat(lr);
  const vectorEnd = (<usize>n & ~3) << 2;
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    v128.store(w + offset, f32x4.sub(v128.load(w + offset), f32x4.mul(lr4, v128.load(g + offset))));
  }
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) store<f32>(w + offset, load<f32>(w + offset) - lr * load<f32>(g + offset));
}

/**
 * SGD with momentum, in the velocity form of Keras/TensorFlow.js (keras.optimizers.SGD):
 *   v = momentum * v - lr * g
 *   classic:  w = w + v
 *   Nesterov: w = w + momentum * v - lr * g   (with the updated v; Sutskever et al. 2013, as Keras rewrites it)
 */
export function sgdMomentum(w: usize, g: usize, v: usize, n: i32, lr: f32, momentum: f32, nesterov: i32): void {
  const lr4 = f32x4.splat(lr);
  const mu4 = f32x4.splat(momentum);
  const vectorEnd = (<usize>n & ~3) << 2;
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const step = f32x4.mul(lr4, v128.load(g + offset));
    const velocity = f32x4.sub(f32x4.mul(mu4, v128.load(v + offset)), step);
    v128.store(v + offset, velocity);
    const delta = nesterov != 0 ? f32x4.sub(f32x4.mul(mu4, velocity), step) : velocity;
    v128.store(w + offset, f32x4.add(v128.load(w + offset), delta));
  }
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) {
    const step = lr * load<f32>(g + offset);
    const velocity = momentum * load<f32>(v + offset) - step;
    store<f32>(v + offset, velocity);
    const delta = nesterov != 0 ? momentum * velocity - step : velocity;
    store<f32>(w + offset, load<f32>(w + offset) + delta);
  }
}

/**
 * Adam (Kingma & Ba 2015, Algorithm 1), with the bias corrections passed in by the caller:
 *   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
 *   w -= lr * (m / correction1) / (sqrt(v / correction2) + eps),  correction_i = 1 - beta_i^t
 */
export function adam(w: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, beta1: f32, beta2: f32, eps: f32, correction1: f32, correction2: f32): void {
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const oneMinusB1 = f32x4.splat(<f32>1.0 - beta1);
  const oneMinusB2 = f32x4.splat(<f32>1.0 - beta2);
  const c1 = f32x4.splat(correction1);
  const c2 = f32x4.splat(correction2);
  const lr4 = f32x4.splat(lr);
  const eps4 = f32x4.splat(eps);
  const vectorEnd = (<usize>n & ~3) << 2;
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    const grad = v128.load(g + offset);
    const first = f32x4.add(f32x4.mul(b1, v128.load(m + offset)), f32x4.mul(oneMinusB1, grad));
    const second = f32x4.add(f32x4.mul(b2, v128.load(v + offset)), f32x4.mul(oneMinusB2, f32x4.mul(grad, grad)));
    v128.store(m + offset, first);
    v128.store(v + offset, second);
    const denominator = f32x4.add(f32x4.sqrt(f32x4.div(second, c2)), eps4);
    const step = f32x4.div(f32x4.mul(lr4, f32x4.div(first, c1)), denominator);
    v128.store(w + offset, f32x4.sub(v128.load(w + offset), step));
  }
  const oneMinusBeta1 = <f32>1.0 - beta1;
  const oneMinusBeta2 = <f32>1.0 - beta2;
  const end = <usize>n << 2;
  for (; offset < end; offset += 4) {
    const grad = load<f32>(g + offset);
    const first = beta1 * load<f32>(m + offset) + oneMinusBeta1 * grad;
    const second = beta2 * load<f32>(v + offset) + oneMinusBeta2 * (grad * grad);
    store<f32>(m + offset, first);
    store<f32>(v + offset, second);
    const step = (lr * (first / correction1)) / (sqrt<f32>(second / correction2) + eps);
    store<f32>(w + offset, load<f32>(w + offset) - step);
  }
}
