/**
 * Every flag, once ({@link FLAGS}): parseArgs options, help, "does not apply" errors and "did you mean".
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MAX_DEMO_ROWS, MAX_ROWS_LIMIT, MAX_STATE_CLASSES } from '../core/limits.js';
import type { BackendChoice } from '../node/open-backend.js';
import type { DawnBackend, NodeDeviceOptions } from '../node/request-device.js';
import { bootstrapResamples, ciLevel, seedOption } from './interval-options.js';
import { parseShard } from './shard.js';
import * as u from './usage.js';
import { type CliValues, UsageError } from './usage.js';

const fail = (message: string): never => {
  throw new UsageError(message);
};

/** `--ignore-index N`: any integer, negative too. */
function ignoreIndexOption(values: CliValues): number {
  const v = String(values['ignore-index']);
  if (!/^\s*-?\d+\s*$/.test(v) || !Number.isSafeInteger(+v)) fail(`--ignore-index must be an integer, got '${v}'`);
  return Number(v);
}

/** `--class-subset 3,1,2`: class indices, in the order the report lists them. */
function classSubset(values: CliValues): number[] {
  const v = String(values['class-subset']);
  const what = 'class indices separated by commas (e.g. 3,1,2)';
  if (!/^\s*\d+(\s*,\s*\d+)*\s*$/.test(v)) fail(`--class-subset must be ${what}, got '${v}'`);
  return v.split(',').map((x) => Number(x.trim()));
}

/** `--threshold`: a number, `logits` (0), `probs` (0.5), or a comma list (one per label; binary refuses it). */
function parseThreshold(values: CliValues): number | number[] {
  const v = String(values.threshold);
  if (v === 'logits' || v === 'probs') return v === 'logits' ? 0 : 0.5;
  const nums = v.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
  const what = 'a number, logits (0), probs (0.5) or (multilabel) a comma list, one per label';
  if (typeof values.threshold !== 'string' || nums.some(Number.isNaN)) fail(`--threshold must be ${what}; got '${v}'`);
  return nums.length === 1 ? nums[0]! : nums;
}

/** `--thresholds`: K (an integer in [2, 2^20]: evenly spaced over the finite scores) or a comma list. */
function parseSweep(values: CliValues): { count: number } | { list: number[] } {
  const v = values.thresholds;
  if (typeof v !== 'string') return fail('--thresholds needs a value');
  const k = Number(v);
  if (/^\s*\d+\s*$/.test(v) && (!Number.isSafeInteger(k) || k < 2 || k > 1 << 20)) {
    fail(`--thresholds K must be an integer in [2, 1048576], got '${v}'`);
  }
  if (/^\s*\d+\s*$/.test(v)) return { count: k };
  const list = v.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
  if (list.some(Number.isNaN)) fail(`--thresholds must be a count K or a comma list of numbers, got '${v}'`);
  return { list };
}

/** `--plot FILE`: .svg, .png or .html; the score tasks (--task multilabel, binary) draw .svg or .png. */
function plotFile(values: CliValues): string {
  const [v, task] = [String(values.plot), values.task];
  const score = task === 'multilabel' || task === 'binary';
  const draws = score ? `--task ${task} draws .svg or .png` : 'the file must end in .svg, .png or .html';
  if (!(score ? /\.(svg|png)$/i : /\.(svg|png|html)$/i).test(v)) fail(`--plot ${v}: ${draws}`);
  return v;
}

/** The commands of `confmat`. */
export type Command = 'eval' | 'compare' | 'merge' | 'demo';
/** What `confmat eval` counts: a `--task`, or per-class mode (`--per-class`, multiclass). */
export type Mode = 'multiclass' | 'multilabel' | 'binary' | 'per-class';

interface Flag {
  /** The value's placeholder in help; a flag without one is a boolean. */
  value?: string;
  short?: string;
  help: string;
  group: 'Tasks' | 'Report' | 'Sharded runs' | 'Engine' | 'Demo';
  commands: readonly Command[];
  /** Commands that take it and do nothing with it (scripts pass --backend to merge too). */
  ignoredBy?: readonly Command[];
  /** For eval: the modes it applies to (all when absent). */
  modes?: readonly Mode[];
  /** What it does to the C x C matrix, which per-class mode does not build. */
  dense?: string;
  /** A value that is the same as leaving the flag out. */
  default?: string;
  /** Repeatable: its value is the list of every occurrence. */
  multiple?: boolean;
  /** What merge says it does to the parts of its modes (default: applies to). */
  parts?: string;
  parse?: (values: CliValues, name: string, command?: string) => unknown;
}

