// Weight initializers. Each fills a float32 array given the layer's fan-in and fan-out, drawing from the
// model's seeded generator, so a seed fixes every initial weight bit for bit.
import type { Random } from './random.js';
import { checkOptions, isPlainObject } from './config.js';

export interface Initializer {
  /** Name shown by summary() and in errors. */
  readonly name: string;
  /** Its factory's name in sn.initializers and its options: what a saved model records. */
  readonly className: InitializerName;
  readonly config: Readonly<Record<string, number>>;
  /** Fills `out` (a [fanIn, fanOut] kernel or a [fanOut] bias). */
  fill(out: Float32Array, fanIn: number, fanOut: number, random: Random): void;
}

function finite(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${what} must be a finite number, got ${String(value)}`);
  return value;
}

function positive(value: unknown, what: string): number {
  const v = finite(value, what);
  if (v <= 0) throw new RangeError(`${what} must be > 0, got ${v}`);
  return v;
}

/**
 * Checks that an initializer without parameters got no options (TensorFlow.js's `seed` among them: weights
 * are drawn from the model's seed) and returns its name.
 */
function noOptions<N extends string>(options: unknown, name: N): N {
  if (options !== undefined && isPlainObject(options) && 'seed' in options) {
    throw new TypeError(`initializers.${name}: unknown option 'seed'; weights are drawn from the model's seed (sn.sequential(layers, { seed }))`);
  }
  checkOptions(options as object | undefined, [], `initializers.${name}`);
  return name;
}

function constant(name: 'zeros' | 'ones', value: number): Initializer {
  return { name, className: name, config: {}, fill: (out) => void out.fill(value) };
}

function uniform(name: string, className: InitializerName, config: Record<string, number>, limitOf: (fanIn: number, fanOut: number) => [number, number]): Initializer {
  return {
    name,
    className,
    config,
    fill(out, fanIn, fanOut, random) {
      const [min, max] = limitOf(fanIn, fanOut);
      const width = max - min;
      for (let i = 0; i < out.length; i++) out[i] = min + width * random.nextFloat();
    },
  };
}

function normal(name: string, className: InitializerName, config: Record<string, number>, stddevOf: (fanIn: number, fanOut: number) => number, mean = 0): Initializer {
  return {
    name,
    className,
    config,
    fill(out, fanIn, fanOut, random) {
      const stddev = stddevOf(fanIn, fanOut);
      for (let i = 0; i < out.length; i++) out[i] = mean + stddev * random.nextNormal();
    },
  };
}

export const initializers = {
  zeros: (options?: Record<string, never>): Initializer => constant(noOptions(options, 'zeros'), 0),
  ones: (options?: Record<string, never>): Initializer => constant(noOptions(options, 'ones'), 1),
  /** N(mean, stddev^2): the tutorials' "small Gaussian" (e.g. 0.01 * randn in CS231n). Default stddev 0.05 as Keras. */
  randomNormal(options?: { mean?: number; stddev?: number }): Initializer {
    const { mean = 0, stddev = 0.05 } = checkOptions(options, ['mean', 'stddev'], 'initializers.randomNormal');
    finite(mean, 'randomNormal mean');
    positive(stddev, 'randomNormal stddev');
    return normal(`randomNormal(${mean}, ${stddev})`, 'randomNormal', { mean, stddev }, () => stddev, mean);
  },
  /** U(min, max); `randomUniform({ min: -0.5, max: 0.5 })` is the MNIST-from-scratch tutorial's init. */
  randomUniform(options?: { min?: number; max?: number }): Initializer {
    const { min = -0.05, max = 0.05 } = checkOptions(options, ['min', 'max'], 'initializers.randomUniform');
    finite(min, 'randomUniform min');
    finite(max, 'randomUniform max');
    if (!(max > min)) throw new RangeError(`randomUniform needs min < max, got min ${min}, max ${max}`);
    return uniform(`randomUniform(${min}, ${max})`, 'randomUniform', { min, max }, () => [min, max]);
  },
  /** Glorot & Bengio 2010 (Xavier): U(-l, l), l = sqrt(6 / (fanIn + fanOut)). */
  glorotUniform: (options?: Record<string, never>): Initializer =>
    uniform(noOptions(options, 'glorotUniform'), 'glorotUniform', {}, (fanIn, fanOut) => {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      return [-limit, limit];
    }),
  /** Glorot & Bengio 2010: N(0, 2 / (fanIn + fanOut)) (not truncated, unlike Keras). */
  glorotNormal: (options?: Record<string, never>): Initializer => normal(noOptions(options, 'glorotNormal'), 'glorotNormal', {}, (fanIn, fanOut) => Math.sqrt(2 / (fanIn + fanOut))),
  /** He et al. 2015, for ReLU: N(0, 2 / fanIn) (not truncated). */
  heNormal: (options?: Record<string, never>): Initializer => normal(noOptions(options, 'heNormal'), 'heNormal', {}, (fanIn) => Math.sqrt(2 / fanIn)),
  /** He et al. 2015: U(-l, l), l = sqrt(6 / fanIn). */
  heUniform: (options?: Record<string, never>): Initializer =>
    uniform(noOptions(options, 'heUniform'), 'heUniform', {}, (fanIn) => {
      const limit = Math.sqrt(6 / fanIn);
      return [-limit, limit];
    }),
};

