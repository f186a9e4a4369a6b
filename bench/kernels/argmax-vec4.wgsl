// argmax-vec4.wgsl (bench-only variant of shaders/argmax.wgsl): 16-byte loads, for NUM_CLASSES a
// multiple of 4. Same rules and bindings, logits bound as array<vec4<u32>>.
// Overrides: NUM_CLASSES (multiple of 4), WORKGROUP_SIZE.

override NUM_CLASSES: u32 = 4u;
override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  rows: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> preds: array<u32>;

fn order_key(bits: u32) -> u32 {
  let b = select(bits, 0u, bits == 0x80000000u);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn argmax_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  let quads = NUM_CLASSES / 4u;
  for (var row = gid.x; row < params.rows; row += stride) {
    var best = 0u;
    var best_key = 0u;
    var nan = 0xffffffffu;
    for (var q = 0u; q < quads && nan == 0xffffffffu; q++) {
      let v = logits[row * quads + q];
      for (var k = 0u; k < 4u; k++) {
        let bits = v[k];
        if ((bits & 0x7fffffffu) > 0x7f800000u) {
          nan = q * 4u + k;
          break;
        }
        let key = order_key(bits);
        if (key > best_key) {
          best_key = key;
          best = q * 4u + k;
        }
      }
    }
    preds[row] = select(best, nan, nan != 0xffffffffu);
  }
}
