// 2D pooling over NHWC images (channels contiguous): max pooling with its argmax, average pooling, and
// global average pooling, forward and backward. Windows follow TensorFlow's geometry (the caller gives the
// output size and the top/left padding; a window is clipped to the image, and with 'same' padding every
// window keeps at least one element). Each image is computed from its own input alone, so the thread pool
// splits these kernels by images (src/backend/pool.ts) and any split gives the bits of one thread.
//
// The vector code runs four channels at a time (f32x4 over channels), with a scalar loop for the channels
// past the last multiple of 4. `xImageFloats` / `dxImageFloats` are the floats
// of one input image (height * width * channels): the argument the pool advances those pointers by.
//
// NaN in a max window propagates: the output is the window's first NaN and the argmax points at it, as in
// PyTorch's max_pool2d and simdnet's own max and argmax (assembly/binary.ts, reduce.ts). TensorFlow.js's
// cpu backend skips NaN instead (its `pixel > max` test is false for NaN), which would hide a NaN from fit's
// non-finite check. Ties keep the first maximum in window order (rows, then columns).

/** Lane offsets 0..3: the input index of each channel of a four-channel vector. */
// @ts-ignore: decorator
@inline
function laneIndices(first: i32): v128 {
  return i32x4.add(i32x4.splat(first), i32x4(0, 1, 2, 3));
}

/** What poolImage does at each window. */
const MAX: i32 = 0;
const AVERAGE: i32 = 1;
const AVERAGE_BACKWARD: i32 = 2;

/**
 * Every window of one image: `image` is the image pooled over (x, or dx for AVERAGE_BACKWARD), `windows` has
 * one value per window and channel (y, or dy). MAX writes the maximum and, when argmax != 0, its index in
 * the image ((ih * width + iw) * channels + c, i32); AVERAGE the mean of the in-bounds values (summed in
 * f32 in window order); AVERAGE_BACKWARD adds dy / count to each in-bounds value of the window. Inlined
 * with a constant `kind`, so each kernel compiles to its own loop.
 *
 * The vector channels go cell by cell: each window cell's channels are one contiguous sweep that updates
 * the output row in place (it stays in L1), with no index arithmetic inside. Sweeping the window per
 * 4-channel vector instead (a loop of poolWidth steps per vector) took 1.12-1.27x the time for max forward
 * with argmax, 1.41-1.89x without, 1.06-1.30x for average forward and 1.12-1.14x backward, at the digits
 * convnet's pool layers, batch 128 (both builds alternating in one process).
 */
// @ts-ignore: decorator
@inline
function poolImage(
  kind: i32, image: usize, windows: usize, argmax: usize,
  height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32,
  poolHeight: i32, poolWidth: i32, strideHeight: i32, strideWidth: i32, padTop: i32, padLeft: i32,
): void {
  const vectorChannels = channels & ~3;
  const vectorBytes = <usize>vectorChannels << 2;
  for (let oh = 0; oh < outHeight; oh++) {
    const hStart = oh * strideHeight - padTop;
    const h0 = max(hStart, 0);
    const h1 = min(hStart + poolHeight, height);
    for (let ow = 0; ow < outWidth; ow++) {
      const wStart = ow * strideWidth - padLeft;
      const w0 = max(wStart, 0);
      const w1 = min(wStart + poolWidth, width);
      const count = <f32>((h1 - h0) * (w1 - w0));
      const out = (oh * outWidth + ow) * channels;
      const row = windows + (<usize>out << 2);
      const argRow: usize = argmax === 0 ? 0 : argmax + (<usize>out << 2);
      for (let ih = h0; ih < h1; ih++) {
        for (let iw = w0; iw < w1; iw++) {
          const cell = (ih * width + iw) * channels;
          const from = image + (<usize>cell << 2);
          const first = ih == h0 && iw == w0;
          if (kind == MAX) maxCell4(from, row, argRow, cell, vectorBytes, first);
          else if (kind == AVERAGE) sumCell4(from, row, vectorBytes, first);
          else addToCell4(from, row, vectorBytes, count);
        }
      }
      if (kind == AVERAGE) {
        for (let o: usize = 0; o < vectorBytes; o += 16) v128.store(row + o, f32x4.div(v128.load(row + o), f32x4.splat(count)));
      }
      for (let c = vectorChannels; c < channels; c++) {
        const at = row + (<usize>c << 2);
        if (kind == MAX) {
          maxWindow(image, at, argRow === 0 ? 0 : argRow + (<usize>c << 2), h0, h1, w0, w1, width, channels, c);
        } else if (kind == AVERAGE) {
          let sum: f32 = 0;
          for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0; iw < w1; iw++) sum += load<f32>(image + (<usize>((ih * width + iw) * channels + c) << 2));
          }
          store<f32>(at, sum / count);
        } else {
          const g = load<f32>(at) / count;
          for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0; iw < w1; iw++) {
              const to = image + (<usize>((ih * width + iw) * channels + c) << 2);
              store<f32>(to, load<f32>(to) + g);
            }
          }
        }
      }
    }
  }
}

