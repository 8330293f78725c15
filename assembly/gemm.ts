// GEMM: C = act(alpha * op(A) * op(B) + beta * C + bias), row-major f32 (ABI in README.md).
//
// Structure (after the GotoBLAS/BLIS decomposition, without its k blocking): rows of C are taken in blocks
// whose slice of A fits in L2; within a block C is swept in column panels (16, 8 or 4 columns for the
// 2x16 tile, 8 or 4 for the 6x8 one); each panel of op(B) is read either straight from B (NN, few rows) or
// from a packed copy (k rows of `width` contiguous floats), then each tile of rows runs a register-blocked
// micro-kernel over the whole k, so the accumulators never leave registers and the epilogue (alpha, beta,
// bias, activation) is applied once, on the finished tile, while it is still in registers.
//
// Register budget: V8 on x64 allocates 15 SIMD registers to wasm (xmm0-14). The plain build's 2x16 tile
// holds 8 accumulators, 4 B vectors, 2 broadcast A values and one product = 15. Fixed-width wasm SIMD has
// no FMA, so every 4 multiply-adds cost an f32x4.mul and an f32x4.add. The relaxed-SIMD build uses
// f32x4.relaxed_madd, which V8 lowers to one FMA (madd below), and a 6x8 tile (12 accumulators, see
// tile6x8PackedN). bench/peak-probe.mjs measures both instruction mixes' ceilings next to the GEMM figures.
//
// Update epilogue (`saved` != 0; beta 1, no bias, no activation): each finished element's old C is copied
// to `saved` before C is overwritten, and gemm returns 1 when a value it stored is not finite. With alpha =
// -lr and beta = 1 this is SGD applied to the weights C as their gradient op(A) op(B) is computed (fit's
// fused update of a Dense kernel): the gradient is never written, and C - lr * g has the bits of the sgd
// kernel (assembly/optim.ts).
//
// Narrow C (a few columns, as in a classifier's last layer) runs instead the dot tile (tile2x5Dot): k in the
// SIMD lanes, each element a dot product of a row of A with a packed column of op(B); see runsDotTile.
//
// Determinism: every element of C is accumulated as acc = 0; acc = madd(acc, a[i,p], b[p,j]) for
// p = 0..k-1, then scaled and finished by the same epilogue code, whichever tile, panel width or packing
// computed it. A lone last row runs the 2-row kernel with its row doubled. So splitting the m rows, or the
// n columns at panel boundaries, across calls (threads, which run the same build) gives bit-identical C.
// The dot tile sums in another order (four lane chains, then (l0 + l2) + (l1 + l3)), but whether it runs
// depends on transA, n and k alone, so row splits keep their bits; it runs for n <= 10, which the pool
// never splits by columns (that needs a panel of 8 or 16 columns per thread).
import { activation4 } from './activations';
import { activate } from './activation-dispatch.generated';
import { ACT_IDENTITY, ACT_LAST, ACT_RELU } from './activation-kinds.generated';

/**
 * The tiles the fast path computes. The relaxed (FMA) build runs 6x8 (tile6x8PackedN/T: 12 accumulators,
 * more FMAs in flight than 4 cycles of latency x 2 pipes) on 8-column panels, the plain build 2x16
 * (tile2x16PackedN/T, which measured best for mul + add) on 16-column panels. The thread pool reads them
 * through gemmRowGranule and gemmPanelWidth, so its shares hold whole tiles.
 */
const TILE_ROWS: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 2;
/** Columns per packed panel: the 2x16 tile's 16 in the plain build, the 6x8 tile's 8 in the relaxed one. */
const FULL_PANEL: i32 = ASC_FEATURE_RELAXED_SIMD ? 8 : 16;
/** Whether this build runs the 2x16 tile (the plain build) rather than the 6x8 family (the relaxed one). */
const WIDE: bool = !ASC_FEATURE_RELAXED_SIMD;
/** The 2x16 tile's panel, the widest any call packs (it sizes the pack scratch). */
const WIDE_PANEL: i32 = 16;
/** Columns of C per dot tile (tile2x5Dot): 10 accumulators, two A rows and one B vector fit V8's 15 registers. */
const DOT_COLUMNS: i32 = 5;
/**
 * The n (bit n set) for which a call with op(A) = A runs the dot tile rather than the panels, and the least k
 * for it (shorter rows leave its horizontal sums and packing too large a share). Measured per build on AMD
 * EPYC Zen 4, Node 24, one process alternating the builds, medians of 31 rounds, m = 64, k = 784, time of the
 * dot tile over the panels: relaxed (FMA) build n = 1-3: 0.89x, 4: 0.99x, 5: 0.66x, 6-8: 1.23-1.37x, 9: 0.78x,
 * 10: 0.77x, 11-12: 1.15-1.21x, 13-15: 0.97-0.98x; k = 64: 1.02x, 96: 0.91x. Plain build: n = 1-7: 0.29-0.64x,
 * 8: 1.04x, 9-10: 0.71-0.72x, 11-15: 1.02-1.06x; k = 48: 0.92x. The relaxed set leaves out the near ties (4,
 * 13-15), the dot tile's padding of n up to a multiple of 5 decides the rest.
 */
const DOT_N_SET: i32 = ASC_FEATURE_RELAXED_SIMD ? 0b110_0010_1110 : 0b110_1111_1110;
const DOT_MIN_K: i32 = ASC_FEATURE_RELAXED_SIMD ? 96 : 48;

// The current call's update epilogue, set by gemm on entry (each thread's instance has its own): the byte
// distance from an element of C to its saved copy (0: no copy), and whether a value stored was not finite.
// Globals, so that the tiles' epilogues need no more arguments. The flag is only ever set, behind a branch
// that training never takes.
let savedOffset: usize = 0;
let storedNonFinite: bool = false;

/**
 * Rows in which the thread pool cuts a GEMM's row shares: pairs, the smallest block every fast path runs
 * whole (the 6x8 kernel runs 6-, 4- and 2-row tiles). Pairs balance short splits: 64 rows on two threads
 * are 32 + 32, where whole 6-row tiles gave 30 + 34 and the larger share set the pace (W2, 784-10-10, on
 * two threads: 1.05x, paired in one process, 15 rounds).
 */
export function gemmRowGranule(): i32 {
  return 2;
}

/**
 * Columns of C in a full panel: splitting n at multiples of it keeps every panel whole. The relaxed build
 * runs the 6x8 family for transposed A too (weight gradients, A^T B with k the batch): with the update
 * epilogue taken for the whole tile (finishTile6x8), 784x128 from k = 64 measured 0.93x the time of the 2x16
 * tile with the SGD update (0.92x plain), 512x512 from k = 128 0.87x (AMD EPYC Zen 5, Node 24, one thread,
 * paired medians of 21 rounds). On the Zen 4 of earlier runs, with the 6x8 update epilogue still per row, the
 * 2x16 tile had measured 1.00-1.08x faster at 784x128 and was used for transposed A from 64 columns.
 */
export function gemmPanelWidth(): i32 {
  return FULL_PANEL;
}

/** NN calls with at least this many rows pack B: contiguous panels beat strided rows (cache sets, TLB). */
const PACK_MIN_ROWS: i32 = 8;

// @ts-ignore: decorator
@inline
function packsWholeB(m: i32, transB: i32): bool {
  // A transposed B has its columns strided in memory: packing is how the micro-kernel gets SIMD loads.
  return transB != 0 || m >= PACK_MIN_ROWS;
}

/**
 * Bytes of `pack` scratch that gemm needs for these sizes (for either transA): all of op(B) packed (n rounded
 * up to the widest panel, x k) when B is packed and m spans several row blocks, one widest panel (x k) when B
 * is packed for one block, the zero-padded last n % 4 columns (4 x k) when only those are, else 0; at least
 * the dot tile's packed columns when it may run (runsDotTile, whatever transA).
 */
export function gemmPackBytes(m: i32, n: i32, k: i32, transB: i32): i32 {
  if (m <= 0 || n <= 0 || k <= 0) return 0;
  const panels = panelPackBytes(m, n, k, transB);
  return runsDotTile(n, k) ? max(panels, dotPackBytes(n, k)) : panels;
}

/** The panels' share of gemmPackBytes (see there). */
// @ts-ignore: decorator
@inline
function panelPackBytes(m: i32, n: i32, k: i32, transB: i32): i32 {
  if (packsWholeB(m, transB)) {
    return m > rowsPerBlock(k) ? ((n + WIDE_PANEL - 1) & -WIDE_PANEL) * (k << 2) : WIDE_PANEL * (k << 2);
  }
  if ((n & 3) != 0) return k << 4;
  return 0;
}

export function gemm(
  transA: i32,
  transB: i32,
  m: i32,
  n: i32,
  k: i32,
  alpha: f32,
  a: usize,
  lda: i32,
  b: usize,
  ldb: i32,
  beta: f32,
  c: usize,
  ldc: i32,
  bias: usize,
  act: i32,
  actParam: f32,
  pack: usize,
  saved: usize,
): i32 {
  // An unknown activation, or an update epilogue with a bias, an activation or beta other than 1, traps before C is
  // touched (the TypeScript side validates names first and calls the update epilogue one way).
  if (<u32>act > <u32>ACT_LAST) unreachable();
  if (saved != 0 && (beta != 1 || bias != 0 || act != ACT_IDENTITY)) unreachable();
  if (m <= 0 || n <= 0) return 0;
  if (k < 0) k = 0;
  savedOffset = saved != 0 ? saved - c : 0;
  storedNonFinite = false;
  if (transA == 0 && runsDotTile(n, k)) gemmDot(transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, actParam, pack);
  else gemmPanels(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, actParam, pack);
  return <i32>storedNonFinite;
}

