/**
 * The demo page: inputs from files or the example, counting on the GPU (the CPU without WebGPU),
 * the heatmap, the report, the timings and the downloads. Results are exposed on
 * `window.__confmat` for the end-to-end test.
 *
 * @module
 */
import { browserAdapterLabel, type BrowserGpu, requestBrowserDevice } from '../src/browser/request-device.js';
import { InputError } from '../src/core/errors.js';
import type { LabelArray } from '../src/core/types.js';
import { makeDemoData } from '../src/demo/synthetic.js';
import type { Normalize } from '../src/tasks/multiclass/metrics.js';
import { matrixRows } from '../src/tasks/multiclass/reduce.js';
import { evaluate, evaluateStream, type Evaluation } from './compute.js';
import { bindDropZone, bindPageDrop } from './drop.js';
import { createHeatmap } from './heatmap.js';
import { classCount, type Predictions, readClassNames, readLabels, readPredictions, routeFiles } from './inputs.js';
import { readParquet } from './parquet.js';
import { confusionOrder } from './reorder.js';
import { renderReport, renderSummary, renderTiming, renderTopConfusions } from './report-view.js';
import { checkWholeRead, isStreamed, readNpyHead, streamedLabels, type StreamedLogits, streamedLogits, type StreamedNpy,
  wholeLabels } from './stream-npy.js';
import { createStreamUi } from './stream-progress.js';

/** What the page exposes for tests and the console. */
export interface PageState {
  /** True once the WebGPU probe has finished. */
  ready: boolean;
  webgpu: boolean;
  backend: 'gpu' | 'cpu';
  adapter: string | null;
  /** Finished computations, failed or not, plus inputs refused while loading. */
  runs: number;
  busy: boolean;
  error: string | null;
  numClasses: number;
  total: number;
  matrix: number[][];
  gpuMs: number | null;
  /** The GPU's time with the inputs already in GPU buffers (zero-copy). */
  residentMs: number | null;
  /** The CPU's time: without a device, or with the check; null otherwise. */
  cpuMs: number | null;
  equal: boolean;
  classes: string[];
  source: string;
  /** True when the last count read its .npy logits in chunks (a big file). */
  streamed: boolean;
  /** True when the last count was cancelled (nothing shown). */
  cancelled: boolean;
}

declare global {
  interface Window {
    __confmat: PageState;
  }
}

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

const page: PageState = { ready: false, webgpu: false, backend: 'cpu', adapter: null, runs: 0, busy: false, error: null,
  numClasses: 0, total: 0, matrix: [], gpuMs: null, residentMs: null, cpuMs: null, equal: true, classes: [], source: '',
  streamed: false, cancelled: false };
window.__confmat = page;

let gpu: BrowserGpu | null = null;
let preds: Predictions | StreamedLogits | undefined;
let labels: { data: LabelArray | StreamedNpy; file: string } | undefined;
let names: { names: string[]; file: string } | undefined;
let fromExample = false;
let shown: { ev: Evaluation; classes: string[] } | undefined;
let normalize: Normalize = 'none';

const heatmap = createHeatmap({ canvas: $<HTMLCanvasElement>('cm-canvas'), tip: $('cm-tip'), live: $('cm-live') });
const nextFrame = (): Promise<void> => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));

function setError(message: string | null): void {
  page.error = message;
  $('error').hidden = message === null;
  $('error').textContent = message ?? '';
}

function setProgress(text: string): void {
  $('progress').textContent = text;
}

const choice = $<HTMLSelectElement>('backend-choice');
const check = $<HTMLInputElement>('check');
const query = new URLSearchParams(location.search);
if (['auto', 'gpu', 'cpu'].includes(query.get('backend') ?? '')) choice.value = query.get('backend')!;
check.checked = query.get('check') === '1';
/** `.npy` files above this many bytes are read in chunks of `streamChunk` bytes (both settable for tests). */
const streamAbove = Number(query.get('stream-above') ?? 64 * 1024 * 1024);
const streamChunk = query.has('stream-chunk') ? Number(query.get('stream-chunk')) : undefined;
const streamUi = createStreamUi($('stream'), $<HTMLProgressElement>('stream-bar'), $('stream-text'),
  $<HTMLButtonElement>('stream-cancel'));

