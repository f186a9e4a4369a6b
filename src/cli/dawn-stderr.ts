import { fileURLToPath } from 'node:url';

/** Set in the child that does the work, so it does not wrap itself again. */
const CHILD_ENV = 'CONFMAT_DAWN_STDERR';
/** Set in the child when the parent's stderr is a terminal: its width in columns. */
export const STDERR_COLUMNS_ENV = 'CONFMAT_STDERR_COLUMNS';

/**
 * Drops the warnings Dawn and the Vulkan loader write to fd 2 from native code (which JavaScript cannot
 * silence in its own process), passing other lines through and a progress line redrawn with `\r` at once.
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
  return { write(chunk) {
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
  }, end() {
    if (pending === '') return;
    const kept = line(pending);
    pending = '';
    if (kept !== null) out(kept);
  } };
}

/** True in the child of {@link runWithDawnStderrFiltered}, or where CONFMAT_DAWN_LOG=1 asks for Dawn's messages. */
export function dawnStderrHandled(): boolean {
  return process.env[CHILD_ENV] === '1' || process.env.CONFMAT_DAWN_LOG === '1';
}

/**
 * Runs this CLI again in a child whose stderr goes through {@link createDawnStderrFilter}, passing on
 * SIGINT, SIGTERM and SIGHUP; resolves to its exit code (its signal, if killed, kills this process too).
 */
export async function runWithDawnStderrFiltered(argv: string[]): Promise<number> {
  const { spawn } = await import('node:child_process');
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const tty = process.stderr.isTTY ? { [STDERR_COLUMNS_ENV]: String(process.stderr.columns || 80) } : {};
  const child = spawn(process.execPath, [...process.execArgv, main, ...argv], { stdio: ['inherit', 'inherit', 'pipe'],
    env: { ...process.env, [CHILD_ENV]: '1', ...tty } });
  const filter = createDawnStderrFilter((text) => process.stderr.write(text));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => filter.write(chunk));
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, () => child.kill(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  const unhook = () => handlers.forEach(([s, h]) => process.off(s, h));
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      unhook();
      reject(e);
    });
    child.on('close', (code, signal) => {
      filter.end();
      unhook();
      if (signal) process.kill(process.pid, signal);
      else resolve(code ?? 4);
    });
  });
}