/** gemm on panels of op(B) with the register tiles (every call the dot tile does not take). */
function gemmPanels(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f32, c: usize, ldc: i32, bias: usize, act: i32, actParam: f32, pack: usize,
): void {
  // op(A)[i, p] lives at a + i * aRowStep + p * aKStep.
  const aRowStep: usize = transA != 0 ? 4 : <usize>lda << 2;
  const aKStep: usize = transA != 0 ? <usize>lda << 2 : 4;
  const cRowStep: usize = <usize>ldc << 2;
  const packAll = packsWholeB(m, transB);
  // Rows are taken in blocks whose slice of A stays in L2 while every panel of B passes over it. With
  // several blocks, the first packs all of op(B) side by side in `pack` and the others reuse it: packing
  // per block cost ~4% of a 1000x784x128 GEMM (14.6 us per 784x128 copy against 4.4 us per row).
  const blockRows = rowsPerBlock(k);
  const packOnce = packAll && m > blockRows;
  for (let i0 = 0; i0 < m; i0 += blockRows) {
    const i1 = m - i0 > blockRows ? i0 + blockRows : m;
    let j0 = 0;
    while (j0 < n) {
      const width = panelWidth(n - j0, packAll);
      const valid = n - j0 < width ? n - j0 : width;
      const packed = packAll || valid < width;
      let panel: usize;
      let panelStep: usize;
      if (packed) {
        // Each earlier panel holds its own columns x k floats, so panel j0 starts j0 * k floats in.
        panel = packOnce ? pack + <usize>j0 * (<usize>k << 2) : pack;
        if (!packOnce || i0 == 0) {
          if (transB != 0) packTransposed(b, ldb, j0, width, valid, k, panel);
          else packRows(b, ldb, j0, width, valid, k, panel);
        }
        panelStep = <usize>width << 2;
      } else {
        panel = b + (<usize>j0 << 2);
        panelStep = <usize>ldb << 2;
      }
      let cRow = c + <usize>i0 * cRowStep + (<usize>j0 << 2);
      const biasAt: usize = bias != 0 ? bias + (<usize>j0 << 2) : 0;
      let i = i0;
      // The 6x8 family runs every packed panel (8 or 4 columns), the 2x16 tile only full 16-column ones.
      if (packed && (width == FULL_PANEL || !WIDE)) {
        // The fast tiles; rows left over (fewer than the tile needs) go to the general kernels below.
        while (true) {
          const left = i1 - i;
          const a0 = a + <usize>i * aRowStep;
          if (!WIDE) {
            // 6, 4 or 2 rows (an odd last row goes to the general kernel): the row-pair guards skip the others.
            if (left < 2) break;
            const rows = left >= 6 ? 6 : left & ~1;
            if (width == 4) {
              if (transA != 0) tile6x4PackedT(a0, aKStep, rows, panel, k, cRow, cRowStep, valid, alpha, beta, biasAt, act, actParam);
              else tile6x4PackedN(a0, aRowStep, rows, panel, k, cRow, cRowStep, valid, alpha, beta, biasAt, act, actParam);
            } else if (transA != 0) tile6x8PackedT(a0, aKStep, rows, panel, k, cRow, cRowStep, valid, alpha, beta, biasAt, act, actParam);
            else tile6x8PackedN(a0, aRowStep, rows, panel, k, cRow, cRowStep, valid, alpha, beta, biasAt, act, actParam);
            i += rows;
            cRow += cRowStep * <usize>rows;
          } else {
            if (left < 2) break;
            if (transA != 0) tile2x16PackedT(a0, aKStep, panel, k, cRow, cRow + cRowStep, valid, alpha, beta, biasAt, act, actParam);
            else tile2x16PackedN(a0, a0 + aRowStep, panel, k, cRow, cRow + cRowStep, valid, alpha, beta, biasAt, act, actParam);
            i += 2;
            cRow += cRowStep << 1;
          }
        }
      }
      for (; i < i1; i += 2) {
        const a0 = a + <usize>i * aRowStep;
        const twoRows = i + 1 < i1;
        const a1 = twoRows ? a0 + aRowStep : a0;
        const c1 = twoRows ? cRow + cRowStep : 0;
        if (width == 16) tile2x16(a0, a1, aKStep, panel, panelStep, k, cRow, c1, valid, alpha, beta, biasAt, act, actParam);
        else if (width == 8) tile2x8(a0, a1, aKStep, panel, panelStep, k, cRow, c1, valid, alpha, beta, biasAt, act, actParam);
        else tile2x4(a0, a1, aKStep, panel, panelStep, k, cRow, c1, valid, alpha, beta, biasAt, act, actParam);
        cRow += cRowStep << 1;
      }
      j0 += width;
    }
  }
}

/**
 * Width of the panel that starts `left` columns before the right edge of C. Packed, 6x8 tile: 8, or 4 for a
 * right edge of 1-4 columns (tile6x4PackedN; a padded 8-column panel instead measured 1.14x slower at
 * 64x784x10 and 1.17x at 64x784x12, one thread, paired medians of 21 rounds), 5-7 padded to 8. Packed,
 * 2x16 tile: 16, a right edge wider than 8 padded to it (the unrolled tile on zeros beats the one-step 8-
 * and 4-column kernels: n = 10, plain 2x16: 17 -> 24 GFLOPS at 64x128x10, best of 30 samples). B read in
 * place (few rows): 16, 8 or 4 columns.
 */
// @ts-ignore: decorator
@inline
function panelWidth(left: i32, packAll: bool): i32 {
  if (packAll && !WIDE) return left > 4 ? 8 : 4;
  if (packAll && left > 8) return WIDE_PANEL;
  return left >= 16 ? 16 : left >= 8 ? 8 : 4;
}

/** Bytes of A a row block may span: a quarter of this machine's 1 MiB L2, leaving room for B and C. */
const BLOCK_A_BYTES: i32 = 256 << 10;

/** Rows per block for this k: whole tiles (TILE_ROWS, so tiles never straddle blocks), at least one tile. */
// @ts-ignore: decorator
@inline
function rowsPerBlock(k: i32): i32 {
  const rows = k > 0 ? BLOCK_A_BYTES / (k << 2) : BLOCK_A_BYTES;
  return rows >= TILE_ROWS ? rows - rows % TILE_ROWS : TILE_ROWS;
}

// The fast path: a 2x16 tile over a packed panel (64 bytes per k), k unrolled by 4 so that loads use
// constant offsets from a few base pointers and the pointer updates and V8's loop check are paid once per
// 4 steps (36 -> 42 GFLOPS at 64x784x128 in one run). Each step ends in its own exit test: without them
// Binaryen merges the 4 steps into one expression tree per accumulator, which keeps all 16 B vectors and 8
// broadcasts live at once and made V8 spill (26 GFLOPS).

/** Rows a0 and a1 of A (op(A) = A: consecutive k are 4 bytes apart). */
function tile2x16PackedN(
  a0: usize, a1: usize, b: usize, k: i32,
  c0: usize, c1: usize, valid: i32, alpha: f32, beta: f32, bias: usize, act: i32, actParam: f32,
): void {
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0);
  let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0);
  let x0: v128, x1: v128, b0: v128, b1: v128, b2: v128, b3: v128;
  if (k > 0) {
    const bEnd = b + (<usize>k << 6);
    while (true) {
      x0 = v128.load32_splat(a0, 0);
      x1 = v128.load32_splat(a1, 0);
      b0 = v128.load(b, 0);
      b1 = v128.load(b, 16);
      b2 = v128.load(b, 32);
      b3 = v128.load(b, 48);
      s00 = madd(s00, x0, b0);
      s01 = madd(s01, x0, b1);
      s02 = madd(s02, x0, b2);
      s03 = madd(s03, x0, b3);
      s10 = madd(s10, x1, b0);
      s11 = madd(s11, x1, b1);
      s12 = madd(s12, x1, b2);
      s13 = madd(s13, x1, b3);
      if (b + 64 == bEnd) break;
      x0 = v128.load32_splat(a0, 4);
      x1 = v128.load32_splat(a1, 4);
      b0 = v128.load(b, 64);
      b1 = v128.load(b, 80);
      b2 = v128.load(b, 96);
      b3 = v128.load(b, 112);
      s00 = madd(s00, x0, b0);
      s01 = madd(s01, x0, b1);
      s02 = madd(s02, x0, b2);
      s03 = madd(s03, x0, b3);
      s10 = madd(s10, x1, b0);
      s11 = madd(s11, x1, b1);
      s12 = madd(s12, x1, b2);
      s13 = madd(s13, x1, b3);
      if (b + 128 == bEnd) break;
      x0 = v128.load32_splat(a0, 8);
      x1 = v128.load32_splat(a1, 8);
      b0 = v128.load(b, 128);
      b1 = v128.load(b, 144);
      b2 = v128.load(b, 160);
      b3 = v128.load(b, 176);
      s00 = madd(s00, x0, b0);
      s01 = madd(s01, x0, b1);
      s02 = madd(s02, x0, b2);
      s03 = madd(s03, x0, b3);
      s10 = madd(s10, x1, b0);
      s11 = madd(s11, x1, b1);
      s12 = madd(s12, x1, b2);
      s13 = madd(s13, x1, b3);
      if (b + 192 == bEnd) break;
      x0 = v128.load32_splat(a0, 12);
      x1 = v128.load32_splat(a1, 12);
      b0 = v128.load(b, 192);
      b1 = v128.load(b, 208);
      b2 = v128.load(b, 224);
      b3 = v128.load(b, 240);
      s00 = madd(s00, x0, b0);
      s01 = madd(s01, x0, b1);
      s02 = madd(s02, x0, b2);
      s03 = madd(s03, x0, b3);
      s10 = madd(s10, x1, b0);
      s11 = madd(s11, x1, b1);
      s12 = madd(s12, x1, b2);
      s13 = madd(s13, x1, b3);
      a0 += 16;
      a1 += 16;
      b += 256;
      if (b == bEnd) break;
    }
  }
  finishTile16(s00, s01, s02, s03, s10, s11, s12, s13, c0, c1, valid, alpha, beta, bias, act, actParam);
}

