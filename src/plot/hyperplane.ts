// A linear classifier's hyperplane in the plane, as the perceptron tutorial draws it: the points, the
// separating line w.x + b = 0, the weight vector w (normal to the line, pointing to the side predicted as
// class 1), the two half-planes shaded, and optionally the lines of earlier epochs fading in.
import { Tensor } from '../tensor.js';
import { PALETTE, axisFraction, count, document, el, escapeXml, num, text, type Axis } from './svg.js';
import { dataAxis, givenAxis, planeFrame, readPoints, tint } from './points.js';

/** Weights and bias of a 2-input linear model: a Perceptron, or plain numbers (e.g. a training step). */
export interface LinearModel {
  weights: Tensor | ArrayLike<number>;
  bias: Tensor | number;
  /** The line's label in `history` (default its position, from 1). */
  label?: string;
}

export interface HyperplaneOptions {
  title?: string;
  /**
   * Earlier states (e.g. a perceptron's `epochEnds`), drawn as dashed lines, darker the later, each with
   * its label; a line repeated (a perceptron cycling) is drawn once with all its labels.
   */
  history?: readonly LinearModel[];
  /** What the history lines are, for the legend (default 'earlier'). */
  historyName?: string;
  xRange?: [number, number];
  yRange?: [number, number];
  /** Names of the classes (default 'class 0' / 'class 1', or '-1' / '+1' for -1/+1 labels). */
  classNames?: readonly [string, string];
}

const OPTION_KEYS = ['title', 'history', 'historyName', 'xRange', 'yRange', 'classNames'];
const PLOT = 400;
const MARGIN = { left: 64, right: 190, top: 62, bottom: 50 };
const ARROW = 48;

interface Line {
  w: [number, number];
  b: number;
}

function readModel(what: string, model: LinearModel): Line {
  if (model === null || typeof model !== 'object') throw new TypeError(`${what} must be { weights, bias } (e.g. a perceptron)`);
  const w = model.weights instanceof Tensor ? model.weights.data : model.weights;
  const b = model.bias instanceof Tensor ? model.bias.data[0] : model.bias;
  if (w === null || typeof w !== 'object' || w.length !== 2) throw new RangeError(`${what}: the hyperplane plot needs 2 weights (2 inputs), got ${w?.length}`);
  if (typeof b !== 'number') throw new TypeError(`${what}: bias must be a number`);
  return { w: [w[0], w[1]], b };
}

/**
 * (w.x + b) / (4 max(|w1|, |w2|, |b|)): the sign of w.x + b, with each term at most a quarter of the largest
 * coordinate, so no weights or coordinates overflow it to NaN.
 */
function side(line: Line, x: number, y: number): number {
  const largest = Math.max(Math.abs(line.w[0]), Math.abs(line.w[1]), Math.abs(line.b));
  if (largest === 0) return 0;
  return ((line.w[0] / largest) * x) / 4 + ((line.w[1] / largest) * y) / 4 + line.b / largest / 4;
}

/**
 * The rectangle's part where w.x + b >= 0 (Sutherland-Hodgman against one half-plane) and the line's
 * crossings of the rectangle's edges, in data coordinates.
 */
function clip(line: Line, x: Axis, y: Axis): { positive: [number, number][]; crossings: [number, number][] } {
  const corners: [number, number][] = [[x.lo, y.lo], [x.hi, y.lo], [x.hi, y.hi], [x.lo, y.hi]];
  const positive: [number, number][] = [];
  const crossings: [number, number][] = [];
  for (let i = 0; i < 4; i++) {
    const p = corners[i];
    const q = corners[(i + 1) % 4];
    const fp = side(line, p[0], p[1]);
    const fq = side(line, q[0], q[1]);
    if (fp >= 0) positive.push(p);
    if ((fp >= 0) !== (fq >= 0)) {
      const t = fp / 2 / (fp / 2 - fq / 2);
      const c: [number, number] = [p[0] * (1 - t) + q[0] * t, p[1] * (1 - t) + q[1] * t];
      positive.push(c);
      crossings.push(c);
    }
  }
  return { positive, crossings };
}

const finiteLine = (line: Line) => [...line.w, line.b].every(Number.isFinite);

/**
 * An SVG document of a 2-input linear classifier (a perceptron) with its data: points coloured by label
 * (0/1 or -1/+1; the ones the model gets wrong are ringed in red), the line w.x + b = 0, the weight vector
 * w and the half-planes it predicts as each class; `history` adds earlier lines (e.g. each epoch's end).
 */
