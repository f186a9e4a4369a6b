// 16-bit logits on the CPU against their read floor (issue 18, bench/NOTES.md 23), data already in the module's
// memory. Usage: npm run build && node bench/half-floor.mjs [--c 2,3,8,10,16,17,24,31,32,100] [--mb 32] [--reps 9]
// Per C: N = mb MiB of float32 logits / (4 C) rows; the same N rows as float16, labels in the module, counts in its
// u32 table (C^2 <= 65536). Paths, GB/s of the bytes each reads: `half floor` (read_floor over the 2-byte logits),
// `update_half` (the kernel + count, as the file paths run it), `widen+update` (the kernel before: blocks of 4096
// floats widened exactly by widen_f16 into L1, then the f32 update on them) and `f32 update` (float32 of the same
// values). Interleaved repetitions after one warm-up round, medians of the process's CPU time; every path's counts
// checked equal outside the timings. Data: bench/lib/data.mjs's seeded model (normal logits, one raised per row).
import { compileCpuWasm } from '../dist/tasks/multiclass/update-cpu-fast.js';
import { flag, machineLine, numbers } from './lib/cli.mjs';
import { classModel, fillChunk, toFloat16Bits } from './lib/data.mjs';

const CS = numbers(flag('c', '2,3,8,10,16,17,24,31,32,100'));
const MB = Number(flag('mb', '32'));
const REPS = Number(flag('reps', '9'));
const PAGE = 65536;
const align = (x) => Math.ceil(x / 64) * 64;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** The process's CPU time (user + system, ms) that `run` takes. */
function cpuMs(run) {
  const t0 = process.cpuUsage();
  run();
  const { user, system } = process.cpuUsage(t0);
  return (user + system) / 1000;
}

function runC(c) {
  const n = Math.max(4, Math.floor((MB * 2 ** 20) / (4 * c)));
  const cells = c * c;
  // the module's memory: count table, predictions, labels, widening scratch, float32 logits, float16 logits
  const sizes = [cells * 4, n * 4, n * 4, Math.max(16384, 4 * c) + 64, n * c * 4, n * c * 2 + 64];
  const [, predAt, labAt, scratchAt, f32At, halfAt] = sizes.map((_, i) =>
    sizes.slice(0, i).reduce((at, bytes) => at + align(bytes), 0)
  );
  const memory = new WebAssembly.Memory({ initial: Math.ceil((halfAt + sizes[5]) / PAGE), maximum: 65536 });
  const k = new WebAssembly.Instance(compileCpuWasm(false), { env: { memory } }).exports;
  const buf = memory.buffer;
  const logits = new Float32Array(buf, f32At, n * c);
  fillChunk(classModel(c, 7), 7, 0, n, logits, new Int32Array(buf, labAt, n));
  toFloat16Bits(logits, new Uint16Array(buf, halfAt, n * c));
  // the f32 path counts the widened halves: the same answers
  k.widen_f16(halfAt, n * c, f32At);
  const block = Math.max(1, (Math.floor(4096 / c) & -4) || 1);
  const widenUpdate = () => {
    for (let r = 0; r < n; r += block) {
      const m = Math.min(block, n - r);
      k.widen_f16(halfAt + r * c * 2, m * c, scratchAt);
      k.update(scratchAt, labAt + r * 4, m, c, predAt + r * 4, 0);
    }
  };
  const halfBytes = n * c * 2;
  const paths = [['half floor', halfBytes, () => k.read_floor(halfAt, halfBytes & -64)], ['update_half', halfBytes,
    () => k.update_half(halfAt, labAt, n, c, predAt, 0, 0, scratchAt)], ['widen+update', halfBytes, widenUpdate], [
    'f32 update',
    halfBytes * 2,
    () => k.update(f32At, labAt, n, c, predAt, 0),
  ]];
  const table = new Uint32Array(buf, 0, cells);
  let want;
  for (const [name, , run] of paths.slice(1)) {
    table.fill(0);
    run();
    want ??= table.slice();
    if (table.some((v, i) => v !== want[i])) throw new Error(`C=${c}: ${name} counts differ`);
  }
  const times = paths.map(() => []);
  for (let r = 0; r <= REPS; r++) {
    for (let i = 0; i < paths.length; i++) {
      const ms = cpuMs(paths[i][2]);
      if (r > 0) times[i].push(ms);
    }
  }
  return { n, gbs: paths.map(([, bytes], i) => bytes / median(times[i]) / 1e6) };
}

console.log(`# bench/half-floor.mjs: ${MB} MiB of float32 logits per C (float16: half the bytes), ${REPS} reps`);
console.log(`machine: ${machineLine()}`);
console.log('');
console.log(
  '| C | N | half floor GB/s | update_half GB/s | / floor | widen+update GB/s | f32 update GB/s (f32 bytes) |',
);
console.log('|---|---|---|---|---|---|---|');
for (const c of CS) {
  const { n, gbs: [floor, half, widen, f32] } = runC(c);
  const f = (x) => x.toFixed(2);
  console.log(`| ${c} | ${n} | ${f(floor)} | ${f(half)} | ${f(half / floor)} | ${f(widen)} | ${f(f32)} |`);
}
console.log(`load after: ${machineLine()}`);
