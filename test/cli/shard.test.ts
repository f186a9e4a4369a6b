import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { confusionMatrix, matrixRows } from '../../src/index.js';
import { readNpyFile } from '../../src/read/npy-file.js';
import { encodeNpy, type NumericArray } from '../../src/read/npy.js';
import { type ArraySource, openArray, sliceRows } from '../../src/read/open-array.js';
import { cpuArgmax } from '../../src/tasks/multiclass/update-cpu.js';
import { requireDevice, TEST_ADAPTERS } from '../helpers/gpu.js';
import { makeLabels, makeLogits, rng } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'confmat-shard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function confmat(args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' }, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const at = (name: string) => join(dir, name);
const report = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
/** The report without the fields a merge may change: the backend and the shard set. */
const comparable = (r: Record<string, unknown>) => {
  const { backend: _b, shards: _s, ...rest } = r;
  return rest;
};

// N = 1000 rows: not divisible by 3 or 7. Ties make argmax rules matter.
const N = 1000;
const C = 6;
const rand = rng(20240607);
const logits = makeLogits(rand, N, C, 'ties');
const labels = makeLabels(rand, N, C, Int32Array) as Int32Array;
const preds = Int16Array.from(cpuArgmax(logits, C));
writeFileSync(at('x.npy'), encodeNpy(logits, [N, C]));
writeFileSync(at('y.npy'), encodeNpy(BigInt64Array.from(labels, BigInt), [N]));
writeFileSync(at('p.npy'), encodeNpy(preds, [N]));
writeFileSync(at('x.csv'),
  `${Array.from({ length: C }, (_, j) => `c${j}`).join(',')}\n${
    Array.from({ length: N }, (_, i) => Array.from(logits.subarray(i * C, (i + 1) * C)).join(',')).join('\n')
  }\n`);
writeFileSync(at('y.csv'), `id,label\n${Array.from(labels, (v, i) => `${i},${v}`).join('\n')}\n`);
writeFileSync(at('names.txt'), `${Array.from({ length: C }, (_, j) => `class-${j}`).join('\n')}\n`);
{
  // A .safetensors file holding both: a source that cannot seek, read from its first row.
  const x = new Uint8Array(logits.buffer.slice(0));
  const y = new Uint8Array(BigInt64Array.from(labels, BigInt).buffer);
  const header = JSON.stringify({ logits: { dtype: 'F32', shape: [N, C], data_offsets: [0, x.length] },
    labels: { dtype: 'I64', shape: [N], data_offsets: [x.length, x.length + y.length] } });
  const head = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + head.length + x.length + y.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  out.set(x, 8 + head.length);
  out.set(y, 8 + head.length + x.length);
  writeFileSync(at('run.safetensors'), out);
}

const rowsOf = (i: number, n: number) => [Math.floor((i * N) / n), Math.floor(((i + 1) * N) / n)] as const;

/** Runs the n shards of `args` through the CLI into part files, checking each against the CPU oracle on its own rows. */
async function shards(tag: string, args: string[], n: number): Promise<string[]> {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const part = at(`${tag}-${i}-of-${n}.json`);
    const r = confmat(['eval', ...args, '--shard', `${i}/${n}`, '--out', part]);
    expect(r.code, r.stderr).toBe(0);
    const got = report(part);
    const [start, end] = rowsOf(i, n);
    const want = await confusionMatrix({ preds: preds.subarray(start, end), labels: labels.subarray(start, end) }, {
      numClasses: C,
    });
    expect(got.matrix).toEqual(matrixRows(want));
    expect(got.shards).toEqual({ count: n, indices: [i] });
    parts.push(part);
  }
  return parts;
}

