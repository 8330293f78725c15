// gzip data (RFC 1952) inflated by the wasm kernels of assembly/inflate.ts inside the linear memory: the
// member headers and trailers are read here, the deflate streams and CRC-32 run in wasm. Members follow
// one another as node:zlib's gunzip reads them: after a member, a zero byte ends the data (padding) and
// anything else must be the next member.
import { setImmediate } from 'node:timers';
import { heapU8 } from '../backend/allocator.js';
import { kernels } from '../backend/wasm.js';

/** Readable bytes the kernels need after the input (the bit buffer loads 8 bytes at a time). */
export const GUNZIP_INPUT_PADDING = 16;
/**
 * Output bytes inflated between two turns of the event loop, about 2-4 ms of work. Short slices also let the
 * kernels' optimized code take over early: V8 runs a wasm function's first calls in its baseline compiler
 * and switches only between calls.
 */
const OUTPUT_SLICE_BYTES = 1 << 20;
const ENDED = 1;
const FULL = 2;
/** inflateRun's errors, in zlib's words (zlib's inflate.c), so both paths of the loaders read alike. */
const INFLATE_ERRORS: Record<number, string> = {
  [-1]: 'unexpected end of file',
  [-2]: 'invalid block type',
  [-3]: 'invalid stored block lengths',
  [-4]: 'too many length or distance symbols',
  [-5]: 'invalid code lengths set',
  [-6]: 'invalid bit length repeat',
  [-7]: 'invalid literal/lengths set',
  [-8]: 'invalid distances set',
  [-9]: 'invalid code -- missing end-of-block',
  [-10]: 'invalid literal/length code',
  [-11]: 'invalid distance code',
  [-12]: 'invalid distance too far back',
};
// RFC 1952, 2.3.1: the member header's flags.
const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;
const FRESERVED = 0xe0;

/** The bytes of the state block `gunzipInMemory` needs: the inflater's state, then the CRC-32 tables. */
export function gunzipStateBytes(): number {
  return kernels.inflateStateBytes() + kernels.crc32TableBytes();
}

/** What `gunzipInMemory` wrote: `length` bytes, and whether the data ended there (else the output filled first). */
export interface GunzipResult {
  readonly length: number;
  readonly complete: boolean;
}

function corrupt(file: string, message: string): Error {
  return new Error(`${file}: corrupt gzip data: ${message}`);
}

/** The offset of the deflate data of the member at `start`, after its header; throws if the header is bad. */
function memberDataStart(start: number, end: number, crcTables: number, file: string): number {
  const bytes = heapU8();
  let at = start;
  const need = (n: number): void => {
    if (at + n > end) throw corrupt(file, 'unexpected end of file');
  };
  need(10);
  if (bytes[at] !== 0x1f || bytes[at + 1] !== 0x8b) throw corrupt(file, 'incorrect header check');
  if (bytes[at + 2] !== 8) throw corrupt(file, 'unknown compression method');
  const flags = bytes[at + 3];
  if (flags & FRESERVED) throw corrupt(file, 'unknown header flags set');
  at += 10;
  if (flags & FEXTRA) {
    need(2);
    at += 2 + (bytes[at] | (bytes[at + 1] << 8));
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (!(flags & flag)) continue;
    while (at < end && bytes[at] !== 0) at++;
    need(1);
    at++;
  }
  if (flags & FHCRC) {
    need(2);
    const headerCrc = kernels.crc32(0, start, at - start, crcTables) & 0xffff;
    if (headerCrc !== (bytes[at] | (bytes[at + 1] << 8))) throw corrupt(file, 'header crc mismatch');
    at += 2;
  }
  need(0);
  return at;
}

/**
 * Inflates the gzip data at `input` (`inputBytes` bytes, then GUNZIP_INPUT_PADDING readable bytes) into
 * `output`, at most `outputBytes` bytes, using the state block at `state` (gunzipStateBytes, 8-byte aligned),
 * all offsets in the wasm memory and none overlapping. Each complete member's CRC-32 and length are checked.
 * Yields to the event loop between slices of output. Errors name `file`.
 */
export async function gunzipInMemory(file: string, input: number, inputBytes: number, output: number, outputBytes: number, state: number): Promise<GunzipResult> {
  const end = input + inputBytes;
  const outEnd = output + outputBytes;
  let at = input;
  let out = output;
  const crcTables = state + kernels.inflateStateBytes();
  kernels.crc32Tables(crcTables);
  for (;;) {
    const data = memberDataStart(at, end, crcTables, file);
    kernels.inflateStart(state, data, end - data, out, outEnd - out);
    // The CRC follows each slice while its bytes are still in the cache.
    let crc = 0;
    let memberEnd = out;
    for (;;) {
      const status = kernels.inflateRun(state, Math.min(memberEnd + OUTPUT_SLICE_BYTES, outEnd));
      if (status === FULL) return { length: outputBytes, complete: false };
      if (status < 0) throw corrupt(file, INFLATE_ERRORS[status] ?? `inflate status ${status}`);
      const sliceEnd = kernels.inflateOutputEnd(state);
      crc = kernels.crc32(crc, memberEnd, sliceEnd - memberEnd, crcTables);
      memberEnd = sliceEnd;
      if (status === ENDED) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    // The CRC is checked as soon as its 4 bytes are there, before the length, as zlib does.
    const trailer = kernels.inflateInputEnd(state);
    const bytes = heapU8();
    // The trailer's CRC-32 and length are little-endian u32s (RFC 1952, 2.3.1), read as idx.ts reads ISIZE.
    const trailerWords = new DataView(bytes.buffer, bytes.byteOffset);
    if (trailer + 4 > end) throw corrupt(file, 'unexpected end of file');
    if (crc >>> 0 !== trailerWords.getUint32(trailer, true)) throw corrupt(file, 'incorrect data check');
    if (trailer + 8 > end) throw corrupt(file, 'unexpected end of file');
    if ((memberEnd - out) >>> 0 !== trailerWords.getUint32(trailer + 4, true)) throw corrupt(file, 'incorrect length check');
    out = memberEnd;
    at = trailer + 8;
    if (at >= end || bytes[at] === 0) return { length: out - output, complete: true };
  }
}