export type InitializerName = keyof typeof initializers;

/** Accepts an Initializer, its name (defaults of the parameterized ones), or a saved { className, config }. */
export function resolveInitializer(spec: unknown, what: string): Initializer {
  if (isPlainObject(spec) && typeof spec.className === 'string' && typeof spec.fill !== 'function') {
    if (!Object.hasOwn(initializers, spec.className)) throw new TypeError(`unknown ${what} '${spec.className}'; valid: ${Object.keys(initializers).join(', ')}`);
    const make = initializers[spec.className as InitializerName] as (config?: Record<string, number>) => Initializer;
    return make(Object.keys(spec.config ?? {}).length === 0 ? undefined : (spec.config as Record<string, number>));
  }
  if (typeof spec === 'string') {
    if (!Object.hasOwn(initializers, spec)) {
      throw new TypeError(`unknown ${what} '${spec}'; valid: ${Object.keys(initializers).join(', ')}`);
    }
    return initializers[spec as keyof typeof initializers]();
  }
  if (!isPlainObject(spec) || typeof spec.fill !== 'function') {
    throw new TypeError(`${what} must be an initializer name or sn.initializers.*(), got ${String(spec)}`);
  }
  return spec as unknown as Initializer;
}

/** The saved form of an initializer: its factory's name and options. */
export const initializerConfig = (init: Initializer): { className: string; config: Record<string, number> } => ({ className: init.className, config: { ...init.config } });

/** TensorFlow.js class names of the initializers (RandomUniform and RandomNormal spell their options differently). */
const TFJS_INITIALIZERS: Record<InitializerName, string> = {
  zeros: 'Zeros', ones: 'Ones', randomNormal: 'RandomNormal', randomUniform: 'RandomUniform',
  glorotUniform: 'GlorotUniform', glorotNormal: 'GlorotNormal', heNormal: 'HeNormal', heUniform: 'HeUniform',
};

export function initializerToTfjs(init: Initializer): { class_name: string; config: Record<string, unknown> } {
  const c = init.config;
  if (init.className === 'randomUniform') return { class_name: 'RandomUniform', config: { minval: c.min, maxval: c.max, seed: null } };
  if (init.className === 'randomNormal') return { class_name: 'RandomNormal', config: { mean: c.mean, stddev: c.stddev, seed: null } };
  return { class_name: TFJS_INITIALIZERS[init.className], config: init.className === 'zeros' || init.className === 'ones' ? {} : { seed: null } };
}

/**
 * The initializer of a TensorFlow.js config. Only re-initialization uses it (imported weights overwrite the
 * initial values), so a class simdnet lacks (TruncatedNormal, VarianceScaling, ...) falls back to `fallback`.
 */
export function initializerFromTfjs(value: unknown, fallback: Initializer): Initializer {
  if (!isPlainObject(value)) return fallback;
  const name = (Object.keys(TFJS_INITIALIZERS) as InitializerName[]).find((k) => TFJS_INITIALIZERS[k] === value.class_name);
  const c = isPlainObject(value.config) ? value.config : {};
  if (name === 'randomUniform') return initializers.randomUniform({ min: (c.minval as number) ?? -0.05, max: (c.maxval as number) ?? 0.05 });
  if (name === 'randomNormal') return initializers.randomNormal({ mean: (c.mean as number) ?? 0, stddev: (c.stddev as number) ?? 0.05 });
  return name === undefined ? fallback : initializers[name]();
}
