// Kernel codes of the elementwise activations, by name, derived from the one table (src/activation-table.ts).
import { ACTIVATION_TABLE } from '../activation-table.js';

// Softmax (code -1) works on rows and has its own kernel.
type ElementwiseRow = Exclude<(typeof ACTIVATION_TABLE)[number], { code: -1 }>;
export type ActivationName = ElementwiseRow['name'];
export type ActivationCode = ElementwiseRow['code'];

export const ACTIVATIONS = Object.fromEntries(ACTIVATION_TABLE.filter((a) => a.code >= 0).map((a) => [a.name, a.code])) as {
  readonly [R in ElementwiseRow as R['name']]: R['code'];
};

/** Looks up an elementwise activation by name; the error lists the valid names. */
export function activationCode(name: string): ActivationCode {
  if (!Object.hasOwn(ACTIVATIONS, name)) {
    throw new TypeError(`unknown activation '${name}'; valid: ${Object.keys(ACTIVATIONS).join(', ')}`);
  }
  return ACTIVATIONS[name as ActivationName];
}
