// fused.wgsl (bench-only): argmax and counting in one kernel, no predictions buffer.
//   fused           one global atomicAdd per row (as count_global after argmax)
//   fused_local     ROWS consecutive rows per invocation into a local array of up to 16 cells
//                   (NUM_CLASSES <= 4), then one atomicAdd per non-zero cell
//   fused_local100  the same with up to 100 cells (NUM_CLASSES <= 10)
// Same argmax rules as shaders/argmax.wgsl. Out-of-range labels are tallied (count only).
// Bindings: 0 params uniform (rows, first_row), 1 logits read (u32 bits), 2 labels read,
//           3 counts read_write (NUM_CLASSES^2 + 4 atomics).
// Overrides: NUM_CLASSES, WORKGROUP_SIZE, ROWS.

override NUM_CLASSES: u32 = 1u;
override WORKGROUP_SIZE: u32 = 256u;
override ROWS: u32 = 64u;

struct Params {
  rows: u32,
  first_row: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<u32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;

fn order_key(bits: u32) -> u32 {
  let b = select(bits, 0u, bits == 0x80000000u);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn argmax_row(base: u32) -> u32 {
  var best = 0u;
  var best_key = 0u;
  for (var j = 0u; j < NUM_CLASSES; j++) {
    let bits = logits[base + j];
    if ((bits & 0x7fffffffu) > 0x7f800000u) {
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
fn fused(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  for (var row = gid.x; row < params.rows; row += stride) {
    let label = labels[row];
    if (label < NUM_CLASSES) {
      atomicAdd(&counts[label * NUM_CLASSES + argmax_row(row * NUM_CLASSES)], 1u);
    } else {
      atomicAdd(&counts[NUM_CLASSES * NUM_CLASSES], 1u);
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fused_local(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE * ROWS;
  let m = NUM_CLASSES * NUM_CLASSES;
  for (var first = gid.x * ROWS; first < params.rows; first += stride) {
    var local: array<u32, 16>;
    var bad = 0u;
    let last = min(first + ROWS, params.rows);
    for (var row = first; row < last; row++) {
      let label = labels[row];
      if (label < NUM_CLASSES) {
        local[label * NUM_CLASSES + argmax_row(row * NUM_CLASSES)] += 1u;
      } else {
        bad += 1u;
      }
    }
    for (var k = 0u; k < m; k++) {
      if (local[k] != 0u) {
        atomicAdd(&counts[k], local[k]);
      }
    }
    if (bad != 0u) {
      atomicAdd(&counts[m], bad);
    }
  }
}

// fused_local100: as fused_local with up to 100 cells (NUM_CLASSES <= 10); ROWS rows per
// invocation amortize zeroing and scanning the 100 local cells.
@compute @workgroup_size(WORKGROUP_SIZE)
fn fused_local100(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE * ROWS;
  let m = NUM_CLASSES * NUM_CLASSES;
  for (var first = gid.x * ROWS; first < params.rows; first += stride) {
    var local: array<u32, 100>;
    var bad = 0u;
    let last = min(first + ROWS, params.rows);
    for (var row = first; row < last; row++) {
      let label = labels[row];
      if (label < NUM_CLASSES) {
        local[label * NUM_CLASSES + argmax_row(row * NUM_CLASSES)] += 1u;
      } else {
        bad += 1u;
      }
    }
    for (var k = 0u; k < m; k++) {
      if (local[k] != 0u) {
        atomicAdd(&counts[k], local[k]);
      }
    }
    if (bad != 0u) {
      atomicAdd(&counts[m], bad);
    }
  }
}
