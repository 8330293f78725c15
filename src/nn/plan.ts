// A plan: every buffer one pass over the layers needs, sized for `capacity` rows and allocated once
// (per fit, evaluate or predict). A smaller batch uses the same buffers with fewer rows. The passes only
// sequence kernel calls: nothing is allocated per batch.
import type { Layer } from './layers.js';
import { accuracyCount, type Objective } from './objective.js';
import { lossRows } from './losses.js';
import { Workspace } from './ops.js';

export class Plan {
  readonly capacity: number;
  /** Output block of each layer ([capacity, outputUnits] floats), saved for the backward pass. */
  readonly outputs: number[] = [];
  /** Gradient with respect to each layer's output (training plans only). */
  readonly outputGrads: number[] = [];
  readonly pack: number;
  readonly #layers: readonly Layer[];

  constructor(layers: readonly Layer[], capacity: number, training: boolean, ws: Workspace) {
    this.#layers = layers;
    this.capacity = capacity;
    for (const layer of layers) {
      this.outputs.push(ws.elements(capacity * layer.outputUnits));
      if (training) this.outputGrads.push(ws.elements(capacity * layer.outputUnits));
    }
    let packBytes = 0;
    for (const layer of layers) packBytes = Math.max(packBytes, layer.packBytes(capacity));
    this.pack = ws.bytes(packBytes);
  }

  /** Runs the layers on `rows` rows at x; the last layer writes into `last` (default its own block). */
  forward(x: number, rows: number, logits: boolean, last = 0): number {
    const layers = this.#layers;
    const end = layers.length - 1;
    let input = x;
    for (let i = 0; i <= end; i++) {
      const out = i === end && last !== 0 ? last : this.outputs[i];
      layers[i].forwardRows(input, rows, out, logits && i === end, this.pack);
      input = out;
    }
    return input;
  }

  /** Backpropagates from the gradient in outputGrads[last]; the first layer's input gradient is skipped. */
  backward(x: number, rows: number, logits: boolean): void {
    const layers = this.#layers;
    const end = layers.length - 1;
    for (let i = end; i >= 0; i--) {
      const input = i === 0 ? x : this.outputs[i - 1];
      const dx = i === 0 ? 0 : this.outputGrads[i - 1];
      layers[i].backwardRows(input, this.outputs[i], this.outputGrads[i], rows, dx, logits && i === end, this.pack);
    }
  }

  /**
   * Loss sum and correct count over `rows` rows of x/targets, in chunks of `capacity` rows (forward only).
   * Targets are floats, or i32 class indices for the sparse loss.
   */
  evaluate(objective: Objective, x: number, targets: number, rows: number): { lossSum: number; correct: number } {
    const inBytes = this.#layers[0].inputUnits * 4;
    const outCols = this.#layers[this.#layers.length - 1].outputUnits;
    const targetBytes = objective.sparse ? 4 : outCols * 4;
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < rows; start += this.capacity) {
      const n = Math.min(this.capacity, rows - start);
      const t = targets + start * targetBytes;
      const out = this.forward(x + start * inBytes, n, objective.fused);
      lossSum += lossRows(objective.loss, objective.fused, out, t, n, outCols, 0);
      if (objective.accuracy !== null) correct += accuracyCount(objective, out, t, n, outCols);
    }
    return { lossSum, correct };
  }
}
