// Float64 references of the elementwise activations (assembly/activations.ts) and of e^x (assembly/math.ts).
// Codes as in src/ops/activation-kinds.ts. Backward takes the saved output y: dx = dy * f'(y).
export const KINDS = { linear: 0, relu: 1, leakyRelu: 2, sigmoid: 3, tanh: 4, step: 5 } as const;

export function forward(kind: number, x: number, alpha: number): number {
  if (Number.isNaN(x)) return NaN;
  switch (kind) {
    case KINDS.linear: return x;
    case KINDS.relu: return x < 0 ? 0 : x;
    case KINDS.leakyRelu: return x > 0 ? x : alpha * x;
    case KINDS.sigmoid: return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    case KINDS.tanh: return Math.tanh(x);
    case KINDS.step: return x > 0 ? 1 : 0;
    default: throw new Error(`unknown kind ${kind}`);
  }
}

/** f'(x) written through y = f(x); NaN y gives NaN for the piecewise kinds, identity is constant 1. */
export function slopeFromOutput(kind: number, y: number, alpha: number): number {
  switch (kind) {
    case KINDS.linear: return 1;
    case KINDS.relu: return Number.isNaN(y) ? NaN : y > 0 ? 1 : 0;
    case KINDS.leakyRelu: return Number.isNaN(y) ? NaN : y > 0 ? 1 : alpha;
    case KINDS.sigmoid: return y * (1 - y);
    case KINDS.tanh: return (1 - y) * (1 + y);
    case KINDS.step: return Number.isNaN(y) ? NaN : 0;
    default: throw new Error(`unknown kind ${kind}`);
  }
}

export function backward(kind: number, y: number, dy: number, alpha: number): number {
  return dy * slopeFromOutput(kind, y, alpha);
}
