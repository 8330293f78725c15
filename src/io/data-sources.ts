// sn.data's file sources: IDX image/label pairs and CSV files, streamed (read as the dataset is consumed,
// never whole), one { xs, ys } element per row. Errors name the file, and for CSV the line.
import { StringDecoder } from 'node:string_decoder';
import { checkOptions } from '../nn/config.js';
import { Dataset, type Block } from './dataset.js';
import { idxItems } from './idx.js';
import { openRegularFile } from './safe-read.js';

export interface IdxDataOptions {
  /** 'flat' (default): xs is a Float32Array of rows * cols pixels / 255; 'image': { data, shape: [rows, cols, 1] }. */
  shape?: 'flat' | 'image';
  /** ys as a one-hot Float32Array of this many classes (for categoricalCrossentropy); by default the class index. */
  oneHot?: number;
}

/** One image and its label. */
export interface IdxElement {
  xs: Float32Array | Block;
  ys: number | Float32Array;
}

/**
 * Image/label pairs streamed from two IDX files (raw or gzipped, as MNIST's): pixels / 255 and the class
 * index (or one-hot). The files' item counts must agree.
 */
export function idx(imagesFile: string, labelsFile: string, options?: IdxDataOptions): Dataset<IdxElement> {
  if (typeof imagesFile !== 'string' || typeof labelsFile !== 'string') throw new TypeError('data.idx(imagesFile, labelsFile): expected two file paths');
  const opts = checkOptions(options, ['shape', 'oneHot'], 'data.idx');
  const layout = opts.shape ?? 'flat';
  if (layout !== 'flat' && layout !== 'image') throw new TypeError(`data.idx: shape must be 'flat' or 'image', got ${JSON.stringify(layout)}`);
  const classes = opts.oneHot;
  if (classes !== undefined && (!Number.isInteger(classes) || classes < 1)) throw new RangeError(`data.idx: oneHot must be a class count >= 1, got ${String(classes)}`);
  return new SourceDataset(
    () => idxRows(imagesFile, labelsFile, layout, classes, 0, true) as AsyncIterator<IdxElement>,
    (size, smallLastBatch) => idxRows(imagesFile, labelsFile, layout, classes, size, smallLastBatch),
  );
}

/**
 * The rows of an IDX pair: one element per item (`batchSize` 0), or batches of `batchSize` items written
 * straight into one block each (what data.idx(...).batch(n) reads: no per-item arrays to stack).
 */
async function* idxRows(
  imagesFile: string, labelsFile: string, layout: 'flat' | 'image', classes: number | undefined, batchSize: number, smallLastBatch: boolean,
): AsyncGenerator<IdxElement | { xs: Block; ys: Block }, void, undefined> {
    let labelCount = -1;
    let imageDims: readonly number[] = [];
    const labels = idxItems(labelsFile, (dims) => {
      if (dims.length !== 1) throw new Error(`${labelsFile}: labels must have 1 dimension, the file has [${dims.join(', ')}]`);
      labelCount = dims[0];
    });
    const images = idxItems(imagesFile, (dims) => {
      if (dims.length < 2) throw new Error(`${imagesFile}: images need at least 2 dimensions (count and pixels), the file has [${dims.join(', ')}]`);
      imageDims = dims;
    });
    try {
      const group = Math.max(1, batchSize);
      const yCols = classes ?? 1;
      let xs = new Float32Array(0);
      let ys = new Float32Array(0);
      let n = 0;
      const sampleShape = (): number[] => (layout === 'image' ? [...imageDims.slice(1), 1] : [imageDims.slice(1).reduce((a, b) => a * b, 1)]);
      const emit = (): IdxElement | { xs: Block; ys: Block } => {
        if (batchSize > 0) return { xs: { data: xs.subarray(0, n * (xs.length / group)), shape: [n, ...sampleShape()] }, ys: { data: ys.subarray(0, n * yCols), shape: classes === undefined ? [n] : [n, yCols] } };
        return { xs: layout === 'image' ? { data: xs, shape: sampleShape() } : xs, ys: classes === undefined ? ys[0] : ys };
      };
      for (let i = 0; ; i++) {
        const [label, image] = await Promise.all([labels.next(), images.next()]);
        if (i === 0 && labelCount !== imageDims[0] && labelCount >= 0 && imageDims.length > 0) {
          throw new RangeError(`${labelsFile} holds ${labelCount} labels but ${imagesFile} holds ${imageDims[0]} images`);
        }
        if (label.done || image.done) break;
        const pixels = image.value;
        if (n === 0) {
          // A new block per element or batch: what was yielded is the consumer's to keep.
          xs = new Float32Array(group * pixels.length);
          ys = new Float32Array(group * yCols);
        }
        const at = n * pixels.length;
        // Same expression as loadIdxImages, so a pixel byte maps to the same float32 in both.
        for (let p = 0; p < pixels.length; p++) xs[at + p] = pixels[p] / 255;
        const c = label.value[0];
        if (classes === undefined) ys[n] = c;
        else {
          if (c >= classes) throw new RangeError(`${labelsFile}: label ${c} of item ${i} is not below oneHot's ${classes} classes`);
          ys[n * yCols + c] = 1;
        }
        if (++n === group) {
          yield emit();
          n = 0;
        }
      }
      if (n > 0 && smallLastBatch) yield emit();
    } finally {
      await Promise.all([labels.return(), images.return()]);
    }
}

