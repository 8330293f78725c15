// Learning curves: loss and accuracy per epoch, train (solid) and validation (dashed), in two panels; one
// colour per history when several are compared (e.g. one per learning rate).
import { PALETTE, axesFrame, axisFraction, count, document, el, niceAxis, num, text, type Axis } from './svg.js';

/** Per-epoch figures, as in a fit history; missing or empty series are left out of the plot. */
export interface LearningCurveData {
  loss: ArrayLike<number>;
  accuracy?: ArrayLike<number>;
  valLoss?: ArrayLike<number>;
  valAccuracy?: ArrayLike<number>;
}

export interface LearningCurveOptions {
  title?: string;
  /** Legend names of the histories when several are given (default 'run 1', 'run 2', ...). */
  names?: readonly string[];
}

interface Series {
  /** Legend and `data-series` name. */
  name: string;
  /** What the picture's note calls it when it has non-finite values. */
  what: string;
  values: ArrayLike<number>;
  color: string;
  dashed: boolean;
}

const PANEL_WIDTH = 400;
const PANEL_HEIGHT = 250;
const MARGIN = { left: 64, right: 16, top: 28, bottom: 46 };
/** Space between the frame and the outermost ticks, so no point sits on the frame. */
const INSET = 6;
/** At most this many markers per series; the line itself keeps every epoch (see `linePath`). */
export const MAX_MARKERS = 40;
const OPTION_KEYS = ['title', 'names'];

function checkSeries(where: string, name: string, values: ArrayLike<number> | undefined, epochs: number): void {
  if (values === undefined) return;
  if (typeof values !== 'object' || values === null || typeof values.length !== 'number') {
    throw new TypeError(`learningCurve: ${where}${name} must be an array of numbers per epoch`);
  }
  if (values.length !== 0 && values.length !== epochs) {
    throw new RangeError(`learningCurve: ${where}${name} has ${values.length} epochs, loss has ${epochs}`);
  }
}

/** Lowest and highest finite value of the series (undefined when there is none). */
function finiteRange(series: Series[]): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/**
 * The series as SVG path data, broken at non-finite values. Long series keep, per pixel column, the
 * first, lowest, highest and last point in epoch order: the drawn line looks the same as with every point,
 * and its size is bounded by the panel's width instead of the number of epochs.
 */
function linePath(values: ArrayLike<number>, xAt: (epoch: number) => number, yAt: (v: number) => number): string {
  const parts: string[] = [];
  let pen = false;
  let column = NaN;
  let bucket: number[] = [];
  const flush = () => {
    if (bucket.length === 0) return;
    const [first, last] = [bucket[0], bucket[bucket.length - 1]];
    let low = first;
    let high = first;
    for (const i of bucket) {
      if (values[i] < values[low]) low = i;
      if (values[i] > values[high]) high = i;
    }
    for (const i of [...new Set([first, low, high, last])].sort((a, b) => a - b)) {
      parts.push(`${pen ? 'L' : 'M'}${num(xAt(i + 1))} ${num(yAt(values[i]))}`);
      pen = true;
    }
    bucket = [];
  };
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      flush();
      pen = false;
      column = NaN;
      continue;
    }
    const c = Math.round(xAt(i + 1));
    if (c !== column) flush();
    column = c;
    bucket.push(i);
  }
  flush();
  return parts.join('');
}

