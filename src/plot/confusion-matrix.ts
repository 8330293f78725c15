// Confusion matrix of a classifier: rows are the true classes, columns the predicted ones.
import { document, el, escapeXml, num, text } from './svg.js';

/** Counts [actual][predicted]; a prediction of -1 (a NaN output) is counted in no cell. */
export function confusionMatrix(actual: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  if (!Number.isInteger(classes) || classes < 1) throw new RangeError(`confusionMatrix: classes must be a whole number >= 1, got ${classes}`);
  if (actual.length !== predicted.length) {
    throw new RangeError(`confusionMatrix: ${actual.length} actual labels but ${predicted.length} predictions`);
  }
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const p = predicted[i];
    if (!Number.isInteger(a) || a < 0 || a >= classes) throw new RangeError(`confusionMatrix: actual label ${a} at row ${i} is not in [0, ${classes})`);
    if (p === -1) continue;
    if (!Number.isInteger(p) || p < 0 || p >= classes) throw new RangeError(`confusionMatrix: prediction ${p} at row ${i} is not in [0, ${classes})`);
    matrix[a][p]++;
  }
  return matrix;
}

function checkMatrix(matrix: number[][], classNames?: readonly string[]): string[] {
  if (!Array.isArray(matrix)) throw new TypeError('confusion matrix must be an array of rows of counts');
  const n = matrix.length;
  if (n === 0 || matrix.some((row) => !Array.isArray(row) || row.length !== n)) throw new RangeError('confusion matrix must be square with at least one class');
  matrix.forEach((row, i) => row.forEach((v, j) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`confusion matrix: count [${i}][${j}] = ${v} is not a finite number >= 0`);
  }));
  if (classNames !== undefined && classNames.length !== n) {
    throw new RangeError(`${classNames.length} class names for a ${n}x${n} confusion matrix`);
  }
  return classNames ? [...classNames] : matrix.map((_, i) => String(i));
}

/** Each count's share of its row (0 for an empty row), scaled by the row's largest count so no sum overflows. */
function rowShares(row: number[]): number[] {
  const largest = Math.max(...row);
  if (largest === 0) return row.map(() => 0);
  const total = row.reduce((s, v) => s + v / largest, 0);
  return row.map((v) => v / largest / total);
}

/** "accuracy 89.22% (91 of 102)", with the ratio taken on scaled counts (no overflow). */
function accuracyLine(matrix: number[][]): string {
  const largest = Math.max(...matrix.flat());
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  const correct = matrix.reduce((s, row, i) => s + row[i], 0);
  if (largest === 0) return `accuracy - (${correct} of ${total})`;
  const scaledTotal = matrix.flat().reduce((a, b) => a + b / largest, 0);
  const scaledCorrect = matrix.reduce((s, row, i) => s + row[i] / largest, 0);
  return `accuracy ${((100 * scaledCorrect) / scaledTotal).toFixed(2)}% (${correct} of ${total})`;
}

/** A plain-text table with a recall column (correct / all of that class) and the overall accuracy. */
export function confusionMatrixText(matrix: number[][], classNames?: readonly string[]): string {
  const names = checkMatrix(matrix, classNames);
  const cellWidth = Math.max(5, ...matrix.flat().map((v) => String(v).length)) + 1;
  const rowLabels = names.map((s, i) => (s === String(i) ? s : `${i} ${s}`));
  const nameWidth = Math.max(6, ...rowLabels.map((s) => s.length));
  const header = 'actual \\ predicted';
  const lines: string[] = [header];
  lines.push(' '.repeat(nameWidth) + names.map((_, i) => String(i).padStart(cellWidth)).join('') + '  recall');
  matrix.forEach((row, i) => {
    const recall = row.some((v) => v > 0) ? `${(100 * rowShares(row)[i]).toFixed(1)}%` : '-';
    lines.push(rowLabels[i].padEnd(nameWidth) + row.map((v) => String(v).padStart(cellWidth)).join('') + recall.padStart(8));
  });
  lines.push('', accuracyLine(matrix));
  return lines.join('\n') + '\n';
}

// Correct predictions blue, on a linear scale of the share of the actual class (0 to 100%). Confusions red,
// linear up to CONFUSED_FULL of the row and full beyond: a 3% confusion is plainly visible, while a count of
// 1 or 2 in a row of hundreds stays a faint tint (and every cell has its number written in it).
const CORRECT_RGB = '78,121,167';
const CONFUSED_RGB = '225,87,89';
const CONFUSED_FULL = 0.1;
const shadeAlpha = (share: number, v: number, correct: boolean) => (v > 0 ? 0.04 + 0.86 * Math.min(1, correct ? share : share / CONFUSED_FULL) : 0);

