import { extname } from 'node:path';
import type { Normalize } from '../tasks/multiclass/metrics.js';
import type { ConfusionMatrixResult } from '../core/types.js';
import { svgToPng } from '../node/png.js';
import { classificationReport, classNames } from '../report/classification-report.js';
import { computeMetrics } from '../tasks/multiclass/metrics.js';
import { renderCsv } from '../report/csv.js';
import { renderHeatmapHtml } from '../report/heatmap-html.js';
import { renderHeatmapSvg } from '../report/heatmap-svg.js';
import { jsonReport, type BackendReport } from '../report/json.js';
import { renderMarkdown } from '../report/markdown.js';
import { pngWidthWithin } from '../report/plot-size.js';
import { renderTable } from '../report/table.js';
import type { ShardSet, StateOptions } from '../state/state.js';

/** The report formats of `confmat eval --format`. */
export type OutputFormat = 'json' | 'table' | 'csv' | 'markdown';

/** Options of the report and the heatmap. */
export interface OutputOptions {
  classes?: string[] | undefined;
  normalize?: Normalize;
  /** Colours in the table (the report goes to a terminal). */
  tty?: boolean;
  /** The shard set, written in the JSON report (which `confmat merge` reads back). */
  shards?: ShardSet | undefined;
  stateOptions?: Omit<StateOptions, 'numClasses' | 'topK'>;
}

/**
 * The multiclass report in one of the formats, ending with a newline.
 *
 * @example
 * process.stdout.write(renderReport('json', result, backend, { classes, shards: { count: 8, indices: [3] } }));
 */
export function renderReport(format: OutputFormat, result: ConfusionMatrixResult, backend: BackendReport, options: OutputOptions): string {
  const { classes, normalize = 'none', shards, stateOptions } = options;
  switch (format) {
    case 'json':
      return `${JSON.stringify(jsonReport(result, backend, { classes, normalize, shards, stateOptions }))}\n`;
    case 'csv':
      return renderCsv(result, { classes, normalize });
    case 'markdown':
      return renderMarkdown(result, { classes, normalize });
    case 'table': {
      const where = `counted on the ${backend.name.toUpperCase()}${backend.adapter ? `: ${backend.adapter}` : ''}`;
      const color = options.tty === true && !process.env.NO_COLOR;
      return `${renderTable(result, { classes, normalize, color, width: process.stdout.columns ?? 160 })}\n\n${where}\n`;
    }
  }
}

/** The heatmap for `--plot`, chosen by the file's extension (.svg, .png or .html). */
export function renderPlot(path: string, result: ConfusionMatrixResult, options: OutputOptions): string | Uint8Array {
  const c = result.numClasses;
  const names = classNames(c, options.classes);
  const heatmap = { classes: names, normalize: options.normalize ?? 'none' };
  const ext = extname(path).toLowerCase();
  if (ext === '.html') {
    const metrics = computeMetrics(result.counts, c);
    const subtitle = `${result.total.toLocaleString('en-US')} samples, accuracy ${metrics.accuracy.toFixed(4)}, balanced accuracy ${metrics.balancedAccuracy.toFixed(4)}`;
    return renderHeatmapHtml(result.counts, c, { ...heatmap, report: classificationReport(metrics, names), subtitle });
  }
  const svg = renderHeatmapSvg(result.counts, c, heatmap);
  return ext === '.png' ? svgToPng(svg, { width: pngWidthWithin(svg) }) : svg;
}
