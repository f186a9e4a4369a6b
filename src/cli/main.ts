#!/usr/bin/env node
import module from 'node:module';
import { AdapterNotFoundError, GpuUnavailableError, InputError } from '../core/errors.js';
import { fsReason } from '../node/fs-reason.js';
import type { Command } from './flags.js';

// Node >= 22.1 keeps V8's compiled code of the modules loaded below on disk; older Nodes go without.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

/** The version in package.json, read without loading the rest of the CLI. */
async function printVersion(): Promise<number> {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  process.stdout.write(`${pkg.version}\n`);
  return 0;
}

// Each command loads its own modules when it runs (`await import`): start-up stays that of Node's for --version.
async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && argv[0] === '--version') return printVersion();
  const { helpText, parseCommandLine } = await import('./flags.js');
  const { UsageError } = await import('./usage.js');
  const { command, positionals, values } = parseCommandLine(argv);
  if (values.version) return printVersion();
  const topic = command === 'help' ? positionals[0] : values.help ? command : undefined;
  if (topic !== undefined && !['eval', 'compare', 'merge', 'demo'].includes(topic)) parseCommandLine([topic]);
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(helpText(topic as Command | undefined));
    return command === undefined && !values.help ? 2 : 0;
  }
  if (command === 'merge') return (await import('./merge.js')).runMerge(positionals, values);
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (values.backend !== 'cpu') {
    const { dawnStderrHandled, runWithDawnStderrFiltered } = await import('./dawn-stderr.js');
    if (!dawnStderrHandled()) return runWithDawnStderrFiltered(argv);
  }
  if (command === 'eval') return (await import('./eval.js')).runEval(values);
  if (command === 'compare') return (await import('./compare.js')).runCompare(values);
  return (await import('./demo.js')).runDemo(values);
}

const BUGS_URL = 'https://github.com/confmat/confmat/issues';

/** A file-system failure Node threw (ENOENT, EACCES, ...), as opposed to a bug. */
function fsError(e: unknown): NodeJS.ErrnoException | undefined {
  const x = e as NodeJS.ErrnoException | undefined;
  return e instanceof Error && typeof x?.syscall === 'string' && fsReason(x) !== undefined ? x : undefined;
}

async function exitCode(e: unknown): Promise<number> {
  const [{ UsageError }, { NpyError }] = await Promise.all([import('./usage.js'), import('../read/npy.js')]);
  if (e instanceof UsageError || e instanceof AdapterNotFoundError) return 2;
  if (e instanceof InputError || e instanceof NpyError || fsError(e)) return 1;
  if (e instanceof GpuUnavailableError) return 3;
  return 4;
}

/** An internal error (a bug) in one line, with where to report it; CONFMAT_DEBUG=1 adds the stack. */
function internalMessage(e: unknown): string {
  const first = (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split('\n')[0];
  const stack = process.env.CONFMAT_DEBUG === '1' && e instanceof Error && e.stack ? `\n${e.stack}` : '';
  const report = `please report it with the command line at ${BUGS_URL} (CONFMAT_DEBUG=1 shows where it happened)`;
  return `internal error (${first}). This is a bug in confmat: ${report}${stack}`;
}

function message(e: unknown, code: number): string {
  const fs = fsError(e);
  if (fs) return `${fs.path ?? ''}: ${fs.syscall}: ${fsReason(fs)!}`;
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

main(process.argv.slice(2)).then((code) => finish(code), async (e: unknown) => {
  const code = await exitCode(e);
  process.stderr.write(`confmat: ${message(e, code)}\n`);
  if (code === 2) process.stderr.write('Run confmat --help for usage.\n');
  finish(code);
});

function finish(code: number): void {
  process.exitCode = code;
  // Dawn's polling can outlive the device by a moment; never let it hold the process open.
  setTimeout(() => process.exit(code), 2000).unref();
}
