// GPU time per phase of confmat's GPU path, with timestamp queries where the adapter has them.
//
// Per chunk of the plan's chunkRows (as src/tasks/multiclass/update-gpu.ts cuts a batch), one command buffer:
//   [empty pass, ts0 at its end] copy staging -> logits, labels [argmax pass ts1..ts2]
//   [count pass ts3..ts4] copy counts -> readback [empty pass, ts5 at its start]
//   [copy-kernel pass ts6..ts7] [read-rows pass ts8..ts9]
// so upload = ts1 - ts0 (the device's copy of the bytes), argmax = ts2 - ts1, histogram = ts4 - ts3,
// readback = ts5 - ts4 (the counts' copy), copy floor = ts7 - ts6, read-rows floor = ts9 - ts8.
// Host-side parts are wall-clock: filling the mapped staging buffers (uploadHost) and mapping the
// counts at the end (readbackHost). Without 'timestamp-query' every phase is its own submit, timed
// on the wall clock around onSubmittedWorkDone (the phases then include submit overhead).
// The kernels and bind layouts are confmat's own (getPipeline), dispatched as gpu-update.ts does.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_ROWS, planGpu, WIDE_LANES } from '../../dist/engine/chunk-plan.js';
import { bindGroup, getPipeline } from '../../dist/engine/pipelines.js';
import { argmaxWgsl, histogramWgsl } from '../../dist/engine/shaders.generated.js';

const SHADERS = { argmax: argmaxWgsl, histogram: histogramWgsl };
const kernelPipeline = (device, kernel, constants) => getPipeline(device, kernel, constants, SHADERS);

/**
 * Where the bench kernels (bench/kernels/*.wgsl) are: beside this module's folder when run from the
 * repository, `kernels/` beside the bundle when bundled (bench/device/pack.sh copies them there:
 * inside a bundle import.meta.url is the bundle's), or $CONFMAT_BENCH_KERNELS.
 * @example
 * readFileSync(path.join(benchKernelDir(), 'copy.wgsl'), 'utf8');
 */
export function benchKernelDir() {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dirs = [process.env.CONFMAT_BENCH_KERNELS, path.join(here, '..', 'kernels'), path.join(here, 'kernels')].filter(
    Boolean,
  );
  const dir = dirs.find((d) => existsSync(path.join(d, 'copy.wgsl')));
  if (!dir) {
    throw new Error(
      `bench kernels (copy.wgsl) not found in ${dirs.join(', ')}: set CONFMAT_BENCH_KERNELS to bench/kernels`,
    );
  }
  return dir;
}
const QUERIES = 12;
const PHASES = ['upload', 'argmax', 'histogram', 'fused', 'readback', 'copy', 'readRows'];

/** A bench-only kernel from bench/kernels, one pipeline per device, file and constants. */
const benchPipelines = new WeakMap();
/**
 * Builds (once) the pipeline of `entry` in bench/kernels/`file`.
 * @example
 * const p = benchPipeline(device, 'copy.wgsl', 'copy', { WORKGROUP_SIZE: 256 });
 */
export function benchPipeline(device, file, entry, constants) {
  let cache = benchPipelines.get(device);
  if (!cache) benchPipelines.set(device, cache = new Map());
  const key = `${file}:${entry}:${JSON.stringify(constants)}`;
  if (!cache.has(key)) {
    const module = device.createShaderModule({ label: file,
      code: readFileSync(path.join(benchKernelDir(), file), 'utf8') });
    cache.set(key,
      device.createComputePipeline({ label: key, layout: 'auto', compute: { module, entryPoint: entry, constants } }));
  }
  return cache.get(key);
}

/**
 * A phase timer for `c` classes on `device`: `start()`, then `chunk(logits, labels)` for each
 * batch, then `finish()` gives the exact counts and the milliseconds of each phase, summed.
 * `planOptions` (histogram, chunkRows, ...) as the product's; default: the product's plan.
 * @example
 * const t = createGpuPhases(device, 10, true, { histogram: 'global' });
 * t.start(); await t.chunk(logits, labels); const { counts, ms } = await t.finish();
 */
