// compare.wgsl: two models' predictions on the same rows, counted in one pass (confmat compare).
//
// Each row's prediction of model A and of model B is the argmax of its logits (the rules of
// common/argmax-row.wgsl, f32 or float16/bfloat16 halves) or a given class index; with its label t:
//   JOINT      one atomicAdd into the joint table, cell (t * C + a) * C + b (C^3 cells), from which
//              the host derives both C x C matrices and the per-class right/wrong table;
//   otherwise  (C^3 too large) both matrices and the per-class 2 x 2 right/wrong table: A's matrix in
//              cells [0, C^2), B's in [C^2, 2 C^2), then 4 cells per true class t at 2 C^2 + 4 t + k,
//              k = 2 (A wrong) + (B wrong): 0 both right, 1 A right and B wrong, 2 A wrong and B right,
//              3 both wrong (McNemar's b and c are the sums of k = 1 and k = 2).
// Rows whose label is C or more are skipped: the host marks ignore_index rows so (it validated every
// class index of the batch before the upload). Counts stay on the device across chunks; the host
// reads and clears them before any u32 cell could pass 2^32 - 1 rows.
//
// Bindings (group 0):
//   0  params   uniform               Params: rows in this chunk, index of its first row in the batch
//   1  model_a  storage, read         array<u32>: A's logits, rows x NUM_CLASSES row-major (f32 bits, or
//                                     halves two per u32 as in argmax.wgsl), or A's class indices (A_PREDS)
//   2  model_b  storage, read         array<u32>: the same for model B (B_PREDS)
//   3  labels   storage, read         array<u32>, rows
//   4  counts   storage, read_write   array<atomic<u32>>: C^3 (JOINT) or 2 C^2 + 4 C cells
// Overrides: NUM_CLASSES, WORKGROUP_SIZE, JOINT, A_PREDS and B_PREDS (class indices instead of
// logits), A_HALF_INF and B_HALF_INF (0: f32 logits; 0x7c00 float16, 0x7f80 bfloat16 halves).
// Dispatch: 1-D, any count; a grid-stride loop covers rows beyond workgroups x WORKGROUP_SIZE.

override NUM_CLASSES: u32 = 1u;
override WORKGROUP_SIZE: u32 = 64u;
override JOINT: bool = true;
override A_PREDS: bool = false;
override B_PREDS: bool = false;
override A_HALF_INF: u32 = 0u;
override B_HALF_INF: u32 = 0u;

struct Params {
  rows: u32,
  first_row: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> model_a: array<u32>;
@group(0) @binding(2) var<storage, read> model_b: array<u32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read_write> counts: array<atomic<u32>>;

//!include common/order-key.wgsl
//!include common/argmax-row.wgsl

// Word `w` of model A's (side 0) or B's (side 1) input, for common/argmax-row.wgsl.
fn logit_word(side: u32, w: u32) -> u32 {
  if (side == 0u) {
    return model_a[w];
  }
  return model_b[w];
}

// Model `side`'s prediction for `row`: its class index, or the argmax of its logits.
fn prediction(side: u32, row: u32) -> u32 {
  if (select(B_PREDS, A_PREDS, side == 0u)) {
    return logit_word(side, row);
  }
  return argmax_row_of(side, row * NUM_CLASSES, select(B_HALF_INF, A_HALF_INF, side == 0u));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn compare_count(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  let c = NUM_CLASSES;
  for (var row = gid.x; row < params.rows; row += stride) {
    let t = labels[row];
    if (t >= c) {
      continue;
    }
    let a = prediction(0u, row);
    let b = prediction(1u, row);
    if (JOINT) {
      atomicAdd(&counts[(t * c + a) * c + b], 1u);
    } else {
      atomicAdd(&counts[t * c + a], 1u);
      atomicAdd(&counts[c * c + t * c + b], 1u);
      atomicAdd(&counts[2u * c * c + 4u * t + select(0u, 2u, a != t) + select(0u, 1u, b != t)], 1u);
    }
  }
}