/** Two adjacent columns a, a + 4 of the stored A (op(A) = A^T: consecutive k are aKStep bytes apart). */
function tile2x16PackedT(
  a: usize, aKStep: usize, b: usize, k: i32,
  c0: usize, c1: usize, valid: i32, alpha: f32, beta: f32, bias: usize, act: i32, actParam: f32,
): void {
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0);
  let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0);
  let x0: v128, x1: v128, b0: v128, b1: v128, b2: v128, b3: v128;
  let a0 = a, a1 = a + aKStep, a2 = a1 + aKStep, a3 = a2 + aKStep;
  const aStep4 = aKStep << 2;
  if (k > 0) {
    const bEnd = b + (<usize>k << 6);
    while (true) {
      x0 = v128.load32_splat(a0);
      x1 = v128.load32_splat(a0, 4);
      b0 = v128.load(b, 0);
      b1 = v128.load(b, 16);
      b2 = v128.load(b, 32);
      b3 = v128.load(b, 48);
      s00 = madd(s00, x0, b0);
      s01 = madd(s01, x0, b1);
      s02 = madd(s02, x0, b2);
      s03 = madd(s03, x0, b3);
      s10 = madd(s10, x1, b0);
      s11 = madd(s11, x1, b1);
      s12 = madd(s12, x1, b2);
      s13 = madd(s13, x1, b3);
      if (b + 64 == bEnd) break;
      x0 = v128.load32_splat(a1);
      x1 = v128.load32_splat(a1, 4);
      b0 = v128.load(b, 64);
      b1 = v128.load(b, 80);
      b2 = v128.load(b, 96);
      b3 = v128.load(b, 112);
      s00 = madd(s00, x0, b0);
      s01 = madd(s01, x0, b1);
      s02 = madd(s02, x0, b2);
      s03 = madd(s03, x0, b3);
      s10 = madd(s10, x1, b0);
      s11 = madd(s11, x1, b1);
      s12 = madd(s12, x1, b2);
      s13 = madd(s13, x1, b3);
      if (b + 128 == bEnd) break;
      x0 = v128.load32_splat(a2);
      x1 = v128.load32_splat(a2, 4);
      b0 = v128.load(b, 128);
      b1 = v128.load(b, 144);
      b2 = v128.load(b, 160);
      b3 = v128.load(b, 176);
      s00 = madd(s00, x0, b0);
      s01 = madd(s01, x0, b1);
      s02 = madd(s02, x0, b2);
      s03 = madd(s03, x0, b3);
      s10 = madd(s10, x1, b0);
      s11 = madd(s11, x1, b1);
      s12 = madd(s12, x1, b2);
      s13 = madd(s13, x1, b3);
      if (b + 192 == bEnd) break;
      x0 = v128.load32_splat(a3);
      x1 = v128.load32_splat(a3, 4);
      b0 = v128.load(b, 192);
      b1 = v128.load(b, 208);
      b2 = v128.load(b, 224);
      b3 = v128.load(b, 240);
      s00 = madd(s00, x0, b0);
      s01 = madd(s01, x0, b1);
      s02 = madd(s02, x0, b2);
      s03 = madd(s03, x0, b3);
      s10 = madd(s10, x1, b0);
      s11 = madd(s11, x1, b1);
      s12 = madd(s12, x1, b2);
      s13 = madd(s13, x1, b3);
      a0 += aStep4;
      a1 += aStep4;
      a2 += aStep4;
      a3 += aStep4;
      b += 256;
      if (b == bEnd) break;
    }
  }
  finishTile16(s00, s01, s02, s03, s10, s11, s12, s13, c0, c1, valid, alpha, beta, bias, act, actParam);
}

// The relaxed build's fast path: a 6x8 tile over a packed 8-column panel (32 bytes per k). FMA has 4 cycles
// of latency on 2 pipes, so at least 8 independent accumulators must be in flight; the 2x16 tile has exactly
// 8. 6x8 keeps 12 accumulators, 2 B vectors and one broadcast A value (v128.load32_splat): the 15 xmm
// registers V8 allocates. k is unrolled by 4, each step ending in its own exit test (as in the 2x16 kernels).
// The row-pair guards (rows > 2, rows > 4) serve the 4- and 2-row edge tiles, and are also the cheap
// branches that keep V8 from hoisting a step's broadcasts ahead of their FMAs (which needs more registers
// than there are, and spills an accumulator). Measured against 2x16 on FMA (AMD EPYC Zen 4, Node 24, one
// thread, paired medians of 31 rounds, same bits): 1.00-1.02x at 64x784x128, 1.07x at 512^3; 5x8 measured
// 0.97x and 1.03x there.

/** Rows a, a + aRowStep, ... of A (op(A) = A: consecutive k are 4 bytes apart). */
function tile6x8PackedN(
  a: usize, aRowStep: usize, rows: i32, b: usize, k: i32,
  c: usize, cRowStep: usize, valid: i32, alpha: f32, beta: f32, bias: usize, act: i32, actParam: f32,
): void {
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
  let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
  let s40 = f32x4.splat(0), s41 = f32x4.splat(0), s50 = f32x4.splat(0), s51 = f32x4.splat(0);
  let x: v128, b0: v128, b1: v128;
  let a0 = a, a1 = a + aRowStep, a2 = a1 + aRowStep, a3 = a2 + aRowStep, a4 = a3 + aRowStep, a5 = a4 + aRowStep;
  if (k > 0) {
    const bEnd = b + (<usize>k << 5);
    while (true) {
      b0 = v128.load(b, 0);
      b1 = v128.load(b, 16);
      x = v128.load32_splat(a0, 0);
      s00 = madd(s00, x, b0);
      s01 = madd(s01, x, b1);
      x = v128.load32_splat(a1, 0);
      s10 = madd(s10, x, b0);
      s11 = madd(s11, x, b1);
      if (rows > 2) {
        x = v128.load32_splat(a2, 0);
        s20 = madd(s20, x, b0);
        s21 = madd(s21, x, b1);
        x = v128.load32_splat(a3, 0);
        s30 = madd(s30, x, b0);
        s31 = madd(s31, x, b1);
        if (rows > 4) {
          x = v128.load32_splat(a4, 0);
          s40 = madd(s40, x, b0);
          s41 = madd(s41, x, b1);
          x = v128.load32_splat(a5, 0);
          s50 = madd(s50, x, b0);
          s51 = madd(s51, x, b1);
        }
      }
      if (b + 32 == bEnd) break;
      b0 = v128.load(b, 32);
      b1 = v128.load(b, 48);
      x = v128.load32_splat(a0, 4);
      s00 = madd(s00, x, b0);
      s01 = madd(s01, x, b1);
      x = v128.load32_splat(a1, 4);
      s10 = madd(s10, x, b0);
      s11 = madd(s11, x, b1);
      if (rows > 2) {
        x = v128.load32_splat(a2, 4);
        s20 = madd(s20, x, b0);
        s21 = madd(s21, x, b1);
        x = v128.load32_splat(a3, 4);
        s30 = madd(s30, x, b0);
        s31 = madd(s31, x, b1);
        if (rows > 4) {
          x = v128.load32_splat(a4, 4);
          s40 = madd(s40, x, b0);
          s41 = madd(s41, x, b1);
          x = v128.load32_splat(a5, 4);
          s50 = madd(s50, x, b0);
          s51 = madd(s51, x, b1);
        }
      }
      if (b + 64 == bEnd) break;
      b0 = v128.load(b, 64);
      b1 = v128.load(b, 80);
      x = v128.load32_splat(a0, 8);
      s00 = madd(s00, x, b0);
      s01 = madd(s01, x, b1);
      x = v128.load32_splat(a1, 8);
      s10 = madd(s10, x, b0);
      s11 = madd(s11, x, b1);
      if (rows > 2) {
        x = v128.load32_splat(a2, 8);
        s20 = madd(s20, x, b0);
        s21 = madd(s21, x, b1);
        x = v128.load32_splat(a3, 8);
        s30 = madd(s30, x, b0);
        s31 = madd(s31, x, b1);
        if (rows > 4) {
          x = v128.load32_splat(a4, 8);
          s40 = madd(s40, x, b0);
          s41 = madd(s41, x, b1);
          x = v128.load32_splat(a5, 8);
          s50 = madd(s50, x, b0);
          s51 = madd(s51, x, b1);
        }
      }
      if (b + 96 == bEnd) break;
      b0 = v128.load(b, 96);
      b1 = v128.load(b, 112);
      x = v128.load32_splat(a0, 12);
      s00 = madd(s00, x, b0);
      s01 = madd(s01, x, b1);
      x = v128.load32_splat(a1, 12);
      s10 = madd(s10, x, b0);
      s11 = madd(s11, x, b1);
      if (rows > 2) {
        x = v128.load32_splat(a2, 12);
        s20 = madd(s20, x, b0);
        s21 = madd(s21, x, b1);
        x = v128.load32_splat(a3, 12);
        s30 = madd(s30, x, b0);
        s31 = madd(s31, x, b1);
        if (rows > 4) {
          x = v128.load32_splat(a4, 12);
          s40 = madd(s40, x, b0);
          s41 = madd(s41, x, b1);
          x = v128.load32_splat(a5, 12);
          s50 = madd(s50, x, b0);
          s51 = madd(s51, x, b1);
        }
      }
      a0 += 16;
      a1 += 16;
      a2 += 16;
      a3 += 16;
      a4 += 16;
      a5 += 16;
      b += 128;
      if (b == bEnd) break;
    }
  }
  finishTile6x8(s00, s01, s10, s11, s20, s21, s30, s31, s40, s41, s50, s51, rows, c, cRowStep, valid, alpha, beta, bias, act, actParam);
}

