// Activation names accepted by layers and by dense's `activation` option, mapped to kernel codes.
import { ACTIVATIONS } from '../ops/activation-kinds.js';

/** Softmax is row-wise, not elementwise: it has no code in the kernels' activation table. */
export const SOFTMAX = -1;

export const ACTIVATION_NAMES = ['linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'softmax', 'step'] as const;
export type ActivationName = (typeof ACTIVATION_NAMES)[number];

export interface Activation {
  readonly name: ActivationName;
  /** Kernel activation code (src/ops/activation-kinds.ts), or SOFTMAX. */
  readonly kind: number;
  /** Leaky ReLU slope for x < 0; 0 for the others. */
  readonly param: number;
}

/** Default leaky-ReLU slope, as TensorFlow.js and Keras (alpha = 0.3). */
export const DEFAULT_LEAKY_ALPHA = 0.3;

export function resolveActivation(name: unknown, alpha = DEFAULT_LEAKY_ALPHA): Activation {
  if (typeof name !== 'string' || !(ACTIVATION_NAMES as readonly string[]).includes(name)) {
    throw new TypeError(`unknown activation '${String(name)}'; valid: ${ACTIVATION_NAMES.join(', ')}`);
  }
  if (name === 'leakyRelu' && (!Number.isFinite(alpha) || alpha < 0)) {
    throw new RangeError(`leakyRelu alpha must be a finite number >= 0, got ${alpha}`);
  }
  const kind = name === 'softmax' ? SOFTMAX : ACTIVATIONS[name as Exclude<ActivationName, 'softmax'>];
  return { name: name as ActivationName, kind, param: name === 'leakyRelu' ? alpha : 0 };
}
