// common/weighted-add.wgsl: exact sums of sample weights with u32 atomics. Spliced into argmax.wgsl
// and histogram.wgsl by scripts/gen-shaders.mjs (`//!include`). Needs `counts: array<atomic<u32>>`.
//
// Why fixed point: WGSL has atomics on u32/i32 only. A compare-and-swap loop on f32 bits would
// serialize the contended diagonal cells and round at every add (millions of f32 adds drift far
// past 1e-6). Instead the host scales each batch's weights by 2^s (the largest |w| just below
// 2^52) and rounds them to 64-bit two's-complement integers (lo, hi); the device adds them into
// 96-bit cells (three u32 words) with carries. Integer addition is associative, so the sum is
// exact and independent of thread order; the only rounding is each weight's to 2^-s, under
// 2^-52 of the batch's largest weight. A flush holds at most 2^32 rows of |q| < 2^52, so
// |sum| < 2^84 and the signed 96-bit cell never wraps.

// Adds the signed 64-bit (w_hi:w_lo) into the 96-bit cell at counts[word .. word + 2].
fn add_weighted(word: u32, w_lo: u32, w_hi: u32) {
  let old0 = atomicAdd(&counts[word], w_lo);
  let carry0 = select(0u, 1u, old0 + w_lo < old0);
  let add1 = w_hi + carry0;
  let old1 = atomicAdd(&counts[word + 1u], add1);
  let carry1 = select(0u, 1u, add1 < w_hi) + select(0u, 1u, old1 + add1 < old1);
  let add2 = select(0u, 0xffffffffu, (w_hi & 0x80000000u) != 0u) + carry1;
  if (add2 != 0u) {
    atomicAdd(&counts[word + 2u], add2);
  }
}
