;; The fast CPU path's WebAssembly SIMD module (src/tasks/multiclass/update-cpu-fast.ts), assembled by
;; scripts/gen-cpu-wasm.mjs into src/tasks/multiclass/cpu-wasm.generated.ts, once as written and once with
;; the imported memory shared (worker threads).
;;
;; Exports (pointers are byte offsets into env.memory; f32 rows are row-major, c floats each):
;;   argmax(src, rows, c, dst)            i32 index of each row's maximum, the oracle's rule
;;   count(lab, pred, rows, c, cnt)       u32 counts[lab * c + pred] += 1
;;   update(src, lab, rows, c, dst, cnt)  argmax, then count unless cnt is -1
;;   flush(cnt, totals, cells)            f64 totals[i] += u32 cnt[i]; cnt[i] = 0
;;   argmax_rows4 (c >= 1) / argmax_cols (c >= 4)(src, rows, c, dst)  the strategies argmax chooses between
;; The rule (src/tasks/multiclass/update-cpu.ts argmaxRow): first maximum on ties, -0 == +0, first NaN wins.
;; Floats compare with f32x4.gt (never true for NaN, false for -0 vs +0); a row holding NaN is detected
;; (a lane sum turns NaN) and redone by the scalar oracle $argmax_s.
(module
  (import "env" "memory" (memory 1 65536))

  ;; Below this class count argmax puts 4 rows in the 4 lanes (gathered), from it on 4 columns.
  (global $rows4_below i32 (i32.const 24))

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

  (func $argmax (export "argmax") (param $src i32) (param $rows i32) (param $c i32) (param $dst i32)
    (if (i32.eq (local.get $c) (i32.const 2))
      (then
        (call $argmax_2 (local.get $src) (local.get $rows) (local.get $dst))
        (return)))
    (if (i32.lt_u (local.get $c) (global.get $rows4_below))
      (then
        (call $argmax_rows4 (local.get $src) (local.get $rows) (local.get $c) (local.get $dst))
        (return)))
    (call $argmax_cols (local.get $src) (local.get $rows) (local.get $c) (local.get $dst)))

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

  (func $update (export "update")
    (param $src i32) (param $lab i32) (param $rows i32) (param $c i32) (param $dst i32) (param $cnt i32)
    (call $argmax (local.get $src) (local.get $rows) (local.get $c) (local.get $dst))
    (if (i32.ne (local.get $cnt) (i32.const -1))
      (then (call $count (local.get $lab) (local.get $dst) (local.get $rows) (local.get $c) (local.get $cnt)))))

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
