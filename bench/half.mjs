#!/usr/bin/env node
// float32 vs float16 logits through the product's GPU path (bench/NOTES.md, 8): 1e6 x 10 by
// default, from host arrays (upload included) and from GPU buffers (no upload), alternating the
// two dtypes, median of the runs; then the fused kernel alone (argmax_count over the whole batch as
// one dispatch on bound buffers, from submit to done). Each figure is wall clock and the process's
// CPU time (user + system): SwiftShader runs in the process, so CPU time is the steadier measure on
// a shared machine. Needs `npm run build`. Usage: node bench/half.mjs [rows] [classes] [runs]
import { planGpu } from '../dist/engine/chunk-plan.js';
import { getPipeline } from '../dist/engine/pipelines.js';
import { argmaxWgsl, histogramWgsl } from '../dist/engine/shaders.generated.js';

const SHADERS = { argmax: argmaxWgsl, histogram: histogramWgsl };
const kernelPipeline = (device, kernel, constants) => getPipeline(device, kernel, constants, SHADERS);
import { confusionMatrix } from '../dist/index.js';
import { openBenchDevice } from './lib/device.mjs';

const [rows, c, runs] = [Number(process.argv[2] ?? 1e6), Number(process.argv[3] ?? 10), Number(process.argv[4] ?? 7)];
const gpu = await openBenchDevice();
if (!gpu) throw new Error('no WebGPU adapter');
const { device } = gpu;

let seed = 1;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const f32 = new Float32Array(rows * c);
for (let i = 0; i < f32.length; i++) f32[i] = Math.round((rand() * 8 - 4) * 64) / 64; // exact in float16
const f16 = new Uint16Array(f32.length);
const bits = new Uint32Array(f32.buffer);
for (let i = 0; i < f16.length; i++) {
  const b = bits[i];
  const e = ((b >>> 23) & 0xff) - 112;
  f16[i] = ((b >>> 16) & 0x8000) | (e <= 0 ? 0 : (e << 10) | ((b >>> 13) & 0x3ff));
}
const labels = Uint32Array.from({ length: rows }, () => Math.floor(rand() * c));

const upload = (data) => {
  const b = device.createBuffer({ label: 'bench logits', size: Math.ceil(data.byteLength / 4) * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(b, 0, data);
  return b;
};
const labelBuffer = upload(labels);
const cases = { 'f32 host': { logits: f32, labels }, 'f16 host': { logits: f16, logitsDtype: 'float16', labels },
  'f32 buffer': { logits: upload(f32), labels: labelBuffer, rows },
  'f16 buffer': { logits: upload(f16), logitsDtype: 'float16', labels: labelBuffer, rows } };
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
const cpuMs = (since) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};
let reference;
for (let r = 0; r < runs + 1; r++) {
  for (const [name, batch] of Object.entries(cases)) {
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    const result = await confusionMatrix(batch, { numClasses: c, device });
    const ms = [performance.now() - t0, cpuMs(c0)];
    reference ??= result.counts;
    if (result.counts.some((v, i) => v !== reference[i])) throw new Error(`${name}: counts differ`);
    if (r > 0) times[name].push(ms); // the first round compiles the pipelines
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const show = (name, t) =>
  console.log(
    `  ${name.padEnd(11)} wall ${median(t.map((x) => x[0])).toFixed(1).padStart(7)}   cpu ${
      median(t.map((x) => x[1])).toFixed(1).padStart(7)
    }`,
  );
console.log(`${gpu.label}: ${rows} x ${c}, medians of ${runs} runs (ms), end to end:`);
for (const [name, t] of Object.entries(times)) show(name, t);

const plan = planGpu(device.limits, c, { histogram: 'global' }, device.adapterInfo);
const params = device.createBuffer({ label: 'bench params', size: 16,
  usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
device.queue.writeBuffer(params, 0, Uint32Array.of(rows, 0, 0, 0));
const counts = device.createBuffer({ label: 'bench counts', size: (c * c + 4) * 4,
  usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
const kernels = { 'f32 kernel': [cases['f32 buffer'].logits, {}],
  'f16 kernel': [cases['f16 buffer'].logits, { LOGIT_BITS: 16, HALF_INF: 0x7c00 }] };
const ktimes = Object.fromEntries(Object.keys(kernels).map((k) => [k, []]));
for (let r = 0; r < runs + 1; r++) {
  for (const [name, [logits, extra]] of Object.entries(kernels)) {
    const pipeline = kernelPipeline(device, 'argmax_count', { NUM_CLASSES: c, WORKGROUP_SIZE: plan.workgroupSize,
      TOP_K: 0, ...extra });
    const group = device.createBindGroup({ label: 'bench', layout: pipeline.getBindGroupLayout(0),
      entries: [params, logits, labelBuffer, counts].map((buffer, i) => ({ binding: [0, 1, 3, 4][i],
        resource: { buffer } })
      ) });
    await device.queue.onSubmittedWorkDone();
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    const encoder = device.createCommandEncoder({ label: 'bench kernel' });
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(Math.min(Math.ceil(rows / plan.workgroupSize), plan.maxWorkgroups));
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    if (r > 0) ktimes[name].push([performance.now() - t0, cpuMs(c0)]);
  }
}
console.log(`  fused kernel alone, one dispatch of ${rows} rows (ms):`);
for (const [name, t] of Object.entries(ktimes)) show(name, t);
gpu.destroy();