/**
 * A file source whose batch(n) is read batch by batch from the file (each batch written once into its
 * block) instead of stacking per-row elements; map/shuffle/take before batch() work on rows as usual.
 */
class SourceDataset<T, B> extends Dataset<T> {
  readonly #openBatches: (size: number, smallLastBatch: boolean) => AsyncIterator<B>;
  constructor(open: () => AsyncIterator<T>, openBatches: (size: number, smallLastBatch: boolean) => AsyncIterator<B>) {
    super(open);
    this.#openBatches = openBatches;
  }

  override batch(size: number, smallLastBatch = true): never {
    super.batch(size, smallLastBatch); // checks the arguments
    return new Dataset(() => this.#openBatches(size, smallLastBatch)) as never;
  }
}

/** A CSV column's role (tfjs's ColumnConfig, for numeric columns). */
export interface CsvColumnConfig {
  /** The column is (part of) ys. */
  isLabel?: boolean;
  /** The value of an empty field (without it, an empty field is an error). */
  default?: number;
}

export interface CsvOptions {
  /** The first line names the columns (default true, as tfjs). */
  hasHeader?: boolean;
  /** Column names (required without a header; with one, they replace it). */
  columnNames?: string[];
  /** Per-column settings by name: { isLabel, default }. */
  columnConfigs?: Record<string, CsvColumnConfig>;
  /** Read only the columns named in columnConfigs (default false: every column). */
  configuredColumnsOnly?: boolean;
  /** Shorthand for columnConfigs: { [label]: { isLabel: true } }: the label column's name. */
  label?: string;
  /** Field separator (default ','). */
  delimiter?: string;
}

/** One CSV row: the feature columns, and the label column(s) (a number for one, a Float32Array for several; none without labels). */
export interface CsvElement {
  xs: Float32Array;
  ys?: number | Float32Array;
}

/** Bytes read per step (one reused buffer). */
const CSV_CHUNK_BYTES = 1 << 16;
/** A line longer than this is an error (a binary file, or a missing newline), not something to buffer without bound. */
const MAX_CSV_LINE_CHARS = 1 << 24;

/** The lines of a text file, read in chunks through one buffer, with their 1-based line numbers. */
async function* lines(file: string): AsyncGenerator<{ text: string; line: number }, void, undefined> {
  const { handle } = await openRegularFile(file, file);
  try {
    const buffer = new Uint8Array(CSV_CHUNK_BYTES);
    const decoder = new StringDecoder('utf8');
    let rest = '';
    let line = 0;
    for (let position = 0; ; ) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      position += bytesRead;
      const text = bytesRead === 0 ? rest + decoder.end() : rest + decoder.write(Buffer.from(buffer.buffer, 0, bytesRead));
      const parts = text.split('\n');
      rest = bytesRead === 0 ? '' : parts.pop()!;
      if (rest.length > MAX_CSV_LINE_CHARS) throw new RangeError(`${file}:${line + 1}: a line longer than ${MAX_CSV_LINE_CHARS} characters; refused`);
      for (const p of parts) {
        line++;
        yield { text: p.endsWith('\r') ? p.slice(0, -1) : p, line };
      }
      if (bytesRead === 0) return;
    }
  } finally {
    await handle.close();
  }
}

