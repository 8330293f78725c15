// The one table of activations. Everything else derives from it: the kernels' codes and their dispatch on
// the kind (scripts/build-wasm.mjs writes assembly/activation-kinds.generated.ts and
// activation-dispatch.generated.ts from this file at build, so the GEMM epilogue's bound and cases follow
// it), the names layers accept, the float64 references gradCheck uses, the TensorFlow.js names and
// which loss fuses with which output. This file imports nothing: the build script evaluates it on its own.
// Adding an activation: one row here, its lanes in assembly/activations.ts (activation4 and slope4), and
// its reference below.

export interface ActivationRow {
  /** The name layers accept (`dense({ activation })`, `sn.layers.activation({ activation })`). */
  readonly name: string;
  /**
   * The elementwise kernel code (assembly/activations.ts), or -1 for softmax, which works on rows and
   * runs its own kernel (assembly/softmax.ts) after the GEMM.
   */
  readonly code: number;
  /** The activation string of TensorFlow.js layers, or null when tfjs has none (leakyRelu is its own layer there). */
  readonly tfjs: string | null;
  /** The one parameter (leaky ReLU's slope), with its default; null when there is none. */
  readonly param: { readonly name: string; readonly defaultValue: number } | null;
  /** Losses that, after this output activation, read the logits instead (a fused, stable gradient). */
  readonly fusesWith: readonly string[];
  /** The float64 reference of one element (`param` as above); softmax's reference is row-wise (null here). */
  readonly reference: ((x: number, param: number) => number) | null;
}

export const ACTIVATION_TABLE = [
  { name: 'linear', code: 0, tfjs: 'linear', param: null, fusesWith: [], reference: (x: number) => x },
  { name: 'relu', code: 1, tfjs: 'relu', param: null, fusesWith: [], reference: (x: number) => (x > 0 ? x : 0) },
  {
    name: 'leakyRelu', code: 2, tfjs: null, param: { name: 'alpha', defaultValue: 0.3 }, fusesWith: [],
    reference: (x: number, alpha: number) => (x > 0 ? x : alpha * x),
  },
  { name: 'sigmoid', code: 3, tfjs: 'sigmoid', param: null, fusesWith: ['binaryCrossentropy'], reference: (x: number) => 1 / (1 + Math.exp(-x)) },
  { name: 'tanh', code: 4, tfjs: 'tanh', param: null, fusesWith: [], reference: (x: number) => Math.tanh(x) },
  { name: 'softmax', code: -1, tfjs: 'softmax', param: null, fusesWith: ['categoricalCrossentropy', 'sparseCategoricalCrossentropy'], reference: null },
  // Heaviside with H(0) = 0, the perceptron's "1 if w.x + b > 0 else 0".
  { name: 'step', code: 5, tfjs: null, param: null, fusesWith: [], reference: (x: number) => (x > 0 ? 1 : 0) },
] as const satisfies readonly ActivationRow[];
