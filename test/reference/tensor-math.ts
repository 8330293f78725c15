// Float64 references of the tensor-math kernels (assembly/binary.ts, unary.ts, transpose.ts, reduce.ts's
// sumAxis / argmaxAxis / dot). Operands are flat arrays; shapes are given as [outer, dim, inner] or
// rows x cols, as the kernels see them.
import { argmaxRow } from './reduce.js';

export type BinaryName = 'add' | 'sub' | 'mul' | 'div' | 'maximum';

export function binaryScalar(op: BinaryName, x: number, y: number): number {
  switch (op) {
    case 'add': return x + y;
    case 'sub': return x - y;
    case 'mul': return x * y;
    case 'div': return x / y;
    case 'maximum': return Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y);
  }
}

/** out[r][c] = a op b, where an operand is a full rows x cols array, a row of cols values, or a number. */
export function binary(op: BinaryName, a: ArrayLike<number> | number, aRow: boolean, b: ArrayLike<number> | number, bRow: boolean, rows: number, cols: number): number[] {
  const at = (v: ArrayLike<number> | number, row: boolean, r: number, c: number) => (typeof v === 'number' ? v : row ? v[c] : v[r * cols + c]);
  const out: number[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out.push(binaryScalar(op, at(a, aRow, r, c), at(b, bRow, r, c)));
  return out;
}

/** out[c][r] = x[r][c]. */
export function transpose(x: ArrayLike<number>, rows: number, cols: number): number[] {
  const out: number[] = new Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c];
  return out;
}

/** Sums along the middle axis of [outer, dim, inner], and the sums of magnitudes (for the error bound). */
export function sumAxis(x: ArrayLike<number>, outer: number, dim: number, inner: number): { sums: number[]; magnitudes: number[] } {
  const sums: number[] = [];
  const magnitudes: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let s = 0;
      let m = 0;
      for (let d = 0; d < dim; d++) {
        const v = x[(o * dim + d) * inner + i];
        s += v;
        m += Math.abs(v);
      }
      sums.push(s);
      magnitudes.push(m);
    }
  }
  return { sums, magnitudes };
}

/** argmax along the middle axis of [outer, dim, inner] (first maximum; the first NaN wins). */
export function argmaxAxis(x: ArrayLike<number>, outer: number, dim: number, inner: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) out.push(argmaxRow(Array.from({ length: dim }, (_, d) => x[(o * dim + d) * inner + i])));
  }
  return out;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): { value: number; magnitude: number } {
  let value = 0;
  let magnitude = 0;
  for (let i = 0; i < a.length; i++) {
    value += a[i] * b[i];
    magnitude += Math.abs(a[i] * b[i]);
  }
  return { value, magnitude };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** f'(z) at the pre-activation z, or from the output y with fromOutput (then `z` is y). */
export function activationSlope(kind: 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu', z: number, fromOutput: boolean, alpha: number): number {
  switch (kind) {
    case 'sigmoid': {
      const s = fromOutput ? z : sigmoid(z);
      return s * (1 - s);
    }
    case 'tanh': {
      const t = fromOutput ? z : Math.tanh(z);
      return 1 - t * t;
    }
    case 'relu': return Number.isNaN(z) ? NaN : z > 0 ? 1 : 0;
    case 'leakyRelu': return Number.isNaN(z) ? NaN : z > 0 ? 1 : alpha;
  }
}
