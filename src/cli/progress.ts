import { STDERR_COLUMNS_ENV } from './dawn-stderr.js';

/** A progress line on a terminal: predictions done, rate and time left. */
type Progress = { update(done: number): void; finish(): void };

const SI = [[1e9, 'G', 2], [1e6, 'M', 1], [1e3, 'k', 1]] as const;

/** `n` as 1.23G, 4.5M, 6.7k or 89. */
function si(n: number): string {
  const [scale, suffix, digits] = SI.find(([s]) => n >= s) ?? [1, '', 0];
  return digits === 0 ? String(Math.round(n)) : `${(n / scale).toFixed(digits)}${suffix}`;
}

/** A progress bar on `stream` when it is (or, for stderr, the filtering parent's is) a terminal; 10 draws/s at most. */
export function createProgress(total: number, stream: NodeJS.WriteStream): Progress {
  const relayed = stream === process.stderr ? Number(process.env[STDERR_COLUMNS_ENV]) || 0 : 0;
  if ((!stream.isTTY && relayed === 0) || total === 0) return { update: () => undefined, finish: () => undefined };
  const columns = () => stream.columns || relayed || 80;
  const start = performance.now();
  let last = 0;
  let drawn = false;
  return { update(done) {
    const now = performance.now();
    if (now - last < 100 && done < total) return;
    last = now;
    const seconds = (now - start) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const left = rate > 0 ? (total - done) / rate : 0;
    const filled = Math.round((24 * done) / total);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(24 - filled)}] ${((100 * done) / total).toFixed(0).padStart(3)}%`;
    const line = `${bar}  ${si(done)}/${si(total)} predictions  ${si(rate)}/s  ${left.toFixed(0)} s left`;
    stream.write(`\r${line.slice(0, columns() - 1)}\x1b[K`);
    drawn = true;
  }, finish() {
    if (drawn) stream.write('\r\x1b[K');
  } };
}
