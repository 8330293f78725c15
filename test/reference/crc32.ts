// Bitwise reference of crc32 (assembly/inflate.ts): RFC 1952, section 8's update_crc, one bit at a time.
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (0xedb88320 ^ (c >>> 1)) >>> 0 : c >>> 1;
  }
  return ~c >>> 0;
}
