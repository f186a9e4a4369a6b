// The timed paths: floors, confmat's own paths and the peers. Each is a runner factory:
// `start()`, then `chunk(logits, labels)` per batch (once for an in-memory cell, once per chunk
// when streamed), then `finish()`, which returns the C x C counts (Float64Array, row-major) for
// the correctness check, or null for floors. Everything a user would do per call is timed
// (creating the confusion matrix, converting labels, argmax); devices and worker pools are made
// once per cell, outside the timings.
import { ConfusionMatrix as MlConfusionMatrix } from 'ml-confusion-matrix';
import { formatBatch } from '../../dist/format/validate.js';
import { createConfusionMatrix } from '../../dist/index.js';
import * as nodeApi from '../../dist/node/index.js';
import { createGpuPhases } from './gpu-phases.mjs';

/** Hook for the worker-thread CPU path: null when this build of confmat lacks createCpuWorkerCounter. */
export const createCpuWorkerCounter = nodeApi.createCpuWorkerCounter ?? null;

const UPLOAD_CHUNK = 32 * 1024 * 1024;

/**
 * A 4-accumulator sum over the logits: the host's read pass over the same bytes.
 * @example
 * readPass(new Float32Array([1, 2, 3])); // 6
 */
export function readPass(logits) {
  let a = 0, b = 0, c = 0, d = 0;
  const n = logits.length - (logits.length % 4);
  for (let i = 0; i < n; i += 4) {
    a += logits[i];
    b += logits[i + 1];
    c += logits[i + 2];
    d += logits[i + 3];
  }
  for (let i = n; i < logits.length; i++) a += logits[i];
  return a + b + c + d;
}

/**
 * The plain JS loop a user would write: argmax (first maximum wins) and a count. Also the oracle.
 * @example
 * branchyLoop(new Float32Array([0, 1]), new Uint8Array([1]), 2, new Float64Array(4)); // counts[3] === 1
 */
export function branchyLoop(logits, labels, c, counts) {
  const n = labels.length;
  for (let i = 0; i < n; i++) {
    const row = i * c;
    let best = 0;
    let max = logits[row];
    for (let j = 1; j < c; j++) {
      const v = logits[row + j];
      if (v > max) {
        max = v;
        best = j;
      }
    }
    counts[labels[i] * c + best]++;
  }
  return counts;
}

const runner = (o) => ({ start() {}, async finish() {
  return null;
}, ...o });

/**
 * The host -> GPU upload floor: `writeBuffer` of each chunk's logits in 32 MiB pieces into one
 * buffer, then `onSubmittedWorkDone`. A path entry: { name, kind, make(): runner, dispose() }.
 * @example
 * const floor = uploadFloorPath(device); const r = floor.make(); r.start(); await r.chunk(logits);
 */
export function uploadFloorPath(device) {
  let buf;
  return { name: 'host->GPU upload floor', kind: 'floor', make: () =>
    runner({ start() {
      buf ??= device.createBuffer({ label: 'upload floor', size: UPLOAD_CHUNK, usage: GPUBufferUsage.COPY_DST });
    }, async chunk(l) {
      const bytes = new Uint8Array(l.buffer, l.byteOffset, l.byteLength);
      for (let off = 0; off < bytes.length; off += UPLOAD_CHUNK) {device.queue.writeBuffer(buf, 0, bytes, off,
          Math.min(UPLOAD_CHUNK, bytes.length - off));}
      await device.queue.onSubmittedWorkDone();
    } }), dispose: () => buf?.destroy() };
}

/**
 * confmat as a user runs it: `createConfusionMatrix` (on `device`, or the CPU without one) with
 * `options` (histogram, chunkRows, ...), `update({ logits, labels, ...extra })` per chunk (extra:
 * `rows` for GPU buffers, `logitsDtype` for halves), then `compute()`; finish() gives the counts.
 * @example
 * const r = confmatRunner(10, device, { histogram: 'global' }); r.start(); await r.chunk(logits, labels); const counts = await r.finish();
 */
export function confmatRunner(c, device, options = {}) {
  let cm;
  return runner({ start() {
    cm = createConfusionMatrix({ numClasses: c, device, ...options });
  }, chunk: (logits, labels, extra) => cm.update({ logits, labels, ...extra }), async finish() {
    const { counts } = await cm.compute();
    cm.destroy();
    return Float64Array.from(counts);
  } });
}

