// Float64 reference of gatherRows (assembly/gather.ts): dst[r] = src[idx[r]].
export function gatherRows(src: ArrayLike<number>, cols: number, idx: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let r = 0; r < idx.length; r++) {
    for (let j = 0; j < cols; j++) out.push(src[idx[r] * cols + j]);
  }
  return out;
}
