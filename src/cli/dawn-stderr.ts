import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Set in the child that does the work, so it does not wrap itself again. */
const CHILD_ENV = 'CONFMAT_DAWN_STDERR';

/**
 * Dawn and the Vulkan loader write warnings to file descriptor 2 from native code ("Warning:
 * maxDynamicUniformBuffersPerPipelineLayout artificially reduced ...", lavapipe refused, loader
 * messages), which JavaScript cannot silence in its own process. A command that may create a
 * WebGPU instance therefore runs in a child whose stderr this filter reads. Feed it chunks; it
 * passes every other line through unchanged.
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
  return {
    write(chunk) {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      const kept = lines.map(line).filter((l): l is string => l !== null);
      if (kept.length) out(`${kept.join('\n')}\n`);
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
 * a child killed by a signal kills this process with the same signal. SIGTERM and SIGHUP are
 * passed on; SIGINT reaches both from the terminal, so this process only waits for the child.
 *
 * @example
 * if (!dawnStderrHandled()) return runWithDawnStderrFiltered(process.argv.slice(2));
 */
export function runWithDawnStderrFiltered(argv: string[]): Promise<number> {
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const child = spawn(process.execPath, [...process.execArgv, main, ...argv], {
    stdio: ['inherit', 'inherit', 'pipe'],
    env: { ...process.env, [CHILD_ENV]: '1' },
  });
  const filter = createDawnStderrFilter((text) => process.stderr.write(text));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => filter.write(chunk));
  const pass = (signal: NodeJS.Signals) => () => child.kill(signal);
  const handlers: [NodeJS.Signals, () => void][] = [
    ['SIGINT', () => undefined],
    ['SIGTERM', pass('SIGTERM')],
    ['SIGHUP', pass('SIGHUP')],
  ];
  for (const [s, h] of handlers) process.on(s, h);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      filter.end();
      for (const [s, h] of handlers) process.off(s, h);
      if (signal) {
        process.kill(process.pid, signal);
        return;
      }
      resolve(code ?? 4);
    });
  });
}
