// Training progress for fit (verbose 1 and 2) and the CLI: on a terminal, a bar redrawn in place (samples done, samples/s, loss,
// ETA) at most every 100 ms; otherwise (a pipe, a CI log) one plain line per epoch. Every line fits the
// terminal's width (80 columns when it has none): fields are dropped in a fixed order, least useful first,
// and never wrap.

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

/** Width assumed when the output is not a terminal (a pipe, a file, a CI log). */
export const DEFAULT_COLUMNS = 80;
const SEPARATOR = '  ';
const BAR_MIN = 10;
/** A bar narrower than this gives way to samples/s and the samples count first. */
const BAR_COMFORTABLE = 20;
const BAR_MAX = 30;

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

/** One field of a line; when the line is too wide, the field with the lowest `keep` goes first. */
interface Field {
  readonly text: string;
  readonly keep: number;
}

/** The fields joined by two spaces, dropping the least kept ones until the line is at most `width` long. */
export function fitFields(fields: readonly Field[], width: number): string {
  const kept = [...fields];
  const length = () => kept.reduce((sum, f) => sum + f.text.length, 0) + SEPARATOR.length * (kept.length - 1);
  while (length() > width && kept.length > 1) {
    const least = kept.reduce((low, f) => (f.keep < low.keep ? f : low));
    kept.splice(kept.indexOf(least), 1);
  }
  const line = kept.map((f) => f.text).join(SEPARATOR);
  return line.length > width ? line.slice(0, Math.max(0, width)) : line;
}

/** Usable width: one column short of the terminal's, so the cursor never wraps onto a new line. */
function lineWidth(out: ProgressOutput): number {
  const columns = out.isTTY === true && out.columns !== undefined && out.columns > 0 ? out.columns : DEFAULT_COLUMNS;
  return columns - 1;
}

/**
 * The line printed per epoch (also the final state of the TTY bar's line), at most `width` characters.
 * Dropped first when it does not fit: samples/s, then the time, the train accuracy, val_loss, val_acc.
 */
export function epochLine(s: EpochSummary, width = DEFAULT_COLUMNS - 1): string {
  const fields: Field[] = [{ text: `epoch ${String(s.epoch).padStart(String(s.epochs).length)}/${s.epochs}`, keep: 9 }, { text: `loss ${formatLoss(s.loss)}`, keep: 8 }];
  if (s.accuracy !== undefined) fields.push({ text: `acc ${percent(s.accuracy)}`, keep: 4 });
  if (s.valLoss !== undefined) fields.push({ text: `val_loss ${formatLoss(s.valLoss)}`, keep: 5 });
  if (s.valAccuracy !== undefined) fields.push({ text: `val_acc ${percent(s.valAccuracy)}`, keep: 6 });
  fields.push({ text: formatDuration(s.seconds), keep: 2 }, { text: `${formatRate(s.samples, s.seconds)} samples/s`, keep: 1 });
  return fitFields(fields, width);
}

/** `width` characters of bar: '=' done, '>' the head while running, spaces to go. */
function bar(done: number, total: number, width: number): string {
  const filled = Math.round((width * done) / total);
  return '[' + '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? (done < total ? '>' : '=') : '') + ' '.repeat(width - filled) + ']';
}

/**
 * The TTY bar's line, at most `width` characters. The epoch and the ETA always stay; dropped first when the
 * line does not fit: samples/s, then the samples count (each before the bar shrinks below 20 columns), the
 * bar (down to 10 columns first), the loss.
 */
export function barLine(epoch: number, epochs: number, done: number, total: number, loss: number, seconds: number, width: number): string {
  const rate = seconds > 0 ? done / seconds : 0;
  const eta = rate > 0 ? (total - done) / rate : NaN;
  const fields = (barWidth: number): Field[] => [
    { text: `epoch ${String(epoch).padStart(String(epochs).length)}/${epochs}`, keep: 9 },
    { text: bar(done, total, barWidth), keep: 5 },
    { text: `${String(done).padStart(String(total).length)}/${total}`, keep: 4 },
    { text: `${formatRate(done, seconds)} samples/s`, keep: 3 },
    { text: `loss ${formatLoss(loss)}`, keep: 6 },
    { text: `ETA ${formatDuration(eta)}`, keep: 8 },
  ];
  // Choose the fields with a bar of 20 (else 10, else none), then give the bar the space left, up to 30.
  for (const barMin of [BAR_COMFORTABLE, BAR_MIN]) {
    const line = fitFields(fields(barMin), width);
    if (line.includes('[')) return fitFields(fields(Math.min(BAR_MAX, barMin + width - line.length)), width);
  }
  return fitFields(fields(BAR_MIN), width);
}

export class Progress {
  readonly #out: ProgressOutput;
  readonly #tty: boolean;
  readonly #now: () => number;
  #epochStart = 0;
  #lastDraw = -Infinity;
  #drawn = false;
  #samples = 0;
  #seconds = 0;
  #epochs = 0;

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
    const line = barLine(epoch, epochs, done, total, loss, (now - this.#epochStart) / 1000, lineWidth(this.#out));
    this.#out.write(`\r\x1b[2K${line}`);
    this.#drawn = true;
  }

  /** At the end of an epoch: the plain summary line (replacing the bar on a terminal). */
  endEpoch(summary: EpochSummary): void {
    this.#out.write(`${this.#tty && this.#drawn ? '\r\x1b[2K' : ''}${epochLine(summary, lineWidth(this.#out))}\n`);
    this.#drawn = false;
    this.#samples += summary.samples;
    this.#seconds += summary.seconds;
    this.#epochs++;
  }

  /** After the last epoch: the training's total time and mean speed (which narrow epoch lines leave out). */
  finish(): void {
    this.#out.write(`trained ${this.#epochs} epoch${this.#epochs === 1 ? '' : 's'} in ${formatDuration(this.#seconds)}, ${formatRate(this.#samples, this.#seconds)} samples/s\n`);
  }
}
