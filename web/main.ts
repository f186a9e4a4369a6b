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
import type { ComparisonIntervals } from '../src/report/compare.js';
import type { ColorScale } from '../src/report/heatmap-scale.js';
import type { BackendReport } from '../src/report/json.js';
import type { IntervalOptions } from '../src/stats/bootstrap.js';
import type { ComparisonResult } from '../src/tasks/compare/compare.js';
import type { MatrixIntervals } from '../src/tasks/multiclass/intervals.js';
import type { Normalize } from '../src/tasks/multiclass/metrics.js';
import { matrixRows } from '../src/tasks/multiclass/reduce.js';
import { createCellRowsView } from './cell-rows-view.js';
import { evaluate, evaluateStream, type Evaluation } from './compute.js';
import { bindDropZone, bindPageDrop } from './drop.js';
import { createHeatmap } from './heatmap.js';
import { classCount, type Predictions, readClassNames, readLabels, readPredictions, routeFiles } from './inputs.js';
import { type IntervalJob, pageIntervalOptions, startComparisonIntervals, startIntervals } from './intervals-view.js';
import { readParquet } from './parquet.js';
import { confusionOrder, hierarchicalOrder } from './reorder.js';
import { renderReport, renderSummary, renderTiming } from './report-view.js';
import { checkWholeRead, isStreamed, readNpyHead, streamedLabels, type StreamedLogits, streamedLogits, type StreamedNpy,
  wholeLabels } from './stream-npy.js';
import { createStreamUi } from './stream-progress.js';
import { renderTopConfusionList } from './top-confusions.js';

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
  /** The shown matrix's confidence intervals, once drawn (the "95% confidence intervals" box); null otherwise. */
  intervals: MatrixIntervals | null;
  /** With a model B file: the comparison of the shown run (B's matrix, McNemar's discordant rows); null otherwise. */
  comparison: { matrixB: number[][]; b: number; c: number; ms: number; intervals: ComparisonIntervals | null } | null;
  /** The cell whose rows the "Rows in this cell" panel lists (its first rows by index), once gathered. */
  cellRows: { true: number; pred: number; count: number; rows: number[] } | null;
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
  intervals: null, comparison: null, cellRows: null, streamed: false, cancelled: false };
window.__confmat = page;

let gpu: BrowserGpu | null = null;
let preds: Predictions | StreamedLogits | undefined;
let labels: { data: LabelArray | StreamedNpy; file: string } | undefined;
let names: { names: string[]; file: string } | undefined;
let fromExample = false;
let shown: { ev: Evaluation; classes: string[] } | undefined;
let normalize: Normalize = 'none';
let predsB: Predictions | undefined;
type Compared = { result: ComparisonResult; classes: string[]; backend: BackendReport };
let compared: Compared | undefined;

const heatmap = createHeatmap({ canvas: $<HTMLCanvasElement>('cm-canvas'), tip: $('cm-tip'), live: $('cm-live'),
  zoom: $('cm-zoom') });
const cellRowsView = createCellRowsView(document.querySelector<HTMLElement>('.downloads')!,
  async (blob, name) => (await import('./downloads.js')).saveBlob(blob, name));
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
  $('name-model-b').textContent = predsB ? desc(predsB) : 'no file';
  $('clear-model-b').hidden = predsB === undefined || page.busy;
  $<HTMLButtonElement>('compute').disabled = !(preds && labels) || page.busy;
  for (const [role, loaded] of [['logits', preds], ['labels', labels], ['classes', names]] as const) {
    $(`clear-${role}`).hidden = loaded === undefined || fromExample || page.busy;
  }
}

let intervalJob: IntervalJob<unknown> | undefined;
let comparisonJob: IntervalJob<unknown> | undefined;

/** Stops drawing intervals and says nothing more of them. */
function stopIntervals(): void {
  intervalJob?.cancel();
  comparisonJob?.cancel();
  intervalJob = comparisonJob = undefined;
  page.intervals = null;
  if (page.comparison) page.comparison.intervals = null;
  $('intervals-cancel').hidden = true;
  $('intervals-status').textContent = '';
}

/** Draws the shown matrix's intervals in a worker (the box ticked), then shows them in the figures and the report. */
function drawIntervals(): void {
  stopIntervals();
  const now = shown;
  if (!now || !$<HTMLInputElement>('intervals').checked) return;
  const options = pageIntervalOptions(0.95);
  const job = startIntervals(now.ev.result, options);
  intervalJob = job;
  const t0 = performance.now();
  $('intervals-cancel').hidden = false;
  $('intervals-status').textContent = `Drawing ${options.resamples!.toLocaleString('en-US')} bootstrap resamples…`;
  job.done.then((ci) => {
    if (intervalJob !== job || shown !== now) return;
    intervalJob = undefined;
    page.intervals = ci;
    $('intervals-cancel').hidden = true;
    $('figures').replaceChildren(renderSummary(now.ev, ci));
    $('report').replaceChildren(renderReport(now.ev, now.classes, ci));
    $('intervals-status').textContent = `95% percentile intervals of the multinomial bootstrap: ${
      ci.resamples.toLocaleString('en-US')
    } resamples, seed ${ci.seed}, as \`confmat eval --ci 0.95\` draws them (${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s).`;
  }, (e: Error) => {
    if (intervalJob !== job) return;
    intervalJob = undefined;
    $('intervals-cancel').hidden = true;
    $('intervals-status').textContent = `No intervals: ${e.message}.`;
  });
  if (compared) drawComparisonIntervals(compared, options);
}

