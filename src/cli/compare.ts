/**
 * `confmat compare`: two models' logits or predictions on the same labels, counted in one pass.
 *
 * @module
 */
import { InputError } from '../core/errors.js';
import { validateNumClasses } from '../format/validate.js';
import { readClassNames } from '../read/class-names.js';
import type { ArraySource } from '../read/open-array.js';
import { sliceRows } from '../read/open-array.js';
import { comparisonHeatmapSvg, comparisonJson, comparisonTable } from '../report/compare.js';
import type { BackendReport } from '../report/json.js';
import { createComparisonState } from '../state/comparison-state.js';
import type { ShardSet } from '../state/envelope.js';
import type { IntervalOptions } from '../stats/bootstrap.js';
import type { ComparisonBatch, ComparisonResult } from '../tasks/compare/compare.js';
import { createComparison } from '../tasks/compare/matrix.js';
import { pairedIntervals, rightWrongIntervals } from '../tasks/compare/paired-intervals.js';
import { matrixIntervals } from '../tasks/multiclass/intervals.js';
import { asLabels, chunkBatch, type MulticlassInputs, openMulticlass } from './eval-multiclass.js';
import { runTask } from './eval.js';
import { flag } from './flags.js';
import { located, plotData } from './inputs.js';
import { intervalOptions } from './interval-options.js';
import type { OutputFormat } from './render.js';
import { type CliValues, UsageError } from './usage.js';

/** Model B's flags in the place of model A's, for the openers and chunk readers of `confmat eval`. */
const sideB = (values: CliValues): CliValues => ({ ...values, logits: values['logits-b'], preds: values['preds-b'] });

/** Refuses a command line without --labels or without exactly one input for each model. */
function checkInputs(values: CliValues): void {
  if (!values.labels) throw new UsageError('compare needs --labels Y.npy');
  for (const [l, p, m] of [['logits', 'preds', 'A'], ['logits-b', 'preds-b', 'B']] as const) {
    if ((values[l] === undefined) === (values[p] === undefined)) {
      throw new UsageError(`compare needs exactly one of --${l} or --${p} (model ${m})`);
    }
  }
  const plot = flag(values, 'plot');
  const html = 'compare draws the difference heatmap B - A as .svg or .png';
  if (plot !== undefined && !/\.(svg|png)$/i.test(plot)) throw new UsageError(`--plot ${plot}: ${html}`);
  const format = flag(values, 'format');
  if (format === 'csv' || format === 'markdown') throw new UsageError(`compare writes table or json, not ${format}`);
}

