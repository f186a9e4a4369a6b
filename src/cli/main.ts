#!/usr/bin/env node
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AdapterNotFoundError, GpuUnavailableError, InputError } from '../core/errors.js';
import { fsReason } from '../node/fs-reason.js';
import { NpyError } from '../read/npy.js';
import { UsageError } from './usage.js';
import { dawnStderrHandled, runWithDawnStderrFiltered } from './dawn-stderr.js';

const HELP = `confmat: confusion matrices on the GPU (WebGPU), checked against a CPU path

Usage:
  confmat eval --logits L --labels Y [options]   confusion matrix of argmax(logits) vs labels
  confmat eval --preds P --labels Y [options]    ... of predicted class indices vs labels
  confmat eval --task multilabel --scores S --targets Y [--threshold T|T1,..,TL|logits|probs]
                                                 one 2x2 matrix per label (N x L scores, N x L 0/1 targets)
  confmat eval --task binary --scores S --targets Y [--threshold T] [--thresholds K|T1,T2,..]
                                                 2x2 matrix at T; ROC/PR points and AUC at K thresholds
  confmat merge PART.json... [report options]    add up the JSON reports of sharded (or separate) runs
  confmat demo [--rows N] [--seed S] [options]   1M seeded CIFAR-10-like predictions, GPU vs CPU
  confmat --help | --version

Inputs (L, Y, P): x.npy | x.npz:name | x.safetensors:name | x.csv | x.csv:column
  logits: float16/32/64, 2-D (N, C); labels and predictions: integers or bool, 1-D (N,).

Tasks (--task multiclass by default):
  --task T                 multiclass (--logits/--preds, --labels), multilabel or binary (--scores, --targets)
  --threshold T            predicted positive when score >= T: a number, logits (0) or probs (0.5, the
                           default); multilabel also takes a comma list, one per label
  --thresholds K|LIST      binary: sweep K thresholds evenly spaced over the scores (or the listed ones)
                           in one pass; adds ROC and PR curves, ROC AUC and average precision
                           (--plot F.svg|F.png draws them; multilabel --plot draws a chart per label)

Report:
  --format F               table (default on a terminal), json (otherwise), csv, markdown
  --out FILE               write the report to FILE (atomically) instead of stdout
  --plot FILE              heatmap: FILE.svg, FILE.png or FILE.html (interactive)
  --normalize M            none, true (rows), pred (columns) or all, as sklearn
  --classes FILE           class names: names.txt (one per line) or names.json
  --num-classes C          class count (default: the logits' columns; with --preds, max index + 1)
  --ignore-index N         skip samples labelled N, as torchmetrics (--ignore-index=-100, or 255)
  --class-subset LIST      report only these classes, in this order (e.g. 3,1,2), as sklearn's labels=
  --top-k K                also top-k accuracy and hits per class (sklearn's top_k_accuracy_score)
  --per-class              huge C: per class TP/FP/FN, metrics and the most confused pairs in O(C)
                           memory, no C x C matrix (automatic, with a note, when the matrix does not fit)
  --sample-weight W        per-sample weights, 1-D (N,) of any numeric dtype, as sklearn's sample_weight
                           (every task): counts and metrics become sums of weights (negatives allowed)

Sharded runs:
  --shard i/n              eval rows [floor(i*N/n), floor((i+1)*N/n)) only (0-based i < n); the JSON
                           report (the default format with --shard) is a part for confmat merge;
                           with --preds it needs --num-classes
  --allow-partial          merge: accept an incomplete shard set (missing shards are listed)

Engine:
  --backend auto|gpu|cpu   where to count (default auto: a hardware GPU, else the CPU with a note)
  --dawn-backend NAME      Dawn backend: auto, vulkan, opengles, metal, d3d12 (env CONFMAT_DAWN_BACKEND)
  --adapter NAME           adapter name as Dawn lists it (env CONFMAT_ADAPTER)
  --feature-level L        core or compatibility (env CONFMAT_FEATURE_LEVEL)
  --chunk-rows N           rows per GPU upload (default: about 128 MiB of logits, 32 MiB on a software adapter)
  --threads N|auto         on the CPU: argmax on N worker threads (auto: one per core; default 1: the main thread)
  --histogram MODE         auto, private (workgroup), global atomics, or local (per invocation, C <= 10)

Rows of the matrix are true classes, columns predicted classes. Ties go to the first maximal
logit; a row holding NaN predicts its first NaN's column (as numpy.argmax). Colours follow
NO_COLOR. Exit status: 0 ok, 1 bad input, 2 bad usage, 3 no GPU for --backend gpu, 4 internal error
(a bug: CONFMAT_DEBUG=1 shows its stack).`;

