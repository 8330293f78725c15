// Decision boundary of a 2-input model: the plane shaded by the predicted class (darker = more confident),
// the boundary itself as a line (p = 0.5 for one output, where the top class changes for several), and the
// data points on top, as the tutorials draw OR and XOR.
import { Tensor } from '../tensor.js';
import { PALETTE, axisFraction, count, document, el, escapeXml, num, text } from './svg.js';
import { dataAxis, givenAxis, planeFrame, readPoints, tint } from './points.js';

/**
 * Anything that maps a batch [n, 2] to outputs: a model with `predict`, or a plain function. The outputs
 * are a tensor [n, k] or [n], or a list of n numbers (one output per point).
 */
export type Predictor = { predict(x: Tensor): Tensor | ArrayLike<number> } | ((x: Tensor) => Tensor | ArrayLike<number>);

export interface DecisionBoundaryOptions {
  /** Grid cells per side (default 120). */
  resolution?: number;
  /** Plotted ranges; default: the points' range plus an eighth of it on each side, rounded out to ticks. */
  xRange?: [number, number];
  yRange?: [number, number];
  title?: string;
  /** Names of the classes for the legend. */
  classNames?: readonly string[];
}

const OPTION_KEYS = ['resolution', 'xRange', 'yRange', 'title', 'classNames'];
const PLOT = 400;
const MARGIN = { left: 64, right: 160, top: 45, bottom: 50 };
/** Confidence is drawn in this many shades, so neighbouring cells of the same shade merge into one rect. */
const SHADES = 8;
/** More points than this are thinned to an evenly spaced subset (said in the picture). */
export const MAX_POINTS = 5000;

/**
 * The zero line of f (values at the grid's cell centres, row 0 at the top) by marching squares, as SVG
 * path data; a square with a NaN corner is skipped, and a saddle is split by the sign of its centre.
 */
function zeroContour(f: Float32Array, resolution: number, xAt: (c: number) => number, yAt: (r: number) => number): string {
  const parts: string[] = [];
  const at = (r: number, c: number) => f[r * resolution + c];
  for (let r = 0; r + 1 < resolution; r++) {
    for (let c = 0; c + 1 < resolution; c++) {
      const a = at(r, c);
      const b = at(r, c + 1);
      const e = at(r + 1, c + 1);
      const d = at(r + 1, c);
      if (Number.isNaN(a + b + d + e)) continue;
      const inA = a >= 0;
      const inB = b >= 0;
      const inE = e >= 0;
      const inD = d >= 0;
      if (inA === inB && inB === inE && inE === inD) continue;
      // Crossings on the edges top (a-b), right (b-e), bottom (d-e), left (a-d), linearly interpolated.
      const cross = (u: number, v: number) => u / (u - v);
      const top = inA !== inB ? [xAt(c + cross(a, b)), yAt(r)] : null;
      const right = inB !== inE ? [xAt(c + 1), yAt(r + cross(b, e))] : null;
      const bottom = inD !== inE ? [xAt(c + cross(d, e)), yAt(r + 1)] : null;
      const left = inA !== inD ? [xAt(c), yAt(r + cross(a, d))] : null;
      const segment = (p: number[] | null, q: number[] | null) => {
        if (p && q) parts.push(`M${num(p[0])} ${num(p[1])}L${num(q[0])} ${num(q[1])}`);
      };
      if (top && right && bottom && left) {
        // A saddle: the corners whose sign differs from the centre's are cut off.
        const inCentre = a + b + d + e >= 0;
        if (inA !== inCentre) segment(top, left);
        if (inB !== inCentre) segment(top, right);
        if (inE !== inCentre) segment(right, bottom);
        if (inD !== inCentre) segment(bottom, left);
      } else {
        const ends = [top, right, bottom, left].filter((p) => p !== null);
        segment(ends[0], ends[1]);
      }
    }
  }
  return parts.join('');
}

