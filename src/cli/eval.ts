import { type OpenBackend, openBackend } from '../node/open-backend.js';
import type { NumericArray } from '../read/npy.js';
import type { ArraySource } from '../read/open-array.js';
import type { BackendReport } from '../report/json.js';
import type { ShardSet } from '../state/state.js';
import { backendOptions, checkModeFlags, flag } from './flags.js';
import { checkOneStdin, lockstep, READ_CHUNK_BYTES } from './inputs.js';
import { checkIntervalMode, intervalOptions } from './interval-options.js';
import { checkOutputs } from './outputs.js';
import { createProgress } from './progress.js';
import type { OutputFormat } from './render.js';
import { shardRows } from './shard.js';
import { type CliValues, UsageError } from './usage.js';

/** What one task of `confmat eval` does in {@link runTask}'s skeleton. */
export interface EvalTask<R> {
  /** Opens and checks the inputs, each pushed to `sources` (runTask closes them); resolves to their rows. */
  open(sources: ArraySource[]): Promise<number>;
  /** The counter of rows `range` of the inputs on `backend`. */
  counter(backend: OpenBackend, range: { start: number; end: number }): TaskCounter<R> | Promise<TaskCounter<R>>;
  /** The report; with `shards` (--shard), its JSON is the task's state, a part for `confmat merge`. */
  report(format: OutputFormat, result: R, backend: BackendReport, shards: ShardSet | undefined): Promise<string>
    | string;
  /** The --plot file's bytes for `path`. */
  plot?(path: string, result: R): Promise<string | Uint8Array> | string | Uint8Array;
}

/** A task's counter: the sources it reads in lockstep and what it does with each chunk. */
export interface TaskCounter<R> {
  /** The sources read in lockstep (sliced to the range); none: update gets row ranges only. */
  streams: ArraySource[];
  /** Values per row of the widest input (for the chunk size). */
  rowLength: number;
  /** Counts rows [start, start + rows) of the range (`data`: the streams' chunks). */
  update(start: number, rows: number, data: NumericArray[]): Promise<void>;
  /** The error `e` of the chunk at row `start` of the file, naming that file and row. */
  locate?(e: unknown, start: number, data: NumericArray[]): unknown;
  compute(): Promise<R>;
  /** The backend as the report names it (default: the one opened). */
  backend?(opened: BackendReport): BackendReport;
  destroy(): unknown;
}

/**
 * The skeleton of every `confmat eval` task: outputs checked, inputs opened, --shard rows read in lockstep
 * with a progress bar, then the report and plot written together. Returns the exit status.
 */
export async function runTask<R>(values: CliValues, task: EvalTask<R>): Promise<number> {
  checkOneStdin(values);
  const shard = flag(values, 'shard');
  const tty = values.out === undefined && process.stdout.isTTY;
  const format = flag(values, 'format') ?? (tty && !shard ? 'table' : 'json');
  const { choice, device } = backendOptions(values);
  const outputs = await checkOutputs(values);
  const sources: ArraySource[] = [];
  let backend: OpenBackend | undefined;
  let counter: TaskCounter<R> | undefined;
  let result: R;
  try {
    const rows = await task.open(sources);
    const range = shard ? shardRows(shard, rows) : { start: 0, end: rows };
    backend = await openBackend(choice, device, undefined, { softwareAdapter: 'cpu' });
    counter = await task.counter(backend, range);
    const progress = createProgress(range.end - range.start, process.stderr);
    const step = Math.max(1, Math.floor(READ_CHUNK_BYTES / (counter.rowLength * 8)));
    for await (const [start, n, ...data] of lockstep(counter.streams, step, range.end - range.start)) {
      try {
        await counter.update(start, n, data);
      } catch (e) {
        throw counter.locate ? counter.locate(e, range.start + start, data) : e;
      }
      progress.update(start + n);
    }
    progress.finish();
    result = await counter.compute();
  } finally {
    await counter?.destroy();
    backend?.destroy();
    await Promise.all(sources.map((s) => s.close()));
  }
  const opened: BackendReport = { name: backend.name, adapter: backend.adapter };
  const shards = shard ? { count: shard.count, indices: [shard.index] } : undefined;
  const text = await task.report(format, result, counter.backend?.(opened) ?? opened, shards);
  await outputs.commit(text, typeof values.plot === 'string' ? await task.plot?.(values.plot, result) : undefined);
  return 0;
}

/** `confmat eval`: the task of --task, or per class with --per-class or when the C x C matrix does not fit. */
export async function runEval(values: CliValues): Promise<number> {
  const task = flag(values, 'task') ?? 'multiclass';
  if (values['per-class'] !== undefined && task !== 'multiclass') {
    throw new UsageError(`--per-class applies to --task multiclass, not --task ${task}`);
  }
  const mode = values['per-class'] !== undefined ? 'per-class' : task;
  checkIntervalMode(values);
  checkModeFlags(values, mode);
  intervalOptions(values);
  if (values.ids !== undefined && values['rows-of'] === undefined) throw new UsageError('--ids needs --rows-of T,P');
  if (values['rows-limit'] !== undefined && values['rows-of'] === undefined) {
    throw new UsageError('--rows-limit needs --rows-of T,P');
  }
  if (values['rows-of'] !== undefined) return runTask(values, (await import('./rows-of.js')).rowsOfTask(values));
  if (mode === 'multilabel' || mode === 'binary') {
    const scores = await import('./eval-scores.js');
    return runTask(values,
      (mode === 'binary' ? scores.binaryTask : scores.multilabelTask)(values) as EvalTask<unknown>);
  }
  const perClass = async () => (await import('./eval-per-class.js')).perClassTask;
  if (mode === 'per-class') return runTask(values, (await perClass())(values));
  const { denseTooLarge, multiclassTask } = await import('./eval-multiclass.js');
  try {
    return await runTask(values, multiclassTask(values));
  } catch (e) {
    if (!denseTooLarge(e)) throw e;
    return runTask(values, (await perClass())(values, e));
  }
}
