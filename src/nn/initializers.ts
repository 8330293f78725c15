// Weight initializers. Each fills a float32 array given the layer's fan-in and fan-out, drawing from the
// model's seeded generator, so a seed fixes every initial weight bit for bit.
import type { Random } from './random.js';

export interface Initializer {
  /** Name shown by summary() and in errors. */
  readonly name: string;
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

function constant(name: string, value: number): Initializer {
  return { name, fill: (out) => void out.fill(value) };
}

function uniform(name: string, limitOf: (fanIn: number, fanOut: number) => [number, number]): Initializer {
  return {
    name,
    fill(out, fanIn, fanOut, random) {
      const [min, max] = limitOf(fanIn, fanOut);
      const width = max - min;
      for (let i = 0; i < out.length; i++) out[i] = min + width * random.nextFloat();
    },
  };
}

function normal(name: string, stddevOf: (fanIn: number, fanOut: number) => number, mean = 0): Initializer {
  return {
    name,
    fill(out, fanIn, fanOut, random) {
      const stddev = stddevOf(fanIn, fanOut);
      for (let i = 0; i < out.length; i++) out[i] = mean + stddev * random.nextNormal();
    },
  };
}

export const initializers = {
  zeros: (): Initializer => constant('zeros', 0),
  ones: (): Initializer => constant('ones', 1),
  /** N(mean, stddev^2): the tutorials' "small Gaussian" (e.g. 0.01 * randn in CS231n). Default stddev 0.05 as Keras. */
  randomNormal({ mean = 0, stddev = 0.05 }: { mean?: number; stddev?: number } = {}): Initializer {
    finite(mean, 'randomNormal mean');
    positive(stddev, 'randomNormal stddev');
    return normal(`randomNormal(${mean}, ${stddev})`, () => stddev, mean);
  },
  /** U(min, max); `randomUniform({ min: -0.5, max: 0.5 })` is the MNIST-from-scratch tutorial's init. */
  randomUniform({ min = -0.05, max = 0.05 }: { min?: number; max?: number } = {}): Initializer {
    finite(min, 'randomUniform min');
    finite(max, 'randomUniform max');
    if (!(max > min)) throw new RangeError(`randomUniform needs min < max, got min ${min}, max ${max}`);
    return uniform(`randomUniform(${min}, ${max})`, () => [min, max]);
  },
  /** Glorot & Bengio 2010 (Xavier): U(-l, l), l = sqrt(6 / (fanIn + fanOut)). */
  glorotUniform: (): Initializer =>
    uniform('glorotUniform', (fanIn, fanOut) => {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      return [-limit, limit];
    }),
  /** Glorot & Bengio 2010: N(0, 2 / (fanIn + fanOut)) (not truncated, unlike Keras). */
  glorotNormal: (): Initializer => normal('glorotNormal', (fanIn, fanOut) => Math.sqrt(2 / (fanIn + fanOut))),
  /** He et al. 2015, for ReLU: N(0, 2 / fanIn) (not truncated). */
  heNormal: (): Initializer => normal('heNormal', (fanIn) => Math.sqrt(2 / fanIn)),
  /** He et al. 2015: U(-l, l), l = sqrt(6 / fanIn). */
  heUniform: (): Initializer =>
    uniform('heUniform', (fanIn) => {
      const limit = Math.sqrt(6 / fanIn);
      return [-limit, limit];
    }),
};

export type InitializerName = keyof typeof initializers;

/** Accepts an Initializer or its name (defaults of the parameterized ones); the error lists the names. */
export function resolveInitializer(spec: Initializer | string, what: string): Initializer {
  if (typeof spec === 'string') {
    if (!Object.hasOwn(initializers, spec)) {
      throw new TypeError(`unknown ${what} '${spec}'; valid: ${Object.keys(initializers).join(', ')}`);
    }
    return initializers[spec as keyof typeof initializers]();
  }
  if (spec === null || typeof spec !== 'object' || typeof spec.fill !== 'function') {
    throw new TypeError(`${what} must be an initializer name or sn.initializers.*(), got ${String(spec)}`);
  }
  return spec;
}