/** The device to count on: the chosen backend's; `auto` leaves a software adapter out (the CPU is faster there). */
function countingDevice(): GPUDevice | undefined {
  if (!gpu || choice.value === 'cpu') return undefined;
  return choice.value === 'gpu' || !gpu.info.software ? gpu.device : undefined;
}

function describeBackend(): void {
  const el = $('backend');
  const device = countingDevice();
  page.backend = device ? 'gpu' : 'cpu';
  el.className = `backend ${page.backend}`;
  if (!gpu) {
    el.textContent = page.webgpu ?
      'This browser has WebGPU but no adapter answered: counting on the CPU.' :
      'This browser has no WebGPU: counting on the CPU.';
  } else if (device) {
    el.textContent = `WebGPU adapter: ${page.adapter}. Counting on the GPU${
      check.checked ? ', checked against the CPU' : ''
    }.`;
  } else if (choice.value === 'cpu') {
    el.textContent = `WebGPU adapter: ${page.adapter}. Counting on the CPU, as chosen.`;
  } else {
    el.textContent = `WebGPU adapter: ${page.adapter}, a software adapter (it runs shaders on the CPU): counting on ` +
      'the CPU, which is faster there. Choose "the GPU" to use it anyway.';
  }
}

async function probe(): Promise<void> {
  page.webgpu = typeof navigator !== 'undefined' && 'gpu' in navigator && !!navigator.gpu;
  try {
    gpu = await requestBrowserDevice();
  } catch (e) {
    gpu = null;
    setError(`The WebGPU adapter refused a device (${(e as Error).message}); counting on the CPU.`);
  }
  if (gpu) {
    page.adapter = browserAdapterLabel(gpu.info);
    void gpu.device.lost.then((info) => {
      if (info.reason === 'destroyed') return;
      gpu = null;
      describeBackend();
      setError(`The GPU device was lost (${info.message}); counting on the CPU from now on.`);
    });
  }
  describeBackend();
  page.ready = true;
}

function refreshInputs(): void {
  const desc = (p: Predictions | StreamedLogits): string =>
    p.kind !== 'preds' ?
      `${p.file}: ${p.rows.toLocaleString('en-US')} × ${p.numClasses} logits${
        p.kind === 'stream' ? ', read in chunks' : ''
      }` :
      `${p.file}: ${p.rows.toLocaleString('en-US')} predictions`;
  $('name-logits').textContent = preds ? desc(preds) : 'no file';
  $('name-labels').textContent = labels ?
    `${labels.file}: ${
      (isStreamed(labels.data) ? labels.data.rows : labels.data.length).toLocaleString('en-US')
    } labels` :
    'no file';
  $('name-classes').textContent = names ? `${names.file}: ${names.names.length} names` : 'no file';
  $<HTMLButtonElement>('compute').disabled = !(preds && labels) || page.busy;
  for (const [role, loaded] of [['logits', preds], ['labels', labels], ['classes', names]] as const) {
    $(`clear-${role}`).hidden = loaded === undefined || fromExample || page.busy;
  }
}

/** Hides the results: they no longer match the inputs named above them. */
function hideResults(): void {
  $('results').hidden = true;
  shown = undefined;
  Object.assign(page, { numClasses: 0, total: 0, matrix: [], gpuMs: null, residentMs: null, cpuMs: null, equal: true,
    classes: [], source: '', streamed: false, cancelled: false });
}

/** The file an input field came from, for error messages. */
function inputFile(field: string): string {
  if (field === 'labels') return labels?.file ?? 'labels';
  if (field === 'logits' || field === 'preds') return preds?.file ?? field;
  return field;
}

let rerun = false;

