// Weight penalties (Keras / TensorFlow.js L1L2): l1 * sum|w| + l2 * sum w^2 is added to the loss and
// l1 * sign(w) + 2 * l2 * w to the weight's gradient, in one pass (assembly/regularize.ts).
import { checkNumber, checkOptions, isPlainObject } from './config.js';

export interface Regularizer {
  readonly l1: number;
  readonly l2: number;
}

function make({ l1, l2 }: { l1: number; l2: number }, where: string): Regularizer {
  return Object.freeze({ l1: checkNumber(l1, `${where} l1`, 0), l2: checkNumber(l2, `${where} l2`, 0) });
}

/** Defaults as TensorFlow.js: 0.01 for each factor named. */
export const regularizers = {
  l1: (options?: { l1?: number }): Regularizer => make({ l1: checkOptions(options, ['l1'], 'regularizers.l1').l1 ?? 0.01, l2: 0 }, 'regularizers.l1'),
  l2: (options?: { l2?: number }): Regularizer => make({ l1: 0, l2: checkOptions(options, ['l2'], 'regularizers.l2').l2 ?? 0.01 }, 'regularizers.l2'),
  l1l2: (options?: { l1?: number; l2?: number }): Regularizer => {
    const o = checkOptions(options, ['l1', 'l2'], 'regularizers.l1l2');
    return make({ l1: o.l1 ?? 0.01, l2: o.l2 ?? 0.01 }, 'regularizers.l1l2');
  },
};

/** A regularizer option: null/undefined for none, a regularizer, or its config { l1, l2 } (saved models). */
export function resolveRegularizer(value: unknown, where: string): Regularizer | null {
  if (value === undefined || value === null) return null;
  if (!isPlainObject(value)) throw new TypeError(`${where} must be sn.regularizers.l1/l2/l1l2(...) or null, got ${String(value)}`);
  const o = checkOptions(value as { l1?: number; l2?: number }, ['l1', 'l2'], where);
  return make({ l1: o.l1 ?? 0, l2: o.l2 ?? 0 }, where);
}

/** The TensorFlow.js serialization: { class_name: 'L1L2', config: { l1, l2 } } (or null). */
export function regularizerToTfjs(r: Regularizer | null): unknown {
  return r === null ? null : { class_name: 'L1L2', config: { l1: r.l1, l2: r.l2 } };
}

export function regularizerFromTfjs(value: unknown, where: string): Regularizer | null {
  if (value === null || value === undefined) return null;
  if (!isPlainObject(value) || value.class_name !== 'L1L2' || !isPlainObject(value.config)) {
    throw new TypeError(`${where}: regularizer ${JSON.stringify(value)} is not supported; simdnet reads L1L2 ({ l1, l2 })`);
  }
  return make({ l1: (value.config.l1 as number) ?? 0, l2: (value.config.l2 as number) ?? 0 }, where);
}