function checkOptions(options: DecisionBoundaryOptions): number {
  if (options === null || typeof options !== 'object') throw new TypeError('decisionBoundary: options must be an object');
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw new TypeError(`decisionBoundary: unknown option '${key}'; valid: ${OPTION_KEYS.join(', ')}`);
  }
  const resolution = options.resolution ?? 120;
  if (!Number.isInteger(resolution) || resolution < 2 || resolution > 1000) {
    throw new RangeError(`decisionBoundary: resolution must be a whole number in [2, 1000], got ${resolution}`);
  }
  return resolution;
}

/** The model's outputs for the grid as a flat copy and their count per point. */
function outputsOf(predict: (x: Tensor) => Tensor | ArrayLike<number>, grid: Tensor, cells: number): { o: Float32Array; k: number } {
  const out = predict(grid);
  try {
    if (out instanceof Tensor) {
      const k = out.rank === 1 ? 1 : out.shape[1];
      if (out.rank > 2 || out.shape[0] !== cells || k < 1) {
        throw new RangeError(`decisionBoundary: the model must return [${cells}, k] or [${cells}] for [${grid.shape.join(', ')}] inputs, got [${out.shape.join(', ')}]`);
      }
      return { o: Float32Array.from(out.data), k };
    }
    if (out === null || typeof out !== 'object' || out.length !== cells) {
      throw new RangeError(`decisionBoundary: the model must return a Tensor or ${cells} numbers for [${grid.shape.join(', ')}] inputs`);
    }
    return { o: Float32Array.from(out), k: 1 };
  } finally {
    if (out instanceof Tensor && out !== grid) out.dispose();
  }
}

/** The per-sample shape a model takes its two inputs in: its inputShape when it has one of two values, else [2]. */
function pointShape(model: Predictor): number[] {
  const shape = typeof model === 'object' && model !== null && 'inputShape' in model ? (model as { inputShape?: unknown }).inputShape : undefined;
  const isShape = Array.isArray(shape) && shape.length > 0 && shape.every((d) => Number.isInteger(d) && d >= 1);
  return isShape && shape.reduce((a: number, b: number) => a * b, 1) === 2 ? [...shape] : [2];
}

/**
 * An SVG document of the model's decision regions over the plane. One output is read as P(class 1) with
 * the boundary at 0.5 (a perceptron's 0/1 or -1/+1 decisions work too); k > 1 outputs as class scores
 * (argmax, confidence = top score). Labels are class indices; with one output, -1 also means class 0.
 */
