// threshold-sweep.wgsl: one binary score column and {0,1} targets -> a histogram over threshold bins,
// from which the host's prefix sums give TP and FP at every one of K thresholds in one pass.
//
// The thresholds arrive as K distinct order keys sorted ascending (t_0 < t_1 < ... < t_{K-1}).
// A row's bin is the number of thresholds <= its score (binary search, O(log K)), so bin b in [0, K]
// holds the rows with t_{b-1} <= score < t_b, and the rows with score >= t_k are exactly the bins
// b > k: TP(t_k) = sum of pos[k+1 ..= K], FP(t_k) = sum of neg[k+1 ..= K].
// Scores compare as order-preserving u32 keys of their f32 bits (as argmax.wgsl; -0 equals +0). A
// NaN score is >= no threshold (numpy: NaN >= t is False): it falls in bin 0.
// Targets from the host are validated there (0 or 1) before upload; targets in a GPU buffer are checked
// here (CHECK_TARGETS), as argmax.wgsl checks labels: a target that is not 0 or 1 sets
// counts[2 * NUM_THRESHOLDS + 2] to the max of ~(its row in the chunk), i.e. the first such row (0: none),
// and the host refuses the batch.
//
// counts[b] positives in bin b; counts[NUM_THRESHOLDS + 1 + b] negatives in bin b; then the tally.
//
// threshold_sweep_weighted: the same bins with sample weights. Each row's weight arrives from the
// host as a 64-bit fixed-point integer (lo, hi) (src/format/weights.ts), appended to the targets buffer
// at targets[rows + 2 * row .. + 1] (still 4 storage bindings), and is added into 96-bit cells with
// carries (common/weighted-add.wgsl: exact, independent of thread order): cell c (c = b for the
// positives of bin b, NUM_THRESHOLDS + 1 + b for its negatives) is counts[3c .. 3c + 2]. Weighted targets
// always come from the host (validated there): no tally.
//
// Bindings (group 0):
//   0  params      uniform               Params: rows in this chunk
//   1  scores      storage, read         array<u32>, f32 bits, rows
//   2  targets     storage, read         array<u32>, 0 or 1 (else refused), rows (weighted: then rows x 2
//                                        weight words)
//   3  thresholds  storage, read         array<u32>, NUM_THRESHOLDS order keys, ascending
//   4  counts      storage, read_write   array<atomic<u32>>, 2 x (NUM_THRESHOLDS + 1) + 1 (weighted:
//                                        3 x 2 x (NUM_THRESHOLDS + 1))
// Overrides: NUM_THRESHOLDS, WORKGROUP_SIZE, CHECK_TARGETS (threshold_sweep). Dispatch: 1-D, any count
// (grid-stride).

override NUM_THRESHOLDS: u32 = 1u;
override WORKGROUP_SIZE: u32 = 64u;
override CHECK_TARGETS: bool = false;

struct Params {
  rows: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scores: array<u32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read> thresholds: array<u32>;
@group(0) @binding(4) var<storage, read_write> counts: array<atomic<u32>>;

//!include common/order-key.wgsl
//!include common/weighted-add.wgsl

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

// The row's bin among the positives (cells [0, K]) or the negatives (cells [K + 1, 2K + 1]).
fn cell_of(row: u32) -> u32 {
  let bits = scores[row];
  let bin = select(bin_of(order_key(bits)), 0u, is_nan_bits(bits));
  return select(NUM_THRESHOLDS + 1u, 0u, targets[row] != 0u) + bin;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn threshold_sweep(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  for (var row = gid.x; row < params.rows; row += stride) {
    if (CHECK_TARGETS && targets[row] > 1u) {
      atomicMax(&counts[2u * NUM_THRESHOLDS + 2u], ~row);
    }
    atomicAdd(&counts[cell_of(row)], 1u);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn threshold_sweep_weighted(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  for (var row = gid.x; row < params.rows; row += stride) {
    let w_lo = targets[params.rows + 2u * row];
    let w_hi = targets[params.rows + 2u * row + 1u];
    if ((w_lo | w_hi) != 0u) {
      add_weighted(3u * cell_of(row), w_lo, w_hi);
    }
  }
}
