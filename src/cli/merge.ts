import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import { readClassNames } from '../read/class-names.js';
import { jsonTooDeep } from '../read/json-error.js';
import { comparisonHeatmapSvg } from '../report/compare.js';
import type { BackendReport } from '../report/json.js';
import { renderPerClassReport } from '../report/per-class.js';
import { type ComparisonPartState, comparisonStateResult } from '../state/comparison-state.js';
import { perClassStateResult } from '../state/per-class-state.js';
import { missingShards, stateResult } from '../state/state.js';
import { binaryStateResult, mergeAnyStates, multilabelStateResult, parseAnyState } from '../state/task-state.js';
import type { AnyState } from '../state/task-state.js';
import { sweepIntervals } from '../tasks/binary/intervals.js';
import { matrixIntervals } from '../tasks/multiclass/intervals.js';
import { labelIntervals } from '../tasks/multilabel/intervals.js';
import { perClassIntervals } from '../tasks/per-class/intervals.js';
import { renderComparison } from './compare.js';
import { checkModeFlags, flag } from './flags.js';
import { plotData } from './inputs.js';
import { intervalOptions, weightedRefusal } from './interval-options.js';
import { checkOutputs } from './outputs.js';
import { plotColors, renderPlot, renderReport } from './render.js';
import { renderScoreReport, scorePlot, type ScoreReport } from './task-report.js';
import { type CliValues, UsageError } from './usage.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const refuse = (message: string, index?: number): never => {
  throw new InputError('state', message, undefined, index);
};

/** A part file: its state and the backend its report names (undefined for a bare state). */
async function readPart(file: string): Promise<{ state: AnyState; backend: BackendReport | undefined }> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) =>
    refuse(`${file}: cannot read: ${e.code === 'ENOENT' ? 'no such file' : e.message}`)
  );
  const deep = jsonTooDeep(text);
  if (deep) refuse(`${file}: ${deep.detail} at byte ${deep.byte}`, deep.byte);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    refuse(`${file}: not valid JSON (truncated or corrupt part?): ${(e as Error).message}`);
  }
  const state = parseAnyState(value, file);
  const report = isObject(value) && state.task === 'comparison' ? value.a : value;
  const b = isObject(report) ? report.backend : undefined;
  const known = isObject(b) && ['gpu', 'cpu', 'mixed'].includes(b.name as string) &&
    (b.adapter === null || typeof b.adapter === 'string');
  return { state, backend: known ? { name: b.name, adapter: b.adapter } as BackendReport : undefined };
}

/** The most missing shards a message lists. */
const MAX_LISTED = 50;

/** Refuses a part given twice: by path, or the same file through a link (device and inode). */
async function checkDistinct(files: string[]): Promise<void> {
  const seen = new Map<string, string>();
  for (const f of files) {
    const other = seen.get(resolve(f));
    const once = 'each part must be merged once';
    if (other !== undefined) refuse(`${f}: given twice${other === f ? '' : ` (also as ${other})`}; ${once}`);
    seen.set(resolve(f), f);
    const s = await stat(f, { bigint: true }).catch(() => undefined);
    const id = s === undefined || s.ino === 0n ? undefined : `${s.dev}:${s.ino}`;
    const same = id === undefined ? undefined : seen.get(id);
    if (same !== undefined) refuse(`${f}: the same file as ${same} (a symbolic or hard link to it); ${once}`);
    if (id !== undefined) seen.set(id, f);
  }
}

/** The parts' backend when they agree, else `mixed` listing them. */
function mergedBackend(backends: (BackendReport | undefined)[]): BackendReport {
  const label = (b?: BackendReport): string => (!b ? 'unknown' : b.adapter ? `${b.name}: ${b.adapter}` : b.name);
  const distinct = [...new Map(backends.map((b) => [label(b), b])).entries()];
  if (distinct.length === 1 && distinct[0]![1] !== undefined) return distinct[0]![1];
  return { name: 'mixed', adapter: distinct.map(([l]) => l).join('; ') };
}

