#!/usr/bin/env node
// Writes src/tasks/multiclass/cpu-wasm.generated.ts: the WebAssembly (SIMD) module of the fast CPU path,
// assembled here from a flat WAT-like text by a small assembler, because no wasm toolchain is
// installed. `--check` exits 1 when the generated file is stale (test/engine/cpu-fast.test.ts runs it).
//
// The module imports its memory (env.memory, 64 KiB pages, maximum 65536) and exports:
//   argmax(src, rows, c, dst)            i32 index of each row's maximum, the oracle's rule
//   count(lab, pred, rows, c, cnt)       u32 counts[lab * c + pred] += 1
//   update(src, lab, rows, c, dst, cnt)  argmax, then count unless cnt is -1
//   flush(cnt, totals, cells)            f64 totals[i] += u32 cnt[i]; cnt[i] = 0
//   argmax_rows4 (c >= 1) / argmax_cols (c >= 4)(src, rows, c, dst)  the strategies argmax chooses between
// Pointers are byte offsets; f32 rows are row-major, c floats each.
// The rule (src/tasks/multiclass/update-cpu.ts argmaxRow): first maximum on ties, -0 == +0, first NaN wins.
// Floats compare with f32x4.gt (never true for NaN, false for -0 vs +0); a row holding NaN is
// detected (a lane sum turns NaN) and redone by the scalar oracle argmax_s.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'src', 'tasks', 'multiclass', 'cpu-wasm.generated.ts');

/** Below this class count argmax puts 4 rows in the 4 lanes (gathered), from it on 4 columns. */
export const ROWS4_BELOW = 24;

