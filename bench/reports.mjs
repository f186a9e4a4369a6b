// The report writers at large C, stage by stage, in one process: what `confmat eval` spends after counting.
// Usage: npm run build && node bench/reports.mjs [--c 10,100,1000,3000] [--reps 5] [--stages json,csv,...]
//        [--cli 1000] [--rows 40000] [--dir /tmp/confmat-bench-reports]
// The matrix: seeded, N = 40 C samples with a long tail of class sizes; each true class right 60 to 97 % of the time,
// its errors on a few confusers (many zeros off the diagonal), one row in ten spread over every class (dense rows).
// Class names are ImageNet-like (`n01440764_tench`), a few with characters the formats escape.
// Each stage is timed interleaved (every stage once per round, rounds after one warm-up round): wall time of the
// first (cold) call, median and min..max of the rest, median CPU time (user + system of the process, GC threads too).
// With --cli C (0: none), also whole processes `confmat eval --backend cpu --format X --out F` on a rows x C .npy
// (float32 logits, uint32 labels, written once under --dir), against the same command's `--format csv` on C = 2
// (the start-up and read floor).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { renderPlot, renderReport } from '../dist/cli/render.js';
import { parseState } from '../dist/index.js';
import { classificationReport } from '../dist/report/classification-report.js';
import { renderHeatmapSvg } from '../dist/report/heatmap-svg.js';
import { createState } from '../dist/state/state.js';
import { computeMetrics } from '../dist/tasks/multiclass/metrics.js';
import { reduceCounts } from '../dist/tasks/multiclass/reduce.js';
import { flag, machineLine, numbers } from './lib/cli.mjs';
import { mulberry32 as rng } from './lib/data.mjs';
import { writeNpy } from './lib/python.mjs';

const CS = numbers(flag('c', '10,100,1000,3000'));
const REPS = Number(flag('reps', '5'));
const CLI_C = Number(flag('cli', '1000'));
const ROWS = Number(flag('rows', '40000'));
const DIR = flag('dir', join(os.tmpdir(), 'confmat-bench-reports'));
const BIN = new URL('../dist/cli/main.js', import.meta.url).pathname;

/** The bench matrix of C classes (see the header). */
function benchMatrix(c, seed = 1) {
  const r = rng(seed);
  const counts = new Float64Array(c * c);
  for (let t = 0; t < c; t++) {
    const n = Math.max(1, Math.round(40 * 3 * (0.05 + r() ** 2)));
    const right = Math.round(n * (0.6 + 0.37 * r()));
    counts[t * c + t] += right;
    const dense = r() < 0.1;
    const confusers = Array.from({ length: 1 + Math.floor(4 * r()) }, () => Math.floor(r() * c));
    for (let k = right; k < n; k++) {
      const p = dense ? Math.floor(r() * c) : confusers[Math.floor(r() * confusers.length)];
      counts[t * c + p] += 1;
    }
  }
  return reduceCounts(counts, c);
}

/** ImageNet-like names, one in 50 with a character some format escapes. */
function benchNames(c) {
  const odd = ['a,b', 'say "hi"', 'x|y', '<b>&', '=SUM(A1)', 'tab\there', 'ünïcödé', 'rtl\u202eevil'];
  return Array.from({ length: c }, (_, i) => {
    const base = `n${String(1440764 + 7919 * i).padStart(8, '0')}_class_${i}`;
    return i % 50 === 7 ? `${base}_${odd[(i / 50 | 0) % odd.length]}` : base;
  });
}

const backend = { name: 'cpu', adapter: null };

function stages(result, names) {
  const o = { classes: names };
  const m = computeMetrics(result.counts, result.numClasses);
  return { metrics: () => computeMetrics(result.counts, result.numClasses),
    'classification report': () => classificationReport(m, names, 4),
    json: () => renderReport('json', result, backend, o), csv: () => renderReport('csv', result, backend, o),
    markdown: () => renderReport('markdown', result, backend, o),
    table: () => renderReport('table', result, backend, o),
    svg: () => renderHeatmapSvg(result.counts, result.numClasses, { classes: names, normalize: 'none' }),
    html: () => renderPlot('p.html', result, o), png: () => renderPlot('p.png', result, o),
    'state write (--shard)': () => renderReport('json', result, backend, { ...o, shards: { count: 4, indices: [1] } }),
    'createState + stringify': () => JSON.stringify(createState(result, { classes: names })),
    'parse state (merge)': (() => {
      const text = renderReport('json', result, backend, o);
      return () => parseState(JSON.parse(text), 'part.json');
    })() };
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const ms = (x) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));

function haveResvg() {
  try {
    renderPlot('p.png', benchMatrix(2), {});
    return true;
  } catch {
    return false;
  }
}

