// Kernel variants of confmat's GPU path, timed with timestamp queries on resident data (no upload):
// workgroup size, rows per invocation, vec4 loads, workgroup-private and invocation-local
// histograms, fused argmax + count; next to the copy and read-rows floors over the same bytes.
// Every variant's counts are checked against the JS loop. Bench-only kernels live in bench/kernels/.
//
// Usage: node bench/variants.mjs [--n 1000000] [--cs 2,10,100] [--runs 5]
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { planGpu } from '../dist/engine/chunk-plan.js';
import { getPipeline } from '../dist/engine/pipelines.js';
import { argmaxWgsl, histogramWgsl } from '../dist/engine/shaders.generated.js';

const SHADERS = { argmax: argmaxWgsl, histogram: histogramWgsl };
const kernelPipeline = (device, kernel, constants) => getPipeline(device, kernel, constants, SHADERS);
import { makeData } from './lib/data.mjs';
import { openBenchDevice } from './lib/device.mjs';
import { benchPipeline } from './lib/gpu-phases.mjs';
import { branchyLoop } from './lib/paths.mjs';
import { printTable } from './lib/report.mjs';

const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const N = Number(arg('--n', '1e6'));
const CS = arg('--cs', '2,10,100').split(',').map(Number);
const RUNS = Number(arg('--runs', '5'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

const gpu = await openBenchDevice();
if (!gpu) throw new Error('no WebGPU adapter');
const { device } = gpu;
const U = GPUBufferUsage;
if (!gpu.timestamps) console.log('note: no timestamp-query: times are wall clock per submit');
console.log(`kernel variants, N=${N}, adapter ${gpu.label}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);

function variantsFor(c, wg) {
  const k = (NUM_CLASSES, extra = {}) => ({ NUM_CLASSES, WORKGROUP_SIZE: wg, ...extra });
  const list = [];
  const twoPass = (name, argmax, count, countPerGroup = null) =>
    list.push({ name, passes: [{ ...argmax, out: 'preds' }, { ...count, perGroup: countPerGroup, in: 'preds' }] });
  const argmax = (w = wg) => ({ pipeline: kernelPipeline(device, 'argmax', { NUM_CLASSES: c, WORKGROUP_SIZE: w }),
    layout: 'argmax', wg: w, rowsPerInv: 1 });
  const global = (w = wg) => ({ pipeline: kernelPipeline(device, 'count_global', { NUM_CLASSES: c, WORKGROUP_SIZE: w }),
    layout: 'count', wg: w, rowsPerInv: 1 });
  twoPass(`baseline: argmax + count_global (wg ${wg})`, argmax(), global());
  for (const w of [64, 128]) if (w !== wg) twoPass(`workgroup size ${w}`, argmax(w), global(w));
  list.push({ name: 'argmax only (no count)', passes: [{ ...argmax(), out: 'preds' }] });
  twoPass('argmax 4 rows/invocation', {
    pipeline: benchPipeline(device, 'argmax-rows.wgsl', 'argmax_rows', k(c, { ROWS: 4 })),
    layout: 'argmax',
    wg,
    rowsPerInv: 4,
  }, global());
  if (c % 4 === 0) {
    twoPass('argmax vec4 loads', { pipeline: benchPipeline(device, 'argmax-vec4.wgsl', 'argmax_vec4', k(c)),
      layout: 'argmax', wg, rowsPerInv: 1 }, global());
  }
  if (c * c * 4 <= device.limits.maxComputeWorkgroupStorageSize) {
    twoPass('count_private (workgroup atomics)', argmax(), {
      pipeline: kernelPipeline(device, 'count_private', k(c, { PRIVATE_BINS: c * c })),
      layout: 'count',
      wg,
      rowsPerInv: 1,
    }, (w) => Math.max(w * 8, c * c * 4));
  }
  if (c <= 4) {
    twoPass('count_local 64 rows/invocation', argmax(), {
      pipeline: benchPipeline(device, 'histogram-local.wgsl', 'count_local', k(c, { ROWS: 64 })),
      layout: 'count',
      wg,
      rowsPerInv: 64,
    });
  }
  list.push({ name: 'fused argmax+count (global atomics)',
    passes: [{ pipeline: benchPipeline(device, 'fused.wgsl', 'fused', k(c)), layout: 'fused', wg, rowsPerInv: 1 }] });
  if (c <= 4) {
    list.push({ name: 'fused, local counts 64 rows/invocation',
      passes: [{ pipeline: benchPipeline(device, 'fused.wgsl', 'fused_local', k(c, { ROWS: 64 })), layout: 'fused', wg,
        rowsPerInv: 64 }] });
  }
  if (c <= 10) {
    for (const rows of [64, 256]) {
      list.push({ name: `fused, local counts (100 cells) ${rows} rows/invocation`,
        passes: [{ pipeline: benchPipeline(device, 'fused.wgsl', 'fused_local100', k(c, { ROWS: rows })),
          layout: 'fused', wg, rowsPerInv: rows }] });
    }
  }
  list.push({ name: 'floor: copy kernel (vec4)', floor: true,
    passes: [{ pipeline: benchPipeline(device, 'copy.wgsl', 'copy', { WORKGROUP_SIZE: wg }), layout: 'copy', wg,
      rowsPerInv: 1 }] });
  list.push({ name: 'floor: read-rows kernel', floor: true,
    passes: [{ pipeline: benchPipeline(device, 'read-rows.wgsl', 'read_rows', k(c)), layout: 'argmax', wg,
      rowsPerInv: 1 }] });
  return list;
}

const results = [];
for (const c of CS) {
  const plan = planGpu(device.limits, c, {}, device.adapterInfo);
  const { chunkRows, workgroupSize: wg, maxWorkgroups } = plan;
  const data = makeData(N, c, 42, 1 << 20);
  const oracle = branchyLoop(data.logits, data.labels, c, new Float64Array(c * c));
  const made = [];
  const buffer = (size, usage, init) => {
    const b = device.createBuffer({ size: Math.ceil(Math.max(16, size) / 16) * 16, usage });
    if (init) device.queue.writeBuffer(b, 0, init);
    made.push(b);
    return b;
  };
  const chunks = [];
  for (let start = 0; start < N; start += chunkRows) {
    const n = Math.min(chunkRows, N - start);
    const params = buffer(16, U.UNIFORM | U.COPY_DST, new Uint32Array([n, start, 0, 0]));
    const copyParams = buffer(16, U.UNIFORM | U.COPY_DST, new Uint32Array([Math.ceil((n * c) / 4), 0, 0, 0]));
    const logits = buffer(n * c * 4, U.STORAGE | U.COPY_DST, data.logits.subarray(start * c, (start + n) * c));
    const labels = buffer(n * 4, U.STORAGE | U.COPY_DST, Uint32Array.from(data.labels.subarray(start, start + n)));
    chunks.push({ n, params, copyParams, logits, labels, preds: buffer(n * 4, U.STORAGE),
      copyDst: buffer(n * c * 4, U.STORAGE) });
  }
  const counts = buffer((c * c + 4) * 4, U.STORAGE | U.COPY_SRC | U.COPY_DST);
  const readback = buffer((c * c + 4) * 4, U.MAP_READ | U.COPY_DST);
  const queries = 2 * chunks.length * 2;
  const querySet = gpu.timestamps ? device.createQuerySet({ type: 'timestamp', count: queries }) : null;
  const resolve = buffer(queries * 8, U.QUERY_RESOLVE | U.COPY_SRC);
  const queryRead = buffer(queries * 8, U.MAP_READ | U.COPY_DST);
  const resources = (layout, ch) =>
    ({ argmax: [ch.params, ch.logits, ch.preds], count: [ch.params, ch.labels, ch.preds, counts],
      fused: [ch.params, ch.logits, ch.labels, counts], copy: [ch.copyParams, ch.logits, ch.copyDst] })[layout];
  const copyMs = [];
  let baseline;
  for (const v of variantsFor(c, wg)) {
    const groups = chunks.map((ch) =>
      v.passes.map((p) =>
        device.createBindGroup({ layout: p.pipeline.getBindGroupLayout(0),
          entries: resources(p.layout, ch).map((buffer, binding) => ({ binding, resource: { buffer } })) })
      )
    );
    const runs = [];
    let ok = null;
    for (let r = 0; r <= RUNS; r++) {
      const e = device.createCommandEncoder();
      e.clearBuffer(counts);
      let q = 0;
      const t = performance.now();
      chunks.forEach((ch, i) =>
        v.passes.forEach((p, j) => {
          const pass = e.beginComputePass(
            querySet ? { timestampWrites: { querySet, beginningOfPassWriteIndex: q, endOfPassWriteIndex: q + 1 } } : {},
          );
          q += 2;
          pass.setPipeline(p.pipeline);
          pass.setBindGroup(0, groups[i][j]);
          const work = p.layout === 'copy' ? Math.ceil((ch.n * c) / 4) : ch.n;
          const per = p.perGroup ? p.perGroup(p.wg) : p.wg * p.rowsPerInv;
          pass.dispatchWorkgroups(Math.max(1, Math.min(Math.ceil(work / per), maxWorkgroups)));
          pass.end();
        })
      );
      e.copyBufferToBuffer(counts, 0, readback, 0, (c * c + 4) * 4);
      if (querySet) {
        e.resolveQuerySet(querySet, 0, q, resolve, 0);
        e.copyBufferToBuffer(resolve, 0, queryRead, 0, q * 8);
      }
      device.queue.submit([e.finish()]);
      await device.queue.onSubmittedWorkDone();
      const wall = performance.now() - t;
      let ms = wall;
      if (querySet) {
        await queryRead.mapAsync(GPUMapMode.READ, 0, q * 8);
        const ts = new BigUint64Array(queryRead.getMappedRange(0, q * 8)).slice();
        queryRead.unmap();
        ms = 0;
        for (let i = 0; i < q; i += 2) ms += Number(ts[i + 1] - ts[i]) / 1e6;
      }
      if (r === 0 && !v.floor && !v.name.startsWith('argmax only')) {
        await readback.mapAsync(GPUMapMode.READ);
        const got = new Uint32Array(readback.getMappedRange()).slice(0, c * c);
        readback.unmap();
        ok = got.every((x, i) => x === oracle[i]);
      }
      if (r > 0) runs.push(ms);
    }
    const ms = median(runs);
    if (v.name.startsWith('baseline')) baseline = ms;
    if (v.name.startsWith('floor: copy')) copyMs.push(ms);
    results.push({ c, n: N, variant: v.name, ms, runs, ok, floor: !!v.floor });
    process.stderr.write(`C=${c} ${v.name}: ${ms.toFixed(1)} ms${ok === false ? ' WRONG COUNTS' : ''}\n`);
  }
  for (const r of results.filter((x) => x.c === c)) {
    r.vsBaseline = baseline / r.ms;
    r.ofCopy = copyMs[0] / r.ms;
  }
  querySet?.destroy();
  for (const b of made) b.destroy();
}

printTable([['C', 'variant', 'median ms', 'GB/s', 'speed-up vs baseline', 'of copy floor', 'counts'],
  ...results.map((
    r,
  ) => [String(r.c), r.variant, r.ms.toFixed(1), ((r.n * r.c * 4) / r.ms / 1e6).toFixed(3), r.vsBaseline.toFixed(2),
    `${(100 * r.ofCopy).toFixed(0)}%`, r.ok == null ? '-' : r.ok ? 'ok' : 'WRONG']
  )]);
console.log(
  `GPU time (timestamp queries) of the kernels only, summed over chunks of ${"the plan's chunkRows"}; median of ${RUNS} after a warm-up.`,
);
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results',
  `${new Date().toISOString().slice(0, 10)}-${gpu.slug}-variants.json`);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out,
  JSON.stringify({ date: new Date().toISOString(), adapter: gpu.label, n: N, runs: RUNS, load: os.loadavg(), results },
    null, 2) + '\n');
console.log(`wrote ${path.relative(process.cwd(), out)}`);
gpu.destroy();
process.exit(0);
