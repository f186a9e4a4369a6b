import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIR = fileURLToPath(new URL('../fixtures/parquet/', import.meta.url));
const at = (name: string) => join(DIR, name);
const EXPECTED = JSON.parse(readFileSync(at('expected.json'), 'utf8')) as { matrix: number[][]; rows: number;
  names: string[]; namesMatrix: number[][] };

function evalJson(args: string[], backend = 'cpu'): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', 'eval', ...args, '--format', 'json', '--backend', backend],
    { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', NO_COLOR: '1' } });
  expect(
    r.stderr.split('\n').filter((l) => l !== '' && !/adapter|--num-classes not given|float64 logits: argmax/.test(l)),
  ).toEqual([]);
  expect(r.status).toBe(0);
  const { backend: _b, ...rest } = JSON.parse(r.stdout) as Record<string, unknown>;
  return rest;
}

describe('confmat eval reads Parquet columns', () => {
  const fromNpy = () => evalJson(['--logits', at('eval-logits.npy'), '--labels', at('eval-labels.npy')]);

  it.each([['eval-snappy.parquet:logits', 'eval-snappy.parquet:label'], ['eval-snappy.parquet:logits_arr',
    'eval-snappy.parquet:label64'], ['eval-snappy.parquet:l0,l1,l2,l3', 'eval-snappy.parquet:label_u8'], [
    'eval-zstd.parquet:logits',
    'eval-gzip.parquet:label',
  ], ['eval-none.parquet:logits', 'eval-labels.npy']])('--logits %s --labels %s equals the eval from .npy and sklearn',
    (x, y) => {
      const got = evalJson(['--logits', at(x), '--labels', at(y)]);
      expect(got.matrix).toEqual(EXPECTED.matrix);
      expect(got.total).toBe(EXPECTED.rows);
      expect(got).toEqual(fromNpy());
    });

  it('--preds x.parquet:pred and float64 logits', () => {
    const preds = evalJson(['--preds', at('eval-snappy.parquet:pred'), '--labels', at('eval-snappy.parquet:label_u64'),
      '--num-classes', '4']);
    expect(preds.matrix).toEqual(EXPECTED.matrix);
    expect(
      evalJson(['--logits', at('eval-snappy.parquet:logits64'), '--labels', at('eval-snappy.parquet:label')]).matrix,
    ).toEqual(EXPECTED.matrix);
  });

  it('string columns as labels and predictions: classes as sklearn infers them, its matrix', () => {
    const got = evalJson(['--labels', at('eval-snappy.parquet:name'), '--preds', at('eval-snappy.parquet:pred_name')]);
    expect(got.classes).toEqual(EXPECTED.names);
    expect(got.matrix).toEqual(EXPECTED.namesMatrix);
  });

  it('--backend gpu (the test adapter) counts Parquet logits as it counts .npy', () => {
    const pq = evalJson(['--logits', at('eval-snappy.parquet:logits'), '--labels', at('eval-snappy.parquet:label')],
      'gpu');
    expect(pq.matrix).toEqual(EXPECTED.matrix);
    expect(pq).toEqual(evalJson(['--logits', at('eval-logits.npy'), '--labels', at('eval-labels.npy')], 'gpu'));
  });

  it.each(['0/3', '1/3', '2/3'])('--shard %s reads the same rows as from .npy', (shard) => {
    const pq = evalJson(['--logits', at('eval-zstd.parquet:logits'), '--labels', at('eval-zstd.parquet:label'),
      '--shard', shard]);
    const npy = evalJson(['--logits', at('eval-logits.npy'), '--labels', at('eval-labels.npy'), '--shard', shard]);
    expect(pq).toEqual(npy);
    expect(pq.total).toBeLessThan(EXPECTED.rows);
  });
});