/**
 * One window cell's vector channels (`bytes` from `from`, input index `cell` of channel 0) into the running
 * maxima at `row` (and their indices at argRow unless 0); the window's first cell starts them.
 */
// @ts-ignore: decorator
@inline
function maxCell4(from: usize, row: usize, argRow: usize, cell: i32, bytes: usize, first: bool): void {
  const four = i32x4.splat(4);
  let index = laneIndices(cell);
  if (first) {
    for (let o: usize = 0; o < bytes; o += 16) v128.store(row + o, v128.load(from + o));
    if (argRow !== 0) {
      for (let o: usize = 0; o < bytes; o += 16) {
        v128.store(argRow + o, index);
        index = i32x4.add(index, four);
      }
    }
    return;
  }
  for (let o: usize = 0; o < bytes; o += 16) {
    const v = v128.load(from + o);
    const best = v128.load(row + o);
    // Take v where it is greater, or NaN while the best is not NaN yet: not (v <= best), best == best.
    const take = v128.andnot(f32x4.eq(best, best), f32x4.le(v, best));
    v128.store(row + o, v128.bitselect(v, best, take));
    if (argRow !== 0) {
      v128.store(argRow + o, v128.bitselect(index, v128.load(argRow + o), take));
      index = i32x4.add(index, four);
    }
  }
}

/** One window cell's vector channels added to the running sums at `row`; the window's first cell starts them. */
// @ts-ignore: decorator
@inline
function sumCell4(from: usize, row: usize, bytes: usize, first: bool): void {
  if (first) {
    for (let o: usize = 0; o < bytes; o += 16) v128.store(row + o, v128.load(from + o));
  } else {
    for (let o: usize = 0; o < bytes; o += 16) v128.store(row + o, f32x4.add(v128.load(row + o), v128.load(from + o)));
  }
}

/** dy / count (dy at `row`) added to one window cell's vector channels (`bytes` at `to`). */
// @ts-ignore: decorator
@inline
function addToCell4(to: usize, row: usize, bytes: usize, count: f32): void {
  for (let o: usize = 0; o < bytes; o += 16) v128.store(to + o, f32x4.add(v128.load(to + o), f32x4.div(v128.load(row + o), f32x4.splat(count))));
}

/** The maximum of channel c over the window rows [h0, h1) x columns [w0, w1), to `at` (and its index to argAt unless 0). */
// @ts-ignore: decorator
@inline
function maxWindow(image: usize, at: usize, argAt: usize, h0: i32, h1: i32, w0: i32, w1: i32, width: i32, channels: i32, c: i32): void {
  let bestIndex = (h0 * width + w0) * channels + c;
  let best = load<f32>(image + (<usize>bestIndex << 2));
  for (let ih = h0; ih < h1; ih++) {
    for (let iw = w0; iw < w1; iw++) {
      const index = (ih * width + iw) * channels + c;
      const v = load<f32>(image + (<usize>index << 2));
      if (best == best && !(v <= best)) {
        best = v;
        bestIndex = index;
      }
    }
  }
  store<f32>(at, best);
  if (argAt !== 0) store<i32>(argAt, bestIndex);
}

/**
 * Max pooling: y[n, oh, ow, c] = max over the window of x[n, ih, iw, c]; when argmax != 0 it also writes,
 * per output element, the index of that maximum inside its image ((ih * width + iw) * channels + c, i32),
 * which maxPoolBackward scatters through. Inference passes argmax = 0 and saves nothing.
 */
export function maxPoolForwardF32x4(
  x: usize, xImageFloats: i32, y: usize, argmax: usize, images: i32,
  height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32,
  poolHeight: i32, poolWidth: i32, strideHeight: i32, strideWidth: i32, padTop: i32, padLeft: i32,
): void {
  const outBytes = <usize>(outHeight * outWidth * channels) << 2;
  for (let n: usize = 0; n < <usize>images; n++) {
    poolImage(MAX, x + n * (<usize>xImageFloats << 2), y + n * outBytes, argmax === 0 ? 0 : argmax + n * outBytes,
      height, width, channels, outHeight, outWidth, poolHeight, poolWidth, strideHeight, strideWidth, padTop, padLeft);
  }
}

/**
 * dx = 0, then dx[n, argmax[n, o]] += dy[n, o] for every output element o of each image (windows that
 * overlap when strides < poolSize add up). A scatter: WebAssembly SIMD has no scatter store, and the four
 * channels of a vector may have their maxima at different window positions, so this loop is scalar.
 */
