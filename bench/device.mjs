// confmat on a real GPU (issue #5, the device tool's H200): GPU-only figures per cell of N x C,
// every count checked against the CPU oracle once. Per cell:
//   floors    host->GPU upload (writeBuffer + onSubmittedWorkDone, wall) and a copy kernel over the
//             resident logits (bench/kernels/copy.wgsl, GPU time from timestamp queries)
//   host      confmat end to end from host arrays (wall): float32 with the default plan, 8 MiB
//             chunks, 128 MiB chunks (in-memory cells) or one update() per 1 GiB piece (streamed
//             cells); float16 halves
//   resident  confmat on logits and labels already in GPU buffers (the zero-copy update(), wall,
//             from createConfusionMatrix to compute()): the default plan ('auto') and each other
//             histogram mode the device allows (global, private, local, wide), each at the default
//             (32 MiB) and 512 MiB chunks; 8 and 128 MiB chunks; float16
//   phases    GPU time per phase (upload, kernels, readback, copy and read-rows floors) from
//             timestamp queries, per histogram mode (bench/lib/gpu-phases.mjs)
// Cells of N >= 1e8 or over 1 GB of logits are streamed: fed to update() in ~40 MB chunks (held in
// memory, generated once per cell by worker threads, untimed); their resident copy is split into
// buffers of at most 1 GiB, one update() each. Cells over --max-bytes (4 GB) are skipped.
// With --npy-dir, the chosen cells' data (and confmat's counts) are written as .npy for
// bench/device-torch.py. Without any adapter the data and the CPU oracle's counts are still
// written (exit code 2), so that the torch side runs anyway.
//
// Usage: node bench/device.mjs [--sizes 1e6x10,1e7x100] [--quick] [--runs 5] [--out device.json]
//          [--npy-dir DIR] [--npy-cells 1e7x10,1e7x100,1e6x1000] [--max-bytes 4e9] [--no-f16]
//          [--threads N] [--allow-software] [--probe] [--budget-s 200]
//          [--stream-bytes 1e9] [--feed-bytes 40e6] [--piece-bytes 2^30]   (the last three: tests)
//   --budget-s: past 60% of it, 1 timed run per path; past it, no new pass and no new cell.
//   default sizes: N in {1e6, 1e7, 1e8} x C in {10, 100, 1000}; --quick: 1e5 x 10, 2 runs.
//   --probe: print the adapter, its limits and features as JSON; exit 0 on a hardware adapter,
//   3 on a software one, 2 without any.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { planGpu } from '../dist/engine/chunk-plan.js';
import { widenHalves } from '../dist/format/half.js';
import { formatBatch } from '../dist/format/validate.js';
import { cpuUpdateFast } from '../dist/tasks/multiclass/update-cpu-fast.js';
import { classModel, fillChunk, labelArray, toFloat16Bits } from './lib/data.mjs';
import { openBenchDevice } from './lib/device.mjs';
import { benchPipeline, createGpuPhases } from './lib/gpu-phases.mjs';
import { confmatRunner, uploadFloorPath } from './lib/paths.mjs';
import { writeNpyParts } from './lib/python.mjs';
import { printTable, productKernels } from './lib/report.mjs';

const SEED = 42;
const MiB = 1024 * 1024;
/** Rows each generation task fills: ~16 MB of logits (the data depend on it, through fillChunk's start). */
const taskRows = (c) => Math.max(1024, Math.floor(2 ** 22 / c));

if (!isMainThread) serveWorker();
else await main();

/** Worker thread: fills tasks of a cell into shared memory and counts them with the CPU oracle. */
function serveWorker() {
  const models = new Map();
  parentPort.on('message', (t) => {
    const key = `${t.c}:${t.seed}`;
    if (!models.has(key)) models.set(key, classModel(t.c, t.seed));
    const logits = new Float32Array(t.logits, t.row * t.c * 4, t.rows * t.c);
    const Labels = t.c <= 256 ? Uint8Array : Uint16Array;
    const labels = new Labels(t.labels, t.row * Labels.BYTES_PER_ELEMENT, t.rows);
    fillChunk(models.get(key), t.seed, t.start, t.rows, logits, labels);
    const counts = new Float64Array(t.c * t.c);
    cpuUpdateFast(counts, formatBatch({ logits, labels }, t.c));
    let counts16 = null;
    if (t.half) {
      const half = new Uint16Array(t.half, t.row * t.c * 2, t.rows * t.c);
      toFloat16Bits(logits, half);
      counts16 = new Float64Array(t.c * t.c);
      cpuUpdateFast(counts16, formatBatch({ logits: widenHalves(half, 'float16'), labels }, t.c));
    }
    parentPort.postMessage({ id: t.id, counts, counts16 });
  });
}

