// Derivatives of the elementwise activations, for backward passes written by hand: dx = dy * f'(x), either
// at the pre-activation x (NumPy tutorials' `deriv_ReLU(Z)`) or, with `fromOutput`, from the saved output
// y = f(x) (the tutorials' `sigmoid_derivative(output) = output * (1 - output)`). Kernels:
// assembly/activations.ts (actForward, then actBackward on the output).
import { kernels } from '../backend/wasm.js';
import { Tensor } from '../tensor.js';
import { ACTIVATIONS, type ActivationCode } from './activation-kinds.js';
import { checkTensor, leakyAlpha } from './elementwise.js';
import { checkOptions, checkOutShape } from './options.js';

export interface ActivationGradOptions {
  /** The upstream gradient to multiply by f' (x's shape); default 1, which gives f' itself. */
  dy?: Tensor;
  /** x is the activation's output y = f(z), not its input; default false. */
  fromOutput?: boolean;
  /** Write the result here (x's shape; x or dy for in place) instead of into a new tensor. */
  out?: Tensor;
}

export interface LeakyReluGradOptions extends ActivationGradOptions {
  /** Slope for inputs <= 0 (default 0.3, as leakyRelu). */
  alpha?: number;
}

const OPTION_KEYS = ['dy', 'fromOutput', 'out'];

function grad(op: string, code: ActivationCode, x: Tensor, options: LeakyReluGradOptions | undefined, param: number): Tensor {
  checkTensor(`${op}: x`, x);
  checkOptions(op, options, code === ACTIVATIONS.leakyRelu ? [...OPTION_KEYS, 'alpha'] : OPTION_KEYS);
  const fromOutput = options?.fromOutput ?? false;
  if (typeof fromOutput !== 'boolean') throw new TypeError(`${op}: fromOutput must be true or false, got ${String(fromOutput)}`);
  const dy = checkOutShape(op, options?.dy, x.shape, 'dy');
  const out = checkOutShape(op, options?.out, x.shape) ?? new Tensor(x.shape);
  // y (the output) and dy (or ones) must both be readable while out is written; a scratch tensor holds
  // whichever of them cannot live in out.
  let scratch: Tensor | undefined;
  try {
    let y = x;
    if (!fromOutput) {
      y = dy === out || (dy === undefined && out === x) ? (scratch = new Tensor(x.shape)) : out;
      kernels.actForward(code, x.ptr, y.ptr, x.size, param);
    }
    let upstream = dy;
    if (upstream === undefined) {
      upstream = out === y ? (scratch ??= new Tensor(x.shape)) : out;
      upstream.data.fill(1);
    }
    kernels.actBackward(code, y.ptr, upstream.ptr, out.ptr, x.size, param);
  } finally {
    scratch?.dispose();
  }
  return out;
}

/** dy * sigmoid'(x) = dy * s (1 - s) with s = sigmoid(x) (or s = x with fromOutput). */
export function sigmoidGrad(x: Tensor, options?: ActivationGradOptions): Tensor {
  return grad('sigmoidGrad', ACTIVATIONS.sigmoid, x, options, 0);
}

/** dy * tanh'(x) = dy * (1 - t^2) with t = tanh(x) (or t = x with fromOutput). */
export function tanhGrad(x: Tensor, options?: ActivationGradOptions): Tensor {
  return grad('tanhGrad', ACTIVATIONS.tanh, x, options, 0);
}

/** dy * relu'(x): dy where x > 0, else 0 (0 at x = 0, as the tutorials' `Z > 0`). */
export function reluGrad(x: Tensor, options?: ActivationGradOptions): Tensor {
  return grad('reluGrad', ACTIVATIONS.relu, x, options, 0);
}

/** dy * leakyRelu'(x): dy where x > 0, else alpha * dy. */
export function leakyReluGrad(x: Tensor, options?: LeakyReluGradOptions): Tensor {
  return grad('leakyReluGrad', ACTIVATIONS.leakyRelu, x, options, leakyAlpha('leakyReluGrad', options?.alpha));
}