/**
 * The 6x8 tile's right-edge twin for a last panel of 1-4 columns (a 4-column packed panel, 16 bytes per k):
 * six accumulators, one per row, so n = 10 computes 12 columns instead of 16; k unrolled by 4 with an exit
 * test per step, as in the 2x16 tile (see its comment) and the 6x8 one. Each element of C follows
 * the same madd chain and epilogue (finish4) as in the 8-column panel it replaces, so the bits are the same.
 */
function tile6x4PackedN(
  a: usize, aRowStep: usize, rows: i32, b: usize, k: i32,
  c: usize, cRowStep: usize, valid: i32, alpha: f32, beta: f32, bias: usize, act: i32, actParam: f32,
): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0), s4 = f32x4.splat(0), s5 = f32x4.splat(0);
  let x: v128, b0: v128;
  let a0 = a, a1 = a + aRowStep, a2 = a1 + aRowStep, a3 = a2 + aRowStep, a4 = a3 + aRowStep, a5 = a4 + aRowStep;
  if (k > 0) {
    const bEnd = b + (<usize>k << 4);
    while (true) {
      b0 = v128.load(b, 0);
      x = v128.load32_splat(a0, 0);
      s0 = madd(s0, x, b0);
      x = v128.load32_splat(a1, 0);
      s1 = madd(s1, x, b0);
      if (rows > 2) {
        x = v128.load32_splat(a2, 0);
        s2 = madd(s2, x, b0);
        x = v128.load32_splat(a3, 0);
        s3 = madd(s3, x, b0);
        if (rows > 4) {
          x = v128.load32_splat(a4, 0);
          s4 = madd(s4, x, b0);
          x = v128.load32_splat(a5, 0);
          s5 = madd(s5, x, b0);
        }
      }
      if (b + 16 == bEnd) break;
      b0 = v128.load(b, 16);
      x = v128.load32_splat(a0, 4);
      s0 = madd(s0, x, b0);
      x = v128.load32_splat(a1, 4);
      s1 = madd(s1, x, b0);
      if (rows > 2) {
        x = v128.load32_splat(a2, 4);
        s2 = madd(s2, x, b0);
        x = v128.load32_splat(a3, 4);
        s3 = madd(s3, x, b0);
        if (rows > 4) {
          x = v128.load32_splat(a4, 4);
          s4 = madd(s4, x, b0);
          x = v128.load32_splat(a5, 4);
          s5 = madd(s5, x, b0);
        }
      }
      if (b + 32 == bEnd) break;
      b0 = v128.load(b, 32);
      x = v128.load32_splat(a0, 8);
      s0 = madd(s0, x, b0);
      x = v128.load32_splat(a1, 8);
      s1 = madd(s1, x, b0);
      if (rows > 2) {
        x = v128.load32_splat(a2, 8);
        s2 = madd(s2, x, b0);
        x = v128.load32_splat(a3, 8);
        s3 = madd(s3, x, b0);
        if (rows > 4) {
          x = v128.load32_splat(a4, 8);
          s4 = madd(s4, x, b0);
          x = v128.load32_splat(a5, 8);
          s5 = madd(s5, x, b0);
        }
      }
      if (b + 48 == bEnd) break;
      b0 = v128.load(b, 48);
      x = v128.load32_splat(a0, 12);
      s0 = madd(s0, x, b0);
      x = v128.load32_splat(a1, 12);
      s1 = madd(s1, x, b0);
      if (rows > 2) {
        x = v128.load32_splat(a2, 12);
        s2 = madd(s2, x, b0);
        x = v128.load32_splat(a3, 12);
        s3 = madd(s3, x, b0);
        if (rows > 4) {
          x = v128.load32_splat(a4, 12);
          s4 = madd(s4, x, b0);
          x = v128.load32_splat(a5, 12);
          s5 = madd(s5, x, b0);
        }
      }
      a0 += 16;
      a1 += 16;
      a2 += 16;
      a3 += 16;
      a4 += 16;
      a5 += 16;
      b += 64;
      if (b == bEnd) break;
    }
  }
  finishTile6x4(s0, s1, s2, s3, s4, s5, rows, c, cRowStep, valid, alpha, beta, bias, act, actParam);
}

/** tile6x4PackedN for transposed A (op(A) = A^T: rows are consecutive floats, k steps aKStep bytes). */
function tile6x4PackedT(
  a: usize, aKStep: usize, rows: i32, b: usize, k: i32,
  c: usize, cRowStep: usize, valid: i32, alpha: f32, beta: f32, bias: usize, act: i32, actParam: f32,
): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0), s4 = f32x4.splat(0), s5 = f32x4.splat(0);
  let x: v128, b0: v128;
  let a0 = a, a1 = a + aKStep, a2 = a1 + aKStep, a3 = a2 + aKStep;
  const aStep4 = aKStep << 2;
  if (k > 0) {
    const bEnd = b + (<usize>k << 4);
    while (true) {
      b0 = v128.load(b, 0);
      x = v128.load32_splat(a0, 0);
      s0 = madd(s0, x, b0);
      x = v128.load32_splat(a0, 4);
      s1 = madd(s1, x, b0);
      if (rows > 2) {
        x = v128.load32_splat(a0, 8);
        s2 = madd(s2, x, b0);
        x = v128.load32_splat(a0, 12);
        s3 = madd(s3, x, b0);
        if (rows > 4) {
          x = v128.load32_splat(a0, 16);
          s4 = madd(s4, x, b0);
          x = v128.load32_splat(a0, 20);
          s5 = madd(s5, x, b0);
        }
      }
      if (b + 16 == bEnd) break;
      b0 = v128.load(b, 16);
      x = v128.load32_splat(a1, 0);
      s0 = madd(s0, x, b0);
      x = v128.load32_splat(a1, 4);
      s1 = madd(s1, x, b0);
      if (rows > 2) {
        x = v128.load32_splat(a1, 8);
        s2 = madd(s2, x, b0);
        x = v128.load32_splat(a1, 12);
        s3 = madd(s3, x, b0);
        if (rows > 4) {
          x = v128.load32_splat(a1, 16);
          s4 = madd(s4, x, b0);
          x = v128.load32_splat(a1, 20);
          s5 = madd(s5, x, b0);
        }
      }
      if (b + 32 == bEnd) break;
      b0 = v128.load(b, 32);
      x = v128.load32_splat(a2, 0);
      s0 = madd(s0, x, b0);
      x = v128.load32_splat(a2, 4);
      s1 = madd(s1, x, b0);
      if (rows > 2) {
        x = v128.load32_splat(a2, 8);
        s2 = madd(s2, x, b0);
        x = v128.load32_splat(a2, 12);
        s3 = madd(s3, x, b0);
        if (rows > 4) {
          x = v128.load32_splat(a2, 16);
          s4 = madd(s4, x, b0);
          x = v128.load32_splat(a2, 20);
          s5 = madd(s5, x, b0);
        }
      }
      if (b + 48 == bEnd) break;
      b0 = v128.load(b, 48);
      x = v128.load32_splat(a3, 0);
      s0 = madd(s0, x, b0);
      x = v128.load32_splat(a3, 4);
      s1 = madd(s1, x, b0);
      if (rows > 2) {
        x = v128.load32_splat(a3, 8);
        s2 = madd(s2, x, b0);
        x = v128.load32_splat(a3, 12);
        s3 = madd(s3, x, b0);
        if (rows > 4) {
          x = v128.load32_splat(a3, 16);
          s4 = madd(s4, x, b0);
          x = v128.load32_splat(a3, 20);
          s5 = madd(s5, x, b0);
        }
      }
      a0 += aStep4;
      a1 += aStep4;
      a2 += aStep4;
      a3 += aStep4;
      b += 64;
      if (b == bEnd) break;
    }
  }
  finishTile6x4(s0, s1, s2, s3, s4, s5, rows, c, cRowStep, valid, alpha, beta, bias, act, actParam);
}

