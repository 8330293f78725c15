// A line chart of y against x for one or more named series on shared axes: the tutorials' function pictures,
// such as a loss against the predicted probability for cross-entropy and squared error.
import { PALETTE, axesFrame, axisFraction, count, document, el, niceAxis, num, text } from './svg.js';

export interface LineSeries {
  /** Legend and `data-series` name. */
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Plotted y range; default: the finite values' range rounded out to ticks. Values outside are not drawn. */
  yRange?: [number, number];
}

const OPTION_KEYS = ['title', 'xLabel', 'yLabel', 'yRange'];
const WIDTH = 520;
const HEIGHT = 360;
const MARGIN = { left: 64, right: 16, top: 56, bottom: 50 };

function checkSeries(series: readonly LineSeries[]): void {
  if (!Array.isArray(series) || series.length === 0) throw new TypeError('lineChart: expected a non-empty array of { name, x, y }');
  series.forEach((s, k) => {
    if (s === null || typeof s !== 'object' || typeof s.name !== 'string') throw new TypeError(`lineChart: series ${k} must be { name: string, x, y }`);
    for (const axis of ['x', 'y'] as const) {
      const v = s[axis];
      if (v === null || typeof v !== 'object' || typeof v.length !== 'number') throw new TypeError(`lineChart: series '${s.name}': ${axis} must be an array of numbers`);
    }
    if (s.x.length !== s.y.length) throw new RangeError(`lineChart: series '${s.name}' has ${s.x.length} x values and ${s.y.length} y values`);
  });
}

/** Lowest and highest finite value over the series' x or y (undefined when there is none). */
function range(series: readonly LineSeries[], axis: 'x' | 'y'): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s[axis].length; i++) {
      const v = s[axis][i];
      if (Number.isFinite(v) && Number.isFinite(s[axis === 'x' ? 'y' : 'x'][i])) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/**
 * An SVG document (a string): each series as a line through its (x, y) points in the given order, one colour
 * each, with a legend. A point with a non-finite coordinate, or outside `yRange`, breaks the line there and
 * is counted in a note under the chart.
 */
export function lineChart(series: readonly LineSeries[], options: LineChartOptions = {}): string {
  if (options === null || typeof options !== 'object') throw new TypeError('lineChart: options must be an object');
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw new TypeError(`lineChart: unknown option '${key}'; valid: ${OPTION_KEYS.join(', ')}`);
  }
  checkSeries(series);
  const given = options.yRange;
  if (given !== undefined && (!Array.isArray(given) || given.length !== 2 || !given.every(Number.isFinite) || !(given[0] < given[1]))) {
    throw new RangeError(`lineChart: yRange must be [lo, hi] with finite lo < hi, got ${JSON.stringify(given)}`);
  }
  const inY = (v: number) => given === undefined || (v >= given[0] && v <= given[1]);
  const xr = range(series, 'x') ?? [0, 1];
  const yr = given ?? range(series, 'y') ?? [0, 1];
  const xAxis = niceAxis(xr[0], xr[1], 6);
  const yAxis = given ? { ...niceAxis(given[0], given[1]), lo: given[0], hi: given[1] } : niceAxis(yr[0], yr[1]);
  const x0 = MARGIN.left;
  const y0 = MARGIN.top;
  const w = WIDTH - MARGIN.left - MARGIN.right;
  const h = HEIGHT - MARGIN.top - MARGIN.bottom;
  const xAt = (v: number) => x0 + axisFraction(xAxis, v) * w;
  const yAt = (v: number) => y0 + h - axisFraction(yAxis, v) * h;
  const title = options.title ?? 'Line chart';
  const body: string[] = [text(WIDTH / 2, 22, title, { 'text-anchor': 'middle', 'font-size': 16, 'font-weight': 'bold' })];
  let lx = 20;
  series.forEach((s, k) => {
    const color = PALETTE[k % PALETTE.length];
    body.push(el('line', { x1: lx, x2: lx + 22, y1: 38, y2: 38, stroke: color, 'stroke-width': 2 }));
    body.push(text(lx + 27, 42, s.name, { fill: '#222' }));
    lx += 40 + 7 * s.name.length;
  });
  body.push(...axesFrame({ left: 0, x0, y0, w, h }, xAxis, yAxis, xAt, yAt, options.xLabel ?? 'x', options.yLabel ?? 'y'));
  let hidden = 0;
  series.forEach((s, k) => {
    const parts: string[] = [];
    let pen = false;
    for (let i = 0; i < s.x.length; i++) {
      const [x, y] = [s.x[i], s.y[i]];
      if (!Number.isFinite(x) || !Number.isFinite(y) || !inY(y)) {
        hidden++;
        pen = false;
        continue;
      }
      parts.push(`${pen ? 'L' : 'M'}${num(xAt(x))} ${num(yAt(y))}`);
      pen = true;
    }
    body.push(el('path', { class: 'series', 'data-series': s.name, d: parts.join(''), fill: 'none', stroke: PALETTE[k % PALETTE.length], 'stroke-width': 2, 'stroke-linejoin': 'round' }));
  });
  let height = HEIGHT;
  if (hidden > 0) {
    body.push(text(20, height, `${count(hidden)} point${hidden === 1 ? '' : 's'} not drawn (non-finite or outside the y range)`, { class: 'note', fill: '#a33', 'font-size': 11 }));
    height += 15;
  }
  return document(WIDTH, height + 6, title, body);
}
