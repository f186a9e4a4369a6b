// confmat confidence-interval bench: matrixIntervals (the multinomial bootstrap over the C x C cells) at several C
// and N, against numpy's row resampling of the same predictions at N = 1e6 (the O(B x N) cost it avoids).
// Usage: npm run build && node bench/ci-bench.mjs [--c 10,100,1000] [--n 1e6,1e8] [--b 1000] [--reps 5]
//        [--max-draws 3e7] [--numpy-n 1e6] [--numpy-b 200] [--no-numpy]
// The matrix: row t puts 80 % of its N / C rows on the diagonal and spreads 20 % evenly over the other classes (every
// cell nonzero once N / C^2 is large: the worst case for the sampler), counts rounded stochastically (seed 1).
// A cell whose B x nonzero cells exceeds --max-draws runs b and 2b resamples instead (b = max-draws / nonzero cells),
// and B is extrapolated from the two: t(b) + (t(2b) - t(b)) (B - b) / b (marked "extrapolated"). The first call is
// timed apart (cold: compilation), then the median of --reps calls.
import { execFileSync } from 'node:child_process';
import { matrixIntervals } from '../dist/tasks/multiclass/intervals.js';
import { reduceCounts } from '../dist/tasks/multiclass/reduce.js';
import { flag, machineLine, numbers } from './lib/cli.mjs';
import { mulberry32 } from './lib/data.mjs';

const CS = numbers(flag('c', '10,100,1000'));
const NS = numbers(flag('n', '1e6,1e8'));
const B = Number(flag('b', '1000'));
const REPS = Number(flag('reps', '5'));
const MAX_DRAWS = Number(flag('max-draws', '3e7'));

function makeMatrix(n, c) {
  const rand = mulberry32(1);
  const counts = new Float64Array(c * c);
  for (let t = 0; t < c; t++) {
    for (let p = 0; p < c; p++) {
      const expected = (n / c) * (c === 1 ? 1 : t === p ? 0.8 : 0.2 / (c - 1));
      counts[t * c + p] = Math.floor(expected + rand());
    }
  }
  return reduceCounts(counts, c);
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeCell(n, c) {
  const result = makeMatrix(n, c);
  const nonzero = result.counts.reduce((k, v) => k + (v > 0 ? 1 : 0), 0);
  const b = Math.max(2, Math.min(B, Math.floor(MAX_DRAWS / nonzero)));
  const time = (resamples) => {
    const t0 = performance.now();
    matrixIntervals(result, { level: 0.95, resamples, seed: 7 });
    return performance.now() - t0;
  };
  const run = () => {
    if (b === B) return time(B);
    const [t1, t2] = [time(b), time(2 * b)];
    return t1 + ((t2 - t1) * (B - b)) / b;
  };
  const first = run();
  const reps = b < B ? Math.min(REPS, 2) : REPS;
  const times = Array.from({ length: reps }, run);
  return { n, c, nonzero, b, first, median: median(times), min: Math.min(...times), max: Math.max(...times) };
}

console.log(`machine: ${machineLine()}`);
console.log(`matrixIntervals, B = ${B}, level 0.95, seed 7 (ms; first call, then median [min..max] of ${REPS})`);
console.log('| C | N | nonzero cells | resamples run (b) | first ms | median ms | min..max ms |');
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const c of CS) {
  for (const n of NS) {
    const r = timeCell(n, c);
    const scaled = r.b < B ? ' (extrapolated)' : '';
    console.log(
      `| ${c} | ${n.toExponential(0)} | ${r.nonzero} | ${r.b}${scaled} | ${r.first.toFixed(1)} | ` +
        `${r.median.toFixed(1)} | ${r.min.toFixed(1)}..${r.max.toFixed(1)} |`,
    );
  }
}

if (!process.argv.includes('--no-numpy')) {
  const nn = Number(flag('numpy-n', '1e6'));
  const nb = Number(flag('numpy-b', '200'));
  const script = `
import time, numpy as np
n, b, c = ${nn}, ${nb}, 10
rng = np.random.default_rng(1)
y = rng.integers(0, c, n)
pred = np.where(rng.random(n) < 0.8, y, rng.integers(0, c, n))
times = []
for rep in range(3):
    t0 = time.perf_counter()
    acc = np.empty(b)
    for i in range(b):
        idx = rng.integers(0, n, n)
        m = np.bincount(y[idx] * c + pred[idx], minlength=c * c).reshape(c, c)
        acc[i] = np.trace(m) / n
    np.percentile(acc, [2.5, 97.5])
    times.append(time.perf_counter() - t0)
print(f"{sorted(times)[1] * 1000:.0f} {min(times) * 1000:.0f} {max(times) * 1000:.0f}")
`;
  const [med, lo, hi] = execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' }).trim().split(' ');
  console.log(
    `numpy row resampling (indices, bincount of the C x C matrix, accuracy; percentile), N = ${nn}, ` +
      `B = ${nb}, C = 10: median ${med} ms [${lo}..${hi}] of 3; numpy ${
        execFileSync('/usr/bin/python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' }).trim()
      }`,
  );
}
