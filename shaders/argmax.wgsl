// argmax.wgsl: each row of logits -> the index of its largest value.
//
// Entry points:
//   argmax        writes each row's index into preds (then histogram.wgsl counts the pairs).
//   argmax_count  fused: counts (label, argmax) straight into the C x C matrix with one global
//                 atomicAdd per row, with no preds buffer: one pass over the logits instead of two
//                 kernels (1.1x to 1.9x on SwiftShader, bench/NOTES.md). An out-of-range label is
//                 tallied as in histogram.wgsl (counts[M] rows, counts[M + 2] max of ~first row).
//                 With TOP_K > 0 it also counts top-k hits per true class in counts[M + 4 + label]:
//                 the label is a hit when fewer than TOP_K classes rank above it, ranking as
//                 sklearn's top_k_accuracy_score (a stable descending sort: on ties the higher
//                 index ranks first; NaN ranks above everything).
//   argmax_count_local  the fused pass for C^2 <= LOCAL_CELLS (C <= 10) on CPU-emulated adapters:
//                 each invocation counts LOCAL_ROWS consecutive rows into a private array, then adds
//                 its non-zero cells with one atomicAdd each (the hot diagonal cells' atomics
//                 dominate there: 1.4x to 3.6x over argmax_count on SwiftShader, bench/NOTES.md).
//                 Same tallies and top-k hits as argmax_count. On hardware GPUs a 100-cell private
//                 array spills and LOCAL_ROWS consecutive rows break coalescing: not used there.
//   argmax_count_wide  the fused pass for wide rows on hardware GPUs (no TOP_K, no weights): LANES
//                 invocations share a row, lane l reading elements l, l + LANES, ..., so neighbouring
//                 invocations read neighbouring words (argmax_count's are C x 4 bytes apart). Each
//                 lane keeps its best (rank_key, index); a tree in workgroup memory keeps the higher
//                 key, on equal keys the lower index, which is the rules below (rank_key puts NaN
//                 above +Inf); lane 0 then counts the row as argmax_count does, tallies included.
//                 WORKGROUP_SIZE / LANES rows per workgroup and pass; LANES a power of two.
//   argmax_count_weighted  the fused pass with sample weights: adds each row's weight, as a 64-bit
//                 fixed-point integer from the host, into 96-bit cells (common/weighted-add.wgsl):
//                 cell k is counts[3k .. 3k + 2] for k < W = NUM_CLASSES^2 + NUM_CLASSES (top-k
//                 hits of class t in cell NUM_CLASSES^2 + t); the out-of-range tallies sit at 3W.
//
// Rules, held bit for bit by the CPU path (src/tasks/multiclass/update-cpu.ts):
//   ties: the first maximal index wins (numpy, torch); -0.0 equals +0.0;
//   NaN:  the first NaN in the row wins (numpy, torch), whatever precedes it.
// Values are compared as order-preserving u32 keys of their bits, never as floats, because WGSL
// lets implementations assume that NaN and infinities do not occur.
//
// Half precision (LOGIT_BITS 16, float16 or bfloat16, uploaded as they are: half the bytes of f32).
// A half h is read as h << 16 and keyed by the same order_key, which is exact: both formats are
// sign-magnitude like f32 (sign on top, then exponent, then fraction), so among non-NaN halves of
// one sign a larger bit pattern is a larger magnitude, infinity above every finite value and
// subnormals below every normal one; h << 16 keeps the sign on top and the magnitude's order, and
// -0 << 16 = 0x80000000 keys as +0. Only the NaN test depends on the format: h & 0x7fff above
// HALF_INF (0x7c00 float16: 5 exponent bits; 0x7f80 bfloat16, the top of an f32). No half is ever
// a float in the shader, so neither shader-f16 (absent in compatibility mode and on many devices)
// nor unpack2x16float (whose NaN and subnormal results WGSL leaves to the implementation) is needed,
// and the rules above hold bit for bit on every device.
//
// Bindings (group 0):
//   0  params  uniform                Params: rows in this chunk, index of its first row in the batch
//   1  logits  storage, read          array<u32>, rows x NUM_CLASSES, row-major: f32 bits (LOGIT_BITS 32),
//                                     or halves two per u32 (LOGIT_BITS 16: element i in the low 16 bits
//                                     of word i / 2 when i is even, the high 16 when odd; a row may start
//                                     mid-word when NUM_CLASSES is odd)
//   2  preds   storage, read_write    array<u32>, rows                      (argmax only)
//   3  labels  storage, read          array<u32>, rows                      (argmax_count only)
//   4  counts  storage, read_write    array<atomic<u32>>, NUM_CLASSES^2 + 4 (+ NUM_CLASSES with TOP_K);
//                                     weighted: 3 (NUM_CLASSES^2 + NUM_CLASSES) + 4
//   5  weights storage, read          array<u32>, rows x 2: (lo, hi) of each row's fixed-point weight (weighted only)
// Overrides: NUM_CLASSES, WORKGROUP_SIZE, LOCAL_ROWS (argmax_count_local), LANES (argmax_count_wide), TOP_K (argmax_count*; 0: off), HAS_IGNORE and IGNORE_LABEL
// (argmax_count: rows with that label, as u32 bits, are skipped: ignore_index), LOGIT_BITS (32: f32;
// 16: packed halves) and HALF_INF (with 16: 0x7c00 float16, 0x7f80 bfloat16). Dispatch: 1-D, any count; a grid-stride loop covers
// rows beyond workgroups x WORKGROUP_SIZE.

