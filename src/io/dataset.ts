// sn.data: streaming datasets in the shape of TensorFlow.js's tf.data. A Dataset is a recipe for an async
// iterator (each iteration starts again from the source), with the usual pipeline: shuffle (a bounded
// buffer, seeded), batch (stacks elements into { data, shape } blocks that fitDataset copies straight into
// its wasm buffers), map, prefetch (reads ahead while the consumer works), take. Elements live in
// JavaScript memory; only the batch fitDataset is training on is in the wasm memory.
import { Tensor } from '../tensor.js';
import { Random } from '../nn/random.js';

/** A batched block: `shape[0]` rows of values, row-major (what fitDataset and sn.tensor(data, shape) read). */
export interface Block {
  readonly data: Float32Array;
  readonly shape: number[];
}

export class Dataset<T> implements AsyncIterable<T> {
  readonly #open: () => AsyncIterator<T>;

  /** `open` makes a new iterator over the elements (called once per iteration, e.g. per fitDataset epoch). */
  constructor(open: () => AsyncIterator<T>) {
    if (typeof open !== 'function') throw new TypeError('Dataset: expected a function that opens an iterator');
    this.#open = open;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.#open();
  }

  /** tfjs's Dataset.iterator(): a new iterator. */
  async iterator(): Promise<AsyncIterator<T>> {
    return this.#open();
  }

  /** `fn` applied to every element (it may return a Promise). */
  map<U>(fn: (element: T) => U | Promise<U>): Dataset<Awaited<U>> {
    if (typeof fn !== 'function') throw new TypeError('map: expected a function');
    const source = this;
    return new Dataset(async function* () {
      for await (const e of source) yield await fn(e);
    });
  }

  /** The first `count` elements. */
  take(count: number): Dataset<T> {
    checkCount(count, 'take', 0);
    const source = this;
    return new Dataset(async function* () {
      if (count === 0) return;
      let n = 0;
      for await (const e of source) {
        yield e;
        if (++n >= count) return;
      }
    });
  }

  /**
   * Elements in a random order, drawn from a buffer of `bufferSize` (as tfjs: each element read replaces one
   * drawn at random; a buffer as large as the dataset gives a uniform shuffle). Same `seed`, same orders; each
   * iteration (epoch) draws another order unless `reshuffleEachIteration` is false.
   */
  shuffle(bufferSize: number, seed?: number, reshuffleEachIteration = true): Dataset<T> {
    checkCount(bufferSize, 'shuffle: bufferSize', 1);
    if (seed !== undefined && !Number.isInteger(seed)) throw new TypeError(`shuffle: seed must be an integer, got ${String(seed)}`);
    const base = seed ?? Math.floor(Math.random() * 2 ** 31);
    let iteration = 0;
    const source = this;
    return new Dataset(async function* () {
      const random = new Random(base + (reshuffleEachIteration ? iteration++ : 0));
      const buffer: T[] = [];
      for await (const e of source) {
        if (buffer.length < bufferSize) {
          buffer.push(e);
          continue;
        }
        const i = random.nextInt(bufferSize);
        const out = buffer[i];
        buffer[i] = e;
        yield out;
      }
      while (buffer.length > 0) {
        const i = random.nextInt(buffer.length);
        const out = buffer[i];
        buffer[i] = buffer[buffer.length - 1];
        buffer.pop();
        yield out;
      }
    });
  }

  /**
   * Groups `size` elements into one: for elements { xs, ys } (or any object of values, or single values) each
   * part becomes a Block of shape [rows, ...part's shape] (numbers, flat or nested arrays, typed arrays,
   * { data, shape }, Tensors). The last batch is smaller unless `smallLastBatch` is false (then it is dropped).
   */
  batch(size: number, smallLastBatch = true): Dataset<T extends Record<string, unknown> ? { [K in keyof T]: Block } : Block> {
    checkCount(size, 'batch', 1);
    const source = this;
    return new Dataset(async function* () {
      let group: T[] = [];
      for await (const e of source) {
        group.push(e);
        if (group.length === size) {
          yield stackElements(group);
          group = [];
        }
      }
      if (group.length > 0 && smallLastBatch) yield stackElements(group);
    }) as never;
  }

  /** Reads up to `count` elements ahead of the consumer, so reading overlaps the consumer's work (training). */
  prefetch(count: number): Dataset<T> {
    checkCount(count, 'prefetch', 1);
    const source = this;
    return new Dataset(() => {
      const it = source[Symbol.asyncIterator]();
      const ahead: Promise<IteratorResult<T>>[] = [];
      let done = false;
      const fill = (): void => {
        while (!done && ahead.length < count) {
          const p = it.next();
          // An error surfaces when the consumer reaches this element; meanwhile it is not unhandled.
          p.then((r) => { if (r.done) done = true; }, () => { done = true; });
          ahead.push(p);
        }
      };
      return {
        async next(): Promise<IteratorResult<T>> {
          fill();
          const r = await ahead.shift()!;
          fill();
          return r;
        },
        async return(): Promise<IteratorResult<T>> {
          done = true;
          await Promise.allSettled(ahead);
          ahead.length = 0;
          await it.return?.();
          return { done: true, value: undefined };
        },
      };
    });
  }