/** Epilogue of a 6x4 tile: finish4 per row (the 6x8 tile's first four columns take the same path when valid <= 4). */
// @ts-ignore: decorator
@inline
function finishTile6x4(
  s0: v128, s1: v128, s2: v128, s3: v128, s4: v128, s5: v128,
  rows: i32, c: usize, cRowStep: usize, valid: i32, alpha: f32, beta: f32, bias: usize, act: i32, actParam: f32,
): void {
  const c1 = c + cRowStep;
  const c2 = rows > 2 ? c1 + cRowStep : 0;
  const c3 = rows > 2 ? c2 + cRowStep : 0;
  const c4 = rows > 4 ? c3 + cRowStep : 0;
  const c5 = rows > 4 ? c4 + cRowStep : 0;
  if (accumulates(beta, bias, act)) {
    // In registers, also for a right edge of 1-3 columns: through finish4, whose last columns call
    // finishPartial per row, the fused SGD step of 784x10 from k = 64 took 1.03x the time of the GEMM and the
    // sgd kernel apart.
    noteNonFinite(accumulateColumns6(s0, s1, s2, s3, s4, s5, rows, c, c1, c2, c3, c4, c5, f32x4.splat(alpha), valid < 4 ? valid : 4));
    return;
  }
  finish4(s0, c, bias, 0, valid, alpha, beta, act, actParam);
  finish4(s1, c1, bias, 0, valid, alpha, beta, act, actParam);
  finish4(s2, c2, bias, 0, valid, alpha, beta, act, actParam);
  finish4(s3, c3, bias, 0, valid, alpha, beta, act, actParam);
  finish4(s4, c4, bias, 0, valid, alpha, beta, act, actParam);
  finish4(s5, c5, bias, 0, valid, alpha, beta, act, actParam);
}

/**
 * The accumulate path (C = alpha * acc + C) of 4 columns of a 6-row tile: rows c0, c1 and, as `rows` says,
 * c2-c5, the first `lanes` (1..4) columns of each. Returns the ORed v - v of the stored lanes for
 * noteNonFinite: a padded column's lane may hold a NaN from Inf * 0, so only stored lanes count.
 */
// @ts-ignore: decorator
@inline
function accumulateColumns6(
  s0: v128, s1: v128, s2: v128, s3: v128, s4: v128, s5: v128,
  rows: i32, c0: usize, c1: usize, c2: usize, c3: usize, c4: usize, c5: usize, alpha4: v128, lanes: i32,
): v128 {
  let bad = v128.or(accumulateLanes(s0, c0, alpha4, lanes), accumulateLanes(s1, c1, alpha4, lanes));
  if (rows > 2) bad = v128.or(bad, v128.or(accumulateLanes(s2, c2, alpha4, lanes), accumulateLanes(s3, c3, alpha4, lanes)));
  if (rows > 4) bad = v128.or(bad, v128.or(accumulateLanes(s4, c4, alpha4, lanes), accumulateLanes(s5, c5, alpha4, lanes)));
  return lanes == 4 ? bad : v128.and(bad, firstLanes(lanes));
}

/** Columns a .. a + 4 (rows - 1) of the stored A (op(A) = A^T: consecutive k are aKStep bytes apart). */
function tile6x8PackedT(
  a: usize, aKStep: usize, rows: i32, b: usize, k: i32,
  c: usize, cRowStep: usize, valid: i32, alpha: f32, beta: f32, bias: usize, act: i32, actParam: f32,
): void {
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
  let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
  let s40 = f32x4.splat(0), s41 = f32x4.splat(0), s50 = f32x4.splat(0), s51 = f32x4.splat(0);
  let x: v128, b0: v128, b1: v128;
  let a0 = a, a1 = a + aKStep, a2 = a1 + aKStep, a3 = a2 + aKStep;
  const aStep4 = aKStep << 2;
  if (k > 0) {
    const bEnd = b + (<usize>k << 5);
    while (true) {
      b0 = v128.load(b, 0);
      b1 = v128.load(b, 16);
      x = v128.load32_splat(a0, 0);
      s00 = madd(s00, x, b0);
      s01 = madd(s01, x, b1);
      x = v128.load32_splat(a0, 4);
      s10 = madd(s10, x, b0);
      s11 = madd(s11, x, b1);
      if (rows > 2) {
        x = v128.load32_splat(a0, 8);
        s20 = madd(s20, x, b0);
        s21 = madd(s21, x, b1);
        x = v128.load32_splat(a0, 12);
        s30 = madd(s30, x, b0);
        s31 = madd(s31, x, b1);
        if (rows > 4) {
          x = v128.load32_splat(a0, 16);
          s40 = madd(s40, x, b0);
          s41 = madd(s41, x, b1);
          x = v128.load32_splat(a0, 20);
          s50 = madd(s50, x, b0);
          s51 = madd(s51, x, b1);
        }
      }
      if (b + 32 == bEnd) break;
      b0 = v128.load(b, 32);
      b1 = v128.load(b, 48);
      x = v128.load32_splat(a1, 0);
      s00 = madd(s00, x, b0);
      s01 = madd(s01, x, b1);
      x = v128.load32_splat(a1, 4);
      s10 = madd(s10, x, b0);
      s11 = madd(s11, x, b1);
      if (rows > 2) {
        x = v128.load32_splat(a1, 8);
        s20 = madd(s20, x, b0);
        s21 = madd(s21, x, b1);
        x = v128.load32_splat(a1, 12);
        s30 = madd(s30, x, b0);
        s31 = madd(s31, x, b1);
        if (rows > 4) {
          x = v128.load32_splat(a1, 16);
          s40 = madd(s40, x, b0);
          s41 = madd(s41, x, b1);
          x = v128.load32_splat(a1, 20);
          s50 = madd(s50, x, b0);
          s51 = madd(s51, x, b1);
        }
      }
      if (b + 64 == bEnd) break;
      b0 = v128.load(b, 64);
      b1 = v128.load(b, 80);
      x = v128.load32_splat(a2, 0);
      s00 = madd(s00, x, b0);
      s01 = madd(s01, x, b1);
      x = v128.load32_splat(a2, 4);
      s10 = madd(s10, x, b0);
      s11 = madd(s11, x, b1);
      if (rows > 2) {
        x = v128.load32_splat(a2, 8);
        s20 = madd(s20, x, b0);
        s21 = madd(s21, x, b1);
        x = v128.load32_splat(a2, 12);
        s30 = madd(s30, x, b0);
        s31 = madd(s31, x, b1);
        if (rows > 4) {
          x = v128.load32_splat(a2, 16);
          s40 = madd(s40, x, b0);
          s41 = madd(s41, x, b1);
          x = v128.load32_splat(a2, 20);
          s50 = madd(s50, x, b0);
          s51 = madd(s51, x, b1);
        }
      }
      if (b + 96 == bEnd) break;
      b0 = v128.load(b, 96);
      b1 = v128.load(b, 112);
      x = v128.load32_splat(a3, 0);
      s00 = madd(s00, x, b0);
      s01 = madd(s01, x, b1);
      x = v128.load32_splat(a3, 4);
      s10 = madd(s10, x, b0);
      s11 = madd(s11, x, b1);
      if (rows > 2) {
        x = v128.load32_splat(a3, 8);
        s20 = madd(s20, x, b0);
        s21 = madd(s21, x, b1);
        x = v128.load32_splat(a3, 12);
        s30 = madd(s30, x, b0);
        s31 = madd(s31, x, b1);
        if (rows > 4) {
          x = v128.load32_splat(a3, 16);
          s40 = madd(s40, x, b0);
          s41 = madd(s41, x, b1);
          x = v128.load32_splat(a3, 20);
          s50 = madd(s50, x, b0);
          s51 = madd(s51, x, b1);
        }
      }
      a0 += aStep4;
      a1 += aStep4;
      a2 += aStep4;
      a3 += aStep4;
      b += 128;
      if (b == bEnd) break;
    }
  }
  finishTile6x8(s00, s01, s10, s11, s20, s21, s30, s31, s40, s41, s50, s51, rows, c, cRowStep, valid, alpha, beta, bias, act, actParam);
}

/** Epilogue of a 6x8 tile: rows `rows` and up are not stored (their accumulators hold nothing). */
// @ts-ignore: decorator
@inline
function finishTile6x8(
  s00: v128, s01: v128, s10: v128, s11: v128, s20: v128, s21: v128,
  s30: v128, s31: v128, s40: v128, s41: v128, s50: v128, s51: v128,
  rows: i32, c: usize, cRowStep: usize, valid: i32, alpha: f32, beta: f32, bias: usize, act: i32, actParam: f32,
): void {
  const c1 = c + cRowStep;
  const c2 = rows > 2 ? c1 + cRowStep : 0;
  const c3 = rows > 2 ? c2 + cRowStep : 0;
  const c4 = rows > 4 ? c3 + cRowStep : 0;
  const c5 = rows > 4 ? c4 + cRowStep : 0;
  if (accumulates(beta, bias, act)) {
    // The accumulate path for the whole tile, with one test of the stored values: per row (a branch and
    // finishRow8's tests each) the fused SGD step of 784x128 from k = 64 took 1.08x the time. `valid` is 5-8
    // (narrower edges run the 6x4 tile); a full tile gets its own copy, in which every store is a whole
    // vector (one copy for 5-8 took 1.03x the time at 784x128).
    const alpha4 = f32x4.splat(alpha);
    const left = accumulateColumns6(s00, s10, s20, s30, s40, s50, rows, c, c1, c2, c3, c4, c5, alpha4, 4);
    const right = valid == 8
      ? accumulateColumns6(s01, s11, s21, s31, s41, s51, rows, c + 16, c1 + 16, c2 + 16, c3 + 16, c4 + 16, c5 + 16, alpha4, 4)
      : accumulateColumns6(s01, s11, s21, s31, s41, s51, rows, c + 16, c1 + 16, c2 + 16, c3 + 16, c4 + 16, c5 + 16, alpha4, valid - 4);
    noteNonFinite(v128.or(left, right));
    return;
  }
  finishRow8(s00, s01, c, valid, alpha, beta, bias, act, actParam);
  finishRow8(s10, s11, c1, valid, alpha, beta, bias, act, actParam);
  finishRow8(s20, s21, c2, valid, alpha, beta, bias, act, actParam);
  finishRow8(s30, s31, c3, valid, alpha, beta, bias, act, actParam);
  finishRow8(s40, s41, c4, valid, alpha, beta, bias, act, actParam);
  finishRow8(s50, s51, c5, valid, alpha, beta, bias, act, actParam);
}

