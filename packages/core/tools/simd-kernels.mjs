/**
 * The WebAssembly SIMD kernels behind SimdBackend, as WAT text. `exp4` is a macro (not a call) so
 * that every loop keeps its exponential inline; build-simd-kernels.mjs compiles this text into
 * src/simd/kernels-wasm.ts, and a test checks that the committed bytes match it.
 *
 * Rows are float32 at byte offsets into the exported memory; n counts elements. Sums are float64.
 */

/** Locals the exp4 macro uses; declare them in every function that expands it. */
const EXP_LOCALS = '(local $ey v128) (local $en v128) (local $er v128) (local $ep v128)';

/**
 * Statements setting `target` to exp(y) for the 4 lanes of `input` (each ≤ 0): Cephes-style range
 * reduction and a degree-6 polynomial, about one float32 ulp. y is clamped at −87.34 so that 2^n stays
 * a normal number; below that the result is ~1e-38 instead of 0.
 */
function exp4(target, input) {
  const fma = (c) =>
    `(local.set $ep (f32x4.add (f32x4.mul (local.get $ep) (local.get $er)) (f32x4.splat (f32.const ${c}))))`;
  // n = round(y·log2 e) by the 1.5·2^23 trick: adding it rounds to an integer held in the low mantissa
  // bits, so one float add gives both n (as a float, after subtracting it back) and 2^n's exponent bits.
  return `
    (local.set $ey (f32x4.max ${input} (f32x4.splat (f32.const -87.33654))))
    (local.set $en (f32x4.add (f32x4.mul (local.get $ey) (f32x4.splat (f32.const 1.44269504088896341)))
      (f32x4.splat (f32.const 12582912))))
    (local.set $er (f32x4.sub (local.get $en) (f32x4.splat (f32.const 12582912))))
    (local.set $er (f32x4.sub
      (f32x4.sub (local.get $ey) (f32x4.mul (local.get $er) (f32x4.splat (f32.const 0.693359375))))
      (f32x4.mul (local.get $er) (f32x4.splat (f32.const -2.12194440e-4)))))
    (local.set $ep (f32x4.splat (f32.const 1.9875691500e-4)))
    ${fma('1.3981999507e-3')}
    ${fma('8.3334519073e-3')}
    ${fma('4.1665795894e-2')}
    ${fma('1.6666665459e-1')}
    ${fma('5.0000001201e-1')}
    (local.set $ep (f32x4.add
      (f32x4.add (f32x4.mul (f32x4.mul (local.get $ep) (local.get $er)) (local.get $er)) (local.get $er))
      (f32x4.splat (f32.const 1))))
    ;; 2^n: n + 127 shifted into the exponent field (the trick left n + 0x4B400000 in the bits).
    (local.set ${target} (f32x4.mul (local.get $ep)
      (i32x4.shl (i32x4.sub (local.get $en) (i32x4.splat (i32.const 0x4B3FFF81))) (i32.const 23))))`;
}

/** random.ts's mix32 on an i32 local, in place. */
function mix32(x) {
  return `
      (local.set ${x} (i32.xor (local.get ${x}) (i32.shr_u (local.get ${x}) (i32.const 16))))
      (local.set ${x} (i32.mul (local.get ${x}) (i32.const 0x7feb352d)))
      (local.set ${x} (i32.xor (local.get ${x}) (i32.shr_u (local.get ${x}) (i32.const 15))))
      (local.set ${x} (i32.mul (local.get ${x}) (i32.const 0x846ca68b)))
      (local.set ${x} (i32.xor (local.get ${x}) (i32.shr_u (local.get ${x}) (i32.const 16))))`;
}

/** mix32 on the 4 lanes of an i32x4 local, in place. */
function mix32x4(x) {
  return `
      (local.set ${x} (v128.xor (local.get ${x}) (i32x4.shr_u (local.get ${x}) (i32.const 16))))
      (local.set ${x} (i32x4.mul (local.get ${x}) (i32x4.splat (i32.const 0x7feb352d))))
      (local.set ${x} (v128.xor (local.get ${x}) (i32x4.shr_u (local.get ${x}) (i32.const 15))))
      (local.set ${x} (i32x4.mul (local.get ${x}) (i32x4.splat (i32.const 0x846ca68b))))
      (local.set ${x} (v128.xor (local.get ${x}) (i32x4.shr_u (local.get ${x}) (i32.const 16))))`;
}

/** The high two lanes of a float32 vector moved to the low two (for promote_low). */
const high = (v) => `(i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${v} ${v})`;
const address = (base, index) => `(i32.add (local.get ${base}) (i32.shl (local.get ${index}) (i32.const 2)))`;

