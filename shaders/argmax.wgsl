// argmax.wgsl: each row of logits -> the index of its largest value.
//
// Two entry points:
//   argmax        writes each row's index into preds (then histogram.wgsl counts the pairs).
//   argmax_count  fused: counts (label, argmax) straight into the C x C matrix with one global
//                 atomicAdd per row, with no preds buffer: one pass over the logits instead of two
//                 kernels (1.1x to 1.9x on SwiftShader, bench/NOTES.md). An out-of-range label is
//                 tallied as in histogram.wgsl (counts[M] rows, counts[M + 2] max of ~first row).
//                 With TOP_K > 0 it also counts top-k hits per true class in counts[M + 4 + label]:
//                 the label is a hit when fewer than TOP_K classes rank above it, ranking as
//                 sklearn's top_k_accuracy_score (a stable descending sort: on ties the higher
//                 index ranks first; NaN ranks above everything).
//
// Rules, held bit for bit by the CPU path (src/update/cpu-update.ts):
//   ties: the first maximal index wins (numpy, torch); -0.0 equals +0.0;
//   NaN:  the first NaN in the row wins (numpy, torch), whatever precedes it.
// Values are compared as order-preserving u32 keys of their bits, never as floats, because WGSL
// lets implementations assume that NaN and infinities do not occur.
//
// Bindings (group 0):
//   0  params  uniform                Params: rows in this chunk, index of its first row in the batch
//   1  logits  storage, read          array<u32>, f32 bits, rows x NUM_CLASSES, row-major
//   2  preds   storage, read_write    array<u32>, rows                      (argmax only)
//   3  labels  storage, read          array<u32>, rows                      (argmax_count only)
//   4  counts  storage, read_write    array<atomic<u32>>, NUM_CLASSES^2 + 4 (+ NUM_CLASSES with TOP_K)
// Overrides: NUM_CLASSES, WORKGROUP_SIZE, TOP_K (argmax_count; 0: off), HAS_IGNORE and IGNORE_LABEL
// (argmax_count: rows with that label, as u32 bits, are skipped: ignore_index). Dispatch: 1-D, any count; a grid-stride loop covers
// rows beyond workgroups x WORKGROUP_SIZE.

override NUM_CLASSES: u32 = 1u;
override WORKGROUP_SIZE: u32 = 64u;
override TOP_K: u32 = 0u;
override HAS_IGNORE: bool = false;
override IGNORE_LABEL: u32 = 0u;

struct Params {
  rows: u32,
  first_row: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<u32>;
@group(0) @binding(2) var<storage, read_write> preds: array<u32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read_write> counts: array<atomic<u32>>;

//!include common/order-key.wgsl

fn argmax_row(base: u32) -> u32 {
  var best = 0u;
  var best_key = 0u;
  for (var j = 0u; j < NUM_CLASSES; j++) {
    let bits = logits[base + j];
    if (is_nan_bits(bits)) {
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

@compute @workgroup_size(WORKGROUP_SIZE)
fn argmax(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  for (var row = gid.x; row < params.rows; row += stride) {
    preds[row] = argmax_row(row * NUM_CLASSES);
  }
}

// Sort key for top-k: the order key, with every NaN above +Inf.
fn rank_key(bits: u32) -> u32 {
  return select(order_key(bits), 0xffffffffu, is_nan_bits(bits));
}

// True when fewer than TOP_K classes rank above `label` in the row at `base`.
fn in_top_k(base: u32, label: u32) -> bool {
  let own = rank_key(logits[base + label]);
  var above = 0u;
  for (var j = 0u; j < NUM_CLASSES; j++) {
    let key = rank_key(logits[base + j]);
    above += select(0u, 1u, key > own || (key == own && j > label));
  }
  return above < TOP_K;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn argmax_count(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  let m = NUM_CLASSES * NUM_CLASSES;
  for (var row = gid.x; row < params.rows; row += stride) {
    let label = labels[row];
    if (HAS_IGNORE && label == IGNORE_LABEL) {
      continue;
    }
    if (label < NUM_CLASSES) {
      atomicAdd(&counts[label * NUM_CLASSES + argmax_row(row * NUM_CLASSES)], 1u);
      if (TOP_K > 0u && in_top_k(row * NUM_CLASSES, label)) {
        atomicAdd(&counts[m + 4u + label], 1u);
      }
    } else {
      atomicAdd(&counts[m], 1u);
      atomicMax(&counts[m + 2u], ~(params.first_row + row));
    }
  }
}
