// Float64 references of the reductions (assembly/reduce.ts).
export function colSums(x: ArrayLike<number>, rows: number, cols: number, out: ArrayLike<number>, beta: number): number[] {
  return Array.from({ length: cols }, (_, j) => {
    let s = 0;
    for (let r = 0; r < rows; r++) s += x[r * cols + j];
    return beta === 0 ? s : beta * out[j] + s;
  });
}

/** First max wins; the first NaN counts as the max (NumPy's argmax); an empty row gives -1. */
export function argmaxRow(row: ArrayLike<number>): number {
  if (row.length === 0) return -1;
  let best = 0;
  for (let j = 0; j < row.length; j++) {
    if (Number.isNaN(row[j])) return j;
    if (row[j] > row[best]) best = j;
  }
  return best;
}

export function rowArgmax(x: ArrayLike<number>, rows: number, cols: number): number[] {
  return Array.from({ length: rows }, (_, r) => argmaxRow(Array.from(x).slice(r * cols, (r + 1) * cols)));
}

/** Elements where (pred > threshold) agrees with (target > 0.5); NaN predictions count as "not above". */
export function countCorrectBinary(pred: ArrayLike<number>, target: ArrayLike<number>, threshold: number): number {
  let correct = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] > threshold === target[i] > 0.5) correct++;
  return correct;
}

/** Index of the first NaN or +-Inf, or -1. */
export function firstNonFinite(x: ArrayLike<number>): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return i;
  return -1;
}
