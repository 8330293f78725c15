// What eval and predict print: text for people (class names where known), or --format json for scripts.
import { confusionMatrixText } from '../plot/confusion-matrix.js';
import type { OptionSpec } from './args.js';

export const OUTPUT_FORMATS = ['text', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
export const FORMAT_OPTION: OptionSpec = { value: 'text|json', help: 'text for people, json (one document on stdout) for scripts', default: 'text' };

const isNumbering = (names: readonly string[]) => names.every((name, i) => name === String(i));

/** classNames recorded by simdnet train in model.json's metadata, when they are `classes` strings. */
export function savedClassNames(metadata: Record<string, unknown> | null | undefined, classes: number): readonly string[] | undefined {
  const names = metadata?.classNames;
  return Array.isArray(names) && names.length === classes && names.every((n) => typeof n === 'string') ? names : undefined;
}

/**
 * Names for eval's classes: the dataset's when it names them (digits, Fashion-MNIST), else those the model
 * was trained with (e.g. Fashion-MNIST's for a copied folder whose path does not say "fashion"), else the numbers.
 */
export function evalClassNames(datasetNames: readonly string[], modelNames: readonly string[] | undefined): readonly string[] {
  return isNumbering(datasetNames) && modelNames !== undefined ? modelNames : datasetNames;
}

export interface Evaluation {
  readonly model: string;
  readonly data: string;
  readonly classNames: readonly string[];
  /** Counts [actual][predicted]. */
  readonly matrix: number[][];
  readonly loss: number | undefined;
}

interface ClassFigures {
  index: number;
  name: string;
  images: number;
  predicted: number;
  precision: number | null;
  recall: number | null;
}

function perClass({ matrix, classNames }: Evaluation): ClassFigures[] {
  return matrix.map((row, c) => {
    const images = row.reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((s, r) => s + r[c], 0);
    return {
      index: c,
      name: classNames[c],
      images,
      predicted,
      precision: predicted > 0 ? row[c] / predicted : null,
      recall: images > 0 ? row[c] / images : null,
    };
  });
}

const totals = (matrix: number[][]) => ({ images: matrix.flat().reduce((a, b) => a + b, 0), correct: matrix.reduce((s, row, i) => s + row[i], 0) });
const percentOrDash = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(1)}%`);

export function evaluationText(e: Evaluation): string {
  const { images, correct } = totals(e.matrix);
  const lines = [`${e.model} on ${e.data} (${images} test images)`];
  if (e.loss !== undefined) lines.push(`loss ${e.loss.toFixed(4)}`);
  lines.push(`accuracy ${((100 * correct) / images).toFixed(2)}% (${correct} of ${images})`, '');
  const rows = perClass(e);
  const labels = rows.map((r) => (r.name === String(r.index) ? r.name : `${r.index} ${r.name}`));
  const width = Math.max('class'.length, ...labels.map((l) => l.length));
  lines.push(`${'class'.padEnd(width)}  images  precision  recall`);
  rows.forEach((r, i) => lines.push(`${labels[i].padEnd(width)}  ${String(r.images).padStart(6)}  ${percentOrDash(r.precision).padStart(9)}  ${percentOrDash(r.recall).padStart(6)}`));
  return `${lines.join('\n')}\n\n${confusionMatrixText(e.matrix, e.classNames)}`;
}

export function evaluationJson(e: Evaluation): string {
  const { images, correct } = totals(e.matrix);
  const classes = perClass(e).map(({ index, name, images: n, precision, recall }) => ({ index, name, images: n, precision, recall }));
  return `${JSON.stringify({ model: e.model, data: e.data, images, correct, accuracy: correct / images, loss: e.loss ?? null, classes, confusionMatrix: e.matrix })}\n`;
}

export interface Predictions {
  readonly model: string;
  readonly file: string;
  /** Predicted class per image, -1 for an image whose outputs hold NaN. */
  readonly classes: Int32Array;
  /** Output probabilities, [images, classes] row-major. */
  readonly probabilities: Float32Array;
  readonly classNames: readonly string[] | undefined;
}

export function predictionsText(p: Predictions): string {
  const k = p.probabilities.length / Math.max(1, p.classes.length);
  const lines = ['index\tclass\tprobability' + (p.classNames ? '\tname' : '')];
  p.classes.forEach((c, i) => {
    const probability = c < 0 ? NaN : p.probabilities[i * k + c];
    lines.push(`${i}\t${c}\t${probability.toFixed(4)}` + (p.classNames ? `\t${c < 0 ? '-' : p.classNames[c]}` : ''));
  });
  return lines.join('\n') + '\n';
}

/** Probabilities rounded to 6 decimals: float32 holds about 7 significant digits, and the JSON stays short. */
const round6 = (v: number) => (Number.isFinite(v) ? Math.round(v * 1e6) / 1e6 : null);

export function predictionsJson(p: Predictions): string {
  const k = p.probabilities.length / Math.max(1, p.classes.length);
  const predictions = Array.from(p.classes, (c, i) => ({
    index: i,
    class: c < 0 ? null : c,
    name: c < 0 || !p.classNames ? null : p.classNames[c],
    probability: c < 0 ? null : round6(p.probabilities[i * k + c]),
    probabilities: Array.from(p.probabilities.subarray(i * k, (i + 1) * k), round6),
  }));
  return `${JSON.stringify({ model: p.model, file: p.file, classNames: p.classNames ?? null, predictions })}\n`;
}
