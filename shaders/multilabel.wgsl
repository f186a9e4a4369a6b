// multilabel.wgsl: N x L scores and N x L {0,1} targets -> per label TP/FP/FN counts, per row TP/FP/FN.
//
// A row predicts label j when score[row, j] >= threshold[j]. Scores are compared as order-preserving
// u32 keys of their f32 bits (as argmax.wgsl does; -0 equals +0), never as floats, so the CPU path
// (src/tasks/multilabel/update-cpu.ts) agrees bit for bit. A NaN score is never >= a threshold: that label
// is predicted negative, as numpy's `scores >= t` (False for NaN) before sklearn sees the predictions.
// Thresholds arrive as keys already (the host computes them; NaN thresholds are refused there).
// Targets from the host are validated there (0 or 1) before upload; targets in a GPU buffer are checked
// here (CHECK_TARGETS), as argmax.wgsl checks labels: a target that is not 0 or 1 sets counts[3 * NUM_LABELS]
// to the max of ~(its element index in the chunk), i.e. the first such target (0: none), and the host
// refuses the batch.
//
// counts[3 * j + 0] TP of label j, [3 * j + 1] FP, [3 * j + 2] FN; TN = rows - TP - FP - FN (host).
// counts[3 * NUM_LABELS] the bad-target tally above.
// counts[3 * NUM_LABELS + 1 + 3 * row + 0..2] the row's TP, FP, FN over its labels, for sklearn's "samples"
// average (stored in the same buffer, so the kernel binds 4 storage buffers, the compatibility minimum).
// With OUTCOME_WORDS > 0 (= ceil(NUM_LABELS / 16)), the row's outcome per label follows, 2 bits each (0 TN, 1 TP,
// 2 FP, 3 FN; label j at bits 2 (j % 16) of word j / 16): counts[3 * NUM_LABELS + 1 + 3 * rows + row * OUTCOME_WORDS
// + w], for the table of distinct rows behind the intervals of the averages (src/tasks/multilabel/row-outcomes.ts).
//
// multilabel_weighted: the same with sample weights. Each row's weight arrives from the host as a
// 64-bit fixed-point integer (lo, hi) (src/format/weights.ts), appended to the targets buffer at
// targets[rows * NUM_LABELS + 2 * row .. + 1] (still 4 storage bindings); it is added into 96-bit
// cells with carries (common/weighted-add.wgsl: exact, independent of thread order): cell 3j + k
// (k = 0 TP, 1 FP, 2 FN) of label j is counts[3 (3j + k) .. + 2]. The per row TP, FP, FN (plain
// counts over the row's labels; the host weighs them) follow at counts[9 * NUM_LABELS + 3 * row].
//
// Bindings (group 0):
//   0  params      uniform               Params: rows in this chunk
//   1  scores      storage, read         array<u32>, f32 bits, rows x NUM_LABELS, row-major
//   2  targets     storage, read         array<u32>, 0 or 1 (else refused), rows x NUM_LABELS, row-major
//                                        (weighted: then rows x 2 fixed-point weight words)
//   3  thresholds  storage, read         array<u32>, NUM_LABELS order keys
//   4  counts      storage, read_write   array<atomic<u32>>, 3 x NUM_LABELS + 1 + (3 + OUTCOME_WORDS) x rows
//                                        (weighted: 9 x NUM_LABELS + 3 x rows)
// Overrides: NUM_LABELS, WORKGROUP_SIZE, CHECK_TARGETS and OUTCOME_WORDS (multilabel). Dispatch: 1-D, one
// invocation per row, any count (grid-stride).

override NUM_LABELS: u32 = 1u;
override WORKGROUP_SIZE: u32 = 64u;
override CHECK_TARGETS: bool = false;
override OUTCOME_WORDS: u32 = 0u;

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

// Whether label j of the row whose scores start at `base` is predicted (score >= threshold; NaN: never).
fn predicts(base: u32, j: u32) -> bool {
  let bits = scores[base + j];
  return !is_nan_bits(bits) && order_key(bits) >= thresholds[j];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn multilabel(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  for (var row = gid.x; row < params.rows; row += stride) {
    var tp = 0u;
    var fp = 0u;
    var fn_ = 0u;
    var word = 0u;
    let base = row * NUM_LABELS;
    let outcomes = 3u * NUM_LABELS + 1u + 3u * params.rows + row * OUTCOME_WORDS;
    for (var j = 0u; j < NUM_LABELS; j++) {
      let predicted = predicts(base, j);
      let t = targets[base + j];
      if (CHECK_TARGETS && t > 1u) {
        atomicMax(&counts[3u * NUM_LABELS], ~(base + j));
      }
      let actual = t != 0u;
      var code = 0u;
      if (predicted && actual) {
        tp += 1u;
        code = 1u;
        atomicAdd(&counts[3u * j], 1u);
      } else if (predicted) {
        fp += 1u;
        code = 2u;
        atomicAdd(&counts[3u * j + 1u], 1u);
      } else if (actual) {
        fn_ += 1u;
        code = 3u;
        atomicAdd(&counts[3u * j + 2u], 1u);
      }
      if (OUTCOME_WORDS > 0u) {
        word |= code << (2u * (j % 16u));
        if (j % 16u == 15u || j + 1u == NUM_LABELS) {
          atomicStore(&counts[outcomes + j / 16u], word);
          word = 0u;
        }
      }
    }
    let stats = 3u * NUM_LABELS + 1u + 3u * row;
    atomicStore(&counts[stats], tp);
    atomicStore(&counts[stats + 1u], fp);
    atomicStore(&counts[stats + 2u], fn_);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn multilabel_weighted(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * WORKGROUP_SIZE;
  let weight_words = params.rows * NUM_LABELS;
  for (var row = gid.x; row < params.rows; row += stride) {
    var tp = 0u;
    var fp = 0u;
    var fn_ = 0u;
    let base = row * NUM_LABELS;
    let w_lo = targets[weight_words + 2u * row];
    let w_hi = targets[weight_words + 2u * row + 1u];
    let weighs = (w_lo | w_hi) != 0u;
    for (var j = 0u; j < NUM_LABELS; j++) {
      let predicted = predicts(base, j);
      let actual = targets[base + j] != 0u;
      var k = 3u;
      if (predicted && actual) {
        tp += 1u;
        k = 0u;
      } else if (predicted) {
        fp += 1u;
        k = 1u;
      } else if (actual) {
        fn_ += 1u;
        k = 2u;
      }
      if (k < 3u && weighs) {
        add_weighted(3u * (3u * j + k), w_lo, w_hi);
      }
    }
    let stats = 9u * NUM_LABELS + 3u * row;
    atomicStore(&counts[stats], tp);
    atomicStore(&counts[stats + 1u], fp);
    atomicStore(&counts[stats + 2u], fn_);
  }
}