/** One argmax step: lanes of `x` above the accumulator's take its place, with their indices `at`. */
function argmaxStep(maxv, idx, x, at) {
  return `
      (local.set $x ${x})
      (local.set $m (f32x4.gt (local.get $x) (local.get ${maxv})))
      (local.set ${maxv} (v128.bitselect (local.get $x) (local.get ${maxv}) (local.get $m)))
      (local.set ${idx} (v128.bitselect ${at} (local.get ${idx}) (local.get $m)))`;
}

/** Lane `lane` of the argmax reduction: the larger value wins, ties go to the lower index. */
function argmaxLane(lane) {
  return `
    (local.set $v (f32x4.extract_lane ${lane} (local.get $maxv)))
    (local.set $j (i32x4.extract_lane ${lane} (local.get $idx)))
    (if (i32.or (f32.gt (local.get $v) (local.get $best))
                (i32.and (f32.eq (local.get $v) (local.get $best)) (i32.lt_s (local.get $j) (local.get $bi))))
      (then (local.set $best (local.get $v)) (local.set $bi (local.get $j))))`;
}

/**
 * The float32 bits of 4 float16 values (an i32x4 expression, one per lane, high bits 0): exponents 1–30
 * rebiased by +112, 31 (inf/NaN) by +224 (to 255, payload kept), subnormals and ±0 as magnitude × 2^−24
 * (exact in float32); the sign moved to bit 31. A block with a result keeps it one expression.
 */
function half4(h) {
  return `(block (result v128)
      (local.set $hv ${h})
      (local.set $mag (v128.and (local.get $hv) (i32x4.splat (i32.const 0x7fff))))
      (v128.or
        (i32x4.shl (v128.and (local.get $hv) (i32x4.splat (i32.const 0x8000))) (i32.const 16))
        (v128.bitselect
          (f32x4.mul (f32x4.convert_i32x4_u (local.get $mag)) (f32x4.splat (f32.const 0x1p-24)))
          (i32x4.add (i32x4.shl (local.get $mag) (i32.const 13))
            (v128.bitselect (i32x4.splat (i32.const 0x70000000)) (i32x4.splat (i32.const 0x38000000))
              (i32x4.gt_s (local.get $mag) (i32x4.splat (i32.const 0x7bff)))))
          (i32x4.lt_s (local.get $mag) (i32x4.splat (i32.const 0x0400))))))`;
}

/** `body` for i in [0, n & ~3) stepping 4, then `tail` for the rest, one at a time. */
function loops(body, tail) {
  return `
    (local.set $end (i32.and (local.get $n) (i32.const -4)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      ${body}
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next)))
    (block $tail_done (loop $tail
      (br_if $tail_done (i32.ge_u (local.get $i) (local.get $n)))
      ${tail}
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $tail)))`;
}

