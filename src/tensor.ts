// Tensor: a float32 block in the wasm linear memory plus a shape. `data` is a zero-copy Float32Array view;
// the tensor keeps its pointer and length and re-derives the view whenever memory.buffer changed (a
// memory.grow detaches the old ArrayBuffer).
import { allocate, allocatedBytes, memoryBuffer, release } from './backend/allocator.js';

export type Shape = readonly number[];
/** Values a tensor can be made from: a typed array, a flat list, or nested lists. */
export type TensorLike = ArrayLike<number> | NestedArray;
export interface NestedArray extends ReadonlyArray<number | NestedArray> {}
/** What toArray() gives for a rank known to TypeScript: number for 0, number[] for 1, ... up to 4; else any depth. */
export type ArrayOfRank<R extends number> = number extends R
  ? number | NestedArray
  : R extends 0 ? number : R extends 1 ? number[] : R extends 2 ? number[][] : R extends 3 ? number[][][] : R extends 4 ? number[][][][] : NestedArray;

let liveTensors = 0;

/**
 * Open tidy() scopes, innermost last: each records the tensors made while it is the innermost one. keep()
 * takes a tensor out of every scope; tidy() hands the tensors its function returns to the enclosing scope.
 */
const scopes: Set<Tensor>[] = [];

/**
 * `A` is what toArray() gives: number[][] for a tensor TypeScript knows to be 2-D (from tensor()'s nesting
 * or a literal shape), and so on; any depth (number | NestedArray) otherwise. Every Tensor<A> is a Tensor.
 */
export class Tensor<A extends number | NestedArray = number | NestedArray> {
  readonly shape: Shape;
  readonly size: number;
  #ptr: number;
  #disposed = false;
  #buffer: ArrayBufferLike | null = null;
  #view: Float32Array = new Float32Array(0);

  /** Allocates an uninitialized tensor; use `tensor()` or `zeros()` from user code. */
  constructor(shape: Shape) {
    const dims = checkShape(shape);
    this.shape = Object.freeze(dims);
    this.size = dims.reduce((a, b) => a * b, 1);
    this.#ptr = allocate(this.size * 4);
    liveTensors++;
    if (scopes.length > 0) scopes[scopes.length - 1].add(this);
  }

