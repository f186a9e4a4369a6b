/// <reference types="vite/client" />
/**
 * The model page: onnxruntime-web (loaded on the first run) evaluates a digits classifier on its WebGPU execution
 * provider, and confmat counts the logits in place on ort's own device; the matrix, the classification report and
 * the time of each phase are shown. State is exposed on `window.__confmatModel` for the end-to-end test.
 *
 * @module
 */
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import { browserAdapterLabel } from '../src/browser/request-device.js';
import { isEmulated } from '../src/engine/chunk-plan.js';
import { matrixRows } from '../src/tasks/multiclass/reduce.js';
import type { Evaluation } from './compute.js';
import { createHeatmap } from './heatmap.js';
import { type Digits, parseDigits } from './model-digits.js';
import { countRows, type LoadedModel, loadModel, type ModelRun, type Phase, warmUp } from './model-run.js';
import { renderReport, renderSummary } from './report-view.js';

/** What the model page exposes for tests and the console. */
export interface ModelPageState {
  busy: boolean;
  /** Finished runs, failed or not. */
  runs: number;
  error: string | null;
  adapter: string | null;
  software: boolean | null;
  rows: number;
  numClasses: number;
  matrix: number[][];
  /** Load and warm-up (once), then the run's phases. */
  phases: Phase[];
  /** True when the count bound the model's GPU logits as they were, uploading none of them. */
  inPlace: boolean;
  countUploadBytes: number;
  logitsBytes: number;
  /** With the check: the CPU's matrix of the logits read back, whether it equals the GPU's, and (up to 50,000 rows)
   * those logits as base64 float32. */
  oracle: number[][] | null;
  equal: boolean | null;
  logits: string | null;
}

declare global {
  interface Window {
    __confmatModel: ModelPageState;
  }
}

const NUM_CLASSES = 10;
const BATCH_ROWS = 65_536;
const MIN_BATCH_ROWS = 256;
const KEEP_LOGITS_ROWS = 50_000;
const MAX_ROWS = 2_000_000;
const CLASSES = Array.from({ length: NUM_CLASSES }, (_, i) => String(i));

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const state: ModelPageState = { busy: false, runs: 0, error: null, adapter: null, software: null, rows: 0,
  numClasses: NUM_CLASSES, matrix: [], phases: [], inPlace: false, countUploadBytes: 0, logitsBytes: 0, oracle: null,
  equal: null, logits: null };
window.__confmatModel = state;

const heatmap = createHeatmap({ canvas: $<HTMLCanvasElement>('cm-canvas'), tip: $('cm-tip'), live: $('cm-live') });
let loaded: { model: LoadedModel; digits: Digits; phases: Phase[] } | undefined;

const select = $<HTMLSelectElement>('rows');
const check = $<HTMLInputElement>('check');
const query = new URLSearchParams(location.search);
const asked = Math.floor(Number(query.get('rows')));
if (asked >= 1 && asked <= MAX_ROWS) {
  if (!Array.from(select.options).some((o) => o.value === String(asked))) {
    select.add(new Option(`${asked.toLocaleString('en-US')} (from the address)`, String(asked)));
  }
  select.value = String(asked);
}
check.checked = query.get('check') === '1';
const askedBatch = Math.floor(Number(query.get('batch')));
const batchRows = askedBatch >= MIN_BATCH_ROWS && askedBatch <= BATCH_ROWS ? askedBatch : BATCH_ROWS;

function setError(message: string | null): void {
  state.error = message;
  $('error').hidden = message === null;
  $('error').textContent = message ?? '';
}

