import { readFile, stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import { missingShards, stateResult } from '../state/state.js';
import { binaryStateResult, mergeAnyStates, multilabelStateResult, parseAnyState, stateTask, type AnyState } from '../state/task-state.js';
import { readClassNames } from '../read/class-names.js';
import { jsonTooDeep } from '../read/json-error.js';
import type { BackendReport } from '../report/json.js';
import { renderPerClassReport } from '../report/per-class.js';
import { perClassStateResult } from '../state/per-class-state.js';
import { renderPlot, renderReport } from './render.js';
import { flag } from './flags.js';
import { renderScoreReport, scorePlot, type ScoreReport } from './task-report.js';
import { checkOutputs } from './outputs.js';
import { UsageError, type CliValues } from './usage.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A part file: its state and the backend its report names (undefined for a bare state). */
async function readPart(file: string): Promise<{ state: AnyState; backend: BackendReport | undefined }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError('state', `${file}: cannot read: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const deep = jsonTooDeep(text);
  if (deep) throw new InputError('state', `${file}: ${deep.detail} at byte ${deep.byte}`, undefined, deep.byte);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError('state', `${file}: not valid JSON (truncated or corrupt part?): ${(e as Error).message}`);
  }
  const state = parseAnyState(value, file);
  const b = isObject(value) ? value.backend : undefined;
  const known = isObject(b) && (b.name === 'gpu' || b.name === 'cpu' || b.name === 'mixed') && (b.adapter === null || typeof b.adapter === 'string');
  return { state, backend: known ? { name: b.name as BackendReport['name'], adapter: b.adapter as string | null } : undefined };
}

/** The most missing shards a message lists. */
const MAX_LISTED = 50;

/** The device and inode of a file (links to one file share them), or undefined when unknown (no such file: reading it says so). */
async function fileId(file: string): Promise<string | undefined> {
  try {
    const s = await stat(file, { bigint: true });
    return s.ino === 0n ? undefined : `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}

/** The parts' backend when they agree, else `mixed` listing them. */
function mergedBackend(backends: (BackendReport | undefined)[]): BackendReport {
  const label = (b: BackendReport | undefined): string => (b === undefined ? 'unknown' : b.adapter ? `${b.name}: ${b.adapter}` : b.name);
  const distinct = [...new Map(backends.map((b) => [label(b), b])).entries()];
  if (distinct.length === 1 && distinct[0]![1] !== undefined) return distinct[0]![1];
  return { name: 'mixed', adapter: distinct.map(([l]) => l).join('; ') };
}

/**
 * `confmat merge part*.json`: adds up the JSON reports of `confmat eval --format json` (or bare
 * serialized states) of one task (multiclass, multilabel or binary), checking they fit together
 * (same task, classes or labels, names, thresholds and options; shards of one split, each once, all
 * there unless `--allow-partial`), then writes the report of the sum, as eval does (--format, --out,
 * --plot, --normalize, --classes). Nothing is written on a refusal.
 * Returns the exit status.
 *
 * @example
 * await runMerge(['part-0.json', 'part-1.json'], { format: 'json', out: 'report.json' });
 */
export async function runMerge(files: string[], values: CliValues): Promise<number> {
  if (files.length === 0) throw new UsageError('merge needs the part files to add up, e.g. confmat merge part-*.json');
  const outPath = values.out as string | undefined;
  const plotPath = values.plot as string | undefined;
  const format = flag(values, 'format') ?? (outPath === undefined && process.stdout.isTTY ? 'table' : 'json');
  const normalize = flag(values, 'normalize') ?? 'none';
  if (plotPath !== undefined && !/\.(svg|png|html)$/i.test(plotPath)) throw new UsageError(`--plot ${plotPath}: the file must end in .svg, .png or .html`);
  const outputs = await checkOutputs(values, files);
  const seen = new Map<string, string>();
  const seenFile = new Map<string, string>();
  for (const f of files) {
    const other = seen.get(resolve(f));
    if (other !== undefined) throw new InputError('state', `${f}: given twice${other === f ? '' : ` (also as ${other})`}; each part must be merged once`);
    seen.set(resolve(f), f);
    const id = await fileId(f);
    const same = id === undefined ? undefined : seenFile.get(id);
    if (same !== undefined) throw new InputError('state', `${f}: the same file as ${same} (a symbolic or hard link to it); each part must be merged once`);
    if (id !== undefined) seenFile.set(id, f);
  }
  // One part at a time, folded: memory holds two matrices, not n.
  let merged: AnyState | undefined;
  const backends: (BackendReport | undefined)[] = [];
  const shardFile = new Map<number, string>();
  for (const f of files) {
    const { state, backend } = await readPart(f);
    const sameSplit = merged === undefined || merged.shards?.count === state.shards?.count;
    for (const i of sameSplit ? (state.shards?.indices ?? []) : []) {
      const other = shardFile.get(i);
      if (other !== undefined) throw new InputError('state', `${f}: shard ${i}/${state.shards!.count} is also in ${other}; each shard must be merged once`, undefined, i);
      shardFile.set(i, f);
    }
    merged = merged === undefined ? state : mergeAnyStates([merged, state], [files[0]!, f]);
    backends.push(backend);
  }
  if (merged === undefined) throw new UsageError('merge needs the part files to add up');
  const missing = missingShards(merged);
  if (missing.length > 0) {
    const n = merged.shards!.count;
    const have = `${files.length} part${files.length === 1 ? '' : 's'} hold${files.length === 1 ? 's' : ''} ${merged.shards!.indices.length} of ${n} shards`;
    const list = missing.length > MAX_LISTED ? `${missing.slice(0, MAX_LISTED).join(', ')}, ... (${missing.length} in all)` : missing.join(', ');
    if (values['allow-partial'] !== true) {
      throw new InputError('state', `${have}; missing shard${missing.length === 1 ? '' : 's'} ${list} (confmat eval --shard i/${n}); pass --allow-partial to merge them anyway`);
    }
    process.stderr.write(`confmat: --allow-partial: ${have}; missing ${list}: the report covers only part of the input\n`);
  }
  const backend = mergedBackend(backends);
  if (merged.task === 'multilabel' || merged.task === 'binary') {
    const task = stateTask(merged);
    if (normalize !== 'none') throw new UsageError(`--normalize applies to multiclass parts; these are ${task}`);
    if (plotPath !== undefined && extname(plotPath).toLowerCase() === '.html') throw new UsageError(`--plot ${plotPath}: ${task} parts draw .svg or .png`);
    let report: ScoreReport;
    if (merged.task === 'multilabel') {
      const n = merged.numLabels;
      const names = typeof values.classes === 'string' ? await readClassNames(values.classes, n) : merged.labels;
      report = { task: 'multilabel', result: multilabelStateResult(merged), labels: names ?? Array.from({ length: n }, (_, j) => String(j)) };
    } else {
      if (values.classes !== undefined) {
        throw new UsageError('--classes names the classes or labels of multiclass and multilabel parts; these are binary');
      }
      const { result, threshold, sweep } = binaryStateResult(merged);
      if (plotPath !== undefined && !sweep) {
        throw new UsageError('--plot with binary parts draws ROC and PR curves: the parts need --thresholds K or a list');
      }
      report = { task: 'binary', result, threshold, sweep };
    }
    const plot = plotPath === undefined ? undefined : scorePlot(plotPath, report);
    await outputs.commit(renderScoreReport(format, report, backend, merged.shards), plot);
    return 0;
  }
  const classes = typeof values.classes === 'string' ? await readClassNames(values.classes, merged.numClasses) : merged.classes;
  if (merged.task === 'per-class') {
    if (normalize !== 'none' || plotPath !== undefined) {
      throw new UsageError(`--${normalize !== 'none' ? 'normalize' : 'plot'} needs the C x C matrix; these are per-class parts`);
    }
    const options = { classes, ignoreIndex: merged.options.ignoreIndex, shards: merged.shards };
    await outputs.commit(renderPerClassReport(format, perClassStateResult(merged), backend, options));
    return 0;
  }
  const result = stateResult(merged);
  const { ignoreIndex, classSubset } = merged.options;
  const stateOptions = { ...(ignoreIndex !== undefined ? { ignoreIndex } : {}), ...(classSubset ? { classSubset } : {}) };
  const text = renderReport(format, result, backend, { classes, normalize, tty: outPath === undefined && process.stdout.isTTY, shards: merged.shards, stateOptions });
  await outputs.commit(text, plotPath === undefined ? undefined : renderPlot(plotPath, result, { classes, normalize }));
  return 0;
}
