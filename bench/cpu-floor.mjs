// The CPU kernel against the one-core read floor, data already in the WebAssembly module's memory (issue 18).
// Usage: npm run build && node bench/cpu-floor.mjs [--c 2,10,16,100,1000,10000,30000] [--mb 64] [--reps 9]
// Per C: N = mb MiB of float32 logits / (4 C) rows (halves: the same N, half the bytes), labels in the module.
// Paths, GB/s of logit bytes: `read_floor` (a 4-accumulator SIMD sum over the same bytes), `update` (the 'auto'
// argmax + count, as cpuUpdateFast runs it), each argmax strategy valid for C + count, and the 16-bit kernels
// (`argmax_half`: 16-bit keys from C = 32, else widened block by block in L1) + count, against a read floor over
// the half bytes.
// Repetitions are interleaved (A, B, C, A, B, C, ...) after one warm-up round; medians of the process's CPU time
// (this machine's 2 cores are shared: CPU time moves less than wall time under load). Every path's predictions
// are checked against the 'auto' f32 ones (halves: against the f32 kernel on their widened values) outside the
// timings. Counting: in the module (u32 cells) when C^2 <= 65536, else in JS from the predictions (as the library).
import { float16BitsToFloat32Bits } from '../dist/format/half.js';
import { CPU_WASM_ROWS4_BELOW } from '../dist/tasks/multiclass/cpu-wasm.generated.js';
import { compileCpuWasm } from '../dist/tasks/multiclass/update-cpu-fast.js';
import { flag, machineLine, numbers } from './lib/cli.mjs';
import { mulberry32, toFloat16Bits } from './lib/data.mjs';

const CS = numbers(flag('c', '2,10,16,100,1000,10000,30000'));
const MB = Number(flag('mb', '64'));
const REPS = Number(flag('reps', '9'));
const PAGE = 65536;

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function runC(c) {
  const n = Math.max(4, Math.floor((MB * 2 ** 20) / (4 * c)));
  const cells = c * c <= 65536 ? c * c : 0;
  const cntAt = 0;
  const predAt = align(cells * 4);
  const labAt = predAt + align(n * 4);
  const scratchAt = labAt + align(n * 4);
  const f32At = scratchAt + align(Math.max(16384, 4 * c) + 64);
  const halfAt = f32At + align(n * c * 4);
  const bfAt = halfAt + align(n * c * 2);
  const total = bfAt + align(n * c * 2) + 64;
  const memory = new WebAssembly.Memory({ initial: Math.ceil(total / PAGE), maximum: 65536 });
  const k = new WebAssembly.Instance(compileCpuWasm(false), { env: { memory } }).exports;
  const buf = memory.buffer;
  const rand = mulberry32(c);
  const labels = new Int32Array(buf, labAt, n);
  const logits = new Float32Array(buf, f32At, n * c);
  for (let i = 0; i < n; i++) {
    const y = Math.floor(rand() * c);
    labels[i] = y;
    const row = logits.subarray(i * c, (i + 1) * c);
    for (let j = 0; j < c; j++) row[j] = rand() * 4 - 2;
    row[rand() < 0.8 ? y : Math.floor(rand() * c)] += 2;
  }
  const bits = new Uint32Array(buf, f32At, n * c);
  const f16 = new Uint16Array(buf, halfAt, n * c);
  const bf16 = new Uint16Array(buf, bfAt, n * c);
  toFloat16Bits(logits, f16);
  for (let i = 0; i < bits.length; i++) bf16[i] = bits[i] >>> 16;
  const pred = new Int32Array(buf, predAt, n);
  const jsCounts = cells ? undefined : new Float64Array(1);
  const count = () => {
    if (cells) k.count(labAt, predAt, n, c, cntAt);
    else for (let i = 0; i < n; i++) jsCounts[0] += labels[i] === pred[i] ? 1 : 0;
  };
  const f32Bytes = n * c * 4;
  const paths = [['f32 floor', f32Bytes, () => k.read_floor(f32At, f32Bytes & -64)], ['f32 auto', f32Bytes,
    () => (cells ? k.update(f32At, labAt, n, c, predAt, cntAt) : (k.argmax(f32At, n, c, predAt), count()))]];
  for (const s of ['rows4', ...(c >= 4 ? ['cols'] : []), ...(c >= 16 ? ['cols16'] : [])]) {
    paths.push([`f32 ${s}`, f32Bytes, () => (k[`argmax_${s}`](f32At, n, c, predAt), count())]);
  }
  paths.push(['half floor', f32Bytes / 2, () => k.read_floor(halfAt, (f32Bytes / 2) & -64)], ['float16', f32Bytes / 2,
    () => (k.argmax_half(halfAt, n, c, predAt, 0, scratchAt), count())], ['bfloat16', f32Bytes / 2,
    () => (k.argmax_half(bfAt, n, c, predAt, 1, scratchAt), count())]);
  checkPaths(k, { n, c, f32At, halfAt, bfAt, predAt, scratchAt, pred, f16, bf16, paths });
  const times = paths.map(() => []);
  for (let r = 0; r <= REPS; r++) {
    paths.forEach(([, , run], i) => {
      const t0 = process.cpuUsage();
      run();
      const { user, system } = process.cpuUsage(t0);
      const dt = (user + system) / 1000;
      if (r > 0) times[i].push(dt);
    });
  }
  return { n, gbs: Object.fromEntries(paths.map(([name, bytes], i) => [name, bytes / median(times[i]) / 1e6])) };
}

