// Activation codes passed to the kernels; mirror of assembly/activation-kinds.ts.
export const ACTIVATIONS = {
  linear: 0,
  relu: 1,
  leakyRelu: 2,
  sigmoid: 3,
  tanh: 4,
  step: 5,
} as const;
export type ActivationName = keyof typeof ACTIVATIONS;
export type ActivationCode = (typeof ACTIVATIONS)[ActivationName];

/** Looks up an activation by name; the error lists the valid names. */
export function activationCode(name: string): ActivationCode {
  if (!Object.hasOwn(ACTIVATIONS, name)) {
    throw new TypeError(`unknown activation '${name}'; valid: ${Object.keys(ACTIVATIONS).join(', ')}`);
  }
  return ACTIVATIONS[name as ActivationName];
}