export function maxPoolBackward(dy: usize, argmax: usize, outImageFloats: i32, dx: usize, dxImageFloats: i32, images: i32): void {
  for (let n = 0; n < images; n++) {
    const dxImage = dx + (<usize>n * <usize>dxImageFloats << 2);
    const outBytes = <usize>n * <usize>outImageFloats << 2;
    memory.fill(dxImage, 0, <usize>dxImageFloats << 2);
    const end = <usize>outImageFloats << 2;
    for (let o: usize = 0; o < end; o += 4) {
      const target = dxImage + (<usize>load<i32>(argmax + outBytes + o) << 2);
      store<f32>(target, load<f32>(target) + load<f32>(dy + outBytes + o));
    }
  }
}

/**
 * Average pooling: y = the mean of the window's elements inside the image (with 'same' padding the divisor
 * is the number of in-bounds elements, as TensorFlow excludes the padding).
 */
export function avgPoolForwardF32x4(
  x: usize, xImageFloats: i32, y: usize, images: i32,
  height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32,
  poolHeight: i32, poolWidth: i32, strideHeight: i32, strideWidth: i32, padTop: i32, padLeft: i32,
): void {
  const outBytes = <usize>(outHeight * outWidth * channels) << 2;
  for (let n: usize = 0; n < <usize>images; n++) {
    poolImage(AVERAGE, x + n * (<usize>xImageFloats << 2), y + n * outBytes, 0,
      height, width, channels, outHeight, outWidth, poolHeight, poolWidth, strideHeight, strideWidth, padTop, padLeft);
  }
}

/** dx = 0, then each output's dy / count is added to every in-bounds element of its window. */
export function avgPoolBackwardF32x4(
  dy: usize, dx: usize, dxImageFloats: i32, images: i32,
  height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32,
  poolHeight: i32, poolWidth: i32, strideHeight: i32, strideWidth: i32, padTop: i32, padLeft: i32,
): void {
  const outBytes = <usize>(outHeight * outWidth * channels) << 2;
  for (let n: usize = 0; n < <usize>images; n++) {
    const dxImage = dx + n * (<usize>dxImageFloats << 2);
    memory.fill(dxImage, 0, <usize>dxImageFloats << 2);
    poolImage(AVERAGE_BACKWARD, dxImage, dy + n * outBytes, 0,
      height, width, channels, outHeight, outWidth, poolHeight, poolWidth, strideHeight, strideWidth, padTop, padLeft);
  }
}

/**
 * Global average pooling: y[n, c] = mean over the `positions` (height * width) of x[n, p, c]. y's row is the
 * accumulator (f32 sums in position order, read row by row through memory), then divided by positions.
 */
export function globalAvgPoolForwardF32x4(x: usize, y: usize, images: i32, positions: i32, channels: i32): void {
  const vectorBytes = <usize>(channels & ~3) << 2;
  const rowBytes = <usize>channels << 2;
  const count = <f32>positions;
  for (let n = 0; n < images; n++) {
    const xImage = x + <usize>n * <usize>positions * rowBytes;
    const yRow = y + <usize>n * rowBytes;
    memory.fill(yRow, 0, rowBytes);
    for (let p = 0; p < positions; p++) {
      const xRow = xImage + <usize>p * rowBytes;
      let o: usize = 0;
      for (; o < vectorBytes; o += 16) v128.store(yRow + o, f32x4.add(v128.load(yRow + o), v128.load(xRow + o)));
      for (; o < rowBytes; o += 4) store<f32>(yRow + o, load<f32>(yRow + o) + load<f32>(xRow + o));
    }
    let o: usize = 0;
    for (; o < vectorBytes; o += 16) v128.store(yRow + o, f32x4.div(v128.load(yRow + o), f32x4.splat(count)));
    for (; o < rowBytes; o += 4) store<f32>(yRow + o, load<f32>(yRow + o) / count);
  }
}

/** dx[n, p, c] = dy[n, c] / positions at every position: the first row computed, the others copied from it. */
export function globalAvgPoolBackwardF32x4(dy: usize, dx: usize, images: i32, positions: i32, channels: i32): void {
  const vectorBytes = <usize>(channels & ~3) << 2;
  const rowBytes = <usize>channels << 2;
  const count = <f32>positions;
  for (let n = 0; n < images; n++) {
    const dxImage = dx + <usize>n * <usize>positions * rowBytes;
    const dyRow = dy + <usize>n * rowBytes;
    let o: usize = 0;
    for (; o < vectorBytes; o += 16) v128.store(dxImage + o, f32x4.div(v128.load(dyRow + o), f32x4.splat(count)));
    for (; o < rowBytes; o += 4) store<f32>(dxImage + o, load<f32>(dyRow + o) / count);
    for (let p = 1; p < positions; p++) memory.copy(dxImage + <usize>p * rowBytes, dxImage, rowBytes);
  }
}
