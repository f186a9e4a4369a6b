// One worker thread of a CPU worker counter (cpu-workers.ts), run compiled: one reply per job, in order.
import { parentPort, workerData } from 'node:worker_threads';
import type { CpuWasmExports } from '../tasks/multiclass/update-cpu-fast.js';
import { type CpuLabelsExports, narrowLabels, rawLabelValue } from './cpu-labels.js';
import { readFully } from './cpu-worker-messages.js';
import type { CpuWorkerData, CpuWorkerJob, CpuWorkerReply, LabelsRead } from './cpu-worker-messages.js';

if (!parentPort) throw new Error('cpu-worker.js runs only as a worker thread of createCpuWorkerCounter');
const port = parentPort;
const { module, labelsModule, memory } = workerData as CpuWorkerData;
const wasm = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as CpuWasmExports;
const labelsWasm = new WebAssembly.Instance(labelsModule, { env: { memory } }).exports as unknown as CpuLabelsExports;
/** Views of the memory as it was at start: the workers touch only what lies below the input buffer. */
const b = memory.buffer;
const [f32, u8] = [new Float32Array(b), new Uint8Array(b)];
const view = new DataView(b);

/**
 * Reads a job's `rows` labels into `raw` and checks and narrows them in the label module, written as int32 at `lab`
 * (ignored ones as c); the reply for the first bad one, or undefined. int64 in place (raw = lab).
 */
function readLabels(l: LabelsRead, rows: number, c: number, lab: number): CpuWorkerReply | undefined {
  readFully(l.fd, l.path, u8, l.raw, rows * l.itemSize, l.position, 'labels');
  const bad = narrowLabels(labelsWasm, l, l.raw, lab, rows, c, l.ignoreIndex);
  return bad < 0 ?
    undefined :
    { kind: 'bad-label', index: bad, value: rawLabelValue(view, l.raw + bad * l.itemSize, l) };
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
  const half = job.kind === 'read' ? job.half : undefined;
  const size = half === undefined ? 4 : 2;
  /** 16-bit logits fill half the scratch; they widen, a block at a time, in the other half. */
  const widen = scratch + Math.ceil((chunkRows * c * 2) / 16) * 16;
  for (let r = 0; r < rows; r += chunkRows) {
    const k = Math.min(chunkRows, rows - r);
    if (job.kind === 'read') {
      readFully(job.fd, job.path, u8, scratch, k * c * size, job.position + r * c * size, 'logits');
    } else f32.set(new Float32Array(job.from, job.byteOffset + r * c * 4, k * c), scratch >>> 2);
    if (half === undefined) wasm.update(scratch, labels + r * 4, k, c, predictions + r * 4, table);
    else wasm.update_half(scratch, labels + r * 4, k, c, predictions + r * 4, table, half, widen);
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
