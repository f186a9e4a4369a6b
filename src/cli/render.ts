import { extname } from 'node:path';
import type { ConfusionMatrixResult } from '../core/types.js';
import type { BackendReport } from '../report/json.js';
import type { ShardSet, StateOptions } from '../state/state.js';
import type { MatrixIntervals } from '../tasks/multiclass/intervals.js';
import type { Normalize } from '../tasks/multiclass/metrics.js';
import { flag } from './flags.js';
import { plotData } from './inputs.js';
import type { CliValues } from './usage.js';

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
  /** With --ci: the intervals of the metrics, in every format but CSV (the matrix alone). */
  intervals?: MatrixIntervals | undefined;
  /** The heatmap's `scale` and `shadeDiagonal` (--plot-scale, --plot-no-diagonal). */
  plotColors?: { scale: 'linear' | 'log' | 'row'; shadeDiagonal: boolean };
}

/** The multiclass report in one of the formats, ending with a newline; each format loads its own module. */
export async function renderReport(format: OutputFormat, result: ConfusionMatrixResult, backend: BackendReport,
  options: OutputOptions): Promise<string> {
  const { classes, normalize = 'none', shards, stateOptions, intervals } = options;
  switch (format) {
    case 'json': {
      const { renderJson } = await import('../report/json.js');
      return `${renderJson(result, backend, { classes, normalize, shards, stateOptions, intervals })}\n`;
    }
    case 'csv':
      return (await import('../report/csv.js')).renderCsv(result, { classes, normalize });
    case 'markdown':
      return (await import('../report/markdown.js')).renderMarkdown(result, { classes, normalize,
        ...(intervals && { intervals }) });
    case 'table': {
      const { renderTable } = await import('../report/table.js');
      const where = `counted on the ${backend.name.toUpperCase()}${backend.adapter ? `: ${backend.adapter}` : ''}`;
      const color = options.tty === true && !process.env.NO_COLOR;
      const width = process.stdout.columns ?? 160;
      const table = renderTable(result, { classes, normalize, color, width, ...(intervals && { intervals }) });
      return `${table}\n\n${where}\n`;
    }
  }
}

/** The heatmap colours that --plot-scale and --plot-no-diagonal ask for. */
export function plotColors(values: CliValues): NonNullable<OutputOptions['plotColors']> {
  return { scale: flag(values, 'plot-scale') ?? 'linear', shadeDiagonal: values['plot-no-diagonal'] !== true };
}

/** The heatmap for `--plot`, chosen by the file's extension (.svg, .png or .html). */
export async function renderPlot(path: string, result: ConfusionMatrixResult,
  options: OutputOptions): Promise<string | Uint8Array> {
  const [{ classificationReport, classNames, withInterval }, { renderHeatmapSvg }] = await Promise.all([
    import('../report/classification-report.js'),
    import('../report/heatmap-svg.js'),
  ]);
  const c = result.numClasses;
  const names = classNames(c, options.classes);
  const heatmap = { classes: names, normalize: options.normalize ?? 'none', ...options.plotColors };
  if (extname(path).toLowerCase() !== '.html') return plotData(path, renderHeatmapSvg(result.counts, c, heatmap));
  const [{ renderHeatmapHtml }, { computeMetrics }, { intervalNote }] = await Promise.all([
    import('../report/heatmap-html.js'),
    import('../tasks/multiclass/metrics.js'),
    import('../report/table.js'),
  ]);
  const [m, ci] = [computeMetrics(result.counts, c, result.nonzero), options.intervals];
  const f4 = (v: number): string => v.toFixed(4);
  const accuracy = `accuracy ${withInterval(m.accuracy, ci?.accuracy, f4)}, balanced accuracy ` +
    withInterval(m.balancedAccuracy, ci?.balancedAccuracy, f4);
  const how = ci ? ` (${intervalNote(ci).slice(1, -1)})` : '';
  const subtitle = `${result.total.toLocaleString('en-US')} samples, ${accuracy}${how}`;
  return renderHeatmapHtml(result.counts, c, { ...heatmap, report: classificationReport(m, names, 4, ci), subtitle });
}
