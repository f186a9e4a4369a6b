/**
 * The demo's downloads: the JSON report, the matrix as CSV, the heatmap as SVG and as PNG.
 *
 * @module
 */
import type { ConfusionMatrixResult } from '../src/core/types.js';
import { renderCsv } from '../src/report/csv.js';
import { FONT_FAMILY } from '../src/report/heatmap-scale.js';
import { renderHeatmapSvg } from '../src/report/heatmap-svg.js';
import { type BackendReport, jsonReport } from '../src/report/json.js';
import type { MatrixIntervals } from '../src/tasks/multiclass/intervals.js';
import type { Normalize } from '../src/tasks/multiclass/metrics.js';
import { permuteCounts } from './reorder.js';

/** What the downloads are made of: the result, its names, and the view's normalization and order. */
export interface DownloadSource {
  result: ConfusionMatrixResult;
  classes: string[];
  backend: BackendReport;
  normalize: Normalize;
  order: readonly number[];
  canvas: HTMLCanvasElement;
  /** The PNG's title line. Default "Confusion matrix". */
  title?: string;
  /** The intervals shown on the page, written into the JSON report as `ci`. */
  intervals?: MatrixIntervals | undefined;
}

/**
 * Saves `blob` as `name` through a temporary link.
 *
 * @example
 * saveBlob(new Blob(['a,b\n'], { type: 'text/csv' }), 'cm.csv');
 */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * The file a download button gives: `kind` is json, csv, svg or png. JSON and CSV keep the class
 * order of the data (as the CLI writes them); SVG and PNG show the heatmap as it is on the page.
 *
 * @example
 * saveBlob(await downloadBlob('json', source), 'confmat.json');
 */
export async function downloadBlob(kind: 'json' | 'csv' | 'svg' | 'png', s: DownloadSource): Promise<Blob> {
  const options = { classes: s.classes, normalize: s.normalize };
  if (kind === 'json') {
    const json = jsonReport(s.result, s.backend, { ...options, intervals: s.intervals });
    return new Blob([`${JSON.stringify(json, null, 2)}\n`], { type: 'application/json' });
  }
  if (kind === 'csv') return new Blob([renderCsv(s.result, options)], { type: 'text/csv' });
  if (kind === 'svg') {
    const c = s.result.numClasses;
    const svg = renderHeatmapSvg(permuteCounts(s.result.counts, c, s.order), c, {
      classes: s.order.map((k) => s.classes[k]!),
      normalize: s.normalize,
      title: 'Confusion matrix',
    });
    return new Blob([svg], { type: 'image/svg+xml' });
  }
  const titled = withTitle(s.canvas, s.title ?? 'Confusion matrix');
  return new Promise((resolve, reject) =>
    titled.toBlob((b) => (b ? resolve(b) : reject(new Error('the canvas gave no PNG'))), 'image/png')
  );
}

/** The heatmap canvas under a title line, as the SVG download has one (same pixel density as the canvas). */
function withTitle(canvas: HTMLCanvasElement, title: string): HTMLCanvasElement {
  const scale = canvas.width / Math.max(1, canvas.clientWidth || canvas.width);
  const band = Math.round(32 * scale);
  const out = document.createElement('canvas');
  [out.width, out.height] = [canvas.width, canvas.height + band];
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = '#111';
  ctx.font = `600 ${Math.round(16 * scale)}px ${FONT_FAMILY}`;
  ctx.textBaseline = 'middle';
  ctx.fillText(title, Math.round(12 * scale), band / 2, out.width - Math.round(24 * scale));
  ctx.drawImage(canvas, 0, band);
  return out;
}