override NUM_CLASSES: u32 = 1u;
override WORKGROUP_SIZE: u32 = 64u;
override TOP_K: u32 = 0u;
override LOCAL_ROWS: u32 = 256u;
override LANES: u32 = 32u;
override HAS_IGNORE: bool = false;
override IGNORE_LABEL: u32 = 0u;
override LOGIT_BITS: u32 = 32u;
override HALF_INF: u32 = 0x7c00u;

struct Params {
  rows: u32,
  first_row: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<u32>;
@group(0) @binding(2) var<storage, read_write> preds: array<u32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read> weights: array<u32>;

//!include common/order-key.wgsl
//!include common/weighted-add.wgsl

//!include common/argmax-row.wgsl

// The one input's logits, for common/argmax-row.wgsl.
fn logit_word(side: u32, w: u32) -> u32 {
  return logits[w];
}

// HALF_INF when the logits are halves (LOGIT_BITS 16), 0 for f32.
fn half_inf() -> u32 {
  return select(0u, HALF_INF, LOGIT_BITS == 16u);
}

// Logit `i` (element index in the chunk) as f32 bits, or a half's 16 bits at the top of a u32.
fn logit_bits(i: u32) -> u32 {
  return logit_bits_of(0u, i, half_inf());
}

fn logit_is_nan(bits: u32) -> bool {
  return logit_nan(bits, half_inf());
}

// Argmax of the row whose first element is logit `base` (row * NUM_CLASSES): common/argmax-row.wgsl's rules.
fn argmax_row(base: u32) -> u32 {
  return argmax_row_of(0u, base, half_inf());
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
  return select(order_key(bits), 0xffffffffu, logit_is_nan(bits));
}

// True when fewer than TOP_K classes rank above `label` in the row at `base`.
fn in_top_k(base: u32, label: u32) -> bool {
  let own = rank_key(logit_bits(base + label));
  var above = 0u;
  for (var j = 0u; j < NUM_CLASSES; j++) {
    let key = rank_key(logit_bits(base + j));
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

@compute @workgroup_size(WORKGROUP_SIZE)
fn argmax_count_weighted(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  let m = NUM_CLASSES * NUM_CLASSES;
  let tally = 3u * (m + NUM_CLASSES);
  for (var row = gid.x; row < params.rows; row += stride) {
    let label = labels[row];
    if (HAS_IGNORE && label == IGNORE_LABEL) {
      continue;
    }
    if (label < NUM_CLASSES) {
      let w_lo = weights[2u * row];
      let w_hi = weights[2u * row + 1u];
      add_weighted(3u * (label * NUM_CLASSES + argmax_row(row * NUM_CLASSES)), w_lo, w_hi);
      if (TOP_K > 0u && in_top_k(row * NUM_CLASSES, label)) {
        add_weighted(3u * (m + label), w_lo, w_hi);
      }
    } else {
      atomicAdd(&counts[tally], 1u);
      atomicMax(&counts[tally + 2u], ~(params.first_row + row));
    }
  }
}

var<workgroup> wide_keys: array<u32, WORKGROUP_SIZE>;
var<workgroup> wide_index: array<u32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn argmax_count_wide(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u) {
  let per_group = WORKGROUP_SIZE / LANES;
  let lane = lid % LANES;
  let m = NUM_CLASSES * NUM_CLASSES;
  // The loop and the tree run in uniform control flow (workgroupBarrier); idle lanes carry key 0,
  // below every rank_key (-Inf keys as 0x007fffff).
  for (var first = wid.x * per_group; first < params.rows; first += groups.x * per_group) {
    let row = first + lid / LANES;
    let live = lid / LANES < per_group && row < params.rows;
    var label = 0u;
    var key = 0u;
    var best = 0u;
    if (live) {
      label = labels[row];
      if (label < NUM_CLASSES && !(HAS_IGNORE && label == IGNORE_LABEL)) {
        for (var j = lane; j < NUM_CLASSES; j += LANES) {
          let k = rank_key(logit_bits(row * NUM_CLASSES + j));
          if (k > key) {
            key = k;
            best = j;
          }
        }
      }
    }
    wide_keys[lid] = key;
    wide_index[lid] = best;
    workgroupBarrier();
    for (var s = LANES / 2u; s > 0u; s >>= 1u) {
      if (lane < s) {
        let k = wide_keys[lid + s];
        let i = wide_index[lid + s];
        if (k > key || (k == key && i < best)) {
          key = k;
          best = i;
          wide_keys[lid] = k;
          wide_index[lid] = i;
        }
      }
      workgroupBarrier();
    }
    if (live && lane == 0u && !(HAS_IGNORE && label == IGNORE_LABEL)) {
      if (label < NUM_CLASSES) {
        atomicAdd(&counts[label * NUM_CLASSES + best], 1u);
      } else {
        atomicAdd(&counts[m], 1u);
        atomicMax(&counts[m + 2u], ~(params.first_row + row));
      }
    }
  }
}

const LOCAL_CELLS = 100u;
const LOCAL_HITS = 10u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn argmax_count_local(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE * LOCAL_ROWS;
  let m = NUM_CLASSES * NUM_CLASSES;
  for (var first = gid.x * LOCAL_ROWS; first < params.rows; first += stride) {
    var cells: array<u32, LOCAL_CELLS>;
    var hits: array<u32, LOCAL_HITS>;
    var bad = 0u;
    var first_bad = 0u;
    let last = min(first + LOCAL_ROWS, params.rows);
    for (var row = first; row < last; row++) {
      let label = labels[row];
      if (HAS_IGNORE && label == IGNORE_LABEL) {
        continue;
      }
      if (label < NUM_CLASSES) {
        cells[label * NUM_CLASSES + argmax_row(row * NUM_CLASSES)] += 1u;
        if (TOP_K > 0u && in_top_k(row * NUM_CLASSES, label)) {
          hits[label] += 1u;
        }
      } else {
        if (bad == 0u) {
          first_bad = row;
        }
        bad += 1u;
      }
    }
    for (var k = 0u; k < m; k++) {
      if (cells[k] != 0u) {
        atomicAdd(&counts[k], cells[k]);
      }
    }
    if (TOP_K > 0u) {
      for (var t = 0u; t < NUM_CLASSES; t++) {
        if (hits[t] != 0u) {
          atomicAdd(&counts[m + 4u + t], hits[t]);
        }
      }
    }
    if (bad != 0u) {
      atomicAdd(&counts[m], bad);
      atomicMax(&counts[m + 2u], ~(params.first_row + first_bad));
    }
  }
}
