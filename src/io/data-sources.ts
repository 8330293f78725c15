// sn.data's file sources: IDX image/label pairs and CSV files, streamed (read as the dataset is consumed,
// never whole), one { xs, ys } element per row. Errors name the file, and for CSV the line.
import { StringDecoder } from 'node:string_decoder';
import { checkOptions } from '../nn/config.js';
import { Dataset, type Block } from './dataset.js';
import { idxRuns, type IdxRun } from './idx.js';
import { PixelBlock } from '../nn/data.js';
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
    const labels = idxRuns(labelsFile, (dims) => {
      if (dims.length !== 1) throw new Error(`${labelsFile}: labels must have 1 dimension, the file has [${dims.join(', ')}]`);
      labelCount = dims[0];
    });
    const images = idxRuns(imagesFile, (dims) => {
      if (dims.length < 2) throw new Error(`${imagesFile}: images need at least 2 dimensions (count and pixels), the file has [${dims.join(', ')}]`);
      imageDims = dims;
    });
    try {
      const group = Math.max(1, batchSize);
      const yCols = classes ?? 1;
      // A batch keeps its pixel bytes (PixelBlock: fitDataset converts them inside the wasm memory); a lone
      // element is a float array.
      let bytes = new Uint8Array(0);
      let ys = new Float32Array(0);
      let n = 0;
      const sampleShape = (): number[] => (layout === 'image' ? [...imageDims.slice(1), 1] : [imageDims.slice(1).reduce((a, b) => a * b, 1)]);
      const emit = (): IdxElement | { xs: Block; ys: Block } => {
        if (batchSize > 0) return { xs: new PixelBlock(bytes.subarray(0, n * (bytes.length / group)), [n, ...sampleShape()]), ys: { data: ys.subarray(0, n * yCols), shape: classes === undefined ? [n] : [n, yCols] } };
        const xs = new PixelBlock(bytes, sampleShape()).data;
        return { xs: layout === 'image' ? { data: xs, shape: sampleShape() } : xs, ys: classes === undefined ? ys[0] : ys };
      };
      // The current run of each file and how many of its items are used; a run is read when the last is used up.
      let labelRun: IdxRun = { bytes: new Uint8Array(0), items: 0, itemBytes: 1 };
      let imageRun: IdxRun = labelRun;
      let labelsUsed = 0;
      let imagesUsed = 0;
      for (let i = 0; ; ) {
        const needLabels = labelsUsed === labelRun.items;
        const needImages = imagesUsed === imageRun.items;
        if (needLabels || needImages) {
          const [label, image] = await Promise.all([needLabels ? labels.next() : undefined, needImages ? images.next() : undefined]);
          if (i === 0 && labelCount !== imageDims[0] && labelCount >= 0 && imageDims.length > 0) {
            throw new RangeError(`${labelsFile} holds ${labelCount} labels but ${imagesFile} holds ${imageDims[0]} images`);
          }
          if (label?.done === true || image?.done === true) break;
          if (label !== undefined) [labelRun, labelsUsed] = [label.value, 0];
          if (image !== undefined) [imageRun, imagesUsed] = [image.value, 0];
        }
        const pixels = imageRun.itemBytes;
        if (n === 0) {
          // A new block per element or batch: what was yielded is the consumer's to keep.
          bytes = new Uint8Array(group * pixels);
          ys = new Float32Array(group * yCols);
        }
        const take = Math.min(labelRun.items - labelsUsed, imageRun.items - imagesUsed, group - n);
        const source = imageRun.bytes.subarray(imagesUsed * pixels, (imagesUsed + take) * pixels);
        bytes.set(source, n * pixels);
        for (let k = 0; k < take; k++) {
          const c = labelRun.bytes[labelsUsed + k];
          if (classes === undefined) ys[n + k] = c;
          else {
            if (c >= classes) throw new RangeError(`${labelsFile}: label ${c} of item ${i + k} is not below oneHot's ${classes} classes`);
            ys[(n + k) * yCols + c] = 1;
          }
        }
        labelsUsed += take;
        imagesUsed += take;
        i += take;
        n += take;
        if (n === group) {
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

/** A CSV column's type (tfjs's ColumnConfig dtype): float32 (default), int32 (floored, as tfjs), bool (1/0/true/false), or string. */
export type CsvDtype = 'float32' | 'int32' | 'bool' | 'string';

/** A CSV column's role (tfjs's ColumnConfig). */
export interface CsvColumnConfig {
  /** The column is (part of) ys. */
  isLabel?: boolean;
  /** How the field is read (default 'float32'). A 'string' column is yielded as text, never in xs. */
  dtype?: CsvDtype;
  /** The value of an empty field (a string for a string column). Without it, an empty field is an error, except in a string feature column (''). */
  default?: number | string;
  /** An empty field is an error even in a string column (tfjs's option; numeric columns always require a value or a default). */
  required?: boolean;
}

export interface CsvOptions {
  /** The first record names the columns (default true, as tfjs). */
  hasHeader?: boolean;
  /** Column names (required without a header; with one, they replace it). */
  columnNames?: string[];
  /** Per-column settings by name: { isLabel, dtype, default, required }. */
  columnConfigs?: Record<string, CsvColumnConfig>;
  /** Read only the columns named in columnConfigs (default false: every column). */
  configuredColumnsOnly?: boolean;
  /** Shorthand for columnConfigs: { [label]: { isLabel: true } }: the label column's name. */
  label?: string;
  /** Field separator, one character (default ','). */
  delimiter?: string;
  /** Fields separated by runs of spaces and tabs, leading and trailing ones ignored (tfjs's option; not with delimiter). */
  delimWhitespace?: boolean;
  /** Bytes read per step through one reused buffer (default 65536). */
  chunkBytes?: number;
}

/**
 * One CSV row: the numeric feature columns in file order; the label column(s) (a number or string for one, a
 * Float32Array for several numeric ones, an array when several include a string; none without labels); and
 * the string feature columns by name (only when there are some).
 */
export interface CsvElement {
  xs: Float32Array;
  ys?: number | string | Float32Array | (number | string)[];
  strings?: Record<string, string>;
}

/** Bytes read per step (one reused buffer). */
const CSV_CHUNK_BYTES = 1 << 16;
/** A record longer than this is an error (a binary file, or a quote never closed), not something to buffer without bound. */
const MAX_CSV_RECORD_CHARS = 1 << 24;

const QUOTE = 34;
const LF = 10;
const CR = 13;
const TAB = 9;

/** One record of a CSV file: its fields and the line it starts on (1-based). */
interface CsvRecord {
  fields: string[];
  line: number;
  /** The record is one empty, unquoted field: a blank line. */
  blank: boolean;
}

/**
 * The records of a CSV file (RFC 4180), read in chunks of `chunkBytes` through one buffer: fields in double
 * quotes may hold the delimiter, newlines (CRLF or LF, kept as written) and doubled quotes ("" for "), and a
 * quoted field, a CRLF or a UTF-8 character may span chunks. Records end at LF or CRLF; a leading BOM is
 * dropped; the last record needs no newline. With `collapse` (delimWhitespace), runs of spaces and tabs
 * separate the fields, and leading or trailing ones are no fields.
 */
async function* csvRecords(file: string, delimiter: string, collapse: boolean, chunkBytes: number): AsyncGenerator<CsvRecord, void, undefined> {
  const { handle } = await openRegularFile(file, file);
  const delim = delimiter.charCodeAt(0);
  try {
    const buffer = new Uint8Array(chunkBytes);
    const decoder = new StringDecoder('utf8');
    let fields: string[] = [];
    let field = ''; // the current field's text from earlier chunks
    let recordChars = 0;
    // 0: at a field's start; 1: in an unquoted field; 2: in a quoted field; 3: a quote seen in a quoted field.
    let state = 0;
    let quotedField = false;
    let line = 1;
    let recordLine = 1;
    let first = true;
    const endField = (text: string): void => {
      recordChars += text.length;
      if (recordChars > MAX_CSV_RECORD_CHARS) throw new RangeError(`${file}:${recordLine}: a record longer than ${MAX_CSV_RECORD_CHARS} characters (a quote never closed?); refused`);
      fields.push(text);
    };
    const endRecord = (): CsvRecord => {
      const last = fields.length - 1;
      // CRLF: the CR ends the last unquoted field (a quoted one's CR sits between its closing quote and the LF).
      if (!quotedField && fields[last].charCodeAt(fields[last].length - 1) === CR) fields[last] = fields[last].slice(0, -1);
      const record = { fields, line: recordLine, blank: fields.length === 1 && !quotedField && fields[0].trim() === '' };
      fields = [];
      recordChars = 0;
      quotedField = false;
      recordLine = line;
      return record;
    };
    for (let position = 0; ; ) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      position += bytesRead;
      let text = bytesRead === 0 ? decoder.end() : decoder.write(Buffer.from(buffer.buffer, 0, bytesRead));
      if (first && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      let from = 0; // where the current field's text in this chunk starts
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (state === 2) {
          if (c === QUOTE) {
            field += text.slice(from, i);
            state = 3;
          } else if (c === LF) line++;
          continue;
        }
        // With delimWhitespace, a run of spaces, tabs (and a CR before the LF) is one delimiter.
        const sep = c === delim || (collapse && (c === TAB || c === CR));
        if (state === 3) {
          if (c === QUOTE) {
            // A doubled quote: one quote in the field, which goes on.
            field += '"';
            from = i + 1;
            state = 2;
          } else if (sep || c === LF) {
            endField(field);
            field = '';
            from = i + 1;
            state = 0;
            if (c === LF) {
              line++;
              yield endRecord();
            } else quotedField = false;
          } else if (c !== CR || text.charCodeAt(i + 1) !== LF && i + 1 < text.length) {
            throw new RangeError(`${file}:${line}: ${JSON.stringify(text[i])} after the closing quote of field ${fields.length + 1} (a quote inside a quoted field is written "")`);
          }
          continue;
        }
        if (c === QUOTE && state === 0) {
          state = 2;
          quotedField = true;
          from = i + 1;
        } else if (sep) {
          if (!(collapse && state === 0)) endField(field + text.slice(from, i));
          field = '';
          from = i + 1;
          state = 0;
          quotedField = false;
        } else if (c === LF) {
          // (With delimWhitespace, whitespace before the line end adds no empty field.)
          if (!(collapse && state === 0 && fields.length > 0)) endField(field + text.slice(from, i));
          field = '';
          from = i + 1;
          state = 0;
          line++;
          yield endRecord();
        } else state = 1;
      }
      if (state !== 3) field += text.slice(from);
      if (field.length + recordChars > MAX_CSV_RECORD_CHARS) throw new RangeError(`${file}:${recordLine}: a record longer than ${MAX_CSV_RECORD_CHARS} characters (a quote never closed?); refused`);
      if (bytesRead === 0) {
        if (state === 2) throw new RangeError(`${file}:${recordLine}: a quoted field in the record that starts here is still open at the end of the file`);
        if (state !== 0 || fields.length > 0 || field !== '') {
          if (!(collapse && state === 0 && fields.length > 0)) endField(field);
          yield endRecord();
        }
        return;
      }
    }
  } finally {
    await handle.close();
  }
}

const DTYPES: readonly CsvDtype[] = ['float32', 'int32', 'bool', 'string'];

function checkColumnConfig(name: string, c: CsvColumnConfig): void {
  const where = `data.csv: columnConfigs.${name}`;
  checkOptions(c, ['isLabel', 'dtype', 'default', 'required'], where);
  if (c.dtype !== undefined && !DTYPES.includes(c.dtype)) throw new TypeError(`${where}.dtype must be one of ${DTYPES.join(', ')}, got ${JSON.stringify(c.dtype)}`);
  const text = c.dtype === 'string';
  if (c.default !== undefined && (text ? typeof c.default !== 'string' : typeof c.default !== 'number' || !Number.isFinite(c.default))) {
    throw new TypeError(`${where}.default must be ${text ? 'a string (the column is dtype string)' : 'a finite number'}, got ${JSON.stringify(c.default)}`);
  }
  for (const key of ['isLabel', 'required'] as const) {
    if (c[key] !== undefined && typeof c[key] !== 'boolean') throw new TypeError(`${where}.${key} must be true or false, got ${String(c[key])}`);
  }
}

/** The value of a numeric field read as `dtype`, or an error message saying why it is none. */
function numberOf(field: string, dtype: CsvDtype): number | null {
  if (dtype === 'bool') {
    const t = field.toLowerCase();
    return t === '1' || t === 'true' ? 1 : t === '0' || t === 'false' ? 0 : null;
  }
  const v = Number(field);
  if (!Number.isFinite(v)) return null;
  return dtype === 'int32' ? Math.floor(v) : v;
}

/**
 * Rows of a CSV file, streamed: { xs: the numeric feature columns, ys: the label column(s), strings: the
 * string feature columns }. Blank lines are skipped; a row with another field count, or a numeric field that
 * is not a number (and has no default), is an error naming the file, line, row and column.
 */
export function csv(file: string, options?: CsvOptions): Dataset<CsvElement> {
  if (typeof file !== 'string' || file === '') throw new TypeError('data.csv(file): expected a file path');
  const opts = checkOptions(options, ['hasHeader', 'columnNames', 'columnConfigs', 'configuredColumnsOnly', 'label', 'delimiter', 'delimWhitespace', 'chunkBytes'], 'data.csv');
  const collapse = opts.delimWhitespace ?? false;
  if (typeof collapse !== 'boolean') throw new TypeError(`data.csv: delimWhitespace must be true or false, got ${String(collapse)}`);
  if (collapse && opts.delimiter !== undefined) throw new TypeError('data.csv: give delimiter or delimWhitespace, not both (delimWhitespace splits at runs of spaces and tabs)');
  const delimiter = collapse ? ' ' : (opts.delimiter ?? ',');
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new TypeError(`data.csv: delimiter must be one character other than a quote or a line break, got ${JSON.stringify(delimiter)}`);
  }
  const chunkBytes = opts.chunkBytes ?? CSV_CHUNK_BYTES;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw new RangeError(`data.csv: chunkBytes must be a whole number >= 1, got ${String(chunkBytes)}`);
  const hasHeader = opts.hasHeader ?? true;
  if (typeof hasHeader !== 'boolean') throw new TypeError(`data.csv: hasHeader must be true or false, got ${String(hasHeader)}`);
  const configs: Record<string, CsvColumnConfig> = { ...(opts.columnConfigs ?? {}) };
  for (const [name, c] of Object.entries(configs)) checkColumnConfig(name, c);
  if (opts.label !== undefined) {
    if (typeof opts.label !== 'string') throw new TypeError(`data.csv: label must be a column name, got ${String(opts.label)}`);
    configs[opts.label] = { ...configs[opts.label], isLabel: true };
  }
  if (!hasHeader && opts.columnNames === undefined) throw new TypeError(`data.csv: ${file} has no header (hasHeader: false), so columnNames must name the columns`);
  return new Dataset(async function* () {
    let names = opts.columnNames;
    let headerPending = hasHeader;
    let features: number[] = [];
    let texts: number[] = [];
    let labels: number[] = [];
    let dtypes: CsvDtype[] = [];
    const plan = (header: string[], where: string): void => {
      for (const name of Object.keys(configs)) {
        if (!header.includes(name)) throw new RangeError(`${where}: columnConfigs names column '${name}', which is not among the columns ${header.join(', ')}`);
      }
      const used = header.map((_, i) => i).filter((i) => !opts.configuredColumnsOnly || header[i] in configs);
      dtypes = header.map((n) => configs[n]?.dtype ?? 'float32');
      labels = used.filter((i) => configs[header[i]]?.isLabel === true);
      features = used.filter((i) => configs[header[i]]?.isLabel !== true && dtypes[i] !== 'string');
      texts = used.filter((i) => configs[header[i]]?.isLabel !== true && dtypes[i] === 'string');
      if (features.length === 0 && texts.length === 0) throw new RangeError(`${where}: no feature columns (every column used is a label)`);
    };
    if (!hasHeader) plan(names!, file);
    let row = 0;
    for await (const { fields, line, blank } of csvRecords(file, delimiter, collapse, chunkBytes)) {
      if (blank) continue;
      if (headerPending) {
        headerPending = false;
        names ??= fields.map((f) => f.trim());
        plan(names, `${file}:${line}`);
        continue;
      }
      row++;
      const where = `${file}:${line}: row ${row}`;
      const cols = names!;
      if (fields.length !== cols.length) throw new RangeError(`${where} has ${fields.length} fields, the header has ${cols.length} (${cols.join(', ')})`);
      const value = (i: number): number | string => {
        const config = configs[cols[i]];
        const text = dtypes[i] === 'string';
        const f = text ? fields[i] : fields[i].trim();
        if (f === '') {
          if (config?.default !== undefined) return config.default;
          if (text && config?.isLabel !== true && config?.required !== true) return '';
          throw new RangeError(`${where}, column '${cols[i]}' is empty (give columnConfigs.${cols[i]}.default)`);
        }
        if (text) return f;
        const v = numberOf(f, dtypes[i]);
        if (v === null) {
          throw new RangeError(
            `${where}, column '${cols[i]}' is ${JSON.stringify(fields[i])}, ` +
              (dtypes[i] === 'bool' ? 'not 1, 0, true or false (dtype bool)' : `not a finite number (give columnConfigs.${cols[i]}.dtype: 'string' to read it as text)`),
          );
        }
        return v;
      };
      const xs = new Float32Array(features.length);
      for (let k = 0; k < features.length; k++) xs[k] = value(features[k]) as number;
      const element: CsvElement = { xs };
      if (labels.length === 1) element.ys = value(labels[0]);
      else if (labels.length > 1) {
        const ys = labels.map(value);
        element.ys = ys.some((v) => typeof v === 'string') ? ys : Float32Array.from(ys as number[]);
      }
      if (texts.length > 0) {
        const strings: Record<string, string> = {};
        for (const i of texts) strings[cols[i]] = value(i) as string;
        element.strings = strings;
      }
      yield element;
    }
  });
}