/** Refuses a compare part with an eval part (or one with the other), naming both files. */
function checkKinds(merged: AnyState, state: AnyState, first: string, f: string): void {
  const kind = (s: AnyState): string =>
    s.task === 'comparison' ? 'confmat compare' : `confmat eval (${s.task ?? 'multiclass'})`;
  if ((merged.task === 'comparison') !== (state.task === 'comparison')) {
    refuse(`${f}: a ${kind(state)} part, but ${first} is a ${kind(merged)} part: compare and eval parts do not merge`);
  }
}

/** Notes on stderr, once, that joint and non-joint compare parts merge as both matrices and the right/wrong table. */
function noteJointMix(joint: Map<string, boolean>): void {
  const [yes, no] = [true, false].map((j) => [...joint].filter(([, x]) => x === j).map(([f]) => f));
  if (yes!.length === 0 || no!.length === 0) return;
  const more = (l: string[]): string => (l.length > 1 ? ` (and ${l.length - 1} more)` : '');
  process.stderr.write(
    `confmat: ${yes![0]}${more(yes!)} holds the joint (true, A, B) table, ${no![0]}${more(no!)} ` +
      'only both matrices and the right/wrong table (C^3 cells did not fit its device): merging those (--ci ' +
      'resamples the right/wrong table)\n',
  );
}

/** The parts added up, one at a time (memory holds two matrices, not n), each shard once. */
async function foldParts(files: string[]): Promise<{ merged: AnyState; backend: BackendReport }> {
  let merged: AnyState | undefined;
  const backends: (BackendReport | undefined)[] = [];
  const shardFile = new Map<number, string>();
  const joint = new Map<string, boolean>();
  for (const f of files) {
    const { state, backend } = await readPart(f);
    const sameSplit = merged === undefined || merged.shards?.count === state.shards?.count;
    for (const i of sameSplit ? (state.shards?.indices ?? []) : []) {
      const other = shardFile.get(i);
      const where = `${f}: shard ${i}/${state.shards!.count} is also in ${other}`;
      if (other !== undefined) refuse(`${where}; each shard must be merged once`, i);
      shardFile.set(i, f);
    }
    if (merged !== undefined) checkKinds(merged, state, files[0]!, f);
    if (state.task === 'comparison') joint.set(f, state.joint);
    merged = merged === undefined ? state : mergeAnyStates([merged, state], [files[0]!, f]);
    backends.push(backend);
  }
  noteJointMix(joint);
  return { merged: merged!, backend: mergedBackend(backends) };
}

/** Refuses a shard set with shards missing, or with --allow-partial notes them on stderr. */
function checkComplete(merged: AnyState, parts: number, allowPartial: boolean): void {
  const missing = missingShards(merged);
  if (missing.length === 0) return;
  const n = merged.shards!.count;
  const held = `${merged.shards!.indices.length} of ${n} shards`;
  const have = `${parts} part${parts === 1 ? '' : 's'} hold${parts === 1 ? 's' : ''} ${held}`;
  const list = missing.length > MAX_LISTED ?
    `${missing.slice(0, MAX_LISTED).join(', ')}, ... (${missing.length} in all)` :
    missing.join(', ');
  const s = missing.length === 1 ? '' : 's';
  const [anyway, part] = ['pass --allow-partial to merge them anyway', 'the report covers only part of the input'];
  if (!allowPartial) refuse(`${have}; missing shard${s} ${list} (confmat eval --shard i/${n}); ${anyway}`);
  process.stderr.write(`confmat: --allow-partial: ${have}; missing ${list}: ${part}\n`);
}

/** The report of merged `confmat compare --shard` parts, as one compare run writes it (table or json). */
function mergedComparison(merged: ComparisonPartState, backend: BackendReport, values: CliValues,
  classes: string[] | undefined): string {
  const format = flag(values, 'format') ?? (values.out === undefined && process.stdout.isTTY ? 'table' : 'json');
  if (format === 'csv' || format === 'markdown') {
    throw new UsageError(`compare parts merge into table or json, not ${format}`);
  }
  if (values.normalize !== undefined) {
    throw new UsageError('--normalize applies to eval parts; these are compare parts');
  }
  const { ignoreIndex, stringLabels } = merged.options;
  return renderComparison(format, comparisonStateResult(merged), backend, { classes, ignoreIndex, stringLabels,
    ci: intervalOptions(values), shards: merged.shards });
}

