// Elementwise binary ops on tensors with broadcasting of a row vector or a scalar (NumPy's rules for those
// two cases): a [..., n] tensor with a [n] or [1, n] row, or with a number or a one-element tensor.
// Kernel: assembly/binary.ts.
import { kernels } from '../backend/wasm.js';
import { Tensor } from '../tensor.js';
import { checkTensor, formatShape } from './elementwise.js';
import { checkOptions, checkOutShape } from './options.js';

/** A tensor, or a number used as a scalar. */
export type Operand = Tensor | number;

export interface BinaryOptions {
  /** Write the result here (the broadcast shape; one of the operands for in place) instead of into a new tensor. */
  out?: Tensor;
}

// Op and operand-kind codes of assembly/binary.ts.
const OPS = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4 } as const;
const FULL = 0;
const ROW = 1;
const SCALAR = 2;

interface Plan {
  shape: readonly number[];
  rows: number;
  cols: number;
  aKind: number;
  bKind: number;
  scalar: number;
}

/** Whether `row` ([n] or [1, ..., 1, n]) broadcasts along the rows of `full` ([..., n], another shape). */
function isRowOf(row: Tensor, full: Tensor): boolean {
  if (row.rank === 0 || row.rank > full.rank) return false;
  return row.shape.slice(0, -1).every((d) => d === 1) && row.shape[row.rank - 1] === full.shape[full.rank - 1];
}

/** The number of rows of `full` that a row broadcasts over. */
const rowsOf = (full: Tensor) => full.shape.slice(0, -1).reduce((p, d) => p * d, 1);

function plan(op: string, a: Operand, b: Operand): Plan {
  if (typeof a === 'number' && typeof b === 'number') throw new TypeError(`${op}: at least one operand must be a Tensor`);
  if (typeof a !== 'number') checkTensor(`${op}: a`, a);
  if (typeof b !== 'number') checkTensor(`${op}: b`, b);
  if (typeof b === 'number') return { shape: (a as Tensor).shape, rows: 1, cols: (a as Tensor).size, aKind: FULL, bKind: SCALAR, scalar: b };
  if (typeof a === 'number') return { shape: b.shape, rows: 1, cols: b.size, aKind: SCALAR, bKind: FULL, scalar: a };
  if (a.rank === b.rank && a.shape.every((d, i) => d === b.shape[i])) return { shape: a.shape, rows: 1, cols: a.size, aKind: FULL, bKind: FULL, scalar: 0 };
  if (b.size === 1 && b.rank <= a.rank) return { shape: a.shape, rows: 1, cols: a.size, aKind: FULL, bKind: SCALAR, scalar: b.data[0] };
  if (a.size === 1 && a.rank <= b.rank) return { shape: b.shape, rows: 1, cols: b.size, aKind: SCALAR, bKind: FULL, scalar: a.data[0] };
  if (isRowOf(b, a)) return { shape: a.shape, rows: rowsOf(a), cols: b.size, aKind: FULL, bKind: ROW, scalar: 0 };
  if (isRowOf(a, b)) return { shape: b.shape, rows: rowsOf(b), cols: a.size, aKind: ROW, bKind: FULL, scalar: 0 };
  throw new RangeError(
    `${op}: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} do not broadcast: the operands must have the same shape, ` +
      'or one must be a row ([n] or [1, n]) matching the other\'s last axis, or a single value',
  );
}

function run(op: keyof typeof OPS, a: Operand, b: Operand, options: BinaryOptions | undefined): Tensor {
  checkOptions(op, options, ['out']);
  const p = plan(op, a, b);
  const out = checkOutShape(op, options?.out, p.shape) ?? new Tensor(p.shape);
  const ptr = (t: Operand, kind: number) => (kind === SCALAR ? 0 : (t as Tensor).ptr);
  kernels.binaryOp(OPS[op], ptr(a, p.aKind), p.aKind, ptr(b, p.bKind), p.bKind, out.ptr, p.rows, p.cols, p.scalar);
  return out;
}

/** a + b elementwise (a row vector or a scalar broadcasts). */
export function add(a: Operand, b: Operand, options?: BinaryOptions): Tensor {
  return run('add', a, b, options);
}

/** a - b elementwise (a row vector or a scalar broadcasts). */
export function sub(a: Operand, b: Operand, options?: BinaryOptions): Tensor {
  return run('sub', a, b, options);
}

/** a * b elementwise (a row vector or a scalar broadcasts). */
export function mul(a: Operand, b: Operand, options?: BinaryOptions): Tensor {
  return run('mul', a, b, options);
}

/** a / b elementwise, IEEE division (x / 0 is +-Infinity, 0 / 0 NaN; a row vector or a scalar broadcasts). */
export function div(a: Operand, b: Operand, options?: BinaryOptions): Tensor {
  return run('div', a, b, options);
}

/** The larger of a and b elementwise, NaN where either is NaN (NumPy's maximum; a row or a scalar broadcasts). */
export function maximum(a: Operand, b: Operand, options?: BinaryOptions): Tensor {
  return run('maximum', a, b, options);
}
