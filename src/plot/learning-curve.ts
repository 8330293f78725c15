// Learning curve: loss and accuracy per epoch, train (solid) and validation (dashed), in two panels.
import { PALETTE, document, el, num, text, tickLabel, ticks } from './svg.js';

/** Per-epoch figures, as in a fit history; missing or empty series are left out of the plot. */
export interface LearningCurveData {
  loss: ArrayLike<number>;
  accuracy?: ArrayLike<number>;
  valLoss?: ArrayLike<number>;
  valAccuracy?: ArrayLike<number>;
}

export interface LearningCurveOptions {
  title?: string;
}

interface Series {
  name: string;
  values: ArrayLike<number>;
  color: string;
  dashed: boolean;
}

const PANEL_WIDTH = 380;
const PANEL_HEIGHT = 300;
const MARGIN = { left: 60, right: 20, top: 80, bottom: 50 };

function checkSeries(name: string, values: ArrayLike<number> | undefined, epochs: number): void {
  if (values === undefined) return;
  if (typeof values !== 'object' || values === null || typeof values.length !== 'number') {
    throw new TypeError(`learningCurve: ${name} must be an array of numbers per epoch`);
  }
  if (values.length !== 0 && values.length !== epochs) {
    throw new RangeError(`learningCurve: ${name} has ${values.length} epochs, loss has ${epochs}`);
  }
}

/** One panel: axes with round ticks, grid lines, one polyline and markers per series. */
function panel(left: number, title: string, yLabel: string, series: Series[], epochs: number, fixedRange?: [number, number]): string[] {
  const x0 = left + MARGIN.left;
  const y0 = MARGIN.top;
  const w = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const h = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const finite: number[] = [];
  for (const s of series) for (let i = 0; i < s.values.length; i++) if (Number.isFinite(s.values[i])) finite.push(s.values[i]);
  let [lo, hi] = fixedRange ?? [Math.min(0, ...finite), finite.length > 0 ? Math.max(...finite) : 1];
  if (!fixedRange && finite.length > 0 && Math.min(...finite) > 0 && Math.max(...finite) / Math.min(...finite) < 1.5) lo = Math.min(...finite) * 0.9;
  if (!(hi > lo)) hi = lo + 1;
  const yTicks = ticks(lo, hi);
  lo = Math.min(lo, yTicks[0]);
  hi = Math.max(hi, yTicks[yTicks.length - 1]);
  const xAt = (epoch: number) => x0 + (epochs <= 1 ? w / 2 : ((epoch - 1) / (epochs - 1)) * w);
  const yAt = (v: number) => y0 + h - ((v - lo) / (hi - lo)) * h;
  const out: string[] = [];
  out.push(text(x0 + w / 2, y0 - 34, title, { 'text-anchor': 'middle', 'font-size': 14, 'font-weight': 'bold' }));
  const yStep = yTicks.length > 1 ? yTicks[1] - yTicks[0] : 1;
  for (const t of yTicks) {
    out.push(el('line', { x1: x0, x2: x0 + w, y1: yAt(t), y2: yAt(t), stroke: '#e0e0e0' }));
    out.push(text(x0 - 6, yAt(t) + 4, tickLabel(t, yStep), { 'text-anchor': 'end', fill: '#444' }));
  }
  const xTicks = ticks(1, Math.max(epochs, 1), Math.min(epochs, 8)).filter((t) => Number.isInteger(t));
  for (const t of xTicks) {
    out.push(el('line', { x1: xAt(t), x2: xAt(t), y1: y0 + h, y2: y0 + h + 4, stroke: '#444' }));
    out.push(text(xAt(t), y0 + h + 17, String(t), { 'text-anchor': 'middle', fill: '#444' }));
  }
  out.push(el('rect', { x: x0, y: y0, width: w, height: h, fill: 'none', stroke: '#444' }));
  out.push(text(x0 + w / 2, y0 + h + 36, 'epoch', { 'text-anchor': 'middle' }));
  out.push(text(left + 16, y0 + h / 2, yLabel, { 'text-anchor': 'middle', transform: `rotate(-90 ${num(left + 16)} ${num(y0 + h / 2)})` }));
  series.forEach((s, k) => {
    // Non-finite values break the line rather than pulling it off the chart.
    let path = '';
    let pen = false;
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      if (!Number.isFinite(v)) {
        pen = false;
        continue;
      }
      path += `${pen ? 'L' : 'M'}${num(xAt(i + 1))} ${num(yAt(v))}`;
      pen = true;
    }
    const dash = s.dashed ? '6 4' : undefined;
    out.push(el('path', { class: 'series', 'data-series': s.name, d: path, fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': dash }));
    for (let i = 0; i < s.values.length; i++) {
      if (Number.isFinite(s.values[i])) out.push(el('circle', { cx: xAt(i + 1), cy: yAt(s.values[i]), r: 2.5, fill: s.color }));
    }
    const ly = y0 - 8;
    const lx = x0 + k * 120;
    out.push(el('line', { x1: lx, x2: lx + 20, y1: ly - 4, y2: ly - 4, stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': dash }));
    out.push(text(lx + 24, ly, s.name, { fill: '#222' }));
  });
  return out;
}

/** An SVG document (a string) with the loss panel and, when accuracies are given, the accuracy panel. */
export function learningCurve(data: LearningCurveData, options: LearningCurveOptions = {}): string {
  if (data === null || typeof data !== 'object') throw new TypeError('learningCurve: expected { loss, accuracy?, valLoss?, valAccuracy? }');
  checkSeries('loss', data.loss, data.loss?.length ?? 0);
  const epochs = data.loss.length;
  checkSeries('accuracy', data.accuracy, epochs);
  checkSeries('valLoss', data.valLoss, epochs);
  checkSeries('valAccuracy', data.valAccuracy, epochs);
  const present = (v?: ArrayLike<number>): v is ArrayLike<number> => v !== undefined && v.length > 0;
  const lossSeries: Series[] = [{ name: 'train', values: data.loss, color: PALETTE[0], dashed: false }];
  if (present(data.valLoss)) lossSeries.push({ name: 'validation', values: data.valLoss, color: PALETTE[1], dashed: true });
  const accSeries: Series[] = [];
  if (present(data.accuracy)) accSeries.push({ name: 'train', values: data.accuracy, color: PALETTE[0], dashed: false });
  if (present(data.valAccuracy)) accSeries.push({ name: 'validation', values: data.valAccuracy, color: PALETTE[1], dashed: true });
  const title = options.title ?? 'Learning curve';
  const body = [
    text((accSeries.length > 0 ? 2 * PANEL_WIDTH : PANEL_WIDTH) / 2, 20, title, { 'text-anchor': 'middle', 'font-size': 16, 'font-weight': 'bold' }),
    ...panel(0, 'Loss', 'loss', lossSeries, epochs),
  ];
  if (accSeries.length > 0) {
    // From the tenth below the lowest accuracy up to 1, so the late, small gains stay readable.
    let lowest = 1;
    for (const s of accSeries) for (let i = 0; i < s.values.length; i++) if (Number.isFinite(s.values[i])) lowest = Math.min(lowest, s.values[i]);
    body.push(...panel(PANEL_WIDTH, 'Accuracy', 'accuracy', accSeries, epochs, [Math.max(0, Math.floor(lowest * 10 - 1e-9) / 10), 1]));
  }
  return document(accSeries.length > 0 ? 2 * PANEL_WIDTH : PANEL_WIDTH, PANEL_HEIGHT + 10, title, body);
}
