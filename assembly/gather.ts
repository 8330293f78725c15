// Row gather: builds a shuffled mini-batch in place of a JavaScript copy.

/** dst[r] = src[idx[r]] for r < count, rows of `cols` floats; idx is i32 and may repeat or be in any order. */
export function gatherRows(src: usize, cols: i32, idx: usize, count: i32, dst: usize): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < count; r++) {
    const from = <usize>load<i32>(idx + (<usize>r << 2));
    memory.copy(dst + <usize>r * rowBytes, src + from * rowBytes, rowBytes);
  }
}
