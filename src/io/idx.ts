// Reader for the IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS"):
// a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one big-endian uint32 per
// dimension, then the values row-major. Files may be gzip-compressed (detected by the gzip magic 1f 8b).
// Files are streamed: chunks are read (and gunzipped) one at a time and written straight into the
// destination (a tensor in the wasm memory, an Int32Array of labels), so a load never holds the whole file
// in JavaScript memory. The length the header declares is checked before anything is allocated (for gzip,
// also against the most the compressed size can inflate to), and inflation runs only as far as the reader
// consumes (zlib's stream pauses while its output is unread), so it stops one chunk past the declared length.
// A gzipped images file, once its header is checked that way, is inflated by the wasm kernels inside the
// tensor it fills (gunzipIntoImages), without zlib's output chunks.
import type { FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { kernels, writePixels } from '../kernel-calls.js';
import { heapU8 } from '../backend/allocator.js';
import { GUNZIP_INPUT_PADDING, gunzipInMemory, gunzipStateBytes } from './gunzip.js';
import { Tensor } from '../tensor.js';
import { openRegularFile } from './safe-read.js';

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
/** The rank is one byte, so a header is at most 4 + 4 * 255 bytes. */
const MAX_HEADER_BYTES = 4 + 4 * 255;
/** Bytes read per step, through one reused buffer: large enough to amortize the async calls. */
const READ_CHUNK_BYTES = 1 << 20;
/**
 * zlib's output chunk. zlib inflates on libuv's thread pool one chunk per job, and the next job is queued
 * from the main thread when the last one is collected, so between two training steps it advances one chunk.
 * With 16 KiB chunks, a W1 fitDataset over the gzipped Fashion-MNIST files sat idle for 22-24% of its epoch
 * waiting for data; with 256 KiB, 2.5% (V8's sampling profile, one thread). Peak RSS of loading those files
 * whole (datasets.idxFolder): 297 MiB at 16 KiB, 291-317 at 256 KiB, within run-to-run noise.
 */
const GUNZIP_CHUNK_BYTES = 1 << 18;
/** RFC 1952: a gzip member is at least a 10-byte header and an 8-byte trailer (CRC32, ISIZE). */
const GZIP_MIN_BYTES = 18;
/** ISIZE is the uncompressed length modulo 2^32 (RFC 1952, section 2.3.1). */
const GZIP_ISIZE_MODULUS = 2 ** 32;
/**
 * Deflate's largest expansion: a 258-byte match coded in 2 bits (zlib's FAQ, "maximum compression ratio",
 * 1032:1). A gzip file of n bytes cannot hold more than 1032 n bytes, so a header declaring more is refused
 * before anything is inflated.
 */
const DEFLATE_MAX_RATIO = 1032;

export interface IdxFile {
  /** Sizes of the dimensions, outermost first (e.g. [60000, 28, 28]). */
  readonly dims: readonly number[];
  /** The values (unsigned bytes), row-major, exactly the product of `dims` long. */
  readonly values: Uint8Array;
}

interface IdxHeader {
  readonly dims: readonly number[];
  readonly headerBytes: number;
  /** Number of values: the product of dims. */
  readonly count: number;
}

/**
 * Checks the magic number, type, rank and dims. `prefix` is the first min(length, MAX_HEADER_BYTES) bytes
 * of the (uncompressed) IDX content, so when it is shorter than a header it is the whole content.
 */
function parseIdxHeader(prefix: Uint8Array, file: string): IdxHeader {
  if (prefix.length < 4) throw new Error(`${file}: not an IDX file: ${prefix.length} bytes, shorter than the 4-byte magic number`);
  if (prefix[0] !== 0 || prefix[1] !== 0) {
    const magic = Array.from(prefix.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new Error(`${file}: not an IDX file: magic number ${magic} does not start with 00 00`);
  }
  const type = prefix[2];
  const rank = prefix[3];
  if (!(type in IDX_TYPES)) throw new Error(`${file}: unknown IDX type code 0x${type.toString(16)}`);
  if (type !== UNSIGNED_BYTE) {
    throw new Error(`${file}: IDX values are ${IDX_TYPES[type]}; simdnet reads unsigned-byte IDX files (type 0x08)`);
  }
  if (rank === 0) throw new Error(`${file}: IDX header declares 0 dimensions`);
  const headerBytes = 4 + 4 * rank;
  if (prefix.length < headerBytes) {
    throw new Error(`${file}: truncated IDX header: ${rank} dimensions need ${headerBytes} bytes, the file has ${prefix.length}`);
  }
  const header = new DataView(prefix.buffer, prefix.byteOffset, headerBytes);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < rank; d++) {
    const size = header.getUint32(4 + 4 * d, false);
    dims.push(size);
    count *= size;
  }
  return { dims, headerBytes, count };
}

function truncatedError({ dims, headerBytes, count }: IdxHeader, length: number, file: string): Error {
  return new Error(
    `${file}: truncated: dimensions [${dims.join(', ')}] need ${count} data bytes after the ${headerBytes}-byte header ` +
      `(${headerBytes + count} in all), the file has ${length}`,
  );
}

/** `complete`: `length` is the whole content's; else the content is at least that long (reading stopped early). */
function extraBytesError({ dims, headerBytes, count }: IdxHeader, length: number, file: string, complete = true): Error {
  const extra = length - headerBytes - count;
  return new Error(`${file}: ${complete ? '' : 'at least '}${extra} unexpected bytes after the data of dimensions [${dims.join(', ')}] (corrupt or wrong header)`);
}

/** Throws unless the IDX content is exactly `length` bytes long, as its header declares. */
function checkIdxLength(header: IdxHeader, length: number, file: string, complete = true): void {
  const expected = header.headerBytes + header.count;
  if (length < expected) throw truncatedError(header, length, file);
  if (length > expected) throw extraBytesError(header, length, file, complete);
}

/** Parses and checks an IDX image of unsigned bytes already in memory; `file` names it in errors. */
export function parseIdx(bytes: Uint8Array, file: string): IdxFile {
  const header = parseIdxHeader(bytes.subarray(0, MAX_HEADER_BYTES), file);
  checkIdxLength(header, bytes.length, file);
  return { dims: header.dims, values: bytes.subarray(header.headerBytes) };
}

/** An open IDX file yielding its uncompressed bytes chunk by chunk; `unread` puts bytes back in front. */
class IdxByteStream {
  readonly #file: string;
  readonly #chunks: AsyncGenerator<Uint8Array, void, undefined>;
  readonly #pending: Uint8Array[] = [];
  /** Uncompressed bytes handed out so far, minus those put back. */
  position = 0;

  private constructor(
    file: string,
    readonly handle: FileHandle,
    /** Size of the file on disk. */
    readonly fileSize: number,
    /** For a gzip file, the uncompressed length its trailer claims (ISIZE, modulo 2^32); else undefined. */
    readonly gzipLength: number | undefined,
    readonly gzip: boolean,
  ) {
    this.#file = file;
    this.#chunks = gzip ? this.#gunzipped() : this.#raw();
  }

  static async open(file: string): Promise<IdxByteStream> {
    // A regular file only (checked before a non-blocking open, so a FIFO cannot hang it): the size is what
    // the header is checked against before allocating; pipes and devices have none.
    const { handle, size } = await openRegularFile(file, file);
    try {
      const magic = await readAt(handle, 0, Math.min(2, size));
      const gzip = magic.length === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
      let gzipLength: number | undefined;
      if (gzip && size >= GZIP_MIN_BYTES) {
        const trailer = await readAt(handle, size - 4, 4);
        gzipLength = new DataView(trailer.buffer, trailer.byteOffset, 4).getUint32(0, true);
      }
      return new IdxByteStream(file, handle, size, gzipLength, gzip);
    } catch (cause) {
      await handle.close();
      throw new Error(`${file}: cannot read: ${(cause as Error).message}`, { cause });
    }
  }

  async #readChunk(buffer: Uint8Array, position: number): Promise<number> {
    try {
      return (await this.handle.read(buffer, 0, buffer.length, position)).bytesRead;
    } catch (cause) {
      throw new Error(`${this.#file}: cannot read: ${(cause as Error).message}`, { cause });
    }
  }

  /** The raw file in steps through one reused buffer (each chunk is consumed before the next read). */
  async *#raw(): AsyncGenerator<Uint8Array, void, undefined> {
    const buffer = new Uint8Array(READ_CHUNK_BYTES);
    for (let position = 0; ; ) {
      const bytesRead = await this.#readChunk(buffer, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  }

  /**
   * The file gunzipped. The compressed bytes go through one reused buffer: it is refilled only once zlib has
   * consumed it (the write callback), so the only per-chunk garbage is zlib's output chunks.
   */
  async *#gunzipped(): AsyncGenerator<Uint8Array, void, undefined> {
    const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
    const feeding = (async () => {
      const buffer = new Uint8Array(READ_CHUNK_BYTES);
      for (let position = 0; ; ) {
        const bytesRead = await this.#readChunk(buffer, position);
        if (bytesRead === 0) return void gunzip.end();
        position += bytesRead;
        const consumed = await new Promise<boolean>((resolve, reject) => {
          // Once gunzip is destroyed (an error, or the reader stopped) the write callback may never come.
          const onClose = () => resolve(false);
          gunzip.once('close', onClose);
          gunzip.write(buffer.subarray(0, bytesRead), (e) => {
            gunzip.off('close', onClose);
            if (e) reject(e);
            else resolve(true);
          });
        });
        if (!consumed) return;
      }
    })().catch((cause: Error) => {
      if (!gunzip.destroyed) gunzip.destroy(cause);
    });
    try {
      for await (const chunk of gunzip) yield chunk as Uint8Array;
    } catch (cause) {
      if ((cause as Error).message.startsWith(`${this.#file}: `)) throw cause;
      throw new Error(`${this.#file}: corrupt gzip data: ${(cause as Error).message}`, { cause });
    } finally {
      gunzip.destroy();
      await feeding;
    }
  }

  /** Stops inflating and yields the file as stored, from its first byte, through one reused buffer. */
  async *storedBytes(): AsyncGenerator<Uint8Array, void, undefined> {
    await this.#chunks.return();
    yield* this.#raw();
  }

  /** The next chunk of uncompressed bytes (valid until the next call), or null at the end. */
  async next(): Promise<Uint8Array | null> {
    const pending = this.#pending.pop();
    const chunk = pending ?? (await this.#chunks.next()).value ?? null;
    if (chunk !== null) this.position += chunk.length;
    return chunk;
  }

  /** Puts `bytes` back to be returned by the next call of `next`. */
  unread(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#pending.push(bytes);
    this.position -= bytes.length;
  }

  /** A copy of the next min(n, remaining) bytes. */
  async readUpTo(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = await this.next();
      if (chunk === null) break;
      const take = Math.min(chunk.length, n - filled);
      out.set(chunk.subarray(0, take), filled);
      filled += take;
      this.unread(chunk.subarray(take));
    }
    return out.subarray(0, filled);
  }

  /**
   * Reads on without keeping anything, to the end or until more than `stopAfter` bytes in all were read
   * (a small gzip can inflate to gigabytes); returns the length read and whether that was the end.
   */
  async drain(stopAfter: number): Promise<{ length: number; complete: boolean }> {
    while (this.position <= stopAfter) if ((await this.next()) === null) return { length: this.position, complete: true };
    return { length: this.position, complete: false };
  }

  async close(): Promise<void> {
    await this.#chunks.return();
    await this.handle.close();
  }
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(out, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return out.subarray(0, filled);
}

/** Where the values of an IDX file go, chosen once its header is checked. */
interface IdxSink<T> {
  /** How many values to read: all of them, or fewer (a `limit`), after which reading stops. */
  readonly wanted: number;
  /** Stores `values`, the values from index `at` on. */
  write(values: Uint8Array, at: number): void;
  /** The finished result. */
  result(): T;
  /** Frees what the sink allocated (on an error). */
  dispose(): void;
  /**
   * For a gzip file: fills the sink from the stored bytes by other means than the stream, returning false
   * (before reading anything) where it cannot.
   */
  fillFromGzip?(stream: IdxByteStream, header: IdxHeader): Promise<boolean>;
}

/**
 * Streams an IDX file (raw or gzip) into the sink `prepare` makes from its checked header. The length is
 * checked before `prepare` is called: a raw file's size, a gzip file's trailer (ISIZE). When the trailer
 * disagrees (truncated or damaged gzip, several gzip members, more than 4 GiB) the file is decompressed
 * once without keeping anything to find its real length, and read again only if that length is right.
 * The data must then end exactly where the header says, unless the sink wants fewer values (it stops there).
 */
async function streamIdx<T>(file: string, prepare: (dims: readonly number[]) => IdxSink<T>): Promise<T> {
  const { stream, header } = await openCheckedIdx(file);
  try {
    return await fill(stream, header, prepare(header.dims), file);
  } finally {
    await stream.close();
  }
}

/** An open IDX stream positioned after its header, its length checked as streamIdx describes. */
async function openCheckedIdx(file: string): Promise<{ stream: IdxByteStream; header: IdxHeader }> {
  let lengthChecked = false;
  for (;;) {
    const stream = await IdxByteStream.open(file);
    try {
      const prefix = await stream.readUpTo(MAX_HEADER_BYTES);
      const header = parseIdxHeader(prefix, file);
      stream.unread(prefix.subarray(header.headerBytes));
      const expected = header.headerBytes + header.count;
      if (!stream.gzip) checkIdxLength(header, stream.fileSize, file);
      else if (expected > DEFLATE_MAX_RATIO * stream.fileSize) {
        throw new Error(
          `${file}: the header's dimensions [${header.dims.join(', ')}] declare ${expected} bytes, more than a ${stream.fileSize}-byte gzip file ` +
            `can inflate to (deflate expands at most ${DEFLATE_MAX_RATIO}:1): corrupt or wrong header`,
        );
      } else if (!lengthChecked && (expected >= GZIP_ISIZE_MODULUS || stream.gzipLength !== expected)) {
        const { length, complete } = await stream.drain(expected);
        checkIdxLength(header, length, file, complete);
        lengthChecked = true;
        await stream.close();
        continue; // The real length is right after all: read the file again, this time keeping the values.
      }
      return { stream, header };
    } catch (e) {
      await stream.close();
      throw e;
    }
  }
}

/** Whole items of an IDX file, one read's worth: `items` items of `itemBytes` bytes in `bytes`. */
export interface IdxRun {
  readonly bytes: Uint8Array;
  readonly items: number;
  readonly itemBytes: number;
}

/**
 * The items of an IDX file in runs of whole items (images' pixels, labels), read as they are consumed: the
 * file's length is checked first (as readIdx does) and nothing but the current read is kept. A run is a view
 * of the read buffer where its items lie whole in it, or one item assembled across two reads; either is
 * reused by the next step, so copy what you keep. Runs rather than single items: one async step per read
 * instead of per item (W1 through fitDataset: see bench/fit-dataset.mjs). `onHeader` sees the dims before
 * the first run (and may refuse them).
 */
export async function* idxRuns(file: string, onHeader: (dims: readonly number[]) => void = () => undefined): AsyncGenerator<IdxRun, void, undefined> {
  const { stream, header } = await openCheckedIdx(file);
  try {
    onHeader(header.dims);
    const count = header.dims[0];
    const itemBytes = count === 0 ? 0 : header.count / count;
    const item = new Uint8Array(itemBytes);
    if (itemBytes === 0 && count > 0) yield { bytes: item, items: count, itemBytes };
    let filled = 0;
    let items = itemBytes === 0 ? count : 0;
    while (items < count) {
      const chunk = await stream.next();
      if (chunk === null) throw truncatedError(header, stream.position, file);
      let at = 0;
      if (filled > 0) {
        // The end of an item that began in the previous read.
        at = Math.min(itemBytes - filled, chunk.length);
        item.set(chunk.subarray(0, at), filled);
        filled += at;
        if (filled === itemBytes) {
          filled = 0;
          items++;
          yield { bytes: item, items: 1, itemBytes };
        }
      }
      const whole = Math.min(Math.floor((chunk.length - at) / itemBytes), count - items);
      if (whole > 0) {
        const bytes = chunk.subarray(at, at + whole * itemBytes);
        at += whole * itemBytes;
        items += whole;
        yield { bytes, items: whole, itemBytes };
      }
      if (items < count && filled === 0 && at < chunk.length) {
        // The start of an item the next read ends.
        item.set(chunk.subarray(at), 0);
        filled = chunk.length - at;
        at = chunk.length;
      }
      stream.unread(chunk.subarray(at));
    }
    if ((await stream.next()) !== null) throw extraBytesError(header, stream.position, file, false);
  } finally {
    await stream.close();
  }
}

/** Copies the data after the header into `sink`, checking where the data ends; disposes the sink on error. */
async function fill<T>(stream: IdxByteStream, header: IdxHeader, sink: IdxSink<T>, file: string): Promise<T> {
  try {
    if (stream.gzip && sink.fillFromGzip && (await sink.fillFromGzip(stream, header))) return sink.result();
    for (let at = 0; at < sink.wanted; ) {
      const chunk = await stream.next();
      // Possible although the length was checked: a gzip trailer can lie, a file can shrink while it is read.
      if (chunk === null) throw truncatedError(header, stream.position, file);
      const take = Math.min(chunk.length, sink.wanted - at);
      sink.write(chunk.subarray(0, take), at);
      at += take;
      stream.unread(chunk.subarray(take));
    }
    if (sink.wanted === header.count && (await stream.next()) !== null) throw extraBytesError(header, stream.position, file, false);
    return sink.result();
  } catch (e) {
    sink.dispose();
    throw e;
  }
}

/** Reads an IDX file into memory (gunzipping it when it starts with the gzip magic), checking its length first. */
export async function readIdx(file: string): Promise<IdxFile> {
  return streamIdx(file, (dims) => {
    const values = new Uint8Array(dims.reduce((a, b) => a * b, 1));
    return {
      wanted: values.length,
      write: (chunk, at) => values.set(chunk, at),
      result: () => ({ dims, values }),
      dispose: () => undefined,
    };
  });
}

export interface IdxReadOptions {
  /** Read only the first `limit` items. */
  limit?: number;
  /** 'flat' (default): [n, rows * cols], for dense layers; 'image': [n, rows, cols, 1], channels-last images. */
  shape?: 'flat' | 'image';
}

function checkImageShape(shape: unknown): 'flat' | 'image' {
  if (shape === undefined) return 'flat';
  if (shape !== 'flat' && shape !== 'image') throw new TypeError(`shape must be 'flat' or 'image', got ${JSON.stringify(shape)}`);
  return shape;
}

function checkLimit(limit: number | undefined, available: number): number {
  if (limit === undefined) return available;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a whole number >= 1, got ${limit}`);
  return Math.min(limit, available);
}

/**
 * Images of an IDX file ([n, rows, cols] or [n, features]) as a tensor of pixels / 255, [n, rows*cols] or
 * with { shape: 'image' } [n, rows, cols, 1], streamed from the file directly into the wasm memory.
 */
export async function loadIdxImages(file: string, options: IdxReadOptions = {}): Promise<Tensor> {
  return streamIdxImages(file, options, () => undefined);
}

/** As `loadIdxImages`; `checkDims` may refuse the header before the tensor is allocated (datasets match the labels' count). */
export async function streamIdxImages(file: string, options: IdxReadOptions, checkDims: (dims: readonly number[]) => void): Promise<Tensor> {
  const layout = checkImageShape(options.shape);
  return streamIdx(file, (dims) => {
    if (dims.length < 2) throw new Error(`${file}: images need at least 2 dimensions (count and pixels), the file has [${dims.join(', ')}]`);
    const features = dims.slice(1).reduce((a, b) => a * b, 1);
    if (features === 0) throw new Error(`${file}: images of dimensions [${dims.join(', ')}] have no pixels`);
    const n = checkLimit(options.limit, dims[0]);
    checkDims(dims);
    let x: Tensor;
    try {
      x = new Tensor(layout === 'image' ? [n, ...dims.slice(1), 1] : [n, features]);
    } catch (cause) {
      throw new RangeError(`${file}: ${n} images of ${features} pixels: ${(cause as Error).message}`, { cause });
    }
    const wanted = n * features;
    return {
      wanted,
      // Converted inside the wasm memory, as fitDataset converts sn.data.idx's batches: the same float32 b / 255.
      write: (pixels, at) => writePixels(pixels, x.ptr + at * 4),
      result: () => x,
      dispose: () => x.dispose(),
      fillFromGzip: (stream, header) => gunzipIntoImages(stream, header, x, wanted, file),
    };
  });
}

/**
 * Inflates a gzip IDX file of images inside the tensor's own memory, which holds 4 bytes per wanted pixel:
 * the stored file at its start, the kernels' state after it, and the inflated content (header, then the
 * wanted pixels) at its end, where pixelsToFloats turns the bytes into floats in place. node:zlib's output
 * chunks were garbage of 25-33 MiB at the peak of loading Fashion-MNIST (bench/rss-w1.mjs: 317-320 MiB
 * from the gzipped files as Debian installs them, 305 MiB from the same files stored raw). False where the
 * stored file does not fit before the content (a `limit` of a few images), and the stream fills the tensor.
 */
async function gunzipIntoImages(stream: IdxByteStream, header: IdxHeader, x: Tensor, wanted: number, file: string): Promise<boolean> {
  const outputBytes = header.headerBytes + wanted;
  const output = x.ptr + 4 * wanted - outputBytes;
  const state = (x.ptr + stream.fileSize + GUNZIP_INPUT_PADDING + 7) & ~7;
  if (state + gunzipStateBytes() > output) return false;
  let stored = 0;
  for await (const chunk of stream.storedBytes()) {
    const take = Math.min(chunk.length, stream.fileSize - stored);
    heapU8().set(chunk.subarray(0, take), x.ptr + stored);
    stored += take;
    if (stored === stream.fileSize) break;
  }
  heapU8().fill(0, x.ptr + stored, x.ptr + stored + GUNZIP_INPUT_PADDING);
  const { length, complete } = await gunzipInMemory(file, x.ptr, stored, output, outputBytes, state);
  if (!complete && wanted === header.count) throw extraBytesError(header, length + 1, file, false);
  if (complete && wanted === header.count) checkIdxLength(header, length, file);
  if (complete && length < outputBytes) throw truncatedError(header, length, file);
  kernels.pixelsToFloats(output + header.headerBytes, x.ptr, wanted);
  return true;
}

/** Labels of an IDX file (1 dimension) as class indices, streamed from the file. */
export async function loadIdxLabels(file: string, options: IdxReadOptions = {}): Promise<Int32Array> {
  return streamIdx(file, (dims) => {
    if (dims.length !== 1) throw new Error(`${file}: labels must have 1 dimension, the file has [${dims.join(', ')}]`);
    const labels = new Int32Array(checkLimit(options.limit, dims[0]));
    return {
      wanted: labels.length,
      write: (values, at) => labels.set(values, at),
      result: () => labels,
      dispose: () => undefined,
    };
  });
}