/** One panel: nice axes, grid lines, and per series its line and at most MAX_MARKERS markers. */
function panel(left: number, top: number, title: string, yLabel: string, series: Series[], epochs: number, y: Axis): string[] {
  const x0 = left + MARGIN.left;
  const y0 = top + MARGIN.top;
  const w = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const h = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = niceAxis(1, Math.max(1, epochs), 8, true);
  const xAt = (epoch: number) => x0 + INSET + axisFraction(x, epoch) * (w - 2 * INSET);
  const yAt = (v: number) => y0 + h - INSET - axisFraction(y, v) * (h - 2 * INSET);
  const out: string[] = [];
  out.push(text(x0 + w / 2, y0 - 10, title, { 'text-anchor': 'middle', 'font-size': 14, 'font-weight': 'bold' }));
  out.push(...axesFrame({ left, x0, y0, w, h }, x, y, xAt, yAt, 'epoch', yLabel));
  if (epochs === 0) out.push(text(x0 + w / 2, y0 + h / 2, 'no epochs to show', { 'text-anchor': 'middle', fill: '#666' }));
  for (const s of series) {
    const dash = s.dashed ? '6 4' : undefined;
    out.push(el('path', { class: 'series', 'data-series': s.name, d: linePath(s.values, xAt, yAt), fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': dash, 'stroke-linejoin': 'round' }));
    const stride = Math.ceil(s.values.length / MAX_MARKERS);
    const markers: string[] = [];
    for (let i = 0; i < s.values.length; i++) {
      if ((i % stride === 0 || i === s.values.length - 1) && Number.isFinite(s.values[i])) {
        markers.push(el('circle', { cx: xAt(i + 1), cy: yAt(s.values[i]), r: 2.5, fill: s.color }));
      }
    }
    out.push(el('g', { class: 'markers', 'data-series': s.name }, markers));
  }
  return out;
}

/** "loss: 3 non-finite values not drawn (first at epoch 12)" for each series that has any. */
function nonFiniteNotes(series: Series[]): string[] {
  const notes: string[] = [];
  for (const s of series) {
    let n = 0;
    let first = -1;
    for (let i = 0; i < s.values.length; i++) {
      if (!Number.isFinite(s.values[i])) {
        n++;
        if (first < 0) first = i;
      }
    }
    if (n > 0) notes.push(`${s.what}: ${count(n)} non-finite value${n === 1 ? '' : 's'} not drawn (first at epoch ${first + 1})`);
  }
  return notes;
}

function readHistories(data: LearningCurveData | readonly LearningCurveData[]): LearningCurveData[] {
  const list = Array.isArray(data) ? (data as readonly LearningCurveData[]) : [data as LearningCurveData];
  if (list.length === 0) throw new RangeError('learningCurve: expected at least one history');
  list.forEach((d, k) => {
    const where = list.length > 1 ? `history ${k}: ` : '';
    if (d === null || typeof d !== 'object') throw new TypeError(`learningCurve: ${where}expected { loss, accuracy?, valLoss?, valAccuracy? }`);
    if (d.loss === undefined) {
      const hint = 'history' in d ? " (pass fit's result's .history, e.g. learningCurve(h.history))" : '';
      throw new TypeError(`learningCurve: ${where}loss is missing${hint}`);
    }
    checkSeries(where, 'loss', d.loss, d.loss.length);
    const epochs = d.loss.length;
    checkSeries(where, 'accuracy', d.accuracy, epochs);
    checkSeries(where, 'valLoss', d.valLoss, epochs);
    checkSeries(where, 'valAccuracy', d.valAccuracy, epochs);
  });
  return [...list];
}

/**
 * An SVG document (a string) with the loss panel and, when accuracies are given, the accuracy panel.
 * `data` is one history or several (compared in one picture, one colour each, named by `options.names`).
 */
export function learningCurve(data: LearningCurveData | readonly LearningCurveData[], options: LearningCurveOptions = {}): string {
  if (options === null || typeof options !== 'object') throw new TypeError('learningCurve: options must be an object');
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw new TypeError(`learningCurve: unknown option '${key}'; valid: ${OPTION_KEYS.join(', ')}`);
  }
  if (data === null || typeof data !== 'object') throw new TypeError('learningCurve: expected { loss, accuracy?, valLoss?, valAccuracy? } or an array of them');
  const histories = readHistories(data);
  const several = Array.isArray(data);
  const names = options.names ?? histories.map((_, k) => `run ${k + 1}`);
  if (!Array.isArray(names) || names.length !== histories.length || names.some((n) => typeof n !== 'string')) {
    throw new RangeError(`learningCurve: names must be ${histories.length} strings, one per history`);
  }
  const present = (v?: ArrayLike<number>): v is ArrayLike<number> => v !== undefined && v.length > 0;
  const lossSeries: Series[] = [];
  const accSeries: Series[] = [];
  histories.forEach((d, k) => {
    const color = several ? PALETTE[k % PALETTE.length] : PALETTE[0];
    const valColor = several ? color : PALETTE[1];
    const run = several ? names[k] : '';
    const label = (part: string) => (several ? `${run} ${part}` : part);
    const add = (list: Series[], values: ArrayLike<number> | undefined, part: string, what: string, dashed: boolean) => {
      if (present(values)) list.push({ name: label(part), what: several ? `${run}: ${what}` : what, values, color: dashed ? valColor : color, dashed });
    };
    if (present(d.loss) || !several) lossSeries.push({ name: label('train'), what: several ? `${run}: loss` : 'loss', values: d.loss, color, dashed: false });
    add(lossSeries, d.valLoss, 'validation', 'validation loss', true);
    add(accSeries, d.accuracy, 'train', 'accuracy', false);
    add(accSeries, d.valAccuracy, 'validation', 'validation accuracy', true);
  });
  const epochs = Math.max(...histories.map((d) => d.loss.length));
  const title = options.title ?? 'Learning curve';
  const width = accSeries.length > 0 ? 2 * PANEL_WIDTH : PANEL_WIDTH;

  // Legend rows under the title: one entry per history (several) or per series kind (one history).
  const entries: { label: string; color: string; dashed: boolean }[] = several
    ? histories.map((_, k) => ({ label: names[k], color: PALETTE[k % PALETTE.length], dashed: false }))
    : lossSeries.concat(accSeries.filter((s) => !lossSeries.some((l) => l.name === s.name))).map((s) => ({ label: s.name, color: s.color, dashed: s.dashed }));
  const anyValidation = [...lossSeries, ...accSeries].some((s) => s.dashed);
  if (several && anyValidation) entries.push({ label: 'dashed: validation', color: '#666', dashed: true });
  const legend: string[] = [];
  let lx = 20;
  let ly = 46;
  for (const e of entries) {
    const entryWidth = 34 + 7 * e.label.length;
    if (lx + entryWidth > width - 10 && lx > 20) {
      lx = 20;
      ly += 18;
    }
    legend.push(el('line', { x1: lx, x2: lx + 22, y1: ly - 4, y2: ly - 4, stroke: e.color, 'stroke-width': 2, 'stroke-dasharray': e.dashed ? '6 4' : undefined }));
    legend.push(text(lx + 27, ly, e.label, { fill: '#222' }));
    lx += entryWidth;
  }
  const top = ly + 6;

  const lossRange = finiteRange(lossSeries);
  // Losses are drawn from 0 when they are all >= 0, so the fall is seen against its floor.
  let lossAxis = lossRange ? niceAxis(Math.min(0, lossRange[0]), lossRange[1]) : niceAxis(0, 1);
  if (lossRange && lossRange[0] >= 0 && lossAxis.lo < 0) lossAxis = niceAxis(0, lossAxis.hi);
  const body = [
    text(width / 2, 22, title, { 'text-anchor': 'middle', 'font-size': 16, 'font-weight': 'bold' }),
    ...legend,
    ...panel(0, top, 'Loss', 'loss', lossSeries, epochs, lossAxis),
  ];
  if (accSeries.length > 0) {
    // From the tenth below the lowest accuracy up to 1, so the late, small gains stay readable.
    const range = finiteRange(accSeries) ?? [0, 1];
    const lo = range[0] >= 0 ? Math.min(range[0], Math.max(0, Math.floor(range[0] * 10 - 1e-9) / 10)) : range[0];
    body.push(...panel(PANEL_WIDTH, top, 'Accuracy', 'accuracy', accSeries, epochs, niceAxis(lo, Math.max(1, range[1]))));
  }
  const notes = nonFiniteNotes([...lossSeries, ...accSeries]);
  let height = top + PANEL_HEIGHT + 8;
  for (const note of notes) {
    body.push(text(20, height, note, { class: 'note', fill: '#a33', 'font-size': 11 }));
    height += 15;
  }
  return document(width, height + 6, title, body);
}
