// Float64 reference of the GEMM kernel (assembly/gemm.ts): C = act(alpha * op(A) op(B) + beta * C + bias),
// row-major, op = transpose when asked. Besides the value it returns, per element, the magnitude
// |alpha| * sum_p |a_ip b_pj| + |beta c_ij| + |bias_j| that scales the float32 rounding error (tests turn it
// into a tolerance), and the pre-activation value (the step function needs it near its jump).
import { forward } from './activations.js';

export interface GemmCase {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  /** Stored A: [m, lda] or, transposed, [k, lda]. */
  a: ArrayLike<number>;
  lda: number;
  /** Stored B: [k, ldb] or, transposed, [n, ldb]. */
  b: ArrayLike<number>;
  ldb: number;
  beta: number;
  /** C before the call, [m, ldc] (ignored when beta is 0, as the kernel never reads it then). */
  c: ArrayLike<number>;
  ldc: number;
  bias: ArrayLike<number> | null;
  act: number;
  actParam: number;
}

export interface GemmResult {
  /** [m * n], dense. */
  value: Float64Array;
  preActivation: Float64Array;
  magnitude: Float64Array;
}

export function gemmReference(g: GemmCase): GemmResult {
  const { m, n, k } = g;
  const value = new Float64Array(m * n);
  const preActivation = new Float64Array(m * n);
  const magnitude = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const x = g.transA ? g.a[p * g.lda + i] : g.a[i * g.lda + p];
        const y = g.transB ? g.b[j * g.ldb + p] : g.b[p * g.ldb + j];
        sum += x * y;
        abs += Math.abs(x * y);
      }
      let v = g.alpha * sum;
      let mag = Math.abs(g.alpha) * abs;
      if (g.beta !== 0) {
        v += g.beta * g.c[i * g.ldc + j];
        mag += Math.abs(g.beta * g.c[i * g.ldc + j]);
      }
      if (g.bias) {
        v += g.bias[j];
        mag += Math.abs(g.bias[j]);
      }
      preActivation[i * n + j] = v;
      magnitude[i * n + j] = mag;
      value[i * n + j] = forward(g.act, v, g.actParam);
    }
  }
  return { value, preActivation, magnitude };
}