const single = () => {
  const r = confmat(['eval', '--logits', at('x.npy'), '--labels', at('y.npy'), '--format', 'json', '--backend', 'cpu']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
};

describe('confmat eval --shard i/n and confmat merge', () => {
  it.each<[string, string[], number[]]>([['npy logits on the GPU', ['--logits', at('x.npy'), '--labels', at('y.npy'),
    '--backend', 'gpu'], [1, 3, 7]], ['npy class indices with --num-classes', ['--preds', at('p.npy'), '--labels',
    at('y.npy'), '--num-classes', String(C), '--backend', 'cpu'], [3, 7]], ['CSV logits and a CSV label column', [
    '--logits',
    at('x.csv'),
    '--labels',
    `${at('y.csv')}:label`,
    '--backend',
    'cpu',
  ], [3, 7]], ['safetensors logits with CSV labels', ['--logits', `${at('run.safetensors')}:logits`, '--labels',
    `${at('y.csv')}:label`, '--backend', 'cpu'], [3]], ['npy logits with safetensors labels', ['--logits', at('x.npy'),
    '--labels', `${at('run.safetensors')}:labels`, '--backend', 'cpu'], [7]], ['npy logits read by 2 worker threads', [
    '--logits',
    at('x.npy'),
    '--labels',
    at('y.npy'),
    '--backend',
    'cpu',
    '--threads',
    '2',
  ], [1, 3, 7]], ['safetensors logits read by 3 worker threads', ['--logits', `${at('run.safetensors')}:logits`,
    '--labels', `${at('run.safetensors')}:labels`, '--backend', 'cpu', '--threads', '3'], [1, 7]], [
    'CSV logits on 2 worker threads (copied in)',
    ['--logits', at('x.csv'), '--labels', `${at('y.csv')}:label`, '--backend', 'cpu', '--threads', '2'],
    [3],
  ]])("%s: merged shards give the single run's JSON report", async (tag, args, counts) => {
    const whole = single();
    for (const n of counts) {
      const parts = await shards(tag.replace(/\W+/g, '-'), args, n);
      const r = confmat(['merge', ...parts.reverse(), '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      const merged = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(comparable(merged)).toEqual(comparable(whole));
      expect(merged.shards).toEqual({ count: n, indices: Array.from({ length: n }, (_, i) => i) });
      expect(merged.total).toBe(N);
    }
  });

  it('merges in any grouping, and renders every format and plot as the single run does', () => {
    const parts = Array.from({ length: 3 }, (_, i) => {
      const part = at(`g-${i}.json`);
      expect(
        confmat(['eval', '--logits', at('x.npy'), '--labels', at('y.npy'), '--classes', at('names.txt'), '--backend',
          'cpu', '--shard', `${i}/3`, '--out', part]).code,
      ).toBe(0);
      return part;
    });
    const m02 = at('g-02.json');
    const partial = confmat(['merge', parts[0]!, parts[2]!, '--allow-partial', '--out', m02]);
    expect(partial.code, partial.stderr).toBe(0);
    expect(partial.stderr).toContain('missing 1');
    expect(report(m02).shards).toEqual({ count: 3, indices: [0, 2] });
    expect(report(m02).total).toBe(N - (rowsOf(1, 3)[1] - rowsOf(1, 3)[0]));
    const common = ['--logits', at('x.npy'), '--labels', at('y.npy'), '--classes', at('names.txt'), '--backend', 'cpu',
      '--normalize', 'true'];
    for (const format of ['json', 'csv', 'markdown']) {
      const one = confmat(['eval', ...common, '--format', format, '--plot', at(`one.${format}.svg`)]);
      const merged = confmat(['merge', parts[1]!, m02, '--normalize', 'true', '--format', format, '--plot',
        at(`merged.${format}.svg`)]);
      expect(merged.code, merged.stderr).toBe(0);
      if (format === 'json') expect(comparable(JSON.parse(merged.stdout))).toEqual(comparable(JSON.parse(one.stdout)));
      else expect(merged.stdout).toBe(one.stdout);
      expect(readFileSync(at(`merged.${format}.svg`), 'utf8')).toBe(readFileSync(at(`one.${format}.svg`), 'utf8'));
    }
    const table = confmat(['merge', ...parts, '--format', 'table']);
    expect(table.stdout).toContain('class-5');
    expect(table.stdout).toContain('counted on the CPU');
  });

  it('names the row in the whole file when a shard holds a bad label, and checks only its own rows', () => {
    const bad = Int32Array.from(labels);
    bad[700] = 99;
    writeFileSync(at('bad-y.npy'), encodeNpy(bad, [N]));
    const args = ['eval', '--logits', at('x.npy'), '--labels', at('bad-y.npy'), '--backend', 'cpu', '--format', 'json'];
    for (const threads of [[], ['--threads', '2']]) {
      const r = confmat([...args, ...threads, '--shard', '2/3']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${at('bad-y.npy')}: index 700: label 99 is outside [0, 6)`);
      expect(confmat([...args, ...threads, '--shard', '0/3']).code).toBe(0);
    }
  });

  it.each<[string, string[], RegExp]>([['i = n', ['--shard', '3/3'],
    /--shard must be i\/n with 0 <= i < n .* got '3\/3'/], ['n = 0', ['--shard', '0/0'], /got '0\/0'/], ['a negative i',
    ['--shard=-1/3'], /got '-1\/3'/], ['no n', ['--shard', '2'], /got '2'/], ['words', ['--shard', 'a/b'],
    /got 'a\/b'/], ['--preds without --num-classes', ['--preds', at('p.npy'), '--shard', '0/2'],
    /--shard with --preds needs --num-classes C/]])('refuses --shard with %s (exit 2)', (_, extra, message) => {
      const input = extra.includes('--preds') ? [] : ['--logits', at('x.npy')];
      const r = confmat(['eval', ...input, '--labels', at('y.npy'), '--backend', 'cpu', ...extra]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    });

  describe('merge refusals exit 1, name the file and write no --out file', () => {
    const part = (name: string, args: string[]) => {
      const path = at(name);
      const r = confmat(['eval', '--backend', 'cpu', '--out', path, ...args]);
      expect(r.code, r.stderr).toBe(0);
      return path;
    };
    const x = ['--logits', at('x.npy'), '--labels', at('y.npy')];
    const edited = (name: string, from: string, edit: (v: Record<string, unknown>) => void) => {
      const v = report(from);
      edit(v);
      writeFileSync(at(name), JSON.stringify(v));
      return at(name);
    };
    let n = 0;
    it.each<[string, () => string[], RegExp]>([['a duplicate shard', () => {
      const a = part('d0.json', [...x, '--shard', '0/2']);
      copyFileSync(a, at('d0-copy.json'));
      return [a, at('d0-copy.json'), part('d1.json', [...x, '--shard', '1/2'])];
    }, /d0-copy\.json: shard 0\/2 is also in .*d0\.json; each shard must be merged once/], ['the same file twice',
      () => [part('t0.json', [...x, '--shard', '0/2']), at('t0.json'), part('t1.json', [...x, '--shard', '1/2'])],
      /t0\.json: given twice/], ['missing shards',
      () => [part('m1.json', [...x, '--shard', '1/4']), part('m3.json', [...x, '--shard', '3/4'])],
      /2 parts hold 2 of 4 shards; missing shards 0, 2 \(confmat eval --shard i\/4\); pass --allow-partial/], [
      'another C',
      () => [part('c0.json', ['--preds', at('p.npy'), '--labels', at('y.npy'), '--num-classes', '6', '--shard', '0/2']),
        part('c1.json', ['--preds', at('p.npy'), '--labels', at('y.npy'), '--num-classes', '7', '--shard', '1/2'])],
      /c1\.json: 7 classes, but .*c0\.json has 6/,
    ], ['other class names',
      () => [part('n0.json', [...x, '--shard', '0/2']),
        part('n1.json', [...x, '--classes', at('names.txt'), '--shard', '1/2'])],
      /n1\.json: class 0 is named "class-0", but "0" in .*n0\.json/], ['shards of different splits',
      () => [part('s0.json', [...x, '--shard', '0/2']), part('s1.json', [...x, '--shard', '1/3'])],
      /s1\.json: a shard of 3, but .*s0\.json is a shard of 2/], ['a shard and a whole run',
      () => [part('w0.json', [...x, '--shard', '0/2']), part('w.json', x)],
      /w\.json: not sharded, but .*w0\.json is shards of 2/], ['corrupt JSON', () => {
      const a = part('j0.json', [...x, '--shard', '0/2']);
      writeFileSync(at('j1.json'), readFileSync(a, 'utf8').slice(0, 200));
      return [a, at('j1.json')];
    }, /j1\.json: not valid JSON \(truncated or corrupt part\?\)/], ['a newer version',
      () => [part('v0.json', [...x, '--shard', '0/2']),
        edited('v1.json', part('v1-orig.json', [...x, '--shard', '1/2']), (v) => (v.version = 2))],
      /v1\.json: \$\.version: state version 2 was written by a newer confmat/], ['an edited count',
      () => [part('e0.json', [...x, '--shard', '0/2']),
        edited('e1.json', part('e1-orig.json', [...x, '--shard', '1/2']),
          (v) => ((v.matrix as number[][])[1]![2]! += 1))], /e1\.json: \$\.total: is \d+ but the counts add up to \d+/],
      ['a report of another tool',
        () => [part('o0.json', [...x, '--shard', '0/2']),
          edited('o1.json', part('o1-orig.json', [...x, '--shard', '1/2']), (v) => delete v.format)],
        /o1\.json: \$\.format: expected "confmat-state", got nothing/], ['a missing file',
      () => [part('f0.json', [...x, '--shard', '0/2']), at('nope.json')], /nope\.json: cannot read: no such file/]])(
        '%s',
        (_, files, message) => {
          const out = at(`refused-${n++}.json`);
          const r = confmat(['merge', ...files(), '--out', out, '--plot', `${out}.svg`]);
          expect(r.stderr).toMatch(message);
          if (!/missing shards/.test(message.source)) expect(r.stderr).toMatch(/^confmat: \//);
          expect(r.code).toBe(1);
          expect(existsSync(out)).toBe(false);
          expect(existsSync(`${out}.svg`)).toBe(false);
        },
      );

    it('merge without files is a usage error', () => {
      const r = confmat(['merge', '--format', 'json']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('merge needs the part files');
    });
  });

  it('runs the shards concurrently in worker threads on the GPU, then merges', async () => {
    // Dawn in a worker reads the process's own environment, which a worker's process.env only
    // copies: open the adapter here first, so the SwiftShader ICD variable (where it is needed)
    // is set for the whole process before the workers start.
    (await requireDevice(TEST_ADAPTERS[0]!.options)).destroy();
    const evalUrl = pathToFileURL(resolve('dist/cli/eval.js')).href;
    const script = at('worker.mjs');
    writeFileSync(script,
      `import { parentPort, workerData } from 'node:worker_threads';\nconst { runEval } = await import(${
        JSON.stringify(evalUrl)
      });\nparentPort.postMessage(await runEval(workerData));\n`);
    const n = 4;
    const parts = Array.from({ length: n }, (_, i) => at(`worker-${i}.json`));
    const codes = await Promise.all(parts.map((out, i) =>
      new Promise<unknown>((ok, fail) => {
        const w = new Worker(script, {
          workerData: { logits: at('x.npy'), labels: at('y.npy'), shard: `${i}/${n}`, out, backend: 'gpu',
            format: 'json' },
        });
        w.once('message', (code) => void w.terminate().then(() => ok(code)));
        w.once('error', fail);
      })
    ));
    expect(codes).toEqual([0, 0, 0, 0]);
    for (const p of parts) expect((report(p).backend as { name: string }).name).toBe('gpu');
    const r = confmat(['merge', ...parts, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(comparable(JSON.parse(r.stdout))).toEqual(comparable(single()));
  });
});

describe('sliceRows', () => {
  const FORMATS = fileURLToPath(new URL('../fixtures/formats/', import.meta.url));
  const cases =
    (JSON.parse(readFileSync(join(FORMATS, 'expected.json'), 'utf8')) as { spec: string; npy: string;
      role?: 'logits' | 'labels'; shape: number[] }[]).filter((c) => c.shape.length > 0 && c.shape[0]! >= 2);
  const list = (a: NumericArray) =>
    Array.from(a as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? Number(v) : v));

  it.each(cases.map((c) => [c.spec, c] as const))(
    '%s: every slice, in every chunk size, equals the same rows of the whole',
    async (_, c) => {
      const whole = list((await readNpyFile(join(FORMATS, c.npy))).data);
      const src = await openArray(join(FORMATS, c.spec), c.role ? { role: c.role } : {});
      const seeks = src.rangeChunks !== undefined;
      expect(seeks).toBe(/^[^:]*\.npy$/.test(c.spec));
      // Count the passes over the source and the rows they deliver.
      const pass = src.chunks.bind(src);
      let passes = 0;
      let delivered = 0;
      src.chunks = (per: number) => {
        passes++;
        const it = pass(per);
        return (async function*() {
          for await (const c of it) {
            delivered += Math.max(1, c.data.length / Math.max(1, src.rowLength));
            yield c;
          }
        })();
      };
      try {
        const rows = src.rows;
        const w = src.rowLength;
        for (const [start, end] of [[0, rows], [0, 1], [1, rows], [1, rows - 1], [Math.floor(rows / 3),
          Math.floor((2 * rows) / 3)], [rows - 1, rows], [2, 2]] as const) {
          const slice = sliceRows(src, start, end);
          expect(slice.rows).toBe(end - start);
          expect(slice.shape).toEqual([end - start, ...src.shape.slice(1)]);
          if (src.raw) {
            const size = src.raw.dtype === 'bf16' ? 2 : Number(src.raw.dtype.slice(1));
            expect(slice.raw).toEqual({ ...src.raw, byteOffset: src.raw.byteOffset + start * w * size });
            if (src.raw.dtype === 'f4') {
              const raw = readFileSync(src.raw.path).subarray(slice.raw!.byteOffset,
                slice.raw!.byteOffset + (end - start) * w * 4);
              expect(Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length))))
                .toEqual(whole.slice(start * w, end * w));
            }
          } else {
            expect(slice.raw).toBeUndefined();
          }
          for (const per of [1, 2, 5, 1000]) {
            const got: (number | string)[] = [];
            let next = 0;
            for await (const { start: s, data } of slice.chunks(per)) {
              expect(s).toBe(next);
              const n = w === 0 ? Math.min(per, end - start - s) : data.length / w;
              expect(n).toBe(Math.min(per, end - start - s));
              next += n;
              got.push(...list(data as NumericArray));
            }
            expect(next).toBe(end - start);
            expect(got).toEqual(whole.slice(start * w, end * w));
          }
        }
        // A source that seeks reads a slice without passing over the rows before it (4 passes: the
        // whole-range slice is the source itself); the others pass over them, stopping at the slice's end.
        if (seeks) expect(passes).toBe(4);
        else expect(passes).toBeGreaterThan(4);
        passes = 0;
        delivered = 0;
        for await (const _ of sliceRows(src, 0, 1).chunks(1));
        expect(delivered).toBe(seeks ? 0 : 1);
        expect(passes).toBe(seeks ? 0 : 1);
      } finally {
        await src.close();
      }
    },
  );

  it('refuses a range outside the rows', async () => {
    const src: ArraySource = await openArray(at('x.npy'));
    try {
      expect(() => sliceRows(src, 5, 4)).toThrow(RangeError);
      expect(() => sliceRows(src, 0, N + 1)).toThrow(/rows \[0, 1001\) are not within its 1000 rows/);
      expect(() => sliceRows(src, 1, 2).chunks(0)).toThrow(/rowsPerChunk must be a positive integer/);
    } finally {
      await src.close();
    }
  });
});
