// Activations as layers use them: a row of the one table (src/activation-table.ts) plus its parameter.
import { ACTIVATION_TABLE, type ActivationRow } from '../activation-table.js';
import { kernels } from '../kernel-calls.js';

export type ActivationName = (typeof ACTIVATION_TABLE)[number]['name'];
export const ACTIVATION_NAMES: readonly ActivationName[] = ACTIVATION_TABLE.map((a) => a.name);

/** Softmax's code: it works on rows, with its own kernels, not in the elementwise table of the kernels. */
export const SOFTMAX = -1;

export interface Activation {
  readonly name: ActivationName;
  /** Kernel code of an elementwise activation, or SOFTMAX. */
  readonly kind: number;
  /** Its parameter (leaky ReLU's slope); 0 for those without one. */
  readonly param: number;
  readonly row: ActivationRow;
}

/** Default leaky-ReLU slope, as TensorFlow.js and Keras (alpha = 0.3). */
export const DEFAULT_LEAKY_ALPHA = 0.3;

/** The activation `name` with parameter `param` (its default when undefined); errors list the valid names. */
export function resolveActivation(name: unknown, param?: number): Activation {
  const row: ActivationRow | undefined = ACTIVATION_TABLE.find((a) => a.name === name);
  if (row === undefined) throw new TypeError(`unknown activation '${String(name)}'; valid: ${ACTIVATION_NAMES.join(', ')}`);
  let value = 0;
  if (row.param !== null) {
    value = param ?? row.param.defaultValue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`${row.name} ${row.param.name} must be a finite number >= 0, got ${String(value)}`);
    }
  }
  return { name: row.name as ActivationName, kind: row.code, param: value, row };
}

/** The activation's config entries: { activation } plus its parameter when it has one (e.g. { alpha }). */
export function activationConfig(act: Activation): Record<string, unknown> {
  return act.row.param === null ? { activation: act.name } : { activation: act.name, [act.row.param.name]: act.param };
}

/** y = act(x) over `rows` rows of `cols` (pointers; y may be x). */
export function activationRows(act: Activation, x: number, y: number, rows: number, cols: number): void {
  if (act.kind === SOFTMAX) kernels.softmaxRows(x, y, rows, cols);
  else kernels.actForward(act.kind, x, y, rows * cols, act.param);
}

/** dx = dy * act'(x), from the saved output y (dx may be dy). */
export function activationGradientRows(act: Activation, y: number, dy: number, dx: number, rows: number, cols: number): void {
  if (act.kind === SOFTMAX) kernels.softmaxBackwardRows(y, dy, dx, rows, cols);
  else kernels.actBackward(act.kind, y, dy, dx, rows * cols, act.param);
}

/** The float64 reference of act over `rows` rows of `cols`, in place. */
export function activation64(act: Activation, z: Float64Array, rows: number, cols: number): void {
  const reference = act.row.reference;
  if (reference !== null) {
    for (let i = 0; i < z.length; i++) z[i] = reference(z[i], act.param);
    return;
  }
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, z[r * cols + c]);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(z[r * cols + c] - max);
    for (let c = 0; c < cols; c++) z[r * cols + c] = Math.exp(z[r * cols + c] - max) / sum;
  }
}