/** `confmat compare`: both models' reports side by side, McNemar's test, per-class deltas, the largest changes. */
export function runCompare(values: CliValues): Promise<number> {
  checkInputs(values);
  const ci = intervalOptions(values);
  const ignoreIndex = flag(values, 'ignore-index');
  const halves = values.backend !== 'cpu';
  let [a, b]: MulticlassInputs[] = [];
  let numClasses = 0;
  let classes: string[] | undefined;
  const files = (): Record<string, string> => ({ labels: String(values.labels), preds: a!.files.preds!,
    predsB: b!.files.preds! });
  return runTask<ComparisonResult>(values, { async open(sources: ArraySource[]) {
    const plain = { ...values, classes: undefined };
    // The side with logits opens first: its columns are C, which the other side's predictions are checked against.
    const bFirst = values.logits === undefined && values['logits-b'] !== undefined;
    const [predsA, predsB] = [values.preds, values['preds-b']].map((p) => (typeof p === 'string' ? [p] : []));
    const same = 'every shard must count the same classes, whatever its slice holds';
    const preds = values.logits === undefined && values['logits-b'] === undefined;
    const more = { classes: typeof values.classes === 'string' ? values.classes : undefined,
      shardNeedsC: preds ? `--shard with --preds and --preds-b needs --num-classes C: ${same}` : undefined };
    const first = await openMulticlass(bFirst ? sideB(plain) : plain, sources, validateNumClasses, halves, true, {
      ...more,
      alsoPreds: bFirst ? predsA : predsB,
    });
    const oneLogits = (values.logits === undefined) !== (values['logits-b'] === undefined);
    const given = values['num-classes'] ?? (oneLogits ? String(first.numClasses) : undefined);
    const otherValues = { ...(bFirst ? plain : sideB(plain)), 'num-classes': given };
    const second = await openMulticlass(otherValues, sources, validateNumClasses, halves, true, { ...more,
      alsoPreds: bFirst ? predsB : predsA });
    [a, b] = bFirst ? [second, first] : [first, second];
    const both = values.logits !== undefined && values['logits-b'] !== undefined;
    if (both && a.numClasses !== b.numClasses) {
      const why = 'both models must score the same classes';
      const columns = `${files().preds} has ${a.numClasses} class columns but ${files().predsB} has ${b.numClasses}`;
      throw new InputError('logits', `${columns}: ${why}`, undefined, b.numClasses);
    }
    numClasses = Math.max(a.numClasses, b.numClasses);
    if (given === undefined && preds && !a.strings) {
      process.stderr.write(`confmat: --num-classes not given; using ${numClasses} (largest class index + 1)\n`);
    }
    if (a.strings) classes = a.classes;
    else if (typeof values.classes === 'string') classes = await readClassNames(values.classes, numClasses);
    return a.labels.rows;
  }, counter(backend, { start, end }) {
    const c = numClasses;
    const [inA, inB, labels] = [sliceRows(a!.input, start, end), sliceRows(b!.input, start, end),
      sliceRows(a!.labels, start, end)];
    const warn = (line: string): boolean => process.stderr.write(`${line}\n`);
    const cmp = createComparison({ numClasses: c, device: backend.device, recover: backend.recover, warn, ignoreIndex,
      chunkRows: flag(values, 'chunk-rows') });
    return { streams: [inA, inB, labels], rowLength: inA.rowLength + inB.rowLength, update(_start, _n, [da, db, y]) {
      const ys = asLabels(y!);
      const x = chunkBatch(values, inA, da!, ys, c);
      const z = chunkBatch(sideB(values), inB, db!, ys, c);
      const batch: ComparisonBatch = { labels: ys, logits: x.logits, logitsDtype: x.logitsDtype, preds: x.preds,
        logitsB: z.logits, logitsDtypeB: z.logitsDtype, predsB: z.preds };
      return cmp.update(batch);
    }, locate: (e, at) => located(e, at, files()), compute: () => cmp.compute(),
      backend: (opened) => ({ ...opened, name: cmp.backend === opened.name ? opened.name : 'mixed' }),
      destroy: () => cmp.destroy() };
  },
    report: (format, result, backend, shards) =>
      renderComparison(format, result, backend, { classes, ignoreIndex, ci, shards, stringLabels: a!.strings }),
    plot: (path, result) => plotData(path, comparisonHeatmapSvg(result, { classes })) });
}

/** What a comparison's report shows beside the counts. */
export interface ComparisonReportOptions {
  classes?: string[] | undefined;
  ignoreIndex?: number | undefined;
  /** The classes are the names of string labels (recorded in the state). */
  stringLabels?: boolean | undefined;
  ci?: IntervalOptions | undefined;
  /** The shard set: the JSON report is then a part for `confmat merge` (it carries the counts). */
  shards?: ShardSet | undefined;
}

/** The report of a comparison, table or json (with --ci its intervals), of `confmat compare` and `merge`. */
export function renderComparison(format: OutputFormat, result: ComparisonResult, backend: BackendReport,
  options: ComparisonReportOptions): string {
  const { classes, ignoreIndex, ci, shards, stringLabels } = options;
  const intervals = ci &&
    {
      difference: result.counts ?
        pairedIntervals(result.counts, result.numClasses, ci) :
        rightWrongIntervals(result.rightWrong, result.numClasses, ci),
      a: matrixIntervals(result.a, ci),
      b: matrixIntervals(result.b, ci),
    };
  if (format === 'json') {
    const strings = stringLabels ? { stringLabels: true as const } : {};
    const stateOptions = ignoreIndex === undefined && !stringLabels ? undefined : { ignoreIndex, ...strings };
    const report = comparisonJson(result, backend, { classes, stateOptions, intervals });
    if (shards === undefined) return `${JSON.stringify(report)}\n`;
    const { counts, countsA, countsB, rightWrong, ...head } = createComparisonState(result, { classes, ignoreIndex,
      shards, stringLabels });
    return `${JSON.stringify({ ...head, ...report, counts, countsA, countsB, rightWrong })}\n`;
  }
  const where = `counted on the ${backend.name.toUpperCase()}${backend.adapter ? `: ${backend.adapter}` : ''}`;
  return `${comparisonTable(result, { classes, intervals })}\n\n${where}\n`;
}
