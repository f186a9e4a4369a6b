// cell-rows.wgsl: from a cell to its samples. Each row's prediction (argmax of its logits, or its
// predicted class) is compared with its label; a row whose (label, prediction) is one of the wanted
// cells is appended through an atomic cursor with its cell and, for logits, its scores of the true and
// the predicted class. The order of the appends is not deterministic: the host sorts each chunk's
// rows by index, keeps the first `limit` per cell across chunks and counts the rest exactly
// (src/tasks/cell-rows/update-gpu.ts). Every row lands in at most one cell, so a chunk of n rows
// appends at most n entries: the output holds n slots and can never overflow.
//
// Two entry points:
//   cell_rows_logits  one invocation per row: a sequential argmax over NUM_CLASSES (common/argmax-row.wgsl:
//                     the first maximal index, -0.0 equals +0.0, the first NaN wins, as the CPU path).
//   cell_rows_preds   one invocation per row of predicted classes (no argmax, no scores).
// A cell is found by binary search in `cells`, (true, pred) pairs sorted by true then pred.
//
// out[0]  entries appended (the cursor)            out[1]  rows whose label is out of range
// out[2]  max of ~(first row, label bad)           out[3]  rows whose prediction is out of range
// out[4]  max of ~(first row, prediction bad)      out[5..7] unused
// out[8 + SLOT_WORDS i ..]: the i-th entry: local row, cell index, then (logits only) the f32 bits of the
// true class's score and the predicted class's score. SLOT_WORDS is 4 for logits, 2 for preds.
// A row with an out-of-range index is not appended; the host refuses the batch and names the row.
//
// Bindings (group 0):
//   0  params  uniform               Params: rows in this chunk, index of its first row in the batch
//   1  logits  storage, read         array<u32>, f32 bits, rows x NUM_CLASSES, row-major (logits only)
//   2  preds   storage, read         array<u32>, rows                                  (preds only)
//   3  labels  storage, read         array<u32>, rows
//   4  cells   storage, read         array<u32>, 2 x NUM_CELLS: (true, pred) sorted
//   5  out     storage, read_write   array<atomic<u32>>, 8 + SLOT_WORDS x rows
// Overrides: NUM_CLASSES, NUM_CELLS, WORKGROUP_SIZE. Dispatch: 1-D, any count; grid-stride loop over rows.

override NUM_CLASSES: u32 = 1u;
override NUM_CELLS: u32 = 1u;
override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  rows: u32,
  first_row: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<u32>;
@group(0) @binding(2) var<storage, read> preds: array<u32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read> cells: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<atomic<u32>>;

//!include common/order-key.wgsl

//!include common/argmax-row.wgsl

// The one input's logits, for common/argmax-row.wgsl.
fn logit_word(side: u32, w: u32) -> u32 {
  return logits[w];
}

const NONE = 0xffffffffu;

// Index of the cell (label, pred) in `cells`, or NONE.
fn cell_of(label: u32, pred: u32) -> u32 {
  var lo = 0u;
  var hi = NUM_CELLS;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    let t = cells[2u * mid];
    let p = cells[2u * mid + 1u];
    if (t < label || (t == label && p < pred)) {
      lo = mid + 1u;
    } else {
      hi = mid;
    }
  }
  if (lo < NUM_CELLS && cells[2u * lo] == label && cells[2u * lo + 1u] == pred) {
    return lo;
  }
  return NONE;
}

// Tallies an out-of-range label or prediction; true when the row is in range.
fn in_range(row: u32, label: u32, pred: u32) -> bool {
  let first = ~(params.first_row + row);
  if (label >= NUM_CLASSES) {
    atomicAdd(&out[1], 1u);
    atomicMax(&out[2], first);
  }
  if (pred >= NUM_CLASSES) {
    atomicAdd(&out[3], 1u);
    atomicMax(&out[4], first);
  }
  return label < NUM_CLASSES && pred < NUM_CLASSES;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn cell_rows_logits(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  for (var row = gid.x; row < params.rows; row += stride) {
    let base = row * NUM_CLASSES;
    let label = labels[row];
    let pred = argmax_row_of(0u, base, 0u);
    if (!in_range(row, label, pred)) {
      continue;
    }
    let cell = cell_of(label, pred);
    if (cell != NONE) {
      let slot = 8u + 4u * atomicAdd(&out[0], 1u);
      atomicStore(&out[slot], row);
      atomicStore(&out[slot + 1u], cell);
      atomicStore(&out[slot + 2u], logits[base + label]);
      atomicStore(&out[slot + 3u], logits[base + pred]);
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn cell_rows_preds(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  for (var row = gid.x; row < params.rows; row += stride) {
    let label = labels[row];
    let pred = preds[row];
    if (!in_range(row, label, pred)) {
      continue;
    }
    let cell = cell_of(label, pred);
    if (cell != NONE) {
      let slot = 8u + 2u * atomicAdd(&out[0], 1u);
      atomicStore(&out[slot], row);
      atomicStore(&out[slot + 1u], cell);
    }
  }
}
