// read-rows.wgsl: a read floor shaped like argmax. Each invocation reads one row of NUM_CLASSES
// u32 and writes their xor, one u32 per row: the same loads and stores as argmax.wgsl without the
// comparisons, so argmax time / read-rows time is the cost of the comparisons alone.
//
// Bindings (group 0): as argmax.wgsl (0 params uniform rows, 1 logits read, 2 out read_write).
// Overrides: NUM_CLASSES, WORKGROUP_SIZE.

override NUM_CLASSES: u32 = 1u;
override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  rows: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn read_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  for (var row = gid.x; row < params.rows; row += stride) {
    var x = 0u;
    let base = row * NUM_CLASSES;
    for (var j = 0u; j < NUM_CLASSES; j++) {
      x ^= logits[base + j];
    }
    out[row] = x;
  }
}
