#!/usr/bin/env node
/**
 * JSON Lines against .npy and Python on the same data: N rows of C float logits and an integer label, as
 * `{"label": 3, "logits": [0.123456, ...]}`. Times, interleaved, medians of RUNS (whole processes, page-cached):
 * `confmat eval --backend cpu` from the .jsonl (labels and logits from the one file) and from .npy files, a plain
 * read of the file (`cat`), Python's `json.loads` per line and pandas `read_json(lines=True)` (when installed).
 * Files are written once into $OUT (default /tmp/confmat-jsonl-bench), not committed:
 *
 *   npm run build && node bench/jsonl.mjs [N=1000000] [C=10] [FORM=fixed|repr] [RUNS=3]
 *
 * FORM fixed: numbers with 6 decimals (up to 15 digits: the exact fast path); repr: JavaScript's shortest text of
 * the float32 value as a double (up to 17 digits, as Python's json.dumps writes float(np.float32)).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { encodeNpy } from '../dist/read/npy.js';

const N = Number(process.argv[2] ?? 1_000_000);
const C = Number(process.argv[3] ?? 10);
const FORM = process.argv[4] ?? 'fixed';
const RUNS = Number(process.argv[5] ?? 3);
const OUT = process.env.OUT ?? '/tmp/confmat-jsonl-bench';
const at = (name) => join(OUT, name);
const base = `${N}x${C}-${FORM}`;
const file = at(`${base}.jsonl`);

/** Mulberry32: the same data every run. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

if (!existsSync(file)) {
  mkdirSync(OUT, { recursive: true });
  const rand = rng(16);
  const logits = new Float32Array(N * C);
  const labels = new Int32Array(N);
  const out = createWriteStream(file);
  let text = '';
  for (let r = 0; r < N; r++) {
    const y = Math.floor(rand() * C);
    labels[r] = y;
    const row = [];
    for (let j = 0; j < C; j++) {
      let v = (rand() - 0.5) * 6 + (j === y ? 2 : 0);
      if (FORM === 'fixed') v = Number(v.toFixed(6));
      logits[r * C + j] = v;
      row.push(FORM === 'fixed' ? v : Math.fround(v));
    }
    text += `{"label": ${y}, "logits": [${row.join(', ')}]}\n`;
    if (text.length > 1 << 20 || r === N - 1) {
      if (!out.write(text)) await new Promise((ok) => out.once('drain', ok));
      text = '';
    }
  }
  await new Promise((ok) => out.end(ok));
  writeFileSync(at(`${base}.logits.npy`), encodeNpy(logits, [N, C]));
  writeFileSync(at(`${base}.labels.npy`), encodeNpy(labels, [N]));
}

const PY_JSON = `import json, sys
n = 0
with open(sys.argv[1], 'rb') as f:
    for line in f:
        o = json.loads(line); n += len(o['logits'])
print(n)`;
const PY_PANDAS = `import sys, pandas as pd
d = pd.read_json(sys.argv[1], lines=True)
print(len(d))`;
const hasPandas = spawnSync('/usr/bin/python3', ['-c', 'import pandas']).status === 0;
const cli = ['dist/cli/main.js', 'eval', '--backend', 'cpu', '--format', 'json'];
const cases = { 'eval .jsonl': ['node', [...cli, '--logits', `${file}:logits`, '--labels', `${file}:label`]],
  'eval .npy': ['node', [...cli, '--logits', at(`${base}.logits.npy`), '--labels', at(`${base}.labels.npy`)]],
  'cat (read floor)': ['cat', [file]], 'python json.loads per line': ['/usr/bin/python3', ['-c', PY_JSON, file]],
  ...(hasPandas ? { 'pandas read_json(lines=True)': ['/usr/bin/python3', ['-c', PY_PANDAS, file]] } : {}) };

/** One whole process under /usr/bin/time: [wall s, CPU s, max RSS MB]. */
function time([cmd, args]) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', cmd, ...args], { maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  const [wall, user, sys, rss] = r.stderr.toString().trim().split('\n').at(-1).split(' ').map(Number);
  return [wall, user + sys, rss / 1024];
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = statSync(file).size / 1e6;
readFileSync(file);
const load = [loadavg()[0]];
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let run = 0; run < RUNS; run++) for (const [name, c] of Object.entries(cases)) times[name].push(time(c));
load.push(loadavg()[0]);
const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
console.log(
  `${base}: ${mb.toFixed(1)} MB, ${RUNS} runs interleaved, median; load ${
    load.map((l) => l.toFixed(1)).join(' -> ')
  }; ${rev}`,
);
console.log('| what | wall s | CPU s | max RSS MB | MB/s (wall) |\n|---|---|---|---|---|');
for (const [name, ts] of Object.entries(times)) {
  const [w, c, r] = [0, 1, 2].map((k) => median(ts.map((t) => t[k])));
  console.log(`| ${name} | ${w.toFixed(2)} | ${c.toFixed(2)} | ${r.toFixed(0)} | ${(mb / w).toFixed(0)} |`);
}
