// Training progress for the CLI: on a terminal, a bar redrawn in place (samples done, samples/s, loss,
// ETA) at most every 100 ms; otherwise (a pipe, a CI log) one plain line per epoch.

export interface ProgressOutput {
  write(text: string): void;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface EpochSummary {
  epoch: number;
  epochs: number;
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  samples: number;
  seconds: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const m = Math.floor(seconds / 60);
  return `${m}m${String(Math.round(seconds - 60 * m)).padStart(2, '0')}s`;
}

const formatRate = (samples: number, seconds: number) => (seconds > 0 ? Math.round(samples / seconds).toLocaleString('en-US') : '--');
const formatLoss = (loss: number) => (Number.isFinite(loss) ? loss.toFixed(4) : String(loss));
const percent = (v: number) => `${(100 * v).toFixed(2)}%`;

/** The one line printed per epoch (also the final state of the TTY bar's line). */
export function epochLine(s: EpochSummary): string {
  const width = String(s.epochs).length;
  let line = `epoch ${String(s.epoch).padStart(width)}/${s.epochs}  loss ${formatLoss(s.loss)}`;
  if (s.accuracy !== undefined) line += `  acc ${percent(s.accuracy)}`;
  if (s.valLoss !== undefined) line += `  val_loss ${formatLoss(s.valLoss)}`;
  if (s.valAccuracy !== undefined) line += `  val_acc ${percent(s.valAccuracy)}`;
  return `${line}  ${s.samples} samples in ${formatDuration(s.seconds)} (${formatRate(s.samples, s.seconds)} samples/s)`;
}

export class Progress {
  readonly #out: ProgressOutput;
  readonly #tty: boolean;
  readonly #now: () => number;
  #epochStart = 0;
  #lastDraw = -Infinity;
  #drawn = false;

  constructor(out: ProgressOutput, now: () => number = () => performance.now()) {
    this.#out = out;
    this.#tty = out.isTTY === true;
    this.#now = now;
  }

  startEpoch(): void {
    this.#epochStart = this.#now();
    this.#lastDraw = -Infinity;
  }

  /** After each batch: redraws the bar on a terminal (throttled); nothing otherwise. */
  batch(epoch: number, epochs: number, done: number, total: number, loss: number): void {
    if (!this.#tty) return;
    const now = this.#now();
    if (done < total && now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const seconds = (now - this.#epochStart) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? (total - done) / rate : NaN;
    const barWidth = 24;
    const filled = Math.round((barWidth * done) / total);
    const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? (done < total ? '>' : '=') : '') + ' '.repeat(barWidth - filled);
    const width = String(epochs).length;
    let line = `epoch ${String(epoch).padStart(width)}/${epochs} [${bar}] ${String(done).padStart(String(total).length)}/${total}  ${formatRate(done, seconds)} samples/s  loss ${formatLoss(loss)}  ETA ${formatDuration(eta)}`;
    const columns = this.#out.columns ?? 120;
    if (line.length > columns - 1) line = line.slice(0, columns - 1);
    this.#out.write(`\r\x1b[2K${line}`);
    this.#drawn = true;
  }

  /** At the end of an epoch: the plain summary line (replacing the bar on a terminal). */
  endEpoch(summary: EpochSummary): void {
    this.#out.write(`${this.#tty && this.#drawn ? '\r\x1b[2K' : ''}${epochLine(summary)}\n`);
    this.#drawn = false;
  }
}
