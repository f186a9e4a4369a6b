/**
 * The demo page's "Rows in this cell" panel: a click on an off-diagonal cell of the heatmap lists the rows of that
 * cell (true class, predicted class) with their scores, gathered on the backend the page counts on (the GPU's
 * compaction kernel, or the CPU), and offers them as CSV or JSON.
 *
 * @module
 */
import type { LabelArray } from '../src/core/types.js';
import { renderRowsOf } from '../src/report/cell-rows.js';
import type { CellRowsResult } from '../src/tasks/cell-rows/cell-rows.js';
import { createCellRows } from '../src/tasks/cell-rows/matrix.js';
import type { Predictions } from './inputs.js';

/** Rows gathered per cell (the count stays exact), and rows the panel's table shows. */
const LIMIT = 1000;
const SHOWN = 50;

/** What a click needs: the inputs shown, their class names, the device counted on and a name for downloads. */
export interface CellRowsInput {
  preds: Predictions;
  labels: LabelArray;
  numClasses: number;
  classes: string[];
  device: GPUDevice | undefined;
  /** The downloads' file name without its extension. */
  name: string;
}

/** The panel: `show` lists a cell's rows (hides the panel for a diagonal cell), `hide` clears it. */
export interface CellRowsView {
  show(input: CellRowsInput, cell: { true: number; pred: number }): Promise<CellRowsResult | undefined>;
  hide(): void;
}

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  return e;
};

const score = (v: number | undefined): string => (v === undefined ? '' : Number.isNaN(v) ? 'NaN' : v.toPrecision(5));

/**
 * Creates the panel after `anchor`; `save` downloads a blob (the page's `saveBlob`, loaded on demand).
 *
 * @example
 * const view = createCellRowsView(downloadsDiv, (blob, name) => saveBlob(blob, name));
 * await view.show({ preds, labels, numClasses: 10, classes, device, name: 'val' }, { true: 3, pred: 5 });
 */
export function createCellRowsView(anchor: HTMLElement,
  save: (blob: Blob, name: string) => void | Promise<void>): CellRowsView {
  const panel = el('section');
  panel.id = 'cell-rows';
  panel.className = 'cell-rows';
  panel.hidden = true;
  panel.setAttribute('aria-live', 'polite');
  anchor.after(panel);
  let ticket = 0;

  const render = (r: CellRowsResult, input: CellRowsInput): void => {
    const cell = r.cells[0]!;
    const [t, p] = [input.classes[cell.true]!, input.classes[cell.pred]!];
    const listed = cell.truncated ? `, the first ${cell.rows.length} gathered` : '';
    const table = el('table');
    const head = table.createTHead().insertRow();
    for (const h of ['Row', `Score of ${t} (true)`, `Score of ${p} (predicted)`, 'Margin']) head.append(el('th', h));
    const body = table.createTBody();
    for (const x of cell.rows.slice(0, SHOWN)) {
      const tr = body.insertRow();
      for (const v of [String(x.row), score(x.scoreTrue), score(x.scorePred), score(x.margin)]) tr.append(el('td', v));
    }
    const more = cell.rows.length > SHOWN ? el('p', `The table shows the first ${SHOWN}; the downloads hold all.`) : '';
    const buttons = el('div');
    buttons.className = 'downloads';
    for (const kind of ['csv', 'json'] as const) {
      const b = el('button', `Download ${kind.toUpperCase()}`);
      b.type = 'button';
      b.dataset.cellRows = kind;
      b.addEventListener('click', () => {
        const type = kind === 'csv' ? 'text/csv' : 'application/json';
        const file = `${input.name}-rows-true${cell.true}-pred${cell.pred}.${kind}`;
        void save(new Blob([renderRowsOf(kind, r, undefined, input.classes)], { type }), file);
      });
      buttons.append(b);
    }
    const title = `Rows in this cell: true ${t}, predicted ${p}: ${cell.count.toLocaleString('en-US')} rows${listed}`;
    panel.replaceChildren(el('h3', title), table, ...(more ? [more] : []), buttons);
  };

  return { async show(input, cell) {
    const mine = ++ticket;
    if (cell.true === cell.pred) {
      panel.hidden = true;
      panel.replaceChildren();
      return undefined;
    }
    panel.hidden = false;
    panel.replaceChildren(el('p', 'Gathering the rows of this cell…'));
    const { preds, labels, numClasses, device } = input;
    const cr = createCellRows({ numClasses, cells: [cell], limit: LIMIT, device });
    try {
      await cr.update(preds.kind === 'logits' ? { logits: preds.logits, labels } : { preds: preds.preds, labels });
      const r = await cr.compute();
      if (mine === ticket) render(r, input);
      return r;
    } catch (e) {
      if (mine === ticket) panel.replaceChildren(el('p', `The rows could not be gathered: ${(e as Error).message}`));
      return undefined;
    } finally {
      cr.destroy();
    }
  }, hide() {
    ticket++;
    panel.hidden = true;
    panel.replaceChildren();
  } };
}
