// The rollback of fit's onNonFinite 'stop': the parameters, optimizer state and moving statistics as they
// were before the latest update. The optimizer kernels refresh the parameter and slot copies while they
// update (they copy the old values and report whether the new ones are finite in the same pass), so 'stop'
// costs one extra write stream per parameter, not a copy pass and a scan pass (those cost 5% of W1's
// 1-thread training and 17% of its 2-thread training). Moving statistics change in the forward pass, so
// they are copied before each forward and kept when that step's update is made.
import type { Tensor } from '../../tensor.js';
import { copyBytes } from '../../kernel-calls.js';
import type { Workspace } from '../../workspace.js';
import type { Optimizer } from '../optimizers/index.js';

export class Snapshot {
  /** Per parameter: where its update copies the old parameter, then each slot (Optimizer.update's `saved`). */
  readonly saved: number[][] = [];
  readonly #live: number[] = [];
  readonly #copies: number[] = [];
  readonly #bytes: number[] = [];
  /** Moving statistics: live tensor, the copy taken before the current forward, the copy of the last update. */
  readonly #state: { live: number; beforeForward: number; kept: number; bytes: number }[] = [];
  #iterations = -1;

  constructor(params: readonly Tensor[], slots: readonly Tensor[][], state: readonly Tensor[], ws: Workspace) {
    params.forEach((p, i) => {
      this.saved.push(
        [p, ...slots[i]].map((t) => {
          const copy = ws.bytes(t.size * 4);
          this.#live.push(t.ptr);
          this.#bytes.push(t.size * 4);
          this.#copies.push(copy);
          return copy;
        }),
      );
    });
    for (const t of state) {
      const bytes = t.size * 4;
      this.#state.push({ live: t.ptr, beforeForward: ws.bytes(bytes), kept: ws.bytes(bytes), bytes });
    }
  }

  /** Before a training forward: remember the moving statistics it is about to change. */
  beforeForward(): void {
    for (const s of this.#state) copyBytes(s.beforeForward, s.live, s.bytes);
  }

  /** Before an update that passes `saved` to every parameter: its copies become the state to restore. */
  saving(optimizer: Optimizer): void {
    this.#iterations = optimizer.iterations;
    for (const s of this.#state) copyBytes(s.kept, s.beforeForward, s.bytes);
  }

  /** Puts the saved state back; false when nothing was saved yet (no update was made). */
  restore(optimizer: Optimizer): boolean {
    if (this.#iterations < 0) {
      // No update yet: only the moving statistics of this fit's first forward need undoing.
      for (const s of this.#state) copyBytes(s.live, s.beforeForward, s.bytes);
      return false;
    }
    for (let i = 0; i < this.#live.length; i++) copyBytes(this.#live[i], this.#copies[i], this.#bytes[i]);
    for (const s of this.#state) copyBytes(s.live, s.kept, s.bytes);
    optimizer.iterations = this.#iterations;
    return true;
  }
}
