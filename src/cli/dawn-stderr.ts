import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Set in the child that does the work, so it does not wrap itself again. */
const CHILD_ENV = 'CONFMAT_DAWN_STDERR';
/** Set in the child when the parent's stderr is a terminal: its width in columns. */
export const STDERR_COLUMNS_ENV = 'CONFMAT_STDERR_COLUMNS';

/**
 * Dawn and the Vulkan loader write warnings to file descriptor 2 from native code ("Warning:
 * maxDynamicUniformBuffersPerPipelineLayout artificially reduced ...", lavapipe refused, loader
 * messages), which JavaScript cannot silence in its own process. A command that may create a
 * WebGPU instance therefore runs in a child whose stderr this filter reads. Feed it chunks; it
 * passes every other line through unchanged, and a progress line redrawn with `\r` at once.
 *
 * @example
 * const filter = createDawnStderrFilter((text) => process.stderr.write(text));
 * filter.write('Warning: x\n - While y\nconfmat: ok\n'); filter.end(); // writes "confmat: ok\n"
 */
export function createDawnStderrFilter(out: (text: string) => void): { write(chunk: string): void; end(): void } {
  let pending = '';
  let inWarning = false;
  const line = (l: string): string | null => {
    if (/^Warning: /.test(l) || /Loader Message/.test(l)) {
      inWarning = true;
      return null;
    }
    if (inWarning && (l === '' || /^ - While /.test(l) || /^\s+at \S.*:\d+\)$/.test(l))) return null;
    inWarning = false;
    return l;
  };
  let redrawing = false;
  return {
    write(chunk) {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      const kept = lines.map(line).filter((l): l is string => l !== null);
      if (kept.length) out(`${kept.join('\n')}\n`);
      if (lines.length > 0) redrawing = false;
      if (!inWarning && (pending.startsWith('\r') || (redrawing && pending !== ''))) {
        out(pending);
        pending = '';
        redrawing = true;
      }
    },
    end() {
      if (pending === '') return;
      const kept = line(pending);
      pending = '';
      if (kept !== null) out(kept);
    },
  };
}

/** True in the child started by {@link runWithDawnStderrFiltered}, or where the user asked to see Dawn's messages (CONFMAT_DAWN_LOG=1). */
export function dawnStderrHandled(): boolean {
  return process.env[CHILD_ENV] === '1' || process.env.CONFMAT_DAWN_LOG === '1';
}

/**
 * Runs this CLI again with the same arguments in a child process whose stderr goes through
 * {@link createDawnStderrFilter}; stdin and stdout are shared. Resolves to the child's exit code;
 * a child killed by a signal kills this process with the same signal. SIGINT, SIGTERM and SIGHUP
 * are passed on (a terminal's Ctrl-C reaches the child twice, which ends it the same way). Where
 * stderr is a terminal, the child draws its progress bar as if it were ({@link STDERR_COLUMNS_ENV}).
 *
 * @example
 * if (!dawnStderrHandled()) return runWithDawnStderrFiltered(process.argv.slice(2));
 */
export function runWithDawnStderrFiltered(argv: string[]): Promise<number> {
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const tty = process.stderr.isTTY ? { [STDERR_COLUMNS_ENV]: String(process.stderr.columns || 80) } : {};
  const child = spawn(process.execPath, [...process.execArgv, main, ...argv], {
    stdio: ['inherit', 'inherit', 'pipe'],
    env: { ...process.env, [CHILD_ENV]: '1', ...tty },
  });
  const filter = createDawnStderrFilter((text) => process.stderr.write(text));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => filter.write(chunk));
  const pass = (signal: NodeJS.Signals) => () => child.kill(signal);
  const handlers: [NodeJS.Signals, () => void][] = [
    ['SIGINT', pass('SIGINT')],
    ['SIGTERM', pass('SIGTERM')],
    ['SIGHUP', pass('SIGHUP')],
  ];
  for (const [s, h] of handlers) process.on(s, h);
  const unhook = () => {
    for (const [s, h] of handlers) process.off(s, h);
  };
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      unhook();
      reject(e);
    });
    child.on('close', (code, signal) => {
      filter.end();
      unhook();
      if (signal) {
        process.kill(process.pid, signal);
        return;
      }
      resolve(code ?? 4);
    });
  });
}