/** Each strategy's predictions equal 'auto''s; the half kernels' equal the f32 kernel's on the widened values. */
function checkPaths(k, { n, c, f32At, halfAt, bfAt, predAt, scratchAt, pred, f16, bf16, paths }) {
  k.argmax(f32At, n, c, predAt);
  const want = pred.slice();
  for (const [name] of paths.filter(([p]) => p.startsWith('f32 ') && p !== 'f32 floor' && p !== 'f32 auto')) {
    k[`argmax_${name.slice(4)}`](f32At, n, c, predAt);
    if (pred.some((p, i) => p !== want[i])) throw new Error(`C=${c}: ${name} differs from auto`);
  }
  for (const [kind, at, halves, widen] of [[0, halfAt, f16, float16BitsToFloat32Bits], [1, bfAt, bf16,
    (h) => h << 16]]) {
    const wide = new Float32Array(Uint32Array.from(halves, widen).buffer);
    const mem = new WebAssembly.Memory({ initial: Math.ceil((wide.byteLength + n * 4 + 64) / PAGE), maximum: 65536 });
    const k2 = new WebAssembly.Instance(compileCpuWasm(false), { env: { memory: mem } }).exports;
    new Float32Array(mem.buffer, 0, wide.length).set(wide);
    k2.argmax(0, n, c, wide.byteLength);
    const ref = new Int32Array(mem.buffer, wide.byteLength, n);
    k.argmax_half(at, n, c, predAt, kind, scratchAt);
    if (pred.some((p, i) => p !== ref[i])) {throw new Error(
        `C=${c}: the ${kind ? 'bfloat16' : 'float16'} kernel differs`,
      );}
  }
}

function align(x) {
  return Math.ceil(x / 64) * 64;
}

console.log(
  `# bench/cpu-floor.mjs: ${MB} MiB of float32 logits per C in module memory, ${REPS} reps, medians of CPU time`,
);
console.log(`machine: ${machineLine()}; 'auto' takes rows4 below C = ${CPU_WASM_ROWS4_BELOW}`);
console.log('');
console.log(
  '| C | N | f32 floor GB/s | auto GB/s | auto / floor | rows4 | cols | cols16 | half floor GB/s | float16 GB/s | ' +
    'bfloat16 GB/s | f16 / floor | bf16 / floor |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const c of CS) {
  const { n, gbs } = runC(c);
  const f = (x) => (x === undefined ? '-' : x.toFixed(2));
  console.log(
    `| ${c} | ${n} | ${f(gbs['f32 floor'])} | ${f(gbs['f32 auto'])} | ${f(gbs['f32 auto'] / gbs['f32 floor'])} | ` +
      `${f(gbs['f32 rows4'])} | ${f(gbs['f32 cols'])} | ${f(gbs['f32 cols16'])} | ${f(gbs['half floor'])} | ` +
      `${f(gbs.float16)} | ${f(gbs.bfloat16)} | ${f(gbs.float16 / gbs['half floor'])} | ` +
      `${f(gbs.bfloat16 / gbs['half floor'])} |`,
  );
}
console.log(`load after: ${machineLine()}`);
