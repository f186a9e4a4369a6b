/**
 * The output files of a command (--out, --plot), checked before any work and written together at the end.
 *
 * @module
 */
import { fstatSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { commitOutputs, type OutputTarget, resolveOutput } from '../node/write-outputs.js';
import { type CliValues, UsageError } from './usage.js';

/** The flags naming files a command reads. */
const INPUT_FLAGS = ['logits', 'labels', 'preds', 'logits-b', 'preds-b', 'scores', 'targets', 'sample-weight',
  'classes', 'ids'] as const;

/** An input as the command line named it: `--labels y.npz:labels`, or a part of `confmat merge`. */
type InputFile = { what: string; spec: string };

const SPEC_RE = /^(.*?\.(?:npy|npz|safetensors|csv|tsv|txt))(?::(.*))?$/is;

/** The file an input spec reads: the spec when that is a file, else the spec without its `:member` (x.npz:name). */
async function inputPath(spec: string): Promise<string> {
  if (await stat(spec).then((s) => s.isFile(), () => false)) return spec;
  const m = SPEC_RE.exec(spec);
  if (m !== null && m[2] !== undefined) return m[1]!;
  const colon = spec.lastIndexOf(':');
  return colon > 0 ? spec.slice(0, colon) : spec;
}

/** True when both are known and name one file (device and inode). */
const sameFile = (a?: { dev: number; ino: number }, b?: { dev: number; ino: number }): boolean =>
  a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino;

/** Refuses an output that is one of the inputs: the same path, or the same file through a link. */
async function checkNotInput(flag: string, t: OutputTarget, inputs: InputFile[]): Promise<void> {
  for (const input of inputs) {
    const path = await inputPath(input.spec);
    const st = await stat(path).catch(() => undefined);
    const same = [resolve(t.path), t.target].includes(resolve(path)) || (st?.isFile() && sameFile(st, t.id));
    const what = `the input ${input.what} ${input.spec}: writing it would destroy the input`;
    if (same) throw new UsageError(`--${flag} ${t.path} is also ${what}`);
  }
}

/** Classifies --out and --plot and checks them against the inputs and each other. */
async function resolveAll(outputs: [string, string][], inputs: InputFile[]): Promise<OutputTarget[]> {
  const targets: OutputTarget[] = [];
  for (const [flag, path] of outputs) {
    if (path === '') throw new UsageError(`--${flag} needs a file name`);
    const t = await resolveOutput(path);
    await checkNotInput(flag, t, inputs);
    for (const [k, u] of targets.entries()) {
      if (u.target === t.target || sameFile(u.id, t.id)) {
        throw new UsageError(`--${outputs[k]![0]} ${u.path} and --${flag} ${path} name the same file`);
      }
    }
    targets.push(t);
  }
  return targets;
}

/** Refuses a --plot that is standard output (fd 1, or the file stdout goes to) when the report goes there too. */
function refuseStdout(t: OutputTarget): void {
  let out;
  try {
    out = fstatSync(1);
  } catch {
    out = undefined;
  }
  const same = (t.kind === 'fd' && t.fd === 1) || (out?.isCharacterDevice() === false && sameFile(out, t.id));
  const fix = 'name a file with --out, or another --plot';
  if (same) throw new UsageError(`--plot ${t.path} is standard output, where the report goes without --out: ${fix}`);
}

/** The checked outputs of one command. */
export interface CommandOutputs {
  /** Writes `report` to --out (or stdout) and `plot` to --plot: all the files, or none of them. */
  commit(report: string, plot?: string | Uint8Array): Promise<void>;
}

/**
 * Checks --out and --plot before any work (again when committing): writable, not an input (nor one of
 * `parts`, merge's files), not one file; the PNG renderer loads for a .png plot.
 */
export async function checkOutputs(values: CliValues, parts: string[] = []): Promise<CommandOutputs> {
  const outputs: [string, string][] = [];
  for (const flag of ['plot', 'out'] as const) if (typeof values[flag] === 'string') outputs.push([flag, values[flag]]);
  const inputs: InputFile[] = [
    ...INPUT_FLAGS.flatMap((f) => (typeof values[f] === 'string' ? [{ what: `--${f}`, spec: values[f] }] : [])),
    ...parts.map((spec) => ({ what: 'part', spec })),
  ];
  const targets = await resolveAll(outputs, inputs);
  if (values.out === undefined) { for (const t of targets) refuseStdout(t); }
  if (typeof values.plot === 'string' && values.plot.toLowerCase().endsWith('.png')) {
    (await import('../node/png.js')).loadPngRenderer();
  }
  return { async commit(report: string, plot?: string | Uint8Array): Promise<void> {
    const targets = await resolveAll(outputs, inputs);
    const data = new Map<string, string | Uint8Array | undefined>([['plot', plot], ['out', report]]);
    await commitOutputs(targets.flatMap((t, k) => {
      const d = data.get(outputs[k]![0]);
      return d === undefined ? [] : [[t, d] as [OutputTarget, string | Uint8Array]];
    }));
    if (values.out === undefined) process.stdout.write(report);
  } };
}