const DAWN_BACKENDS = ['auto', 'vulkan', 'opengles', 'opengl', 'metal', 'd3d12', 'd3d11', 'null'] as const;
const E = ['eval'] as const;
const EM = ['eval', 'merge'] as const;
const ED = ['eval', 'demo'] as const;
const EC = ['eval', 'compare'] as const;
const ECM = ['eval', 'compare', 'merge'] as const;
const ECD = ['eval', 'compare', 'demo'] as const;
const MC = ['multiclass', 'per-class'] as const;
const SCORES = ['multilabel', 'binary'] as const;
const DENSE = ['multiclass'] as const;
const NOT_PC = ['multiclass', 'multilabel', 'binary'] as const;

/** The flags, in the order help lists them. */
export const FLAGS = {
  task: { value: 'T', group: 'Tasks', commands: E, parse: (v, n) =>
    u.oneOf(v, n, ['multiclass', 'multilabel', 'binary'] as const, 'multiclass'),
    help: 'multiclass (the default: --logits or --preds, --labels), multilabel or binary (--scores, --targets)' },
  logits: { value: 'L', group: 'Tasks', commands: EC, modes: MC,
    help: "scores, float16/32/64 (N, C); the prediction is each row's argmax" },
  preds: { value: 'P', group: 'Tasks', commands: EC, modes: MC,
    help: 'predicted class indices, integers or bool (N,); instead of --logits' },
  labels: { value: 'Y', group: 'Tasks', commands: EC, modes: MC, help: 'true class indices, integers or bool (N,)' },
  'num-classes': { value: 'C', group: 'Tasks', commands: EC, modes: MC, parse: (v, n) => u.positiveInt(v, n),
    help: "class count (default: the logits' columns; with --preds, max index + 1)" },
  'logits-b': { value: 'L', group: 'Tasks', commands: ['compare'],
    help: "compare: model B's scores, as --logits (A's); the prediction is each row's argmax" },
  'preds-b': { value: 'P', group: 'Tasks', commands: ['compare'],
    help: "compare: model B's predicted class indices, instead of --logits-b" },
  scores: { value: 'S', group: 'Tasks', commands: E, modes: SCORES,
    help: 'multilabel: (N, L) scores; binary: one score per row, (N,) or (N, 1)' },
  targets: { value: 'Y', group: 'Tasks', commands: E, modes: SCORES, help: '0/1 targets shaped like the scores' },
  threshold: { value: 'T', group: 'Tasks', commands: E, modes: SCORES, parse: parseThreshold,
    help: 'predicted positive when score >= T: a number, logits (0) or probs (0.5, the default); multilabel ' +
      'also takes a comma list, one per label' },
  thresholds: { value: 'K|LIST', group: 'Tasks', commands: E, modes: ['binary'], parse: parseSweep,
    help: 'sweep K thresholds evenly spaced over the scores (or the listed ones) in one pass: ROC and PR ' +
      'curves, ROC AUC and average precision (--plot F.svg|F.png draws them)' },
  'sample-weight': { value: 'W', group: 'Tasks', commands: E, modes: NOT_PC, dense: 'weights the C x C matrix',
    help: "per-sample weights, 1-D (N,) of any numeric dtype, as sklearn's sample_weight: counts and metrics " +
      'become sums of weights (negatives allowed)' },
  'ignore-index': { value: 'N', group: 'Tasks', commands: EC, modes: MC, parse: ignoreIndexOption,
    help: 'skip samples labelled N, as torchmetrics (--ignore-index=-100, or 255)' },
  'class-subset': { value: 'LIST', group: 'Tasks', commands: E, modes: DENSE,
    dense: 'selects rows and columns of the C x C matrix', parse: classSubset,
    help: "report only these classes, in this order (e.g. 3,1,2), as sklearn's labels=" },
  'top-k': { value: 'K', group: 'Tasks', commands: E, modes: DENSE, dense: 'is counted with the C x C matrix',
    parse: (v, n) =>
      u.positiveInt(v, n, MAX_STATE_CLASSES, 'the largest C of a C x C matrix; any K >= C counts every row'),
    help: "also top-k accuracy and hits per class (sklearn's top_k_accuracy_score); float16/32 --logits" },
  'per-class': { group: 'Tasks', commands: E, modes: MC,
    help: 'huge C: per class TP/FP/FN, metrics and the most confused pairs in O(C) memory, no C x C matrix ' +
      '(automatic, with a note, when the matrix does not fit)' },
  'rows-of': { value: 'T,P', group: 'Report', commands: E, modes: MC, multiple: true, parse: (v) =>
    (v['rows-of'] as unknown as string[]).map(String),
    help: 'list the rows of cell (true T, predicted P) instead of the metrics (T,* : every off-diagonal cell of T; ' +
      'repeatable): JSON {row, id, true, pred, score_true, score_pred}, CSV or text; the first 1000 a cell' },
  'rows-limit': { value: 'N', group: 'Report', commands: E, modes: MC, parse: (v, n) =>
    u.positiveInt(v, n, MAX_ROWS_LIMIT, 'the rows of each cell are kept in memory'),
    help: `with --rows-of: list the first N rows of each cell (default 1000, at most ${MAX_ROWS_LIMIT})` },
  ids: { value: 'FILE', group: 'Report', commands: E, modes: MC,
    help: 'with --rows-of: a text file of ids or paths, one per line and row of the inputs' },
  format: { value: 'F', group: 'Report', commands: ['eval', 'compare', 'merge', 'demo'], parse: (v, n) =>
    u.oneOf(v, n, ['json', 'table', 'csv', 'markdown'] as const, 'json'),
    help: 'table (default on a terminal), json (otherwise), csv, markdown; demo: table or json' },
  out: { value: 'FILE', group: 'Report', commands: ECM,
    help: 'write the report to FILE (atomically) instead of stdout' },
  plot: { value: 'FILE', group: 'Report', commands: ECM, modes: NOT_PC, dense: 'draws the C x C matrix',
    parse: plotFile,
    help: 'heatmap: FILE.svg, FILE.png or FILE.html (interactive); multilabel and binary draw .svg or .png charts; ' +
      'compare: B - A per cell, .svg or .png' },
  normalize: { value: 'M', group: 'Report', commands: EM, modes: DENSE, default: 'none',
    dense: 'applies to the C x C matrix', parse: (v, n) =>
      u.oneOf(v, n, ['none', 'true', 'pred', 'all'] as const, 'none'),
    help: 'none, true (rows), pred (columns) or all, as sklearn' },
  'plot-scale': { value: 'S', group: 'Report', commands: EM, modes: DENSE, default: 'linear',
    dense: 'colours the C x C heatmap', parse: (v, n) => u.oneOf(v, n, ['linear', 'log', 'row'] as const, 'linear'),
    help: "--plot heatmap colours: linear, log, or row (each true class's row share)" },
  'plot-no-diagonal': { group: 'Report', commands: EM, modes: DENSE, dense: 'colours the C x C heatmap',
    help: "--plot heatmap: the diagonal drawn grey, left out of the colour range (tfjs-vis' shadeDiagonal)" },
  classes: { value: 'FILE', group: 'Report', commands: ECM, modes: ['multiclass', 'multilabel', 'per-class'],
    parts: 'names the classes or labels of', help: 'class (or label) names: names.txt (one per line) or names.json' },
  ci: { value: 'LEVEL', group: 'Report', commands: ['eval', 'compare', 'merge', 'demo'], parse: ciLevel,
    help: 'confidence intervals of the metrics at LEVEL (0.95 or 95%) by the multinomial bootstrap (exact, ' +
      'whatever N is; multilabel and per-class mode: per label / class, no averages); not with --sample-weight' },
  bootstrap: { value: 'B', group: 'Report', commands: ['eval', 'compare', 'merge', 'demo'], parse: bootstrapResamples,
    help: 'with --ci: bootstrap resamples (default 1000)' },
  seed: { value: 'S', group: 'Report', commands: ['eval', 'compare', 'merge', 'demo'], parse: (v, n, command) =>
    command === 'demo' ? u.positiveInt(v, n, 2 ** 32 - 1, 'the generator takes 32-bit seeds') : seedOption(v),
    help: "with --ci: the bootstrap's seed (default 0; in the report); demo: the data's seed too (default 1)" },
  shard: { value: 'i/n', group: 'Sharded runs', commands: EC, parse: parseShard,
    help: 'count rows [floor(i*N/n), floor((i+1)*N/n)) only (0-based i < n); the JSON report (the default ' +
      'format with --shard) is a part for confmat merge; with integer --preds it needs --num-classes' },
  'allow-partial': { group: 'Sharded runs', commands: ['merge'],
    help: 'accept an incomplete shard set (missing shards are listed)' },
  backend: { value: 'B', group: 'Engine', commands: ECD, ignoredBy: ['merge'], parse: (v, n) =>
    u.oneOf(v, n, ['auto', 'gpu', 'cpu'] as const, 'auto'),
    help: 'auto (default: a hardware GPU, else the CPU with a note), gpu or cpu' },
  'dawn-backend': { value: 'NAME', group: 'Engine', commands: ECD, parse: (v, n) =>
    u.oneOf<DawnBackend>(v, n, [...DAWN_BACKENDS], 'auto'),
    help: 'Dawn backend: auto, vulkan, opengles, opengl, metal, d3d12, d3d11, null (env CONFMAT_DAWN_BACKEND)' },
  adapter: { value: 'NAME', group: 'Engine', commands: ECD,
    help: 'adapter name as Dawn lists it (env CONFMAT_ADAPTER)' },
  'feature-level': { value: 'L', group: 'Engine', commands: ECD, parse: (v, n) =>
    u.oneOf(v, n, ['core', 'compatibility'] as const, 'core'),
    help: 'core or compatibility (env CONFMAT_FEATURE_LEVEL)' },
  'chunk-rows': { value: 'N', group: 'Engine', commands: ECD, parse: (v, n) =>
    u.positiveInt(v, n), help: 'rows per GPU upload (default: about 128 MiB of logits, 32 MiB on a software adapter)' },
  threads: { value: 'N|auto', group: 'Engine', commands: E, modes: DENSE, default: '1',
    dense: 'splits the C x C count over worker threads', parse: (v) =>
      u.threadsOption(v),
    help: 'on the CPU: argmax on N worker threads (auto: one per core; default 1: the main thread)' },
  histogram: { value: 'MODE', group: 'Engine', commands: ED, modes: MC, parse: (v, n) =>
    u.oneOf(v, n, ['auto', 'private', 'global', 'local', 'wide'] as const, 'auto'),
    help:
      'auto, private (workgroup), global atomics, local (per invocation, C <= 10), or wide (32 invocations a row)' },
  rows: { value: 'N', group: 'Demo', commands: ['demo'], parse: (v, n) =>
    u.positiveInt(v, n, MAX_DEMO_ROWS, '4 GB of float32 logits'), help: 'rows of built-in data (default 1,000,000)' },
  help: { short: 'h', help: 'this help', group: 'Report', commands: [] },
  version: { help: 'the version', group: 'Report', commands: [] },
} as const satisfies Record<string, Flag>;