/** The paired intervals of the shown comparison, then its table again with them. */
function drawComparisonIntervals(now: Compared, options: IntervalOptions): void {
  const job = startComparisonIntervals(now.result, options);
  comparisonJob = job;
  job.done.then(async (ci) => {
    if (comparisonJob !== job || compared !== now) return;
    comparisonJob = undefined;
    if (page.comparison) page.comparison.intervals = ci;
    const { renderComparison } = await import('./compare-view.js');
    $('cmp-body').replaceChildren(...renderComparison(now.result, now.classes, ci));
  }, () => undefined);
}

/** Model B's comparison with the shown run, when a model B file is loaded; its own errors leave the run shown. */
async function compareModelB(ev: Evaluation, classes: string[], device: GPUDevice | undefined): Promise<void> {
  if (!predsB || !preds || !labels) return;
  try {
    const { compareModels, renderComparison } = await import('./compare-view.js');
    if (preds.kind === 'stream' || isStreamed(labels.data)) {
      const big = preds.kind === 'stream' ? preds.file : labels.file;
      throw new Error(`${big} was read in chunks (a big file); model B is compared with files read whole`);
    }
    const { result, ms } = await compareModels(preds, predsB, labels.data, ev.numClasses, device);
    if (!result.a.counts.every((v, i) => v === ev.result.counts[i])) {
      throw new Error('model A counted in the comparison DIFFERS from its own run: please report this');
    }
    compared = { result, classes, backend: { name: device ? 'gpu' : 'cpu', adapter: device ? page.adapter : null } };
    $('cmp-summary').textContent = `${predsB.file} (B) against ${preds.file} (A): ${
      result.total.toLocaleString('en-US')
    } rows counted together on the ${device ? 'GPU' : 'CPU'} in ${ms.toFixed(1)} ms.`;
    $('cmp-body').replaceChildren(...renderComparison(result, classes));
    $('comparison').hidden = false;
    page.comparison = { matrixB: matrixRows(result.b), b: result.mcnemar.b, c: result.mcnemar.c, ms, intervals: null };
  } catch (e) {
    setError(`Model B: ${e instanceof InputError ? `${predsB.file}: ` : ''}${(e as Error).message}`);
  }
}

/** Forgets the comparison shown. */
function hideComparison(): void {
  comparisonJob?.cancel();
  comparisonJob = undefined;
  compared = undefined;
  page.comparison = null;
  $('comparison').hidden = true;
}

