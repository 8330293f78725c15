// Inflate (RFC 1951) and CRC-32 (RFC 1952): gzip files inflated straight into the linear memory, where the
// IDX loaders want their bytes, with no zlib output buffers in between (25-33 MiB of garbage at the peak of
// loading Fashion-MNIST through node:zlib). The whole input and output are in memory, so a match copies from
// the output itself and there is no window. Decoding pauses at a symbol boundary once the output passes a
// limit and resumes from its state block, so the caller can yield to its event loop between slices.
// Codes decode through a 2^10-entry table for codes of up to 10 bits and, for longer (rare) ones, the
// canonical walk of Mark Adler's puff (zlib/contrib/puff/puff.c).

const FAST_BITS = 10;
const FAST_MASK: u64 = (1 << FAST_BITS) - 1;
const MAX_BITS = 15;

// A code: count[len] (u16 x 16), its symbols ordered by length then value (u16 x 288), and the fast table,
// indexed by the next 10 input bits: (symbol << 4) | length, 0 where the code is longer (or unused).
const COUNT = 0;
const SYMBOL = 32;
const FAST = SYMBOL + 288 * 2;
const CODE_BYTES = FAST + (1 << FAST_BITS) * 2;

// The state block (the caller's, 8-byte aligned).
const IN = 0; // next input byte the bit buffer has not loaded
const IN_END = 4;
const OUT_START = 8; // matches may not reach before it
const OUT = 12; // next output byte
const OUT_END = 16;
const BIT_COUNT = 20; // valid bits in BITS
const PHASE = 24;
const LAST = 28; // the current block is the stream's last
const BITS = 32; // u64, least significant bit first (RFC 1951, 3.1.1)
const OFFSETS = 40; // u16 x 16: buildCode's scratch
const LIT = 72; // the literal/length code (the code-length code while a dynamic header is read)
const DIST = LIT + CODE_BYTES;
const LENGTHS = DIST + CODE_BYTES; // u8 x 320: a dynamic block's code lengths
const STATE_BYTES = LENGTHS + 320;

const PHASE_BLOCK = 0; // a block header comes next
const PHASE_CODES = 1; // inside a compressed block: its codes are in LIT and DIST
const PHASE_ENDED = 2;

// inflateRun's results; the caller names the errors with zlib's messages (src/io/gunzip.ts).
const PAUSED = 0;
const ENDED = 1;
const FULL = 2; // the output is full and the stream goes on
const RUNNING = 3;
const ERR_END_OF_INPUT = -1;
const ERR_BLOCK_TYPE = -2;
const ERR_STORED_LENGTHS = -3;
const ERR_TOO_MANY_SYMBOLS = -4;
const ERR_CODE_LENGTHS_SET = -5;
const ERR_REPEAT = -6;
const ERR_LITERAL_SET = -7;
const ERR_DISTANCE_SET = -8;
const ERR_NO_END_OF_BLOCK = -9;
const ERR_LITERAL_CODE = -10;
const ERR_DISTANCE_CODE = -11;
const ERR_TOO_FAR_BACK = -12;

// buildCode's verdicts: complete; incomplete with no code longer than 1 bit (zlib accepts that for the
// literal/length and distance codes: a single code, or none); otherwise incomplete; over-subscribed.
const COMPLETE = 0;
const INCOMPLETE_SHORT = 1;
const INCOMPLETE = 2;
const OVERSUBSCRIBED = 3;

