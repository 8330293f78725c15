// Conv2D over NHWC images: y[n, oy, ox, f] = act(b[f] + sum over (ky, kx, c) of
// x[n, oy * sy - padTop + ky, ox * sx - padLeft + kx, c] * W[ky, kx, c, f]), W [kh, kw, inC, filters] as in
// TensorFlow.js. Forward: im2col (assembly/conv.ts) of the batch into the layer's scratch and a GEMM of
// [n * oh * ow, kh * kw * inC] by W (which is that GEMM's B as stored) whose epilogue adds the bias and
// applies the activation, writing y (NHWC is that GEMM's row-major output), both by groups of images
// (FORWARD_GROUP_BYTES). A 1x1 kernel with stride 1 and 'valid' padding needs no im2col: x is already the
// matrix; one input channel keeps the matrix transposed (see Geometry.transposed). Backward: dW = colsᵀ dZ and dCols = dZ Wᵀ
// (transposed GEMMs, no transposed copies; dW summed over chunks of rows, each chunk's activation gradient
// and bias column sums computed in one pass just before: convWeightGradients, split by output channels),
// then col2im adds dCols into dx.
import { gemm, gemmPackBytes, getThreads, kernels, parallelConvWeightGradients, parallelRows } from '../../kernel-calls.js';
import { activation64, activationGradientRows, activationRows, SOFTMAX } from '../activations.js';
import { checkInteger, checkOptions, shapeText, type Config } from '../config.js';
import { initializers, initializerToTfjs } from '../initializers.js';
import type { LayerBuffers, TfjsLayerJson, WeightDeclaration } from '../layer.js';
import { regularizerToTfjs } from '../regularizers.js';
import { checkPair, windowAxis, type WindowPadding } from './windows.js';
import { KERNEL_LAYER_OPTION_KEYS, KernelLayer, type KernelLayerOptions } from './kernel-layer.js';

const IDENTITY = 0;

export type Conv2DPadding = WindowPadding;

export interface Conv2DOptions extends KernelLayerOptions {
  /** Output channels. */
  filters: number;
  /** n (an n x n kernel) or [kh, kw]. */
  kernelSize: number | [number, number];
  /** n or [sy, sx]; default 1. */
  strides?: number | [number, number];
  /** 'valid' (default): no padding; 'same': TensorFlow's, out = ceil(in / stride). */
  padding?: Conv2DPadding;
  /** Only 'channelsLast' (NHWC). */
  dataFormat?: 'channelsLast';
  /** Only 1 (or [1, 1]). */
  dilationRate?: number | [number, number];
}

const KEYS = [...KERNEL_LAYER_OPTION_KEYS, 'filters', 'kernelSize', 'strides', 'padding', 'dataFormat', 'dilationRate'];

/** Sizes of one convolution, and how its im2col matrix is laid out. */
interface Geometry {
  h: number; w: number; c: number; kh: number; kw: number; sy: number; sx: number;
  oh: number; ow: number; padTop: number; padLeft: number;
  /** Floats per im2col row: kh * kw * c. */
  patch: number;
  /** x is already the im2col matrix (a 1x1 kernel, stride 1, no padding). */
  direct: boolean;
  /**
   * One input channel: the matrix is kept transposed, [patch, n * oh * ow] (im2colTransposedC1), whose rows
   * are long runs of x where im2colNHWC would copy kw floats at a time; the GEMMs read it as Aᵀ (forward) and
   * A (dW), with the same bits. Conv1 of the digits convnet, one thread, medians of 15: im2col 2.4-5.8x
   * faster, im2col + forward GEMM 1.11-1.38x, dW 1.00-1.24x (batch 128 and 32, both builds).
   */
  transposed: boolean;
}

function geometryOf(input: readonly number[], kernelSize: readonly number[], strides: readonly number[], padding: Conv2DPadding): Geometry {
  const [h, w, c] = input;
  const [kh, kw] = kernelSize;
  const [sy, sx] = strides;
  const { out: oh, padBefore: padTop } = windowAxis(h, kh, sy, padding);
  const { out: ow, padBefore: padLeft } = windowAxis(w, kw, sx, padding);
  const direct = kh === 1 && kw === 1 && sy === 1 && sx === 1 && padding === 'valid';
  return { h, w, c, kh, kw, sy, sx, oh, ow, padTop, padLeft, patch: kh * kw * c, direct, transposed: c === 1 && !direct };
}

