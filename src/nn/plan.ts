// A plan: every buffer one pass over the layers needs, sized for `capacity` rows and allocated once (per
// fit, evaluate or predict). A smaller batch uses the same buffers with fewer rows. The passes only
// sequence kernel calls: nothing is allocated per batch. A layer that aliases its input (Flatten, Reshape)
// gets the input's block as its output and its output gradient as its input gradient: no copy.
import type { Workspace } from '../workspace.js';
import type { Layer, LayerBuffers } from './layer.js';
import { lossRows } from './losses.js';
import type { MetricTotals } from './metrics.js';
import { targetColsOf, type Objective } from './objective.js';

export class Plan {
  readonly capacity: number;
  /** Per layer; fit's TrainStep sets their kernelUpdate. */
  readonly buffers: readonly LayerBuffers[];
  readonly #layers: readonly Layer[];
  readonly #aliases: readonly boolean[];

  constructor(layers: readonly Layer[], capacity: number, training: boolean, ws: Workspace) {
    this.#layers = layers;
    this.capacity = capacity;
    let packBytes = 0;
    for (const layer of layers) packBytes = Math.max(packBytes, layer.packBytes(capacity));
    const pack = ws.bytes(packBytes);
    const buffers: LayerBuffers[] = [];
    this.#aliases = layers.map((l) => l.aliasesInput(training));
    layers.forEach((layer, i) => {
      const alias = this.#aliases[i];
      const previous = i === 0 ? null : buffers[i - 1];
      const size = capacity * layer.outputSize;
      buffers.push({
        x: previous === null ? 0 : previous.y,
        y: alias ? (previous === null ? 0 : previous.y) : ws.elements(size),
        dy: !training ? 0 : alias && previous !== null ? previous.dy : ws.elements(size),
        dx: training && previous !== null ? previous.dy : 0,
        scratch: ws.bytes(layer.scratchBytes(capacity, training)),
        pack,
        kernelUpdate: null,
      });
    });
    this.buffers = buffers;
  }

  /** Gradient of the loss with respect to the last layer's output goes here (training plans). */
  get outputGrad(): number {
    return this.buffers[this.buffers.length - 1].dy;
  }

  /** Runs the layers on `rows` samples at x; returns where the last layer's output is. */
  forward(x: number, rows: number, training: boolean, logits: boolean): number {
    const layers = this.#layers;
    const end = layers.length - 1;
    let input = x;
    for (let i = 0; i <= end; i++) {
      const b = this.buffers[i];
      // The first layer reads the batch where it is; aliasing layers pass that pointer on.
      b.x = input;
      if (this.#aliases[i]) b.y = input;
      layers[i].forwardPass(b, rows, training, logits && i === end);
      input = b.y;
    }
    return input;
  }

  /** Backpropagates from outputGrad through every layer (the first layer's input gradient is not computed). */
  backward(rows: number, logits: boolean): void {
    const layers = this.#layers;
    const end = layers.length - 1;
    for (let i = end; i >= 0; i--) layers[i].backwardPass(this.buffers[i], rows, logits && i === end);
  }

  /**
   * Loss sum over `rows` samples of x/targets, in chunks of `capacity` rows (inference forward), counting
   * the metrics into `totals`. Targets are floats, or i32 class indices for the sparse loss.
   */
  evaluate(objective: Objective, x: number, targets: number, rows: number, totals: MetricTotals): number {
    const inBytes = this.#layers[0].inputSize * 4;
    const outCols = this.#layers[this.#layers.length - 1].outputSize;
    const targetBytes = targetColsOf(objective, outCols) * 4;
    let lossSum = 0;
    for (let start = 0; start < rows; start += this.capacity) {
      const n = Math.min(this.capacity, rows - start);
      const t = targets + start * targetBytes;
      const out = this.forward(x + start * inBytes, n, false, objective.fused);
      lossSum += lossRows(objective, out, t, n, outCols, 0);
      totals.add(out, t, n);
    }
    return lossSum;
  }
}
