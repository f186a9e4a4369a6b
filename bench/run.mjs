// confmat benchmark (issue #5): confmat's GPU and CPU paths against TensorFlow.js (cpu and webgpu
// on the same adapter), ml-confusion-matrix, numpy and sklearn, and three floors over the same
// bytes (a host read pass, a host->GPU upload, a GPU copy kernel), with GPU time per phase from
// timestamp queries. Prints a table, writes JSON and an SVG chart under bench/results/.
//
// Usage: npm run bench [-- --full] [-- --cells 1e6x10,1e5x100] [-- --runs 3] [-- --streamed]
//   quick: N in {1e5, 1e6}, C in {10, 100};  --full: N in {1e5 .. 1e8}, C in {2, 10, 100, 1000}
//   (cells over 4 GB of logits skipped; cells from 1e8 rows or over 1 GB streamed in ~40 MB chunks,
//   generated chunk by chunk, never held at once; --streamed streams every cell).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart } from './lib/chart-svg.mjs';
import { makeData, streamData } from './lib/data.mjs';
import { openBenchDevice } from './lib/device.mjs';
import { createCpuWorkerCounter, makePaths } from './lib/paths.mjs';
import { hasPython, pythonRuns } from './lib/python.mjs';
import { printTables, productKernels, targetChecks } from './lib/report.mjs';

const argv = process.argv.slice(2);
const arg = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const FULL = argv.includes('--full');
const CELLS = arg('--cells')?.split(',').map((s) => s.split('x').map(Number));
const RUNS = Number(arg('--runs') ?? 3);
const FORCE_STREAM = argv.includes('--streamed');
const WIDE = FULL || CELLS !== undefined;
const NS = FULL ? [1e5, 1e6, 1e7, 1e8] : [1e5, 1e6];
const CS = FULL ? [2, 10, 100, 1000] : [10, 100];
const SEED = 42;
const MAX_BYTES = 4e9;
const STREAM_BYTES = 1e9;
const STREAM_CHUNK_BYTES = 40e6;
const GEN_CHUNK_ROWS = 1 << 20;
/** A streamed cell whose first timed pass (all paths) took longer than this gets 2 timed passes, not RUNS. */
const STREAM_PASS_S = 100;
/** A path whose warm-up took longer than this gets one timed run, not RUNS. */
const SLOW_MS = WIDE ? 10_000 : 2_000;
const LIMITS = {
  // tf.math.confusionMatrix is a one-hot matmul, O(N C^2): ~1 s at 1e6 x 10 on the cpu backend,
  // ~120 s on webgpu/SwiftShader (its matmul over K = N runs nearly serially there)
  tfjs: { cpu: WIDE ? 1e10 : 1e8, webgpu: WIDE ? 1e8 : 1e7 },
  tfjsMaxN: 1e6,
  mlMaxNC: WIDE ? 1e9 : 1e8,
};
const here = path.dirname(fileURLToPath(import.meta.url));
const t0 = performance.now();
const log = (s) => process.stderr.write(`[${((performance.now() - t0) / 1e3).toFixed(0).padStart(4)} s] ${s}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

// ---------- setup ----------
const gpu = await openBenchDevice();
const notes = [];
const load = [os.loadavg()];
let tf = null;
try {
  const lib = await import('@tensorflow/tfjs');
  const backends = ['cpu'];
  if (gpu) {
    await import('@tensorflow/tfjs-backend-webgpu');
    try {
      if (!(await lib.setBackend('webgpu'))) throw new Error('setBackend returned false');
      const info = lib.backend().device?.adapterInfo;
      const same = info && info.vendor === gpu.adapter.info.vendor &&
        info.architecture === gpu.adapter.info.architecture;
      notes.push(
        `tfjs webgpu backend: adapter ${info ? `${info.vendor} ${info.architecture}` : '(unknown)'}${
          same ? ', the same adapter as confmat' : " (NOT confirmed to be confmat's adapter)"
        } (navigator.gpu = the bench's Dawn object).`,
      );
      backends.push('webgpu');
    } catch (e) {
      notes.push(`tfjs webgpu backend cannot run here: ${e.message}`);
    }
  } else {
    notes.push('tfjs webgpu: no WebGPU adapter, skipped.');
  }
  await lib.setBackend('cpu');
  tf = { lib, backends };
} catch (e) {
  notes.push(`@tensorflow/tfjs not importable (${e.message}): skipped.`);
}
if (!createCpuWorkerCounter) {
  notes.push('confmat CPU workers: this build lacks createCpuWorkerCounter (src/node/cpu-workers.ts): skipped.');
}
const python = hasPython();
if (!python) notes.push('python3 with numpy and sklearn not found: Python paths skipped.');
if (gpu?.software) {
  notes.push(
    'The adapter is a software (CPU-emulated) one: its "GPU" timings are CPU work on the same cores, not GPU speed.',
  );
}
if (gpu && !gpu.timestamps) {
  notes.push(
    'The adapter lacks timestamp-query: phase times are wall-clock per submit (they include submit overhead).',
  );
}
notes.push(
  `Medians of ${RUNS} runs after a warm-up (1 run when the warm-up took > ${
    SLOW_MS / 1e3
  } s); in-memory cells run the paths round-robin so that load from other processes spreads over all of them.`,
);
notes.push(
  `Streamed cells (N = 1e8, or over 1 GB of logits): every pass generates each ~40 MB chunk once (untimed) and times every path on it; a path's time is its sum over the chunks; the warm-up is the first chunk; 2 timed passes when the first took > ${STREAM_PASS_S} s.`,
);

