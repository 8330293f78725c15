// 2D pooling over NHWC images, as tfjs-layers' MaxPooling2D, AveragePooling2D and GlobalAveragePooling2D
// (channels last only). The window geometry is TensorFlow's: 'valid' keeps the windows inside the image,
// out = floor((in - pool) / stride) + 1; 'same' gives out = ceil(in / stride) with the padding split as
// total = max((out - 1) * stride + pool - in, 0), floor(total / 2) before (the extra one after). Average
// pooling divides by the window's in-bounds elements (TensorFlow leaves the padding out of the mean).
// Max pooling saves each output's argmax in the layer's scratch when it is planned (training), and its
// backward scatters dy through it; kernels in assembly/pooling.ts, split by images across the pool.
import { parallelRows } from '../../kernel-calls.js';
import { checkOptions, shapeText, type Config } from '../config.js';
import { Layer, LAYER_OPTION_KEYS, type LayerBuffers, type LayerOptions, type TfjsLayerJson } from '../layer.js';
import { checkPair, windowAxis, type WindowPadding } from './windows.js';

export type PoolingPadding = WindowPadding;

export interface Pooling2DOptions extends LayerOptions {
  /** Window [height, width], or one size for both; default 2. */
  poolSize?: number | [number, number];
  /** Steps between windows [down, across], or one for both; default poolSize. */
  strides?: number | [number, number] | null;
  /** 'valid' (default): windows inside the image; 'same': out = ceil(in / stride), padded at the borders. */
  padding?: PoolingPadding;
  /** Only 'channelsLast' (NHWC), the default. */
  dataFormat?: 'channelsLast';
}

export interface GlobalPooling2DOptions extends LayerOptions {
  /** Only 'channelsLast' (NHWC), the default. */
  dataFormat?: 'channelsLast';
}

const POOLING_KEYS = [...LAYER_OPTION_KEYS, 'poolSize', 'strides', 'padding', 'dataFormat'];
const GLOBAL_POOLING_KEYS = [...LAYER_OPTION_KEYS, 'dataFormat'];

// Arguments of the current kernel call, reused (a training step makes no per-call garbage).
const args: number[] = [];

function checkDataFormat(value: unknown, where: string): void {
  if (value !== undefined && value !== 'channelsLast') {
    throw new RangeError(`${where}: dataFormat must be 'channelsLast' (simdnet's images are NHWC), got ${JSON.stringify(value)}`);
  }
}

/** The input shape as [height, width, channels], or an error naming the layer and the shape. */
function imageShape(inputShape: readonly number[], name: string): [number, number, number] {
  if (inputShape.length !== 3 || inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new RangeError(`${name} expects images [height, width, channels] per sample (NHWC), got input shape ${shapeText(inputShape)}; add a reshape layer first`);
  }
  return [inputShape[0], inputShape[1], inputShape[2]];
}

/** tfjs's data_format for channels last. */
const TFJS_CHANNELS_LAST = 'channels_last';

function checkTfjsDataFormat(config: Config, where: string): void {
  const format = config.data_format;
  if (format !== undefined && format !== null && format !== TFJS_CHANNELS_LAST) {
    throw new RangeError(`${where}: layer '${String(config.name)}' has data_format ${JSON.stringify(format)}; simdnet pools channels_last (NHWC) images`);
  }
}

/**
 * The entry without tfjs-layers' dtype, which tfjs writes only on a layer that declares its input shape
 * (so that the exported JSON is the one tfjs itself writes).
 */
function tfjsEntry(layer: Layer, entry: TfjsLayerJson): TfjsLayerJson {
  if (layer.declaredInputShape === undefined) delete entry.config.dtype;
  return entry;
}

/** MaxPooling2D and AveragePooling2D: a window slid over each image, per channel. */
abstract class Pooling2D extends Layer {
  readonly poolSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: PoolingPadding;
  /** The kernels' geometry arguments (height .. padLeft), derived once the layer is built. */
  #geometry: number[] | null = null;

  protected constructor(options: Pooling2DOptions | undefined, where: string) {
    const o = checkOptions(options, POOLING_KEYS, where);
    super(o, where);
    this.poolSize = Object.freeze(checkPair(o.poolSize ?? 2, `${this.name}: poolSize`));
    this.strides = Object.freeze(o.strides === undefined || o.strides === null ? [...this.poolSize] as [number, number] : checkPair(o.strides, `${this.name}: strides`));
    const padding = o.padding ?? 'valid';
    if (padding !== 'valid' && padding !== 'same') throw new RangeError(`${this.name}: padding must be 'valid' or 'same', got ${JSON.stringify(o.padding)}`);
    this.padding = padding;
    checkDataFormat(o.dataFormat, this.name);
  }