function benchStages() {
  const only = flag('stages', '');
  const png = haveResvg();
  const rows = [];
  for (const c of CS) {
    const result = benchMatrix(c);
    const names = benchNames(c);
    const all = Object.entries(stages(result, names)).filter(([name]) =>
      (png || name !== 'png') && (only === '' || only.split(',').includes(name.split(' ')[0]))
    );
    const times = new Map(all.map(([name]) => [name, []]));
    const [sizes, first, cpu] = [new Map(), new Map(), new Map(all.map(([name]) => [name, []]))];
    for (let rep = -1; rep < REPS; rep++) {
      for (const [name, f] of all) {
        const [t0, c0] = [performance.now(), process.cpuUsage()];
        const out = f();
        const dt = performance.now() - t0;
        const { user, system } = process.cpuUsage(c0);
        if (rep >= 0) {
          times.get(name).push(dt);
          cpu.get(name).push((user + system) / 1000);
        } else first.set(name, dt);
        if (typeof out === 'string' || out instanceof Uint8Array) sizes.set(name, out.length);
      }
    }
    for (const [name] of all) {
      const t = times.get(name);
      rows.push([c, name, first.get(name), median(t), Math.min(...t), Math.max(...t), median(cpu.get(name)),
        sizes.get(name)]);
    }
  }
  console.log(`\n| C | stage | first ms | median ms | min..max ms | CPU ms | output bytes |`);
  console.log('|--:|---|--:|--:|--:|--:|--:|');
  for (const [c, name, one, med, lo, hi, cpuMs, size] of rows) {
    const bytes = size?.toLocaleString('en-US') ?? '';
    console.log(`| ${c} | ${name} | ${ms(one)} | ${ms(med)} | ${ms(lo)}..${ms(hi)} | ${ms(cpuMs)} | ${bytes} |`);
  }
}

/** rows x c logits whose argmax follows the bench matrix's rows (each label's row of counts, cycled). */
function cliFiles(c) {
  const dir = join(DIR, `${ROWS}x${c}`);
  const files = { logits: join(dir, 'logits.npy'), labels: join(dir, 'labels.npy'), classes: join(dir, 'classes.txt') };
  if (existsSync(files.classes)) return files;
  mkdirSync(dir, { recursive: true });
  const { counts } = benchMatrix(c);
  const r = rng(7);
  const logits = new Float32Array(ROWS * c);
  const labels = new Uint32Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    const t = Math.floor(r() * c);
    let s = 0;
    for (let p = 0; p < c; p++) s += counts[t * c + p];
    let u = r() * s;
    let pred = t;
    for (let p = 0; p < c; p++) {
      if ((u -= counts[t * c + p]) < 0) {
        pred = p;
        break;
      }
    }
    for (let p = 0; p < c; p++) logits[i * c + p] = r();
    logits[i * c + pred] = 2;
    labels[i] = t;
  }
  writeNpy(files.logits, logits, [ROWS, c]);
  writeNpy(files.labels, labels, [ROWS]);
  writeFileSync(files.classes, benchNames(c).map((n) => n.replace(/[\t\u202e]/g, '_')).join('\n') + '\n');
  return files;
}

function benchCli() {
  if (!(CLI_C > 0)) return;
  const [big, small] = [cliFiles(CLI_C), cliFiles(2)];
  const out = join(DIR, 'out');
  const formats = ['csv', 'json', 'markdown', 'table'];
  const runs = [['floor: C = 2, csv', small, 'csv'], ...formats.map((f) => [`C = ${CLI_C}, ${f}`, big, f]), [
    `C = ${CLI_C}, json --plot .svg`,
    big,
    'json',
    '.svg',
  ], [`C = ${CLI_C}, json --plot .html`, big, 'json', '.html']];
  if (haveResvg()) runs.push([`C = ${CLI_C}, json --plot .png`, big, 'json', '.png']);
  const times = new Map(runs.map(([name]) => [name, []]));
  for (let rep = -1; rep < REPS; rep++) {
    for (const [name, f, format, plot] of runs) {
      const args = [BIN, 'eval', '--backend', 'cpu', '--logits', f.logits, '--labels', f.labels, '--classes', f.classes,
        '--format', format, '--out', out, ...(plot ? ['--plot', `${out}${plot}`] : [])];
      const t0 = performance.now();
      execFileSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
      if (rep >= 0) times.get(name).push(performance.now() - t0);
    }
  }
  rmSync(out, { force: true });
  console.log(`\nWhole processes, ${ROWS} x ${CLI_C} float32 logits (.npy), --backend cpu --out F:\n`);
  console.log('| command | median ms | min..max ms |\n|---|--:|--:|');
  for (const [name] of runs) {
    const t = times.get(name);
    console.log(`| ${name} | ${ms(median(t))} | ${ms(Math.min(...t))}..${ms(Math.max(...t))} |`);
  }
}

console.log(`machine: ${machineLine()}; ${REPS} rounds after a warm-up`);
benchStages();
benchCli();
console.log(`\nload at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