/** A flag's name, without the dashes. */
export type FlagName = keyof typeof FLAGS;
type Parsed<K extends FlagName> = (typeof FLAGS)[K] extends { parse: (...a: never[]) => infer T } ? T :
  (typeof FLAGS)[K] extends { value: string } ? string :
  boolean;

const table: Record<string, Flag> = FLAGS;

/** A flag's value, parsed by its parser (usage error on a bad value; `command`'s), or undefined when absent. */
export function flag<K extends FlagName>(values: CliValues, name: K, command?: string): Parsed<K> | undefined {
  const f = table[name]!;
  if (values[name] === undefined) return undefined;
  return (f.parse ? f.parse(values, name, command) : values[name]) as Parsed<K>;
}

/** The backend choice and Dawn options of the command line. */
export function backendOptions(v: CliValues): { choice: BackendChoice; device: NodeDeviceOptions } {
  const [backend, adapter, featureLevel] = [flag(v, 'dawn-backend'), flag(v, 'adapter'), flag(v, 'feature-level')];
  return { choice: flag(v, 'backend') ?? 'auto', device: { backend, adapter, featureLevel } };
}

/** The closest of `names` to `word`: edit distance <= 2, else the only one it begins. */
function closest(word: string, names: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++) {
        next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
      row = next;
    }
    return row[b.length]!;
  };
  const [best] = names.map((n) => [n, distance(word, n)] as const).sort((a, b) => a[1] - b[1]);
  if (best && best[1] <= 2) return best[0];
  const prefixed = names.filter((n) => word.length > 0 && n.startsWith(word));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

