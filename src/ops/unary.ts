// Elementwise unary ops on tensors: neg, square, scale (assembly/unary.ts), exp and log (assembly/math.ts).
import { kernels } from '../backend/wasm.js';
import { Tensor } from '../tensor.js';
import { checkTensor } from './elementwise.js';
import { checkOptions, checkOutShape } from './options.js';

export interface UnaryOptions {
  /** Write the result here (x's shape; x itself for in place) instead of into a new tensor. */
  out?: Tensor;
}

// Op codes of assembly/unary.ts; exp and log have their own kernels.
const OPS = { neg: 0, square: 1, scale: 2 } as const;

function run(op: keyof typeof OPS | 'exp' | 'log', x: Tensor, options: UnaryOptions | undefined, param = 0): Tensor {
  checkTensor(`${op}: x`, x);
  checkOptions(op, options, ['out']);
  const out = checkOutShape(op, options?.out, x.shape) ?? new Tensor(x.shape);
  if (op === 'exp') kernels.expElementwise(x.ptr, out.ptr, x.size);
  else if (op === 'log') kernels.logElementwise(x.ptr, out.ptr, x.size);
  else kernels.unaryOp(OPS[op], x.ptr, out.ptr, x.size, param);
  return out;
}

/** -x elementwise. */
export function neg(x: Tensor, options?: UnaryOptions): Tensor {
  return run('neg', x, options);
}

/** x * x elementwise. */
export function square(x: Tensor, options?: UnaryOptions): Tensor {
  return run('square', x, options);
}

/** factor * x elementwise (the factor is rounded to float32 as the data are). */
export function scale(x: Tensor, factor: number, options?: UnaryOptions): Tensor {
  if (typeof factor !== 'number') throw new TypeError(`scale: factor must be a number, got ${typeof factor}`);
  return run('scale', x, options, factor);
}

/** e^x elementwise (max relative error 8.1e-8; overflows to Infinity above 88.72). */
export function exp(x: Tensor, options?: UnaryOptions): Tensor {
  return run('exp', x, options);
}

/** Natural log elementwise (max relative error 7.4e-8; log 0 = -Infinity, log of a negative number NaN). */
export function log(x: Tensor, options?: UnaryOptions): Tensor {
  return run('log', x, options);
}
