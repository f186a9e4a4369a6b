// per-class.wgsl: per-class mode for huge C (no C x C matrix): each row's prediction is compared
// with its label, and only the misclassified rows come back, as (label, pred) pairs appended through
// an atomic cursor. The host holds the labels and adds support, TP, FP, FN and the sparse pair
// counts in float64 (src/tasks/per-class/update-gpu.ts), so no count lives on the device past a chunk.
//
// Three entry points:
//   per_class_rows  one invocation per row: a sequential argmax over NUM_CLASSES (small C).
//   per_class_wide  one workgroup per row: each invocation scans columns lid, lid + WORKGROUP_SIZE,
//                   ..., then a tree reduction in workgroup memory (WORKGROUP_SIZE a power of two)
//                   keeps the first NaN, else the largest key at the lowest index (wide C).
//   per_class_preds one invocation per row of predicted classes (no argmax).
// Argmax rules, bit for bit those of argmax.wgsl and the CPU path (src/tasks/multiclass/update-cpu.ts):
// the first maximal index wins, -0.0 equals +0.0, the first NaN in a row wins whatever precedes it;
// values compare as order-preserving u32 keys of their bits, never as floats.
//
// tally[0]  errors appended (the cursor)          tally[1]  rows whose label is out of range
// tally[2]  max of ~(first row, label bad)        tally[3]  rows whose prediction is out of range
// tally[4]  max of ~(first row, prediction bad)   tally[5..7] unused
// tally[8 + 2 i], tally[9 + 2 i]: the i-th misclassified row's label and prediction (any order).
// A row with an out-of-range index is not counted; the host refuses the batch and names the row.
//
// Bindings (group 0):
//   0  params  uniform               Params: rows in this chunk, index of its first row in the batch
//   1  logits  storage, read         array<u32>, f32 bits, rows x NUM_CLASSES, row-major (rows, wide)
//   2  preds   storage, read         array<u32>, rows                                   (preds only)
//   3  labels  storage, read         array<u32>, rows
//   4  tally   storage, read_write   array<atomic<u32>>, 8 + 2 x rows
// Overrides: NUM_CLASSES, WORKGROUP_SIZE. Dispatch: 1-D, any count; grid-stride loops over rows
// (by invocation for rows and preds, by workgroup for wide).

override NUM_CLASSES: u32 = 1u;
override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  rows: u32,
  first_row: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<u32>;
@group(0) @binding(2) var<storage, read> preds: array<u32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read_write> tally: array<atomic<u32>>;

//!include common/order-key.wgsl

const NONE = 0xffffffffu;

var<workgroup> best_keys: array<u32, WORKGROUP_SIZE>;
var<workgroup> best_index: array<u32, WORKGROUP_SIZE>;
var<workgroup> first_nan: array<u32, WORKGROUP_SIZE>;

// Counts one row: an out-of-range index is tallied and refused; a mismatch is appended.
fn record(row: u32, label: u32, pred: u32) {
  let first = ~(params.first_row + row);
  if (label >= NUM_CLASSES || pred >= NUM_CLASSES) {
    if (label >= NUM_CLASSES) {
      atomicAdd(&tally[1], 1u);
      atomicMax(&tally[2], first);
    }
    if (pred >= NUM_CLASSES) {
      atomicAdd(&tally[3], 1u);
      atomicMax(&tally[4], first);
    }
    return;
  }
  if (label != pred) {
    let slot = 8u + 2u * atomicAdd(&tally[0], 1u);
    atomicStore(&tally[slot], label);
    atomicStore(&tally[slot + 1u], pred);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn per_class_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  for (var row = gid.x; row < params.rows; row += stride) {
    let base = row * NUM_CLASSES;
    var best = 0u;
    var best_key = 0u;
    for (var j = 0u; j < NUM_CLASSES; j++) {
      let bits = logits[base + j];
      if (is_nan_bits(bits)) {
        best = j;
        break;
      }
      let key = order_key(bits);
      if (key > best_key) {
        best_key = key;
        best = j;
      }
    }
    record(row, labels[row], best);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn per_class_wide(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_index) lid: u32,
  @builtin(num_workgroups) groups: vec3u,
) {
  for (var row = wid.x; row < params.rows; row += groups.x) {
    let base = row * NUM_CLASSES;
    var key = 0u;
    var index = NONE;
    var nan_at = NONE;
    for (var j = lid; j < NUM_CLASSES; j += WORKGROUP_SIZE) {
      let bits = logits[base + j];
      if (is_nan_bits(bits)) {
        nan_at = j;
        break;
      }
      let k = order_key(bits);
      if (k > key) {
        key = k;
        index = j;
      }
    }
    best_keys[lid] = key;
    best_index[lid] = index;
    first_nan[lid] = nan_at;
    workgroupBarrier();
    for (var span = WORKGROUP_SIZE / 2u; span > 0u; span /= 2u) {
      if (lid < span) {
        let k2 = best_keys[lid + span];
        let i2 = best_index[lid + span];
        if (k2 > best_keys[lid] || (k2 == best_keys[lid] && i2 < best_index[lid])) {
          best_keys[lid] = k2;
          best_index[lid] = i2;
        }
        first_nan[lid] = min(first_nan[lid], first_nan[lid + span]);
      }
      workgroupBarrier();
    }
    if (lid == 0u) {
      record(row, labels[row], select(best_index[0], first_nan[0], first_nan[0] != NONE));
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn per_class_preds(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  for (var row = gid.x; row < params.rows; row += stride) {
    record(row, labels[row], preds[row]);
  }
}