const ms = (v: number): string => (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
const int = (v: number): string => v.toLocaleString('en-US');

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

/** The phase table: the one-off phases, then the run's, each with its share of the run. */
function renderPhases(once: Phase[], run: ModelRun, rows: number): HTMLElement {
  const box = el('div', undefined, 'timing');
  const table = el('table');
  table.id = 'phase-table';
  const head = table.createTHead().insertRow();
  for (const h of ['Phase', 'Time (ms)', 'Share of the run']) head.append(el('th', h));
  const body = table.createTBody();
  const total = run.phases.reduce((s, p) => s + p.ms, 0);
  const line = (name: string, t: number, share: string): void => {
    const tr = body.insertRow();
    tr.dataset.phase = name;
    tr.append(el('th', name), el('td', ms(t), 'num'), el('td', share, 'num'));
    tr.cells[0]!.setAttribute('scope', 'row');
  };
  for (const p of once) line(`${p.name} (once)`, p.ms, '');
  for (const p of run.phases) line(p.name, p.ms, total > 0 ? `${((100 * p.ms) / total).toFixed(0)}%` : '');
  line(`run of ${int(rows)} rows`, total,
    rows > 0 && total > 0 ? `${int(Math.round((rows / total) * 1000))} rows/s` : '');
  box.append(table);
  box.append(
    el('p', run.inPlace ?
      `Counted in place: the count wrote ${int(run.countUploadBytes)} bytes to the GPU (its parameters); the ` +
      `${int(run.logitsBytes)} bytes of logits were read where the model left them.` :
      `NOT counted in place: the count wrote ${int(run.countUploadBytes)} bytes to the GPU.`,
      run.inPlace ? 'ok' : 'bad'),
  );
  if (run.oracle) {
    box.append(
      el('p', state.equal ?
        'The CPU, counting the logits read back, finds the same matrix, cell for cell.' :
        "The CPU matrix of the logits read back DIFFERS from the GPU's: please report this.",
        state.equal ? 'ok' : 'bad'),
    );
  }
  if (state.software) {
    box.append(el('p', 'A software adapter runs shaders on the CPU: its times say nothing of GPU speed.', 'note'));
  }
  return box;
}

function describeDevice(device: GPUDevice): void {
  const i = device.adapterInfo;
  const software = isEmulated(i);
  const featureLevel = device.features.has('core-features-and-limits') ? 'core' : 'compatibility';
  state.adapter = browserAdapterLabel({ vendor: i.vendor, architecture: i.architecture, device: i.device,
    description: i.description, featureLevel, software });
  state.software = software;
  const el = $('backend');
  el.className = 'backend gpu';
  el.textContent = `onnxruntime-web's WebGPU device: ${state.adapter}. ` +
    (software ?
      'A software adapter: it runs the model and the count on the CPU, slowly.' :
      'The model and the count share it.');
}

async function load(): Promise<NonNullable<typeof loaded>> {
  if (loaded) return loaded;
  const gpu = 'gpu' in navigator ? navigator.gpu : undefined;
  if (!gpu || !(await gpu.requestAdapter().catch(() => null))) {
    throw new Error(
      `This page needs a WebGPU adapter: ${gpu ? 'none answered' : 'this browser has no WebGPU'}. The ` +
        'demo page (index.html) counts on the CPU without one.',
    );
  }
  $('progress').textContent = 'Loading onnxruntime-web and the model…';
  const t0 = performance.now();
  const [model, digits] = await Promise.all([
    loadModel(new URL('./model-data/digits-mlp.onnx', import.meta.url).href, wasmUrl, NUM_CLASSES),
    fetch(new URL('./model-data/digits.u8', import.meta.url)).then(async (r) =>
      parseDigits(new Uint8Array(await r.arrayBuffer()))
    ),
  ]);
  const t1 = performance.now();
  describeDevice(model.device);
  $('progress').textContent = 'Compiling the shaders…';
  await warmUp(model, digits);
  const phases = [{ name: 'load model (onnxruntime, wasm, session)', ms: t1 - t0 }, { name: 'warm-up (compile shaders)',
    ms: performance.now() - t1 }];
  return (loaded = { model, digits, phases });
}

async function run(): Promise<void> {
  if (state.busy) return;
  state.busy = true;
  $<HTMLButtonElement>('run').disabled = true;
  setError(null);
  try {
    const { model, digits, phases } = await load();
    const rows = Number(select.value);
    const where = check.checked ? ', checked on the CPU' : '';
    $('progress').textContent = `Running the model over ${int(rows)} rows${where}…`;
    const r = await countRows(model, digits, rows, { batchRows, check: check.checked,
      keepLogits: rows <= KEEP_LOGITS_ROWS, onBatch: (done) => {
        $('progress').textContent = `Running the model over ${int(rows)} rows${where}: ${int(done)} done…`;
      } });
    const matrix = matrixRows(r.result);
    const oracle = r.oracle ? matrixRows(r.oracle) : null;
    const logits = r.logits ? new Uint8Array(r.logits.buffer) : undefined;
    Object.assign(state, { rows, matrix, phases: [...phases, ...r.phases], inPlace: r.inPlace,
      countUploadBytes: r.countUploadBytes, logitsBytes: r.logitsBytes, oracle,
      equal: oracle ? JSON.stringify(oracle) === JSON.stringify(matrix) : null,
      logits: logits ? btoa(Array.from(logits, (b) => String.fromCharCode(b)).join('')) : null });
    show(r, phases, rows);
    $('progress').textContent = 'Done.';
  } catch (e) {
    setError((e as Error).message);
    $('progress').textContent = '';
    $('results').hidden = true;
  } finally {
    state.busy = false;
    $<HTMLButtonElement>('run').disabled = false;
    state.runs++;
  }
}

function show(r: ModelRun, once: Phase[], rows: number): void {
  const ev: Evaluation = { numClasses: NUM_CLASSES, gpu: { result: r.result, ms: 0 }, resident: undefined,
    cpu: undefined, result: r.result, equal: state.equal ?? true };
  const results = $('results');
  results.hidden = false;
  results.dataset.inPlace = String(r.inPlace);
  heatmap.show({ counts: r.result.counts, numClasses: NUM_CLASSES, classes: CLASSES });
  $('figures').replaceChildren(renderSummary(ev));
  $('phases').replaceChildren(renderPhases(once, r, rows));
  $('report').replaceChildren(renderReport(ev, CLASSES));
}

$('run').addEventListener('click', () => void run());
if (query.get('run') === '1') void run();
