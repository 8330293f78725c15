// Flatten and Reshape: a new per-sample shape over the same row-major memory, so in a plan the output IS
// the input (no copy) and the gradient passes through untouched. They copy only when handed separate
// buffers (the Tensor-level forward/backward).
import { copyBytes } from '../../kernel-calls.js';
import { checkOptions, checkShape, shapeText, sizeOf, type Config } from '../config.js';
import { Layer, LAYER_OPTION_KEYS, type LayerBuffers, type LayerOptions, type TfjsLayerJson } from '../layer.js';

abstract class ViewLayer extends Layer {
  aliasesInput(): boolean {
    return true;
  }

  forwardPass(b: LayerBuffers, rows: number): void {
    if (b.y !== b.x) copyBytes(b.y, b.x, rows * this.inputSize * 4);
  }

  backwardPass(b: LayerBuffers, rows: number): void {
    if (b.dx !== 0 && b.dx !== b.dy) copyBytes(b.dx, b.dy, rows * this.inputSize * 4);
  }

  forward64(x: Float64Array): Float64Array {
    return x;
  }
}

/** [batch, ...dims] -> [batch, product of dims] (tfjs-layers Flatten, channels-last order kept). */
export class Flatten extends ViewLayer {
  static readonly className = 'Flatten';

  constructor(options?: LayerOptions) {
    super(checkOptions(options, LAYER_OPTION_KEYS, 'flatten'), 'flatten');
  }

  static fromConfig(config: Config): Flatten {
    return new Flatten(config as LayerOptions);
  }

  static fromTfjs(config: Config): Flatten {
    return new Flatten({ name: config.name as string, trainable: config.trainable !== false });
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    return [sizeOf(checkShape(inputShape, `${this.name}: input shape`))];
  }

  protected ownConfig(): Config {
    return {};
  }
}

export interface ReshapeOptions extends LayerOptions {
  /** The per-sample output shape; one entry may be -1 (inferred from the others). */
  targetShape: number[];
}

/** [batch, ...dims] -> [batch, ...targetShape] with the same number of values per sample. */
export class Reshape extends ViewLayer {
  static readonly className = 'Reshape';
  readonly targetShape: readonly number[];

  constructor(options: ReshapeOptions) {
    const o = checkOptions(options, [...LAYER_OPTION_KEYS, 'targetShape'], 'reshape');
    super(o, 'reshape');
    const t = o.targetShape;
    if (!Array.isArray(t) || t.length === 0 || t.some((d) => !Number.isInteger(d) || (d < 1 && d !== -1)) || t.filter((d) => d === -1).length > 1) {
      throw new RangeError(`${this.name}: targetShape must be a list of whole sizes >= 1 (one may be -1), got ${JSON.stringify(t)}`);
    }
    this.targetShape = Object.freeze([...t]);
  }

  static fromConfig(config: Config): Reshape {
    return new Reshape(config as unknown as ReshapeOptions);
  }

  static fromTfjs(config: Config): Reshape {
    return new Reshape({ name: config.name as string, trainable: config.trainable !== false, targetShape: config.target_shape as number[] });
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    const size = sizeOf(checkShape(inputShape, `${this.name}: input shape`));
    const known = sizeOf(this.targetShape.filter((d) => d !== -1));
    const out = this.targetShape.map((d) => (d === -1 ? size / known : d));
    if (sizeOf(out) !== size || out.some((d) => !Number.isInteger(d))) {
      throw new RangeError(`${this.name}: cannot reshape input ${shapeText(inputShape)} (${size} values) to ${shapeText(this.targetShape)}`);
    }
    return out;
  }

  protected ownConfig(): Config {
    return { targetShape: [...this.targetShape] };
  }

  /**
   * The resolved shape, never a -1: tfjs-layers' Reshape.computeOutputShape counts the batch axis's null as
   * an unknown input size and so passes the -1 on, and the next layer (a Flatten) fails tf.loadLayersModel.
   */
  toTfjs(): TfjsLayerJson[] {
    const [entry] = super.toTfjs();
    if (this.built) entry.config.target_shape = [...this.outputShape];
    return [entry];
  }
}
