// argmax-rows.wgsl (bench-only variant of shaders/argmax.wgsl): each invocation takes ROWS
// consecutive rows per grid step instead of one. Same rules (first maximum, -0 == +0, first NaN)
// and the same bindings: 0 params uniform (rows), 1 logits read (u32 bits), 2 preds read_write.
// Overrides: NUM_CLASSES, WORKGROUP_SIZE, ROWS.

override NUM_CLASSES: u32 = 1u;
override WORKGROUP_SIZE: u32 = 256u;
override ROWS: u32 = 4u;

struct Params {
  rows: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<u32>;
@group(0) @binding(2) var<storage, read_write> preds: array<u32>;

fn is_nan_bits(bits: u32) -> bool {
  return (bits & 0x7fffffffu) > 0x7f800000u;
}

fn order_key(bits: u32) -> u32 {
  let b = select(bits, 0u, bits == 0x80000000u);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

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
fn argmax_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE * ROWS;
  for (var first = gid.x * ROWS; first < params.rows; first += stride) {
    let last = min(first + ROWS, params.rows);
    for (var row = first; row < last; row++) {
      preds[row] = argmax_row(row * NUM_CLASSES);
    }
  }
}
