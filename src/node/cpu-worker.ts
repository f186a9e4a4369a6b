// One worker thread of a CPU worker counter (cpu-workers.ts), run compiled: one reply per job, in order.
import { parentPort, workerData } from 'node:worker_threads';
import type { CpuWasmExports } from '../tasks/multiclass/update-cpu-fast.js';
import { readFully } from './cpu-worker-messages.js';
import type { CpuWorkerData, CpuWorkerJob, CpuWorkerReply, LabelsRead } from './cpu-worker-messages.js';

if (!parentPort) throw new Error('cpu-worker.js runs only as a worker thread of createCpuWorkerCounter');
const port = parentPort;
const { module, memory } = workerData as CpuWorkerData;
const wasm = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as CpuWasmExports;
/** Views of the memory as it was at start: the workers touch only what lies below the input buffer. */
const b = memory.buffer;
const [f32, u32, i32] = [new Float32Array(b), new Uint32Array(b), new Int32Array(b)];
const [u8, i8, u16, i16] = [new Uint8Array(b), new Int8Array(b), new Uint16Array(b), new Int16Array(b)];
const view = new DataView(b);

/**
 * Reads a job's `rows` labels into `raw` and checks them, written as int32 at `lab` (ignored ones as c); the reply for
 * the first bad one, or undefined. int64 in place: element i is read before i32[lab / 4 + i] is written.
 */
function readLabels(l: LabelsRead, rows: number, c: number, lab: number): CpuWorkerReply | undefined {
  const { raw, itemSize: size, signed, ignoreIndex } = l;
  readFully(l.fd, l.path, u8, raw, rows * size, l.position, 'labels');
  const at = lab >>> 2;
  for (let i = 0; i < rows; i++) {
    let v: number;
    if (size === 8) {
      const lo = u32[(raw >>> 2) + 2 * i]!;
      const hi = u32[(raw >>> 2) + 2 * i + 1]!;
      v = hi === 0 ? lo : signed && hi === 0xffffffff ? lo - 4294967296 : NaN;
    } else if (size === 4) v = signed ? i32[(raw >>> 2) + i]! : u32[(raw >>> 2) + i]!;
    else if (size === 2) v = signed ? i16[(raw >>> 1) + i]! : u16[(raw >>> 1) + i]!;
    else v = signed ? i8[raw + i]! : u8[raw + i]!;
    if (v === ignoreIndex) i32[at + i] = c;
    else if (v >= 0 && v < c) i32[at + i] = v;
    else {
      const int64 = () => (signed ? view.getBigInt64(raw + 8 * i, true) : view.getBigUint64(raw + 8 * i, true));
      return { kind: 'bad-label', index: i, value: String(size === 8 ? int64() : v) };
    }
  }
  return undefined;
}

function run(job: CpuWorkerJob): CpuWorkerReply {
  const { rows, numClasses: c, labels, predictions, table } = job;
  if (job.kind === 'count') {
    wasm.update(job.logits, labels, rows, c, predictions, table);
    return { kind: 'done' };
  }
  const bad = job.kind === 'read' && job.labelsFile && readLabels(job.labelsFile, rows, c, labels);
  if (bad) return bad;
  const { scratch, chunkRows } = job;
  for (let r = 0; r < rows; r += chunkRows) {
    const k = Math.min(chunkRows, rows - r);
    if (job.kind === 'read') readFully(job.fd, job.path, u8, scratch, k * c * 4, job.position + r * c * 4, 'logits');
    else f32.set(new Float32Array(job.from, job.byteOffset + r * c * 4, k * c), scratch >>> 2);
    wasm.update(scratch, labels + r * 4, k, c, predictions + r * 4, table);
  }
  return { kind: 'done' };
}

port.on('message', (job: CpuWorkerJob) => {
  let reply: CpuWorkerReply;
  try {
    reply = run(job);
  } catch (e) {
    reply = { kind: 'error', message: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
