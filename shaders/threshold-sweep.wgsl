// threshold-sweep.wgsl: one binary score column and {0,1} targets -> a histogram over threshold bins,
// from which the host's prefix sums give TP and FP at every one of K thresholds in one pass.
//
// The thresholds arrive as K distinct order keys sorted ascending (t_0 < t_1 < ... < t_{K-1}).
// A row's bin is the number of thresholds <= its score (binary search, O(log K)), so bin b in [0, K]
// holds the rows with t_{b-1} <= score < t_b, and the rows with score >= t_k are exactly the bins
// b > k: TP(t_k) = sum of pos[k+1 ..= K], FP(t_k) = sum of neg[k+1 ..= K].
// Scores compare as order-preserving u32 keys of their f32 bits (as argmax.wgsl; -0 equals +0). A
// NaN score is >= no threshold (numpy: NaN >= t is False): it falls in bin 0.
// Targets are validated on the host (0 or 1) before upload.
//
// counts[b] positives in bin b; counts[NUM_THRESHOLDS + 1 + b] negatives in bin b.
//
// Bindings (group 0):
//   0  params      uniform               Params: rows in this chunk
//   1  scores      storage, read         array<u32>, f32 bits, rows
//   2  targets     storage, read         array<u32>, 0 or 1, rows
//   3  thresholds  storage, read         array<u32>, NUM_THRESHOLDS order keys, ascending
//   4  counts      storage, read_write   array<atomic<u32>>, 2 x (NUM_THRESHOLDS + 1)
// Overrides: NUM_THRESHOLDS, WORKGROUP_SIZE. Dispatch: 1-D, any count (grid-stride).

override NUM_THRESHOLDS: u32 = 1u;
override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  rows: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scores: array<u32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read> thresholds: array<u32>;
@group(0) @binding(4) var<storage, read_write> counts: array<atomic<u32>>;

//!include common/order-key.wgsl

// The number of thresholds <= key.
fn bin_of(key: u32) -> u32 {
  var lo = 0u;
  var hi = NUM_THRESHOLDS;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (thresholds[mid] <= key) {
      lo = mid + 1u;
    } else {
      hi = mid;
    }
  }
  return lo;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn threshold_sweep(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  for (var row = gid.x; row < params.rows; row += stride) {
    let bits = scores[row];
    let bin = select(bin_of(order_key(bits)), 0u, is_nan_bits(bits));
    let offset = select(NUM_THRESHOLDS + 1u, 0u, targets[row] != 0u);
    atomicAdd(&counts[offset + bin], 1u);
  }
}