/**
 * 8 columns of a finished tile row (cRow 0: not stored). A whole row with alpha 1 and beta 0 (the layers'
 * case) adds the bias and applies the activation here, in registers, with finish4's operations and so its bits.
 */
// @ts-ignore: decorator
@inline
function finishRow8(
  s0: v128, s1: v128, cRow: usize, valid: i32, alpha: f32, beta: f32, bias: usize, act: i32, actParam: f32,
): void {
  if (valid == 8 && cRow != 0 && alpha == 1 && beta == 0) {
    if (bias != 0) {
      s0 = f32x4.add(s0, v128.load(bias));
      s1 = f32x4.add(s1, v128.load(bias, 16));
    }
    if (act != ACT_IDENTITY) {
      s0 = activateFast(act, s0, actParam);
      s1 = activateFast(act, s1, actParam);
    }
    v128.store(cRow, s0);
    v128.store(cRow, s1, 16);
    return;
  }
  finish4(s0, cRow, bias, 0, valid, alpha, beta, act, actParam);
  finish4(s1, cRow, bias, 16, valid - 4, alpha, beta, act, actParam);
}

/**
 * Whether a finished tile takes the accumulate path: C = alpha * acc + C with no bias and no activation (the
 * fused SGD step, alpha = -lr; a product summed over chunks of k). It runs finish4's operations (beta * C
 * is C for beta 1) without finish4's tests per vector: through finish4, the fused SGD step of 784x128 from
 * k = 64 took 1.12x the time of the GEMM and the sgd kernel apart.
 */
// @ts-ignore: decorator
@inline
function accumulates(beta: f32, bias: usize, act: i32): bool {
  return beta == 1 && bias == 0 && act == ACT_IDENTITY;
}

/** One vector of the accumulate path: C = alpha * acc + C, the old C saved first in update mode. Returns v - v of the stored v. */
// @ts-ignore: decorator
@inline
function accumulate4(acc: v128, at: usize, alpha4: v128): v128 {
  const old = v128.load(at);
  if (savedOffset != 0) v128.store(at + savedOffset, old);
  const v = f32x4.add(f32x4.mul(acc, alpha4), old);
  v128.store(at, v);
  return f32x4.sub(v, v);
}

/** accumulate4 for the first `lanes` (1..4) columns (the others neither read nor written). */
// @ts-ignore: decorator
@inline
function accumulateLanes(acc: v128, at: usize, alpha4: v128, lanes: i32): v128 {
  if (lanes == 4) return accumulate4(acc, at, alpha4);
  const old = loadLanes(at, lanes);
  if (savedOffset != 0) storeLanes(at + savedOffset, old, lanes);
  const v = f32x4.add(f32x4.mul(acc, alpha4), old);
  storeLanes(at, v, lanes);
  return f32x4.sub(v, v);
}

/** All-ones in the first `lanes` (1..4) lanes, zeros after: the stored columns of a right edge. */
// @ts-ignore: decorator
@inline
function firstLanes(lanes: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(lanes));
}

/** Flags the call in update mode when `selfDiffs` (ORed v - v of stored values: 0 when finite, else NaN) has a nonzero lane. */
// @ts-ignore: decorator
@inline
function noteNonFinite(selfDiffs: v128): void {
  if (savedOffset != 0 && v128.any_true(selfDiffs)) storedNonFinite = true;
}

// @ts-ignore: decorator
@inline
function madd(s: v128, x: v128, b: v128): v128 {
  // The relaxed build (scripts/build-wasm.mjs) lets the runtime fuse: one FMA where the CPU has it.
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(x, b, s);
  return f32x4.add(s, f32x4.mul(x, b));
}

// @ts-ignore: decorator
@inline
function finishTile16(
  s00: v128, s01: v128, s02: v128, s03: v128, s10: v128, s11: v128, s12: v128, s13: v128,
  c0: usize, c1: usize, valid: i32, alpha: f32, beta: f32, bias: usize, act: i32, actParam: f32,
): void {
  // A whole tile with alpha 1 and beta 0 (every layer's forward GEMM; never the update epilogue, which gemm
  // allows only with beta 1) skips finish4's per-vector tests: with a short k
  // (a 3x3 convolution over one channel, k = 9) they cost as much as the products. Same operations, same bits.
  if (valid == 16 && c1 != 0 && alpha == 1 && beta == 0) {
    if (bias != 0) {
      const b0 = v128.load(bias);
      const b1 = v128.load(bias, 16);
      const b2 = v128.load(bias, 32);
      const b3 = v128.load(bias, 48);
      s00 = f32x4.add(s00, b0);
      s01 = f32x4.add(s01, b1);
      s02 = f32x4.add(s02, b2);
      s03 = f32x4.add(s03, b3);
      s10 = f32x4.add(s10, b0);
      s11 = f32x4.add(s11, b1);
      s12 = f32x4.add(s12, b2);
      s13 = f32x4.add(s13, b3);
    }
    if (act != ACT_IDENTITY) {
      s00 = activateFast(act, s00, actParam);
      s01 = activateFast(act, s01, actParam);
      s02 = activateFast(act, s02, actParam);
      s03 = activateFast(act, s03, actParam);
      s10 = activateFast(act, s10, actParam);
      s11 = activateFast(act, s11, actParam);
      s12 = activateFast(act, s12, actParam);
      s13 = activateFast(act, s13, actParam);
    }
    v128.store(c0, s00);
    v128.store(c0, s01, 16);
    v128.store(c0, s02, 32);
    v128.store(c0, s03, 48);
    v128.store(c1, s10);
    v128.store(c1, s11, 16);
    v128.store(c1, s12, 32);
    v128.store(c1, s13, 48);
    return;
  }
  if (valid == 16 && c1 != 0 && accumulates(beta, bias, act)) {
    const alpha4 = f32x4.splat(alpha);
    let bad = v128.or(accumulate4(s00, c0, alpha4), accumulate4(s01, c0 + 16, alpha4));
    bad = v128.or(bad, v128.or(accumulate4(s02, c0 + 32, alpha4), accumulate4(s03, c0 + 48, alpha4)));
    bad = v128.or(bad, v128.or(accumulate4(s10, c1, alpha4), accumulate4(s11, c1 + 16, alpha4)));
    bad = v128.or(bad, v128.or(accumulate4(s12, c1 + 32, alpha4), accumulate4(s13, c1 + 48, alpha4)));
    noteNonFinite(bad);
    return;
  }
  finish4(s00, c0, bias, 0, valid, alpha, beta, act, actParam);
  finish4(s01, c0, bias, 16, valid - 4, alpha, beta, act, actParam);
  finish4(s02, c0, bias, 32, valid - 8, alpha, beta, act, actParam);
  finish4(s03, c0, bias, 48, valid - 12, alpha, beta, act, actParam);
  finish4(s10, c1, bias, 0, valid, alpha, beta, act, actParam);
  finish4(s11, c1, bias, 16, valid - 4, alpha, beta, act, actParam);
  finish4(s12, c1, bias, 32, valid - 8, alpha, beta, act, actParam);
  finish4(s13, c1, bias, 48, valid - 12, alpha, beta, act, actParam);
}

// The general micro-kernels, one k step per iteration: rows a0 and a1 of op(A) (a1 == a0 for a lone last
// row, whose c1 is then 0) times a panel of op(B) whose row p starts at b + p * bKStep. They serve B read
// in place (NN below PACK_MIN_ROWS rows), lone rows and the 8- and 4-column panels at the right edge.
// `valid` columns of the tile are stored.

function tile2x16(
  a0: usize, a1: usize, aKStep: usize, b: usize, bKStep: usize, k: i32,
  c0: usize, c1: usize, valid: i32, alpha: f32, beta: f32, bias: usize, act: i32, actParam: f32,
): void {
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0);
  let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0);
  for (let p = 0; p < k; p++) {
    const x0 = v128.load32_splat(a0);
    const x1 = v128.load32_splat(a1);
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const b2 = v128.load(b, 32);
    const b3 = v128.load(b, 48);
    s00 = madd(s00, x0, b0);
    s01 = madd(s01, x0, b1);
    s02 = madd(s02, x0, b2);
    s03 = madd(s03, x0, b3);
    s10 = madd(s10, x1, b0);
    s11 = madd(s11, x1, b1);
    s12 = madd(s12, x1, b2);
    s13 = madd(s13, x1, b3);
    a0 += aKStep;
    a1 += aKStep;
    b += bKStep;
  }
  finishTile16(s00, s01, s02, s03, s10, s11, s12, s13, c0, c1, valid, alpha, beta, bias, act, actParam);
}

