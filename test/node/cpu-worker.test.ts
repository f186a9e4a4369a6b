import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { compileLabelsWasm } from '../../src/node/cpu-labels.js';
import type { CpuWorkerData, CpuWorkerJob, CpuWorkerReply, JobRows } from '../../src/node/cpu-worker-messages.js';
import { cpuWorkerUrl } from '../../src/node/cpu-workers.js';
import { compileCpuWasm } from '../../src/tasks/multiclass/update-cpu-fast.js';

const dir = mkdtempSync(join(tmpdir(), 'confmat-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cpuWorkerUrl', () => {
  it('is the compiled file beside the compiled counter, and the one in dist/ beside TypeScript sources', () => {
    const built = pathToFileURL(join(dir, 'dist/node/cpu-workers.js')).href;
    expect(cpuWorkerUrl(built).href).toBe(pathToFileURL(join(dir, 'dist/node/cpu-worker.js')).href);
    const source = pathToFileURL(join(dir, 'src/node/cpu-workers.ts')).href;
    const missing = `${join(dir, 'dist/node/cpu-worker.js')} is missing; run \`npm run build\` first`;
    expect(() => cpuWorkerUrl(source)).toThrow(missing);
    mkdirSync(join(dir, 'dist/node'), { recursive: true });
    writeFileSync(join(dir, 'dist/node/cpu-worker.js'), '');
    expect(cpuWorkerUrl(source).href).toBe(pathToFileURL(join(dir, 'dist/node/cpu-worker.js')).href);
    mkdirSync(join(dir, 'src/node'), { recursive: true });
    writeFileSync(join(dir, 'src/node/cpu-worker.js'), '');
    expect(cpuWorkerUrl(source).href).toBe(pathToFileURL(join(dir, 'src/node/cpu-worker.js')).href);
    expect(cpuWorkerUrl().pathname).toMatch(/\/dist\/node\/cpu-worker\.js$/);
  });
});

describe('the CPU worker thread', () => {
  it('answers each typed job in order: done, its first bad label, or an error, and goes on after one', async () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
    const workerData: CpuWorkerData = { module: compileCpuWasm(true)!, labelsModule: compileLabelsWasm(true), memory };
    const worker = new Worker(cpuWorkerUrl(), { workerData });
    const ask = (job: CpuWorkerJob): Promise<CpuWorkerReply> => {
      const reply = new Promise<CpuWorkerReply>((resolve) => worker.once('message', resolve));
      worker.postMessage(job);
      return reply;
    };
    const fds: number[] = [];
    const b = memory.buffer;
    const [f32, i32, u32] = [new Float32Array(b), new Int32Array(b), new Uint32Array(b)];
    try {
      const logits = [1, 0, 0, 1, 5, 5, 0, 3];
      const rows: JobRows = { rows: 4, numClasses: 2, labels: 0, predictions: 256, table: 512 };
      f32.set(logits, 1024 / 4);
      i32.set([0, 1, 1, 1], 0);
      expect(await ask({ kind: 'count', ...rows, logits: 1024 })).toEqual({ kind: 'done' });
      expect(Array.from(i32.subarray(64, 68))).toEqual([0, 1, 0, 1]);
      expect(Array.from(u32.subarray(128, 132))).toEqual([1, 0, 1, 2]);

      const from = new SharedArrayBuffer(8 + logits.length * 4);
      new Float32Array(from, 8).set(logits);
      const copy = { ...rows, table: -1, scratch: 2048, chunkRows: 3 };
      expect(await ask({ kind: 'copy', ...copy, from, byteOffset: 8 })).toEqual({ kind: 'done' });
      expect(Array.from(i32.subarray(64, 68))).toEqual([0, 1, 0, 1]);

      const x = join(dir, 'x.bin');
      const y = join(dir, 'y.bin');
      writeFileSync(x, new Uint8Array(Float32Array.from(logits.slice(0, 6)).buffer));
      writeFileSync(y, new Uint8Array(BigInt64Array.from([0n, 1n, -7n]).buffer));
      const [fd, lfd] = [openSync(x, 'r'), openSync(y, 'r')];
      fds.push(fd, lfd);
      const read = { kind: 'read' as const, ...copy, rows: 3, fd, path: x, position: 0 };
      const labelsFile = { fd: lfd, path: y, position: 0, itemSize: 8, signed: true, ignoreIndex: undefined, raw: 0 };
      expect(await ask({ ...read, labelsFile })).toEqual({ kind: 'bad-label', index: 2, value: '-7' });
      expect(await ask({ ...read, labelsFile: { ...labelsFile, ignoreIndex: -7 } })).toEqual({ kind: 'done' });
      expect(Array.from(i32.subarray(0, 3))).toEqual([0, 1, 2]);
      const shrank = `${x}: the file ends at byte 24, before the 8 bytes of logits from byte 24`;
      expect(await ask({ ...read, rows: 4 })).toEqual({ kind: 'error',
        message: `${shrank} (it shrank since it was opened?)` });
      expect(await ask({ kind: 'count', ...rows, logits: 1024 })).toEqual({ kind: 'done' });
    } finally {
      await worker.terminate();
      for (const fd of fds) closeSync(fd);
    }
  });

  it('starts under node --input-type=module, in the arguments or in NODE_OPTIONS', () => {
    const script = `
      import { createCpuWorkerCounter } from './dist/node/index.js';
      const k = createCpuWorkerCounter({ numClasses: 2, threads: 2 });
      const logits = new Float32Array([1, 0, 0, 1, 5, 5]);
      await k.update({ rows: 3, numClasses: 2, logits, labels: new Uint8Array([0, 1, 1]) });
      console.log(JSON.stringify(Array.from(await k.read())));
    `;
    const run = (args: string[], env: NodeJS.ProcessEnv = process.env): string =>
      execFileSync(process.execPath, [...args, '-e', script], { encoding: 'utf8', timeout: 30_000, env }).trim();
    expect(run(['--input-type', 'module'])).toBe('[1,0,1,1]');
    expect(run([], { ...process.env, NODE_OPTIONS: '--input-type=module --no-warnings' })).toBe('[1,0,1,1]');
  });
});
