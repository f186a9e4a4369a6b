;; The fast CPU path's WebAssembly SIMD module (src/tasks/multiclass/update-cpu-fast.ts), assembled by
;; scripts/gen-cpu-wasm.mjs into src/tasks/multiclass/cpu-wasm.generated.ts, once as written and once with
;; the imported memory shared (worker threads).
;;
;; Exports (pointers are byte offsets into env.memory; f32 rows are row-major, c floats each):
;;   argmax(src, rows, c, dst)            i32 index of each row's maximum, the oracle's rule
;;   count(lab, pred, rows, c, cnt)       u32 counts[lab * c + pred] += 1
;;   update(src, lab, rows, c, dst, cnt)  argmax, then count unless cnt is -1 (C = 2: by SIMD sums per cell)
;;   flush(cnt, totals, cells)            f64 totals[i] += u32 cnt[i]; cnt[i] = 0
;;   argmax_rows4 (c >= 1) / argmax_cols (c >= 4) / argmax_cols16 (c >= 16)(src, rows, c, dst)
;;                                        the strategies argmax chooses between
;;   argmax_half(src, rows, c, dst, kind, scratch)  argmax of 16-bit logits (kind 0: float16, 1: bfloat16): as
;;                                        16-bit keys for 8 <= C < 2^20 (C = 2: in pairs, 4 rows a vector), else
;;                                        widened exactly into f32 at scratch (max(16 KiB, 4 c) bytes; also where a
;;                                        row holding NaN is redone), by blocks
;;   update_half(src, lab, rows, c, dst, cnt, kind, scratch)  argmax_half, then count as update does
;;   widen_f16 / widen_bf16(src, n, dst)  n 16-bit floats at src widened exactly to f32 at dst
;;   read_floor(src, bytes)               i32 SIMD sum of bytes (a multiple of 64): the read-only pass the bench
;;                                        compares with
;; The rule (src/tasks/multiclass/update-cpu.ts argmaxRow): first maximum on ties, -0 == +0, first NaN wins.
;; Floats compare with f32x4.gt (never true for NaN, false for -0 vs +0); a row holding NaN is detected
;; (a lane sum turns NaN) and redone by the scalar oracle $argmax_s.
(module
  (import "env" "memory" (memory 1 65536))

  ;; Below this class count argmax puts 4 rows in the 4 lanes (gathered), from it on 16 columns a step
  ;; (argmax_cols16, which needs C >= 16; argmax_cols, 4 columns a step, is no longer chosen: bench/NOTES.md 19).
  (global $rows4_below i32 (i32.const 32))

  ;; Scalar oracle for one row at byte offset $p: the same code as argmaxRow.
  (func $argmax_s (param $p i32) (param $c i32) (result i32)
    (local $j i32) (local $best i32) (local $bv f32) (local $v f32)
    (if (f32.ne (local.tee $bv (f32.load (local.get $p))) (local.get $bv))
      (then (return (i32.const 0))))
    (local.set $j (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $c)))
        (if (f32.gt (local.tee $v (f32.load (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2)))))
                    (local.get $bv))
          (then
            (local.set $bv (local.get $v))
            (local.set $best (local.get $j)))
          (else
            (if (f32.ne (local.get $v) (local.get $v))
              (then (return (local.get $j))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next)))
    (local.get $best))

  ;; Rows at $p .. as many as $k, one by one through $argmax_s, indices to $dst onwards.
  (func $argmax_s_rows (param $p i32) (param $k i32) (param $c i32) (param $dst i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $k)))
        (i32.store (local.get $dst) (call $argmax_s (local.get $p) (local.get $c)))
        (local.set $p (i32.add (local.get $p) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $next))))

  ;; C = 2, four rows per step: predict 1 iff a == a and not (b <= a), i.e. b wins or is the first NaN.
  (func $argmax_2 (param $src i32) (param $rows i32) (param $dst i32)
    (local $end i32) (local $x v128) (local $y v128) (local $a v128)
    (local.set $end (i32.add (local.get $dst) (i32.shl (i32.and (local.get $rows) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        ;; $a: column 0 of the four rows; the second shuffle below: column 1
        (local.set $a (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
          (local.tee $x (v128.load align=4 (local.get $src)))
          (local.tee $y (v128.load offset=16 align=4 (local.get $src)))))
        (v128.store align=4 (local.get $dst)
          (v128.and
            (v128.andnot
              (f32x4.eq (local.get $a) (local.get $a))
              (f32x4.le (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $x) (local.get $y))
                        (local.get $a)))
            (v128.const i32x4 1 1 1 1)))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next)))
    (call $argmax_s_rows (local.get $src) (i32.and (local.get $rows) (i32.const 3)) (i32.const 2) (local.get $dst)))

  ;; Any C: four rows in the four lanes, columns in order; a lane takes column j when it is strictly greater.
  (func $argmax_rows4 (export "argmax_rows4") (param $src i32) (param $rows i32) (param $c i32) (param $dst i32)
    (local $s1 i32) (local $s2 i32) (local $s3 i32) (local $p i32) (local $q i32) (local $qend i32) (local $end i32)
    (local $m v128) (local $idx v128) (local $acc v128) (local $v v128) (local $gt v128) (local $jv v128)
    ;; $s1, $s2, $s3: byte distances from a row to the next three
    (local.set $s3 (i32.add
      (local.tee $s2 (i32.add (local.tee $s1 (i32.shl (local.get $c) (i32.const 2))) (local.get $s1)))
      (local.get $s1)))
    (local.set $p (local.get $src))
    (local.set $end (i32.add (local.get $dst) (i32.shl (i32.and (local.get $rows) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $group
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (local.set $q (local.get $p))
        ;; gather column $q of the four rows into $v (repeated in $col below)
        (local.set $v (v128.load32_zero (local.get $q)))
        (local.set $v (v128.load32_lane 1 (i32.add (local.get $q) (local.get $s1)) (local.get $v)))
        (local.set $v (v128.load32_lane 2 (i32.add (local.get $q) (local.get $s2)) (local.get $v)))
        (local.set $v (v128.load32_lane 3 (i32.add (local.get $q) (local.get $s3)) (local.get $v)))
        (local.set $acc (local.tee $m (local.get $v)))
        (local.set $idx (v128.const i32x4 0 0 0 0))
        (local.set $jv (v128.const i32x4 1 1 1 1))
        (local.set $qend (i32.add (local.get $p) (local.get $s1)))
        (block $cols_done
          (loop $col
            (br_if $cols_done (i32.ge_u (local.tee $q (i32.add (local.get $q) (i32.const 4))) (local.get $qend)))
            (local.set $v (v128.load32_zero (local.get $q)))
            (local.set $v (v128.load32_lane 1 (i32.add (local.get $q) (local.get $s1)) (local.get $v)))
            (local.set $v (v128.load32_lane 2 (i32.add (local.get $q) (local.get $s2)) (local.get $v)))
            (local.set $v (v128.load32_lane 3 (i32.add (local.get $q) (local.get $s3)) (local.get $v)))
            (local.set $gt (f32x4.gt (local.get $v) (local.get $m)))
            (local.set $m (f32x4.pmax (local.get $m) (local.get $v)))
            (local.set $idx (v128.bitselect (local.get $jv) (local.get $idx) (local.get $gt)))
            (local.set $acc (f32x4.add (local.get $acc) (local.get $v)))
            (local.set $jv (i32x4.add (local.get $jv) (v128.const i32x4 1 1 1 1)))
            (br $col)))
        (if (v128.any_true (f32x4.ne (local.get $acc) (local.get $acc)))
          (then (call $argmax_s_rows (local.get $p) (i32.const 4) (local.get $c) (local.get $dst)))
          (else (v128.store align=4 (local.get $dst) (local.get $idx))))
        (local.set $p (i32.add (i32.add (local.get $p) (local.get $s2)) (local.get $s2)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $group)))
    (call $argmax_s_rows (local.get $p) (i32.and (local.get $rows) (i32.const 3)) (local.get $c) (local.get $dst)))

  ;; C >= 4: one row at a time, 4 columns in the 4 lanes; the last 1..3 columns are read again as the
  ;; overlapping vector at C - 4 (a column read twice cannot win twice: lanes take strictly greater).
  ;; Each lane keeps the first index of its own maximum; the answer is the least index among lanes
  ;; holding the row's maximum, which is the row's first maximum.
  (func $argmax_cols (export "argmax_cols") (param $src i32) (param $rows i32) (param $c i32) (param $dst i32)
    (local $rb i32) (local $p i32) (local $q i32) (local $last i32) (local $end i32)
    (local $m v128) (local $idx v128) (local $acc v128) (local $v v128) (local $gt v128) (local $jv v128)
    (local $jt v128) (local $t v128)
    (local.set $rb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $jt (i32x4.add (i32x4.splat (i32.sub (local.get $c) (i32.const 4))) (v128.const i32x4 0 1 2 3)))
    (local.set $p (local.get $src))
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $rows) (i32.const 2))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (local.set $acc (local.tee $m (v128.load align=4 (local.get $p))))
        (local.set $idx (v128.const i32x4 0 1 2 3))
        (local.set $jv (v128.const i32x4 4 5 6 7))
        (local.set $q (i32.add (local.get $p) (i32.const 16)))
        (local.set $last (i32.sub (i32.add (local.get $p) (local.get $rb)) (i32.const 16)))
        (block $cols_done
          (loop $col
            (br_if $cols_done (i32.gt_u (local.get $q) (local.get $last)))
            ;; one step: the 4 columns at $q against the lanes' maxima $m, indices $jv
            (local.set $gt (f32x4.gt (local.tee $v (v128.load align=4 (local.get $q))) (local.get $m)))
            (local.set $m (f32x4.pmax (local.get $m) (local.get $v)))
            (local.set $idx (v128.bitselect (local.get $jv) (local.get $idx) (local.get $gt)))
            (local.set $acc (f32x4.add (local.get $acc) (local.get $v)))
            (local.set $jv (i32x4.add (local.get $jv) (v128.const i32x4 4 4 4 4)))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br $col)))
        ;; 1..3 columns left: the same step on the overlapping vector at $last, indices $jt
        (if (i32.ne (local.get $q) (i32.add (local.get $last) (i32.const 16)))
          (then
            (local.set $gt (f32x4.gt (local.tee $v (v128.load align=4 (local.get $last))) (local.get $m)))
            (local.set $m (f32x4.pmax (local.get $m) (local.get $v)))
            (local.set $idx (v128.bitselect (local.get $jt) (local.get $idx) (local.get $gt)))
            (local.set $acc (f32x4.add (local.get $acc) (local.get $v)))))
        (i32.store (local.get $dst)
          (if (result i32) (v128.any_true (f32x4.ne (local.get $acc) (local.get $acc)))
            (then (call $argmax_s (local.get $p) (local.get $c)))
            (else
              ;; $t: the row's maximum in every lane (pmax with the halves swapped, then the pairs)
              (local.set $t (f32x4.pmax
                (local.tee $t (f32x4.pmax (local.get $m)
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $m) (local.get $m))))
                (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $t) (local.get $t))))
              ;; the least index among the lanes equal to it (others at i32 max), by the same two swaps
              (i32x4.extract_lane 0 (i32x4.min_s
                (local.tee $t (i32x4.min_s
                  (local.tee $t (v128.bitselect (local.get $idx)
                    (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff)
                    (f32x4.eq (local.get $m) (local.get $t))))
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $t) (local.get $t))))
                (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $t) (local.get $t)))))))
        (local.set $p (i32.add (local.get $p) (local.get $rb)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $row))))

  ;; C >= 16: one row at a time, 16 columns (4 vectors) per step. Each lane keeps its maximum $m of the
  ;; steps' lane maxima and the byte offset $at of the first step that reached it (strictly greater, as in
  ;; argmax_cols); the last 1..15 columns are read again as the overlapping step at C - 16. The row's first
  ;; maximum lies in the least step among lanes holding the row's maximum (a step before it holds none),
  ;; and is that step's first column equal to it.
  (func $argmax_cols16 (export "argmax_cols16") (param $src i32) (param $rows i32) (param $c i32) (param $dst i32)
    (local $rb i32) (local $p i32) (local $q i32) (local $last i32) (local $end i32) (local $b i32)
    (local $m v128) (local $at v128) (local $acc v128) (local $bm v128) (local $v0 v128) (local $v1 v128)
    (local $v2 v128) (local $v3 v128) (local $t v128)
    (local.set $rb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $p (local.get $src))
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $rows) (i32.const 2))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (local.set $m (v128.const f32x4 -inf -inf -inf -inf))
        (local.set $at (i32x4.splat (local.get $p)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $q (local.get $p))
        (local.set $last (i32.sub (i32.add (local.get $p) (local.get $rb)) (i32.const 64)))
        (block $cols_done
          (loop $col
            (if (i32.gt_u (local.get $q) (local.get $last))
              (then
                (br_if $cols_done (i32.eq (local.get $q) (i32.add (local.get $last) (i32.const 64))))
                ;; 1..15 columns left: one more step on the overlapping block at $last
                (local.set $q (local.get $last))))
            (local.set $v0 (v128.load align=4 (local.get $q)))
            (local.set $v1 (v128.load offset=16 align=4 (local.get $q)))
            (local.set $v2 (v128.load offset=32 align=4 (local.get $q)))
            (local.set $v3 (v128.load offset=48 align=4 (local.get $q)))
            (local.set $bm (f32x4.pmax (f32x4.pmax (local.get $v0) (local.get $v1))
                                       (f32x4.pmax (local.get $v2) (local.get $v3))))
            (local.set $at (v128.bitselect (i32x4.splat (local.get $q)) (local.get $at)
              (f32x4.gt (local.get $bm) (local.get $m))))
            (local.set $m (f32x4.pmax (local.get $m) (local.get $bm)))
            (local.set $acc (f32x4.add (local.get $acc)
              (f32x4.add (f32x4.add (local.get $v0) (local.get $v1)) (f32x4.add (local.get $v2) (local.get $v3)))))
            (local.set $q (i32.add (local.get $q) (i32.const 64)))
            (br $col)))
        (i32.store (local.get $dst)
          (if (result i32) (v128.any_true (f32x4.ne (local.get $acc) (local.get $acc)))
            (then (call $argmax_s (local.get $p) (local.get $c)))
            (else
              ;; $t: the row's maximum in every lane
              (local.set $t (f32x4.pmax
                (local.tee $t (f32x4.pmax (local.get $m)
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $m) (local.get $m))))
                (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $t) (local.get $t))))
              ;; $b: the least step among the lanes equal to it (others at u32 max)
              (local.set $bm (i32x4.min_u
                (local.tee $bm (i32x4.min_u
                  (local.tee $bm (v128.bitselect (local.get $at) (v128.const i32x4 -1 -1 -1 -1)
                    (f32x4.eq (local.get $m) (local.get $t))))
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $bm) (local.get $bm))))
                (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $bm) (local.get $bm))))
              (local.set $b (i32x4.extract_lane 0 (local.get $bm)))
              ;; its first column equal to the maximum: the lowest bit of the step's 16 equality bits
              (i32.add
                (i32.shr_u (i32.sub (local.get $b) (local.get $p)) (i32.const 2))
                (i32.ctz (i32.or
                  (i32.or (i32x4.bitmask (f32x4.eq (v128.load align=4 (local.get $b)) (local.get $t)))
                    (i32.shl (i32x4.bitmask (f32x4.eq (v128.load offset=16 align=4 (local.get $b)) (local.get $t)))
                      (i32.const 4)))
                  (i32.or
                    (i32.shl (i32x4.bitmask (f32x4.eq (v128.load offset=32 align=4 (local.get $b)) (local.get $t)))
                      (i32.const 8))
                    (i32.shl (i32x4.bitmask (f32x4.eq (v128.load offset=48 align=4 (local.get $b)) (local.get $t)))
                      (i32.const 12)))))))))
        (local.set $p (i32.add (local.get $p) (local.get $rb)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $row))))

  ;; $n float16 bits at $src widened exactly (as src/format/half.ts float16BitsToFloat32Bits) to f32 at $dst:
  ;; h << 16, shifted right arithmetically by 3 and masked puts sign, exponent and fraction where an f32 has
  ;; them; times 2^112 rebiases the exponent (subnormals exactly); exponent 31 (Inf, NaN) gets 0x38000000.
  (func $widen_f16 (export "widen_f16") (param $src i32) (param $n i32) (param $dst i32)
    (local $end i32) (local $x v128) (local $h i32)
    (local $keep v128) (local $scale v128) (local $abs v128) (local $big v128) (local $inf v128)
    ;; constants in locals: V8 would build a v128.const in the loop on every step
    (local.set $keep (v128.const i32x4 0x8fffe000 0x8fffe000 0x8fffe000 0x8fffe000))
    (local.set $scale (v128.const f32x4 0x1p112 0x1p112 0x1p112 0x1p112))
    (local.set $abs (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff))
    (local.set $big (v128.const i32x4 0x0f7fffff 0x0f7fffff 0x0f7fffff 0x0f7fffff))
    (local.set $inf (v128.const i32x4 0x38000000 0x38000000 0x38000000 0x38000000))
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 1))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $x (v128.and
          (i32x4.shr_s (i32x4.shl (i32x4.extend_low_i16x8_u (v128.load64_zero align=2 (local.get $src)))
            (i32.const 16)) (i32.const 3))
          (local.get $keep)))
        (v128.store align=4 (local.get $dst) (v128.or
          (f32x4.mul (local.get $x) (local.get $scale))
          (v128.and (local.get $inf)
            (i32x4.gt_s (v128.and (local.get $x) (local.get $abs)) (local.get $big)))))
        (local.set $src (i32.add (local.get $src) (i32.const 8)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 1))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $h (i32.and (i32.shr_s (i32.shl (i32.load16_u (local.get $src)) (i32.const 16)) (i32.const 3))
          (i32.const 0x8fffe000)))
        (i32.store (local.get $dst) (i32.or
          (i32.reinterpret_f32 (f32.mul (f32.reinterpret_i32 (local.get $h)) (f32.const 0x1p112)))
          (select (i32.const 0x38000000) (i32.const 0)
            (i32.gt_u (i32.and (local.get $h) (i32.const 0x7fffffff)) (i32.const 0x0f7fffff)))))
        (local.set $src (i32.add (local.get $src) (i32.const 2)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $next))))

  ;; $n bfloat16 bits at $src widened to f32 at $dst (h << 16).
  (func $widen_bf16 (export "widen_bf16") (param $src i32) (param $n i32) (param $dst i32)
    (local $end i32) (local $v v128) (local $zero v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 1))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $v (v128.load align=2 (local.get $src)))
        ;; the 16-bit words interleaved with zeros, zeros first (punpcklwd / punpckhwd)
        (v128.store align=4 (local.get $dst) (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23
          (local.get $zero) (local.get $v)))
        (v128.store offset=16 align=4 (local.get $dst) (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31
          (local.get $zero) (local.get $v)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br $next)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 7)) (i32.const 1))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (i32.store (local.get $dst) (i32.shl (i32.load16_u (local.get $src)) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 2)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $next))))

  ;; 16-bit logits: argmax_keys for 32 < C < 2^20 (its step numbers are 16-bit), argmax_keys8x2 / argmax_keys8 for
  ;; 8 <= C <= 16 / C <= 32, argmax_half_2 for C = 2 (all but the last 1..3 rows); else blocks of rows (4096 floats,
  ;; a multiple of 4 rows, or one row) widened into $scratch, where they stay in L1/L2 for argmax.
  ;; 16-bit logits, 32 <= C < 2^20, compared as 16-bit keys: a = h & 0x7fff, key = h < 0 ? -a : a orders the halves
  ;; as their values (-0 and +0 both 0). A lane's a above 0x7c00 (float16) / 0x7f80 (bfloat16) is a NaN: such a row is
  ;; widened into $scratch and redone by the scalar oracle. 32 columns (4 vectors of 8) a step; each lane keeps its
  ;; largest key and the number of the first step that reached it (the overlapping last step, at C - 32, is number
  ;; $nfull); the answer is the first key equal to the row's largest in the least such step (as argmax_cols16).
  (func $argmax_keys
    (param $src i32) (param $rows i32) (param $c i32) (param $dst i32) (param $kind i32) (param $scratch i32)
    (local $rb i32) (local $p i32) (local $q i32) (local $last i32) (local $end i32) (local $b i32) (local $nfull i32)
    (local $m v128) (local $at v128) (local $amax v128) (local $bm v128) (local $jv v128) (local $t v128)
    (local $k0 v128) (local $k1 v128) (local $k2 v128) (local $k3 v128) (local $low v128) (local $nan v128)
    (local $one v128) (local $h v128) (local $s v128)
    (local.set $low (v128.const i16x8 0x7fff 0x7fff 0x7fff 0x7fff 0x7fff 0x7fff 0x7fff 0x7fff))
    (local.set $one (v128.const i16x8 1 1 1 1 1 1 1 1))
    (local.set $nan (i16x8.splat (select (i32.const 0x7f80) (i32.const 0x7c00) (local.get $kind))))
    (local.set $rb (i32.shl (local.get $c) (i32.const 1)))
    (local.set $nfull (i32.shr_u (local.get $c) (i32.const 5)))
    (local.set $p (local.get $src))
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $rows) (i32.const 2))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (local.set $m (v128.const i16x8 -32768 -32768 -32768 -32768 -32768 -32768 -32768 -32768))
        (local.set $at (v128.const i16x8 0 0 0 0 0 0 0 0))
        (local.set $jv (v128.const i16x8 0 0 0 0 0 0 0 0))
        (local.set $amax (v128.const i16x8 0 0 0 0 0 0 0 0))
        (local.set $q (local.get $p))
        (local.set $last (i32.sub (i32.add (local.get $p) (local.get $rb)) (i32.const 64)))
        (block $cols_done
          (loop $col
            (if (i32.gt_u (local.get $q) (local.get $last))
              (then
                (br_if $cols_done (i32.eq (local.get $q) (i32.add (local.get $last) (i32.const 64))))
                (local.set $q (local.get $last))))
            (local.set $h (v128.load align=2 (local.get $q)))
            (local.set $k0 (i16x8.sub (v128.xor (v128.and (local.get $h) (local.get $low))
              (local.tee $s (i16x8.shr_s (local.get $h) (i32.const 15)))) (local.get $s)))
            (local.set $amax (i16x8.max_u (local.get $amax) (v128.and (local.get $h) (local.get $low))))
            (local.set $h (v128.load offset=16 align=2 (local.get $q)))
            (local.set $k1 (i16x8.sub (v128.xor (v128.and (local.get $h) (local.get $low))
              (local.tee $s (i16x8.shr_s (local.get $h) (i32.const 15)))) (local.get $s)))
            (local.set $amax (i16x8.max_u (local.get $amax) (v128.and (local.get $h) (local.get $low))))
            (local.set $h (v128.load offset=32 align=2 (local.get $q)))
            (local.set $k2 (i16x8.sub (v128.xor (v128.and (local.get $h) (local.get $low))
              (local.tee $s (i16x8.shr_s (local.get $h) (i32.const 15)))) (local.get $s)))
            (local.set $amax (i16x8.max_u (local.get $amax) (v128.and (local.get $h) (local.get $low))))
            (local.set $h (v128.load offset=48 align=2 (local.get $q)))
            (local.set $k3 (i16x8.sub (v128.xor (v128.and (local.get $h) (local.get $low))
              (local.tee $s (i16x8.shr_s (local.get $h) (i32.const 15)))) (local.get $s)))
            (local.set $amax (i16x8.max_u (local.get $amax) (v128.and (local.get $h) (local.get $low))))
            (local.set $bm (i16x8.max_s (i16x8.max_s (local.get $k0) (local.get $k1))
                                        (i16x8.max_s (local.get $k2) (local.get $k3))))
            (local.set $at (v128.bitselect (local.get $jv) (local.get $at) (i16x8.gt_s (local.get $bm) (local.get $m))))
            (local.set $m (i16x8.max_s (local.get $m) (local.get $bm)))
            (local.set $jv (i16x8.add (local.get $jv) (local.get $one)))
            (local.set $q (i32.add (local.get $q) (i32.const 64)))
            (br $col)))
        (i32.store (local.get $dst)
          (if (result i32) (v128.any_true (i16x8.gt_u (local.get $amax) (local.get $nan)))
            (then
              (if (local.get $kind)
                (then (call $widen_bf16 (local.get $p) (local.get $c) (local.get $scratch)))
                (else (call $widen_f16 (local.get $p) (local.get $c) (local.get $scratch))))
              (call $argmax_s (local.get $scratch) (local.get $c)))
            (else
              ;; $t: the row's largest key in every lane (three swaps)
              (local.set $t (i16x8.max_s (local.get $m)
                (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $m) (local.get $m))))
              (local.set $t (i16x8.max_s (local.get $t)
                (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $t) (local.get $t))))
              (local.set $t (i16x8.max_s (local.get $t)
                (i8x16.shuffle 2 3 0 1 6 7 4 5 10 11 8 9 14 15 12 13 (local.get $t) (local.get $t))))
              ;; $b: the least step number among the lanes equal to it (others at 0xffff)
              (local.set $bm (v128.bitselect (local.get $at) (v128.const i16x8 -1 -1 -1 -1 -1 -1 -1 -1)
                (i16x8.eq (local.get $m) (local.get $t))))
              (local.set $bm (i16x8.min_u (local.get $bm)
                (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $bm) (local.get $bm))))
              (local.set $bm (i16x8.min_u (local.get $bm)
                (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $bm) (local.get $bm))))
              (local.set $bm (i16x8.min_u (local.get $bm)
                (i8x16.shuffle 2 3 0 1 6 7 4 5 10 11 8 9 14 15 12 13 (local.get $bm) (local.get $bm))))
              (local.set $b (i16x8.extract_lane_u 0 (local.get $bm)))
              (local.set $q (select (local.get $last) (i32.add (local.get $p) (i32.shl (local.get $b) (i32.const 6)))
                (i32.eq (local.get $b) (local.get $nfull))))
              ;; the first key equal to it in that step: the lowest of its 32 equality bits
              (local.set $h (v128.load align=2 (local.get $q)))
              (local.set $k0 (i16x8.sub (v128.xor (v128.and (local.get $h) (local.get $low))
                (local.tee $s (i16x8.shr_s (local.get $h) (i32.const 15)))) (local.get $s)))
              (local.set $h (v128.load offset=16 align=2 (local.get $q)))
              (local.set $k1 (i16x8.sub (v128.xor (v128.and (local.get $h) (local.get $low))
                (local.tee $s (i16x8.shr_s (local.get $h) (i32.const 15)))) (local.get $s)))
              (local.set $h (v128.load offset=32 align=2 (local.get $q)))
              (local.set $k2 (i16x8.sub (v128.xor (v128.and (local.get $h) (local.get $low))
                (local.tee $s (i16x8.shr_s (local.get $h) (i32.const 15)))) (local.get $s)))
              (local.set $h (v128.load offset=48 align=2 (local.get $q)))
              (local.set $k3 (i16x8.sub (v128.xor (v128.and (local.get $h) (local.get $low))
                (local.tee $s (i16x8.shr_s (local.get $h) (i32.const 15)))) (local.get $s)))
              (i32.add
                (i32.shr_u (i32.sub (local.get $q) (local.get $p)) (i32.const 1))
                (i32.ctz (i32.or
                  (i32.or (i16x8.bitmask (i16x8.eq (local.get $k0) (local.get $t)))
                    (i32.shl (i16x8.bitmask (i16x8.eq (local.get $k1) (local.get $t))) (i32.const 8)))
                  (i32.or (i32.shl (i16x8.bitmask (i16x8.eq (local.get $k2) (local.get $t))) (i32.const 16))
                    (i32.shl (i16x8.bitmask (i16x8.eq (local.get $k3) (local.get $t))) (i32.const 24)))))))))
        (local.set $p (i32.add (local.get $p) (local.get $rb)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $row))))

  ;; C = 2 halves, four rows (one vector) a step: in each 32-bit lane the row's column 0 is the low half, column 1 the
  ;; high half; shifted down, column 1's key and NaN bit meet column 0's. Predict 1 iff a is no NaN and (b is, or b's
  ;; key is greater). Rows past a multiple of 4 are left to the caller.
  (func $argmax_half_2 (param $src i32) (param $rows i32) (param $dst i32) (param $kind i32)
    (local $end i32) (local $h v128) (local $k v128) (local $n v128) (local $nan v128) (local $low v128)
    (local $one v128) (local $s v128)
    (local.set $low (v128.const i16x8 0x7fff 0x7fff 0x7fff 0x7fff 0x7fff 0x7fff 0x7fff 0x7fff))
    (local.set $one (v128.const i32x4 1 1 1 1))
    (local.set $nan (i16x8.splat (select (i32.const 0x7f80) (i32.const 0x7c00) (local.get $kind))))
    (local.set $end (i32.add (local.get $dst) (i32.shl (i32.and (local.get $rows) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (local.set $h (v128.load align=2 (local.get $src)))
        (local.set $n (i16x8.gt_u (v128.and (local.get $h) (local.get $low)) (local.get $nan)))
        (local.set $k (i16x8.sub (v128.xor (v128.and (local.get $h) (local.get $low))
          (local.tee $s (i16x8.shr_s (local.get $h) (i32.const 15)))) (local.get $s)))
        (v128.store align=4 (local.get $dst)
          (v128.and (local.get $one)
            (v128.andnot
              (v128.or (i16x8.gt_s (i32x4.shr_u (local.get $k) (i32.const 16)) (local.get $k))
                (i32x4.shr_u (local.get $n) (i32.const 16)))
              (local.get $n))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next))))

  ;; 8 <= C <= 32 halves, one row a step as 16-bit keys in four vectors of 8 columns from columns 0, min(8, C - 8),
  ;; min(16, C - 8) and C - 8 (overlaps read a column twice: harmless for the maximum and for its first column). The
  ;; answer is the lowest of the columns' equality bits with the row's largest key; a row holding NaN is widened into
  ;; $scratch and redone by the scalar oracle. (A lane's largest absolute pattern above the NaN threshold is a NaN.)
  (func $argmax_keys8
    (param $src i32) (param $rows i32) (param $c i32) (param $dst i32) (param $kind i32) (param $scratch i32)
    (local $rb i32) (local $o1 i32) (local $o2 i32) (local $o3 i32) (local $end i32)
    (local $h0 v128) (local $h1 v128) (local $h2 v128) (local $h3 v128) (local $k0 v128) (local $k1 v128)
    (local $k2 v128) (local $k3 v128) (local $t v128) (local $low v128) (local $nan v128) (local $s v128)
    (local.set $low (v128.const i16x8 0x7fff 0x7fff 0x7fff 0x7fff 0x7fff 0x7fff 0x7fff 0x7fff))
    (local.set $nan (i16x8.splat (select (i32.const 0x7f80) (i32.const 0x7c00) (local.get $kind))))
    (local.set $rb (i32.shl (local.get $c) (i32.const 1)))
    (local.set $o3 (i32.sub (local.get $c) (i32.const 8)))
    (local.set $o1 (select (i32.const 8) (local.get $o3) (i32.gt_u (local.get $o3) (i32.const 8))))
    (local.set $o2 (select (i32.const 16) (local.get $o3) (i32.gt_u (local.get $o3) (i32.const 16))))
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $rows) (i32.const 2))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (local.set $h0 (v128.load align=2 (local.get $src)))
        (local.set $h1 (v128.load align=2 (i32.add (local.get $src) (i32.shl (local.get $o1) (i32.const 1)))))
        (local.set $h2 (v128.load align=2 (i32.add (local.get $src) (i32.shl (local.get $o2) (i32.const 1)))))
        (local.set $h3 (v128.load align=2 (i32.add (local.get $src) (i32.shl (local.get $o3) (i32.const 1)))))
        (local.set $k0 (i16x8.sub (v128.xor (v128.and (local.get $h0) (local.get $low))
          (local.tee $s (i16x8.shr_s (local.get $h0) (i32.const 15)))) (local.get $s)))
        (local.set $k1 (i16x8.sub (v128.xor (v128.and (local.get $h1) (local.get $low))
          (local.tee $s (i16x8.shr_s (local.get $h1) (i32.const 15)))) (local.get $s)))
        (local.set $k2 (i16x8.sub (v128.xor (v128.and (local.get $h2) (local.get $low))
          (local.tee $s (i16x8.shr_s (local.get $h2) (i32.const 15)))) (local.get $s)))
        (local.set $k3 (i16x8.sub (v128.xor (v128.and (local.get $h3) (local.get $low))
          (local.tee $s (i16x8.shr_s (local.get $h3) (i32.const 15)))) (local.get $s)))
        (i32.store (local.get $dst)
          (if (result i32) (v128.any_true (i16x8.gt_u
              (i16x8.max_u
                (i16x8.max_u (v128.and (local.get $h0) (local.get $low)) (v128.and (local.get $h1) (local.get $low)))
                (i16x8.max_u (v128.and (local.get $h2) (local.get $low)) (v128.and (local.get $h3) (local.get $low))))
              (local.get $nan)))
            (then
              (if (local.get $kind)
                (then (call $widen_bf16 (local.get $src) (local.get $c) (local.get $scratch)))
                (else (call $widen_f16 (local.get $src) (local.get $c) (local.get $scratch))))
              (call $argmax_s (local.get $scratch) (local.get $c)))
            (else
              ;; $t: the row's largest key in every lane (three swaps)
              (local.set $t (i16x8.max_s (i16x8.max_s (local.get $k0) (local.get $k1))
                (i16x8.max_s (local.get $k2) (local.get $k3))))
              (local.set $t (i16x8.max_s (local.get $t)
                (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $t) (local.get $t))))
              (local.set $t (i16x8.max_s (local.get $t)
                (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $t) (local.get $t))))
              (local.set $t (i16x8.max_s (local.get $t)
                (i8x16.shuffle 2 3 0 1 6 7 4 5 10 11 8 9 14 15 12 13 (local.get $t) (local.get $t))))
              (i32.ctz (i32.or
                (i32.or (i16x8.bitmask (i16x8.eq (local.get $k0) (local.get $t)))
                  (i32.shl (i16x8.bitmask (i16x8.eq (local.get $k1) (local.get $t))) (local.get $o1)))
                (i32.or (i32.shl (i16x8.bitmask (i16x8.eq (local.get $k2) (local.get $t))) (local.get $o2))
                  (i32.shl (i16x8.bitmask (i16x8.eq (local.get $k3) (local.get $t))) (local.get $o3))))))))
        (local.set $src (i32.add (local.get $src) (local.get $rb)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $row))))

  ;; 8 <= C <= 16 halves: as argmax_keys8 with two vectors, from columns 0 and C - 8.
  (func $argmax_keys8x2
    (param $src i32) (param $rows i32) (param $c i32) (param $dst i32) (param $kind i32) (param $scratch i32)
    (local $rb i32) (local $o1 i32) (local $end i32)
    (local $h0 v128) (local $h1 v128) (local $k0 v128) (local $k1 v128) (local $t v128) (local $low v128)
    (local $nan v128) (local $s v128)
    (local.set $low (v128.const i16x8 0x7fff 0x7fff 0x7fff 0x7fff 0x7fff 0x7fff 0x7fff 0x7fff))
    (local.set $nan (i16x8.splat (select (i32.const 0x7f80) (i32.const 0x7c00) (local.get $kind))))
    (local.set $rb (i32.shl (local.get $c) (i32.const 1)))
    (local.set $o1 (i32.sub (local.get $c) (i32.const 8)))
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $rows) (i32.const 2))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (local.set $h0 (v128.load align=2 (local.get $src)))
        (local.set $h1 (v128.load align=2 (i32.add (local.get $src) (i32.shl (local.get $o1) (i32.const 1)))))
        (local.set $k0 (i16x8.sub (v128.xor (v128.and (local.get $h0) (local.get $low))
          (local.tee $s (i16x8.shr_s (local.get $h0) (i32.const 15)))) (local.get $s)))
        (local.set $k1 (i16x8.sub (v128.xor (v128.and (local.get $h1) (local.get $low))
          (local.tee $s (i16x8.shr_s (local.get $h1) (i32.const 15)))) (local.get $s)))
        (i32.store (local.get $dst)
          (if (result i32) (v128.any_true (i16x8.gt_u
              (i16x8.max_u (v128.and (local.get $h0) (local.get $low)) (v128.and (local.get $h1) (local.get $low)))
              (local.get $nan)))
            (then
              (if (local.get $kind)
                (then (call $widen_bf16 (local.get $src) (local.get $c) (local.get $scratch)))
                (else (call $widen_f16 (local.get $src) (local.get $c) (local.get $scratch))))
              (call $argmax_s (local.get $scratch) (local.get $c)))
            (else
              (local.set $t (i16x8.max_s (local.get $k0) (local.get $k1)))
              (local.set $t (i16x8.max_s (local.get $t)
                (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $t) (local.get $t))))
              (local.set $t (i16x8.max_s (local.get $t)
                (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $t) (local.get $t))))
              (local.set $t (i16x8.max_s (local.get $t)
                (i8x16.shuffle 2 3 0 1 6 7 4 5 10 11 8 9 14 15 12 13 (local.get $t) (local.get $t))))
              (i32.ctz (i32.or (i16x8.bitmask (i16x8.eq (local.get $k0) (local.get $t)))
                (i32.shl (i16x8.bitmask (i16x8.eq (local.get $k1) (local.get $t))) (local.get $o1)))))))
        (local.set $src (i32.add (local.get $src) (local.get $rb)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $row))))

  (func $argmax_half (export "argmax_half")
    (param $src i32) (param $rows i32) (param $c i32) (param $dst i32) (param $kind i32) (param $scratch i32)
    (local $br i32) (local $n i32)
    (if (i32.and (i32.gt_u (local.get $c) (i32.const 32)) (i32.lt_u (local.get $c) (i32.const 0x100000)))
      (then
        (call $argmax_keys (local.get $src) (local.get $rows) (local.get $c) (local.get $dst) (local.get $kind)
          (local.get $scratch))
        (return)))
    (if (i32.and (i32.ge_u (local.get $c) (i32.const 8)) (i32.le_u (local.get $c) (i32.const 16)))
      (then
        (call $argmax_keys8x2 (local.get $src) (local.get $rows) (local.get $c) (local.get $dst) (local.get $kind)
          (local.get $scratch))
        (return)))
    (if (i32.and (i32.ge_u (local.get $c) (i32.const 8)) (i32.le_u (local.get $c) (i32.const 32)))
      (then
        (call $argmax_keys8 (local.get $src) (local.get $rows) (local.get $c) (local.get $dst) (local.get $kind)
          (local.get $scratch))
        (return)))
    (if (i32.eq (local.get $c) (i32.const 2))
      (then
        ;; four rows a step, the last 1..3 rows widened below
        (call $argmax_half_2 (local.get $src) (local.get $rows) (local.get $dst) (local.get $kind))
        (local.set $n (i32.shl (i32.and (local.get $rows) (i32.const -4)) (i32.const 2)))
        (local.set $src (i32.add (local.get $src) (local.get $n)))
        (local.set $dst (i32.add (local.get $dst) (local.get $n)))
        (local.set $rows (i32.and (local.get $rows) (i32.const 3)))))
    (if (i32.eqz (local.tee $br (i32.and (i32.div_u (i32.const 4096) (local.get $c)) (i32.const -4))))
      (then (local.set $br (i32.const 1))))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $rows)))
        (local.set $n (select (local.get $br) (local.get $rows) (i32.lt_u (local.get $br) (local.get $rows))))
        (if (local.get $kind)
          (then (call $widen_bf16 (local.get $src) (i32.mul (local.get $n) (local.get $c)) (local.get $scratch)))
          (else (call $widen_f16 (local.get $src) (i32.mul (local.get $n) (local.get $c)) (local.get $scratch))))
        (call $argmax (local.get $scratch) (local.get $n) (local.get $c) (local.get $dst))
        (local.set $src (i32.add (local.get $src) (i32.shl (i32.mul (local.get $n) (local.get $c)) (i32.const 1))))
        (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
        (local.set $rows (i32.sub (local.get $rows) (local.get $n)))
        (br $next))))

  ;; argmax_half, then counted as update counts (unless cnt is -1).
  (func $update_half (export "update_half") (param $src i32) (param $lab i32) (param $rows i32) (param $c i32)
    (param $dst i32) (param $cnt i32) (param $kind i32) (param $scratch i32)
    (call $argmax_half (local.get $src) (local.get $rows) (local.get $c) (local.get $dst) (local.get $kind)
      (local.get $scratch))
    (if (i32.ne (local.get $cnt) (i32.const -1))
      (then
        (if (i32.eq (local.get $c) (i32.const 2))
          (then (call $count_2 (local.get $lab) (local.get $dst) (local.get $rows) (local.get $cnt)))
          (else (call $count (local.get $lab) (local.get $dst) (local.get $rows) (local.get $c) (local.get $cnt)))))))

  (func $read_floor (export "read_floor") (param $src i32) (param $bytes i32) (result i32)
    (local $end i32) (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local.set $end (i32.add (local.get $src) (local.get $bytes)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $a (i32x4.add (local.get $a) (v128.load (local.get $src))))
        (local.set $b (i32x4.add (local.get $b) (v128.load offset=16 (local.get $src))))
        (local.set $c (i32x4.add (local.get $c) (v128.load offset=32 (local.get $src))))
        (local.set $d (i32x4.add (local.get $d) (v128.load offset=48 (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 64)))
        (br $next)))
    (i32x4.extract_lane 0
      (i32x4.add (i32x4.add (local.get $a) (local.get $b)) (i32x4.add (local.get $c) (local.get $d)))))

  (func $argmax (export "argmax") (param $src i32) (param $rows i32) (param $c i32) (param $dst i32)
    (if (i32.eq (local.get $c) (i32.const 2))
      (then
        (call $argmax_2 (local.get $src) (local.get $rows) (local.get $dst))
        (return)))
    (if (i32.lt_u (local.get $c) (global.get $rows4_below))
      (then
        (call $argmax_rows4 (local.get $src) (local.get $rows) (local.get $c) (local.get $dst))
        (return)))
    (call $argmax_cols16 (local.get $src) (local.get $rows) (local.get $c) (local.get $dst)))

  (func $count (export "count") (param $lab i32) (param $pred i32) (param $rows i32) (param $c i32) (param $cnt i32)
    (local $end i32) (local $at i32)
    (local.set $end (i32.add (local.get $lab) (i32.shl (local.get $rows) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $lab) (local.get $end)))
        (i32.store
          (local.tee $at (i32.add (local.get $cnt)
            (i32.shl (i32.add (i32.mul (i32.load (local.get $lab)) (local.get $c)) (i32.load (local.get $pred)))
                     (i32.const 2))))
          (i32.add (i32.load (local.get $at)) (i32.const 1)))
        (local.set $lab (i32.add (local.get $lab) (i32.const 4)))
        (local.set $pred (i32.add (local.get $pred) (i32.const 4)))
        (br $next))))

  ;; C = 2 counting, four rows per step: each lane's cell lab * 2 + pred against 0..3, the matches summed per cell
  ;; (-1 per match); cells from 4 on (a label 2: the row past the matrix that worker threads count ignored rows in,
  ;; never read out) are not counted. The sums go to the u32 cells at the end, the last 1..3 rows through $count.
  (func $count_2 (param $lab i32) (param $pred i32) (param $rows i32) (param $cnt i32)
    (local $end i32) (local $i v128) (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $k1 v128) (local $k2 v128) (local $k3 v128)
    (local.set $k1 (v128.const i32x4 1 1 1 1))
    (local.set $k2 (v128.const i32x4 2 2 2 2))
    (local.set $k3 (v128.const i32x4 3 3 3 3))
    (local.set $end (i32.add (local.get $lab) (i32.shl (i32.and (local.get $rows) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $lab) (local.get $end)))
        (local.set $i (i32x4.add (i32x4.shl (v128.load align=4 (local.get $lab)) (i32.const 1))
          (v128.load align=4 (local.get $pred))))
        (local.set $c0 (i32x4.sub (local.get $c0) (i32x4.eq (local.get $i) (v128.const i32x4 0 0 0 0))))
        (local.set $c1 (i32x4.sub (local.get $c1) (i32x4.eq (local.get $i) (local.get $k1))))
        (local.set $c2 (i32x4.sub (local.get $c2) (i32x4.eq (local.get $i) (local.get $k2))))
        (local.set $c3 (i32x4.sub (local.get $c3) (i32x4.eq (local.get $i) (local.get $k3))))
        (local.set $lab (i32.add (local.get $lab) (i32.const 16)))
        (local.set $pred (i32.add (local.get $pred) (i32.const 16)))
        (br $next)))
    (call $add_lanes (local.get $cnt) (local.get $c0))
    (call $add_lanes (i32.add (local.get $cnt) (i32.const 4)) (local.get $c1))
    (call $add_lanes (i32.add (local.get $cnt) (i32.const 8)) (local.get $c2))
    (call $add_lanes (i32.add (local.get $cnt) (i32.const 12)) (local.get $c3))
    (call $count (local.get $lab) (local.get $pred) (i32.and (local.get $rows) (i32.const 3)) (i32.const 2)
      (local.get $cnt)))

  ;; u32 at $at += the sum of $v's four lanes.
  (func $add_lanes (param $at i32) (param $v v128)
    (i32.store (local.get $at) (i32.add (i32.load (local.get $at))
      (i32.add (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
               (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))))

  (func $update (export "update")
    (param $src i32) (param $lab i32) (param $rows i32) (param $c i32) (param $dst i32) (param $cnt i32)
    (call $argmax (local.get $src) (local.get $rows) (local.get $c) (local.get $dst))
    (if (i32.ne (local.get $cnt) (i32.const -1))
      (then
        (if (i32.eq (local.get $c) (i32.const 2))
          (then (call $count_2 (local.get $lab) (local.get $dst) (local.get $rows) (local.get $cnt)))
          (else (call $count (local.get $lab) (local.get $dst) (local.get $rows) (local.get $c) (local.get $cnt)))))))

  (func $flush (export "flush") (param $cnt i32) (param $totals i32) (param $cells i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $cnt) (i32.shl (local.get $cells) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $cnt) (local.get $end)))
        (f64.store (local.get $totals)
          (f64.add (f64.load (local.get $totals)) (f64.convert_i32_u (i32.load (local.get $cnt)))))
        (i32.store (local.get $cnt) (i32.const 0))
        (local.set $cnt (i32.add (local.get $cnt) (i32.const 4)))
        (local.set $totals (i32.add (local.get $totals) (i32.const 8)))
        (br $next)))))
