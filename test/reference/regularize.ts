// Float64 reference of the L1L2 weight penalty and its gradient (assembly/regularize.ts).

/** l1 sum |w| + l2 sum w^2, a zero coefficient dropping its term (Keras, tfjs-layers). */
export function penalty(w: ArrayLike<number>, l1: number, l2: number): number {
  let sumAbs = 0;
  let sumSquares = 0;
  for (let i = 0; i < w.length; i++) {
    sumAbs += Math.abs(w[i]);
    sumSquares += w[i] * w[i];
  }
  return (l1 !== 0 ? l1 * sumAbs : 0) + (l2 !== 0 ? l2 * sumSquares : 0);
}

/** g + l1 sign(w) + 2 l2 w, with sign(0) = sign(NaN) = 0. */
export function penaltyGradient(w: ArrayLike<number>, g: ArrayLike<number>, l1: number, l2: number): number[] {
  return Array.from(w, (v, i) => {
    const sign = v > 0 ? 1 : v < 0 ? -1 : 0;
    return g[i] + l1 * sign + (l2 !== 0 ? 2 * l2 * v : 0);
  });
}
