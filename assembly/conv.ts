// Convolution by im2col (Chellapilla et al. 2006, "High Performance Convolutional Neural Networks for
// Document Processing"): the patches of an NHWC batch become the rows of a matrix whose columns run in
// (ky, kx, c) order, so the kernel tensor [kh, kw, inC, outC] is the GEMM's B matrix as it is stored, and
// one GEMM computes the whole batch. col2im is its adjoint: the column gradient scattered back (added) into
// the input gradient.
//
// Both take a range of images [first, first + count) of the batch: each image's rows (im2col) and each
// image's input gradient (col2im) depend on that image alone, so the thread pool splits them by images and
// any split gives the bits of one call.
//
// For one output pixel (oy, ox) and one kernel row ky, the kw input pixels ix = ox * strideX - padLeft + kx
// are adjacent in NHWC memory, so when all of them are inside the image their kw * c floats are one
// contiguous run, copied (or added) as a whole; pixels in the padding give zeros (im2col) or nothing (col2im).

import { actBackwardColSums } from './activation-dispatch.generated';
import { gemm } from './gemm';

/** Copies `n` floats from src to dst: f32x4 over whole groups, scalar tail. */
// @ts-ignore: decorator
@inline
function copyRun(dst: usize, src: usize, n: i32): void {
  const vectorEnd = (<usize>n & ~3) << 2;
  let at: usize = 0;
  for (; at < vectorEnd; at += 16) v128.store(dst + at, v128.load(src + at));
  const end = <usize>n << 2;
  for (; at < end; at += 4) store<f32>(dst + at, load<f32>(src + at));
}

/** dst[i] += src[i] for `n` floats: f32x4 over whole groups, scalar tail. */
// @ts-ignore: decorator
@inline
function addRun(dst: usize, src: usize, n: i32): void {
  const vectorEnd = (<usize>n & ~3) << 2;
  let at: usize = 0;
  for (; at < vectorEnd; at += 16) v128.store(dst + at, f32x4.add(v128.load(dst + at), v128.load(src + at)));
  const end = <usize>n << 2;
  for (; at < end; at += 4) store<f32>(dst + at, load<f32>(dst + at) + load<f32>(src + at));
}

/**
 * Walks the patches of images [first, first + count): for each output pixel (oy, ox) and kernel row ky, the
 * patch row's run of kw * c floats in `cols` against its input pixels in `image` (x or dx, [n, h, w, c]).
 * im2col (scatter false) copies pixel -> patch and writes zeros for pixels in the padding; col2im (scatter
 * true) adds patch -> pixel and drops the padding's entries. Inlined with a constant `scatter` in each.
 */
// @ts-ignore: decorator
@inline
function walkPatches(
  scatter: bool, images: usize, cols: usize, first: i32, count: i32, h: i32, w: i32, c: i32,
  kh: i32, kw: i32, strideY: i32, strideX: i32, padTop: i32, padLeft: i32, oh: i32, ow: i32,
): void {
  const pixelBytes: usize = <usize>c << 2;
  const imageBytes: usize = <usize>(h * w) * pixelBytes;
  const runFloats = kw * c;
  const runBytes: usize = <usize>runFloats << 2;
  let patch = cols + <usize>first * <usize>(oh * ow) * (<usize>kh * runBytes);
  for (let img = first; img < first + count; img++) {
    const image = images + <usize>img * imageBytes;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * strideY - padTop;
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * strideX - padLeft;
        const inside = ix0 >= 0 && ix0 + kw <= w;
        for (let ky = 0; ky < kh; ky++) {
          const iy = iy0 + ky;
          if (iy < 0 || iy >= h) {
            if (!scatter) memory.fill(patch, 0, runBytes);
          } else {
            const rowStart = image + <usize>(iy * w) * pixelBytes;
            if (inside) {
              const pixels = rowStart + <usize>ix0 * pixelBytes;
              if (scatter) addRun(pixels, patch, runFloats);
              else copyRun(patch, pixels, runFloats);
            } else {
              for (let kx = 0; kx < kw; kx++) {
                const ix = ix0 + kx;
                const at = patch + <usize>kx * pixelBytes;
                if (ix < 0 || ix >= w) {
                  if (!scatter) memory.fill(at, 0, pixelBytes);
                } else if (scatter) {
                  addRun(rowStart + <usize>ix * pixelBytes, at, c);
                } else {
                  copyRun(at, rowStart + <usize>ix * pixelBytes, c);
                }
              }
            }
          }
          patch += runBytes;
        }
      }
    }
  }
}

/**
 * Rows of the im2col matrix for images [first, first + count) of x ([n, h, w, c]): row (img * oh + oy) * ow + ox
 * of `cols` holds the patch at output pixel (oy, ox), kh * kw * c floats in (ky, kx, c) order, zeros where
 * the patch reaches into the padding (padTop rows above, padLeft columns left of the image).
 */
export function im2colNHWC(
  x: usize, cols: usize, first: i32, count: i32, h: i32, w: i32, c: i32,
  kh: i32, kw: i32, strideY: i32, strideX: i32, padTop: i32, padLeft: i32, oh: i32, ow: i32,
): void {
  walkPatches(false, x, cols, first, count, h, w, c, kh, kw, strideY, strideX, padTop, padLeft, oh, ow);
}