/**
 * dW = colsᵀ dZ is summed over chunks of this many rows (beta = 1 after the first). One GEMM over all the
 * rows has k = n * oh * ow: the GEMM does not block k, so every pair of rows of dW streams the whole packed
 * dZ from memory. Chunks keep their slices of cols and dZ in L2. One thread, medians of 9, chunk 1024 over
 * one GEMM: [86528 x 9]ᵀ [86528 x 32] 1.60x (plain build) and 1.48x (relaxed), [15488 x 288]ᵀ [15488 x 64]
 * 1.71x and 1.88x, [3872 x 288]ᵀ [3872 x 64] 1.16x and 1.20x (2048 and 512 rows measured within ~10% of it);
 * over conv1's transposed one-channel matrix (NN, [9 x 86528] [86528 x 32]) 1.50x and 1.74x (1024 to 4096 alike).
 */
const DW_CHUNK_ROWS = 1024;

/**
 * On one thread, the forward pass runs im2col and the GEMM over groups of images whose im2col rows take
 * about this many bytes, so that the GEMM reads them from L2 (1 MiB per core here) rather than from memory:
 * conv2 of the digits convnet 0.88x the time at batch 128, 0.92x at 1000 (256 KiB and 1 MiB alike). With
 * more threads each group's two calls would be split across the pool, and their synchronizations cost
 * more than the cache saves (2 threads, best of 15 rounds: conv2 1.41x and 1.37x the ungrouped time, conv1
 * 1.52x and 1.61x), so there the batch is one group.
 */
const FORWARD_GROUP_BYTES = 512 << 10;

// Arguments of the current im2col / col2im call and of convWeightGradients, reused (a training step makes
// no per-call garbage).
const args: number[] = [];
const gradientArgs: number[] = new Array<number>(14).fill(0);

export class Conv2D extends KernelLayer {
  static readonly className = 'Conv2D';
  readonly filters: number;
  readonly kernelSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: Conv2DPadding;
  #geometryOf: readonly number[] | null = null;
  #cached: Geometry | null = null;

  constructor(options: Conv2DOptions) {
    const o = checkOptions(options, KEYS, 'conv2d');
    super(o, 'conv2d', initializers.glorotNormal);
    this.filters = checkInteger(o.filters, `${this.name}: filters`, 1);
    this.kernelSize = checkPair(o.kernelSize, `${this.name}: kernelSize`);
    this.strides = checkPair(o.strides ?? 1, `${this.name}: strides`);
    if (o.padding !== undefined && o.padding !== 'valid' && o.padding !== 'same') {
      throw new TypeError(`${this.name}: padding must be 'valid' or 'same', got ${JSON.stringify(o.padding)}`);
    }
    this.padding = o.padding ?? 'valid';
    if (o.dataFormat !== undefined && o.dataFormat !== 'channelsLast') {
      throw new TypeError(`${this.name}: dataFormat ${JSON.stringify(o.dataFormat)} is not supported; simdnet's images are NHWC ('channelsLast')`);
    }
    if (o.dilationRate !== undefined && checkPair(o.dilationRate, `${this.name}: dilationRate`).some((d) => d !== 1)) {
      throw new RangeError(`${this.name}: dilationRate ${JSON.stringify(o.dilationRate)} is not supported; simdnet's Conv2D has dilationRate 1 only`);
    }
  }

  static fromConfig(config: Config): Conv2D {
    return new Conv2D(config as unknown as Conv2DOptions);
  }

  /** A tfjs Conv2D config (snake_case); its leaky activation, if any, arrives as a separate LeakyReLU layer. */
  static fromTfjs(config: Config, where: string): Conv2D {
    const name = String(config.name);
    if (config.data_format !== undefined && config.data_format !== 'channels_last') {
      throw new TypeError(`${where}: Conv2D layer '${name}' has data_format ${JSON.stringify(config.data_format)}; simdnet imports channels_last only`);
    }
    for (const key of ['kernel_constraint', 'bias_constraint', 'activity_regularizer']) {
      if (config[key] !== null && config[key] !== undefined) throw new TypeError(`${where}: Conv2D layer '${name}' has a ${key}, which simdnet does not support`);
    }
    return new Conv2D({
      ...KernelLayer.tfjsOptions('Conv2D', config, where, initializers.glorotNormal),
      filters: config.filters as number,
      kernelSize: config.kernel_size as [number, number],
      strides: (config.strides ?? 1) as [number, number],
      padding: (config.padding ?? 'valid') as Conv2DPadding,
      dilationRate: (config.dilation_rate ?? 1) as [number, number],
    });
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    if (inputShape.length !== 3) {
      throw new RangeError(`${this.name} expects images [height, width, channels] per sample, got input shape ${shapeText(inputShape)} (a flat input needs sn.layers.reshape({ targetShape: [h, w, c] }) first)`);
    }
    const [h, w] = inputShape;
    const [kh, kw] = this.kernelSize;
    if (this.padding === 'valid' && (h < kh || w < kw)) {
      throw new RangeError(`${this.name}: input ${h}x${w} is smaller than the ${kh}x${kw} kernel with 'valid' padding (use padding 'same' or a smaller kernelSize)`);
    }
    return [windowAxis(h, kh, this.strides[0], this.padding).out, windowAxis(w, kw, this.strides[1], this.padding).out, this.filters];
  }

