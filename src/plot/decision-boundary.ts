// Decision boundary of a 2-input model: the plane shaded by the predicted class (darker = more confident)
// with the data points on top, as the tutorials draw OR and XOR.
import { Tensor } from '../tensor.js';
import { PALETTE, document, el, escapeXml, num, text, tickLabel, ticks } from './svg.js';

/** Anything that maps a batch [n, 2] to outputs [n, k]: a model with `predict`, or a plain function. */
export type Predictor = { predict(x: Tensor): Tensor } | ((x: Tensor) => Tensor);

export interface DecisionBoundaryOptions {
  /** Grid cells per side (default 120). */
  resolution?: number;
  /** Plotted ranges; default: the points' range plus a quarter of it on each side. */
  xRange?: [number, number];
  yRange?: [number, number];
  title?: string;
  /** Names of the classes for the legend. */
  classNames?: readonly string[];
}

const PLOT = 400;
const MARGIN = { left: 55, right: 150, top: 45, bottom: 50 };
/** Confidence is drawn in this many shades, so neighbouring cells of the same shade merge into one rect. */
const SHADES = 8;

/** The colour blended over white with weight `alpha`, as an opaque rgb(): overlapping cells show no seams. */
function tint(hex: string, alpha: number): string {
  const v = parseInt(hex.slice(1), 16);
  const mix = (channel: number) => Math.round(channel * alpha + 255 * (1 - alpha));
  return `rgb(${mix((v >> 16) & 255)},${mix((v >> 8) & 255)},${mix(v & 255)})`;
}

function readPoints(points: Tensor | ArrayLike<ArrayLike<number>>): Float64Array {
  if (points instanceof Tensor) {
    if (points.rank !== 2 || points.shape[1] !== 2) throw new RangeError(`decisionBoundary: points must have shape [n, 2], got [${points.shape.join(', ')}]`);
    return Float64Array.from(points.data);
  }
  const out = new Float64Array(points.length * 2);
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (p === null || typeof p !== 'object' || p.length !== 2) throw new RangeError(`decisionBoundary: point ${i} does not have 2 coordinates`);
    out[2 * i] = p[0];
    out[2 * i + 1] = p[1];
  }
  return out;
}

function range(coords: Float64Array, axis: number, given?: [number, number]): [number, number] {
  if (given) {
    if (!(given[1] > given[0])) throw new RangeError(`decisionBoundary: range [${given.join(', ')}] is empty`);
    return given;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = axis; i < coords.length; i += 2) {
    lo = Math.min(lo, coords[i]);
    hi = Math.max(hi, coords[i]);
  }
  if (!Number.isFinite(lo)) return [-1, 1];
  const pad = hi > lo ? (hi - lo) / 4 : 1;
  return [lo - pad, hi + pad];
}

/**
 * An SVG document of the model's decision regions over the plane. One sigmoid output is read as
 * P(class 1) with the boundary at 0.5; k > 1 outputs as class scores (argmax, confidence = top score).
 */