const COMMANDS = ['eval', 'compare', 'merge', 'demo'] as const;

/** `--labels -:y` as `--labels=-:y` (standard input's field y): parseArgs takes a value like it only joined. */
function joinStdinValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [a, b] = [argv[i]!, argv[i + 1]];
    const takesValue = /^--[a-z-]+$/.test(a) && table[a.slice(2)]?.value !== undefined;
    if (takesValue && b?.startsWith('-:')) out.push(`${a}=${argv[++i]!}`);
    else out.push(a);
  }
  return out;
}

/** Parses the command line against {@link FLAGS}: "did you mean" for unknown flags and commands; values parsed. */
export function parseCommandLine(argv: string[]): { command?: string; positionals: string[]; values: CliValues } {
  argv = joinStdinValues(argv);
  const options: ParseArgsConfig['options'] = {};
  for (const [name, f] of Object.entries(table)) {
    options[name] = { type: f.value ? 'string' : 'boolean', ...(f.short && { short: f.short }),
      ...(f.multiple && { multiple: true }) };
  }
  const { tokens } = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
  const unknown = tokens.find((t) => t.kind === 'option' && !(t.name in table));
  if (unknown?.kind === 'option') {
    const near = unknown.rawName.startsWith('--') ? closest(unknown.name, Object.keys(table)) : undefined;
    throw new UsageError(`unknown option '${unknown.rawName}'${near ? ` (did you mean --${near}?)` : ''}`);
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const [command, ...positionals] = parsed.positionals;
  const values = parsed.values as CliValues;
  if (values.help || values.version) return { command, positionals, values };
  if (command !== undefined && command !== 'help' && !(COMMANDS as readonly string[]).includes(command)) {
    const near = closest(command, [...COMMANDS, 'help']);
    const hint = near ? `; did you mean ${near}?` : '';
    throw new UsageError(`unknown command '${command}' (expected eval, compare, merge or demo${hint})`);
  }
  for (const name of Object.keys(values)) flag(values, name as FlagName, command);
  for (const [name, f] of Object.entries(table)) {
    const takes: readonly string[] = [...f.commands, ...(f.ignoredBy ?? [])];
    const elsewhere = command !== undefined && takes.length > 0 && !takes.includes(command);
    if (values[name] !== undefined && elsewhere) {
      fail(`--${name} applies to confmat ${f.commands.join(', ').replace(/, (?=[^,]*$)/, ' and ')}, not ${command}`);
    }
  }
  return { command, positionals, values };
}

const given = (values: CliValues, [name, f]: [string, Flag]): boolean =>
  values[name] !== undefined && values[name] !== f.default;

/** Refuses the flags that do not apply to what `confmat eval` counts in `mode`, or (`parts`) to merged parts of it. */
export function checkModeFlags(values: CliValues, mode: Mode, parts = false): void {
  for (const [name, f] of Object.entries(table)) {
    if (!given(values, [name, f]) || !f.modes || f.modes.includes(mode)) continue;
    const tasks = f.modes.filter((m) => m !== 'per-class');
    if (parts && mode === 'per-class') fail(`--${name} needs the C x C matrix; these are per-class parts`);
    if (parts) fail(`--${name} ${f.parts ?? 'applies to'} ${tasks.join(' and ')} parts; these are ${mode}`);
    if (mode === 'per-class' && f.dense) {
      const what = 'per-class mode: per class metrics and the most confused pairs';
      fail(`--${name} ${f.dense}, which per-class mode does not build: drop --${name} (${what})`);
    }
    if (mode === 'multiclass' || mode === 'per-class') fail(`--${name} needs --task ${tasks.join(' or --task ')}`);
    fail(`--${name} does not apply to --task ${mode} (only to --task ${tasks.join(', ')})`);
  }
}

/** The first flag given that needs the C x C matrix (per-class mode does not build it), if any. */
export function denseFlag(values: CliValues): string | undefined {
  return Object.entries(table).find((e) => e[1].dense && given(values, e))?.[0];
}

const USAGE: Record<Command, string> = {
  eval: `  confmat eval --logits L --labels Y [options]   confusion matrix of argmax(logits) vs labels
  confmat eval --preds P --labels Y [options]    ... of predicted class indices vs labels
  confmat eval --task multilabel --scores S --targets Y [--threshold T|T1,..,TL|logits|probs]
                                                 one 2x2 matrix per label (N x L scores, N x L 0/1 targets)
  confmat eval --task binary --scores S --targets Y [--threshold T] [--thresholds K|T1,T2,..]
                                                 2x2 matrix at T; ROC/PR points and AUC at K thresholds`,
  compare: `  confmat compare --logits A --logits-b B --labels Y [options]
                                                 two models on the same labels, counted in one pass: both
                                                 reports, McNemar's test, per-class deltas, biggest changes
                                                 (--preds / --preds-b for predicted class indices)`,
  merge: '  confmat merge PART.json... [report options]    add up the JSON reports of sharded (or separate) runs',
  demo: '  confmat demo [--rows N] [--seed S] [options]   1M seeded CIFAR-10-like predictions, GPU vs CPU',
};

const INPUTS = `Inputs (L, Y, P, S, W): x.npy | x.npz:name | x.safetensors:name | x.csv | x.csv:column
  | x.jsonl:field | x.parquet:column | - (standard input, one input at most: .npy, CSV or JSON Lines)
  logits: float16/32/64, 2-D (N, C); labels and predictions: integers or bool, 1-D (N,), or strings (class
  names: sorted as sklearn does, or in --classes order).`;

const FOOTER = `Rows of the matrix are true classes, columns predicted classes. Ties go to the first maximal
logit; a row holding NaN predicts its first NaN's column (as numpy.argmax). Colours follow
NO_COLOR. Exit status: 0 ok, 1 bad input, 2 bad usage, 3 no GPU for --backend gpu, 4 internal error
(a bug: CONFMAT_DEBUG=1 shows its stack).`;

/** `text` in lines of at most `width` characters, each after the first indented by `indent`. */
function wrap(text: string, indent: number, width = 104): string {
  const lines = [''];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (lines[last]!.length > 0 && indent + lines[last]!.length + 1 + word.length > width) lines.push(word);
    else lines[last] = lines[last] ? `${lines[last]} ${word}` : word;
  }
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** The help text: of every command, or of one (its usage and only its flags, with the tasks each applies to). */
export function helpText(command?: Command): string {
  const commands = command ? [command] : COMMANDS;
  const out = ['confmat: confusion matrices on the GPU (WebGPU), checked against a CPU path', '', 'Usage:'];
  out.push(...commands.map((c) => USAGE[c]));
  const helpLine = `  ${'confmat help COMMAND | COMMAND --help'.padEnd(46)} the flags of one command`;
  if (!command) out.push(helpLine, '  confmat --help | --version');
  if (commands.includes('eval') || commands.includes('compare')) out.push('', INPUTS);
  let group = '';
  for (const [name, f] of Object.entries(table)) {
    if (!f.commands.some((c) => commands.includes(c))) continue;
    if (f.group !== group) out.push('', `${(group = f.group)}:`);
    const modes = command === 'eval' || !command ? f.modes?.filter((m) => m !== 'per-class') : undefined;
    const tasks = modes?.length === 3 ? 'not --per-class' : modes?.join(', ');
    const where = command ? (tasks ? ` [${tasks}]` : '') : ` [${f.commands.join(', ')}${tasks ? `: ${tasks}` : ''}]`;
    out.push(`  ${`--${name}${f.value ? ` ${f.value}` : ''}`.padEnd(24)} ${wrap(f.help + where, 27)}`);
  }
  return `${out.join('\n')}\n\n${FOOTER}\n`;
}
