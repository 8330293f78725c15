// Matrix transpose: out[c][r] = x[r][c] for a rows x cols row-major x. 4x4 blocks are transposed in
// registers with two rounds of shuffles (as gemm.ts packs op(B)); the edges are copied element by element.

/** out (cols x rows) = x^T; out must not overlap x. */
export function transpose(x: usize, rows: i32, cols: i32, out: usize): void {
  const inRow = <usize>cols << 2;
  const outRow = <usize>rows << 2;
  const rowBlocks = rows & ~3;
  const colBlocks = cols & ~3;
  for (let r = 0; r < rowBlocks; r += 4) {
    for (let c = 0; c < colBlocks; c += 4) {
      const src = x + <usize>r * inRow + (<usize>c << 2);
      const v0 = v128.load(src);
      const v1 = v128.load(src + inRow);
      const v2 = v128.load(src + inRow * 2);
      const v3 = v128.load(src + inRow * 3);
      const lo01 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5);
      const hi01 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
      const lo23 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
      const hi23 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
      const dst = out + <usize>c * outRow + (<usize>r << 2);
      v128.store(dst, v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5));
      v128.store(dst + outRow, v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7));
      v128.store(dst + outRow * 2, v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5));
      v128.store(dst + outRow * 3, v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7));
    }
    for (let c = colBlocks; c < cols; c++) {
      for (let i = 0; i < 4; i++) store<f32>(out + <usize>c * outRow + (<usize>(r + i) << 2), load<f32>(x + <usize>(r + i) * inRow + (<usize>c << 2)));
    }
  }
  for (let r = rowBlocks; r < rows; r++) {
    for (let c = 0; c < cols; c++) store<f32>(out + <usize>c * outRow + (<usize>r << 2), load<f32>(x + <usize>r * inRow + (<usize>c << 2)));
  }
}