export function decisionBoundary(model: Predictor, points: Tensor | ArrayLike<ArrayLike<number>>, labels: ArrayLike<number>, options: DecisionBoundaryOptions = {}): string {
  const predict = typeof model === 'function' ? model : (x: Tensor) => model.predict(x);
  if (typeof predict !== 'function') throw new TypeError('decisionBoundary: model must have a predict(x) method or be a function');
  const coords = readPoints(points);
  const n = coords.length / 2;
  if (labels.length !== n) throw new RangeError(`decisionBoundary: ${n} points but ${labels.length} labels`);
  const resolution = options.resolution ?? 120;
  if (!Number.isInteger(resolution) || resolution < 2 || resolution > 1000) {
    throw new RangeError(`decisionBoundary: resolution must be a whole number in [2, 1000], got ${resolution}`);
  }
  const [xMin, xMax] = range(coords, 0, options.xRange);
  const [yMin, yMax] = range(coords, 1, options.yRange);
  // Cell centres, row 0 at the top (largest y).
  const grid = new Tensor([resolution * resolution, 2]);
  let classOf: Int32Array;
  let confidence: Float32Array;
  let classes: number;
  try {
    const g = grid.data;
    for (let r = 0; r < resolution; r++) {
      for (let c = 0; c < resolution; c++) {
        const i = (r * resolution + c) * 2;
        g[i] = xMin + ((c + 0.5) / resolution) * (xMax - xMin);
        g[i + 1] = yMax - ((r + 0.5) / resolution) * (yMax - yMin);
      }
    }
    const out = predict(grid);
    try {
      if (!(out instanceof Tensor) || out.rank !== 2 || out.shape[0] !== resolution * resolution) {
        throw new RangeError(`decisionBoundary: the model must return [${resolution * resolution}, k] for [${resolution * resolution}, 2] inputs`);
      }
      const k = out.shape[1];
      const o = out.data;
      classes = Math.max(2, k);
      classOf = new Int32Array(resolution * resolution);
      confidence = new Float32Array(resolution * resolution);
      for (let i = 0; i < resolution * resolution; i++) {
        if (k === 1) {
          const p = o[i];
          classOf[i] = p >= 0.5 ? 1 : 0;
          confidence[i] = Number.isNaN(p) ? 0 : Math.abs(p - 0.5) * 2;
        } else {
          let best = 0;
          for (let j = 1; j < k; j++) if (o[i * k + j] > o[i * k + best]) best = j;
          classOf[i] = best;
          // Rescale the top score from [1/k, 1] to [0, 1].
          confidence[i] = Math.max(0, (o[i * k + best] - 1 / k) / (1 - 1 / k));
        }
      }
    } finally {
      if (out instanceof Tensor && out !== grid) out.dispose();
    }
  } finally {
    grid.dispose();
  }
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= classes) throw new RangeError(`decisionBoundary: label ${l} of point ${i} is not a class index`);
  }
  const names = options.classNames ?? Array.from({ length: classes }, (_, i) => `class ${i}`);
  const x0 = MARGIN.left;
  const y0 = MARGIN.top;
  const cellSize = PLOT / resolution;
  const body: string[] = [];
  const title = options.title ?? 'Decision boundary';
  body.push(text(x0 + PLOT / 2, 26, title, { 'text-anchor': 'middle', 'font-size': 16, 'font-weight': 'bold' }));
  const regions: string[] = [];
  for (let r = 0; r < resolution; r++) {
    let c = 0;
    while (c < resolution) {
      const i = r * resolution + c;
      const shade = Math.min(SHADES - 1, Math.floor(confidence[i] * SHADES));
      let end = c + 1;
      while (end < resolution && classOf[r * resolution + end] === classOf[i] && Math.min(SHADES - 1, Math.floor(confidence[r * resolution + end] * SHADES)) === shade) end++;
      const alpha = 0.12 + (0.5 * (shade + 0.5)) / SHADES;
      regions.push(el('rect', { x: x0 + c * cellSize, y: y0 + r * cellSize, width: (end - c) * cellSize + 0.3, height: cellSize + 0.3, fill: tint(PALETTE[classOf[i] % PALETTE.length], alpha) }));
      c = end;
    }
  }
  body.push(el('g', { class: 'regions', 'shape-rendering': 'crispEdges' }, regions));
  const xAt = (v: number) => x0 + ((v - xMin) / (xMax - xMin)) * PLOT;
  const yAt = (v: number) => y0 + PLOT - ((v - yMin) / (yMax - yMin)) * PLOT;
  const xTicks = ticks(xMin, xMax);
  const yTicks = ticks(yMin, yMax);
  for (const t of xTicks) body.push(text(xAt(t), y0 + PLOT + 17, tickLabel(t, xTicks[1] - xTicks[0] || 1), { 'text-anchor': 'middle', fill: '#444' }), el('line', { x1: xAt(t), x2: xAt(t), y1: y0 + PLOT, y2: y0 + PLOT + 4, stroke: '#444' }));
  for (const t of yTicks) body.push(text(x0 - 7, yAt(t) + 4, tickLabel(t, yTicks[1] - yTicks[0] || 1), { 'text-anchor': 'end', fill: '#444' }), el('line', { x1: x0 - 4, x2: x0, y1: yAt(t), y2: yAt(t), stroke: '#444' }));
  body.push(el('rect', { x: x0, y: y0, width: PLOT, height: PLOT, fill: 'none', stroke: '#444' }));
  body.push(text(x0 + PLOT / 2, y0 + PLOT + 38, 'x1', { 'text-anchor': 'middle' }));
  body.push(text(18, y0 + PLOT / 2, 'x2', { 'text-anchor': 'middle', transform: `rotate(-90 18 ${num(y0 + PLOT / 2)})` }));
  const dots: string[] = [];
  for (let i = 0; i < n; i++) {
    dots.push(el('circle', { class: 'point', 'data-label': labels[i], cx: xAt(coords[2 * i]), cy: yAt(coords[2 * i + 1]), r: n > 200 ? 3 : 7, fill: PALETTE[labels[i] % PALETTE.length], stroke: '#000', 'stroke-width': 1.5 }, el('title', {}, escapeXml(`(${coords[2 * i]}, ${coords[2 * i + 1]}): ${names[labels[i]] ?? labels[i]}`))));
  }
  body.push(el('g', { class: 'points' }, dots));
  const lx = x0 + PLOT + 20;
  names.forEach((name, k) => {
    body.push(el('circle', { cx: lx + 7, cy: y0 + 10 + k * 24, r: 7, fill: PALETTE[k % PALETTE.length], stroke: '#000', 'stroke-width': 1.5 }));
    body.push(text(lx + 20, y0 + 14 + k * 24, name));
  });
  body.push(text(lx, y0 + 24 + names.length * 24, 'shade = confidence', { fill: '#666', 'font-size': 11 }));
  return document(x0 + PLOT + MARGIN.right, y0 + PLOT + MARGIN.bottom, title, body);
}