  /** Byte offset of the first element in the wasm memory (what crosses to the kernels). */
  get ptr(): number {
    if (this.#disposed) throw new Error(`Tensor [${this.shape}] was disposed and cannot be used`);
    return this.#ptr;
  }

  get rank(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** A Float32Array over the tensor's memory: reads and writes go straight to what the kernels see. */
  get data(): Float32Array {
    const ptr = this.ptr;
    const buffer = memoryBuffer();
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.#view = new Float32Array(buffer, ptr, this.size);
    }
    return this.#view;
  }

  /** A copy as nested JavaScript arrays, following the shape (a scalar tensor gives a number). */
  toArray(): A {
    const flat = Array.from(this.data);
    if (this.shape.length === 0) return flat[0] as A;
    const build = (dim: number, offset: number): NestedArray => {
      const n = this.shape[dim];
      if (dim === this.shape.length - 1) return flat.slice(offset, offset + n);
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0) as A;
  }

  /** A copy of the values as a new Float32Array (TensorFlow.js's dataSync); `data` is the zero-copy view. */
  dataSync(): Float32Array {
    return this.data.slice();
  }

  /** The same as toArray() (TensorFlow.js's name). */
  arraySync(): A {
    return this.toArray();
  }

  /** toArray() as a Promise, for code written for TensorFlow.js's async array(). */
  array(): Promise<A> {
    try {
      return Promise.resolve(this.toArray());
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * A new tensor of shape `shape` holding a copy of the values (as many elements; one -1 entry is inferred).
   * The result owns its memory: dispose each of the two independently.
   */
  reshape<const S extends Shape>(shape: S): Tensor<ArrayOfRank<S['length']>> {
    const source = this.ptr;
    const dims = resolveReshape(shape, this.size, this.shape);
    const out = new Tensor<ArrayOfRank<S['length']>>(dims);
    out.data.set(new Float32Array(memoryBuffer(), source, this.size));
    return out;
  }

  /** A new tensor with the same shape and a copy of the values. */
  clone(): Tensor<A> {
    return this.reshape(this.shape) as unknown as Tensor<A>;
  }

  /** Frees the memory. Any later use throws; disposing twice is harmless. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    release(this.#ptr);
    this.#buffer = null;
    this.#view = new Float32Array(0);
    liveTensors--;
  }

  toString(): string {
    return `Tensor [${this.shape.join(', ')}]${this.#disposed ? ' (disposed)' : ''}`;
  }
}

// `using t = sn.tensor(...)` (explicit resource management) disposes t at the end of the block. Installed
// where the runtime has Symbol.dispose, and kept out of the declarations, which compile against ES2022.
const disposeSymbol = (Symbol as { dispose?: symbol }).dispose;
if (disposeSymbol !== undefined) {
  Object.defineProperty(Tensor.prototype, disposeSymbol, {
    value(this: Tensor): void {
      this.dispose();
    },
    writable: true,
    configurable: true,
  });
}

/** reshape's target shape: sizes >= 0 with at most one -1, inferred so the element count is unchanged. */
function resolveReshape(shape: Shape, size: number, from: Shape): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`reshape: shape must be an array of sizes, got ${String(shape)}`);
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) throw new RangeError(`reshape: shape [${shape.join(', ')}] has more than one -1`);
  const known = shape.filter((d) => d !== -1);
  checkShape(known);
  const product = known.reduce((a, b) => a * b, 1);
  const dims = shape.map((d) => (d === -1 ? (product === 0 ? 0 : size / product) : d));
  if (dims.some((d) => !Number.isInteger(d)) || dims.reduce((a, b) => a * b, 1) !== size) {
    throw new RangeError(`reshape: cannot reshape [${from.join(', ')}] (${size} elements) to [${shape.join(', ')}]`);
  }
  return dims;
}

function checkShape(shape: Shape): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`shape must be an array of sizes, got ${String(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new TypeError(`shape [${shape.join(', ')}] has a size that is not a whole number >= 0`);
  }
  return [...shape];
}

/** Infers the shape of nested arrays and checks they are rectangular and numeric. */
function inferShape(values: TensorLike): number[] {
  const shape: number[] = [];
  let level: unknown = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  if (!ArrayBuffer.isView(values) && !Array.isArray(values)) shape.push(values.length);
  if (ArrayBuffer.isView(values)) return [(values as ArrayLike<number>).length];
  return shape;
}

function flattenInto(values: TensorLike, shape: number[], dim: number, out: Float32Array, offset: number, path: number[]): number {
  if (ArrayBuffer.isView(values) || dim === shape.length - 1) {
    const row = values as ArrayLike<number>;
    if (row === null || typeof row !== 'object' || typeof row.length !== 'number') {
      throw new TypeError(`ragged data: row [${path.join('][')}] is ${row === null ? 'null' : typeof row === 'object' ? 'an object without a length' : typeof row}, not a list of ${shape[dim]} values`);
    }
    if (row.length !== shape[dim]) {
      throw new TypeError(`ragged data: row [${path.join('][')}] has ${row.length} values, expected ${shape[dim]}`);
    }
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (typeof v !== 'number') throw new TypeError(`value at [${[...path, i].join('][')}] is ${typeof v}, not a number`);
      out[offset + i] = v;
    }
    return offset + row.length;
  }
  const list = values as NestedArray;
  if (!Array.isArray(list) || list.length !== shape[dim]) {
    throw new TypeError(`ragged data: row [${path.join('][')}] does not have ${shape[dim]} entries`);
  }
  for (let i = 0; i < list.length; i++) offset = flattenInto(list[i] as TensorLike, shape, dim + 1, out, offset, [...path, i]);
  return offset;
}

/**
 * Makes a tensor from values. With `shape`, values may be flat (a typed array or list) of exactly
 * that many elements; without it, the shape is read from the nesting of the arrays. The overloads give
 * TypeScript the rank where the nesting or a literal shape shows it.
 */
export function tensor<const S extends Shape>(values: TensorLike | number, shape: S): Tensor<ArrayOfRank<S['length']>>;
export function tensor(values: number): Tensor<number>;
export function tensor(values: ArrayLike<number>): Tensor<number[]>;
export function tensor(values: readonly (readonly number[])[]): Tensor<number[][]>;
export function tensor(values: readonly (readonly (readonly number[])[])[]): Tensor<number[][][]>;
export function tensor(values: TensorLike | number, shape?: Shape): Tensor;
export function tensor(values: TensorLike | number, shape?: Shape): Tensor {
  if (typeof values === 'number') {
    const t = new Tensor(shape ?? []);
    t.data.fill(values);
    return t;
  }
  if (values === null || typeof values !== 'object' || typeof (values as ArrayLike<number>).length !== 'number') {
    throw new TypeError(`tensor values must be an array or typed array, got ${values === null ? 'null' : typeof values}`);
  }
  if (shape !== undefined) {
    const dims = checkShape(shape);
    const size = dims.reduce((a, b) => a * b, 1);
    const flat = ArrayBuffer.isView(values) || !Array.isArray(values[0]) ? (values as ArrayLike<number>) : null;
    if (flat === null) return reshapeNested(values, dims);
    if (flat.length !== size) {
      throw new TypeError(`${flat.length} values do not fit shape [${dims.join(', ')}] (${size} elements)`);
    }
    const t = new Tensor(dims);
    try {
      flattenInto(flat, [size], 0, t.data, 0, []);
    } catch (e) {
      t.dispose();
      throw e;
    }
    return t;
  }
  return reshapeNested(values, inferShape(values));
}

function reshapeNested(values: TensorLike, dims: number[]): Tensor {
  const inferred = inferShape(values);
  const size = dims.reduce((a, b) => a * b, 1);
  const inferredSize = inferred.reduce((a, b) => a * b, 1);
  if (inferredSize !== size) {
    throw new TypeError(`data of shape [${inferred.join(', ')}] does not fit shape [${dims.join(', ')}]`);
  }
  const t = new Tensor(dims);
  try {
    flattenInto(values, inferred, 0, t.data, 0, []);
  } catch (e) {
    t.dispose();
    throw e;
  }
  return t;
}

/** A tensor of zeros. */
export function zeros<const S extends Shape>(shape: S): Tensor<ArrayOfRank<S['length']>> {
  const t = new Tensor<ArrayOfRank<S['length']>>(shape);
  t.data.fill(0);
  return t;
}

/** Live tensors and bytes held in the wasm memory (tensors plus internal work buffers). */
export function memory(): { tensors: number; bytes: number } {
  return { tensors: liveTensors, bytes: allocatedBytes() };
}

/** Values tidy() can return: tensors, anything else, and arrays or plain objects of them (searched for tensors). */
function tensorsIn(value: unknown, found: Set<Tensor>, seen: Set<unknown>): void {
  if (value instanceof Tensor) {
    found.add(value);
    return;
  }
  if (value === null || typeof value !== 'object' || seen.has(value) || ArrayBuffer.isView(value)) return;
  seen.add(value);
  if (Array.isArray(value)) for (const v of value) tensorsIn(v, found, seen);
  else if (value instanceof Map) for (const v of value.values()) tensorsIn(v, found, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) for (const v of Object.values(value)) tensorsIn(v, found, seen);
}

/**
 * Runs `fn` and disposes every tensor made during the call, except those it returns (a tensor, or tensors
 * anywhere inside returned arrays, Maps and plain objects) and those passed to keep(). Returned tensors
 * belong to the enclosing tidy, if any. As in TensorFlow.js, `fn` must not be async (its tensors would be
 * made after tidy returned): a returned Promise is an error. tidy(name, fn) is accepted too.
 */
export function tidy<T>(fn: () => T): T;
export function tidy<T>(name: string, fn: () => T): T;
export function tidy<T>(nameOrFn: string | (() => T), maybeFn?: () => T): T {
  const fn = typeof nameOrFn === 'function' ? nameOrFn : maybeFn;
  if (typeof fn !== 'function') throw new TypeError('tidy expects a function (or a name and a function)');
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  const returned = new Set<Tensor>();
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    throw new TypeError('tidy: the function returned a Promise; tidy takes synchronous functions (dispose tensors of async code yourself, or use `using`)');
  }
  tensorsIn(result, returned, new Set());
  const parent = scopes.length > 0 ? scopes[scopes.length - 1] : null;
  for (const t of scope) {
    if (returned.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

/** Marks `t` so that no enclosing tidy() disposes it; returns it. */
export function keep<T extends Tensor>(t: T): T {
  if (!(t instanceof Tensor)) throw new TypeError(`keep expects a Tensor, got ${String(t)}`);
  for (const scope of scopes) scope.delete(t);
  return t;
}