  /** The subclass (`this`) from its saved config. */
  static fromConfig<T extends Pooling2D>(this: new (options: Pooling2DOptions) => T, config: Config): T {
    return new this(config as Pooling2DOptions);
  }

  /** The subclass (`this`) from a tfjs-layers config (pool_size, strides, padding, data_format). */
  static fromTfjs<T extends Pooling2D>(this: new (options: Pooling2DOptions) => T, config: Config, where: string): T {
    checkTfjsDataFormat(config, where);
    return new this({
      name: config.name as string,
      trainable: config.trainable !== false,
      poolSize: config.pool_size as [number, number],
      strides: config.strides as [number, number] | null,
      padding: config.padding as PoolingPadding,
    });
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    const [height, width, channels] = imageShape(inputShape, this.name);
    const rows = windowAxis(height, this.poolSize[0], this.strides[0], this.padding);
    const cols = windowAxis(width, this.poolSize[1], this.strides[1], this.padding);
    if (rows.out < 1 || cols.out < 1) {
      throw new RangeError(
        `${this.name}: poolSize ${shapeText(this.poolSize)} is larger than the input image ${height}x${width} with padding 'valid' (use padding 'same' or a smaller poolSize)`,
      );
    }
    return [rows.out, cols.out, channels];
  }

  protected ownConfig(): Config {
    return { poolSize: [...this.poolSize], padding: this.padding, strides: [...this.strides], dataFormat: 'channelsLast' };
  }

  toTfjs(): TfjsLayerJson[] {
    const [entry] = super.toTfjs();
    entry.config.data_format = TFJS_CHANNELS_LAST;
    return [tfjsEntry(this, entry)];
  }

  /** height, width, channels, outHeight, outWidth, poolHeight, poolWidth, strideHeight, strideWidth, padTop, padLeft. */
  protected get geometry(): readonly number[] {
    if (this.#geometry === null) {
      const [height, width, channels] = this.inputShape;
      const [outHeight, outWidth] = this.outputShape;
      const padTop = windowAxis(height, this.poolSize[0], this.strides[0], this.padding).padBefore;
      const padLeft = windowAxis(width, this.poolSize[1], this.strides[1], this.padding).padBefore;
      this.#geometry = [height, width, channels, outHeight, outWidth, this.poolSize[0], this.poolSize[1], this.strides[0], this.strides[1], padTop, padLeft];
    }
    return this.#geometry;
  }

  /** Appends the geometry to `args` from index `at`. */
  protected putGeometry(at: number): void {
    const g = this.geometry;
    args.length = at + g.length;
    for (let i = 0; i < g.length; i++) args[at + i] = g[i];
  }

  /** The float64 forward: each output from its window's in-bounds values (`reduce` gets them in window order). */
  protected pool64(x: Float64Array, rows: number, reduce: (values: number[]) => number): Float64Array {
    const [height, width, channels, outHeight, outWidth, poolHeight, poolWidth, strideHeight, strideWidth, padTop, padLeft] = this.geometry;
    const y = new Float64Array(rows * this.outputSize);
    const values: number[] = [];
    for (let n = 0; n < rows; n++) {
      for (let oh = 0; oh < outHeight; oh++) {
        for (let ow = 0; ow < outWidth; ow++) {
          for (let c = 0; c < channels; c++) {
            values.length = 0;
            for (let ih = oh * strideHeight - padTop; ih < oh * strideHeight - padTop + poolHeight; ih++) {
              for (let iw = ow * strideWidth - padLeft; iw < ow * strideWidth - padLeft + poolWidth; iw++) {
                if (ih >= 0 && ih < height && iw >= 0 && iw < width) values.push(x[((n * height + ih) * width + iw) * channels + c]);
              }
            }
            y[((n * outHeight + oh) * outWidth + ow) * channels + c] = reduce(values);
          }
        }
      }
    }
    return y;
  }
}

/** The maximum of each window, per channel (tfjs-layers MaxPooling2D). */
export class MaxPooling2D extends Pooling2D {
  static readonly className = 'MaxPooling2D';

  constructor(options?: Pooling2DOptions) {
    super(options, 'maxPooling2d');
  }

  /** The argmax of each output (i32), for backward: only when training (inference plans no scratch). */
  scratchBytes(capacity: number, training: boolean): number {
    return training ? capacity * this.outputSize * 4 : 0;
  }