const date = new Date().toISOString();
const cpuModel = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores`;
const adapter = gpu?.label ?? 'none (GPU paths skipped)';
console.log(`confmat bench (${FULL ? 'full' : CELLS ? 'cells' : 'quick'})  ${date}`);
console.log(
  `adapter: ${adapter}${gpu ? `, timestamp-query: ${gpu.timestamps ? 'yes (quantization off)' : 'no'}` : ''}`,
);
console.log(
  `machine: ${cpuModel}, ${os.platform()} ${os.arch()}, node ${process.version}, load average at start ${
    load[0].map((x) => x.toFixed(2)).join(' ')
  }`,
);
for (const n of notes) console.log(`note: ${n}`);

// ---------- one cell ----------
const sameCounts = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

async function timeInMemory(active, data, n, c, state) {
  let oracle = null;
  for (let pass = 0; pass <= RUNS; pass++) {
    const order = pass === 0 ? active : active.map((_, i) => active[(i + pass) % active.length]);
    for (const p of order) {
      const s = state.get(p);
      if (s.error || (pass > 0 && s.runs.length >= s.wanted)) continue;
      try {
        const r = p.make();
        const t = performance.now();
        await r.start();
        await r.chunk(data.logits, data.labels);
        let out = await r.finish();
        const ms = performance.now() - t;
        if (out && !(out instanceof Float64Array)) {
          if (pass > 0) s.extra.push(out.ms);
          out = out.counts;
        }
        if (pass === 0) {
          s.warmMs = ms;
          if (ms > SLOW_MS) s.wanted = 1;
          if (p.name === 'branchy JS loop') oracle = out;
          else if (out && oracle && !sameCounts(out, oracle)) s.mismatch = true;
        } else s.runs.push(ms);
      } catch (e) {
        s.error = e.message;
      }
    }
  }
  return oracle;
}

async function timeStreamed(active, n, c, state) {
  const chunkRows = Math.max(1, Math.floor(STREAM_CHUNK_BYTES / (4 * c)));
  let oracle = null;
  let passes = RUNS;
  for (let pass = 0; pass <= passes; pass++) {
    const started = performance.now();
    const live = active.filter((p) => !state.get(p).error);
    const ms = new Map(live.map((p) => [p, 0]));
    const runners = new Map();
    const timed = async (p, fn) => {
      const s = state.get(p);
      if (s.error) return undefined;
      try {
        const t = performance.now();
        const out = await fn();
        ms.set(p, ms.get(p) + performance.now() - t);
        return out;
      } catch (e) {
        s.error = e.message;
        return undefined;
      }
    };
    for (const p of live) {
      runners.set(p, p.make());
      await timed(p, () => runners.get(p).start());
    }
    let chunks = 0;
    await streamData(pass === 0 ? chunkRows : n, c, SEED, chunkRows, async (l, y) => {
      const order = live.map((_, i) => live[(i + chunks) % live.length]);
      chunks++;
      for (const p of order) await timed(p, () => runners.get(p).chunk(l, y));
    });
    for (const p of live) {
      const s = state.get(p);
      let out = await timed(p, () => runners.get(p).finish());
      if (out && !(out instanceof Float64Array)) {
        if (pass > 0) s.extra.push(out.ms);
        out = out.counts;
      }
      if (pass <= 1) {
        if (p.name === 'branchy JS loop') oracle = out;
        else if (out && oracle && !sameCounts(out, oracle)) s.mismatch = true;
      }
      if (s.error) continue;
      if (pass === 0) s.warmMs = ms.get(p);
      else s.runs.push(ms.get(p));
    }
    const passS = (performance.now() - started) / 1e3;
    if (pass === 1 && passS > STREAM_PASS_S && passes > 2) passes = 2;
    log(`  streamed pass ${pass}${pass === 0 ? ' (warm-up, 1 chunk)' : ''} done in ${passS.toFixed(0)} s`);
  }
  return oracle;
}

const rows = [];
const phases = [];
const cellNotes = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'confmat-bench-'));
const cells = CELLS ?? CS.flatMap((c) => NS.map((n) => [n, c]));
try {
  for (const [n, c] of cells) {
    const bytes = n * c * 4;
    if (bytes > MAX_BYTES) {
      cellNotes.push(`N=${n.toExponential(0)} C=${c}: skipped, ${(bytes / 1e9).toFixed(0)} GB of logits`);
      continue;
    }
    const streamed = FORCE_STREAM || n >= 1e8 || bytes > STREAM_BYTES;
    log(`cell N=${n.toExponential(0)} C=${c}${streamed ? ' (streamed)' : ''}`);
    const all = makePaths({ c, gpu, tf, limits: LIMITS });
    const active = [];
    for (const p of all) {
      const why = p.skip?.(n, streamed);
      if (why) cellNotes.push(`N=${n.toExponential(0)} C=${c}: ${p.name} skipped: ${why}`);
      else active.push(p);
    }
    const state = new Map(
      active.map((p) => [p, { runs: [], extra: [], wanted: RUNS, warmMs: null, error: null, mismatch: false }]),
    );
    let data = null;
    if (!streamed) data = makeData(n, c, SEED, GEN_CHUNK_ROWS);
    const oracle = streamed ? await timeStreamed(active, n, c, state) : await timeInMemory(active, data, n, c, state);
    for (const p of all) await p.dispose?.();
    const results = [];
    for (const p of active) {
      const s = state.get(p);
      if (s.error) cellNotes.push(`N=${n.toExponential(0)} C=${c}: ${p.name} failed: ${s.error}`);
      if (s.mismatch) {
        cellNotes.push(`N=${n.toExponential(0)} C=${c}: WARNING ${p.name} counts differ from the JS loop's`);
      }
      if (!s.runs.length) continue;
      if (p.kind === 'phases') {
        const keys = Object.keys(s.extra[0]);
        const med = Object.fromEntries(keys.map((k) => [k, median(s.extra.map((e) => e[k]))]));
        phases.push({ n, c, timestamps: gpu.timestamps, ms: med, runs: s.extra });
        results.push({ path: 'GPU copy kernel floor', kind: 'floor', ms: med.copy, runs: s.extra.map((e) => e.copy),
          warmMs: null });
        results.push({ path: 'confmat GPU kernels only (as the product runs them)', kind: 'kernels',
          ms: productKernels(med), runs: s.extra.map(productKernels), warmMs: null });
        continue;
      }
      results.push({ path: p.name, kind: p.kind, ms: median(s.runs), runs: s.runs, warmMs: s.warmMs,
        mismatch: s.mismatch || undefined });
    }
    if (python && !streamed) {
      try {
        const py = pythonRuns(data, n, c, tmp, RUNS, SLOW_MS / 1e3);
        const trace = oracle ? oracle.reduce((a, v, i) => a + (i % (c + 1) === 0 ? v : 0), 0) : null;
        for (const [name, r] of Object.entries(py)) {
          if (name === 'versions') continue;
          const mismatch = oracle ?
            r.trace !== trace || r.total !== n || (r.counts && !sameCounts(Float64Array.from(r.counts), oracle)) :
            false;
          if (mismatch) {
            cellNotes.push(`N=${n.toExponential(0)} C=${c}: WARNING ${name} counts differ from the JS loop's`);
          }
          results.push({ path: name, kind: 'peer', ms: r.ms, runs: r.runs, warmMs: r.warmMs,
            mismatch: mismatch || undefined });
        }
        if (!notes.some((x) => x.startsWith('Python:'))) {
          notes.push(
            `Python: numpy ${py.versions.numpy}, sklearn ${py.versions.sklearn}; argmax + counting timed inside Python (file IO excluded).`,
          );
        }
      } catch (e) {
        cellNotes.push(`N=${n.toExponential(0)} C=${c}: python failed: ${e.message}`);
      }
    } else if (python) {
      cellNotes.push(
        `N=${
          n.toExponential(0)
        } C=${c}: Python paths skipped: streamed cell (they would need the whole array in one file)`,
      );
    }
    data = null;
    const floor = (name) => results.find((r) => r.path === name)?.ms ?? null;
    const [read, upload, copy] = ['host read floor', 'host->GPU upload floor', 'GPU copy kernel floor'].map(floor);
    for (const r of results) {
      rows.push({ ...r, n, c, streamed, mPredPerS: n / r.ms / 1e3, gbPerS: bytes / r.ms / 1e6,
        ofRead: read ? read / r.ms : null, ofUpload: upload ? upload / r.ms : null,
        ofCopy: copy ? copy / r.ms : null });
    }
    load.push(os.loadavg());
    log(`  done N=${n.toExponential(0)} C=${c}, load ${os.loadavg()[0].toFixed(2)}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

// ---------- output ----------
const targets = targetChecks(rows, phases);
printTables({ rows, phases, notes: cellNotes, targets, runs: RUNS, slowS: SLOW_MS / 1e3 });
const loadRange = [Math.min(...load.map((l) => l[0])), Math.max(...load.map((l) => l[0]))];
console.log(
  `load average (1 min) during the run: ${
    loadRange.map((x) => x.toFixed(2)).join(' to ')
  } on ${os.cpus().length} cores; total ${((performance.now() - t0) / 1e3).toFixed(0)} s`,
);

const outDir = path.join(here, 'results');
mkdirSync(outDir, { recursive: true });
const base = path.join(outDir,
  `${date.slice(0, 10)}-${gpu?.slug ?? 'no-gpu'}${FULL ? '-full' : CELLS ? '-cells' : ''}${
    FORCE_STREAM ? '-streamed' : ''
  }`);
const mode = FULL ? 'full' : CELLS ? 'cells' : 'quick';
writeFileSync(`${base}.json`,
  JSON.stringify({ date, mode, adapter, adapterInfo: gpu?.info ?? null, timestamps: gpu?.timestamps ?? false,
    machine: cpuModel, node: process.version, loadAverages: load, seconds: (performance.now() - t0) / 1e3,
    runsPerCell: RUNS, notes, cellNotes, targets, phases, rows }, null, 2) + '\n');
writeFileSync(`${base}.svg`,
  renderChart(rows.filter((r) => r.kind !== 'kernels'), { title: `confmat bench (${mode}), ${date.slice(0, 10)}`,
    subtitle: `${adapter}; ${cpuModel}; median of ${RUNS} runs, end to end from N x C float32 logits` }));
console.log(`wrote ${path.relative(process.cwd(), base)}.json and .svg`);
if (tf) tf.lib.engine().reset();
gpu?.destroy();
process.exit(0);