export function decisionBoundary(model: Predictor, points: Tensor | ArrayLike<ArrayLike<number>>, labels: ArrayLike<number>, options: DecisionBoundaryOptions = {}): string {
  const predict = typeof model === 'function' ? model : model !== null && typeof model === 'object' && typeof model.predict === 'function' ? (x: Tensor) => model.predict(x) : null;
  if (predict === null) throw new TypeError('decisionBoundary: model must have a predict(x) method or be a function');
  const resolution = checkOptions(options);
  const coords = readPoints('decisionBoundary', points);
  const n = coords.length / 2;
  if (labels === null || typeof labels !== 'object' || labels.length !== n) throw new RangeError(`decisionBoundary: ${n} points but ${labels?.length} labels`);
  const xAxis = options.xRange !== undefined ? givenAxis('decisionBoundary', 'xRange', options.xRange) : dataAxis(coords, 0);
  const yAxis = options.yRange !== undefined ? givenAxis('decisionBoundary', 'yRange', options.yRange) : dataAxis(coords, 1);
  const cells = resolution * resolution;
  // Cell centres, row 0 at the top (largest y); lo (1 - t) + hi t cannot overflow. A model that takes its two
  // inputs in another shape (a convnet's [1, 2, 1] image) gets the grid in that shape.
  const grid = new Tensor([cells, ...pointShape(model)]);
  let outputs: { o: Float32Array; k: number };
  try {
    const g = grid.data;
    for (let r = 0; r < resolution; r++) {
      for (let c = 0; c < resolution; c++) {
        const tx = (c + 0.5) / resolution;
        const ty = (r + 0.5) / resolution;
        g[(r * resolution + c) * 2] = xAxis.lo * (1 - tx) + xAxis.hi * tx;
        g[(r * resolution + c) * 2 + 1] = yAxis.hi * (1 - ty) + yAxis.lo * ty;
      }
    }
    outputs = outputsOf(predict, grid, cells);
  } finally {
    grid.dispose();
  }
  const { o, k } = outputs;
  const classes = Math.max(2, k);
  const classOf = new Int32Array(cells);
  const confidence = new Float32Array(cells);
  let undefinedCells = 0;
  for (let i = 0; i < cells; i++) {
    let best = 0;
    if (k === 1) {
      best = o[i] >= 0.5 ? 1 : 0;
      confidence[i] = Math.min(1, Math.abs(o[i] - 0.5) * 2);
    } else {
      for (let j = 1; j < k; j++) if (o[i * k + j] > o[i * k + best]) best = j;
      // Rescale the top score from [1/k, 1] to [0, 1].
      confidence[i] = Math.min(1, Math.max(0, (o[i * k + best] - 1 / k) / (1 - 1 / k)));
    }
    let finite = true;
    for (let j = 0; j < k; j++) finite &&= Number.isFinite(o[i * k + j]);
    if (!finite) {
      undefinedCells++;
      confidence[i] = 0;
    }
    classOf[i] = best;
  }
  const classIndex = (l: number) => (k === 1 && l === -1 ? 0 : l);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!Number.isInteger(classIndex(l)) || classIndex(l) < 0 || classIndex(l) >= classes) {
      throw new RangeError(`decisionBoundary: label ${l} of point ${i} is not a class index in [0, ${classes})${k === 1 ? ' (or -1 for class 0)' : ''}`);
    }
  }
  const names = options.classNames ?? Array.from({ length: classes }, (_, i) => `class ${i}`);
  const x0 = MARGIN.left;
  const y0 = MARGIN.top;
  const cellSize = PLOT / resolution;
  const body: string[] = [];
  const title = options.title ?? 'Decision boundary';
  body.push(text(x0 + PLOT / 2, 26, title, { 'text-anchor': 'middle', 'font-size': 16, 'font-weight': 'bold' }));
  const regions: string[] = [];
  const shadeOf = (i: number) => Math.min(SHADES - 1, Math.floor(confidence[i] * SHADES));
  for (let r = 0; r < resolution; r++) {
    let c = 0;
    while (c < resolution) {
      const i = r * resolution + c;
      const shade = shadeOf(i);
      let end = c + 1;
      while (end < resolution && classOf[r * resolution + end] === classOf[i] && shadeOf(r * resolution + end) === shade) end++;
      const alpha = 0.12 + (0.5 * (shade + 0.5)) / SHADES;
      regions.push(el('rect', { x: x0 + c * cellSize, y: y0 + r * cellSize, width: (end - c) * cellSize + 0.3, height: cellSize + 0.3, fill: tint(PALETTE[classOf[i] % PALETTE.length], alpha) }));
      c = end;
    }
  }
  body.push(el('g', { class: 'regions', 'shape-rendering': 'crispEdges' }, regions));

  // The boundary: p - 0.5 for one output; for k outputs each class's margin over the best other class.
  const centreX = (c: number) => x0 + (c + 0.5) * cellSize;
  const centreY = (r: number) => y0 + (r + 0.5) * cellSize;
  const margin = new Float32Array(cells);
  let boundary = '';
  for (let cls = k === 1 ? 0 : k === 2 ? 1 : 0; cls < k; cls++) {
    for (let i = 0; i < cells; i++) {
      if (k === 1) {
        margin[i] = o[i] - 0.5;
        continue;
      }
      let other = -Infinity;
      for (let j = 0; j < k; j++) if (j !== cls) other = Math.max(other, o[i * k + j]);
      margin[i] = o[i * k + cls] - other;
    }
    boundary += zeroContour(margin, resolution, centreX, centreY);
  }
  body.push(el('path', { class: 'boundary', d: boundary, fill: 'none', stroke: '#222', 'stroke-width': 2, 'stroke-linecap': 'round' }));

  const xAt = (v: number) => x0 + axisFraction(xAxis, v) * PLOT;
  const yAt = (v: number) => y0 + PLOT - axisFraction(yAxis, v) * PLOT;
  body.push(...planeFrame(xAxis, yAxis, x0, y0, PLOT));

  // Points: non-finite ones and those outside the given ranges are not drawn; many are thinned evenly.
  const inside: number[] = [];
  let nonFinite = 0;
  for (let i = 0; i < n; i++) {
    const [px, py] = [coords[2 * i], coords[2 * i + 1]];
    if (!Number.isFinite(px) || !Number.isFinite(py)) nonFinite++;
    else if (px >= xAxis.lo && px <= xAxis.hi && py >= yAxis.lo && py <= yAxis.hi) inside.push(i);
  }
  const stride = Math.ceil(inside.length / MAX_POINTS);
  const dots: string[] = [];
  for (let j = 0; j < inside.length; j += stride) {
    const i = inside[j];
    const cls = classIndex(labels[i]);
    const attrs = { class: 'point', 'data-label': labels[i], cx: xAt(coords[2 * i]), cy: yAt(coords[2 * i + 1]), r: n > 200 ? 3 : 7, fill: PALETTE[cls % PALETTE.length], stroke: '#000', 'stroke-width': n > 200 ? 0.5 : 1.5 };
    dots.push(n > 200 ? el('circle', attrs) : el('circle', attrs, el('title', {}, escapeXml(`(${coords[2 * i]}, ${coords[2 * i + 1]}): ${names[cls] ?? labels[i]}`))));
  }
  body.push(el('g', { class: 'points' }, dots));

  const lx = x0 + PLOT + 20;
  names.forEach((name, c) => {
    body.push(el('circle', { cx: lx + 7, cy: y0 + 10 + c * 24, r: 7, fill: PALETTE[c % PALETTE.length], stroke: '#000', 'stroke-width': 1.5 }));
    body.push(text(lx + 20, y0 + 14 + c * 24, name));
  });
  const ly = y0 + 10 + names.length * 24;
  body.push(el('line', { x1: lx, x2: lx + 14, y1: ly, y2: ly, stroke: '#222', 'stroke-width': 2 }));
  body.push(text(lx + 20, ly + 4, k === 1 ? 'p = 0.5' : 'class boundary'));
  body.push(text(lx, ly + 24, 'shade = confidence', { fill: '#666', 'font-size': 11 }));
  const notes: string[] = [];
  if (stride > 1) notes.push(`${count(Math.ceil(inside.length / stride))} of ${count(inside.length)} points drawn`);
  if (nonFinite > 0) notes.push(`${count(nonFinite)} point${nonFinite === 1 ? '' : 's'} with a non-finite coordinate not drawn`);
  const outside = n - nonFinite - inside.length;
  if (outside > 0) notes.push(`${count(outside)} point${outside === 1 ? '' : 's'} outside the ranges not drawn`);
  if (undefinedCells > 0) notes.push(`model output not finite in ${count(undefinedCells)} of ${count(cells)} cells`);
  let height = y0 + PLOT + MARGIN.bottom;
  for (const note of notes) {
    body.push(text(x0, height, note, { class: 'note', fill: '#a33', 'font-size': 11 }));
    height += 15;
  }
  return document(x0 + PLOT + MARGIN.right, height + (notes.length > 0 ? 4 : 0), title, body);
}
