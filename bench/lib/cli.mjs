// Small pieces the one-process CPU benchmarks (cpu-loop.mjs, from-file.mjs) share: flags, the
// machine line, and the N x C cells under a byte cap.
import os from 'node:os';

/**
 * The value after `--name` on the command line, or `fallback`.
 * @example
 * const reps = Number(flag('reps', '5'));
 */
export const flag = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
};

/**
 * A comma-separated list of numbers: '1e6,1e7' -> [1e6, 1e7].
 * @example
 * const ns = numbers(flag('n', '1e6,1e7'));
 */
export const numbers = (s) => s.split(',').map(Number);

/**
 * One line naming the CPU, cores, load average and Node version.
 * @example
 * console.log(`machine: ${machineLine()}`);
 */
export const machineLine = () =>
  `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, load ${
    os.loadavg().map((l) => l.toFixed(2)).join(' ')
  }, node ${process.version}`;

/**
 * The distinct [n, c] cells of ns x cs, each n lowered to a power of ten so that n * c float32
 * stay within maxBytes; ordered by c, then n.
 * @example
 * for (const [n, c] of cells([1e6, 1e7], [10, 1000], 4e8)) await runCase(n, c);
 */
export function cells(ns, cs, maxBytes) {
  const out = new Map();
  for (const c of cs) {
    for (const n0 of ns) {
      const n = n0 * c * 4 > maxBytes ? 10 ** Math.floor(Math.log10(maxBytes / (c * 4))) : n0;
      out.set(`${n}x${c}`, [n, c]);
    }
  }
  return [...out.values()];
}
