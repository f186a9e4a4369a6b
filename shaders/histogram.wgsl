// histogram.wgsl: (label, prediction) pairs -> atomic counts in a NUM_CLASSES x NUM_CLASSES matrix.
//
// counts[label * NUM_CLASSES + pred] += 1, rows = true class, columns = predicted class.
// Four cells after the matrix watch for class indices outside [0, NUM_CLASSES) (possible when the
// labels or predictions come straight from a GPU buffer): M = NUM_CLASSES^2,
//   counts[M]      rows whose label is out of range     counts[M + 2]  max of ~(first such row)
//   counts[M + 1]  rows whose prediction is out of range counts[M + 3]  max of ~(first such row)
// Such a row is not counted in the matrix; the host refuses the batch and names the first row, so
// a bad input buffer can never yield a silently wrong matrix.
//
// Two entry points:
//   count_global   one global atomicAdd per row (any NUM_CLASSES).
//   count_private  counts into a workgroup copy of the matrix, then adds its non-zero cells to the
//                  global one; needs PRIVATE_BINS = NUM_CLASSES^2 u32 in workgroup storage.
//   count_weighted adds each row's sample weight, a 64-bit fixed-point integer from the host, into
//                  96-bit cells (common/weighted-add.wgsl): cell k is counts[3k .. 3k + 2], and
//                  the four out-of-range cells sit at 3 W, W = NUM_CLASSES^2 + NUM_CLASSES (the
//                  layout of argmax.wgsl's argmax_count_weighted).
//
// Bindings (group 0):
//   0  params  uniform                Params: rows in this chunk, index of its first row in the batch
//   1  labels  storage, read          array<u32>, rows
//   2  preds   storage, read          array<u32>, rows
//   3  counts  storage, read_write    array<atomic<u32>>, NUM_CLASSES^2 + 4; weighted: 3 W + 4
//   4  weights storage, read          array<u32>, rows x 2: (lo, hi) per row   (count_weighted only)
// Overrides: NUM_CLASSES, WORKGROUP_SIZE, PRIVATE_BINS, HAS_IGNORE and IGNORE_LABEL (rows with that label,
// as u32 bits, are skipped: ignore_index). Dispatch: 1-D, any count (grid-stride).

override NUM_CLASSES: u32 = 1u;
override WORKGROUP_SIZE: u32 = 64u;
override PRIVATE_BINS: u32 = 1u;
override HAS_IGNORE: bool = false;
override IGNORE_LABEL: u32 = 0u;

struct Params {
  rows: u32,
  first_row: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read> preds: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read> weights: array<u32>;

var<workgroup> bins: array<atomic<u32>, PRIVATE_BINS>;

const INVALID = 0xffffffffu;

//!include common/weighted-add.wgsl

// The matrix cell of a row; INVALID for an ignored row, or after recording an out-of-range label or
// prediction in the four cells at `tally`.
fn cell(row: u32, tally: u32) -> u32 {
  let label = labels[row];
  let pred = preds[row];
  if (HAS_IGNORE && label == IGNORE_LABEL) {
    return INVALID;
  }
  if (label < NUM_CLASSES && pred < NUM_CLASSES) {
    return label * NUM_CLASSES + pred;
  }
  let first = ~(params.first_row + row);
  if (label >= NUM_CLASSES) {
    atomicAdd(&counts[tally], 1u);
    atomicMax(&counts[tally + 2u], first);
  }
  if (pred >= NUM_CLASSES) {
    atomicAdd(&counts[tally + 1u], 1u);
    atomicMax(&counts[tally + 3u], first);
  }
  return INVALID;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn count_global(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  for (var row = gid.x; row < params.rows; row += stride) {
    let c = cell(row, NUM_CLASSES * NUM_CLASSES);
    if (c != INVALID) {
      atomicAdd(&counts[c], 1u);
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn count_private(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(local_invocation_index) lid: u32,
  @builtin(num_workgroups) groups: vec3u,
) {
  let stride = groups.x * WORKGROUP_SIZE;
  for (var row = gid.x; row < params.rows; row += stride) {
    let c = cell(row, NUM_CLASSES * NUM_CLASSES);
    if (c != INVALID) {
      atomicAdd(&bins[c], 1u);
    }
  }
  workgroupBarrier();
  for (var b = lid; b < NUM_CLASSES * NUM_CLASSES; b += WORKGROUP_SIZE) {
    let n = atomicLoad(&bins[b]);
    if (n != 0u) {
      atomicAdd(&counts[b], n);
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn count_weighted(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  let tally = 3u * (NUM_CLASSES * NUM_CLASSES + NUM_CLASSES);
  for (var row = gid.x; row < params.rows; row += stride) {
    let c = cell(row, tally);
    if (c != INVALID) {
      add_weighted(3u * c, weights[2u * row], weights[2u * row + 1u]);
    }
  }
}