  forwardPass(b: LayerBuffers, rows: number): void {
    // The argmax goes to the scratch whenever there is one (a training plan, or the Tensor-level
    // forward, whose backward may follow a forward without { training: true }).
    args[0] = b.x; args[1] = this.inputSize; args[2] = b.y; args[3] = b.scratch; args[4] = rows;
    this.putGeometry(5);
    parallelRows('maxPoolForwardF32x4', rows, this.outputSize, args);
  }

  backwardPass(b: LayerBuffers, rows: number): void {
    if (b.dx === 0) return;
    if (b.scratch === 0) throw new Error(`${this.name}: backward needs the argmax of a training forward, and none was planned`);
    args.length = 6;
    args[0] = b.dy; args[1] = b.scratch; args[2] = this.outputSize; args[3] = b.dx; args[4] = this.inputSize; args[5] = rows;
    parallelRows('maxPoolBackward', rows, this.outputSize, args);
  }

  forward64(x: Float64Array, rows: number): Float64Array {
    // The kernel's rule: take v unless v <= best, and keep the first NaN (NaN propagates).
    return this.pool64(x, rows, (values) => values.reduce((best, v) => (!Number.isNaN(best) && !(v <= best) ? v : best)));
  }
}

/** The mean of each window's in-bounds values, per channel (tfjs-layers AveragePooling2D). */
export class AveragePooling2D extends Pooling2D {
  static readonly className = 'AveragePooling2D';

  constructor(options?: Pooling2DOptions) {
    super(options, 'averagePooling2d');
  }

  forwardPass(b: LayerBuffers, rows: number): void {
    args[0] = b.x; args[1] = this.inputSize; args[2] = b.y; args[3] = rows;
    this.putGeometry(4);
    parallelRows('avgPoolForwardF32x4', rows, this.outputSize, args);
  }

  backwardPass(b: LayerBuffers, rows: number): void {
    if (b.dx === 0) return;
    args[0] = b.dy; args[1] = b.dx; args[2] = this.inputSize; args[3] = rows;
    this.putGeometry(4);
    parallelRows('avgPoolBackwardF32x4', rows, this.outputSize, args);
  }

  forward64(x: Float64Array, rows: number): Float64Array {
    return this.pool64(x, rows, (values) => values.reduce((s, v) => s + v, 0) / values.length);
  }
}

/** [batch, height, width, channels] -> [batch, channels]: the mean over each image (tfjs-layers GlobalAveragePooling2D). */
export class GlobalAveragePooling2D extends Layer {
  static readonly className = 'GlobalAveragePooling2D';

  constructor(options?: GlobalPooling2DOptions) {
    const o = checkOptions(options, GLOBAL_POOLING_KEYS, 'globalAveragePooling2d');
    super(o, 'globalAveragePooling2d');
    checkDataFormat(o.dataFormat, this.name);
  }

  static fromConfig(config: Config): GlobalAveragePooling2D {
    return new GlobalAveragePooling2D(config as GlobalPooling2DOptions);
  }

  static fromTfjs(config: Config, where: string): GlobalAveragePooling2D {
    checkTfjsDataFormat(config, where);
    return new GlobalAveragePooling2D({ name: config.name as string, trainable: config.trainable !== false });
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    return [imageShape(inputShape, this.name)[2]];
  }

  protected ownConfig(): Config {
    return { dataFormat: 'channelsLast' };
  }

  toTfjs(): TfjsLayerJson[] {
    const [entry] = super.toTfjs();
    entry.config.data_format = TFJS_CHANNELS_LAST;
    return [tfjsEntry(this, entry)];
  }

  /** Pixels per image. */
  get #positions(): number {
    return this.inputShape[0] * this.inputShape[1];
  }

  forwardPass(b: LayerBuffers, rows: number): void {
    args.length = 5;
    args[0] = b.x; args[1] = b.y; args[2] = rows; args[3] = this.#positions; args[4] = this.outputSize;
    parallelRows('globalAvgPoolForwardF32x4', rows, this.inputSize, args);
  }

  backwardPass(b: LayerBuffers, rows: number): void {
    if (b.dx === 0) return;
    args.length = 5;
    args[0] = b.dy; args[1] = b.dx; args[2] = rows; args[3] = this.#positions; args[4] = this.outputSize;
    parallelRows('globalAvgPoolBackwardF32x4', rows, this.inputSize, args);
  }

  forward64(x: Float64Array, rows: number): Float64Array {
    const positions = this.#positions;
    const channels = this.outputSize;
    const y = new Float64Array(rows * channels);
    for (let n = 0; n < rows; n++) {
      for (let p = 0; p < positions; p++) for (let c = 0; c < channels; c++) y[n * channels + c] += x[(n * positions + p) * channels + c];
    }
    return y.map((s) => s / positions);
  }
}