export function hyperplane(model: LinearModel, points: Tensor | ArrayLike<ArrayLike<number>>, labels: ArrayLike<number>, options: HyperplaneOptions = {}): string {
  if (options === null || typeof options !== 'object') throw new TypeError('hyperplane: options must be an object');
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw new TypeError(`hyperplane: unknown option '${key}'; valid: ${OPTION_KEYS.join(', ')}`);
  }
  const line = readModel('hyperplane: model', model);
  const history = (options.history ?? []).map((m, i) => readModel(`hyperplane: history[${i}]`, m));
  const coords = readPoints('hyperplane', points);
  const n = coords.length / 2;
  if (labels === null || typeof labels !== 'object' || labels.length !== n) throw new RangeError(`hyperplane: ${n} points but ${labels?.length} labels`);
  let signed = false;
  for (let i = 0; i < n; i++) {
    if (labels[i] !== 0 && labels[i] !== 1 && labels[i] !== -1) throw new RangeError(`hyperplane: label ${labels[i]} of point ${i} is not 0, 1, -1 or +1`);
    if (labels[i] === -1) signed = true;
  }
  const classOf = (label: number) => (label > 0 ? 1 : 0);
  const names = options.classNames ?? (signed ? ['-1', '+1'] : ['class 0', 'class 1']);
  const xAxis = options.xRange !== undefined ? givenAxis('hyperplane', 'xRange', options.xRange) : dataAxis(coords, 0);
  const yAxis = options.yRange !== undefined ? givenAxis('hyperplane', 'yRange', options.yRange) : dataAxis(coords, 1);
  const x0 = MARGIN.left;
  const y0 = MARGIN.top;
  const xAt = (v: number) => x0 + axisFraction(xAxis, v) * PLOT;
  const yAt = (v: number) => y0 + PLOT - axisFraction(yAxis, v) * PLOT;
  const title = options.title ?? 'Perceptron';
  const body: string[] = [text(x0 + PLOT / 2, 24, title, { 'text-anchor': 'middle', 'font-size': 16, 'font-weight': 'bold' })];
  const fmt = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v));
  body.push(text(x0 + PLOT / 2, 44, `w = (${fmt(line.w[0])}, ${fmt(line.w[1])}), b = ${fmt(line.b)}`, { 'text-anchor': 'middle', fill: '#444' }));
  const notes: string[] = [];

  // Half-planes: class 0's tint everywhere, class 1's over the part where w.x + b > 0.
  body.push(el('rect', { class: 'half-plane', 'data-class': 0, x: x0, y: y0, width: PLOT, height: PLOT, fill: tint(PALETTE[0], 0.22) }));
  const drawable = finiteLine(line);
  const zero = line.w[0] === 0 && line.w[1] === 0;
  const { positive, crossings } = drawable ? clip(line, xAxis, yAxis) : { positive: [], crossings: [] };
  if (positive.length >= 3) {
    body.push(el('polygon', { class: 'half-plane', 'data-class': 1, points: positive.map(([px, py]) => `${num(xAt(px))},${num(yAt(py))}`).join(' '), fill: tint(PALETTE[1], 0.28) }));
  }

  // Earlier lines, lighter the older they are (a repeated line as its last time), labelled near their
  // first end; repeats drawn once.
  const distinct = new Map<string, { line: Line; index: number; labels: string[] }>();
  history.forEach((h, i) => {
    const key = `${h.w[0]},${h.w[1]},${h.b}`;
    const entry = distinct.get(key) ?? { line: h, index: i, labels: [] };
    entry.index = i;
    entry.labels.push(options.history![i].label ?? String(i + 1));
    distinct.set(key, entry);
  });
  for (const { line: h, index, labels: seen } of distinct.values()) {
    if (!finiteLine(h)) continue;
    const c = clip(h, xAxis, yAxis).crossings;
    if (c.length < 2) continue;
    const shade = Math.round(200 - (120 * (index + 1)) / history.length);
    const grey = `rgb(${shade},${shade},${shade})`;
    body.push(el('line', { class: 'history', x1: xAt(c[0][0]), y1: yAt(c[0][1]), x2: xAt(c[1][0]), y2: yAt(c[1][1]), stroke: grey, 'stroke-width': 1.2, 'stroke-dasharray': '4 3' }));
    const [lx, ly] = [xAt(c[0][0]) + (xAt(c[1][0]) - xAt(c[0][0])) * 0.06, yAt(c[0][1]) + (yAt(c[1][1]) - yAt(c[0][1])) * 0.06];
    const label = seen.length > 3 ? `${seen[0]}, ${seen[1]}, … (${seen.length}×)` : seen.join(', ');
    body.push(text(lx + 3, ly - 3, label, { class: 'history-label', fill: grey, 'font-size': 10 }));
  }

  if (!drawable) notes.push('w or b is not finite: no line drawn');
  else if (zero) notes.push(`w = 0: no line; every point is predicted as ${line.b > 0 ? names[1] : names[0]}`);
  else if (crossings.length < 2) notes.push('the line w.x + b = 0 lies outside the plotted range');
  else {
    const [p, q] = crossings;
    body.push(el('line', { class: 'boundary', x1: xAt(p[0]), y1: yAt(p[1]), x2: xAt(q[0]), y2: yAt(q[1]), stroke: '#222', 'stroke-width': 2.5 }));
    // w at the middle of the visible segment, as an arrow of ARROW pixels in w's direction on screen.
    const mx = xAt(p[0]) / 2 + xAt(q[0]) / 2;
    const my = yAt(p[1]) / 2 + yAt(q[1]) / 2;
    const sx = PLOT / (xAxis.hi / 2 - xAxis.lo / 2) / 2;
    const sy = PLOT / (yAxis.hi / 2 - yAxis.lo / 2) / 2;
    const largest = Math.max(Math.abs(line.w[0]), Math.abs(line.w[1]));
    const [dx, dy] = [(line.w[0] / largest) * sx, -(line.w[1] / largest) * sy];
    const length = Math.hypot(dx, dy);
    if (length > 0 && Number.isFinite(length)) {
      const [ux, uy] = [dx / length, dy / length];
      const [tx, ty] = [mx + ux * ARROW, my + uy * ARROW];
      const head = [[tx, ty], [tx - ux * 10 - uy * 5, ty - uy * 10 + ux * 5], [tx - ux * 10 + uy * 5, ty - uy * 10 - ux * 5]];
      body.push(el('g', { class: 'weight-vector' }, [
        el('line', { x1: mx, y1: my, x2: tx - ux * 8, y2: ty - uy * 8, stroke: '#b03030', 'stroke-width': 2.5 }),
        el('polygon', { points: head.map(([hx, hy]) => `${num(hx)},${num(hy)}`).join(' '), fill: '#b03030' }),
        text(tx + ux * 8 - 4, ty + uy * 8 + 4, 'w', { fill: '#b03030', 'font-weight': 'bold' }),
      ]));
    }
  }

  body.push(...planeFrame(xAxis, yAxis, x0, y0, PLOT));

  // Points; a point on the wrong side (as the model predicts: class 1 where w.x + b > 0) gets a red ring.
  const dots: string[] = [];
  let wrong = 0;
  let skipped = 0;
  for (let i = 0; i < n; i++) {
    const [px, py] = [coords[2 * i], coords[2 * i + 1]];
    if (!Number.isFinite(px) || !Number.isFinite(py) || px < xAxis.lo || px > xAxis.hi || py < yAxis.lo || py > yAxis.hi) {
      skipped++;
      continue;
    }
    const cls = classOf(labels[i]);
    const predicted = drawable && side(line, px, py) > 0 ? 1 : 0;
    const [cx, cy] = [xAt(px), yAt(py)];
    if (predicted !== cls) {
      wrong++;
      dots.push(el('circle', { class: 'wrong', cx, cy, r: 12, fill: 'none', stroke: '#d62728', 'stroke-width': 2.5 }));
    }
    dots.push(el('circle', { class: 'point', 'data-label': labels[i], cx, cy, r: 7, fill: PALETTE[cls], stroke: '#000', 'stroke-width': 1.5 }, el('title', {}, escapeXml(`(${px}, ${py}): ${names[cls]}`))));
  }
  body.push(el('g', { class: 'points' }, dots));
  if (skipped > 0) notes.push(`${count(skipped)} point${skipped === 1 ? '' : 's'} outside the range or not finite, not drawn`);

  // Legend.
  const lx = x0 + PLOT + 20;
  let ly = y0 + 10;
  names.forEach((name, k) => {
    body.push(el('circle', { cx: lx + 7, cy: ly, r: 7, fill: PALETTE[k], stroke: '#000', 'stroke-width': 1.5 }));
    body.push(text(lx + 20, ly + 4, name));
    ly += 24;
  });
  body.push(el('line', { x1: lx, x2: lx + 14, y1: ly, y2: ly, stroke: '#222', 'stroke-width': 2.5 }), text(lx + 20, ly + 4, 'w·x + b = 0'));
  ly += 24;
  body.push(el('line', { x1: lx, x2: lx + 14, y1: ly, y2: ly, stroke: '#b03030', 'stroke-width': 2.5 }), text(lx + 20, ly + 4, `w, toward ${names[1]}`));
  ly += 24;
  if (history.length > 0) {
    body.push(el('line', { x1: lx, x2: lx + 14, y1: ly, y2: ly, stroke: '#999', 'stroke-width': 1.2, 'stroke-dasharray': '4 3' }), text(lx + 20, ly + 4, options.historyName ?? 'earlier'));
    ly += 24;
  }
  body.push(el('circle', { cx: lx + 7, cy: ly, r: 9, fill: 'none', stroke: '#d62728', 'stroke-width': 2.5 }), text(lx + 20, ly + 4, `wrong side (${wrong})`));
  let height = y0 + PLOT + MARGIN.bottom;
  for (const note of notes) {
    body.push(text(x0, height, note, { class: 'note', fill: '#a33', 'font-size': 11 }));
    height += 15;
  }
  return document(x0 + PLOT + MARGIN.right, height + (notes.length > 0 ? 4 : 0), title, body);
}