/** The fields of one line (RFC 4180 quotes: "a,b" and "" inside quotes). */
function splitFields(text: string, delimiter: string, where: string): string[] {
  if (!text.includes('"')) return text.split(delimiter);
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (text.startsWith(delimiter, i)) {
      fields.push(field);
      field = '';
      i += delimiter.length - 1;
    } else field += ch;
  }
  if (quoted) throw new RangeError(`${where}: a quoted field is not closed (fields spanning lines are not supported)`);
  fields.push(field);
  return fields;
}

/**
 * Rows of a CSV file of numbers, streamed: { xs: the feature columns, ys: the label column(s) }. Blank lines
 * are skipped; a row with another field count, or a field that is not a number (and has no default), is an
 * error naming the file and line.
 */
export function csv(file: string, options?: CsvOptions): Dataset<CsvElement> {
  if (typeof file !== 'string' || file === '') throw new TypeError('data.csv(file): expected a file path');
  const opts = checkOptions(options, ['hasHeader', 'columnNames', 'columnConfigs', 'configuredColumnsOnly', 'label', 'delimiter'], 'data.csv');
  const delimiter = opts.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter === '' || delimiter.includes('"') || delimiter.includes('\n')) {
    throw new TypeError(`data.csv: delimiter must be a non-empty string without quotes or newlines, got ${JSON.stringify(delimiter)}`);
  }
  const hasHeader = opts.hasHeader ?? true;
  if (typeof hasHeader !== 'boolean') throw new TypeError(`data.csv: hasHeader must be true or false, got ${String(hasHeader)}`);
  const configs: Record<string, CsvColumnConfig> = { ...(opts.columnConfigs ?? {}) };
  for (const [name, c] of Object.entries(configs)) checkOptions(c, ['isLabel', 'default'], `data.csv: columnConfigs.${name}`);
  if (opts.label !== undefined) {
    if (typeof opts.label !== 'string') throw new TypeError(`data.csv: label must be a column name, got ${String(opts.label)}`);
    configs[opts.label] = { ...configs[opts.label], isLabel: true };
  }
  if (!hasHeader && opts.columnNames === undefined) throw new TypeError(`data.csv: ${file} has no header (hasHeader: false), so columnNames must name the columns`);
  return new Dataset(async function* () {
    let names = opts.columnNames;
    let headerPending = hasHeader;
    let features: number[] = [];
    let labels: number[] = [];
    let defaults: (number | undefined)[] = [];
    const plan = (header: string[], where: string): void => {
      for (const name of Object.keys(configs)) {
        if (!header.includes(name)) throw new RangeError(`${where}: columnConfigs names column '${name}', which is not among the columns ${header.join(', ')}`);
      }
      const used = header.map((_, i) => i).filter((i) => !opts.configuredColumnsOnly || header[i] in configs);
      labels = used.filter((i) => configs[header[i]]?.isLabel === true);
      features = used.filter((i) => configs[header[i]]?.isLabel !== true);
      defaults = header.map((n) => configs[n]?.default);
      if (features.length === 0) throw new RangeError(`${where}: no feature columns (every column used is a label)`);
    };
    if (!hasHeader) plan(names!, file);
    for await (const { text, line } of lines(file)) {
      const where = `${file}:${line}`;
      if (text.trim() === '') continue;
      const fields = splitFields(text, delimiter, where);
      if (headerPending) {
        headerPending = false;
        names ??= fields.map((f) => f.trim());
        plan(names, where);
        continue;
      }
      const cols = names!;
      if (fields.length !== cols.length) throw new RangeError(`${where}: ${fields.length} fields, the header has ${cols.length} (${cols.join(', ')})`);
      const value = (i: number): number => {
        const f = fields[i].trim();
        if (f === '') {
          if (defaults[i] !== undefined) return defaults[i]!;
          throw new RangeError(`${where}: column '${cols[i]}' is empty (give columnConfigs.${cols[i]}.default)`);
        }
        const v = Number(f);
        if (!Number.isFinite(v)) throw new RangeError(`${where}: column '${cols[i]}' is ${JSON.stringify(fields[i])}, not a finite number`);
        return v;
      };
      const xs = new Float32Array(features.length);
      for (let k = 0; k < features.length; k++) xs[k] = value(features[k]);
      if (labels.length === 0) {
        yield { xs };
        continue;
      }
      let ys: number | Float32Array;
      if (labels.length === 1) ys = value(labels[0]);
      else {
        ys = new Float32Array(labels.length);
        for (let k = 0; k < labels.length; k++) ys[k] = value(labels[k]);
      }
      yield { xs, ys };
    }
  });
}