function tile2x8(
  a0: usize, a1: usize, aKStep: usize, b: usize, bKStep: usize, k: i32,
  c0: usize, c1: usize, valid: i32, alpha: f32, beta: f32, bias: usize, act: i32, actParam: f32,
): void {
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
  for (let p = 0; p < k; p++) {
    const x0 = v128.load32_splat(a0);
    const x1 = v128.load32_splat(a1);
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    s00 = madd(s00, x0, b0);
    s01 = madd(s01, x0, b1);
    s10 = madd(s10, x1, b0);
    s11 = madd(s11, x1, b1);
    a0 += aKStep;
    a1 += aKStep;
    b += bKStep;
  }
  finish4(s00, c0, bias, 0, valid, alpha, beta, act, actParam);
  finish4(s01, c0, bias, 16, valid - 4, alpha, beta, act, actParam);
  finish4(s10, c1, bias, 0, valid, alpha, beta, act, actParam);
  finish4(s11, c1, bias, 16, valid - 4, alpha, beta, act, actParam);
}

function tile2x4(
  a0: usize, a1: usize, aKStep: usize, b: usize, bKStep: usize, k: i32,
  c0: usize, c1: usize, valid: i32, alpha: f32, beta: f32, bias: usize, act: i32, actParam: f32,
): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(b);
    s0 = madd(s0, v128.load32_splat(a0), b0);
    s1 = madd(s1, v128.load32_splat(a1), b0);
    a0 += aKStep;
    a1 += aKStep;
    b += bKStep;
  }
  finish4(s0, c0, bias, 0, valid, alpha, beta, act, actParam);
  finish4(s1, c1, bias, 0, valid, alpha, beta, act, actParam);
}

/**
 * Epilogue for 4 columns of a finished tile row: v = alpha * acc (+ beta * C unless beta == 0, which never
 * reads C) (+ bias), then the activation; stores `lanes` (<= 0: none) columns at cRow + offset.
 */
// @ts-ignore: decorator
@inline
function finish4(
  acc: v128, cRow: usize, bias: usize, offset: usize, lanes: i32, alpha: f32, beta: f32, act: i32, actParam: f32,
): void {
  if (cRow == 0 || lanes <= 0) return;
  if (lanes < 4) {
    finishPartial(acc, cRow + offset, bias != 0 ? bias + offset : 0, lanes, alpha, beta, act, actParam);
    return;
  }
  const at = cRow + offset;
  // acc * 1 == acc exactly, so skipping the product for alpha == 1 changes no result.
  let v = alpha != 1 ? f32x4.mul(acc, f32x4.splat(alpha)) : acc;
  if (beta != 0) {
    // Update mode (beta 1, no bias, no activation) takes the accumulate path. Tested only here: a test of the
    // global in every call made the plain 784x12x64 GEMM (transposed A) 1.04x slower, and one at the top
    // behind beta's 1.02x (784x4x64: 1.05x).
    if (savedOffset != 0) {
      noteNonFinite(accumulate4(acc, at, f32x4.splat(alpha)));
      return;
    }
    v = f32x4.add(v, f32x4.mul(f32x4.splat(beta), v128.load(at)));
  }
  if (bias != 0) v = f32x4.add(v, v128.load(bias + offset));
  if (act != ACT_IDENTITY) v = activate(act, v, actParam);
  v128.store(at, v);
}

/** The same epilogue for the last 1..3 columns of C: touches only those (C and bias end there). */
function finishPartial(
  acc: v128, at: usize, bias: usize, lanes: i32, alpha: f32, beta: f32, act: i32, actParam: f32,
): void {
  if (savedOffset != 0) {
    // Update mode (beta 1, no bias, no activation). Only the lanes stored count: a padded column's lane may
    // hold a NaN from Inf * 0.
    noteNonFinite(v128.and(accumulateLanes(acc, at, f32x4.splat(alpha), lanes), firstLanes(lanes)));
    return;
  }
  let v = alpha != 1 ? f32x4.mul(acc, f32x4.splat(alpha)) : acc;
  if (beta != 0) v = f32x4.add(v, f32x4.mul(f32x4.splat(beta), loadLanes(at, lanes)));
  if (bias != 0) v = f32x4.add(v, loadLanes(bias, lanes));
  if (act != ACT_IDENTITY) v = activate(act, v, actParam);
  storeLanes(at, v, lanes);
}

/** Stores the first `lanes` (1..3) floats of v at `at`. */
// @ts-ignore: decorator
@inline
function storeLanes(at: usize, v: v128, lanes: i32): void {
  if (lanes == 1) {
    v128.store32_lane(at, v, 0);
    return;
  }
  v128.store64_lane(at, v, 0);
  if (lanes == 3) v128.store32_lane(at, v, 2, 8);
}

/** The first `lanes` (1..3) floats at `at`, zeros in the other lanes. */
// @ts-ignore: decorator
@inline
function loadLanes(at: usize, lanes: i32): v128 {
  if (lanes == 1) return v128.load32_zero(at);
  const v = v128.load64_zero(at);
  return lanes == 2 ? v : f32x4.replace_lane(v, 2, load<f32>(at, 8));
}

/**
 * ReLU inlined (the layers' usual activation: one pmax), any other kind through the generated `activate`:
 * the lane code of actForward, so a fused epilogue gives the very bits of a separate activation pass.
 */
// @ts-ignore: decorator
@inline
function activateFast(kind: i32, v: v128, param: f32): v128 {
  return kind == ACT_RELU ? activation4(ACT_RELU, v, f32x4.splat(0)) : activate(kind, v, param);
}

// Packing: `width` columns of op(B) starting at column j0 into pack[p * width + jj], columns at or past
// `valid` zero-filled (their lanes are computed but never stored).

/**
 * op(B) = B: row p of the panel is a contiguous run of B's row p. Whole panels (all but a right edge) are
 * copied with one branch per row. With the general per-group loop for every panel, packing took ~10% of a
 * 64x784x128 GEMM (m x k x n), ~15% of 32x784x128 and ~12% of 64x784x10 (one thread, against the same GEMMs
 * with packing skipped); this loop made them 1.056x, 1.09x and 1.035x faster (AMD EPYC Zen 4, Node 24, one
 * process alternating the builds, medians of 31 rounds, two runs).
 */
function packRows(b: usize, ldb: i32, j0: i32, width: i32, valid: i32, k: i32, pack: usize): void {
  const rowStep: usize = <usize>ldb << 2;
  const panelStep: usize = <usize>width << 2;
  const end = pack + <usize>k * panelStep;
  let src = b + (<usize>j0 << 2);
  let dst = pack;
  if (valid == width) {
    if (width == 16) {
      for (; dst < end; dst += 64, src += rowStep) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        v128.store(dst, v128.load(src, 32), 32);
        v128.store(dst, v128.load(src, 48), 48);
      }
    } else if (width == 8) {
      for (; dst < end; dst += 32, src += rowStep) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
      }
    } else {
      for (; dst < end; dst += 16, src += rowStep) v128.store(dst, v128.load(src));
    }
    return;
  }
  const wholeGroups: usize = <usize>(valid & ~3) << 2;
  const tail = valid & 3;
  for (; dst < end; dst += panelStep, src += rowStep) {
    let q: usize = 0;
    for (; q < wholeGroups; q += 16) v128.store(dst + q, v128.load(src + q));
    if (tail != 0) {
      v128.store(dst + q, loadLanes(src + q, tail));
      q += 16;
    }
    for (; q < panelStep; q += 16) v128.store(dst + q, f32x4.splat(0));
  }
}

/**
 * Rows r0..r3 (4 floats each) transposed: column t (lane t of every row) stored at dst + t * step, for the
 * first `columns` (1..4) of them.
 */
// @ts-ignore: decorator
@inline
function storeTransposed4x4(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, step: usize, columns: i32): void {
  const lo01 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const hi01 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const lo23 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const hi23 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5));
  if (columns > 1) v128.store(dst + step, v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7));
  if (columns > 2) v128.store(dst + step * 2, v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5));
  if (columns > 3) v128.store(dst + step * 3, v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7));
}

/** op(B) = B^T: column j of op(B) is row j of B, so groups of 4 rows are transposed 4x4 at a time. */
function packTransposed(b: usize, ldb: i32, j0: i32, width: i32, valid: i32, k: i32, pack: usize): void {
  const rowStep: usize = <usize>ldb << 2;
  const panelStep: usize = <usize>width << 2;
  for (let q = 0; q < width; q += 4) {
    const r0 = b + <usize>(j0 + q) * rowStep;
    const dst0 = pack + (<usize>q << 2);
    let p = 0;
    if (q + 4 <= valid) {
      const r1 = r0 + rowStep;
      const r2 = r1 + rowStep;
      const r3 = r2 + rowStep;
      for (; p + 4 <= k; p += 4) {
        const at = <usize>p << 2;
        const v0 = v128.load(r0 + at);
        const v1 = v128.load(r1 + at);
        const v2 = v128.load(r2 + at);
        const v3 = v128.load(r3 + at);
        storeTransposed4x4(v0, v1, v2, v3, dst0 + <usize>p * panelStep, panelStep, 4);
      }
    }
    if (q >= valid) {
      // A group wholly past n: zeros.
      for (; p < k; p++) v128.store(dst0 + <usize>p * panelStep, f32x4.splat(0));
    }
    // Remaining k of a full group, or a group holding the last n % 4 columns (rows past n never read).
    for (; p < k; p++) {
      const at = <usize>p << 2;
      const dst = dst0 + <usize>p * panelStep;
      for (let t = 0; t < 4; t++) {
        store<f32>(dst + (<usize>t << 2), q + t < valid ? load<f32>(r0 + <usize>t * rowStep + at) : 0);
      }
    }
  }
}

