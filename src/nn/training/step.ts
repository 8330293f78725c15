// One training step as data: gather the batch, forward, loss (fused with the output activation), backward,
// weight penalties, one fused optimizer pass per parameter that also saves the rollback copy and checks
// finiteness. With plain SGD and no penalties, the Dense kernels are updated inside the backward pass
// instead, in the GEMM that computes their gradient (KernelUpdate): dW is never stored and read back, and
// each thread updates the rows of W it computed. Everything it touches is planned once per fit by the
// constructor: a step allocates nothing.
// On two threads or more, a worker gathers the next batch's inputs into a second buffer while the step
// after its forward pass runs on the caller (the pool's background job).
import { Tensor } from '../../tensor.js';
import { finishBackground, gatherRowsAt, heapI32, kernels, startBackgroundRows } from '../../kernel-calls.js';
import type { Workspace } from '../../workspace.js';
import { lossRows } from '../losses.js';
import { MetricTotals } from '../metrics.js';
import { targetColsOf, type Objective } from '../objective.js';
import { leadingRows, type Optimizer } from '../optimizers/optimizer.js';
import { Plan } from '../plan.js';
import type { Random } from '../random.js';
import type { Sequential } from '../sequential.js';
import type { KernelUpdate } from '../layer.js';
import { applyPenalties, penalizedWeights, type Penalized, type Prepared } from './passes.js';
import { weightedLossRows } from './sample-weights.js';
import { Snapshot } from './snapshot.js';

/** Why a step stopped training (fit turns it into a NonFiniteLossError with the history). */
export class StepFailure extends Error {}

/** Where a step is: its epoch and batch (for NonFiniteLossError), and its text for messages, built only when one needs it. */
export interface StepPlace {
  readonly epoch: number;
  readonly batch: number;
  toString(): string;
}

/** The outcome of one step: its loss sum over the batch's samples (penalty included per sample). */
export interface StepResult {
  lossSum: number;
}

export class TrainStep {
  readonly plan: Plan;
  readonly batch: number;
  readonly #model: Sequential;
  readonly #data: Prepared;
  readonly #objective: Objective;
  readonly #optimizer: Optimizer;
  readonly #inCols: number;
  readonly #targetCols: number;
  readonly #outCols: number;
  readonly #indices: number;
  /** Two input batches: the one being trained (#current) and the next, gathered in the background. */
  readonly #xBatches: readonly [number, number];
  #current = 0;
  /** The background gather of the next batch into the other buffer: its pool ticket (0: none), first row and rows. */
  #prefetchTicket = 0;
  #prefetchedStart = 0;
  #prefetchedRows = 0;
  readonly #prefetchArgs = [0, 0, 0, 0, 0];
  readonly #yBatch: number;
  /** Per-row loss weights of the data (0 = none) and the batch's share of them when rows are gathered. */
  readonly #weights: number;
  readonly #weightBatch: number;
  readonly #params: readonly Tensor[];
  readonly #weightPtrs: number[];
  readonly #gradPtrs: number[];
  readonly #sizes: number[];
  readonly #paramRows: number[];
  readonly #slotPtrs: number[][];
  readonly #penalized: Penalized[];
  readonly #snapshot: Snapshot | null;
  /** The kernels updated in the backward pass (see KernelUpdate), and per parameter whether it is one of them. */
  readonly #kernelUpdates: KernelUpdate[] = [];
  readonly #updatedInBackward: boolean[];
  readonly #result: StepResult = { lossSum: 0 };
  /** The metrics of the batches trained since the last reset (fit resets them every epoch). */
  readonly metrics: MetricTotals;

  readonly #userTensors: readonly Tensor[];