  weightDeclarations(inputShape: readonly number[]): WeightDeclaration[] {
    const [kh, kw] = this.kernelSize;
    const channels = inputShape[2];
    // Keras's fans for a conv kernel: each counts the receptive field (kh * kw) times the channels.
    const kernel: WeightDeclaration = {
      name: 'kernel', shape: [kh, kw, channels, this.filters], init: this.kernelInitializer, regularizer: this.kernelRegularizer,
      fans: [kh * kw * channels, kh * kw * this.filters],
    };
    return this.useBias ? [kernel, { name: 'bias', shape: [this.filters], init: this.biasInitializer, regularizer: this.biasRegularizer }] : [kernel];
  }

  protected ownConfig(): Config {
    return {
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      dataFormat: 'channelsLast',
      dilationRate: [1, 1],
      ...this.kernelConfig(),
    };
  }

  /** tfjs-layers' Conv2D config, key for key in the order its getConfig writes them. */
  toTfjs(): TfjsLayerJson[] {
    return this.withLeakyReLU({
      class_name: 'Conv2D',
      config: {
        filters: this.filters,
        kernel_initializer: initializerToTfjs(this.kernelInitializer),
        kernel_regularizer: regularizerToTfjs(this.kernelRegularizer),
        kernel_constraint: null,
        kernel_size: [...this.kernelSize],
        strides: [...this.strides],
        padding: this.padding,
        data_format: 'channels_last',
        dilation_rate: [1, 1],
        activation: this.tfjsActivation,
        use_bias: this.useBias,
        bias_initializer: initializerToTfjs(this.biasInitializer),
        bias_regularizer: regularizerToTfjs(this.biasRegularizer),
        activity_regularizer: null,
        bias_constraint: null,
        name: this.name,
        trainable: this.trainable,
        dtype: 'float32',
      },
    });
  }