export const OPTIONS = {
  logits: { type: 'string' },
  task: { type: 'string' },
  scores: { type: 'string' },
  targets: { type: 'string' },
  threshold: { type: 'string' },
  thresholds: { type: 'string' },
  labels: { type: 'string' },
  preds: { type: 'string' },
  'num-classes': { type: 'string' },
  'ignore-index': { type: 'string' },
  'class-subset': { type: 'string' },
  'top-k': { type: 'string' },
  'per-class': { type: 'boolean' },
  'sample-weight': { type: 'string' },
  backend: { type: 'string' },
  format: { type: 'string' },
  'dawn-backend': { type: 'string' },
  adapter: { type: 'string' },
  'feature-level': { type: 'string' },
  'chunk-rows': { type: 'string' },
  threads: { type: 'string' },
  histogram: { type: 'string' },
  out: { type: 'string' },
  plot: { type: 'string' },
  normalize: { type: 'string' },
  classes: { type: 'string' },
  rows: { type: 'string' },
  seed: { type: 'string' },
  shard: { type: 'string' },
  'allow-partial': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} satisfies ParseArgsConfig['options'];

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.version) {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(`${HELP}\n`);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (values.shard !== undefined && command !== 'eval') throw new UsageError(`--shard applies to confmat eval, not ${command}`);
  if (values['allow-partial'] !== undefined && command !== 'merge') throw new UsageError(`--allow-partial applies to confmat merge, not ${command}`);
  if (values['per-class'] !== undefined && command !== 'eval') throw new UsageError(`--per-class applies to confmat eval, not ${command}`);
  if (command === 'merge') return (await import('./merge.js')).runMerge(positionals.slice(1), values);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  if ((command === 'eval' || command === 'demo') && values.backend !== 'cpu' && !dawnStderrHandled()) return runWithDawnStderrFiltered(argv);
  if (command === 'eval') return (await import('./eval.js')).runEval(values);
  if (command === 'demo') return (await import('./demo.js')).runDemo(values);
  throw new UsageError(`unknown command '${command}' (expected eval, merge or demo)`);
}

const BUGS_URL = 'https://github.com/confmat/confmat/issues';

/** A file-system failure Node threw (ENOENT, EACCES, ...), as opposed to a bug. */
function fsError(e: unknown): NodeJS.ErrnoException | undefined {
  const x = e as NodeJS.ErrnoException | undefined;
  return e instanceof Error && typeof x?.syscall === 'string' && fsReason(x) !== undefined ? x : undefined;
}

/** One line for a file-system failure: the file and why. */
function fsMessage(e: NodeJS.ErrnoException): string {
  return `${e.path ?? ''}: ${e.syscall}: ${fsReason(e)!}`;
}

function exitCode(e: unknown): number {
  if (e instanceof UsageError || e instanceof AdapterNotFoundError) return 2;
  if (e instanceof InputError || e instanceof NpyError || fsError(e)) return 1;
  if (e instanceof GpuUnavailableError) return 3;
  return 4;
}

/** An internal error (a bug) in one line, with where to report it; CONFMAT_DEBUG=1 adds the stack. */
function internalMessage(e: unknown): string {
  const first = (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split('\n')[0];
  const stack = process.env.CONFMAT_DEBUG === '1' && e instanceof Error && e.stack ? `\n${e.stack}` : '';
  return `internal error (${first}). This is a bug in confmat: please report it with the command line at ${BUGS_URL} (CONFMAT_DEBUG=1 shows where it happened)${stack}`;
}

function message(e: unknown, code: number): string {
  const fs = fsError(e);
  if (fs) return fsMessage(fs);
  return code === 4 ? internalMessage(e) : (e as Error).message;
}

// A reader that went away (`confmat eval ... | head`) ends the run quietly, as for other Unix tools.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    if (stream === process.stdout) process.stderr.write(`confmat: standard output: ${e.message}\n`);
    process.exit(1);
  });
}

main(process.argv.slice(2)).then(
  (code) => finish(code),
  (e: unknown) => {
    const code = exitCode(e);
    process.stderr.write(`confmat: ${message(e, code)}\n`);
    if (code === 2) process.stderr.write('Run confmat --help for usage.\n');
    finish(code);
  },
);

function finish(code: number): void {
  process.exitCode = code;
  // Dawn's polling can outlive the device by a moment; never let it hold the process open.
  setTimeout(() => process.exit(code), 2000).unref();
}
