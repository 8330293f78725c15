// AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", Algorithm 2): Adam whose weight
// decay shrinks the weights directly instead of adding lambda w to the gradient, where Adam's per-weight
// scaling would weaken it. As Keras 3 (keras.optimizers.AdamW) and PyTorch write it, the decay is scaled by
// the learning rate and applied before the Adam step: w = w (1 - lr weightDecay) - lr m^ / (sqrt(v^) + eps).
// One kernel pass with Adam's (assembly/optim.ts adam, its `keep` factor).
import type { Config } from '../config.js';
import { Adam, type AdamOptions } from './adam.js';

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay per unit learning rate (default 0.004, Keras 3's). */
  weightDecay?: number;
}

export class AdamW extends Adam {
  readonly weightDecay: number;

  constructor(options?: AdamWOptions) {
    super(options, { name: 'adamw', options: ['weightDecay'] });
    const decay = options?.weightDecay ?? 0.004;
    if (typeof decay !== 'number' || !Number.isFinite(decay) || decay < 0) {
      throw new RangeError(`adamw weightDecay must be a finite number >= 0, got ${String(decay)}`);
    }
    this.weightDecay = decay;
  }

  protected ownConfig(): Config {
    return { ...super.ownConfig(), weightDecay: this.weightDecay };
  }

  protected keepFactor(lr: number): number {
    return 1 - lr * this.weightDecay;
  }
}