// The dot tile, for narrow C. With n = 10 the panels compute 8 + 4 columns, and the 4-column tile keeps
// only 6 products in flight; here the lanes run along k, so every lane is useful for any n, and the tile is
// 2 rows x 5 columns: 10 accumulators, each step loading two A vectors and five B vectors.

/** Whether a call with op(A) = A runs the dot tile (see DOT_N_SET). */
// @ts-ignore: decorator
@inline
function runsDotTile(n: i32, k: i32): bool {
  return n < 32 && ((DOT_N_SET >>> n) & 1) != 0 && k >= DOT_MIN_K;
}

/** Columns the dot tile packs: n rounded up to a whole tile (DOT_COLUMNS). */
// @ts-ignore: decorator
@inline
function dotWidth(n: i32): i32 {
  return ((n + DOT_COLUMNS - 1) / DOT_COLUMNS) * DOT_COLUMNS;
}

/** Bytes of one packed column: k rounded up to a whole 4-float step. */
// @ts-ignore: decorator
@inline
function dotColumnBytes(k: i32): usize {
  return <usize>((k + 3) & ~3) << 2;
}

/** Bytes of the dot tile's packed columns. */
// @ts-ignore: decorator
@inline
function dotPackBytes(n: i32, k: i32): i32 {
  return dotWidth(n) * <i32>dotColumnBytes(k);
}

/** gemm for op(A) = A when runsDotTile: packs op(B)'s columns, then runs row pairs over groups of 5 columns. */
function gemmDot(
  transB: i32, m: i32, n: i32, k: i32, alpha: f32, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f32, c: usize, ldc: i32, bias: usize, act: i32, actParam: f32, pack: usize,
): void {
  const columnBytes = dotColumnBytes(k);
  packColumns(b, ldb, transB, n, k, columnBytes, pack);
  const aRowStep = <usize>lda << 2;
  const cRowStep = <usize>ldc << 2;
  for (let i = 0; i < m; i += 2) {
    const a0 = a + <usize>i * aRowStep;
    const twoRows = i + 1 < m;
    const c0 = c + <usize>i * cRowStep;
    for (let j0 = 0; j0 < n; j0 += DOT_COLUMNS) {
      const at = <usize>j0 << 2;
      tile2x5Dot(
        a0, twoRows ? a0 + aRowStep : a0, pack + <usize>j0 * columnBytes, columnBytes, k,
        c0 + at, twoRows ? c0 + cRowStep + at : 0, n - j0, alpha, beta, bias != 0 ? bias + at : 0, act, actParam,
      );
    }
  }
}

/**
 * Column j of op(B) to pack + j * columnBytes as k contiguous floats, zeros after them up to columnBytes, and
 * zero columns from n up to a multiple of DOT_COLUMNS. op(B) = B^T: rows of B, copied. op(B) = B: blocks of
 * 4 rows x 4 columns transposed in registers (a right edge of 1-3 columns through loadLanes), the last k % 4
 * rows one float at a time. Against the same GEMM with packing skipped, packing 784 x 10 cost about 2.9 us one
 * float at a time and 1.2 us this way (64x10x784, one thread).
 */
function packColumns(b: usize, ldb: i32, transB: i32, n: i32, k: i32, columnBytes: usize, pack: usize): void {
  const rowStep = <usize>ldb << 2;
  const kBytes = <usize>k << 2;
  if (transB != 0) {
    for (let j = 0; j < n; j++) memory.copy(pack + <usize>j * columnBytes, b + <usize>j * rowStep, kBytes);
  } else {
    const blockEnd = k & ~3;
    for (let p = 0; p < blockEnd; p += 4) {
      const row0 = b + <usize>p * rowStep;
      const row1 = row0 + rowStep;
      const row2 = row1 + rowStep;
      const row3 = row2 + rowStep;
      const dst = pack + (<usize>p << 2);
      for (let j = 0; j < n; j += 4) {
        const at = <usize>j << 2;
        const lanes = n - j;
        const whole = lanes >= 4;
        const r0 = whole ? v128.load(row0 + at) : loadLanes(row0 + at, lanes);
        const r1 = whole ? v128.load(row1 + at) : loadLanes(row1 + at, lanes);
        const r2 = whole ? v128.load(row2 + at) : loadLanes(row2 + at, lanes);
        const r3 = whole ? v128.load(row3 + at) : loadLanes(row3 + at, lanes);
        storeTransposed4x4(r0, r1, r2, r3, dst + <usize>j * columnBytes, columnBytes, lanes);
      }
    }
    for (let p = blockEnd; p < k; p++) {
      const row = b + <usize>p * rowStep;
      const dst = pack + (<usize>p << 2);
      for (let j = 0; j < n; j++) store<f32>(dst + <usize>j * columnBytes, load<f32>(row + (<usize>j << 2)));
    }
  }
  for (let j = 0; j < n; j++) memory.fill(pack + <usize>j * columnBytes + kBytes, 0, columnBytes - kBytes);
  memory.fill(pack + <usize>n * columnBytes, 0, <usize>(dotWidth(n) - n) * columnBytes);
}

/**
 * Rows a0 and a1 of A (a1 == a0 for a lone last row, whose c1 is then 0) times 5 packed columns of op(B)
 * (columnBytes apart, zero-padded to a multiple of 4 floats); stores `valid` (up to 5) columns of C. The last
 * k % 4 floats of each row load through loadLanes, so nothing past a row of A is read (the padding's zeros
 * would turn an Inf or NaN there into a NaN here). One k-step of 4 per iteration: unrolled by 2 with an exit
 * test between, it measured 1.02-1.06x slower. The tail repeats the loop's body: with the tail's loads behind
 * a branch in the loop it measured 1.15-1.24x slower, and loading them by a select from a zero-padded copy
 * 1.17-1.20x (m x n x k 64x10x784, 64x10x128, 32x10x784, 64x5x783).
 */
function tile2x5Dot(
  a0: usize, a1: usize, b: usize, columnBytes: usize, k: i32,
  c0: usize, c1: usize, valid: i32, alpha: f32, beta: f32, bias: usize, act: i32, actParam: f32,
): void {
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0), s04 = f32x4.splat(0);
  let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0), s14 = f32x4.splat(0);
  const b1 = b + columnBytes;
  const b2 = b1 + columnBytes;
  const b3 = b2 + columnBytes;
  const b4 = b3 + columnBytes;
  const wholeBytes = (<usize>k & ~3) << 2;
  let x0: v128, x1: v128, y: v128;
  let at: usize = 0;
  for (; at < wholeBytes; at += 16) {
    x0 = v128.load(a0 + at);
    x1 = v128.load(a1 + at);
    y = v128.load(b + at);
    s00 = madd(s00, x0, y);
    s10 = madd(s10, x1, y);
    y = v128.load(b1 + at);
    s01 = madd(s01, x0, y);
    s11 = madd(s11, x1, y);
    y = v128.load(b2 + at);
    s02 = madd(s02, x0, y);
    s12 = madd(s12, x1, y);
    y = v128.load(b3 + at);
    s03 = madd(s03, x0, y);
    s13 = madd(s13, x1, y);
    y = v128.load(b4 + at);
    s04 = madd(s04, x0, y);
    s14 = madd(s14, x1, y);
  }
  const tail = k & 3;
  if (tail != 0) {
    x0 = loadLanes(a0 + at, tail);
    x1 = loadLanes(a1 + at, tail);
    y = v128.load(b + at);
    s00 = madd(s00, x0, y);
    s10 = madd(s10, x1, y);
    y = v128.load(b1 + at);
    s01 = madd(s01, x0, y);
    s11 = madd(s11, x1, y);
    y = v128.load(b2 + at);
    s02 = madd(s02, x0, y);
    s12 = madd(s12, x1, y);
    y = v128.load(b3 + at);
    s03 = madd(s03, x0, y);
    s13 = madd(s13, x1, y);
    y = v128.load(b4 + at);
    s04 = madd(s04, x0, y);
    s14 = madd(s14, x1, y);
  }
  finishDotRow(s00, s01, s02, s03, s04, c0, valid, alpha, beta, bias, act, actParam);
  finishDotRow(s10, s11, s12, s13, s14, c1, valid, alpha, beta, bias, act, actParam);
}

/** Lane sums (l0 + l2) + (l1 + l3) of four vectors, as one vector. */
// @ts-ignore: decorator
@inline
function laneSums4(p: v128, q: v128, r: v128, s: v128): v128 {
  const pq = f32x4.add(v128.shuffle<f32>(p, q, 0, 4, 1, 5), v128.shuffle<f32>(p, q, 2, 6, 3, 7));
  const rs = f32x4.add(v128.shuffle<f32>(r, s, 0, 4, 1, 5), v128.shuffle<f32>(r, s, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(pq, rs, 0, 1, 4, 5), v128.shuffle<f32>(pq, rs, 2, 3, 6, 7));
}

/** A dot tile row's 5 sums through finish4's epilogue (cRow 0: not stored). */
// @ts-ignore: decorator
@inline
function finishDotRow(
  s0: v128, s1: v128, s2: v128, s3: v128, s4: v128, cRow: usize, valid: i32, alpha: f32, beta: f32, bias: usize, act: i32, actParam: f32,
): void {
  if (cRow == 0) return;
  finish4(laneSums4(s0, s1, s2, s3), cRow, bias, 0, valid, alpha, beta, act, actParam);
  if (valid > 4) finish4(laneSums4(s4, s4, s4, s4), cRow, bias, 16, 1, alpha, beta, act, actParam);
}
