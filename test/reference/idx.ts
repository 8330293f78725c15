// Writer of the IDX format (the spec the reader in src/io/idx.ts is tested against): magic 00 00 type rank,
// one big-endian uint32 per dimension, then the values row-major.
export function idx(dims: number[], values: ArrayLike<number>, type = 0x08): Uint8Array {
  const headerBytes = 4 + 4 * dims.length;
  const out = new Uint8Array(headerBytes + values.length);
  const view = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(Uint8Array.from(values), headerBytes);
  return out;
}
