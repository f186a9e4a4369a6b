// common/argmax-row.wgsl: the argmax rules of a row of logits, shared by argmax.wgsl and compare.wgsl
// (spliced by scripts/gen-shaders.mjs, `//!include`, after common/order-key.wgsl). The includer
// defines `fn logit_word(side: u32, w: u32) -> u32`, word w of the logits of input `side` (0 when
// it has one), and the override NUM_CLASSES. `half_inf` picks the element format: 0 for f32 bits,
// 0x7c00 for float16 and 0x7f80 for bfloat16 halves packed two per u32 (argmax.wgsl explains why
// halves are read as h << 16 and keyed by order_key, exactly). Rules, held bit for bit by the CPU
// path (src/tasks/multiclass/update-cpu.ts): ties go to the first maximal index, -0.0 equals +0.0,
// the first NaN in the row wins whatever precedes it. No bindings.

// Element `i` of input `side`'s logits as f32 bits, or a half's 16 bits at the top of a u32.
fn logit_bits_of(side: u32, i: u32, half_inf: u32) -> u32 {
  if (half_inf != 0u) {
    let word = logit_word(side, i >> 1u);
    return select(word << 16u, word & 0xffff0000u, (i & 1u) != 0u);
  }
  return logit_word(side, i);
}

fn logit_nan(bits: u32, half_inf: u32) -> bool {
  if (half_inf != 0u) {
    return is_nan_half_bits(bits, half_inf);
  }
  return is_nan_bits(bits);
}

// Argmax of input `side`'s row whose first element is `base` (row * NUM_CLASSES).
fn argmax_row_of(side: u32, base: u32, half_inf: u32) -> u32 {
  var best = 0u;
  var best_key = 0u;
  for (var j = 0u; j < NUM_CLASSES; j++) {
    let bits = logit_bits_of(side, base + j, half_inf);
    if (logit_nan(bits, half_inf)) {
      return j;
    }
    let key = order_key(bits);
    if (key > best_key) {
      best_key = key;
      best = j;
    }
  }
  return best;
}