export function createGpuPhases(device, c, timestamps, planOptions = {}) {
  const plan = planGpu(device.limits, c, planOptions, device.adapterInfo);
  const { chunkRows, workgroupSize: wg, maxWorkgroups } = plan;
  const cells = c * c;
  const argmax = kernelPipeline(device, 'argmax', { NUM_CLASSES: c, WORKGROUP_SIZE: wg });
  const countKernel = plan.histogram === 'private' ? 'count_private' : 'count_global';
  const count = kernelPipeline(device, countKernel, { NUM_CLASSES: c, WORKGROUP_SIZE: wg,
    ...(plan.histogram === 'private' ? { PRIVATE_BINS: cells } : {}) });
  const countRowsPerGroup = plan.histogram === 'private' ? Math.max(wg * 8, cells * 4) : wg;
  // What the product runs without workgroup-private counts: argmax and count fused in one pass (into its
  // own counts here), with global atomics, at C <= 10 on emulated adapters invocation-local counts, or
  // ('wide') WIDE_LANES invocations per row.
  const lanes = 2 ** Math.floor(Math.log2(Math.min(WIDE_LANES, wg)));
  const fusedKernel =
    { local: ['argmax_count_local', { LOCAL_ROWS }, wg * LOCAL_ROWS],
      wide: ['argmax_count_wide', { LANES: lanes }, Math.floor(wg / lanes)],
      global: ['argmax_count', { TOP_K: 0 }, wg] }[plan.histogram];
  const fused = fusedKernel &&
    kernelPipeline(device, fusedKernel[0], { NUM_CLASSES: c, WORKGROUP_SIZE: wg, ...fusedKernel[1] });
  const copy = benchPipeline(device, 'copy.wgsl', 'copy', { WORKGROUP_SIZE: wg });
  const readRows = benchPipeline(device, 'read-rows.wgsl', 'read_rows', { NUM_CLASSES: c, WORKGROUP_SIZE: wg });

  const made = [];
  const buffer = (label, size, usage) => {
    const b = device.createBuffer({ label, size: Math.ceil(Math.max(size, 16) / 16) * 16, usage });
    made.push(b);
    return b;
  };
  const U = GPUBufferUsage;
  const logitBytes = chunkRows * c * 4;
  const params = buffer('params', 16, U.UNIFORM | U.COPY_DST);
  const copyParams = buffer('copy params', 16, U.UNIFORM | U.COPY_DST);
  const logits = buffer('logits', logitBytes, U.STORAGE | U.COPY_DST);
  const labels = buffer('labels', chunkRows * 4, U.STORAGE | U.COPY_DST);
  const preds = buffer('preds', chunkRows * 4, U.STORAGE);
  const counts = buffer('counts', (cells + 4) * 4, U.STORAGE | U.COPY_SRC | U.COPY_DST);
  const readback = buffer('readback', (cells + 4) * 4, U.MAP_READ | U.COPY_DST);
  const fusedCounts = buffer('fused counts', (cells + 4) * 4, U.STORAGE);
  const copyDst = buffer('copy dst', logitBytes, U.STORAGE);
  const rowsOut = buffer('read-rows out', chunkRows * 4, U.STORAGE);
  const stageLogits = buffer('staging logits', logitBytes, U.MAP_WRITE | U.COPY_SRC);
  const stageLabels = buffer('staging labels', chunkRows * 4, U.MAP_WRITE | U.COPY_SRC);
  const querySet = timestamps ? device.createQuerySet({ type: 'timestamp', count: QUERIES }) : null;
  const resolve = timestamps ? buffer('query resolve', QUERIES * 8, U.QUERY_RESOLVE | U.COPY_SRC) : null;
  const queryRead = timestamps ? buffer('query read', QUERIES * 8, U.MAP_READ | U.COPY_DST) : null;
  const group = (p, bufs) =>
    device.createBindGroup({ layout: p.getBindGroupLayout(0),
      entries: bufs.map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const groups = { argmax: bindGroup(device, 'argmax', argmax, { params, logits, preds }),
    count: bindGroup(device, countKernel, count, { params, labels, preds, counts }),
    copy: group(copy, [copyParams, logits, copyDst]), readRows: group(readRows, [params, logits, rowsOut]),
    fused: fused && bindGroup(device, fusedKernel[0], fused, { params, logits, labels, counts: fusedCounts }) };
  const groupsFor = (rows, per) => Math.max(1, Math.min(Math.ceil(rows / per), maxWorkgroups));
  const ms = {};
  let uploadHost = 0;
  let readbackHost = 0;

  const dispatch = (encoder, pipeline, bindGroup, n, ts) => {
    const pass = encoder.beginComputePass(
      ts ? { timestampWrites: { querySet, beginningOfPassWriteIndex: ts, endOfPassWriteIndex: ts + 1 } } : {},
    );
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(n);
    pass.end();
  };
  const mark = (encoder, at, write) => encoder.beginComputePass({ timestampWrites: { querySet, [write]: at } }).end();

  const encoders = (n) => ({ upload: (e) => {
    e.copyBufferToBuffer(stageLogits, 0, logits, 0, n * c * 4);
    e.copyBufferToBuffer(stageLabels, 0, labels, 0, n * 4);
  }, argmax: (e, ts) => dispatch(e, argmax, groups.argmax, groupsFor(n, wg), ts),
    histogram: (e, ts) => dispatch(e, count, groups.count, groupsFor(n, countRowsPerGroup), ts),
    fused: (e, ts) => (fused ? dispatch(e, fused, groups.fused, groupsFor(n, fusedKernel[2]), ts) : undefined),
    readback: (e) => e.copyBufferToBuffer(counts, 0, readback, 0, (cells + 4) * 4),
    copy: (e, ts) => dispatch(e, copy, groups.copy, groupsFor(Math.ceil((n * c) / 4), wg), ts),
    readRows: (e, ts) => dispatch(e, readRows, groups.readRows, groupsFor(n, wg), ts) });

  const subChunk = async (l, y, start, n) => {
    let t = performance.now();
    await Promise.all([stageLogits.mapAsync(GPUMapMode.WRITE, 0, n * c * 4),
      stageLabels.mapAsync(GPUMapMode.WRITE, 0, n * 4)]);
    new Float32Array(stageLogits.getMappedRange(0, n * c * 4)).set(l.subarray(start * c, (start + n) * c));
    new Uint32Array(stageLabels.getMappedRange(0, n * 4)).set(y.subarray(start, start + n));
    stageLogits.unmap();
    stageLabels.unmap();
    uploadHost += performance.now() - t;
    device.queue.writeBuffer(params, 0, new Uint32Array([n, start, 0, 0]));
    device.queue.writeBuffer(copyParams, 0, new Uint32Array([Math.ceil((n * c) / 4), 0, 0, 0]));
    const enc = encoders(n);
    if (!timestamps) {
      for (const phase of PHASES) {
        t = performance.now();
        const e = device.createCommandEncoder();
        enc[phase](e);
        device.queue.submit([e.finish()]);
        await device.queue.onSubmittedWorkDone();
        ms[phase] += performance.now() - t;
      }
      return;
    }
    const e = device.createCommandEncoder({ label: 'bench phases' });
    mark(e, 0, 'endOfPassWriteIndex');
    enc.upload(e);
    enc.argmax(e, 1);
    enc.histogram(e, 3);
    enc.readback(e);
    mark(e, 5, 'beginningOfPassWriteIndex');
    enc.copy(e, 6);
    enc.readRows(e, 8);
    if (fused) enc.fused(e, 10);
    e.resolveQuerySet(querySet, 0, QUERIES, resolve, 0);
    e.copyBufferToBuffer(resolve, 0, queryRead, 0, QUERIES * 8);
    device.queue.submit([e.finish()]);
    await queryRead.mapAsync(GPUMapMode.READ);
    const q = new BigUint64Array(queryRead.getMappedRange()).slice();
    queryRead.unmap();
    const d = (a, b) => Number(q[b] - q[a]) / 1e6;
    ms.upload += d(0, 1);
    ms.argmax += d(1, 2);
    ms.histogram += d(3, 4);
    ms.readback += d(4, 5);
    ms.copy += d(6, 7);
    ms.readRows += d(8, 9);
    if (fused) ms.fused += d(10, 11);
  };

  return { plan, start() {
    for (const p of PHASES) ms[p] = 0;
    uploadHost = 0;
    readbackHost = 0;
    const e = device.createCommandEncoder();
    e.clearBuffer(counts);
    device.queue.submit([e.finish()]);
  }, async chunk(l, y) {
    const rows = y.length;
    for (let start = 0; start < rows; start += chunkRows) {
      await subChunk(l, y, start, Math.min(chunkRows, rows - start));
    }
  }, async finish() {
    const t = performance.now();
    await readback.mapAsync(GPUMapMode.READ);
    const u = new Uint32Array(readback.getMappedRange()).slice();
    readback.unmap();
    readbackHost += performance.now() - t;
    if (u[cells] || u[cells + 1]) {
      throw new Error(`phases: ${u[cells]} labels and ${u[cells + 1]} predictions out of range`);
    }
    return { counts: Float64Array.from(u.subarray(0, cells)), ms: { ...ms, uploadHost, readbackHost } };
  }, destroy() {
    for (const b of made) b.destroy();
    querySet?.destroy();
  } };
}
