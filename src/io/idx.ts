// Reader for the IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS"):
// a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one big-endian uint32 per
// dimension, then the values row-major. Files may be gzip-compressed (detected by the gzip magic 1f 8b).
// Pixels go straight from the file's bytes into a tensor in the wasm memory; no JS array of numbers is built.
import { readFile } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { Tensor } from '../tensor.js';

const gunzipAsync = promisify(gunzip);

/** IDX type codes; simdnet reads unsigned bytes (what MNIST-style images and labels use). */
const IDX_TYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};
const UNSIGNED_BYTE = 0x08;

export interface IdxFile {
  /** Sizes of the dimensions, outermost first (e.g. [60000, 28, 28]). */
  readonly dims: readonly number[];
  /** The values (unsigned bytes), row-major, exactly the product of `dims` long. */
  readonly values: Uint8Array;
}

/** Parses and checks an IDX image of unsigned bytes already in memory; `file` names it in errors. */
export function parseIdx(bytes: Uint8Array, file: string): IdxFile {
  if (bytes.length < 4) throw new Error(`${file}: not an IDX file: ${bytes.length} bytes, shorter than the 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new Error(`${file}: not an IDX file: magic number ${magic} does not start with 00 00`);
  }
  const type = bytes[2];
  const rank = bytes[3];
  if (!(type in IDX_TYPES)) throw new Error(`${file}: unknown IDX type code 0x${type.toString(16)}`);
  if (type !== UNSIGNED_BYTE) {
    throw new Error(`${file}: IDX values are ${IDX_TYPES[type]}; simdnet reads unsigned-byte IDX files (type 0x08)`);
  }
  if (rank === 0) throw new Error(`${file}: IDX header declares 0 dimensions`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new Error(`${file}: truncated IDX header: ${rank} dimensions need ${headerBytes} bytes, the file has ${bytes.length}`);
  }
  const header = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < rank; d++) {
    const size = header.getUint32(4 + 4 * d, false);
    dims.push(size);
    count *= size;
  }
  const expected = headerBytes + count;
  if (bytes.length < expected) {
    throw new Error(
      `${file}: truncated: dimensions [${dims.join(', ')}] need ${count} data bytes after the ${headerBytes}-byte header ` +
        `(${expected} in all), the file has ${bytes.length}`,
    );
  }
  if (bytes.length > expected) {
    throw new Error(
      `${file}: ${bytes.length - expected} unexpected bytes after the data of dimensions [${dims.join(', ')}] (corrupt or wrong header)`,
    );
  }
  return { dims, values: bytes.subarray(headerBytes) };
}

/** Reads an IDX file, gunzipping it when it starts with the gzip magic number. */
export async function readIdx(file: string): Promise<IdxFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw new Error(`${file}: cannot read: ${(cause as Error).message}`, { cause });
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (cause) {
      throw new Error(`${file}: corrupt gzip data: ${(cause as Error).message}`, { cause });
    }
  }
  return parseIdx(bytes, file);
}

export interface IdxReadOptions {
  /** Read only the first `limit` items. */
  limit?: number;
}

function checkLimit(limit: number | undefined, available: number): number {
  if (limit === undefined) return available;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a whole number >= 1, got ${limit}`);
  return Math.min(limit, available);
}

/**
 * Images of an IDX file ([n, rows, cols] or [n, features]) as a tensor [n, rows*cols] of pixels / 255,
 * written directly into the wasm memory.
 */
export async function loadIdxImages(file: string, options: IdxReadOptions = {}): Promise<Tensor> {
  const { dims, values } = await readIdx(file);
  return imagesToTensor(dims, values, file, options);
}

/** As `loadIdxImages`, over IDX bytes already in memory. */
export function imagesToTensor(dims: readonly number[], values: Uint8Array, file: string, options: IdxReadOptions = {}): Tensor {
  if (dims.length < 2) throw new Error(`${file}: images need at least 2 dimensions (count and pixels), the file has [${dims.join(', ')}]`);
  const features = dims.slice(1).reduce((a, b) => a * b, 1);
  if (features === 0) throw new Error(`${file}: images of dimensions [${dims.join(', ')}] have no pixels`);
  const n = checkLimit(options.limit, dims[0]);
  const x = new Tensor([n, features]);
  const data = x.data;
  // Same expression as the digits loader, so a pixel byte maps to the same float32 in every dataset.
  for (let i = 0; i < n * features; i++) data[i] = values[i] / 255;
  return x;
}

/** Labels of an IDX file (1 dimension) as class indices. */
export async function loadIdxLabels(file: string, options: IdxReadOptions = {}): Promise<Int32Array> {
  const { dims, values } = await readIdx(file);
  if (dims.length !== 1) throw new Error(`${file}: labels must have 1 dimension, the file has [${dims.join(', ')}]`);
  const n = checkLimit(options.limit, dims[0]);
  return Int32Array.from(values.subarray(0, n));
}