/**
 * The adjoint of im2colNHWC for images [first, first + count): zero-fills their part of dx ([n, h, w, c])
 * and adds every entry of `cols` (the gradient of the im2col matrix) into the input pixel it was copied
 * from; entries of padding positions are dropped. Each dx value sums its contributions in row order.
 */
export function col2imNHWC(
  cols: usize, dx: usize, first: i32, count: i32, h: i32, w: i32, c: i32,
  kh: i32, kw: i32, strideY: i32, strideX: i32, padTop: i32, padLeft: i32, oh: i32, ow: i32,
): void {
  memory.fill(dx + <usize>first * <usize>(h * w * c) * 4, 0, <usize>count * <usize>(h * w * c) * 4);
  walkPatches(true, dx, cols, first, count, h, w, c, kh, kw, strideY, strideX, padTop, padLeft, oh, ow);
}

/**
 * The im2col matrix of a one-channel image batch, transposed: row p = ky * kw + kx of `colsT` (`columns`
 * floats long, columns = n * oh * ow) holds tap (ky, kx) of every output pixel, image by image, so images
 * [first, first + count) write their own columns of every row. Along an output row the taps of one kernel
 * position are x's pixels ix = ox * strideX - padLeft + kx: with stride 1 one contiguous run (an f32x4
 * copy), where im2colNHWC copies runs of kw floats per pixel.
 */
export function im2colTransposedC1(
  x: usize, colsT: usize, first: i32, count: i32, columns: i32, h: i32, w: i32,
  kh: i32, kw: i32, strideY: i32, strideX: i32, padTop: i32, padLeft: i32, oh: i32, ow: i32,
): void {
  const rowBytes: usize = <usize>columns << 2;
  const imageColumns = oh * ow;
  for (let img = first; img < first + count; img++) {
    const image = x + <usize>(img * h * w) * 4;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        // Output columns [oxStart, oxEnd) read pixels inside the image; the others are padding.
        const left = padLeft - kx;
        let oxStart = left > 0 ? (left + strideX - 1) / strideX : 0;
        if (oxStart > ow) oxStart = ow;
        const right = w - 1 + padLeft - kx;
        let oxEnd = right < 0 ? 0 : right / strideX + 1;
        if (oxEnd > ow) oxEnd = ow;
        if (oxEnd < oxStart) oxEnd = oxStart;
        let dst = colsT + <usize>(ky * kw + kx) * rowBytes + (<usize>(img * imageColumns) << 2);
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * strideY - padTop + ky;
          if (iy < 0 || iy >= h) {
            memory.fill(dst, 0, <usize>ow << 2);
          } else {
            memory.fill(dst, 0, <usize>oxStart << 2);
            const src = image + (<usize>(iy * w + oxStart * strideX - padLeft + kx) << 2);
            if (strideX == 1) {
              copyRun(dst + (<usize>oxStart << 2), src, oxEnd - oxStart);
            } else {
              for (let ox = oxStart; ox < oxEnd; ox++) store<f32>(dst + (<usize>ox << 2), load<f32>(src + (<usize>((ox - oxStart) * strideX) << 2)));
            }
            memory.fill(dst + (<usize>oxEnd << 2), 0, <usize>(ow - oxEnd) << 2);
          }
          dst += <usize>ow << 2;
        }
      }
    }
  }
}

/**
 * A convolution's weight and bias gradients for output channels [0, n) of `filters` (the pointers y, dz, db
 * and dW already at the first of them), summed over chunks of `chunkRows` rows of the m = images * oh * ow
 * rows: per chunk, dz = dy * f'(y) in place with the bias gradient's column sums (actBackwardColSums, db 0:
 * none), then dW += colsᵀ dz of that chunk (beta 0 for the first), while the chunk is in the cache. `cols` is
 * the forward's im2col matrix, [m, patch], or with `transposed` [patch, m]. Each output channel's dz, db
 * and dW column depend on that channel alone, in the same order whatever the range, so the thread pool
 * splits this by channels (its GEMMs by column panels; `pack` is the calling thread's) and any split gives
 * the bits of one call.
 */
export function convWeightGradients(
  kind: i32, y: usize, dz: usize, m: i32, n: i32, filters: i32, param: f32, db: usize,
  cols: usize, transposed: i32, patch: i32, dW: usize, chunkRows: i32, pack: usize,
): void {
  const rowBytes: usize = <usize>filters << 2;
  for (let r0 = 0; r0 < m; r0 += chunkRows) {
    const chunk = min(chunkRows, m - r0);
    const at = <usize>r0 * rowBytes;
    const more = r0 == 0 ? 0 : 1;
    actBackwardColSums(kind, y + at, dz + at, dz + at, chunk, n, filters, param, db, more);
    if (transposed != 0) gemm(0, 0, patch, n, chunk, 1, cols + (<usize>r0 << 2), m, dz + at, filters, <f32>more, dW, filters, 0, 0, 0, pack, 0);
    else gemm(1, 0, patch, n, chunk, 1, cols + <usize>r0 * (<usize>patch << 2), patch, dz + at, filters, <f32>more, dW, filters, 0, 0, 0, pack, 0);
  }
}
