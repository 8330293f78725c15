// Elementwise activations: Tensor-level public functions (`sn.relu(x, { out })` ...) and the thin
// pointer-level calls the training code uses on its planned buffers. Kernels: assembly/activations.ts.
import { kernels } from '../backend/wasm.js';
import { Tensor } from '../tensor.js';
import { ACTIVATIONS, type ActivationCode } from './activation-kinds.js';
import { DEFAULT_LEAKY_ALPHA } from '../nn/activations.js';
import { checkOptions } from './options.js';

export interface ElementwiseOptions {
  /** Write the result here (same shape as x; x itself for in place) instead of into a new tensor. */
  out?: Tensor;
}

export interface LeakyReluOptions extends ElementwiseOptions {
  /** Slope for x <= 0, finite and >= 0; default 0.3 as Keras and TensorFlow.js. */
  alpha?: number;
}

export const formatShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** Checks that `t` is a live Tensor; `what` names the operation and argument in the error. */
export function checkTensor(what: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${what} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (t.disposed) throw new Error(`${what} (Tensor ${formatShape(t.shape)}) was disposed`);
  return t;
}

/** Checks the options object and its `out` (same shape as x); returns out or undefined. */
export function checkOut(op: string, x: Tensor, options: ElementwiseOptions | undefined, valid: readonly string[] = ['out']): Tensor | undefined {
  if (options === undefined) return undefined;
  checkOptions(op, options, valid);
  if (options.out === undefined) return undefined;
  const out = checkTensor(`${op}: out`, options.out);
  if (out.shape.length !== x.shape.length || out.shape.some((d, i) => d !== x.shape[i])) {
    throw new RangeError(`${op}: out ${formatShape(out.shape)} does not match x ${formatShape(x.shape)}`);
  }
  return out;
}

/** y = f(x) over n floats at byte offsets x and y (y == x allowed). Unchecked: sizes come from the caller. */
export function activationForward(code: ActivationCode, x: number, y: number, n: number, param: number): void {
  kernels.actForward(code, x, y, n, param);
}

/** dx = dy * f'(x) from the saved output y (dx may alias dy or y). Unchecked. */
export function activationBackward(code: ActivationCode, y: number, dy: number, dx: number, n: number, param: number): void {
  kernels.actBackward(code, y, dy, dx, n, param);
}

function apply(op: string, code: ActivationCode, x: Tensor, options: ElementwiseOptions | undefined, param: number): Tensor {
  checkTensor(`${op}: x`, x);
  const target = checkOut(op, x, options, code === ACTIVATIONS.leakyRelu ? ['out', 'alpha'] : ['out']) ?? new Tensor(x.shape);
  kernels.actForward(code, x.ptr, target.ptr, x.size, param);
  return target;
}

/** max(x, 0) elementwise (NaN stays NaN). */
export function relu(x: Tensor, options?: ElementwiseOptions): Tensor {
  return apply('relu', ACTIVATIONS.relu, x, options, 0);
}

/** x for x > 0, alpha * x otherwise. */
export function leakyRelu(x: Tensor, options?: LeakyReluOptions): Tensor {
  return apply('leakyRelu', ACTIVATIONS.leakyRelu, x, options, leakyAlpha('leakyRelu', options?.alpha));
}

/** The leaky-ReLU slope option: the default when absent, else checked to be finite and >= 0. */
export function leakyAlpha(op: string, alpha: unknown): number {
  if (alpha === undefined) return DEFAULT_LEAKY_ALPHA;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha < 0) {
    throw new RangeError(`${op}: alpha must be a finite number >= 0, got ${String(alpha)}`);
  }
  return alpha;
}

/** 1 / (1 + e^-x), computed without overflow for any x (exact 0 and 1 in the limits). */
export function sigmoid(x: Tensor, options?: ElementwiseOptions): Tensor {
  return apply('sigmoid', ACTIVATIONS.sigmoid, x, options, 0);
}

/** Hyperbolic tangent (exact -1 and 1 in the limits). */
export function tanh(x: Tensor, options?: ElementwiseOptions): Tensor {
  return apply('tanh', ACTIVATIONS.tanh, x, options, 0);
}

/** Heaviside step: 1 for x > 0, 0 otherwise (NaN stays NaN). */
export function step(x: Tensor, options?: ElementwiseOptions): Tensor {
  return apply('step', ACTIVATIONS.step, x, options, 0);
}
