;; Class labels read raw into the memory of the fast CPU path (src/node/cpu-worker.ts, src/node/cpu-file.ts), checked
;; and narrowed to the int32 that wasm/cpu-argmax.wat's `update` reads. Assembled by scripts/gen-cpu-wasm.mjs into
;; src/node/cpu-labels-wasm.generated.ts, once as written and once with the imported memory shared (worker threads).
;;
;; Export (pointers are byte offsets into env.memory):
;;   narrow(raw, dst, rows, size, signed, c, ign_lo, ign_hi, ign_to) -> i32
;;     reads `rows` little-endian integers of `size` bytes (1, 2, 4 or 8; signed when `signed` is 1) at raw, each
;;     extended to 64 bits as v; writes the i32 `ign_to` at dst where v == ign_hi:ign_lo, else v where 0 <= v < c;
;;     returns the index of the first other one (that one and those after it may be unwritten), or -1.
;;     dst == raw narrows in place (each element is read before its i32 is written); otherwise they do not overlap.
;;     With no ignore index: ign_lo = ign_hi = ign_to = 0 (label 0 stays 0).
;; Four labels per SIMD step as two i32x4: $v the low words of the extended values, $h the high words.
(module
  (import "env" "memory" (memory 1 65536))

  ;; Element $i at $p extended to 64 bits.
  (func $load (param $p i32) (param $i i32) (param $size i32) (param $signed i32) (result i64)
    (if (i32.eq (local.get $size) (i32.const 8))
      (then (return (i64.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 3)))))))
    (if (i32.eq (local.get $size) (i32.const 4))
      (then
        (local.set $p (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))
        (return (if (result i64) (local.get $signed)
          (then (i64.load32_s (local.get $p)))
          (else (i64.load32_u (local.get $p)))))))
    (if (i32.eq (local.get $size) (i32.const 2))
      (then
        (local.set $p (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 1))))
        (return (if (result i64) (local.get $signed)
          (then (i64.load16_s (local.get $p)))
          (else (i64.load16_u (local.get $p)))))))
    (local.set $p (i32.add (local.get $p) (local.get $i)))
    (if (result i64) (local.get $signed)
      (then (i64.load8_s (local.get $p)))
      (else (i64.load8_u (local.get $p)))))

  (func $narrow (export "narrow")
    (param $raw i32) (param $dst i32) (param $rows i32) (param $size i32) (param $signed i32) (param $c i32)
    (param $ign_lo i32) (param $ign_hi i32) (param $ign_to i32) (result i32)
    (local $i i32) (local $end4 i32) (local $p i32) (local $q i32) (local $step i32) (local $x i64)
    (local $a v128) (local $b v128) (local $v v128) (local $h v128) (local $ign v128)
    (local $cv v128) (local $lov v128) (local $hiv v128) (local $tov v128)
    (local.set $cv (i32x4.splat (local.get $c)))
    (local.set $lov (i32x4.splat (local.get $ign_lo)))
    (local.set $hiv (i32x4.splat (local.get $ign_hi)))
    (local.set $tov (i32x4.splat (local.get $ign_to)))
    (local.set $step (i32.shl (local.get $size) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $rows) (i32.const -4)))
    (local.set $p (local.get $raw))
    (local.set $q (local.get $dst))
    (block $simd_done
      (loop $group
        (br_if $simd_done (i32.ge_u (local.get $i) (local.get $end4)))
        (if (i32.eq (local.get $size) (i32.const 8))
          (then
            (local.set $a (v128.load (local.get $p)))
            (local.set $b (v128.load offset=16 (local.get $p)))
            (local.set $v (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
            (local.set $h (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b))))
          (else
            (if (i32.eq (local.get $size) (i32.const 4))
              (then (local.set $v (v128.load (local.get $p))))
              (else
                (if (i32.eq (local.get $size) (i32.const 2))
                  (then
                    (local.set $v (if (result v128) (local.get $signed)
                      (then (v128.load16x4_s (local.get $p)))
                      (else (v128.load16x4_u (local.get $p))))))
                  (else
                    (local.set $v (if (result v128) (local.get $signed)
                      (then (i32x4.extend_low_i16x8_s (i16x8.extend_low_i8x16_s (v128.load32_zero (local.get $p)))))
                      (else
                        (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $p)))))))))))
            ;; the high words: the sign of each value when signed, else 0
            (local.set $h (if (result v128) (local.get $signed)
              (then (i32x4.shr_s (local.get $v) (i32.const 31)))
              (else (v128.const i32x4 0 0 0 0))))))
        (local.set $ign
          (v128.and (i32x4.eq (local.get $v) (local.get $lov)) (i32x4.eq (local.get $h) (local.get $hiv))))
        ;; a bad one among the four (v >= c unsigned, or a high word set, and not ignored): the scalar loop below
        ;; finds which, from this step's first
        (br_if $simd_done (v128.any_true (v128.andnot
          (v128.or (i32x4.ge_u (local.get $v) (local.get $cv)) (local.get $h))
          (local.get $ign))))
        (v128.store (local.get $q) (v128.bitselect (local.get $tov) (local.get $v) (local.get $ign)))
        (local.set $p (i32.add (local.get $p) (local.get $step)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $group)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $x (call $load (local.get $raw) (local.get $i) (local.get $size) (local.get $signed)))
        (if (i64.eq (local.get $x)
              (i64.or (i64.shl (i64.extend_i32_u (local.get $ign_hi)) (i64.const 32))
                      (i64.extend_i32_u (local.get $ign_lo))))
          (then (i32.store (local.get $q) (local.get $ign_to)))
          (else
            (if (i64.lt_u (local.get $x) (i64.extend_i32_u (local.get $c)))
              (then (i32.store (local.get $q) (i32.wrap_i64 (local.get $x))))
              (else (return (local.get $i))))))
        (local.set $q (i32.add (local.get $q) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const -1)))
