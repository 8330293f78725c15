// Checks shared by every options object of the model code: unknown keys are errors that list the valid
// ones, and sizes and shapes are whole numbers. Also the snake_case spelling of TensorFlow.js configs.

export type Config = Record<string, unknown>;

export const isPlainObject = (v: unknown): v is Config => typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

/** The options object itself (undefined gives {}), after refusing keys outside `allowed`. */
export function checkOptions<T extends object>(options: T | undefined, allowed: readonly string[], where: string): T {
  if (options === undefined) return {} as T;
  if (!isPlainObject(options)) throw new TypeError(`${where}: options must be an object, got ${options === null ? 'null' : typeof options}`);
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new TypeError(`${where}: unknown option '${key}'; ${allowed.length === 0 ? 'it takes no options' : `valid: ${allowed.join(', ')}`}`);
  }
  return options;
}

export function checkInteger(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${what} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

export function checkBoolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${what} must be true or false, got ${String(value)}`);
  return value;
}

/** A finite number in [min, max) (max exclusive when `openMax`). */
export function checkNumber(value: unknown, what: string, min = -Infinity, max = Infinity, openMax = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (openMax && value === max)) {
    const range = `${min === -Infinity ? '' : `>= ${min}`}${min !== -Infinity && max !== Infinity ? ' and ' : ''}${max === Infinity ? '' : `${openMax ? '<' : '<='} ${max}`}`;
    throw new RangeError(`${what} must be a finite number${range === '' ? '' : ` ${range}`}, got ${String(value)}`);
  }
  return value;
}

/** A per-sample shape: a list of whole sizes >= 1 (`[784]`, `[28, 28, 1]`). */
export function checkShape(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new RangeError(`${what} must be a list of whole sizes >= 1 such as [784] or [28, 28, 1], got ${JSON.stringify(value)}`);
  }
  return [...value];
}

export const shapeText = (shape: readonly (number | null)[]): string => `[${shape.map((d) => (d === null ? 'null' : d)).join(', ')}]`;
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** camelCase to the snake_case of Keras / TensorFlow.js layer configs (`useBias` -> `use_bias`). */
export const snakeCase = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