  /** Every element in a list (for small datasets and tests). */
  async toArray(): Promise<T[]> {
    const out: T[] = [];
    for await (const e of this) out.push(e);
    return out;
  }

  /** Calls `fn` on every element in order, awaiting it. */
  async forEachAsync(fn: (element: T) => unknown): Promise<void> {
    for await (const e of this) await fn(e);
  }
}

function checkCount(n: number, what: string, min: number): void {
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${what} must be a whole number >= ${min}, got ${String(n)}`);
}

/** One part of an element as flat values and its shape. */
function flatten(value: unknown, where: string): { values: ArrayLike<number>; shape: number[] } {
  if (typeof value === 'number') return { values: [value], shape: [] };
  if (typeof value === 'string') {
    throw new TypeError(`batch: ${where} is the string ${JSON.stringify(value)}: a batch holds numbers; map it to one first (e.g. .map(({ xs, ys }) => ({ xs, ys: classes.indexOf(ys) }))) or leave the column out`);
  }
  if (value instanceof Tensor) return { values: value.data, shape: [...value.shape] };
  if (ArrayBuffer.isView(value)) return { values: value as unknown as ArrayLike<number>, shape: [(value as unknown as ArrayLike<number>).length] };
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'data' in value && 'shape' in value) {
    return { values: (value as Block).data, shape: [...(value as Block).shape] };
  }
  if (Array.isArray(value)) {
    const shape: number[] = [];
    let level: unknown = value;
    while (Array.isArray(level)) {
      shape.push(level.length);
      level = level[0];
    }
    const values = (value as unknown[]).flat(Infinity) as number[];
    const text = values.findIndex((v) => typeof v === 'string');
    if (text >= 0) throw new TypeError(`batch: ${where} holds the string ${JSON.stringify(values[text])} (at flat index ${text}): a batch holds numbers; map it to one first`);
    if (values.length !== shape.reduce((a, b) => a * b, 1) || values.some((v) => typeof v !== 'number')) {
      throw new TypeError(`${where} is not a rectangular array of numbers`);
    }
    return { values, shape };
  }
  throw new TypeError(`${where} is ${value === null ? 'null' : typeof value}, not a number, array, typed array, { data, shape } or Tensor`);
}

/** Stacks same-shaped values into one Block of [values.length, ...shape]. */
function stack(values: unknown[], what: string): Block {
  const first = flatten(values[0], `${what} of element 0`);
  const size = first.values.length;
  const data = new Float32Array(values.length * size);
  values.forEach((v, i) => {
    const part = i === 0 ? first : flatten(v, `${what} of element ${i}`);
    if (part.values.length !== size || part.shape.join(',') !== first.shape.join(',')) {
      throw new RangeError(`batch: ${what} of element ${i} has shape [${part.shape.join(', ')}], element 0 has [${first.shape.join(', ')}]`);
    }
    data.set(part.values, i * size);
  });
  return { data, shape: [values.length, ...first.shape] };
}

function stackElements<T>(group: T[]): unknown {
  const first = group[0] as unknown;
  if (typeof first === 'object' && first !== null && !Array.isArray(first) && !ArrayBuffer.isView(first) && !(first instanceof Tensor) && !('shape' in first)) {
    const out: Record<string, Block> = {};
    for (const key of Object.keys(first)) out[key] = stack(group.map((e) => (e as Record<string, unknown>)[key]), key);
    return out;
  }
  return stack(group, 'value');
}

/** A dataset of the items of a list (or any iterable, read again each iteration). */
export function array<T>(items: Iterable<T>): Dataset<T> {
  if (items === null || typeof (items as Iterable<T>)?.[Symbol.iterator] !== 'function') throw new TypeError('data.array: expected an array (or iterable) of elements');
  return new Dataset(async function* () {
    yield* items;
  });
}

/** A dataset from a function that makes a new (async) iterator or generator each iteration (tfjs's tf.data.generator). */
export function generator<T>(make: () => Iterator<T> | AsyncIterator<T>): Dataset<T> {
  if (typeof make !== 'function') throw new TypeError('data.generator: expected a function that returns an iterator (e.g. a generator function)');
  return new Dataset(async function* () {
    const it = make();
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  });
}
