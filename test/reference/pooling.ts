// Float64 references of 2D pooling over NHWC images (assembly/pooling.ts), written from TensorFlow's
// definitions: the output size and padding of tensorflow/core/framework/kernel_shape_util.cc
// (GetWindowedOutputSize), max over the window ignoring padding (the first maximum, NaN propagating: the
// first NaN of the window), average over the in-bounds elements only. Backward passes are written from
// the input side (which outputs' windows hold this input element), not as the kernels' scatter.

export interface PoolGeometry {
  height: number;
  width: number;
  channels: number;
  poolHeight: number;
  poolWidth: number;
  strideHeight: number;
  strideWidth: number;
  padding: 'valid' | 'same';
}

export interface PoolOutput {
  outHeight: number;
  outWidth: number;
  padTop: number;
  padLeft: number;
}

function axis(size: number, pool: number, stride: number, padding: 'valid' | 'same'): [number, number] {
  if (padding === 'valid') return [Math.ceil((size - pool + 1) / stride), 0];
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + pool - size, 0);
  return [out, Math.floor(total / 2)];
}

export function poolOutput(g: PoolGeometry): PoolOutput {
  const [outHeight, padTop] = axis(g.height, g.poolHeight, g.strideHeight, g.padding);
  const [outWidth, padLeft] = axis(g.width, g.poolWidth, g.strideWidth, g.padding);
  return { outHeight, outWidth, padTop, padLeft };
}

/** The in-bounds input positions (ih, iw) of output (oh, ow)'s window, in row-major window order. */
function windowOf(g: PoolGeometry, o: PoolOutput, oh: number, ow: number): [number, number][] {
  const cells: [number, number][] = [];
  for (let kh = 0; kh < g.poolHeight; kh++) {
    for (let kw = 0; kw < g.poolWidth; kw++) {
      const ih = oh * g.strideHeight + kh - o.padTop;
      const iw = ow * g.strideWidth + kw - o.padLeft;
      if (ih >= 0 && ih < g.height && iw >= 0 && iw < g.width) cells.push([ih, iw]);
    }
  }
  return cells;
}

const inIndex = (g: PoolGeometry, ih: number, iw: number, c: number): number => (ih * g.width + iw) * g.channels + c;

/** y and, per output element, the index inside its image of the maximum it took. */
export function maxPool(x: ArrayLike<number>, images: number, g: PoolGeometry): { y: Float64Array; argmax: Int32Array } {
  const o = poolOutput(g);
  const inSize = g.height * g.width * g.channels;
  const outSize = o.outHeight * o.outWidth * g.channels;
  const y = new Float64Array(images * outSize);
  const argmax = new Int32Array(images * outSize);
  for (let n = 0; n < images; n++) {
    for (let oh = 0; oh < o.outHeight; oh++) {
      for (let ow = 0; ow < o.outWidth; ow++) {
        const cells = windowOf(g, o, oh, ow);
        for (let c = 0; c < g.channels; c++) {
          let best = -Infinity;
          let bestAt = -1;
          for (const [ih, iw] of cells) {
            const at = inIndex(g, ih, iw, c);
            const v = x[n * inSize + at];
            if (bestAt >= 0 && Number.isNaN(best)) break;
            if (bestAt < 0 || v > best || Number.isNaN(v)) {
              best = v;
              bestAt = at;
            }
          }
          const out = n * outSize + (oh * o.outWidth + ow) * g.channels + c;
          y[out] = best;
          argmax[out] = bestAt;
        }
      }
    }
  }
  return { y, argmax };
}

export function avgPool(x: ArrayLike<number>, images: number, g: PoolGeometry): Float64Array {
  const o = poolOutput(g);
  const inSize = g.height * g.width * g.channels;
  const outSize = o.outHeight * o.outWidth * g.channels;
  const y = new Float64Array(images * outSize);
  for (let n = 0; n < images; n++) {
    for (let oh = 0; oh < o.outHeight; oh++) {
      for (let ow = 0; ow < o.outWidth; ow++) {
        const cells = windowOf(g, o, oh, ow);
        for (let c = 0; c < g.channels; c++) {
          let sum = 0;
          for (const [ih, iw] of cells) sum += x[n * inSize + inIndex(g, ih, iw, c)];
          y[n * outSize + (oh * o.outWidth + ow) * g.channels + c] = sum / cells.length;
        }
      }
    }
  }
  return y;
}

/** dx[i] = sum of dy over the outputs whose (maximum's) input is i: max (argmax given) or average (argmax null). */
export function poolBackward(dy: ArrayLike<number>, argmax: ArrayLike<number> | null, images: number, g: PoolGeometry): Float64Array {
  const o = poolOutput(g);
  const inSize = g.height * g.width * g.channels;
  const outSize = o.outHeight * o.outWidth * g.channels;
  const dx = new Float64Array(images * inSize);
  // From the input side: for each input (ih, iw), the outputs whose windows contain it.
  const holders: [number, number, number][][] = Array.from({ length: g.height * g.width }, () => []);
  for (let oh = 0; oh < o.outHeight; oh++) {
    for (let ow = 0; ow < o.outWidth; ow++) {
      const cells = windowOf(g, o, oh, ow);
      for (const [ih, iw] of cells) holders[ih * g.width + iw].push([oh, ow, cells.length]);
    }
  }
  for (let n = 0; n < images; n++) {
    for (let ih = 0; ih < g.height; ih++) {
      for (let iw = 0; iw < g.width; iw++) {
        for (let c = 0; c < g.channels; c++) {
          const at = inIndex(g, ih, iw, c);
          let sum = 0;
          for (const [oh, ow, count] of holders[ih * g.width + iw]) {
            const out = n * outSize + (oh * o.outWidth + ow) * g.channels + c;
            if (argmax === null) sum += dy[out] / count;
            else if (argmax[out] === at) sum += dy[out];
          }
          dx[n * inSize + at] = sum;
        }
      }
    }
  }
  return dx;
}

/** y[n, c] = mean over the positions of x[n, p, c]. */
export function globalAvgPool(x: ArrayLike<number>, images: number, positions: number, channels: number): Float64Array {
  const y = new Float64Array(images * channels);
  for (let n = 0; n < images; n++) {
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let p = 0; p < positions; p++) sum += x[(n * positions + p) * channels + c];
      y[n * channels + c] = sum / positions;
    }
  }
  return y;
}

/** dx[n, p, c] = dy[n, c] / positions. */
export function globalAvgPoolBackward(dy: ArrayLike<number>, images: number, positions: number, channels: number): Float64Array {
  return Float64Array.from({ length: images * positions * channels }, (_, i) => dy[Math.floor(i / (positions * channels)) * channels + (i % channels)] / positions);
}