  /** The geometry of the built input, computed once per build (a pass makes no garbage). */
  get #geometry(): Geometry {
    if (this.#geometryOf !== this.inputShape) {
      this.#geometryOf = this.inputShape;
      this.#cached = geometryOf(this.inputShape, this.kernelSize, this.strides, this.padding);
    }
    return this.#cached!;
  }

  scratchBytes(capacity: number): number {
    const g = this.#geometry;
    return g.direct ? 0 : capacity * g.oh * g.ow * g.patch * 4;
  }

  packBytes(capacity: number): number {
    const g = this.#geometry;
    const m = capacity * g.oh * g.ow;
    const f = this.filters;
    return Math.max(gemmPackBytes(m, f, g.patch, false), gemmPackBytes(g.patch, f, m, false), gemmPackBytes(m, g.patch, f, true));
  }

  /**
   * Runs im2colNHWC, col2imNHWC or im2colTransposedC1 (the same arguments, the last with the matrix's column
   * count, n * oh * ow of the whole batch, in place of c) over images [first, first + count) of a batch of
   * `rows`, split by images across the pool.
   */
  #patches(kernel: 'im2colNHWC' | 'col2imNHWC' | 'im2colTransposedC1', from: number, to: number, rows: number, first = 0, count = rows): void {
    const g = this.#geometry;
    args.length = 15;
    args[0] = from; args[1] = to; args[2] = first; args[3] = count;
    if (kernel === 'im2colTransposedC1') {
      args[4] = rows * g.oh * g.ow; args[5] = g.h; args[6] = g.w;
    } else {
      args[4] = g.h; args[5] = g.w; args[6] = g.c;
    }
    args[7] = g.kh; args[8] = g.kw; args[9] = g.sy; args[10] = g.sx; args[11] = g.padTop; args[12] = g.padLeft; args[13] = g.oh; args[14] = g.ow;
    parallelRows(kernel, count, g.oh * g.ow * g.patch, args);
  }

  forwardPass(b: LayerBuffers, rows: number, _training: boolean, logits: boolean): void {
    const g = this.#geometry;
    const act = this.activation;
    const f = this.filters;
    const m = rows * g.oh * g.ow;
    // Elementwise activations run in the GEMM epilogue; softmax (over the channels of each pixel) after it.
    const fused = logits || act.kind === SOFTMAX ? IDENTITY : act.kind;
    const bias = this.useBias ? this.weights[1].tensor.ptr : 0;
    const w = this.weights[0].tensor.ptr;
    if (g.direct) {
      gemm(0, 0, m, f, g.patch, b.x, g.patch, w, f, b.y, f, bias, fused, act.param, b.pack);
    } else {
      // im2col and the GEMM image group by image group: each group's rows of the matrix go from im2col to
      // the GEMM through the cache. Every row lands where one im2col of the batch puts it (backward reads it).
      const pixels = g.oh * g.ow;
      const group = getThreads() > 1 ? rows : Math.max(1, Math.floor(FORWARD_GROUP_BYTES / (pixels * g.patch * 4)));
      for (let n0 = 0; n0 < rows; n0 += group) {
        const count = Math.min(group, rows - n0);
        const r0 = n0 * pixels;
        this.#patches(g.transposed ? 'im2colTransposedC1' : 'im2colNHWC', b.x, b.scratch, rows, n0, count);
        if (g.transposed) gemm(1, 0, count * pixels, f, g.patch, b.scratch + r0 * 4, m, w, f, b.y + r0 * f * 4, f, bias, fused, act.param, b.pack);
        else gemm(0, 0, count * pixels, f, g.patch, b.scratch + r0 * g.patch * 4, g.patch, w, f, b.y + r0 * f * 4, f, bias, fused, act.param, b.pack);
      }
    }
    if (!logits && act.kind === SOFTMAX) activationRows(act, b.y, b.y, m, f);
  }

  backwardPass(b: LayerBuffers, rows: number, logits: boolean): void {
    const g = this.#geometry;
    const f = this.filters;
    const m = rows * g.oh * g.ow;
    const act = this.activation;
    // Softmax's gradient mixes a pixel's channels: a pass of its own. An elementwise one runs chunk by chunk
    // below, fused with the bias gradient's column sums, each chunk just before its dW GEMM reads it.
    if (!logits && act.kind === SOFTMAX) activationGradientRows(act, b.y, b.dy, b.dy, m, f);
    const kind = logits || act.kind === SOFTMAX ? IDENTITY : act.kind;
    // The im2col matrix of the forward pass (x itself when direct), [m, patch] or, transposed, [patch, m].
    const cols = g.direct ? b.x : b.scratch;
    if (this.trainable) {
      gradientArgs[0] = kind; gradientArgs[1] = b.y; gradientArgs[2] = b.dy; gradientArgs[3] = m; gradientArgs[4] = f; gradientArgs[5] = f;
      gradientArgs[6] = act.param; gradientArgs[7] = this.useBias ? this.weights[1].grad!.ptr : 0; gradientArgs[8] = cols;
      gradientArgs[9] = g.transposed ? 1 : 0; gradientArgs[10] = g.patch; gradientArgs[11] = this.weights[0].grad!.ptr;
      gradientArgs[12] = DW_CHUNK_ROWS; gradientArgs[13] = b.pack;
      parallelConvWeightGradients(gradientArgs);
    } else if (kind !== IDENTITY) {
      kernels.actBackward(kind, b.y, b.dy, b.dy, m * f, act.param);
    }
    if (b.dx === 0) return;
    if (g.direct) {
      gemm(0, 1, m, g.patch, f, b.dy, f, this.weights[0].tensor.ptr, f, b.dx, g.patch, 0, IDENTITY, 0, b.pack);
      return;
    }
    // dCols overwrites the im2col matrix, which dW (above) was the last to read.
    gemm(0, 1, m, g.patch, f, b.dy, f, this.weights[0].tensor.ptr, f, b.scratch, g.patch, 0, IDENTITY, 0, b.pack);
    this.#patches('col2imNHWC', b.scratch, b.dx, rows);
  }

  forward64(x: Float64Array, rows: number, weights: readonly Float64Array[], _training: boolean, logits: boolean): Float64Array {
    const g = this.#geometry;
    const f = this.filters;
    const w = weights[0];
    const bias = this.useBias ? weights[1] : null;
    const y = new Float64Array(rows * g.oh * g.ow * f);
    for (let n = 0; n < rows; n++) {
      for (let oy = 0; oy < g.oh; oy++) {
        for (let ox = 0; ox < g.ow; ox++) {
          const out = ((n * g.oh + oy) * g.ow + ox) * f;
          for (let j = 0; j < f; j++) y[out + j] = bias === null ? 0 : bias[j];
          for (let ky = 0; ky < g.kh; ky++) {
            const iy = oy * g.sy - g.padTop + ky;
            if (iy < 0 || iy >= g.h) continue;
            for (let kx = 0; kx < g.kw; kx++) {
              const ix = ox * g.sx - g.padLeft + kx;
              if (ix < 0 || ix >= g.w) continue;
              for (let c = 0; c < g.c; c++) {
                const v = x[((n * g.h + iy) * g.w + ix) * g.c + c];
                const wRow = ((ky * g.kw + kx) * g.c + c) * f;
                for (let j = 0; j < f; j++) y[out + j] += v * w[wRow + j];
              }
            }
          }
        }
      }
    }
    if (!logits) activation64(this.activation, y, rows * g.oh * g.ow, f);
    return y;
  }
}