  /**
   * `watched`: the caller's tensors (x, y, validation data) checked at every step for disposal; `weights`:
   * a block of one loss weight per row of `data` (fit's sampleWeight / classWeight), 0 for none.
   */
  constructor(model: Sequential, data: Prepared, watched: readonly Tensor[], batch: number, gathered: boolean, rollback: boolean, ws: Workspace, weights = 0) {
    this.#userTensors = watched;
    const compiled = model.requireCompiled('fit');
    this.#model = model;
    this.#data = data;
    this.#objective = compiled.objective;
    this.#optimizer = compiled.optimizer;
    this.batch = batch;
    this.plan = new Plan(model.layers, batch, true, ws);
    this.#inCols = model.inputUnits;
    this.#outCols = model.outputUnits;
    this.#targetCols = targetColsOf(this.#objective, this.#outCols);
    this.#indices = gathered ? ws.elements(data.rows) : 0;
    this.#xBatches = gathered ? [ws.elements(batch * this.#inCols), ws.elements(batch * this.#inCols)] : [0, 0];
    this.#yBatch = gathered ? ws.elements(batch * this.#targetCols) : 0;
    this.#weights = weights;
    this.#weightBatch = gathered && weights !== 0 ? ws.elements(batch) : 0;
    const params = model.params;
    this.#params = params;
    this.#weightPtrs = params.map((p) => p.ptr);
    this.#gradPtrs = model.grads.map((g) => g.ptr);
    this.#sizes = params.map((p) => p.size);
    this.#paramRows = params.map(leadingRows);
    const slots = params.map((p) => this.#optimizer.slots(p));
    this.#slotPtrs = slots.map((s) => s.map((t) => t.ptr));
    this.#penalized = penalizedWeights(model);
    const state = model.layers.flatMap((l) => l.weights.filter((w) => w.grad === null).map((w) => w.tensor));
    this.#snapshot = rollback ? new Snapshot(params, slots, state, ws) : null;
    this.#updatedInBackward = params.map(() => false);
    if (this.#optimizer.updatesInGemm && this.#penalized.length === 0) {
      let first = 0;
      model.layers.forEach((layer, i) => {
        if (layer.trainable && layer.fusesKernelUpdate) {
          const update: KernelUpdate = { lr: 0, saved: this.#snapshot === null ? 0 : this.#snapshot.saved[first][0], finite: true };
          this.plan.buffers[i].kernelUpdate = update;
          this.#kernelUpdates.push(update);
          this.#updatedInBackward[first] = true;
        }
        first += layer.params.length;
      });
    }
    this.metrics = new MetricTotals(this.#objective, this.#outCols, batch, ws);
  }

  /** A new order of the rows for the next epoch (when batches are gathered). */
  shuffle(random: Random): void {
    if (this.#indices === 0) return;
    const heap = heapI32();
    const base = this.#indices >>> 2;
    const rows = this.#data.rows;
    for (let i = 0; i < rows; i++) heap[base + i] = i;
    random.shuffle(heap, base, rows);
  }

  /**
   * Trains on rows [start, start + n) of this epoch's order with learning rate `lr`; `nextRows` > 0: the
   * next call trains on the `nextRows` rows after these, which a worker may gather meanwhile.
   */
  run(start: number, n: number, lr: number, where: StepPlace, nextRows = 0): StepResult {
    try {
      return this.#run(start, n, lr, where, nextRows);
    } catch (e) {
      this.settle();
      throw e;
    }
  }

  /** Ends a background gather still running (fit stopped before the batch it was for); its errors are moot. */
  settle(): void {
    const ticket = this.#prefetchTicket;
    this.#prefetchTicket = 0;
    try {
      finishBackground(ticket);
    } catch {
      // The batch it gathered is never used.
    }
  }

  #run(start: number, n: number, lr: number, where: StepPlace, nextRows: number): StepResult {
    const data = this.#data;
    for (const t of this.#userTensors) {
      if (t.disposed) throw new Error(`${where}: a tensor given to fit (${t}) was disposed during training; fit stopped before using it`);
    }
    const objective = this.#objective;
    let xPtr: number;
    let yPtr: number;
    let weightPtr = 0;
    if (this.#indices !== 0) {
      const at = this.#indices + start * 4;
      if (this.#prefetchTicket !== 0 && this.#prefetchedStart === start && this.#prefetchedRows === n) {
        const ticket = this.#prefetchTicket;
        this.#prefetchTicket = 0;
        finishBackground(ticket);
        this.#current ^= 1;
      } else {
        this.settle();
        gatherRowsAt(data.x.tensor.ptr, this.#inCols, at, n, this.#xBatches[this.#current]);
      }
      gatherRowsAt(data.targets, this.#targetCols, at, n, this.#yBatch);
      if (this.#weights !== 0) gatherRowsAt(this.#weights, 1, at, n, this.#weightBatch);
      xPtr = this.#xBatches[this.#current];
      yPtr = this.#yBatch;
      weightPtr = this.#weightBatch;
    } else {
      xPtr = data.x.tensor.ptr + start * this.#inCols * 4;
      yPtr = data.targets + start * this.#targetCols * 4;
      if (this.#weights !== 0) weightPtr = this.#weights + start * 4;
    }
    const snapshot = this.#snapshot;
    snapshot?.beforeForward();
    const plan = this.plan;
    const out = plan.forward(xPtr, n, true, objective.fused);
    if (nextRows > 0 && this.#indices !== 0) this.#prefetch(start + n, nextRows);
    const dataLoss = weightPtr === 0
      ? lossRows(objective, out, yPtr, n, this.#outCols, plan.outputGrad, objective.reduction)
      : weightedLossRows(objective, out, yPtr, n, this.#outCols, plan.outputGrad, weightPtr);
    this.metrics.add(out, yPtr, n);
    const updates = this.#kernelUpdates;
    // Kernels updated in the backward pass: the loss (no penalty then) is checked before they change.
    if (updates.length > 0) {
      this.#startUpdate(dataLoss, n, where);
      for (let i = 0; i < updates.length; i++) updates[i].lr = lr;
    }
    plan.backward(n, objective.fused);
    const penalty = this.#penalized.length === 0 ? 0 : applyPenalties(this.#penalized, true);
    const lossSum = dataLoss + penalty * n;
    if (updates.length === 0) this.#startUpdate(lossSum, n, where);
    let finite = true;
    for (let i = 0; i < updates.length; i++) finite = updates[i].finite && finite;
    // One pass per other parameter updates it, saves its old values for the rollback and checks the result.
    const optimizer = this.#optimizer;
    const saved = snapshot?.saved;
    for (let i = 0; i < this.#weightPtrs.length; i++) {
      if (this.#updatedInBackward[i]) continue;
      finite = optimizer.update(this.#weightPtrs[i], this.#gradPtrs[i], this.#slotPtrs[i], this.#sizes[i], this.#paramRows[i], lr, saved === undefined ? null : saved[i]) && finite;
    }
    if (snapshot !== null && !finite) this.#failOnNonFiniteParameter(snapshot, where);
    this.#result.lossSum = lossSum;
    return this.#result;
  }

  /**
   * Before the first parameter of a step changes: a non-finite loss stops training (with the rollback, which
   * restores the last good state), else the rollback's copies are taken from here on and the update counted.
   */
  #startUpdate(lossSum: number, n: number, where: StepPlace): void {
    const snapshot = this.#snapshot;
    const optimizer = this.#optimizer;
    if (!Number.isFinite(lossSum) && snapshot !== null) {
      const restored = snapshot.restore(optimizer);
      throw new StepFailure(
        `loss is ${lossSum / n} at ${where}; training stopped and the model keeps ` +
          (restored ? 'the weights from before the previous update, the last whose loss was finite' : 'its weights from before this fit (no update was made)'),
      );
    }
    snapshot?.saving(optimizer);
    optimizer.iterations++;
  }

  /** Posts the gather of rows [start, start + rows) into the other input buffer to a worker, if one is free. */
  #prefetch(start: number, rows: number): void {
    const args = this.#prefetchArgs;
    args[0] = this.#data.x.tensor.ptr;
    args[1] = this.#inCols;
    args[2] = this.#indices + start * 4;
    args[3] = rows;
    args[4] = this.#xBatches[this.#current ^ 1];
    this.#prefetchTicket = startBackgroundRows('gatherRows', rows, this.#inCols, args);
    this.#prefetchedStart = start;
    this.#prefetchedRows = rows;
  }

  #failOnNonFiniteParameter(snapshot: Snapshot, where: StepPlace): never {
    const names = this.#model.paramNames;
    for (let i = 0; i < this.#weightPtrs.length; i++) {
      const at = kernels.firstNonFinite(this.#weightPtrs[i], this.#sizes[i]);
      if (at < 0) continue;
      const value = this.#params[i].data[at];
      snapshot.restore(this.#optimizer);
      throw new StepFailure(
        `parameter ${names[i]} became ${value} (at index ${at}) in the update at ${where} although the loss was finite; training ` +
          'stopped and the model keeps the weights from before this update, the last all finite',
      );
    }
    throw new StepFailure(`an update at ${where} reported a non-finite parameter that could not be found`);
  }
}
