// Pixel bytes to floats: image data (IDX files) arrives as bytes b and trains as float32 b / 255.

/**
 * dst[i] = f32(src[i]) / 255 for i < n. IEEE float32 division is correctly rounded, so each value equals
 * JavaScript's b / 255 (a double) rounded to float32: double rounding is exact for division when the wider
 * format has at least 2p + 2 bits (53 >= 2 * 24 + 2; Figueroa, "When is double rounding innocuous?", 1995).
 * May run in place with the bytes at the end of the float span (src == dst + 3n): each step of 16 bytes
 * writes 64 bytes that end at or before the next unread byte (64 (j + 1) <= 3n + 16 (j + 1) while
 * 16 (j + 1) <= n), and the tail writes float i before byte i + 1 is read.
 */
export function pixelsToFloats(src: usize, dst: usize, n: i32): void {
  const divisor = f32x4.splat(255);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const bytes = v128.load(src + <usize>i);
    const low = i16x8.extend_low_i8x16_u(bytes);
    const high = i16x8.extend_high_i8x16_u(bytes);
    const at = dst + (<usize>i << 2);
    v128.store(at, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(low)), divisor));
    v128.store(at, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(low)), divisor), 16);
    v128.store(at, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(high)), divisor), 32);
    v128.store(at, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(high)), divisor), 48);
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), <f32>load<u8>(src + <usize>i) / 255);
}
