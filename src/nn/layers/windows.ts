// What Conv2D and the pooling layers share: a kernel or pool window's size and stride given as n or
// [height, width], and TensorFlow's rule for the output length and padding of a window along one axis.

export type WindowPadding = 'valid' | 'same';

/** n or [height, width] of whole numbers >= 1, as a [height, width] pair. */
export function checkPair(value: unknown, what: string): [number, number] {
  const pair = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(pair) || pair.length !== 2 || pair.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new RangeError(`${what} must be a whole number >= 1 or a pair of them (a [height, width] pair), got ${JSON.stringify(value)}`);
  }
  return [pair[0], pair[1]];
}

/**
 * Output length and padding before, along one axis (TensorFlow's rule): 'valid' gives
 * floor((size - window) / stride) + 1 and no padding; 'same' gives ceil(size / stride), padded by
 * max((out - 1) * stride + window - size, 0) in all, floor of half before (the extra one goes after).
 */
export function windowAxis(size: number, window: number, stride: number, padding: WindowPadding): { out: number; padBefore: number } {
  if (padding === 'valid') return { out: Math.floor((size - window) / stride) + 1, padBefore: 0 };
  const out = Math.ceil(size / stride);
  return { out, padBefore: Math.floor(Math.max((out - 1) * stride + window - size, 0) / 2) };
}
