// common/order-key.wgsl: f32 bits -> keys that order as the floats do. Spliced into argmax.wgsl,
// multilabel.wgsl and threshold-sweep.wgsl by scripts/gen-shaders.mjs (`//!include`), so the NaN
// and signed-zero rules live in one place. No bindings.

// NaN from the bits: WGSL lets implementations assume floats are never NaN, so never test a float.
fn is_nan_bits(bits: u32) -> bool {
  return (bits & 0x7fffffffu) > 0x7f800000u;
}

// NaN test for a 16-bit float h held as h << 16 (argmax.wgsl reads float16 and bfloat16 logits so):
// NaN when its magnitude bits exceed infinity's, `half_inf` being 0x7c00 (float16) or 0x7f80 (bfloat16).
fn is_nan_half_bits(bits: u32, half_inf: u32) -> bool {
  return (bits & 0x7fffffffu) > (half_inf << 16u);
}

// Monotone map from non-NaN f32 bits to u32: a < b as floats <=> key(a) < key(b); -0 maps as +0.
// It needs only that the bits are sign-magnitude with magnitudes ordered as their bit patterns, so
// it orders float16 and bfloat16 held as h << 16 exactly as well (-0 << 16 is 0x80000000).
fn order_key(bits: u32) -> u32 {
  let b = select(bits, 0u, bits == 0x80000000u);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}