/**
 * The in-process paths for `c` classes, given the bench device (or null) and tfjs (or null).
 * Each entry: { name, kind: 'floor' | 'baseline' | 'confmat' | 'peer', make(): runner, skip?(n, streamed): reason }.
 * @example
 * const paths = makePaths({ c: 10, gpu, tf, full: false });
 */
export function makePaths({ c, gpu, tf, limits }) {
  const paths = [];
  paths.push({ name: 'host read floor', kind: 'floor', make: () => runner({ chunk: (l) => void readPass(l) }) });
  if (gpu) paths.push(uploadFloorPath(gpu.device));
  paths.push({ name: 'branchy JS loop', kind: 'baseline', make: () => {
    let counts;
    return runner({ start() {
      counts = new Float64Array(c * c);
    }, chunk(l, y) {
      branchyLoop(l, y, c, counts);
    }, async finish() {
      return counts;
    } });
  } });
  const confmat = (device) => () => confmatRunner(c, device);
  paths.push({ name: 'confmat CPU (1 thread)', kind: 'confmat', make: confmat(undefined) });
  if (createCpuWorkerCounter) {
    for (const threads of [1, 2]) {
      let counter;
      paths.push({ name: `confmat CPU workers x${threads}`, kind: 'confmat', make: () =>
        runner({ start() {
          counter ??= createCpuWorkerCounter({ numClasses: c, threads });
        }, chunk: (logits, labels) => counter.update(formatBatch({ logits, labels }, c)), async finish() {
          const counts = await counter.read();
          await counter.reset();
          return counts;
        } }), dispose: () => counter?.destroy() });
    }
  }
  if (gpu) {
    paths.push({ name: 'confmat GPU', kind: 'confmat', make: confmat(gpu.device) });
    let phases;
    paths.push({ name: 'confmat GPU phases', kind: 'phases', make: () => {
      phases ??= createGpuPhases(gpu.device, c, gpu.timestamps);
      return runner({ start: () => phases.start(), chunk: (l, y) => phases.chunk(l, y), finish: () =>
        phases.finish() });
    }, dispose: () => phases?.destroy() });
  }
  if (tf) {
    for (const backend of tf.backends) {
      paths.push({ name: `tfjs ${backend} argMax+confusionMatrix`, kind: 'peer', skip: (n, streamed) => {
        const max = limits.tfjs[backend];
        if (streamed) return 'streamed cell (tfjs takes whole tensors)';
        if (n > limits.tfjsMaxN) {
          return `N > ${
            limits.tfjsMaxN.toExponential(0)
          } (minutes per run: its confusionMatrix is a one-hot matmul, O(N C^2))`;
        }
        if (n * c * c > max) {
          return `N x C^2 = ${(n * c * c).toExponential(0)} > ${
            max.toExponential(0)
          }: its confusionMatrix is a one-hot matmul, O(N C^2)`;
        }
        return null;
      }, make: () =>
        runner({ async start() {
          await tf.lib.setBackend(backend);
        }, async chunk(logits, labels) {
          const t = tf.lib;
          const n = labels.length;
          const cm = t.tidy(() =>
            t.math.confusionMatrix(t.tensor1d(Int32Array.from(labels), 'int32'),
              t.argMax(t.tensor2d(logits, [n, c]), 1), c)
          );
          this.out = await cm.data();
          cm.dispose();
        }, async finish() {
          return Float64Array.from(this.out);
        } }) });
    }
  }
  paths.push({ name: 'ml-confusion-matrix (JS argmax + fromLabels)', kind: 'peer',
    skip: (n,
      streamed) => (streamed ?
        'streamed cell (it takes whole label arrays)' :
        n * c > limits.mlMaxNC ?
        `N x C > ${limits.mlMaxNC.toExponential(0)} (indexOf per sample)` :
        null), make: () =>
      runner({ chunk(logits, labels) {
        const n = labels.length;
        const predicted = new Array(n);
        for (let i = 0; i < n; i++) {
          let best = 0;
          for (let j = 1; j < c; j++) if (logits[i * c + j] > logits[i * c + best]) best = j;
          predicted[i] = best;
        }
        this.cm = MlConfusionMatrix.fromLabels(Array.from(labels), predicted, {
          labels: Array.from({ length: c }, (_, k) => k),
        });
      }, async finish() {
        return Float64Array.from(this.cm.getMatrix().flat());
      } }) });
  return paths;
}