export const KERNELS_WAT = `(module
  (memory (export "memory") 1)

  ;; Index of the row's maximum, the lowest among ties; NaN never wins; 0 when nothing beats -inf.
  ;; Two (max, index) accumulators over alternate vectors: one compare-select chain would wait on
  ;; each step's latency.
  (func (export "argmax") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $end i32) (local $x v128) (local $m v128) (local $maxv v128) (local $idx v128)
    (local $cur v128) (local $best f32) (local $bi i32) (local $v f32) (local $j i32)
    (local $maxv2 v128) (local $idx2 v128)
    (local.set $maxv (f32x4.splat (f32.const -inf)))
    (local.set $maxv2 (local.get $maxv))
    (local.set $cur (v128.const i32x4 0 1 2 3))
    (local.set $end (i32.and (local.get $n) (i32.const -8)))
    (block $done8 (loop $next8
      (br_if $done8 (i32.ge_u (local.get $i) (local.get $end)))
      ${argmaxStep('$maxv', '$idx', `(v128.load ${address('$p', '$i')})`, '(local.get $cur)')}
      ${argmaxStep('$maxv2', '$idx2', `(v128.load offset=16 ${address('$p', '$i')})`, '(i32x4.add (local.get $cur) (i32x4.splat (i32.const 4)))')}
      (local.set $cur (i32x4.add (local.get $cur) (i32x4.splat (i32.const 8))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $next8)))
    (if (i32.lt_u (local.get $i) (i32.and (local.get $n) (i32.const -4))) (then
      ${argmaxStep('$maxv', '$idx', `(v128.load ${address('$p', '$i')})`, '(local.get $cur)')}
      (local.set $i (i32.add (local.get $i) (i32.const 4)))))
    ;; Lane by lane, the second accumulator wins with a larger value, or an equal one at a lower index.
    (local.set $m (v128.or (f32x4.gt (local.get $maxv2) (local.get $maxv))
      (v128.and (f32x4.eq (local.get $maxv2) (local.get $maxv)) (i32x4.lt_s (local.get $idx2) (local.get $idx)))))
    (local.set $maxv (v128.bitselect (local.get $maxv2) (local.get $maxv) (local.get $m)))
    (local.set $idx (v128.bitselect (local.get $idx2) (local.get $idx) (local.get $m)))
    (local.set $best (f32.const -inf))
    (local.set $bi (i32.const 0x7fffffff))
    ${argmaxLane(0)}
    ${argmaxLane(1)}
    ${argmaxLane(2)}
    ${argmaxLane(3)}
    (if (f32.eq (local.get $best) (f32.const -inf)) (then (local.set $bi (i32.const 0))))
    ;; The tail's indices are above every lane's: only a strictly larger value wins.
    (block $tail_done (loop $tail
      (br_if $tail_done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $v (f32.load ${address('$p', '$i')}))
      (if (f32.gt (local.get $v) (local.get $best)) (then (local.set $best (local.get $v)) (local.set $bi (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $tail)))
    (local.get $bi))

  ;; Σ exp(x − max) over the row (every x ≤ max), accumulated in float64. With $out ≠ 0, each
  ;; exp(x − max) is also written to out[i] (the row's unnormalised probabilities; NaN kept), as 0 below 2^-63:
  ;; the float32 product of two stored values is then 0 or normal, never subnormal (subnormal
  ;; arithmetic runs many times slower on x86). The branch per step is cheaper than a second copy of exp4.
  (func (export "sumExp") (param $p i32) (param $n i32) (param $max f32) (param $out i32) (result f64)
    (local $i i32) (local $end i32) (local $e v128) (local $lo v128) (local $hi v128) ${EXP_LOCALS}
    ${loops(
      `${exp4('$e', `(f32x4.sub (v128.load ${address('$p', '$i')}) (f32x4.splat (local.get $max)))`)}
        (if (local.get $out) (then
          (v128.store ${address('$out', '$i')} (v128.andnot (local.get $e) (f32x4.lt (local.get $e) (f32x4.splat (f32.const 0x1p-63)))))))
        (local.set $lo (f64x2.add (local.get $lo) (f64x2.promote_low_f32x4 (local.get $e))))
        (local.set $hi (f64x2.add (local.get $hi) (f64x2.promote_low_f32x4 ${high('(local.get $e)')})))`,
      `${exp4('$e', `(f32x4.splat (f32.sub (f32.load ${address('$p', '$i')}) (local.get $max)))`)}
        (if (local.get $out) (then
          (f32.store ${address('$out', '$i')} (f32x4.extract_lane 0 (v128.andnot (local.get $e) (f32x4.lt (local.get $e) (f32x4.splat (f32.const 0x1p-63))))))))
        (local.set $lo (f64x2.add (local.get $lo) (f64x2.replace_lane 1 (f64x2.promote_low_f32x4 (local.get $e)) (f64.const 0))))`,
    )}
    (local.set $lo (f64x2.add (local.get $lo) (local.get $hi)))
    (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))

  ;; In place: x ← float32(x − v), the subtraction in float64 (as JavaScript does it).
  (func (export "subtract") (param $p i32) (param $n i32) (param $v f64)
    (local $i i32) (local $end i32) (local $a i32) (local $x v128)
    ${loops(
      `(local.set $a ${address('$p', '$i')})
      (local.set $x (v128.load (local.get $a)))
      (v128.store (local.get $a) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (f64x2.sub (f64x2.promote_low_f32x4 (local.get $x)) (f64x2.splat (local.get $v))))
        (f32x4.demote_f64x2_zero (f64x2.sub (f64x2.promote_low_f32x4 ${high('(local.get $x)')}) (f64x2.splat (local.get $v))))))`,
      `(local.set $a ${address('$p', '$i')})
      (f32.store (local.get $a) (f32.demote_f64 (f64.sub (f64.promote_f32 (f32.load (local.get $a))) (local.get $v))))`,
    )})

  ;; In place: x ← exp(x) for log-probabilities (x ≤ 0; larger values are taken as 0).
  (func (export "expInPlace") (param $p i32) (param $n i32)
    (local $i i32) (local $end i32) (local $a i32) (local $e v128) ${EXP_LOCALS}
    ${loops(
      `(local.set $a ${address('$p', '$i')})
      ${exp4('$e', '(f32x4.min (v128.load (local.get $a)) (f32x4.splat (f32.const 0)))')}
      (v128.store (local.get $a) (local.get $e))`,
      `(local.set $a ${address('$p', '$i')})
      ${exp4('$e', '(f32x4.splat (f32.min (f32.load (local.get $a)) (f32.const 0)))')}
      (f32.store (local.get $a) (f32x4.extract_lane 0 (local.get $e)))`,
    )})

  ;; The first index i ≥ from with x[i] > threshold (NaN never is), or n: top-k skips the rest this way.
  (func (export "firstAbove") (param $p i32) (param $from i32) (param $n i32) (param $threshold f32) (result i32)
    (local $i i32) (local $end i32)
    (local.set $i (local.get $from))
    (local.set $end (i32.and (local.get $n) (i32.const -4)))
    ;; One at a time up to a multiple of 4, then 4 at a time, then the tail one at a time.
    (block $aligned (loop $head
      (br_if $aligned (i32.eqz (i32.and (local.get $i) (i32.const 3))))
      (br_if $aligned (i32.ge_u (local.get $i) (local.get $n)))
      (if (f32.gt (f32.load ${address('$p', '$i')}) (local.get $threshold)) (then (return (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $head)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (br_if $done (v128.any_true (f32x4.gt (v128.load ${address('$p', '$i')}) (f32x4.splat (local.get $threshold)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next)))
    (block $found (loop $scan
      (br_if $found (i32.ge_u (local.get $i) (local.get $n)))
      (br_if $found (f32.gt (f32.load ${address('$p', '$i')}) (local.get $threshold)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $scan)))
    (local.get $i))

  ;; In place: x[c] ← float32(x[c] + scale · table[mix32(key ^ c·0x9e3779b9) >>> 16]), in float64 — the
  ;; reference's Gumbel noise (random.ts: mixSeedKey, gumbelQuantile) with its table at byte offset $table.
  (func (export "addGumbel") (param $p i32) (param $n i32) (param $key i32) (param $scale f64) (param $table i32)
    (local $i i32) (local $end i32) (local $a i32) (local $h v128) (local $g v128) (local $x v128) (local $cur v128)
    (local $s i32)
    (local.set $cur (v128.const i32x4 0 1 2 3))
    ${loops(
      `(local.set $h (v128.xor (i32x4.splat (local.get $key)) (i32x4.mul (local.get $cur) (i32x4.splat (i32.const 0x9e3779b9)))))
      ${mix32x4('$h')}
      (local.set $h (i32x4.shl (i32x4.shr_u (local.get $h) (i32.const 16)) (i32.const 2)))
      (local.set $g (v128.load32_zero (i32.add (local.get $table) (i32x4.extract_lane 0 (local.get $h)))))
      (local.set $g (v128.load32_lane 1 (i32.add (local.get $table) (i32x4.extract_lane 1 (local.get $h))) (local.get $g)))
      (local.set $g (v128.load32_lane 2 (i32.add (local.get $table) (i32x4.extract_lane 2 (local.get $h))) (local.get $g)))
      (local.set $g (v128.load32_lane 3 (i32.add (local.get $table) (i32x4.extract_lane 3 (local.get $h))) (local.get $g)))
      (local.set $a ${address('$p', '$i')})
      (local.set $x (v128.load (local.get $a)))
      (v128.store (local.get $a) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (f64x2.add (f64x2.promote_low_f32x4 (local.get $x))
          (f64x2.mul (f64x2.splat (local.get $scale)) (f64x2.promote_low_f32x4 (local.get $g)))))
        (f32x4.demote_f64x2_zero (f64x2.add (f64x2.promote_low_f32x4 ${high('(local.get $x)')})
          (f64x2.mul (f64x2.splat (local.get $scale)) (f64x2.promote_low_f32x4 ${high('(local.get $g)')}))))))
      (local.set $cur (i32x4.add (local.get $cur) (i32x4.splat (i32.const 4))))`,
      `(local.set $s (i32.xor (local.get $key) (i32.mul (local.get $i) (i32.const 0x9e3779b9))))
      ${mix32('$s')}
      (local.set $a ${address('$p', '$i')})
      (f32.store (local.get $a) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $a)))
        (f64.mul (local.get $scale) (f64.promote_f32
          (f32.load (i32.add (local.get $table) (i32.shl (i32.shr_u (local.get $s) (i32.const 16)) (i32.const 2)))))))))`,
    )})

  ;; float16 bits at $src (n × 2 bytes) → float32 at $dst, exact (every bit pattern, NaN payloads too):
  ;; normal and inf/NaN by rebiasing the exponent field, subnormals as an integer times 2^−24.
  ;; n is a multiple of 8 (callers pad; no scalar tail keeps the module small).
  (func (export "float16ToFloat32") (param $src i32) (param $dst i32) (param $n i32)
    (local $i i32) (local $h v128) (local $hv v128) (local $mag v128)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $h (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 1)))))
      (v128.store ${address('$dst', '$i')} ${half4('(i32x4.extend_low_i16x8_u (local.get $h))')})
      (v128.store offset=16 ${address('$dst', '$i')} ${half4('(i32x4.extend_high_i16x8_u (local.get $h))')})
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $next))))

  ;; acc[i] ← (first ? 0 : acc[i]) + w · exp(x[i]) with acc float64 at $acc (x ≤ 0, log-probabilities;
  ;; −∞ and NaN add exactly 0, as in the reference): one row's share of a mixture of distributions.
  ;; n is a multiple of 4 (callers pad; no scalar tail keeps the module small).
  (func (export "addWeightedExp") (param $p i32) (param $acc i32) (param $n i32) (param $w f64) (param $first i32)
    (local $i i32) (local $x v128) (local $e v128) (local $a i32) (local $keep v128) ${EXP_LOCALS}
    ;; All ones (first = 0) keeps the accumulator, all zeros (first = 1) starts it at 0.
    (local.set $keep (i8x16.splat (i32.sub (local.get $first) (i32.const 1))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (v128.load ${address('$p', '$i')}))
      ${exp4('$e', '(f32x4.min (local.get $x) (f32x4.splat (f32.const 0)))')}
      (local.set $e (v128.and (local.get $e) (f32x4.gt (local.get $x) (f32x4.splat (f32.const -inf)))))
      (local.set $a (i32.add (local.get $acc) (i32.shl (local.get $i) (i32.const 3))))
      (v128.store (local.get $a) (f64x2.add (v128.and (v128.load (local.get $a)) (local.get $keep))
        (f64x2.mul (f64x2.splat (local.get $w)) (f64x2.promote_low_f32x4 (local.get $e)))))
      (v128.store offset=16 (local.get $a) (f64x2.add (v128.and (v128.load offset=16 (local.get $a)) (local.get $keep))
        (f64x2.mul (f64x2.splat (local.get $w)) (f64x2.promote_low_f32x4 ${high('(local.get $e)')}))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next))))

  ;; Σ a[i]·b[i]: float32 products (one rounding each, relative 2^-24), summed in float64. Eight
  ;; columns per step into four accumulators: one float64 chain would wait on each add's latency.
  (func (export "dot") (param $a i32) (param $b i32) (param $n i32) (result f64)
    (local $i i32) (local $end i32) (local $x v128) (local $lo v128) (local $hi v128) (local $lo2 v128) (local $hi2 v128)
    (local.set $end (i32.and (local.get $n) (i32.const -8)))
    (block $done8 (loop $next8
      (br_if $done8 (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $x (f32x4.mul (v128.load ${address('$a', '$i')}) (v128.load ${address('$b', '$i')})))
      (local.set $lo (f64x2.add (local.get $lo) (f64x2.promote_low_f32x4 (local.get $x))))
      (local.set $hi (f64x2.add (local.get $hi) (f64x2.promote_low_f32x4 ${high('(local.get $x)')})))
      (local.set $x (f32x4.mul (v128.load offset=16 ${address('$a', '$i')}) (v128.load offset=16 ${address('$b', '$i')})))
      (local.set $lo2 (f64x2.add (local.get $lo2) (f64x2.promote_low_f32x4 (local.get $x))))
      (local.set $hi2 (f64x2.add (local.get $hi2) (f64x2.promote_low_f32x4 ${high('(local.get $x)')})))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $next8)))
    (local.set $lo (f64x2.add (local.get $lo) (local.get $lo2)))
    (local.set $hi (f64x2.add (local.get $hi) (local.get $hi2)))
    ${loops(
      `(local.set $x (f32x4.mul (v128.load ${address('$a', '$i')}) (v128.load ${address('$b', '$i')})))
      (local.set $lo (f64x2.add (local.get $lo) (f64x2.promote_low_f32x4 (local.get $x))))
      (local.set $hi (f64x2.add (local.get $hi) (f64x2.promote_low_f32x4 ${high('(local.get $x)')})))`,
      `(local.set $lo (f64x2.replace_lane 0 (local.get $lo) (f64.add (f64x2.extract_lane 0 (local.get $lo))
        (f64.promote_f32 (f32.mul (f32.load ${address('$a', '$i')}) (f32.load ${address('$b', '$i')}))))))`,
    )}
    (local.set $lo (f64x2.add (local.get $lo) (local.get $hi)))
    (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))
)
`;
