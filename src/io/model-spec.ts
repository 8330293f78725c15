// A model as plain data: the layer list and named float32 weights. The simdnet and TensorFlow.js file
// formats are both written from and read into this, so neither format code depends on the layer classes.

/** Activation names of simdnet layers (src/nn/activations.ts). */
export const SPEC_ACTIVATIONS = ['linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'softmax', 'step'] as const;
export type SpecActivation = (typeof SPEC_ACTIVATIONS)[number];

export interface DenseSpec {
  readonly type: 'dense';
  readonly name: string;
  readonly units: number;
  readonly activation: SpecActivation;
  /** Leaky ReLU slope (only with activation 'leakyRelu'). */
  readonly alpha?: number;
  readonly useBias: boolean;
}

/** A standalone activation layer (relu(), softmax(), leakyRelu({ alpha }), ...). */
export interface ActivationSpec {
  readonly type: 'activation';
  readonly name: string;
  readonly activation: SpecActivation;
  readonly alpha?: number;
}

export type LayerSpec = DenseSpec | ActivationSpec;

export interface WeightSpec {
  /** `<layer name>/kernel` ([inputs, units], the Keras layout) or `<layer name>/bias` ([units]). */
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

export interface ModelSpec {
  /** Features per input row. */
  readonly inputSize: number;
  readonly layers: readonly LayerSpec[];
  /** In layer order: each dense layer's kernel, then its bias when it has one. */
  readonly weights: readonly WeightSpec[];
}

/** The weight names and shapes a layer list implies, in order; also checks the list itself. */
export function expectedWeights(inputSize: number, layers: readonly LayerSpec[], where: string): { name: string; shape: number[] }[] {
  if (!Number.isInteger(inputSize) || inputSize < 1) throw new RangeError(`${where}: input size must be a whole number >= 1, got ${inputSize}`);
  const out: { name: string; shape: number[] }[] = [];
  const names = new Set<string>();
  let width = inputSize;
  layers.forEach((layer, i) => {
    if (typeof layer.name !== 'string' || layer.name === '' || names.has(layer.name)) {
      throw new TypeError(`${where}: layer ${i} needs a unique non-empty name, got ${JSON.stringify(layer.name)}`);
    }
    names.add(layer.name);
    if (!(SPEC_ACTIVATIONS as readonly string[]).includes(layer.activation)) {
      throw new TypeError(`${where}: layer ${i} '${layer.name}' has unknown activation '${layer.activation}'; valid: ${SPEC_ACTIVATIONS.join(', ')}`);
    }
    if (layer.activation === 'leakyRelu' && !(typeof layer.alpha === 'number' && Number.isFinite(layer.alpha) && layer.alpha >= 0)) {
      throw new RangeError(`${where}: layer ${i} '${layer.name}' needs a finite leaky ReLU alpha >= 0, got ${layer.alpha}`);
    }
    if (layer.type === 'dense') {
      if (!Number.isInteger(layer.units) || layer.units < 1) throw new RangeError(`${where}: layer ${i} '${layer.name}' has units ${layer.units}, not a whole number >= 1`);
      if (typeof layer.useBias !== 'boolean') throw new TypeError(`${where}: layer ${i} '${layer.name}' needs useBias true or false`);
      out.push({ name: `${layer.name}/kernel`, shape: [width, layer.units] });
      if (layer.useBias) out.push({ name: `${layer.name}/bias`, shape: [layer.units] });
      width = layer.units;
    } else if (layer.type !== 'activation') {
      throw new TypeError(`${where}: layer ${i} has unknown type '${(layer as { type: unknown }).type}'; valid: dense, activation`);
    }
  });
  if (out.length === 0) throw new RangeError(`${where}: the model has no dense layer`);
  return out;
}

/** Checks that `spec.weights` are exactly the weights its layers need, in order and with the right sizes. */
export function checkModelSpec(spec: ModelSpec, where: string): void {
  const expected = expectedWeights(spec.inputSize, spec.layers, where);
  if (spec.weights.length !== expected.length) {
    throw new RangeError(`${where}: ${spec.weights.length} weight tensors, the layers need ${expected.length} (${expected.map((w) => w.name).join(', ')})`);
  }
  expected.forEach((e, i) => {
    const w = spec.weights[i];
    if (w.name !== e.name) throw new RangeError(`${where}: weight ${i} is '${w.name}', expected '${e.name}'`);
    if (w.shape.length !== e.shape.length || w.shape.some((d, k) => d !== e.shape[k])) {
      throw new RangeError(`${where}: weight '${w.name}' has shape [${w.shape.join(', ')}], the layers need [${e.shape.join(', ')}]`);
    }
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (!(w.values instanceof Float32Array) || w.values.length !== size) {
      throw new TypeError(`${where}: weight '${w.name}' needs ${size} float32 values, got ${w.values?.length}`);
    }
  });
}

/** Little-endian float32 bytes of all weights, back to back (the layout of both formats' weights.bin). */
export function packWeights(weights: readonly WeightSpec[]): Uint8Array {
  const total = weights.reduce((s, w) => s + w.values.length, 0);
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const w of weights) {
    for (let i = 0; i < w.values.length; i++, offset += 4) view.setFloat32(offset, w.values[i], true);
  }
  return bytes;
}

/** Splits little-endian float32 bytes into the given weights (sizes already checked by the caller). */
export function unpackWeights(bytes: Uint8Array, layout: readonly { name: string; shape: readonly number[] }[]): WeightSpec[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  return layout.map(({ name, shape }) => {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++, offset += 4) values[i] = view.getFloat32(offset, true);
    return { name, shape: [...shape], values };
  });
}