async function main() {
  const argv = process.argv.slice(2);
  const arg = (name, dflt) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : dflt;
  };
  const has = (name) => argv.includes(name);
  const QUICK = has('--quick');
  const cellList = (s) => s.split(',').filter(Boolean).map((x) => x.split('x').map(Number));
  const SIZES = cellList(
    arg('--sizes',
      QUICK ? '1e5x10' : [10, 100, 1000].flatMap((c) => [1e6, 1e7, 1e8].map((n) => `${n}x${c}`)).join(',')),
  );
  const RUNS = Number(arg('--runs', QUICK ? '2' : '5'));
  const OUT = arg('--out');
  const NPY_DIR = arg('--npy-dir');
  const NPY_CELLS = new Set(
    cellList(arg('--npy-cells', QUICK ? '1e5x10' : '1e7x10,1e7x100,1e6x1000')).map(([n, c]) => `${n}x${c}`),
  );
  const MAX_BYTES = Number(arg('--max-bytes', '4e9'));
  const STREAM_BYTES = Number(arg('--stream-bytes', '1e9'));
  const FEED_BYTES = Number(arg('--feed-bytes', '40e6'));
  const PIECE_BYTES = Number(arg('--piece-bytes', String(1024 * MiB)));
  const BUDGET_S = Number(arg('--budget-s', '200'));
  const F16 = !has('--no-f16');
  const THREADS = Number(
    arg('--threads', String(Math.max(1, Math.min(16, os.availableParallelism?.() ?? os.cpus().length)))),
  );
  const t0 = performance.now();
  /** Seconds since the start over --budget-s (0: no budget): past 0.6, 1 run per path; past 1, no new pass or cell. */
  const spent = () => (BUDGET_S > 0 ? (performance.now() - t0) / 1e3 / BUDGET_S : 0);
  const log = (s) => process.stderr.write(`[${((performance.now() - t0) / 1e3).toFixed(0).padStart(4)} s] ${s}\n`);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const e0 = (n) => n.toExponential(0).replace('+', '');
  const sig = (x) => (x == null || !Number.isFinite(x) ? '-' : x >= 99.5 ? x.toFixed(0) : x.toPrecision(2));
  const pct = (x) => (x == null || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(0)}%`);

  const gpu = await openBenchDevice();
  const limitNames = ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension',
    'minStorageBufferOffsetAlignment'];
  const describe = () =>
    gpu &&
    { adapter: gpu.label, info: gpu.info, software: gpu.software, timestamps: gpu.timestamps,
      features: [...gpu.device.features].sort(),
      limits: Object.fromEntries(limitNames.map((k) => [k, gpu.device.limits[k]])) };
  if (has('--probe')) {
    console.log(JSON.stringify(describe() ?? { adapter: null }, null, 2));
    gpu?.destroy();
    process.exit(!gpu ? 2 : gpu.software ? 3 : 0);
  }
  const notes = [];
  if (!gpu) {
    notes.push("NO WebGPU adapter: only the data and the CPU oracle's counts are made (for bench/device-torch.py).");
  } else if (gpu.software && !QUICK && !has('--allow-software')) {
    console.error(`device.mjs: ${gpu.label} is a software adapter: only --quick (or --allow-software) runs there`);
    gpu.destroy();
    process.exit(3);
  }
  const device = gpu?.device;
  /** Resident buffers (and the in-memory cells) hold at most this many bytes of logits. */
  const pieceBytes =
    Math.floor(
      Math.min(PIECE_BYTES, device?.limits.maxBufferSize ?? Infinity,
        device?.limits.maxStorageBufferBindingSize ?? Infinity) / 256,
    ) * 256;
  const machine = { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.arch()}`, node: process.version };
  console.log(`confmat device bench  ${new Date().toISOString()}`);
  console.log(
    `adapter: ${
      gpu ?
        `${gpu.label}; timestamp-query ${gpu.timestamps ? 'yes (quantization off)' : 'NO (GPU times are wall clock)'}` :
        'NONE'
    }`,
  );
  if (gpu) console.log(`limits: ${limitNames.map((k) => `${k} ${device.limits[k]}`).join(', ')}`);
  console.log(
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memGiB} GiB, node ${machine.node}; ${THREADS} data threads; ${RUNS} runs per path after a warm-up`,
  );

  // ---------- data: generated by worker threads into shared memory, with the oracle's counts ----------
  const workers = Array.from({ length: THREADS }, () => new Worker(new URL(import.meta.url)));
  let taskId = 0;
  const runTasks = (tasks) =>
    new Promise((resolve, reject) => {
      const results = [];
      let next = 0;
      let done = 0;
      if (!tasks.length) resolve(results);
      const feed = (w) => {
        if (next >= tasks.length) return;
        const t = tasks[next++];
        w.postMessage(t);
      };
      for (const w of workers) {
        w.removeAllListeners('message');
        w.removeAllListeners('error');
        w.on('error', reject);
        w.on('message', (m) => {
          results.push(m);
          if (++done === tasks.length) resolve(results);
          else feed(w);
        });
        feed(w);
      }
    });

  /** A cell's data: pieces of at most PIECE_BYTES of logits (shared memory), fed to update() in feedRows. */
  async function makeCell(n, c, half) {
    const rowBytes = c * 4;
    const streamed = n >= 1e8 || n * rowBytes > STREAM_BYTES || n * rowBytes > pieceBytes;
    const feedRows = streamed ? Math.max(1, Math.floor(FEED_BYTES / rowBytes)) : n;
    const pieceRows = streamed ? feedRows * Math.max(1, Math.floor(pieceBytes / (feedRows * rowBytes))) : n;
    const pieces = [];
    const tasks = [];
    const per = taskRows(c);
    for (let start = 0; start < n; start += pieceRows) {
      const rows = Math.min(pieceRows, n - start);
      const piece = { start, rows, logits: new Float32Array(new SharedArrayBuffer(rows * rowBytes)),
        labels: labelArray(rows, c, true),
        half: half ? new Uint16Array(new SharedArrayBuffer(Math.ceil((rows * c) / 2) * 4)) : null };
      pieces.push(piece);
      for (let row = 0; row < rows; row += per) {
        tasks.push({ id: taskId++, c, seed: SEED, start: start + row, row, rows: Math.min(per, rows - row),
          logits: piece.logits.buffer, labels: piece.labels.buffer, half: piece.half?.buffer ?? null });
      }
    }
    const t = performance.now();
    const results = await runTasks(tasks);
    const oracle = new Float64Array(c * c);
    const oracle16 = half ? new Float64Array(c * c) : null;
    for (const r of results) {
      for (let i = 0; i < oracle.length; i++) oracle[i] += r.counts[i];
      if (half) { for (let i = 0; i < oracle.length; i++) oracle16[i] += r.counts16[i]; }
    }
    // Dawn's writeBuffer (webgpu 0.6.2) segfaults on views of a SharedArrayBuffer: plain copies.
    for (const p of pieces) {
      p.logits = p.logits.slice();
      p.labels = p.labels.slice();
      p.half = p.half?.slice() ?? null;
    }
    const feeds = [];
    for (const p of pieces) {
      for (let o = 0; o < p.rows; o += feedRows) {
        const r = Math.min(feedRows, p.rows - o);
        feeds.push({ logits: p.logits.subarray(o * c, (o + r) * c), labels: p.labels.subarray(o, o + r),
          half: p.half?.subarray(o * c, (o + r) * c) });
      }
    }
    return { n, c, streamed, feedRows, pieceRows, pieces, feeds, oracle, oracle16, prepMs: performance.now() - t };
  }

  const writeCellNpy = (cell, counts, counts16) => {
    const dir = path.join(NPY_DIR, `${e0(cell.n)}x${cell.c}`);
    mkdirSync(dir, { recursive: true });
    const t = performance.now();
    writeNpyParts(path.join(dir, 'logits.npy'), cell.pieces.map((p) => p.logits), [cell.n, cell.c]);
    writeNpyParts(path.join(dir, 'labels.npy'), cell.pieces.map((p) => p.labels), [cell.n]);
    writeNpyParts(path.join(dir, 'counts.npy'), [counts], [cell.c, cell.c]);
    if (counts16) writeNpyParts(path.join(dir, 'counts_f16.npy'), [counts16], [cell.c, cell.c]);
    writeFileSync(path.join(dir, 'meta.json'),
      JSON.stringify({ n: cell.n, c: cell.c, seed: SEED,
        countsFrom: gpu ? 'confmat GPU (equal to the CPU oracle)' : 'CPU oracle (no GPU adapter)' }) + '\n');
    log(
      `  wrote ${dir} (${((cell.n * cell.c * 4) / 1e9).toFixed(2)} GB) in ${
        ((performance.now() - t) / 1e3).toFixed(1)
      } s`,
    );
    return dir;
  };

  // ---------- GPU helpers ----------
  const U = globalThis.GPUBufferUsage;
  const toGpu = async (label, array, usage) => {
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    const buf = device.createBuffer({ label, size: Math.max(16, Math.ceil(bytes.length / 4) * 4),
      usage: usage | U.COPY_DST });
    const step = 32 * MiB;
    for (let off = 0; off < bytes.length; off += step) {
      device.queue.writeBuffer(buf, off, bytes, off, Math.min(step, bytes.length - off));
      if (off % (16 * step) === 0) await device.queue.onSubmittedWorkDone();
    }
    await device.queue.onSubmittedWorkDone();
    return buf;
  };
  const timed = async (fn) => {
    const t = performance.now();
    const out = await fn();
    return { ms: performance.now() - t, ...out };
  };

  /** The copy floor: copy.wgsl over every resident piece, bound in parts of at most the binding limit; GPU time summed. */
  function makeCopyFloor(resident, wg, maxWorkgroups) {
    const maxBind = Math.floor(Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize) / 256) *
      256;
    const segs = [];
    for (const r of resident) {
      const bytes = Math.floor(r.logits.size / 16) * 16;
      for (let off = 0; off < bytes; off += maxBind) {
        segs.push({ buf: r.logits, off, size: Math.min(maxBind, bytes - off) });
      }
    }
    const dst = device.createBuffer({ label: 'copy floor dst', size: Math.max(...segs.map((s) => s.size)),
      usage: U.STORAGE });
    const pipeline = benchPipeline(device, 'copy.wgsl', 'copy', { WORKGROUP_SIZE: wg });
    const made = [dst];
    const groups = segs.map((s) => {
      const params = device.createBuffer({ label: 'copy floor params', size: 16, usage: U.UNIFORM | U.COPY_DST });
      made.push(params);
      device.queue.writeBuffer(params, 0, new Uint32Array([s.size / 16, 0, 0, 0]));
      return { n: Math.max(1, Math.min(Math.ceil(s.size / 16 / wg), maxWorkgroups)),
        group: device.createBindGroup({ label: 'copy floor', layout: pipeline.getBindGroupLayout(0),
          entries: [{ binding: 0, resource: { buffer: params } }, { binding: 1,
            resource: { buffer: s.buf, offset: s.off, size: s.size } }, { binding: 2,
            resource: { buffer: dst, offset: 0, size: s.size } }] }) };
    });
    const q = 2 * segs.length;
    const querySet = gpu.timestamps ?
      device.createQuerySet({ label: 'copy floor', type: 'timestamp', count: q }) :
      null;
    const resolve = querySet &&
      device.createBuffer({ label: 'copy floor resolve', size: q * 8, usage: U.QUERY_RESOLVE | U.COPY_SRC });
    const read = querySet &&
      device.createBuffer({ label: 'copy floor read', size: q * 8, usage: U.MAP_READ | U.COPY_DST });
    if (querySet) made.push(resolve, read);
    return { segments: segs.length, async run() {
      const t = performance.now();
      const e = device.createCommandEncoder({ label: 'copy floor' });
      groups.forEach((g, i) => {
        const pass = e.beginComputePass(
          querySet ?
            { label: 'copy floor',
              timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } } :
            { label: 'copy floor' },
        );
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, g.group);
        pass.dispatchWorkgroups(g.n);
        pass.end();
      });
      if (querySet) {
        e.resolveQuerySet(querySet, 0, q, resolve, 0);
        e.copyBufferToBuffer(resolve, 0, read, 0, q * 8);
      }
      device.queue.submit([e.finish()]);
      await device.queue.onSubmittedWorkDone();
      const wallMs = performance.now() - t;
      if (!querySet) return { ms: wallMs, extra: { wallMs } };
      await read.mapAsync(GPUMapMode.READ);
      const ts = new BigUint64Array(read.getMappedRange()).slice();
      read.unmap();
      let ms = 0;
      for (let i = 0; i < q; i += 2) ms += Number(ts[i + 1] - ts[i]) / 1e6;
      return { ms, extra: { wallMs } };
    }, destroy() {
      for (const b of made) b.destroy();
      querySet?.destroy();
    } };
  }

  /**
   * The paths in a seeded random order: in a fixed order the first resident path always ran right after
   * the host paths' gigabytes of writeBuffer and paid for them (RESULTS "Tuning run": 2.4x to 3.8x).
   */
  function shuffled(list, seed) {
    const out = [...list];
    let x = seed >>> 0 || 1;
    for (let i = out.length - 1; i > 0; i--) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      const j = x % (i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** Warm-up (counts checked, the paths in turn) then `runs` timed passes, each in its own shuffled order. */
  async function measure(paths, runs) {
    const state = new Map(paths.map((p) => [p, { runs: [], extra: [], warmMs: null, ok: null, error: null }]));
    for (let pass = 0; pass <= runs; pass++) {
      if (pass > 1 && spent() > 1) {
        log(`  over the ${BUDGET_S} s budget: ${pass - 1} timed run(s) only`);
        break;
      }
      for (const p of pass === 0 ? paths : shuffled(paths, SEED + pass)) {
        const s = state.get(p);
        if (s.error) continue;
        try {
          const out = await p.run();
          if (pass === 0) {
            s.warmMs = out.ms;
            if (out.counts && p.expect) {
              s.ok = out.counts.length === p.expect.length && out.counts.every((v, i) => v === p.expect[i]);
            }
            if (out.counts) s.counts = out.counts;
          } else {
            s.runs.push(out.ms);
            if (out.extra) s.extra.push(out.extra);
          }
        } catch (e) {
          s.error = e.message;
          log(`  ${p.name} failed: ${e.message}`);
        }
      }
    }
    return state;
  }

  // ---------- cells ----------
  const cells = [];
  const write = () => {
    if (!OUT) return;
    mkdirSync(path.dirname(path.resolve(OUT)), { recursive: true });
    writeFileSync(OUT,
      JSON.stringify({ tool: 'bench/device.mjs', date: new Date().toISOString(), argv,
        ...(describe() ?? { adapter: null }), machine, runs: RUNS, seed: SEED, notes, cells, targets: targets(),
        seconds: (performance.now() - t0) / 1e3 }, null, 2) + '\n');
  };
  function targets() {
    const out = [];
    for (const cell of cells) {
      const r = cell.ratios;
      if (!r) continue;
      out.push({ n: cell.n, c: cell.c, target: 'a: end to end from host >= 70% of the upload floor (f32, default plan)',
        value: r.hostOfUpload, best: r.bestHostOfUpload, bestPath: r.bestHostPath,
        met: r.hostOfUpload == null ? null : r.hostOfUpload >= 0.7 });
      out.push({ n: cell.n, c: cell.c, target: 'b: resident >= 60% of the copy kernel (f32, default plan)',
        value: r.residentOfCopy, best: r.bestResidentOfCopy, bestPath: r.bestResidentPath,
        met: r.residentOfCopy == null ? null : r.residentOfCopy >= 0.6 });
    }
    return out;
  }

  for (const [n, c] of SIZES) {
    const bytes = n * c * 4;
    const key = `${e0(n)}x${c}`;
    if (bytes > MAX_BYTES) {
      notes.push(`${key}: skipped, ${(bytes / 1e9).toFixed(0)} GB of logits > --max-bytes ${MAX_BYTES / 1e9} GB`);
      continue;
    }
    const npy = NPY_DIR && NPY_CELLS.has(`${n}x${c}`);
    if (!gpu && !npy) continue;
    if (spent() > 1) {
      notes.push(`${key}: skipped, over the ${BUDGET_S} s budget (--budget-s)`);
      log(`cell ${key}: skipped, over the ${BUDGET_S} s budget`);
      continue;
    }
    const runs = spent() > 0.6 ? 1 : bytes > STREAM_BYTES ? Math.min(RUNS, 3) : RUNS;
    log(`cell ${key}: making the data${F16 && gpu ? ' (and float16 halves)' : ''}`);
    const cell = await makeCell(n, c, F16 && !!gpu);
    log(
      `  ${cell.pieces.length} piece(s), ${cell.feeds.length} update() chunk(s) of <= ${cell.feedRows} rows${
        cell.streamed ? ' (streamed)' : ''
      }; data + oracle in ${(cell.prepMs / 1e3).toFixed(1)} s`,
    );
    const record = { n, c, bytes, streamed: cell.streamed, feedRows: cell.feedRows, pieces: cell.pieces.length, runs,
      prepMs: cell.prepMs, paths: [], phases: [], notes: [] };
    cells.push(record);
    if (!gpu) {
      record.npy = writeCellNpy(cell, cell.oracle, null);
      write();
      continue;
    }

    const plan = planGpu(device.limits, c, {}, device.adapterInfo);
    record.plan = plan;
    const chunkOpt = (mib) => ({ chunkRows: Math.max(1, Math.floor((mib * MiB) / (c * 4))) });
    const rowsOf = (opts) => planGpu(device.limits, c, opts, device.adapterInfo).chunkRows;
    const feasible = ['global', 'wide'];
    if (c * c * 4 <= device.limits.maxComputeWorkgroupStorageSize) feasible.push('private');
    else {record.notes.push(
        `histogram 'private' skipped: C^2 x 4 = ${
          c * c * 4
        } B > maxComputeWorkgroupStorageSize ${device.limits.maxComputeWorkgroupStorageSize}`,
      );}
    if (c <= 10) feasible.push('local');
    else record.notes.push(`histogram 'local' skipped: C > 10`);
    const modes = ['auto', ...feasible.filter((m) => m !== plan.histogram)];

    log(`  uploading the resident copy`);
    const resident = [];
    for (const p of cell.pieces) {
      resident.push({ rows: p.rows, logits: await toGpu('resident logits', p.logits, U.STORAGE | U.COPY_SRC),
        labels: await toGpu('resident labels', Uint32Array.from(p.labels), U.STORAGE | U.COPY_SRC),
        half: p.half ? await toGpu('resident halves', p.half, U.STORAGE | U.COPY_SRC) : null });
    }
    const paths = [];
    const floor = uploadFloorPath(device);
    const pathOf = (p) => paths.push(p);
    pathOf({ name: 'upload floor', group: 'floor', run: () =>
      timed(async () => {
        const r = floor.make();
        r.start();
        for (const f of cell.feeds) await r.chunk(f.logits);
        return {};
      }) });
    const copyFloor = makeCopyFloor(resident, plan.workgroupSize, plan.maxWorkgroups);
    pathOf({ name: 'copy floor (GPU time)', group: 'floor', run: () => copyFloor.run() });
    const host = (name, opts, dtype, feeds = cell.feeds) =>
      pathOf({ name, group: 'host', dtype, mode: opts.histogram ?? 'auto', chunkRows: rowsOf(opts),
        expect: dtype === 'f16' ? cell.oracle16 : cell.oracle, run: () =>
          timed(async () => {
            const r = confmatRunner(c, device, opts);
            r.start();
            for (const f of feeds) {
              await (dtype === 'f16' ?
                r.chunk(f.half, f.labels, { logitsDtype: 'float16' }) :
                r.chunk(f.logits, f.labels));
            }
            return { counts: await r.finish() };
          }) });
    const res = (name, opts, dtype) =>
      pathOf({ name, group: 'resident', dtype, mode: opts.histogram ?? 'auto', chunkRows: rowsOf(opts),
        expect: dtype === 'f16' ? cell.oracle16 : cell.oracle, run: () =>
          timed(async () => {
            const r = confmatRunner(c, device, opts);
            r.start();
            for (const g of resident) {
              await (dtype === 'f16' ?
                r.chunk(g.half, g.labels, { rows: g.rows, logitsDtype: 'float16' }) :
                r.chunk(g.logits, g.labels, { rows: g.rows }));
            }
            return { counts: await r.finish() };
          }) });
    host('host f32', {}, 'f32');
    host('host f32 chunk 8 MiB', chunkOpt(8), 'f32');
    if (!cell.streamed) host('host f32 chunk 128 MiB', chunkOpt(128), 'f32');
    else host('host f32 update() per resident piece', {}, 'f32', cell.pieces);
    if (F16) host('host f16', {}, 'f16');
    for (const mode of modes) {
      const h = mode === 'auto' ? {} : { histogram: mode };
      res(`resident f32 ${mode}`, h, 'f32');
      res(`resident f32 ${mode} chunk 512 MiB`, { ...h, ...chunkOpt(512) }, 'f32');
    }
    res('resident f32 auto chunk 8 MiB', chunkOpt(8), 'f32');
    res('resident f32 auto chunk 128 MiB', chunkOpt(128), 'f32');
    if (F16) {
      res('resident f16 auto', {}, 'f16');
      res('resident f16 auto chunk 512 MiB', chunkOpt(512), 'f16');
    }
    for (const mode of feasible) {
      const phases = createGpuPhases(device, c, gpu.timestamps, { histogram: mode });
      pathOf({ name: `phases ${mode} (kernels, GPU time)`, group: 'phases', mode, chunkRows: phases.plan.chunkRows,
        expect: cell.oracle, run: () =>
          timed(async () => {
            phases.start();
            for (const f of cell.feeds) await phases.chunk(f.logits, f.labels);
            const { counts, ms } = await phases.finish();
            return { counts, gpuMs: ms };
          }).then((o) => ({ ms: productKernels(o.gpuMs), counts: o.counts, extra: { ...o.gpuMs, wallMs: o.ms } })),
        destroy: () => phases.destroy() });
    }

    log(`  timing ${paths.length} paths, ${runs} runs each`);
    const state = await measure(paths, runs);
    let gpuCounts = null;
    for (const p of paths) {
      const s = state.get(p);
      if (p.name === 'host f32' && s.ok) gpuCounts = s.counts;
      const ms = s.runs.length ? median(s.runs) : null;
      const extra = s.extra.length ?
        Object.fromEntries(Object.keys(s.extra[0]).map((k) => [k, median(s.extra.map((e) => e[k]))])) :
        undefined;
      record.paths.push({ name: p.name, group: p.group, dtype: p.dtype, mode: p.mode, chunkRows: p.chunkRows, ms,
        runs: s.runs, warmMs: s.warmMs, gbPerS: ms ? bytes / ms / 1e6 : null, mRowsPerS: ms ? n / ms / 1e3 : null,
        countsOk: s.ok, error: s.error ?? undefined, extra });
      if (s.ok === false) record.notes.push(`WARNING: ${p.name}: counts differ from the CPU oracle's`);
      if (s.error) record.notes.push(`${p.name} failed: ${s.error}`);
      p.destroy?.();
    }
    floor.dispose();
    copyFloor.destroy();
    for (const r of resident) for (const b of [r.logits, r.labels, r.half]) b?.destroy();
    const get = (name) => record.paths.find((p) => p.name === name)?.ms ?? null;
    const upload = get('upload floor');
    const copy = get('copy floor (GPU time)');
    const best = (group, floorMs) => {
      const list = record.paths.filter((p) => p.group === group && p.dtype === 'f32' && p.ms);
      const b = list.sort((x, y) => x.ms - y.ms)[0];
      return b && floorMs ? [floorMs / b.ms, b.name] : [null, null];
    };
    const [bestHost, bestHostPath] = best('host', upload);
    const [bestRes, bestResPath] = best('resident', copy);
    record.ratios = { hostOfUpload: upload && get('host f32') ? upload / get('host f32') : null,
      bestHostOfUpload: bestHost, bestHostPath,
      residentOfCopy: copy && get('resident f32 auto') ? copy / get('resident f32 auto') : null,
      bestResidentOfCopy: bestRes, bestResidentPath: bestResPath };
    for (const p of record.paths) {
      p.ofUpload = p.group === 'host' && upload && p.ms ? upload / p.ms : undefined;
      p.ofCopy = (p.group === 'resident' || p.group === 'phases') && copy && p.ms ? copy / p.ms : undefined;
    }
    record.phases = record.paths.filter((p) => p.group === 'phases' && p.extra).map((p) => ({ mode: p.mode,
      ms: p.extra })
    );

    console.log(
      `\n${key}${cell.streamed ? ' (streamed)' : ''}: ${
        (bytes / 1e9).toFixed(2)
      } GB of logits, plan: ${plan.histogram}, chunkRows ${plan.chunkRows}, workgroup ${plan.workgroupSize}; ${runs} runs`,
    );
    printTable([['path', 'chunk rows', 'median ms', 'GB/s', 'M rows/s', 'of upload', 'of copy', 'counts'],
      ...record.paths.map((
        p,
      ) => [p.name, String(p.chunkRows ?? '-'), p.ms == null ? 'failed' : p.ms.toFixed(p.ms < 10 ? 3 : 1),
        sig(p.gbPerS), sig(p.mRowsPerS), pct(p.ofUpload), pct(p.ofCopy),
        p.countsOk == null ? '-' : p.countsOk ? 'ok' : 'WRONG']
      )]);
    for (const ph of record.phases) {
      const m = ph.ms;
      console.log(
        `  phases ${ph.mode} (GPU ms, summed over chunks): upload ${m.upload?.toFixed(2)}, argmax ${
          m.argmax?.toFixed(2)
        }, histogram ${m.histogram?.toFixed(2)}, fused ${m.fused?.toFixed(2)}, readback ${
          m.readback?.toFixed(3)
        }, copy ${m.copy?.toFixed(2)}, read-rows ${m.readRows?.toFixed(2)}; host staging ${
          m.uploadHost?.toFixed(1)
        }, wall ${m.wallMs?.toFixed(1)}`,
      );
    }
    for (const note of record.notes) console.log(`  note: ${note}`);

    if (npy) record.npy = writeCellNpy(cell, gpuCounts ?? cell.oracle, F16 ? cell.oracle16 : null);
    write();
    log(`  done ${key}`);
  }

  // ---------- summary ----------
  if (gpu) {
    console.log(
      '\nGB/s counts the logits (N x C x 4 bytes, also for float16). host = end to end from host arrays (wall);',
    );
  }
  if (gpu) {
    console.log(
      'resident = logits and labels already in GPU buffers (wall, from createConfusionMatrix to compute()); copy floor and phases = GPU time (timestamp queries).',
    );
  }
  if (gpu) {
    console.log(
      '"of upload" = upload floor ms / path ms; "of copy" = copy floor ms / path ms (1 = as fast as the floor).',
    );
  }
  const t = targets();
  if (t.length) {
    console.log('\nissue #5 real-GPU targets (c, torchmetrics, comes from bench/device-torch.py):');
    printTable([['target', 'N x C', 'default', 'best', 'best path', 'met'],
      ...t.map((
        x,
      ) => [x.target.slice(0, 2), `${e0(x.n)}x${x.c}`, pct(x.value), pct(x.best), x.bestPath ?? '-',
        x.met == null ? '-' : x.met ? 'yes' : 'no']
      )]);
    console.log(
      'a: end to end from host >= 70% of the upload floor; b: resident >= 60% of the copy kernel over the same bytes.',
    );
  }
  for (const note of notes) console.log(`note: ${note}`);
  write();
  if (OUT) console.log(`wrote ${OUT}; total ${((performance.now() - t0) / 1e3).toFixed(0)} s`);
  await Promise.all(workers.map((w) => w.terminate()));
  gpu?.destroy();
  process.exit(gpu ? 0 : 2);
}
