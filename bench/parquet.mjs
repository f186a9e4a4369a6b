#!/usr/bin/env node
/**
 * The Parquet reader against .npy on the same data: N x C float32 logits (random) and int64 labels, one full
 * pass through openArray (as `confmat eval` reads: 32 MiB chunks), then `confmat eval --backend cpu` on each.
 * The files are written once into $OUT (default /tmp/confmat-pq-bench) with DuckDB, installed outside the repo:
 *
 *   mkdir -p /tmp/duck && (cd /tmp/duck && npm init -y && npm i @duckdb/node-api@1.5.6-r.1)
 *   npm run build && DUCKDB_DIR=/tmp/duck node bench/parquet.mjs [N=2000000] [C=10]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodeNpy } from '../dist/read/npy.js';
import { openArray } from '../dist/read/open-array.js';

const N = Number(process.argv[2] ?? 2_000_000);
const C = Number(process.argv[3] ?? 10);
const OUT = process.env.OUT ?? '/tmp/confmat-pq-bench';
const CODECS = ['snappy', 'zstd', 'uncompressed'];
const at = (name) => join(OUT, name);

if (!existsSync(at('labels.npy'))) {
  mkdirSync(OUT, { recursive: true });
  const duckDir = process.env.DUCKDB_DIR ?? '/tmp/duck';
  const req = createRequire(join(duckDir, 'package.json'));
  const { DuckDBInstance } = await import(pathToFileURL(req.resolve('@duckdb/node-api')).href);
  const con = await (await DuckDBInstance.create(':memory:')).connect();
  const items = Array.from({ length: C }, () => 'random()::FLOAT').join(', ');
  await con.run(`CREATE TABLE d AS SELECT i, (hash(i) % ${C})::BIGINT AS label, [${items}] AS logits
    FROM range(${N}) t(i)`);
  for (const codec of CODECS) {
    await con.run(`COPY (SELECT label, logits FROM d ORDER BY i) TO '${at(`${codec}.parquet`)}'
      (FORMAT parquet, COMPRESSION ${codec})`);
  }
  const read = async (spec) => {
    const src = await openArray(spec);
    const all = src.dtype === 'f4' ? new Float32Array(src.rows * src.rowLength) : new BigInt64Array(src.rows);
    for await (const { start, data } of src.chunks(1 << 20)) all.set(data, start * src.rowLength);
    await src.close();
    return { all, shape: src.shape };
  };
  for (const name of ['logits', 'labels']) {
    const { all, shape } = await read(`${at('snappy.parquet')}:${name === 'labels' ? 'label' : 'logits'}`);
    writeFileSync(at(`${name}.npy`), encodeNpy(all, shape));
  }
}

const rowsPerChunk = Math.floor((32 << 20) / (C * 4));
/** One pass over both files: [wall s, CPU s (user + system) of this process]. */
async function pass(logits, labels) {
  const [t, cpu] = [performance.now(), process.cpuUsage()];
  for (const spec of [logits, labels]) {
    const src = await openArray(spec);
    for await (const _ of src.chunks(rowsPerChunk)) void _;
    await src.close();
  }
  const used = process.cpuUsage(cpu);
  return [(performance.now() - t) / 1000, (used.user + used.system) / 1e6];
}

const decodedMB = (N * C * 4 + N * 8) / 1e6;
const forms = [['npy', at('logits.npy'), at('labels.npy')],
  ...CODECS.map((c) => [c, `${at(`${c}.parquet`)}:logits`, `${at(`${c}.parquet`)}:label`])];
console.log(`N = ${N}, C = ${C}; ${decodedMB.toFixed(0)} MB decoded (float32 logits + int64 labels)`);
console.log(`load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const [name, x, y] of forms) {
  const bytes = name === 'npy' ? statSync(x).size + statSync(y).size : statSync(x.replace(/:logits$/, '')).size;
  const runs = [];
  for (let k = 0; k < 3; k++) runs.push(await pass(x, y));
  const times = runs.map((r) => r[0]);
  const best = Math.min(...times);
  const cpu = Math.min(...runs.map((r) => r[1]));
  const cli = [];
  for (let k = 0; k < 2; k++) {
    const t = performance.now();
    execFileSync(process.execPath, ['dist/cli/main.js', 'eval', '--logits', x, '--labels', y, '--backend', 'cpu',
      '--format', 'json'], { stdio: ['ignore', 'ignore', 'ignore'] });
    cli.push((performance.now() - t) / 1000);
  }
  console.log(
    `${name.padEnd(12)} file ${(bytes / 1e6).toFixed(1).padStart(6)} MB  read ${best.toFixed(2)} s ` +
      `(${times.map((s) => s.toFixed(2)).join(', ')})  ${(N / best / 1e6).toFixed(2)} M rows/s  ` +
      `${(decodedMB / best).toFixed(0)} MB/s decoded  CPU ${cpu.toFixed(2)} s (${
        (N / cpu / 1e6).toFixed(2)
      } M rows/s, ` +
      `${(decodedMB / cpu).toFixed(0)} MB/s)  eval ${Math.min(...cli).toFixed(2)} s`,
  );
}