/**
 * `confmat merge part*.json`: adds up the JSON reports (or bare states) of `confmat eval` runs of one task,
 * checking they fit together, and writes the sum's report as eval does; nothing is written on a refusal.
 */
export async function runMerge(files: string[], values: CliValues): Promise<number> {
  if (files.length === 0) throw new UsageError('merge needs the part files to add up, e.g. confmat merge part-*.json');
  const plotPath = flag(values, 'plot');
  const tty = values.out === undefined && process.stdout.isTTY;
  const format = flag(values, 'format') ?? (tty ? 'table' : 'json');
  const normalize = flag(values, 'normalize') ?? 'none';
  const ci = intervalOptions(values);
  const outputs = await checkOutputs(values, files);
  await checkDistinct(files);
  const { merged, backend } = await foldParts(files);
  checkComplete(merged, files.length, values['allow-partial'] === true);
  if (merged.task === 'comparison') {
    const html = 'compare parts draw the difference heatmap B - A as .svg or .png';
    if (plotPath !== undefined && !/\.(svg|png)$/i.test(plotPath)) throw new UsageError(`--plot ${plotPath}: ${html}`);
    const classes = typeof values.classes === 'string' ?
      await readClassNames(values.classes, merged.numClasses) :
      merged.classes;
    const plot = plotPath && await plotData(plotPath, comparisonHeatmapSvg(comparisonStateResult(merged), { classes }));
    return outputs.commit(mergedComparison(merged, backend, values, classes), plot).then(() => 0);
  }
  const task = merged.task ?? 'multiclass';
  checkModeFlags(values, task, true);
  const weighted = 'parts counted with --sample-weight';
  if (ci && 'options' in merged && 'sampleWeight' in merged.options) throw weightedRefusal(weighted);
  const { shards } = merged;
  const names = async (n: number, given?: string[]) =>
    typeof values.classes === 'string' ? readClassNames(values.classes, n) : given;
  if (merged.task === 'multilabel' || merged.task === 'binary') {
    if (/\.html$/i.test(plotPath ?? '')) throw new UsageError(`--plot ${plotPath}: ${task} parts draw .svg or .png`);
    let report: ScoreReport;
    if (merged.task === 'multilabel') {
      const n = merged.numLabels;
      const labels = (await names(n, merged.labels)) ?? Array.from({ length: n }, (_, j) => String(j));
      const result = multilabelStateResult(merged);
      report = { task: 'multilabel', result, labels, intervals: ci && labelIntervals(result, ci) };
    } else {
      const { result, threshold, sweep } = binaryStateResult(merged);
      const curves = 'draws ROC and PR curves: the parts need --thresholds K or a list';
      if (plotPath !== undefined && !sweep) throw new UsageError(`--plot with binary parts ${curves}`);
      report = { task: 'binary', result, threshold, sweep, intervals: ci && sweepIntervals(result, threshold, ci) };
    }
    const plot = plotPath === undefined ? undefined : await scorePlot(plotPath, report);
    return outputs.commit(renderScoreReport(format, report, backend, shards), plot).then(() => 0);
  }
  const classes = await names(merged.numClasses, merged.classes);
  if (merged.task === 'per-class') {
    const result = perClassStateResult(merged);
    const options = { classes, ignoreIndex: merged.options.ignoreIndex, stringLabels: merged.options.stringLabels,
      shards, intervals: ci && perClassIntervals(result, ci) };
    return outputs.commit(renderPerClassReport(format, result, backend, options)).then(() => 0);
  }
  const result = stateResult(merged);
  const { ignoreIndex, classSubset, stringLabels } = merged.options;
  const intervals = ci && matrixIntervals(result, ci);
  const text = await renderReport(format, result, backend, { classes, normalize, tty, shards,
    stateOptions: { ignoreIndex, classSubset, stringLabels }, intervals });
  const plot = plotPath === undefined ?
    undefined :
    await renderPlot(plotPath, result, { classes, normalize, intervals, plotColors: plotColors(values) });
  return outputs.commit(text, plot).then(() => 0);
}
