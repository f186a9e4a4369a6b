/**
 * The demo's text results: the headline figures, GPU vs CPU timing, sklearn's classification
 * report and the most confused pairs, as DOM nodes (text only, never HTML strings).
 *
 * @module
 */
import { classificationReport, withInterval } from '../src/report/classification-report.js';
import type { MatrixIntervals } from '../src/tasks/multiclass/intervals.js';
import { computeMetrics } from '../src/tasks/multiclass/metrics.js';
import type { Evaluation } from './compute.js';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

const ms = (v: number): string => (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
function rate(rows: number, v: number): string {
  const perSecond = v > 0 ? (rows / v) * 1000 : 0;
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(1)} M rows/s`;
  return perSecond > 0 ? `${(perSecond / 1e3).toFixed(1)} k rows/s` : '';
}

/**
 * Headline figures as a definition list: samples, classes, accuracy, balanced accuracy, kappa, MCC; with
 * `intervals`, each score followed by its confidence interval.
 *
 * @example
 * summary.replaceChildren(renderSummary(ev));
 */
export function renderSummary(ev: Evaluation, intervals?: MatrixIntervals): HTMLElement {
  const m = computeMetrics(ev.result.counts, ev.numClasses);
  const dl = el('dl', undefined, 'figures');
  const f = (v: number): string => v.toFixed(4);
  const items: [string, string][] = [['Samples', m.total.toLocaleString('en-US')], ['Classes', String(ev.numClasses)], [
    'Accuracy',
    withInterval(m.accuracy, intervals?.accuracy, f),
  ], ['Balanced accuracy', withInterval(m.balancedAccuracy, intervals?.balancedAccuracy, f)], ["Cohen's kappa",
    withInterval(m.kappa, intervals?.kappa, f)], ['MCC', withInterval(m.mcc, intervals?.mcc, f)]];
  for (const [k, v] of items) {
    const div = el('div');
    div.append(el('dt', k), el('dd', v));
    dl.append(div);
  }
  return dl;
}

/**
 * GPU vs CPU time of the same input, with whether the two matrices are equal.
 *
 * @example
 * timing.replaceChildren(renderTiming(ev, 'google swiftshader (core, software)', true));
 */
export function renderTiming(ev: Evaluation, adapter: string | null, software: boolean): HTMLElement {
  const rows = ev.result.total;
  const box = el('div', undefined, 'timing');
  const table = el('table');
  const head = table.createTHead().insertRow();
  for (const h of ['Backend', 'Time (ms)', 'Throughput']) head.append(el('th', h));
  const body = table.createTBody();
  const line = (name: string, t: number): void => {
    const tr = body.insertRow();
    tr.append(el('th', name), el('td', ms(t), 'num'), el('td', rate(rows, t), 'num'));
    tr.cells[0]!.setAttribute('scope', 'row');
  };
  if (ev.gpu) line(`GPU: ${adapter ?? 'WebGPU'}`, ev.gpu.ms);
  if (ev.resident) line('GPU, inputs already in GPU buffers', ev.resident.ms);
  if (ev.cpu) line('CPU (JavaScript)', ev.cpu.ms);
  box.append(table);
  const verdict = !ev.gpu ?
    'Counted on the CPU only.' :
    !ev.cpu ?
    'Counted on the GPU once; tick "Check against the CPU" to count again on the CPU and compare.' :
    ev.equal ?
    `The GPU${ev.resident ? ' (both runs)' : ''} and CPU matrices are identical, cell for cell.` :
    'The GPU and CPU matrices DIFFER: please report this.';
  box.append(el('p', verdict, !ev.gpu ? 'cpu-only' : !ev.cpu ? 'note' : ev.equal ? 'ok' : 'bad'));
  if (software && ev.gpu) {
    box.append(el('p', 'A software adapter runs shaders on the CPU: its time says nothing of GPU speed.', 'note'));
  }
  return box;
}

/**
 * sklearn's classification report as a table with a class filter: the class rows in one body, sortable by any column
 * (a header button: descending first for numbers, `aria-sort` says the order), the accuracy and average rows in a
 * second body that stays put. With `intervals`, each score is followed by its confidence interval (sorting goes by the
 * score).
 *
 * @example
 * report.replaceChildren(renderReport(ev, names));
 */
export function renderReport(ev: Evaluation, classes: string[], intervals?: MatrixIntervals): HTMLElement {
  const { headers, rows } = classificationReport(computeMetrics(ev.result.counts, ev.numClasses), classes, 4,
    intervals);
  const wrap = el('div', undefined, 'report-wrap');
  const filter = el('input', undefined, 'report-filter');
  Object.assign(filter, { type: 'search', placeholder: 'Filter classes' });
  filter.setAttribute('aria-label', 'Filter the classes by name');
  const table = el('table', undefined, 'report');
  table.createCaption().textContent = 'Classification report';
  const head = table.createTHead().insertRow();
  const classBody = table.createTBody();
  const summary = table.createTBody();
  summary.className = 'sep';
  const rowOf = (row: (string | number)[]): HTMLTableRowElement => {
    const tr = document.createElement('tr');
    row.forEach((v, i) => {
      if (i === 0) {
        const th = el('th', String(v));
        th.scope = 'row';
        tr.append(th);
      } else tr.append(el('td', typeof v === 'number' ? v.toLocaleString('en-US') : v, 'num'));
    });
    return tr;
  };
  const classRows = rows.slice(0, ev.numClasses).map((row) => ({ row, tr: rowOf(row) }));
  classBody.append(...classRows.map((r) => r.tr));
  summary.append(...rows.slice(ev.numClasses).map(rowOf));
  const sortBy = (col: number, th: HTMLTableCellElement): void => {
    const first = col === 0 ? 'ascending' : 'descending';
    const dir = th.getAttribute('aria-sort') !== first ? first : col === 0 ? 'descending' : 'ascending';
    const sign = dir === 'ascending' ? 1 : -1;
    const key = (
      row: (string | number)[],
    ): string | number => (col === 0 ? String(row[0]) : parseFloat(String(row[col])));
    const compare = (x: string | number, y: string | number): number =>
      typeof x === 'number' ? x - (y as number) : x.localeCompare(String(y));
    const order = classRows.map((r, i) => ({ ...r, i })).sort((a, b) =>
      sign * compare(key(a.row), key(b.row)) || a.i - b.i
    );
    head.querySelectorAll('th').forEach((h) => h.setAttribute('aria-sort', 'none'));
    th.setAttribute('aria-sort', dir);
    classBody.append(...order.map((r) => r.tr));
  };
  headers.forEach((h, i) => {
    const th = el('th', undefined, i > 0 ? 'num' : undefined);
    th.scope = 'col';
    th.setAttribute('aria-sort', 'none');
    const button = el('button', h || 'class', 'sort');
    button.type = 'button';
    button.addEventListener('click', () => sortBy(i, th));
    th.append(button);
    head.append(th);
  });
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    for (const { row, tr } of classRows) tr.hidden = q !== '' && !String(row[0]).toLowerCase().includes(q);
  });
  const scroll = el('div', undefined, 'report-scroll');
  scroll.append(table);
  wrap.append(filter, scroll);
  return wrap;
}
