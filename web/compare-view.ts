/**
 * Two models on the demo page: model B's logits or predictions against model A's on the same labels, counted in one
 * pass (`createComparison`, on the page's backend), shown as the table `confmat compare` prints, the difference
 * heatmap (B - A per cell) and a JSON / SVG download. Loaded on demand, with the comparison's report writers.
 *
 * @module
 */
import type { LabelArray } from '../src/core/types.js';
import { comparisonHeatmapSvg, type ComparisonIntervals, comparisonJson,
  comparisonTable } from '../src/report/compare.js';
import type { BackendReport } from '../src/report/json.js';
import type { ComparisonBatch, ComparisonResult } from '../src/tasks/compare/compare.js';
import { createComparison } from '../src/tasks/compare/matrix.js';
import type { Predictions } from './inputs.js';

/** Classes up to which the page draws the difference heatmap (an SVG of C^2 cells); the download has any size. */
export const MAX_DIFF_HEATMAP_CLASSES = 200;

/** A comparison and how long counting it took, in milliseconds. */
export interface TimedComparison {
  result: ComparisonResult;
  ms: number;
}

function modelInput(p: Predictions, b: boolean): Partial<ComparisonBatch> {
  if (p.kind === 'logits') return b ? { logitsB: p.logits } : { logits: p.logits };
  return b ? { predsB: p.preds } : { preds: p.preds };
}

/**
 * Counts models A and B against `labels` together, on `device` or on the CPU. Both must have the same rows and, for
 * logits, `numClasses` columns.
 *
 * @example
 * const { result } = await compareModels(predsA, predsB, labels, 10, device);
 */
export async function compareModels(a: Predictions, b: Predictions, labels: LabelArray, numClasses: number,
  device: GPUDevice | undefined): Promise<TimedComparison> {
  for (const p of [a, b]) {
    if (p.rows !== labels.length) {
      throw new Error(
        `${p.file}: ${p.rows.toLocaleString('en-US')} rows, but the labels have ${
          labels.length.toLocaleString('en-US')
        }; both models must score the same rows`,
      );
    }
    if (p.kind === 'logits' && p.numClasses !== numClasses) {
      throw new Error(`${p.file}: ${p.numClasses} columns of logits, but the other model has ${numClasses} classes`);
    }
  }
  const cmp = createComparison({ numClasses, device });
  try {
    const t0 = performance.now();
    await cmp.update({ labels, ...modelInput(a, false), ...modelInput(b, true) } as ComparisonBatch);
    const result = await cmp.compute();
    return { result, ms: performance.now() - t0 };
  } finally {
    cmp.destroy();
  }
}

/**
 * The comparison's view: `confmat compare`'s table (with `intervals`, its paired intervals) and, up to
 * {@link MAX_DIFF_HEATMAP_CLASSES} classes, the difference heatmap as an image (an SVG in an `<img>`: class names
 * stay text, nothing in them runs).
 *
 * @example
 * section.replaceChildren(...renderComparison(result, names));
 */
export function renderComparison(result: ComparisonResult, classes: string[],
  intervals?: ComparisonIntervals): HTMLElement[] {
  const pre = document.createElement('pre');
  pre.className = 'comparison';
  pre.textContent = comparisonTable(result, { classes, intervals });
  if (result.numClasses > MAX_DIFF_HEATMAP_CLASSES) {
    const note = document.createElement('p');
    note.className = 'hint';
    note.textContent = `The difference heatmap is drawn here up to ${MAX_DIFF_HEATMAP_CLASSES} classes; download it ` +
      'as SVG.';
    return [pre, note];
  }
  const img = document.createElement('img');
  img.className = 'diff-heatmap';
  img.alt = 'Difference heatmap: B minus A in each cell, blue where B has more rows, red where fewer';
  img.src = URL.createObjectURL(new Blob([comparisonSvg(result, classes)], { type: 'image/svg+xml' }));
  img.addEventListener('load', () => URL.revokeObjectURL(img.src), { once: true });
  return [pre, img];
}

/** The difference heatmap's SVG. */
export const comparisonSvg = (result: ComparisonResult, classes: string[]): string =>
  comparisonHeatmapSvg(result, { classes });

/**
 * The comparison's JSON report, as `confmat compare --format json` writes it.
 *
 * @example
 * saveBlob(new Blob([comparisonReport(result, names, { name: 'cpu', adapter: null })]), 'compare.json');
 */
export function comparisonReport(result: ComparisonResult, classes: string[], backend: BackendReport,
  intervals?: ComparisonIntervals): string {
  return `${JSON.stringify(comparisonJson(result, backend, { classes, ...(intervals && { intervals }) }), null, 2)}\n`;
}
