// What the 2-D plots (decision boundary, perceptron hyperplane) share: reading the points, the axes around
// them, and the region colours.
import { Tensor } from '../tensor.js';
import { axisFraction, el, niceAxis, num, text, tickLabel, type Axis } from './svg.js';

/** The colour blended over white with weight `alpha`, as an opaque rgb(): overlapping cells show no seams. */
export function tint(hex: string, alpha: number): string {
  const v = parseInt(hex.slice(1), 16);
  const mix = (channel: number) => Math.round(channel * alpha + 255 * (1 - alpha));
  return `rgb(${mix((v >> 16) & 255)},${mix((v >> 8) & 255)},${mix(v & 255)})`;
}

/** The points' coordinates, x1 and x2 of each point in turn. */
export function readPoints(what: string, points: Tensor | ArrayLike<ArrayLike<number>>): Float64Array {
  if (points instanceof Tensor) {
    if (points.rank !== 2 || points.shape[1] !== 2) throw new RangeError(`${what}: points must have shape [n, 2], got [${points.shape.join(', ')}]`);
    return Float64Array.from(points.data);
  }
  if (points === null || typeof points !== 'object' || typeof points.length !== 'number') throw new TypeError(`${what}: points must be a Tensor [n, 2] or a list of [x1, x2] pairs`);
  const out = new Float64Array(points.length * 2);
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (p === null || typeof p !== 'object' || p.length !== 2) throw new RangeError(`${what}: point ${i} does not have 2 coordinates`);
    out[2 * i] = p[0];
    out[2 * i + 1] = p[1];
  }
  return out;
}

/** A range the caller gave, checked, with the round ticks inside it. */
export function givenAxis(what: string, name: string, given: [number, number]): Axis {
  if (!Array.isArray(given) || given.length !== 2 || !Number.isFinite(given[0]) || !Number.isFinite(given[1]) || !(given[1] > given[0])) {
    throw new RangeError(`${what}: ${name} must be [min, max] with finite min < max, got ${JSON.stringify(given)}`);
  }
  const ticks = niceAxis(given[0], given[1]);
  return { lo: given[0], hi: given[1], step: ticks.step, ticks: ticks.ticks.filter((t) => t >= given[0] && t <= given[1]) };
}

/** The finite points' range along one axis, padded by an eighth on each side and rounded out to ticks. */
export function dataAxis(coords: Float64Array, axis: number): Axis {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = axis; i < coords.length; i += 2) {
    if (Number.isFinite(coords[i]) && Number.isFinite(coords[i ^ 1])) {
      lo = Math.min(lo, coords[i]);
      hi = Math.max(hi, coords[i]);
    }
  }
  if (!(lo <= hi)) return niceAxis(-1, 1);
  const pad = (hi / 2 - lo / 2) / 4;
  return niceAxis(Math.max(lo - pad, -Number.MAX_VALUE), Math.min(hi + pad, Number.MAX_VALUE));
}


/** The square plot's frame at (x0, y0), `size` pixels a side, with the axes' ticks and the labels x1 and x2. */
export function planeFrame(xAxis: Axis, yAxis: Axis, x0: number, y0: number, size: number): string[] {
  const xAt = (v: number) => x0 + axisFraction(xAxis, v) * size;
  const yAt = (v: number) => y0 + size - axisFraction(yAxis, v) * size;
  const out: string[] = [];
  for (const t of xAxis.ticks) out.push(text(xAt(t), y0 + size + 17, tickLabel(t, xAxis.step), { 'text-anchor': 'middle', fill: '#444' }), el('line', { x1: xAt(t), x2: xAt(t), y1: y0 + size, y2: y0 + size + 4, stroke: '#444' }));
  for (const t of yAxis.ticks) out.push(text(x0 - 7, yAt(t) + 4, tickLabel(t, yAxis.step), { 'text-anchor': 'end', fill: '#444' }), el('line', { x1: x0 - 4, x2: x0, y1: yAt(t), y2: yAt(t), stroke: '#444' }));
  out.push(el('rect', { x: x0, y: y0, width: size, height: size, fill: 'none', stroke: '#444' }));
  out.push(text(x0 + size / 2, y0 + size + 38, 'x1', { 'text-anchor': 'middle' }));
  out.push(text(18, y0 + size / 2, 'x2', { 'text-anchor': 'middle', transform: `rotate(-90 18 ${num(y0 + size / 2)})` }));
  return out;
}