async function run(): Promise<void> {
  if (!preds || !labels) return;
  if (page.busy) {
    rerun = true;
    streamUi.abort('rerun');
    return;
  }
  page.busy = true;
  setError(null);
  refreshInputs();
  document.querySelectorAll<HTMLButtonElement>('.actions button').forEach((b) => (b.disabled = true));
  let signal: AbortSignal | undefined;
  try {
    if (preds.kind !== 'stream' && isStreamed(labels.data)) labels.data = await wholeLabels(labels.data);
    const c = preds.kind === 'stream' ? preds.numClasses : classCount(preds, labels.data as LabelArray, names?.names);
    if (names && names.names.length !== c) {
      throw new Error(`${names.file}: ${names.names.length} class names, but the data has ${c} classes`);
    }
    const classes = names?.names ?? Array.from({ length: c }, (_, i) => String(i));
    const device = countingDevice();
    const where = device ? (check.checked ? ' on the GPU and on the CPU' : ' on the GPU') : ' on the CPU';
    setProgress(`Counting ${preds.rows.toLocaleString('en-US')} rows of ${c} classes${where}…`);
    await nextFrame();
    if (preds.kind === 'stream') signal = streamUi.begin();
    const ev = preds.kind === 'stream' ?
      await evaluateStream(preds, labels.data, labels.file, c, device, check.checked, { signal, chunkBytes: streamChunk,
        onProgress: (p) => streamUi.update(p) }) :
      await evaluate(preds, labels.data as LabelArray, c, device, check.checked);
    shown = { ev, classes };
    show(ev, classes);
    Object.assign(page, { numClasses: c, total: ev.result.total, matrix: matrixRows(ev.result),
      gpuMs: ev.gpu?.ms ?? null, residentMs: ev.resident?.ms ?? null, cpuMs: ev.cpu?.ms ?? null, equal: ev.equal,
      classes, source: fromExample ? 'example' : `${preds.file} + ${labels.file}`, backend: ev.gpu ? 'gpu' : 'cpu',
      streamed: preds.kind === 'stream', cancelled: false });
    setProgress(preds.note ? `Done. Note: ${preds.note}.` : 'Done.');
  } catch (e) {
    const cancelled = signal?.aborted === true && (signal.reason as Error).message === 'cancelled';
    if (signal?.aborted) setError(null);
    else setError(e instanceof InputError ? `${inputFile(e.field)}: ${e.message}` : (e as Error).message);
    setProgress(cancelled ? 'Cancelled: the files were not read to the end, and nothing was counted.' : '');
    hideResults();
    page.cancelled = cancelled;
  } finally {
    if (signal) streamUi.end();
    page.busy = false;
    document.querySelectorAll<HTMLButtonElement>('.actions button').forEach((b) => (b.disabled = false));
    refreshInputs();
    if (rerun) {
      rerun = false;
      void run();
    } else page.runs++;
  }
}

/** A download's file name after the predictions file (`val.logits.npy` -> `val.logits-confusion-matrix.csv`). */
function downloadName(kind: string): string {
  const file = fromExample || !preds ? '' : preds.file.replace(/\.[^.]*$/, '').replace(/[^\w.-]+/g, '_').slice(0, 80);
  return `${file ? `${file}-` : ''}confusion-matrix.${kind}`;
}

function show(ev: Evaluation, classes: string[]): void {
  $('results').hidden = false;
  heatmap.show({ counts: ev.result.counts, numClasses: ev.numClasses, classes });
  heatmap.setNormalize(normalize);
  const reorder = $<HTMLInputElement>('reorder');
  if (reorder.checked) heatmap.setOrder(confusionOrder(ev.result.counts, ev.numClasses));
  $('figures').replaceChildren(renderSummary(ev));
  $('timing').replaceChildren(renderTiming(ev, ev.gpu ? page.adapter : null, gpu?.info.software ?? false));
  $('report').replaceChildren(renderReport(ev, classes));
  $('confusions').replaceChildren(renderTopConfusions(ev, classes));
}

async function load(role: 'logits' | 'labels' | 'classes', file: File): Promise<void> {
  setError(null);
  hideResults();
  if (fromExample) {
    preds = labels = names = undefined;
    fromExample = false;
  }
  if (role === 'logits') preds = undefined;
  else if (role === 'labels') labels = undefined;
  else names = undefined;
  try {
    const big = role !== 'classes' && /\.npy$/i.test(file.name) && file.size > streamAbove ?
      await readNpyHead(file, file.name) :
      undefined;
    if (role !== 'classes' && /\.parquet$/i.test(file.name)) {
      checkWholeRead(file);
      const got = await readParquet(file.name, await file.arrayBuffer());
      if (got.preds) preds = got.preds;
      if (got.labels) labels = { data: got.labels, file: file.name };
      if (!(role === 'logits' ? got.preds : got.labels)) {
        throw new Error(`${file.name}: no column of ${role === 'logits' ? 'predictions or logits' : 'labels'} here`);
      }
    } else if (big && role === 'labels') {
      labels = { data: streamedLabels(big), file: file.name };
    } else if (big && role === 'logits' && streamedLogits(big)) {
      preds = streamedLogits(big);
    } else {
      checkWholeRead(file);
      const bytes = new Uint8Array(await file.arrayBuffer());
      if (role === 'logits') preds = readPredictions(file.name, bytes);
      else if (role === 'labels') labels = { data: readLabels(file.name, bytes), file: file.name };
      else names = { names: readClassNames(file.name, new TextDecoder().decode(bytes)), file: file.name };
    }
  } catch (e) {
    setError((e as Error).message);
  }
  refreshInputs();
}

