// Float64 references of row softmax and log-softmax (assembly/softmax.ts), max-subtracted.
export function softmaxRow(x: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(x));
  const e = Array.from(x, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

export function logSoftmaxRow(x: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(x));
  const logSum = Math.log(Array.from(x).reduce((a, v) => a + Math.exp(v - m), 0));
  return Array.from(x, (v) => v - m - logSum);
}

/** dx = y * (dy - sum_j dy_j y_j): the softmax Jacobian-vector product from the output y. */
export function softmaxBackwardRow(y: ArrayLike<number>, dy: ArrayLike<number>): number[] {
  let dot = 0;
  for (let j = 0; j < y.length; j++) dot += dy[j] * y[j];
  return Array.from(y, (v, j) => v * (dy[j] - dot));
}
