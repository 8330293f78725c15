// The optimizer registry (by the name a saved model records) and the sn.optimizers factories. A new
// optimizer is one file in this folder plus its line in OPTIMIZER_TYPES.
import { isPlainObject, type Config } from '../config.js';
import { Adagrad, type AdagradOptions } from './adagrad.js';
import { Adam, type AdamOptions } from './adam.js';
import { AdamW, type AdamWOptions } from './adamw.js';
import { Optimizer } from './optimizer.js';
import { Rmsprop, type RmspropOptions } from './rmsprop.js';
import { schedules } from './schedules.js';
import { Sgd, type SgdOptions } from './sgd.js';

const OPTIMIZER_TYPES: Record<string, (config?: Config) => Optimizer> = {
  sgd: (config) => new Sgd(config),
  adam: (config) => new Adam(config),
  adamw: (config) => new AdamW(config),
  rmsprop: (config) => new Rmsprop(config),
  adagrad: (config) => new Adagrad(config),
};

export const OPTIMIZER_NAMES = Object.keys(OPTIMIZER_TYPES);

/** An optimizer from its name and config (a saved model's training section); errors name the setting. */
export function optimizerFromConfig(name: unknown, config: Config, where: string): Optimizer {
  if (typeof name !== 'string' || !Object.hasOwn(OPTIMIZER_TYPES, name)) {
    throw new TypeError(`${where}: unknown optimizer ${JSON.stringify(name)}; valid: ${OPTIMIZER_NAMES.join(', ')}`);
  }
  if (!isPlainObject(config)) throw new TypeError(`${where}: the ${name} config must be an object`);
  try {
    return OPTIMIZER_TYPES[name](config);
  } catch (e) {
    if (e instanceof Error) e.message = `${where}: ${e.message}`;
    throw e;
  }
}

/** compile's `optimizer`: an Optimizer, or a name for the defaults. */
export function resolveOptimizer(spec: unknown): Optimizer {
  if (spec instanceof Optimizer) return spec;
  if (typeof spec === 'string' && Object.hasOwn(OPTIMIZER_TYPES, spec)) return OPTIMIZER_TYPES[spec]();
  throw new TypeError(`unknown optimizer '${String(spec)}'; valid: ${OPTIMIZER_NAMES.join(', ')} (or an optimizer object such as sn.optimizers.adam({ learningRate: 0.01 }))`);
}

export const optimizers = {
  sgd: (options?: SgdOptions): Sgd => new Sgd(options),
  adam: (options?: AdamOptions): Adam => new Adam(options),
  adamw: (options?: AdamWOptions): AdamW => new AdamW(options),
  rmsprop: (options?: RmspropOptions): Rmsprop => new Rmsprop(options),
  adagrad: (options?: AdagradOptions): Adagrad => new Adagrad(options),
  schedules,
};

export { Optimizer, Sgd, Adam, AdamW, Rmsprop, Adagrad };
export type { SgdOptions, AdamOptions, AdamWOptions, RmspropOptions, AdagradOptions };
export type { ClipOptions, SlotState } from './optimizer.js';
export type { LearningRateSchedule } from './optimizer.js';