/** Hides the results: they no longer match the inputs named above them. */
function hideResults(): void {
  $('results').hidden = true;
  stopIntervals();
  hideComparison();
  shown = undefined;
  cellRowsView.hide();
  page.cellRows = null;
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
    hideComparison();
    show(ev, classes);
    Object.assign(page, { numClasses: c, total: ev.result.total, matrix: matrixRows(ev.result),
      gpuMs: ev.gpu?.ms ?? null, residentMs: ev.resident?.ms ?? null, cpuMs: ev.cpu?.ms ?? null, equal: ev.equal,
      classes, source: fromExample ? 'example' : `${preds.file} + ${labels.file}`, backend: ev.gpu ? 'gpu' : 'cpu',
      streamed: preds.kind === 'stream', cancelled: false });
    setProgress(preds.note ? `Done. Note: ${preds.note}.` : 'Done.');
    if (predsB) {
      await compareModelB(ev, classes, device);
      if (compared && $<HTMLInputElement>('intervals').checked && !intervalJob) {
        drawComparisonIntervals(compared, pageIntervalOptions(0.95));
      }
    }
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

/** Lists the rows of a clicked cell (its panel hides for a diagonal cell), on the backend the page counts on. */
async function showCellRows(cell: { true: number; pred: number }): Promise<void> {
  if (!shown || !preds || !labels) return;
  page.cellRows = null;
  const name = downloadName('x').replace(/-?confusion-matrix\.x$/, '') || 'confmat';
  const input = { preds, labels: labels.data, labelsFile: labels.file, numClasses: shown.ev.numClasses,
    classes: shown.classes, device: countingDevice(), name };
  const r = (await cellRowsView.show(input, cell))?.cells[0];
  if (r) page.cellRows = { true: r.true, pred: r.pred, count: r.count, rows: r.rows.map((x) => x.row) };
}

function show(ev: Evaluation, classes: string[]): void {
  $('results').hidden = false;
  cellRowsView.hide();
  heatmap.show({ counts: ev.result.counts, numClasses: ev.numClasses, classes });
  heatmap.setNormalize(normalize);
  const reorder = $<HTMLInputElement>('reorder');
  if (reorder.checked) heatmap.setOrder(classOrder(ev));
  $('figures').replaceChildren(renderSummary(ev));
  $('timing').replaceChildren(renderTiming(ev, ev.gpu ? page.adapter : null, gpu?.info.software ?? false));
  $('report').replaceChildren(renderReport(ev, classes));
  $('confusions').replaceChildren(
    renderTopConfusionList(ev.result.counts, ev.numClasses, classes, 20, (t, p) => heatmap.reveal(t, p)),
  );
  drawIntervals();
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

/** Model B's logits or predictions (its own drop zone); runs the comparison when the run's inputs are there. */
async function loadModelB(file: File): Promise<void> {
  setError(null);
  predsB = undefined;
  hideComparison();
  try {
    const bytes = await file.arrayBuffer();
    if (/\.parquet$/i.test(file.name)) {
      predsB = (await readParquet(file.name, bytes)).preds;
      if (!predsB) throw new Error(`${file.name}: no column of predictions or logits here`);
    } else predsB = readPredictions(file.name, new Uint8Array(bytes));
  } catch (e) {
    setError((e as Error).message);
  }
  refreshInputs();
  if (predsB && preds && labels) await run();
  else page.runs++;
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
bindDropZone($('zone-model-b'), $<HTMLInputElement>('file-model-b'), ([file]) => void loadModelB(file!));
$('clear-model-b').addEventListener('click', (e) => {
  e.preventDefault();
  predsB = undefined;
  hideComparison();
  refreshInputs();
});
document.querySelectorAll<HTMLButtonElement>('[data-cmp-download]').forEach((button) => {
  button.addEventListener('click', async () => {
    if (!compared) return;
    const { comparisonReport, comparisonSvg } = await import('./compare-view.js');
    const { saveBlob } = await import('./downloads.js');
    const json = button.dataset.cmpDownload === 'json';
    const text = json ?
      comparisonReport(compared.result, compared.classes, compared.backend, page.comparison?.intervals ?? undefined) :
      comparisonSvg(compared.result, compared.classes);
    saveBlob(new Blob([text], { type: json ? 'application/json' : 'image/svg+xml' }),
      downloadName(json ? 'json' : 'svg').replace('confusion-matrix', 'comparison'));
  });
});
$('compute').addEventListener('click', () => void run());
for (const control of [choice, check]) {
  control.addEventListener('change', () => {
    describeBackend();
    if (preds && labels) void run();
  });
}
$('example').addEventListener('click', () => void loadExample());
$('cm-canvas').addEventListener('cellselect', (e) => void showCellRows((e as CustomEvent).detail));
document.querySelectorAll<HTMLInputElement>('input[name=normalize]').forEach((input) => {
  input.addEventListener('change', () => {
    normalize = input.value as Normalize;
    heatmap.setNormalize(normalize);
  });
});
$('intervals').addEventListener('change', () => {
  if (!shown) return;
  drawIntervals();
  if (!$<HTMLInputElement>('intervals').checked) {
    $('figures').replaceChildren(renderSummary(shown.ev));
    $('report').replaceChildren(renderReport(shown.ev, shown.classes));
  }
});
$('intervals-cancel').addEventListener('click', () => {
  stopIntervals();
  $('intervals-status').textContent = 'Cancelled.';
});
for (const id of ['reorder', 'reorder-method']) {
  $(id).addEventListener('change', () => {
    if (shown) heatmap.setOrder($<HTMLInputElement>('reorder').checked ? classOrder(shown.ev) : null);
  });
}
/** The class order the reorder method names: chained confused pairs, or average-linkage clusters. */
function classOrder(ev: Evaluation): number[] {
  const by = $<HTMLSelectElement>('reorder-method').value === 'hierarchical' ? hierarchicalOrder : confusionOrder;
  return by(ev.result.counts, ev.numClasses);
}
for (const id of ['scale', 'no-diagonal']) {
  $(id).addEventListener('change', () =>
    heatmap.setScale($<HTMLSelectElement>('scale').value as ColorScale, !$<HTMLInputElement>('no-diagonal').checked));
}
document.querySelectorAll<HTMLButtonElement>('[data-download]').forEach((button) => {
  button.addEventListener('click', async () => {
    if (!shown) return;
    const kind = button.dataset.download as 'json' | 'csv' | 'svg' | 'png';
    try {
      const { downloadBlob, saveBlob } = await import('./downloads.js');
      const blob = await downloadBlob(kind, { result: shown.ev.result, classes: shown.classes,
        backend: { name: shown.ev.gpu ? 'gpu' : 'cpu', adapter: shown.ev.gpu ? page.adapter : null }, normalize,
        order: heatmap.order(), canvas: $<HTMLCanvasElement>('cm-canvas'), intervals: page.intervals ?? undefined,
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
