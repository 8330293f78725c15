// Broadcast binary ops: out = a op b over a rows x cols matrix, where each operand is the full matrix, one
// row of cols values repeated for every row, or a scalar (NumPy broadcasting of a row vector or a scalar).
// Each pair of operand kinds has its own loop (the helpers are inlined with constant kinds). The optimizer
// folds the per-op copies into one, so the op is a switch inside the loop body: a branch predicted every
// time, next to memory traffic that bounds these ops (bench/tensor-math.mjs: add at 14-20 GB/s). Tails run
// the lane code on a splat (same result at any position).

export const BINARY_ADD: i32 = 0;
export const BINARY_SUB: i32 = 1;
export const BINARY_MUL: i32 = 2;
export const BINARY_DIV: i32 = 3;
/** max(a, b), NaN if either is NaN (NumPy's maximum). */
export const BINARY_MAX: i32 = 4;

export const OPERAND_FULL: i32 = 0;
export const OPERAND_ROW: i32 = 1;
export const OPERAND_SCALAR: i32 = 2;

// @ts-ignore: decorator
@inline
function apply4(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case BINARY_ADD: return f32x4.add(x, y);
    case BINARY_SUB: return f32x4.sub(x, y);
    case BINARY_MUL: return f32x4.mul(x, y);
    case BINARY_DIV: return f32x4.div(x, y);
    default: return f32x4.max(x, y); // BINARY_MAX: propagates NaN
  }
}

/** Lane `offset` (bytes into the row) of an operand of the given kind. */
// @ts-ignore: decorator
@inline
function operand4(kind: i32, row: usize, offset: usize, scalar: v128): v128 {
  return kind == OPERAND_SCALAR ? scalar : v128.load(row + offset);
}

// @ts-ignore: decorator
@inline
function operand1(kind: i32, row: usize, offset: usize, scalar: v128): v128 {
  return kind == OPERAND_SCALAR ? scalar : f32x4.splat(load<f32>(row + offset));
}

// @ts-ignore: decorator
@inline
function loop(op: i32, aKind: i32, bKind: i32, a: usize, b: usize, out: usize, rows: i32, cols: i32, scalar: f32): void {
  const s = f32x4.splat(scalar);
  const rowBytes = <usize>cols << 2;
  const vectorEnd = (<usize>cols & ~3) << 2;
  for (let r = 0; r < rows; r++) {
    const at = <usize>r * rowBytes;
    const aRow = aKind == OPERAND_FULL ? a + at : a;
    const bRow = bKind == OPERAND_FULL ? b + at : b;
    const outRow = out + at;
    let offset: usize = 0;
    for (; offset < vectorEnd; offset += 16) {
      v128.store(outRow + offset, apply4(op, operand4(aKind, aRow, offset, s), operand4(bKind, bRow, offset, s)));
    }
    for (; offset < rowBytes; offset += 4) {
      store<f32>(outRow + offset, f32x4.extract_lane(apply4(op, operand1(aKind, aRow, offset, s), operand1(bKind, bRow, offset, s)), 0));
    }
  }
}

// @ts-ignore: decorator
@inline
function byKinds(op: i32, aKind: i32, bKind: i32, a: usize, b: usize, out: usize, rows: i32, cols: i32, scalar: f32): void {
  if (aKind == OPERAND_FULL) {
    if (bKind == OPERAND_FULL) loop(op, OPERAND_FULL, OPERAND_FULL, a, b, out, rows, cols, scalar);
    else if (bKind == OPERAND_ROW) loop(op, OPERAND_FULL, OPERAND_ROW, a, b, out, rows, cols, scalar);
    else loop(op, OPERAND_FULL, OPERAND_SCALAR, a, b, out, rows, cols, scalar);
  } else if (aKind == OPERAND_ROW) {
    loop(op, OPERAND_ROW, OPERAND_FULL, a, b, out, rows, cols, scalar);
  } else {
    loop(op, OPERAND_SCALAR, OPERAND_FULL, a, b, out, rows, cols, scalar);
  }
}

/**
 * out[r][c] = a[r][c] op b[r][c] with each operand's kind: OPERAND_FULL (rows x cols floats), OPERAND_ROW
 * (cols floats, the same for every row) or OPERAND_SCALAR (the value `scalar`). At least one operand is
 * full; a non-full a is taken with a full b.
 * out may be a full operand (in place); it must not overlap a row operand unless rows == 1.
 */
export function binaryOp(op: i32, a: usize, aKind: i32, b: usize, bKind: i32, out: usize, rows: i32, cols: i32, scalar: f32): void {
  switch (op) {
    case BINARY_ADD: byKinds(BINARY_ADD, aKind, bKind, a, b, out, rows, cols, scalar); break;
    case BINARY_SUB: byKinds(BINARY_SUB, aKind, bKind, a, b, out, rows, cols, scalar); break;
    case BINARY_MUL: byKinds(BINARY_MUL, aKind, bKind, a, b, out, rows, cols, scalar); break;
    case BINARY_DIV: byKinds(BINARY_DIV, aKind, bKind, a, b, out, rows, cols, scalar); break;
    case BINARY_MAX: byKinds(BINARY_MAX, aKind, bKind, a, b, out, rows, cols, scalar); break;
    default: unreachable();
  }
}
