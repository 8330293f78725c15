// Float64 reference of 2-D convolution over NHWC images (assembly/conv.ts and src/nn/layers/conv2d.ts),
// written from the definitions: TensorFlow's padding rule, the patch matrix in (ky, kx, c) order, the
// convolution as a sum over the window, and its gradients (Goodfellow et al., "Deep Learning", sec. 9.5).
// Each result also comes with the magnitude sum |term| of its sum, which scales float32 rounding error.

export interface ConvShape {
  n: number;
  h: number;
  w: number;
  c: number;
  kh: number;
  kw: number;
  sy: number;
  sx: number;
  padding: 'valid' | 'same';
}

export interface ConvGeometry {
  oh: number;
  ow: number;
  padTop: number;
  padLeft: number;
}

/** TensorFlow: 'same' gives ceil(in / s) with the padding split floor(total / 2) before; 'valid' none. */
export function convGeometry(s: ConvShape): ConvGeometry {
  const axis = (size: number, k: number, stride: number): [number, number] => {
    if (s.padding === 'valid') return [Math.floor((size - k) / stride) + 1, 0];
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + k - size, 0);
    return [out, Math.floor(total / 2)];
  };
  const [oh, padTop] = axis(s.h, s.kh, s.sy);
  const [ow, padLeft] = axis(s.w, s.kw, s.sx);
  return { oh, ow, padTop, padLeft };
}

/** x[n, iy, ix, c], or null in the padding. */
function pixel(x: ArrayLike<number>, s: ConvShape, img: number, iy: number, ix: number, ch: number): number | null {
  if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) return null;
  return x[((img * s.h + iy) * s.w + ix) * s.c + ch];
}

/** Input coordinates of kernel tap (ky, kx) at output pixel (oy, ox). */
function tap(s: ConvShape, g: ConvGeometry, oy: number, ox: number, ky: number, kx: number): [number, number] {
  return [oy * s.sy - g.padTop + ky, ox * s.sx - g.padLeft + kx];
}

/** The patch matrix [n * oh * ow, kh * kw * c], columns in (ky, kx, c) order, zeros in the padding. */
export function im2col(x: ArrayLike<number>, s: ConvShape): Float64Array {
  const g = convGeometry(s);
  const patch = s.kh * s.kw * s.c;
  const out = new Float64Array(s.n * g.oh * g.ow * patch);
  for (let img = 0; img < s.n; img++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        const row = ((img * g.oh + oy) * g.ow + ox) * patch;
        for (let ky = 0; ky < s.kh; ky++) {
          for (let kx = 0; kx < s.kw; kx++) {
            const [iy, ix] = tap(s, g, oy, ox, ky, kx);
            for (let ch = 0; ch < s.c; ch++) out[row + (ky * s.kw + kx) * s.c + ch] = pixel(x, s, img, iy, ix, ch) ?? 0;
          }
        }
      }
    }
  }
  return out;
}

/** The adjoint of im2col: each patch entry added to the pixel it came from (padding entries dropped). */
export function col2im(cols: ArrayLike<number>, s: ConvShape): { value: Float64Array; magnitude: Float64Array } {
  const g = convGeometry(s);
  const patch = s.kh * s.kw * s.c;
  const value = new Float64Array(s.n * s.h * s.w * s.c);
  const magnitude = new Float64Array(value.length);
  for (let img = 0; img < s.n; img++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        for (let ky = 0; ky < s.kh; ky++) {
          for (let kx = 0; kx < s.kw; kx++) {
            const [iy, ix] = tap(s, g, oy, ox, ky, kx);
            if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
            for (let ch = 0; ch < s.c; ch++) {
              const v = cols[((img * g.oh + oy) * g.ow + ox) * patch + (ky * s.kw + kx) * s.c + ch];
              const at = ((img * s.h + iy) * s.w + ix) * s.c + ch;
              value[at] += v;
              magnitude[at] += Math.abs(v);
            }
          }
        }
      }
    }
  }
  return { value, magnitude };
}

/** z[n, oy, ox, f] = b[f] + sum over the window of x * W (W [kh, kw, c, filters]), before the activation. */
export function conv2dForward(x: ArrayLike<number>, s: ConvShape, w: ArrayLike<number>, b: ArrayLike<number> | null, filters: number): { value: Float64Array; magnitude: Float64Array } {
  const g = convGeometry(s);
  const value = new Float64Array(s.n * g.oh * g.ow * filters);
  const magnitude = new Float64Array(value.length);
  for (let img = 0; img < s.n; img++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        for (let f = 0; f < filters; f++) {
          let sum = b === null ? 0 : b[f];
          let abs = Math.abs(sum);
          for (let ky = 0; ky < s.kh; ky++) {
            for (let kx = 0; kx < s.kw; kx++) {
              const [iy, ix] = tap(s, g, oy, ox, ky, kx);
              for (let ch = 0; ch < s.c; ch++) {
                const term = (pixel(x, s, img, iy, ix, ch) ?? 0) * w[((ky * s.kw + kx) * s.c + ch) * filters + f];
                sum += term;
                abs += Math.abs(term);
              }
            }
          }
          const at = ((img * g.oh + oy) * g.ow + ox) * filters + f;
          value[at] = sum;
          magnitude[at] = abs;
        }
      }
    }
  }
  return { value, magnitude };
}

export interface ConvGradients {
  dx: Float64Array;
  dxMagnitude: Float64Array;
  dw: Float64Array;
  dwMagnitude: Float64Array;
  db: Float64Array;
  dbMagnitude: Float64Array;
}

/** Gradients of the pre-activation convolution for dz = dL/dz: dW, db and dx, each with its magnitude. */
export function conv2dBackward(x: ArrayLike<number>, s: ConvShape, w: ArrayLike<number>, dz: ArrayLike<number>, filters: number): ConvGradients {
  const g = convGeometry(s);
  const r: ConvGradients = {
    dx: new Float64Array(s.n * s.h * s.w * s.c), dxMagnitude: new Float64Array(s.n * s.h * s.w * s.c),
    dw: new Float64Array(s.kh * s.kw * s.c * filters), dwMagnitude: new Float64Array(s.kh * s.kw * s.c * filters),
    db: new Float64Array(filters), dbMagnitude: new Float64Array(filters),
  };
  for (let img = 0; img < s.n; img++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        for (let f = 0; f < filters; f++) {
          const d = dz[((img * g.oh + oy) * g.ow + ox) * filters + f];
          r.db[f] += d;
          r.dbMagnitude[f] += Math.abs(d);
          for (let ky = 0; ky < s.kh; ky++) {
            for (let kx = 0; kx < s.kw; kx++) {
              const [iy, ix] = tap(s, g, oy, ox, ky, kx);
              for (let ch = 0; ch < s.c; ch++) {
                const v = pixel(x, s, img, iy, ix, ch);
                if (v === null) continue;
                const wAt = ((ky * s.kw + kx) * s.c + ch) * filters + f;
                const xAt = ((img * s.h + iy) * s.w + ix) * s.c + ch;
                r.dw[wAt] += v * d;
                r.dwMagnitude[wAt] += Math.abs(v * d);
                r.dx[xAt] += w[wAt] * d;
                r.dxMagnitude[xAt] += Math.abs(w[wAt] * d);
              }
            }
          }
        }
      }
    }
  }
  return r;
}