/** A heat map: each cell shaded by its share of the true class's row, with the count written in it, and a colour key. */
export function confusionMatrixSvg(matrix: number[][], classNames?: readonly string[], title = 'Confusion matrix'): string {
  const names = checkMatrix(matrix, classNames);
  const n = names.length;
  const cell = Math.max(28, Math.min(48, Math.floor(480 / n)));
  // Columns show class numbers (names do not fit); rows show the names with their numbers.
  const rowLabels = names.map((s, i) => (s === String(i) ? s : `${s} (${i})`));
  const labelWidth = Math.min(160, 12 + 7 * Math.max(...rowLabels.map((s) => s.length)));
  const x0 = labelWidth + 40;
  const y0 = 70;
  const keyWidth = 200;
  const width = Math.max(x0 + n * cell + 30, x0 + keyWidth + 120);
  const height = y0 + n * cell + 110;
  const body: string[] = [text(width / 2, 24, title, { 'text-anchor': 'middle', 'font-size': 16, 'font-weight': 'bold' })];
  body.push(text(x0 + (n * cell) / 2, y0 - 26, 'predicted', { 'text-anchor': 'middle', 'font-weight': 'bold' }));
  body.push(text(14, y0 + (n * cell) / 2, 'actual', { 'text-anchor': 'middle', 'font-weight': 'bold', transform: `rotate(-90 14 ${num(y0 + (n * cell) / 2)})` }));
  matrix.forEach((row, i) => {
    const shares = rowShares(row);
    body.push(text(x0 - 6, y0 + i * cell + cell / 2 + 4, rowLabels[i], { 'text-anchor': 'end' }));
    row.forEach((v, j) => {
      const alpha = shadeAlpha(shares[j], v, i === j);
      const x = x0 + j * cell;
      const y = y0 + i * cell;
      body.push(el('rect', { class: 'cell', 'data-actual': i, 'data-predicted': j, x, y, width: cell, height: cell, fill: `rgba(${i === j ? CORRECT_RGB : CONFUSED_RGB},${num(alpha)})`, stroke: '#ccc' }, el('title', {}, escapeXml(`actual ${names[i]}, predicted ${names[j]}: ${v} (${(100 * shares[j]).toFixed(1)}% of actual ${names[i]})`))));
      body.push(text(x + cell / 2, y + cell / 2 + 4, String(v), { 'text-anchor': 'middle', 'font-size': cell < 36 ? 10 : 12, fill: alpha > 0.55 ? '#fff' : v === 0 ? '#bbb' : '#222' }));
    });
  });
  names.forEach((_, j) => body.push(text(x0 + j * cell + cell / 2, y0 - 8, String(j), { 'text-anchor': 'middle' })));
  body.push(text(x0 + (n * cell) / 2, y0 + n * cell + 26, accuracyLine(matrix), { 'text-anchor': 'middle' }));

  // The key: the two colour ramps against the share of the actual class.
  const keyY = y0 + n * cell + 48;
  const ramps = [
    { id: 'key-correct', rgb: CORRECT_RGB, label: 'correct', top: '100%' },
    { id: 'key-confused', rgb: CONFUSED_RGB, label: 'confused', top: `${CONFUSED_FULL * 100}% or more` },
  ];
  body.push(el('defs', {}, ramps.map(({ id, rgb }) => el('linearGradient', { id, x1: 0, x2: 1, y1: 0, y2: 0 }, [
    el('stop', { offset: 0, 'stop-color': `rgb(${rgb})`, 'stop-opacity': shadeAlpha(0, 1, true) }),
    el('stop', { offset: 1, 'stop-color': `rgb(${rgb})`, 'stop-opacity': shadeAlpha(1, 1, true) }),
  ]))));
  body.push(text(x0, keyY, 'shade: share of the actual class', { fill: '#444', 'font-size': 11 }));
  ramps.forEach(({ id, label, top }, r) => {
    const y = keyY + 8 + r * 22;
    body.push(text(x0 - 6, y + 11, label, { 'text-anchor': 'end', fill: '#444', 'font-size': 11 }));
    body.push(text(x0 + 4, y + 11, '0%', { fill: '#444', 'font-size': 10 }));
    body.push(el('rect', { class: 'key', x: x0 + 24, y, width: keyWidth, height: 14, fill: `url(#${id})`, stroke: '#999' }));
    body.push(text(x0 + keyWidth + 30, y + 11, top, { fill: '#444', 'font-size': 10 }));
  });
  return document(width, height, title, body);
}
