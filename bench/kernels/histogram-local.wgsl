// histogram-local.wgsl (bench-only variant of shaders/histogram.wgsl's count_global): each
// invocation counts ROWS consecutive rows per grid step into a function-local array of up to 16
// cells (NUM_CLASSES <= 4), then adds its non-zero cells to the global matrix: at most 16 atomics
// per ROWS rows instead of ROWS. Out-of-range rows are tallied as in histogram.wgsl (count only).
// Bindings as histogram.wgsl: 0 params, 1 labels, 2 preds, 3 counts (NUM_CLASSES^2 + 4 atomics).
// Overrides: NUM_CLASSES (<= 4), WORKGROUP_SIZE, ROWS.

override NUM_CLASSES: u32 = 2u;
override WORKGROUP_SIZE: u32 = 256u;
override ROWS: u32 = 64u;

struct Params {
  rows: u32,
  first_row: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read> preds: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn count_local(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE * ROWS;
  let m = NUM_CLASSES * NUM_CLASSES;
  for (var first = gid.x * ROWS; first < params.rows; first += stride) {
    var local: array<u32, 16>;
    var bad = 0u;
    let last = min(first + ROWS, params.rows);
    for (var row = first; row < last; row++) {
      let label = labels[row];
      let pred = preds[row];
      if (label < NUM_CLASSES && pred < NUM_CLASSES) {
        local[label * NUM_CLASSES + pred] += 1u;
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