async function loadAll(files: File[], role?: 'logits' | 'labels' | 'classes'): Promise<void> {
  const route = role ? { roles: files.map(() => role) } : routeFiles(files.map((f) => f.name));
  if ('error' in route) {
    setError(route.error);
    page.runs++;
    return;
  }
  for (const [i, f] of files.entries()) await load(route.roles[i]!, f);
  if (page.error !== null) page.runs++;
  else if (preds && labels) await run();
}

/** Forgets one input (its Remove button); runs again when predictions and labels remain. */
async function clear(role: 'logits' | 'labels' | 'classes'): Promise<void> {
  if (role === 'logits') preds = undefined;
  else if (role === 'labels') labels = undefined;
  else names = undefined;
  setError(null);
  hideResults();
  refreshInputs();
  if (preds && labels) await run();
  else page.runs++;
}

async function loadExample(): Promise<void> {
  const input = $<HTMLInputElement>('example-rows');
  const rows = Math.max(1, Math.min(20_000_000, Math.floor(Number(input.value) || 1_000_000)));
  input.value = String(rows);
  setError(null);
  setProgress(`Generating ${rows.toLocaleString('en-US')} example rows…`);
  await nextFrame();
  const d = makeDemoData({ rows, seed: 1 });
  preds = { kind: 'logits', logits: d.logits, rows, numClasses: d.numClasses, file: 'example' };
  labels = { data: d.labels, file: 'example' };
  names = { names: d.classNames, file: 'example' };
  fromExample = true;
  refreshInputs();
  await run();
}

for (const role of ['logits', 'labels', 'classes'] as const) {
  bindDropZone($(`zone-${role}`), $<HTMLInputElement>(`file-${role}`), (files) =>
    void loadAll(files.slice(0, 1), role));
  $(`clear-${role}`).addEventListener('click', (e) => {
    e.preventDefault();
    void clear(role);
  });
}
bindPageDrop((files) => void loadAll(files));
$('compute').addEventListener('click', () => void run());
for (const control of [choice, check]) {
  control.addEventListener('change', () => {
    describeBackend();
    if (preds && labels) void run();
  });
}
$('example').addEventListener('click', () => void loadExample());
document.querySelectorAll<HTMLInputElement>('input[name=normalize]').forEach((input) => {
  input.addEventListener('change', () => {
    normalize = input.value as Normalize;
    heatmap.setNormalize(normalize);
  });
});
$<HTMLInputElement>('reorder').addEventListener('change', (e) => {
  if (!shown) return;
  const on = (e.target as HTMLInputElement).checked;
  heatmap.setOrder(on ? confusionOrder(shown.ev.result.counts, shown.ev.numClasses) : null);
});
document.querySelectorAll<HTMLButtonElement>('[data-download]').forEach((button) => {
  button.addEventListener('click', async () => {
    if (!shown) return;
    const kind = button.dataset.download as 'json' | 'csv' | 'svg' | 'png';
    try {
      const { downloadBlob, saveBlob } = await import('./downloads.js');
      const blob = await downloadBlob(kind, { result: shown.ev.result, classes: shown.classes,
        backend: { name: shown.ev.gpu ? 'gpu' : 'cpu', adapter: shown.ev.gpu ? page.adapter : null }, normalize,
        order: heatmap.order(), canvas: $<HTMLCanvasElement>('cm-canvas'),
        title: `Confusion matrix: ${page.source} (${page.total.toLocaleString('en-US')} samples)` });
      saveBlob(blob, downloadName(kind));
    } catch (e) {
      setError((e as Error).message);
    }
  });
});

void probe().then(() => {
  const rows = query.get('example');
  if (rows !== null) {
    if (rows !== '') $<HTMLInputElement>('example-rows').value = rows;
    void loadExample();
  }
});
