// A minimal SVG writer: elements as strings, attributes escaped, numbers rounded to keep files small.

export type Attributes = Record<string, string | number | undefined>;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Numbers with at most 2 decimals and no trailing zeros (sub-pixel precision is invisible). */
export function num(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`svg: coordinate ${value} is not finite`);
  return String(Math.round(value * 100) / 100);
}

function attributes(attrs: Attributes): string {
  let out = '';
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    out += ` ${key}="${typeof value === 'number' ? num(value) : escapeXml(value)}"`;
  }
  return out;
}

/** `<name attrs/>` or `<name attrs>children</name>`; children are already-built markup. */
export function el(name: string, attrs: Attributes = {}, children?: string | string[]): string {
  const inner = Array.isArray(children) ? children.join('') : children;
  return inner === undefined ? `<${name}${attributes(attrs)}/>` : `<${name}${attributes(attrs)}>${inner}</${name}>`;
}

export function text(x: number, y: number, content: string, attrs: Attributes = {}): string {
  return el('text', { x, y, ...attrs }, escapeXml(content));
}

/** The whole document, with a white background and a readable default font. */
export function document(width: number, height: number, title: string, body: string[]): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    el(
      'svg',
      {
        xmlns: 'http://www.w3.org/2000/svg',
        width,
        height,
        viewBox: `0 0 ${width} ${height}`,
        'font-family': 'Helvetica, Arial, sans-serif',
        'font-size': 12,
      },
      [el('title', {}, escapeXml(title)), el('rect', { width, height, fill: '#ffffff' }), ...body],
    ) +
    '\n'
  );
}

/** An axis: limits rounded outward to a tick, the ticks between them and their step. */
export interface Axis {
  lo: number;
  hi: number;
  step: number;
  ticks: number[];
}

// Spans below this fraction of the values' magnitude cannot be told apart from a constant (about two f32
// ulps), and magnitudes below TINY are drawn as 0: the tick steps stay normal floats with room to spare.
const RELATIVE_SPAN = 1e-7;
const TINY = 1e-290;

/**
 * "Nice" limits and about `count` ticks (1, 2 or 5 times a power of ten apart) for finite data in
 * [min, max]. A constant series (or one constant to plotting precision) is centred in +-10% of its value
 * (+-1 around 0). Everything is computed on halves, so spans near Number.MAX_VALUE do not overflow; a
 * limit whose outward rounding would overflow stays at the data. Integer axes use steps of at least 1.
 */
export function niceAxis(min: number, max: number, count = 5, integer = false): Axis {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) throw new RangeError(`axis: [${min}, ${max}] is not a finite range`);
  const magnitude = Math.max(Math.abs(min), Math.abs(max));
  if (max / 2 - min / 2 <= Math.max(magnitude * RELATIVE_SPAN, TINY) / 2) {
    const centre = magnitude < TINY ? 0 : min / 2 + max / 2;
    const half = centre === 0 ? 1 : Math.abs(centre) / 10;
    min = Math.max(centre - half, -Number.MAX_VALUE);
    max = Math.min(centre + half, Number.MAX_VALUE);
  }
  const raw = ((max / 2 - min / 2) / count) * 2;
  const power = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw * (1 - 1e-12)) ?? 10 * power;
  if (integer) step = Math.max(1, Math.round(step));
  // The 1e-6 slack absorbs the rounding of min / step (|min / step| < 1e8 after the widening above).
  const first = Math.floor(min / step + 1e-6);
  const last = Math.ceil(max / step - 1e-6);
  const lo = first * step;
  const hi = last * step;
  const ticks: number[] = [];
  for (let k = first; k <= last && ticks.length <= count * 3; k++) {
    const t = k * step;
    if (Number.isFinite(t)) ticks.push(t);
  }
  return { lo: Number.isFinite(lo) ? lo : min, hi: Number.isFinite(hi) ? hi : max, step, ticks };
}

/** Where v lies on the axis, 0 at lo and 1 at hi (on halves: no overflow for any finite v, lo, hi). */
export function axisFraction(axis: Axis, v: number): number {
  return (v / 2 - axis.lo / 2) / (axis.hi / 2 - axis.lo / 2);
}

/** Tick labels with just enough digits for the step between ticks; scientific for tiny steps or huge values. */
export function tickLabel(value: number, step: number): string {
  if (value === 0) return '0';
  const stepExponent = Math.floor(Math.log10(step) + 1e-9);
  const valueExponent = Math.floor(Math.log10(Math.abs(value)));
  if (stepExponent >= -6 && valueExponent < 7) return value.toFixed(Math.max(0, -stepExponent));
  return value.toExponential(Math.min(15, Math.max(0, valueExponent - stepExponent)));
}

/** Where a plot's frame sits: its left edge (the y label is drawn 16 px right of it) and the frame's box. */
export interface Frame {
  left: number;
  x0: number;
  y0: number;
  w: number;
  h: number;
}

/**
 * A plot's frame: horizontal grid lines with y tick labels, x ticks with labels, the box and the axis labels.
 * Ticks outside the axis's limits (a y range given by the caller) are left out.
 */
export function axesFrame(f: Frame, x: Axis, y: Axis, xAt: (v: number) => number, yAt: (v: number) => number, xLabel: string, yLabel: string): string[] {
  const out: string[] = [];
  for (const t of y.ticks.filter((t) => t >= y.lo && t <= y.hi)) {
    out.push(el('line', { x1: f.x0, x2: f.x0 + f.w, y1: yAt(t), y2: yAt(t), stroke: '#e0e0e0' }));
    out.push(text(f.x0 - 6, yAt(t) + 4, tickLabel(t, y.step), { 'text-anchor': 'end', fill: '#444' }));
  }
  for (const t of x.ticks) {
    out.push(el('line', { x1: xAt(t), x2: xAt(t), y1: f.y0 + f.h, y2: f.y0 + f.h + 4, stroke: '#444' }));
    out.push(text(xAt(t), f.y0 + f.h + 17, tickLabel(t, x.step), { 'text-anchor': 'middle', fill: '#444' }));
  }
  out.push(el('rect', { x: f.x0, y: f.y0, width: f.w, height: f.h, fill: 'none', stroke: '#444' }));
  out.push(text(f.x0 + f.w / 2, f.y0 + f.h + 36, xLabel, { 'text-anchor': 'middle' }));
  const ly = f.y0 + f.h / 2;
  out.push(text(f.left + 16, ly, yLabel, { 'text-anchor': 'middle', transform: `rotate(-90 ${num(f.left + 16)} ${num(ly)})` }));
  return out;
}

/** Thousands separators for counts written in the pictures. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Colours of the series and classes (Tableau 10, distinguishable and colour-blind friendly enough). */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
