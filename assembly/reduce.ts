// Reductions over row-major rows x cols matrices: column sums (bias gradients), row argmax and accuracy counts.

/**
 * out[j] = beta * out[j] + sum_r x[r][j]. Columns are summed four at a time down the rows, in row order,
 * so every column (lane or tail) is the same sequence of f32 additions. beta == 0 never reads out.
 */
export function colSums(x: usize, rows: i32, cols: i32, out: usize, beta: f32): void {
  const rowBytes = <usize>cols << 2;
  const vectorEnd = (<usize>cols & ~3) << 2;
  const beta4 = f32x4.splat(beta);
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    let acc = f32x4.splat(0.0);
    for (let r = 0; r < rows; r++) acc = f32x4.add(acc, v128.load(x + <usize>r * rowBytes + offset));
    if (beta != 0) acc = f32x4.add(f32x4.mul(beta4, v128.load(out + offset)), acc);
    v128.store(out + offset, acc);
  }
  const end = <usize>cols << 2;
  for (; offset < end; offset += 4) {
    let acc: f32 = 0;
    for (let r = 0; r < rows; r++) acc += load<f32>(x + <usize>r * rowBytes + offset);
    if (beta != 0) acc = beta * load<f32>(out + offset) + acc;
    store<f32>(out + offset, acc);
  }
}

/**
 * Index of the largest element of one row; the first wins on ties. A NaN counts as larger than any number
 * (as NumPy's argmax), so the first NaN's index is returned. An empty row gives -1.
 */
// @ts-ignore: decorator
@inline
function argmaxRow(row: usize, cols: i32): i32 {
  if (cols <= 0) return -1;
  let best = load<f32>(row);
  let bestIndex = 0;
  for (let j = 1; j < cols && best == best; j++) {
    const v = load<f32>(row + (<usize>j << 2));
    if (v > best || v != v) {
      best = v;
      bestIndex = j;
    }
  }
  return bestIndex;
}

/** outIdx[r] = argmax of row r (i32), with the tie and NaN rules of argmaxRow. */
export function rowArgmax(x: usize, rows: i32, cols: i32, outIdx: usize): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) store<i32>(outIdx + (<usize>r << 2), argmaxRow(x + <usize>r * rowBytes, cols));
}

/** Number of rows where argmax(pred) == argmax(labels) (labels one-hot or soft). */
export function countCorrect(pred: usize, labels: usize, rows: i32, cols: i32): i32 {
  const rowBytes = <usize>cols << 2;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const at = <usize>r * rowBytes;
    if (argmaxRow(pred + at, cols) == argmaxRow(labels + at, cols)) correct++;
  }
  return correct;
}

/** Number of rows where argmax(pred) equals the i32 class index labelIdx[r]. */
export function countCorrectSparse(pred: usize, labelIdx: usize, rows: i32, cols: i32): i32 {
  const rowBytes = <usize>cols << 2;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    if (argmaxRow(pred + <usize>r * rowBytes, cols) == load<i32>(labelIdx + (<usize>r << 2))) correct++;
  }
  return correct;
}

/** Number of elements where (pred > threshold) == (target > 0.5): binary accuracy (threshold 0 on logits, 0.5 on probabilities). */
export function countCorrectBinary(pred: usize, target: usize, n: i32, threshold: f32): i32 {
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 2;
    if ((load<f32>(pred + at) > threshold) == (load<f32>(target + at) > <f32>0.5)) correct++;
  }
  return correct;
}

/** Index of the first NaN or +-Inf among n floats, or -1 when all are finite (x - x is 0 only for finite x). */
export function firstNonFinite(x: usize, n: i32): i32 {
  const zero = f32x4.splat(0.0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    if (!i32x4.all_true(f32x4.eq(f32x4.sub(v, v), zero))) break;
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v - v != 0) return i;
  }
  return -1;
}
