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
  const n = matrix.length;
  if (n === 0 || matrix.some((row) => row.length !== n)) throw new RangeError('confusion matrix must be square with at least one class');
  if (classNames !== undefined && classNames.length !== n) {
    throw new RangeError(`${classNames.length} class names for a ${n}x${n} confusion matrix`);
  }
  return classNames ? [...classNames] : matrix.map((_, i) => String(i));
}

/** A plain-text table with a recall column (correct / all of that class) and the overall accuracy. */
export function confusionMatrixText(matrix: number[][], classNames?: readonly string[]): string {
  const names = checkMatrix(matrix, classNames);
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  const correct = matrix.reduce((s, row, i) => s + row[i], 0);
  const cellWidth = Math.max(5, ...matrix.flat().map((v) => String(v).length)) + 1;
  const rowLabels = names.map((s, i) => (s === String(i) ? s : `${i} ${s}`));
  const nameWidth = Math.max(6, ...rowLabels.map((s) => s.length));
  const header = 'actual \\ predicted';
  const lines: string[] = [header];
  lines.push(' '.repeat(nameWidth) + names.map((_, i) => String(i).padStart(cellWidth)).join('') + '  recall');
  matrix.forEach((row, i) => {
    const count = row.reduce((a, b) => a + b, 0);
    const recall = count > 0 ? `${((100 * row[i]) / count).toFixed(1)}%` : '-';
    lines.push(rowLabels[i].padEnd(nameWidth) + row.map((v) => String(v).padStart(cellWidth)).join('') + recall.padStart(8));
  });
  lines.push('', `accuracy ${total > 0 ? ((100 * correct) / total).toFixed(2) : '-'}% (${correct} of ${total})`);
  return lines.join('\n') + '\n';
}

/** A heat map: each cell shaded by its share of the true class's row, with the count written in it. */
export function confusionMatrixSvg(matrix: number[][], classNames?: readonly string[], title = 'Confusion matrix'): string {
  const names = checkMatrix(matrix, classNames);
  const n = names.length;
  const cell = Math.max(28, Math.min(48, Math.floor(480 / n)));
  // Columns show class numbers (names do not fit); rows show the names with their numbers.
  const rowLabels = names.map((s, i) => (s === String(i) ? s : `${s} (${i})`));
  const labelWidth = Math.min(160, 12 + 7 * Math.max(...rowLabels.map((s) => s.length)));
  const x0 = labelWidth + 40;
  const y0 = 70;
  const width = x0 + n * cell + 30;
  const height = y0 + n * cell + 70;
  const body: string[] = [text(width / 2, 24, title, { 'text-anchor': 'middle', 'font-size': 16, 'font-weight': 'bold' })];
  body.push(text(x0 + (n * cell) / 2, y0 - 26, 'predicted', { 'text-anchor': 'middle', 'font-weight': 'bold' }));
  body.push(text(14, y0 + (n * cell) / 2, 'actual', { 'text-anchor': 'middle', 'font-weight': 'bold', transform: `rotate(-90 14 ${num(y0 + (n * cell) / 2)})` }));
  matrix.forEach((row, i) => {
    const count = row.reduce((a, b) => a + b, 0);
    body.push(text(x0 - 6, y0 + i * cell + cell / 2 + 4, rowLabels[i], { 'text-anchor': 'end' }));
    row.forEach((v, j) => {
      const share = count > 0 ? v / count : 0;
      // Correct predictions in blue, errors in red; the shade grows with the square root of the row's
      // share, so the few-percent confusions that matter stay visible next to a ~95% diagonal.
      const alpha = v > 0 ? 0.08 + 0.92 * Math.sqrt(share) : 0;
      const hue = i === j ? '78,121,167' : '225,87,89';
      const x = x0 + j * cell;
      const y = y0 + i * cell;
      body.push(el('rect', { class: 'cell', 'data-actual': i, 'data-predicted': j, x, y, width: cell, height: cell, fill: `rgba(${hue},${num(alpha)})`, stroke: '#ccc' }, el('title', {}, escapeXml(`actual ${names[i]}, predicted ${names[j]}: ${v}`))));
      body.push(text(x + cell / 2, y + cell / 2 + 4, String(v), { 'text-anchor': 'middle', 'font-size': cell < 36 ? 10 : 12, fill: alpha > 0.6 ? '#fff' : '#222' }));
    });
  });
  names.forEach((_, j) => body.push(text(x0 + j * cell + cell / 2, y0 - 8, String(j), { 'text-anchor': 'middle' })));
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  const correct = matrix.reduce((s, row, i) => s + row[i], 0);
  body.push(text(x0 + (n * cell) / 2, y0 + n * cell + 30, `accuracy ${total > 0 ? ((100 * correct) / total).toFixed(2) : '-'}% (${correct} of ${total})`, { 'text-anchor': 'middle' }));
  body.push(text(x0 + (n * cell) / 2, y0 + n * cell + 52, 'blue: correct, red: confused; darker = larger share of the actual class', { 'text-anchor': 'middle', fill: '#666', 'font-size': 11 }));
  return document(width, height, title, body);
}