// RFC 1951, 3.2.5: base and extra bits of length symbols 257-285 and distance symbols 0-29.
const LENGTH_BASE = memory.data<u16>([3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]);
const LENGTH_EXTRA = memory.data<u8>([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]);
const DIST_BASE = memory.data<u16>([1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]);
const DIST_EXTRA = memory.data<u8>([0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]);
// RFC 1951, 3.2.7: the order in which a dynamic block sends the code-length code's lengths.
const CODE_LENGTH_ORDER = memory.data<u8>([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);

/** Bytes of the state block inflateStart fills. */
export function inflateStateBytes(): i32 {
  return STATE_BYTES;
}

/**
 * Starts inflating the raw deflate stream at `input` (`inputBytes` bytes, followed by 16 readable bytes: the
 * bit buffer loads 8 bytes at a time and notices the end only after) into `output` (at most `outputBytes`).
 */
export function inflateStart(state: usize, input: usize, inputBytes: i32, output: usize, outputBytes: i32): void {
  store<usize>(state, input, IN);
  store<usize>(state, input + <usize>inputBytes, IN_END);
  store<usize>(state, output, OUT_START);
  store<usize>(state, output, OUT);
  store<usize>(state, output + <usize>outputBytes, OUT_END);
  store<i32>(state, 0, BIT_COUNT);
  store<i32>(state, PHASE_BLOCK, PHASE);
  store<i32>(state, 0, LAST);
  store<u64>(state, 0, BITS);
}

/** The next output byte: the end of what is inflated so far. */
export function inflateOutputEnd(state: usize): usize {
  return load<usize>(state, OUT);
}

/** Once the stream has ended: the first input byte after it (a gzip trailer). */
export function inflateInputEnd(state: usize): usize {
  return load<usize>(state, IN);
}

/**
 * Inflates until the stream ends (1), the output is full with more to come (2), or the output has gone
 * past `outputLimit` (0: call again to go on; a limit at the output's end never pauses); a negative result
 * is corrupt or truncated data (see the ERR_ constants). Writes only inside the output span, reads only the input and the 16 bytes after it.
 */
export function inflateRun(state: usize, outputLimit: usize): i32 {
  let inp = load<usize>(state, IN);
  const inEnd = load<usize>(state, IN_END);
  const outStart = load<usize>(state, OUT_START);
  let out = load<usize>(state, OUT);
  const outEnd = load<usize>(state, OUT_END);
  let bits = load<u64>(state, BITS);
  let count = load<i32>(state, BIT_COUNT);
  let phase = load<i32>(state, PHASE);
  let last = load<i32>(state, LAST);
  const lit = state + LIT;
  const dist = state + DIST;
  let status = phase == PHASE_ENDED ? ENDED : RUNNING;
  while (status == RUNNING) {
    if (phase == PHASE_BLOCK) {
      if (last) {
        // Past the last block: the stream ends at the next byte boundary (RFC 1951, 3.2.3).
        bits = 0;
        inp -= <usize>(count >> 3);
        count = 0;
        phase = PHASE_ENDED;
        status = ENDED;
        break;
      }
      if (out > outputLimit) {
        status = PAUSED;
        break;
      }
      // Refill to at least 56 bits (F. Giesen, "Reading bits in far too many ways", part 2, variant 4).
      bits |= load<u64>(inp) << <u64>count;
      inp += <usize>((63 - count) >> 3);
      count |= 56;
      if (inp > inEnd + 8) {
        status = ERR_END_OF_INPUT;
        break;
      }
      last = <i32>(bits & 1);
      const type = <i32>(bits >> 1) & 3;
      bits >>= 3;
      count -= 3;
      if (type == 0) {
        // Stored: from the next byte boundary, LEN and its complement NLEN, then LEN bytes.
        inp -= <usize>(count >> 3);
        bits = 0;
        count = 0;
        if (inp + 4 > inEnd) {
          status = ERR_END_OF_INPUT;
          break;
        }
        const length = <usize>load<u16>(inp);
        if ((length ^ 0xffff) != <usize>load<u16>(inp, 2)) {
          status = ERR_STORED_LENGTHS;
          break;
        }
        inp += 4;
        if (inp + length > inEnd) {
          status = ERR_END_OF_INPUT;
          break;
        }
        if (out + length > outEnd) {
          memory.copy(out, inp, outEnd - out);
          out = outEnd;
          status = FULL;
          break;
        }
        memory.copy(out, inp, length);
        out += length;
        inp += length;
      } else if (type == 1) {
        buildFixedCodes(state);
        phase = PHASE_CODES;
      } else if (type == 2) {
        store<usize>(state, inp, IN);
        store<u64>(state, bits, BITS);
        store<i32>(state, count, BIT_COUNT);
        const header = readDynamicHeader(state);
        inp = load<usize>(state, IN);
        bits = load<u64>(state, BITS);
        count = load<i32>(state, BIT_COUNT);
        if (header < 0) {
          status = header;
          break;
        }
        phase = PHASE_CODES;
      } else {
        status = ERR_BLOCK_TYPE;
        break;
      }
      continue;
    }
    // Inside a compressed block. One refill per symbol: a length with its extra bits and a distance with
    // its extra bits take at most 15 + 5 + 15 + 13 = 48 bits. The refill repeats the block header's: one
    // loop for both ran 2-11% slower in the same six runs.
    for (;;) {
      if (out > outputLimit) {
        status = PAUSED;
        break;
      }
      bits |= load<u64>(inp) << <u64>count;
      inp += <usize>((63 - count) >> 3);
      count |= 56;
      if (inp > inEnd + 8) {
        status = ERR_END_OF_INPUT;
        break;
      }
      let entry = <i32>load<u16>(lit + FAST + (<usize>(bits & FAST_MASK) << 1));
      if (entry == 0) entry = decodeSlow(lit, bits);
      if (entry < 0) {
        status = ERR_LITERAL_CODE;
        break;
      }
      bits >>= <u64>(entry & 15);
      count -= entry & 15;
      const symbol = entry >> 4;
      if (symbol < 256) {
        if (out >= outEnd) {
          status = FULL;
          break;
        }
        store<u8>(out, symbol);
        out++;
        // More literals from the same refill while the buffer holds a whole fast code (most of an image's
        // bytes are literals): Fashion-MNIST's train images inflated 1.04-1.23x faster than with a refill
        // per literal (six runs of one process alternating the two builds, 10 rounds each).
        while (count >= FAST_BITS) {
          const next = <i32>load<u16>(lit + FAST + (<usize>(bits & FAST_MASK) << 1));
          if (next == 0 || next >= 256 << 4 || out >= outEnd) break;
          bits >>= <u64>(next & 15);
          count -= next & 15;
          store<u8>(out, <u8>(next >> 4));
          out++;
        }
        continue;
      }
      if (symbol == 256) {
        phase = PHASE_BLOCK;
        break;
      }
      const lengthSymbol = <usize>(symbol - 257);
      if (lengthSymbol >= 29) {
        status = ERR_LITERAL_CODE;
        break;
      }
      const lengthExtra = <u64>load<u8>(LENGTH_EXTRA + lengthSymbol);
      const length = <usize>load<u16>(LENGTH_BASE + (lengthSymbol << 1)) + <usize>(bits & ((1 << lengthExtra) - 1));
      bits >>= lengthExtra;
      count -= <i32>lengthExtra;
      let distEntry = <i32>load<u16>(dist + FAST + (<usize>(bits & FAST_MASK) << 1));
      if (distEntry == 0) distEntry = decodeSlow(dist, bits);
      if (distEntry < 0 || (distEntry >> 4) >= 30) {
        status = ERR_DISTANCE_CODE;
        break;
      }
      bits >>= <u64>(distEntry & 15);
      count -= distEntry & 15;
      const distSymbol = <usize>(distEntry >> 4);
      const distExtra = <u64>load<u8>(DIST_EXTRA + distSymbol);
      const distance = <usize>load<u16>(DIST_BASE + (distSymbol << 1)) + <usize>(bits & ((1 << distExtra) - 1));
      bits >>= distExtra;
      count -= <i32>distExtra;
      if (distance > out - outStart) {
        status = ERR_TOO_FAR_BACK;
        break;
      }
      const from = out - distance;
      if (out + length > outEnd) {
        const fits = outEnd - out;
        for (let i: usize = 0; i < fits; i++) store<u8>(out + i, load<u8>(from + i));
        out = outEnd;
        status = FULL;
        break;
      }
      if (distance >= 8 && out + length + 8 <= outEnd) {
        // 8 bytes at a time: each load ends before the bytes the same step writes, and the last step may
        // write up to 7 bytes past the match, which later output overwrites.
        for (let i: usize = 0; i < length; i += 8) store<u64>(out + i, load<u64>(from + i));
      } else if (distance == 1 && out + length + 8 <= outEnd) {
        // A run of one byte (an image's background): 8 copies of it a step, past the run as above.
        const run = <u64>load<u8>(from) * 0x0101010101010101;
        for (let i: usize = 0; i < length; i += 8) store<u64>(out + i, run);
      } else {
        for (let i: usize = 0; i < length; i++) store<u8>(out + i, load<u8>(from + i));
      }
      out += length;
    }
  }
  // Bits consumed past the input's end decoded bytes that are not in the stream: it was cut short.
  if (status != ERR_END_OF_INPUT && <i64>inp * 8 - <i64>count > <i64>inEnd * 8) status = ERR_END_OF_INPUT;
  store<usize>(state, inp, IN);
  store<usize>(state, out, OUT);
  store<u64>(state, bits, BITS);
  store<i32>(state, count, BIT_COUNT);
  store<i32>(state, phase, PHASE);
  store<i32>(state, last, LAST);
  return status;
}

/** The entry (symbol << 4 | length) of the code at the start of `bits`, walking its lengths; -1 if none. */
function decodeSlow(code: usize, bits: u64): i32 {
  let value = 0;
  let first = 0;
  let index = 0;
  for (let length = 1; length <= MAX_BITS; length++) {
    value |= <i32>(bits & 1);
    bits >>= 1;
    const count = <i32>load<u16>(code + COUNT + (<usize>length << 1));
    if (value - count < first) return (<i32>load<u16>(code + SYMBOL + (<usize>(index + value - first) << 1)) << 4) | length;
    index += count;
    first = (first + count) << 1;
    value <<= 1;
  }
  return -1;
}

/** Builds the canonical code of `n` code lengths (u8 at `lengths`) into `code` (RFC 1951, 3.2.2). */
function buildCode(state: usize, code: usize, lengths: usize, n: i32): i32 {
  const offsets = state + OFFSETS;
  memory.fill(code + COUNT, 0, 32);
  let longest = 0;
  for (let s = 0; s < n; s++) {
    const length = <usize>load<u8>(lengths + <usize>s);
    store<u16>(code + COUNT + (length << 1), load<u16>(code + COUNT + (length << 1)) + 1);
    if (<i32>length > longest) longest = <i32>length;
  }
  let left = 1;
  let offset = 0;
  for (let length = 1; length <= MAX_BITS; length++) {
    const count = <i32>load<u16>(code + COUNT + (<usize>length << 1));
    left = (left << 1) - count;
    if (left < 0) return OVERSUBSCRIBED;
    store<u16>(offsets + (<usize>length << 1), offset);
    offset += count;
  }
  for (let s = 0; s < n; s++) {
    const length = <usize>load<u8>(lengths + <usize>s);
    if (length == 0) continue;
    const at = <usize>load<u16>(offsets + (length << 1));
    store<u16>(code + SYMBOL + (at << 1), s);
    store<u16>(offsets + (length << 1), at + 1);
  }
  memory.fill(code + FAST, 0, (1 << FAST_BITS) * 2);
  let value = 0;
  let index = 0;
  for (let length = 1; length <= FAST_BITS; length++) {
    const count = <i32>load<u16>(code + COUNT + (<usize>length << 1));
    for (let j = 0; j < count; j++) {
      const entry = (<i32>load<u16>(code + SYMBOL + (<usize>index << 1)) << 4) | length;
      // Codes are sent most significant bit first, the bit buffer is least significant first.
      let reversed = 0;
      for (let b = 0; b < length; b++) reversed |= ((value >> b) & 1) << (length - 1 - b);
      for (let i = reversed; i < 1 << FAST_BITS; i += 1 << length) store<u16>(code + FAST + (<usize>i << 1), entry);
      value++;
      index++;
    }
    value <<= 1;
  }
  if (left == 0) return COMPLETE;
  return longest <= 1 ? INCOMPLETE_SHORT : INCOMPLETE;
}

/** The fixed codes of RFC 1951, 3.2.6 (distance symbols 30 and 31 exist but are invalid). */
function buildFixedCodes(state: usize): void {
  const lengths = state + LENGTHS;
  memory.fill(lengths, 8, 144);
  memory.fill(lengths + 144, 9, 112);
  memory.fill(lengths + 256, 7, 24);
  memory.fill(lengths + 280, 8, 8);
  buildCode(state, state + LIT, lengths, 288);
  memory.fill(lengths, 5, 32);
  buildCode(state, state + DIST, lengths, 32);
}

/**
 * Reads a dynamic block's code lengths and builds its codes (RFC 1951, 3.2.7); 0 or an ERR_ constant, the
 * bit reader saved in the state either way (an error past the input's end is a truncation).
 */
function readDynamicHeader(state: usize): i32 {
  let inp = load<usize>(state, IN);
  const inEnd = load<usize>(state, IN_END);
  let bits = load<u64>(state, BITS);
  let count = load<i32>(state, BIT_COUNT);
  bits |= load<u64>(inp) << <u64>count;
  inp += <usize>((63 - count) >> 3);
  count |= 56;
  if (inp > inEnd + 8) return saveBits(state, inp, bits, count, ERR_END_OF_INPUT);
  const literals = <i32>(bits & 31) + 257;
  const distances = <i32>((bits >> 5) & 31) + 1;
  const codeLengths = <i32>((bits >> 10) & 15) + 4;
  bits >>= 14;
  count -= 14;
  if (literals > 286 || distances > 30) return saveBits(state, inp, bits, count, ERR_TOO_MANY_SYMBOLS);
  const lengths = state + LENGTHS;
  memory.fill(lengths, 0, 19);
  for (let i = 0; i < codeLengths; i++) {
    if (count < 3) {
      bits |= load<u64>(inp) << <u64>count;
      inp += <usize>((63 - count) >> 3);
      count |= 56;
      if (inp > inEnd + 8) return saveBits(state, inp, bits, count, ERR_END_OF_INPUT);
    }
    store<u8>(lengths + <usize>load<u8>(CODE_LENGTH_ORDER + <usize>i), <u8>(bits & 7));
    bits >>= 3;
    count -= 3;
  }
  const lit = state + LIT;
  if (buildCode(state, lit, lengths, 19) != COMPLETE) return saveBits(state, inp, bits, count, ERR_CODE_LENGTHS_SET);
  const total = literals + distances;
  for (let i = 0; i < total; ) {
    // A code-length symbol and its repeat bits: at most 7 + 7 bits.
    bits |= load<u64>(inp) << <u64>count;
    inp += <usize>((63 - count) >> 3);
    count |= 56;
    if (inp > inEnd + 8) return saveBits(state, inp, bits, count, ERR_END_OF_INPUT);
    let entry = <i32>load<u16>(lit + FAST + (<usize>(bits & FAST_MASK) << 1));
    if (entry == 0) entry = decodeSlow(lit, bits);
    if (entry < 0) return saveBits(state, inp, bits, count, ERR_CODE_LENGTHS_SET);
    bits >>= <u64>(entry & 15);
    count -= entry & 15;
    const symbol = entry >> 4;
    if (symbol < 16) {
      store<u8>(lengths + <usize>i, symbol);
      i++;
      continue;
    }
    let value: u8 = 0;
    let repeat = 0;
    if (symbol == 16) {
      if (i == 0) return saveBits(state, inp, bits, count, ERR_REPEAT);
      value = load<u8>(lengths + <usize>(i - 1));
      repeat = 3 + <i32>(bits & 3);
      bits >>= 2;
      count -= 2;
    } else if (symbol == 17) {
      repeat = 3 + <i32>(bits & 7);
      bits >>= 3;
      count -= 3;
    } else {
      repeat = 11 + <i32>(bits & 127);
      bits >>= 7;
      count -= 7;
    }
    if (i + repeat > total) return saveBits(state, inp, bits, count, ERR_REPEAT);
    memory.fill(lengths + <usize>i, value, <usize>repeat);
    i += repeat;
  }
  if (load<u8>(lengths + 256) == 0) return saveBits(state, inp, bits, count, ERR_NO_END_OF_BLOCK);
  if (buildCode(state, lit, lengths, literals) > INCOMPLETE_SHORT) return saveBits(state, inp, bits, count, ERR_LITERAL_SET);
  if (buildCode(state, state + DIST, lengths + <usize>literals, distances) > INCOMPLETE_SHORT) return saveBits(state, inp, bits, count, ERR_DISTANCE_SET);
  return saveBits(state, inp, bits, count, 0);
}

/** Stores the bit reader in the state and returns `result`: inflateRun reloads it either way. */
function saveBits(state: usize, inp: usize, bits: u64, count: i32, result: i32): i32 {
  store<usize>(state, inp, IN);
  store<u64>(state, bits, BITS);
  store<i32>(state, count, BIT_COUNT);
  return result;
}

// CRC-32 of RFC 1952 (reflected polynomial 0xEDB88320), eight bytes a step by eight tables (Intel's
// "slicing-by-8", Kounavis and Berry, 2005): table k maps a byte to its CRC followed by k zero bytes. The
// tables live in the caller's memory, not the module's static data: instantiating the module in a pool
// worker rewrites the static data of the shared memory, which zeroed tables the main thread had built.
const CRC_TABLE_BYTES = 8 * 256 * 4;

/** Bytes of the tables crc32Tables builds (4-byte aligned). */
export function crc32TableBytes(): i32 {
  return CRC_TABLE_BYTES;
}

/** Builds crc32's tables at `tables`. */
export function crc32Tables(tables: usize): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    store<u32>(tables + (<usize>n << 2), c);
  }
  for (let n: usize = 0; n < 256; n++) {
    let c = load<u32>(tables + (n << 2));
    for (let t: usize = 1; t < 8; t++) {
      c = load<u32>(tables + (<usize>(c & 255) << 2)) ^ (c >>> 8);
      store<u32>(tables + (t << 10) + (n << 2), c);
    }
  }
}

// @ts-ignore: decorator
@inline function crcTable(tables: usize, t: usize, byte: u32): u32 {
  return load<u32>(tables + (t << 10) + (<usize>(byte & 255) << 2));
}

/** The CRC-32 of `n` bytes at `data`, continuing from `crc` (0 to start), with the tables crc32Tables built. */
export function crc32(crc: u32, data: usize, n: i32, tables: usize): u32 {
  let c = ~crc;
  let p = data;
  const end = data + <usize>n;
  for (; p + 8 <= end; p += 8) {
    const low = load<u32>(p) ^ c;
    const high = load<u32>(p, 4);
    c = crcTable(tables, 7, low) ^ crcTable(tables, 6, low >>> 8) ^ crcTable(tables, 5, low >>> 16) ^ crcTable(tables, 4, low >>> 24) ^
      crcTable(tables, 3, high) ^ crcTable(tables, 2, high >>> 8) ^ crcTable(tables, 1, high >>> 16) ^ crcTable(tables, 0, high >>> 24);
  }
  for (; p < end; p++) c = crcTable(tables, 0, c ^ load<u8>(p)) ^ (c >>> 8);
  return ~c;
}
