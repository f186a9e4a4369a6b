// copy.wgsl: the GPU copy floor. Copies `params.words` vec4<u32> from src to dst, grid-stride,
// one 16-byte load and store per invocation and step: the fastest plain pass over the bytes of the
// logits that the argmax kernel reads (which also writes only one u32 per row).
//
// Bindings (group 0): 0 params uniform (words: vec4 count), 1 src storage read, 2 dst storage read_write.
// Overrides: WORKGROUP_SIZE.

override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  words: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<u32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn copy(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  for (var i = gid.x; i < params.words; i += stride) {
    dst[i] = src[i];
  }
}