// ---------- assembler ----------
const uleb = (n) => {
  const out = [];
  n >>>= 0;
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const sleb = (n) => {
  const out = [];
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
const TYPES = { i32: 0x7f, f32: 0x7d, v128: 0x7b };
const PLAIN = {
  else: 0x05, end: 0x0b, return: 0x0f, select: 0x1b,
  'i32.eqz': 0x45, 'i32.eq': 0x46, 'i32.ne': 0x47, 'i32.lt_s': 0x48, 'i32.lt_u': 0x49, 'i32.gt_u': 0x4b,
  'i32.le_u': 0x4d, 'i32.ge_u': 0x4f, 'f32.ne': 0x5c, 'f32.gt': 0x5e,
  'i32.add': 0x6a, 'i32.sub': 0x6b, 'i32.mul': 0x6c, 'i32.and': 0x71, 'i32.shl': 0x74,
  'f64.add': 0xa0, 'f64.convert_i32_u': 0xb8,
};
const SIMD = {
  'i32x4.splat': 0x11, 'v128.andnot': 0x4f, 'v128.and': 0x4e, 'v128.bitselect': 0x52, 'v128.any_true': 0x53,
  'f32x4.eq': 0x41, 'f32x4.ne': 0x42, 'f32x4.gt': 0x44, 'f32x4.le': 0x45,
  'i32x4.add': 0xae, 'i32x4.min_s': 0xb6, 'f32x4.add': 0xe4, 'f32x4.pmax': 0xeb,
};
const LANE = { 'i32x4.extract_lane': 0x1b };
// name: [opcode bytes, natural alignment log2]
const MEM = {
  'i32.load': [[0x28], 2], 'f32.load': [[0x2a], 2], 'f64.load': [[0x2b], 3], 'i32.store': [[0x36], 2], 'f64.store': [[0x39], 3],
  'v128.load': [[0xfd, 0x00], 4], 'v128.store': [[0xfd, 0x0b], 4], 'v128.load32_zero': [[0xfd, 0x5c], 2],
};
const MEM_LANE = { 'v128.load32_lane': [0x56, 2] };

/** Assembles one function body: one instruction per line, `;;` comments, $names for locals, labels and functions. */
function assembleBody(fn, funcIndex) {
  const locals = new Map([...fn.params, ...fn.locals].map(([n], i) => [`$${n}`, i]));
  const labels = [];
  const out = [];
  const local = (name) => {
    if (!locals.has(name)) throw new Error(`${fn.name}: no local ${name}`);
    return locals.get(name);
  };
  for (const raw of fn.body.split('\n')) {
    const line = raw.replace(/;;.*$/, '').trim();
    if (!line) continue;
    const [op, ...args] = line.split(/\s+/);
    const named = Object.fromEntries(args.filter((a) => a.includes('=')).map((a) => a.split('=')).map(([k, v]) => [k, Number(v)]));
    const plain = args.filter((a) => !a.includes('='));
    if (op in PLAIN) {
      out.push(PLAIN[op]);
      if (op === 'end') labels.pop();
    } else if (op in SIMD) out.push(0xfd, ...uleb(SIMD[op]));
    else if (op in LANE) out.push(0xfd, ...uleb(LANE[op]), Number(plain[0]));
    else if (op in MEM) {
      const [code, align] = MEM[op];
      out.push(code[0], ...(code.length > 1 ? uleb(code[1]) : []), ...uleb(named.align ?? align), ...uleb(named.offset ?? 0));
    } else if (op in MEM_LANE) {
      const [code, align] = MEM_LANE[op];
      out.push(0xfd, ...uleb(code), ...uleb(named.align ?? align), ...uleb(named.offset ?? 0), Number(plain[0]));
    } else if (op === 'local.get' || op === 'local.set' || op === 'local.tee') {
      out.push({ 'local.get': 0x20, 'local.set': 0x21, 'local.tee': 0x22 }[op], ...uleb(local(plain[0])));
    } else if (op === 'i32.const') out.push(0x41, ...sleb(Number(plain[0])));
    else if (op === 'v128.const') out.push(0xfd, 0x0c, ...new Uint8Array(Int32Array.from(plain.slice(1), Number).buffer));
    else if (op === 'i8x16.shuffle') out.push(0xfd, 0x0d, ...plain.map(Number));
    else if (op === 'block' || op === 'loop' || op === 'if') {
      const result = plain.find((p) => p in TYPES);
      out.push({ block: 0x02, loop: 0x03, if: 0x04 }[op], result ? TYPES[result] : 0x40);
      labels.push(plain.find((p) => p.startsWith('$')) ?? null);
    } else if (op === 'br' || op === 'br_if') {
      const at = labels.lastIndexOf(plain[0]);
      if (at < 0) throw new Error(`${fn.name}: no label ${plain[0]}`);
      out.push(op === 'br' ? 0x0c : 0x0d, ...uleb(labels.length - 1 - at));
    } else if (op === 'call') out.push(0x10, ...uleb(funcIndex(plain[0])));
    else throw new Error(`${fn.name}: unknown instruction ${op}`);
  }
  if (labels.length) throw new Error(`${fn.name}: ${labels.length} unclosed blocks`);
  const groups = [];
  for (const [, t] of fn.locals) {
    const last = groups[groups.length - 1];
    if (last && last[1] === t) last[0]++;
    else groups.push([1, t]);
  }
  const body = [...uleb(groups.length), ...groups.flatMap(([n, t]) => [...uleb(n), TYPES[t]]), ...out, 0x0b];
  return [...uleb(body.length), ...body];
}

/** A module importing env.memory (not shared; the flags byte is at `memoryFlagsAt`) and exporting the functions marked `exported`. */
export function assembleModule(funcs) {
  const section = (id, bytes) => [id, ...uleb(bytes.length), ...bytes];
  const vec = (items) => [...uleb(items.length), ...items.flat()];
  const str = (s) => [...uleb(s.length), ...new TextEncoder().encode(s)];
  const funcIndex = (name) => {
    const i = funcs.findIndex((f) => `$${f.name}` === name);
    if (i < 0) throw new Error(`no function ${name}`);
    return i;
  };
  const types = funcs.map((f) => [0x60, ...vec(f.params.map(([, t]) => [TYPES[t]])), ...vec((f.results ?? []).map((t) => [TYPES[t]]))]);
  const head = [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...section(1, vec(types))];
  const importPrefix = [...str('env'), ...str('memory'), 0x02];
  const importBody = vec([[...importPrefix, 0x01, ...uleb(1), ...uleb(65536)]]);
  const importSection = section(2, importBody);
  const memoryFlagsAt = head.length + importSection.length - importBody.length + uleb(1).length + importPrefix.length;
  const exported = funcs.filter((f) => f.exported).map((f) => [...str(f.name), 0x00, ...uleb(funcIndex(`$${f.name}`))]);
  const bytes = new Uint8Array([
    ...head, ...importSection,
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(7, vec(exported)),
    ...section(10, vec(funcs.map((f) => assembleBody(f, funcIndex)))),
  ]);
  if (bytes[memoryFlagsAt] !== 0x01) throw new Error('memory flags offset is wrong');
  return { bytes, memoryFlagsAt };
}

// ---------- kernels ----------
const fn = (name, params, locals, body, extra = {}) => ({ name, params, locals, body, ...extra });
const i32s = (...names) => names.map((n) => [n, 'i32']);
const v128s = (...names) => names.map((n) => [n, 'v128']);

/** Scalar oracle for one row at byte offset $p: the same code as argmaxRow. */
const argmaxScalar = fn('argmax_s', i32s('p', 'c'), [...i32s('j', 'best'), ['bv', 'f32'], ['v', 'f32']], `
  local.get $p
  f32.load
  local.tee $bv
  local.get $bv
  f32.ne
  if
    i32.const 0
    return
  end
  i32.const 1
  local.set $j
  block $done
  loop $next
    local.get $j
    local.get $c
    i32.ge_u
    br_if $done
    local.get $p
    local.get $j
    i32.const 2
    i32.shl
    i32.add
    f32.load
    local.tee $v
    local.get $bv
    f32.gt
    if
      local.get $v
      local.set $bv
      local.get $j
      local.set $best
    else
      local.get $v
      local.get $v
      f32.ne
      if
        local.get $j
        return
      end
    end
    local.get $j
    i32.const 1
    i32.add
    local.set $j
    br $next
  end
  end
  local.get $best`, { results: ['i32'] });

/** Rows at $p .. as many as $k, one by one through argmax_s, indices to $dst onwards. */
const argmaxScalarRows = fn('argmax_s_rows', i32s('p', 'k', 'c', 'dst'), [], `
  block $done
  loop $next
    local.get $k
    i32.eqz
    br_if $done
    local.get $dst
    local.get $p
    local.get $c
    call $argmax_s
    i32.store
    local.get $p
    local.get $c
    i32.const 2
    i32.shl
    i32.add
    local.set $p
    local.get $dst
    i32.const 4
    i32.add
    local.set $dst
    local.get $k
    i32.const 1
    i32.sub
    local.set $k
    br $next
  end
  end`);

/** C = 2, four rows per step: predict 1 iff a == a and not (b <= a), i.e. b wins or is the first NaN. */
const argmax2 = fn('argmax_2', i32s('src', 'rows', 'dst'), [...i32s('end'), ...v128s('x', 'y', 'a')], `
  local.get $dst
  local.get $rows
  i32.const -4
  i32.and
  i32.const 2
  i32.shl
  i32.add
  local.set $end
  block $done
  loop $next
    local.get $dst
    local.get $end
    i32.ge_u
    br_if $done
    local.get $src
    v128.load align=2
    local.tee $x
    local.get $src
    v128.load offset=16 align=2
    local.tee $y
    i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
    local.set $a
    local.get $dst
    local.get $a
    local.get $a
    f32x4.eq
    local.get $x
    local.get $y
    i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
    local.get $a
    f32x4.le
    v128.andnot
    v128.const i32x4 1 1 1 1
    v128.and
    v128.store align=2
    local.get $src
    i32.const 32
    i32.add
    local.set $src
    local.get $dst
    i32.const 16
    i32.add
    local.set $dst
    br $next
  end
  end
  local.get $src
  local.get $rows
  i32.const 3
  i32.and
  i32.const 2
  local.get $dst
  call $argmax_s_rows`);

/** Gathers column $q of four rows $s1 bytes apart into $v. */
const gather = `
    local.get $q
    v128.load32_zero
    local.set $v
    local.get $q
    local.get $s1
    i32.add
    local.get $v
    v128.load32_lane 1
    local.set $v
    local.get $q
    local.get $s2
    i32.add
    local.get $v
    v128.load32_lane 2
    local.set $v
    local.get $q
    local.get $s3
    i32.add
    local.get $v
    v128.load32_lane 3
    local.set $v`;

/** Any C: four rows in the four lanes, columns in order; a lane takes column j when it is strictly greater. */
const argmaxRows4 = fn('argmax_rows4', i32s('src', 'rows', 'c', 'dst'),
  [...i32s('s1', 's2', 's3', 'p', 'q', 'qend', 'end'), ...v128s('m', 'idx', 'acc', 'v', 'gt', 'jv')], `
  local.get $c
  i32.const 2
  i32.shl
  local.tee $s1
  local.get $s1
  i32.add
  local.tee $s2
  local.get $s1
  i32.add
  local.set $s3
  local.get $src
  local.set $p
  local.get $dst
  local.get $rows
  i32.const -4
  i32.and
  i32.const 2
  i32.shl
  i32.add
  local.set $end
  block $done
  loop $group
    local.get $dst
    local.get $end
    i32.ge_u
    br_if $done
    local.get $p
    local.set $q
    ${gather}
    local.get $v
    local.tee $m
    local.set $acc
    v128.const i32x4 0 0 0 0
    local.set $idx
    v128.const i32x4 1 1 1 1
    local.set $jv
    local.get $p
    local.get $s1
    i32.add
    local.set $qend
    block $cols_done
    loop $col
      local.get $q
      i32.const 4
      i32.add
      local.tee $q
      local.get $qend
      i32.ge_u
      br_if $cols_done
      ${gather}
      local.get $v
      local.get $m
      f32x4.gt
      local.set $gt
      local.get $m
      local.get $v
      f32x4.pmax
      local.set $m
      local.get $jv
      local.get $idx
      local.get $gt
      v128.bitselect
      local.set $idx
      local.get $acc
      local.get $v
      f32x4.add
      local.set $acc
      local.get $jv
      v128.const i32x4 1 1 1 1
      i32x4.add
      local.set $jv
      br $col
    end
    end
    local.get $acc
    local.get $acc
    f32x4.ne
    v128.any_true
    if
      local.get $p
      i32.const 4
      local.get $c
      local.get $dst
      call $argmax_s_rows
    else
      local.get $dst
      local.get $idx
      v128.store align=2
    end
    local.get $p
    local.get $s2
    i32.add
    local.get $s2
    i32.add
    local.set $p
    local.get $dst
    i32.const 16
    i32.add
    local.set $dst
    br $group
  end
  end
  local.get $p
  local.get $rows
  i32.const 3
  i32.and
  local.get $c
  local.get $dst
  call $argmax_s_rows`);

/** One step of a column chain: the 4 columns at $q+off against the chain's max $m, indices $jv. */
const colStep = (q, off, m, idx, acc, jv) => `
    local.get ${q}
    v128.load offset=${off} align=2
    local.tee $v
    local.get ${m}
    f32x4.gt
    local.set $gt
    local.get ${m}
    local.get $v
    f32x4.pmax
    local.set ${m}
    ${jv}
    local.get ${idx}
    local.get $gt
    v128.bitselect
    local.set ${idx}
    local.get ${acc}
    local.get $v
    f32x4.add
    local.set ${acc}`;

/** Horizontal reduction: the least index among lanes equal to the max of $m, onto the stack. */
const SWAP_HALVES = '8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7';
const SWAP_PAIRS = '4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11';
const reduceLanes = `
    local.get $m
    local.get $m
    local.get $m
    i8x16.shuffle ${SWAP_HALVES}
    f32x4.pmax
    local.tee $t
    local.get $t
    local.get $t
    i8x16.shuffle ${SWAP_PAIRS}
    f32x4.pmax
    local.set $t
    local.get $idx
    v128.const i32x4 2147483647 2147483647 2147483647 2147483647
    local.get $m
    local.get $t
    f32x4.eq
    v128.bitselect
    local.tee $t
    local.get $t
    local.get $t
    i8x16.shuffle ${SWAP_HALVES}
    i32x4.min_s
    local.tee $t
    local.get $t
    local.get $t
    i8x16.shuffle ${SWAP_PAIRS}
    i32x4.min_s
    i32x4.extract_lane 0`;

/**
 * C >= 4: one row at a time, 4 columns in the 4 lanes; the last 1..3 columns are read again as
 * the overlapping vector at C - 4 (a column read twice cannot win twice: lanes take strictly
 * greater). Each lane keeps the first index of its own maximum; the answer is the least index
 * among lanes holding the row's maximum, which is the row's first maximum.
 */
const argmaxCols = fn('argmax_cols', i32s('src', 'rows', 'c', 'dst'),
  [...i32s('rb', 'p', 'q', 'last', 'end'), ...v128s('m', 'idx', 'acc', 'v', 'gt', 'jv', 'jt', 't')], `
  local.get $c
  i32.const 2
  i32.shl
  local.set $rb
  local.get $c
  i32.const 4
  i32.sub
  i32x4.splat
  v128.const i32x4 0 1 2 3
  i32x4.add
  local.set $jt
  local.get $src
  local.set $p
  local.get $dst
  local.get $rows
  i32.const 2
  i32.shl
  i32.add
  local.set $end
  block $done
  loop $row
    local.get $dst
    local.get $end
    i32.ge_u
    br_if $done
    local.get $p
    v128.load align=2
    local.tee $m
    local.set $acc
    v128.const i32x4 0 1 2 3
    local.set $idx
    v128.const i32x4 4 5 6 7
    local.set $jv
    local.get $p
    i32.const 16
    i32.add
    local.set $q
    local.get $p
    local.get $rb
    i32.add
    i32.const 16
    i32.sub
    local.set $last
    block $cols_done
    loop $col
      local.get $q
      local.get $last
      i32.gt_u
      br_if $cols_done
      ${colStep('$q', 0, '$m', '$idx', '$acc', 'local.get $jv')}
      local.get $jv
      v128.const i32x4 4 4 4 4
      i32x4.add
      local.set $jv
      local.get $q
      i32.const 16
      i32.add
      local.set $q
      br $col
    end
    end
    ;; 1..3 columns left: the overlapping vector at last
    local.get $q
    local.get $last
    i32.const 16
    i32.add
    i32.ne
    if
      ${colStep('$last', 0, '$m', '$idx', '$acc', 'local.get $jt')}
    end
    local.get $dst
    local.get $acc
    local.get $acc
    f32x4.ne
    v128.any_true
    if i32
      local.get $p
      local.get $c
      call $argmax_s
    else
      ${reduceLanes}
    end
    i32.store
    local.get $p
    local.get $rb
    i32.add
    local.set $p
    local.get $dst
    i32.const 4
    i32.add
    local.set $dst
    br $row
  end
  end`);

const argmax = fn('argmax', i32s('src', 'rows', 'c', 'dst'), [], `
  local.get $c
  i32.const 2
  i32.eq
  if
    local.get $src
    local.get $rows
    local.get $dst
    call $argmax_2
    return
  end
  local.get $c
  i32.const ${ROWS4_BELOW}
  i32.lt_u
  if
    local.get $src
    local.get $rows
    local.get $c
    local.get $dst
    call $argmax_rows4
    return
  end
  local.get $src
  local.get $rows
  local.get $c
  local.get $dst
  call $argmax_cols`, { exported: true });

const count = fn('count', i32s('lab', 'pred', 'rows', 'c', 'cnt'), i32s('end', 'at'), `
  local.get $lab
  local.get $rows
  i32.const 2
  i32.shl
  i32.add
  local.set $end
  block $done
  loop $next
    local.get $lab
    local.get $end
    i32.ge_u
    br_if $done
    local.get $cnt
    local.get $lab
    i32.load
    local.get $c
    i32.mul
    local.get $pred
    i32.load
    i32.add
    i32.const 2
    i32.shl
    i32.add
    local.tee $at
    local.get $at
    i32.load
    i32.const 1
    i32.add
    i32.store
    local.get $lab
    i32.const 4
    i32.add
    local.set $lab
    local.get $pred
    i32.const 4
    i32.add
    local.set $pred
    br $next
  end
  end`, { exported: true });

const update = fn('update', i32s('src', 'lab', 'rows', 'c', 'dst', 'cnt'), [], `
  local.get $src
  local.get $rows
  local.get $c
  local.get $dst
  call $argmax
  local.get $cnt
  i32.const -1
  i32.ne
  if
    local.get $lab
    local.get $dst
    local.get $rows
    local.get $c
    local.get $cnt
    call $count
  end`, { exported: true });

const flush = fn('flush', i32s('cnt', 'totals', 'cells'), i32s('end'), `
  local.get $cnt
  local.get $cells
  i32.const 2
  i32.shl
  i32.add
  local.set $end
  block $done
  loop $next
    local.get $cnt
    local.get $end
    i32.ge_u
    br_if $done
    local.get $totals
    local.get $totals
    f64.load
    local.get $cnt
    i32.load
    f64.convert_i32_u
    f64.add
    f64.store
    local.get $cnt
    i32.const 0
    i32.store
    local.get $cnt
    i32.const 4
    i32.add
    local.set $cnt
    local.get $totals
    i32.const 8
    i32.add
    local.set $totals
    br $next
  end
  end`, { exported: true });

export const FUNCTIONS = [
  argmaxScalar, argmaxScalarRows, argmax2, { ...argmaxRows4, exported: true }, { ...argmaxCols, exported: true }, argmax, count, update, flush,
];

export function renderWasmModule() {
  const { bytes, memoryFlagsAt } = assembleModule(FUNCTIONS);
  const base64 = Buffer.from(bytes).toString('base64');
  const lines = base64.match(/.{1,100}/g).map((l) => `  '${l}'`).join(' +\n');
  return `// Generated by scripts/gen-cpu-wasm.mjs. Do not edit.

/** The fast CPU path's WebAssembly SIMD module (${bytes.length} bytes), base64. */
export const CPU_WASM_BASE64 =
${lines};

/** Byte offset of the imported memory's limits flags: 0x01 as generated, 0x03 for a shared memory. */
export const CPU_WASM_MEMORY_FLAGS_AT = ${memoryFlagsAt};

/** Class counts below this put 4 rows in the SIMD lanes (gathered); from it on, 4 columns. */
export const CPU_WASM_ROWS4_BELOW = ${ROWS4_BELOW};
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = renderWasmModule();
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
  if (process.argv.includes('--check')) {
    if (current !== text) {
      console.error(`${target} is stale: run node scripts/gen-cpu-wasm.mjs`);
      process.exit(1);
    }
  } else if (current !== text) {
    writeFileSync(target, text);
  }
}
