// Argument checks shared by the tensor-math ops: the options object (unknown keys are errors) and `out`.
import type { Tensor } from '../tensor.js';
import { checkTensor, formatShape } from './elementwise.js';

/** Throws unless `options` is undefined or an object whose keys are all in `valid`. */
export function checkOptions(op: string, options: object | undefined, valid: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') throw new TypeError(`${op}: options must be an object`);
  for (const key of Object.keys(options)) {
    if (!valid.includes(key)) throw new TypeError(`${op}: unknown option '${key}'; valid: ${valid.join(', ')}`);
  }
}

/** The `out` tensor (or the tensor option `name`) if one was given, after checking it is live and has `shape`. */
export function checkOutShape(op: string, out: unknown, shape: readonly number[], name = 'out'): Tensor | undefined {
  if (out === undefined) return undefined;
  const t = checkTensor(`${op}: ${name}`, out);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new RangeError(`${op}: ${name} ${formatShape(t.shape)} must be ${formatShape(shape)}`);
  }
  return t;
}

/** A whole axis number in [-rank, rank), made non-negative. */
export function checkAxis(op: string, axis: unknown, rank: number): number {
  if (!Number.isInteger(axis) || (axis as number) < -rank || (axis as number) >= rank) {
    throw new RangeError(`${op}: axis ${String(axis)} is not an axis of a rank-${rank} tensor (valid: ${rank === 0 ? 'none' : `-${rank} to ${rank - 1}`})`);
  }
  return (axis as number) < 0 ? (axis as number) + rank : (axis as number);
}
