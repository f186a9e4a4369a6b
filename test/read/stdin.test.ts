import { readdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { openArray } from '../../src/read/open-array.js';
import { openStdinArray } from '../../src/read/stdin.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const { fresh } = tempDirs('confmat-stdin-read-');
const tmp = fresh();
const saved = process.env.TMPDIR;
process.env.TMPDIR = tmp;
afterAll(() => {
  process.env.TMPDIR = saved;
});

async function values(spec: string, input: Readable) {
  const src = await openStdinArray(spec, (copy) => openArray(copy, { role: 'labels' }), input);
  const out: number[] = [];
  for await (const { data } of src.chunks(2)) out.push(...Array.from(data as Int32Array));
  return { src, out };
}

describe('standard input', () => {
  it('a terminal is refused before anything is read', async () => {
    const tty = Object.assign(Readable.from([]), { isTTY: true });
    await expect(openStdinArray('-', (copy) => openArray(copy), tty)).rejects.toThrow(
      /<stdin>: '-' reads standard input, which is a terminal; pipe the data in/,
    );
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('is copied once, from chunks of any size; opened twice it reads the copy, removed at the last close', async () => {
    const bytes = Buffer.from('id,label\n7,1\n8,0\n9,2\n');
    const input = Readable.from([...bytes.subarray(0, 12)].map((b) => Buffer.from([b])).concat(bytes.subarray(12)));
    const a = await values('-:label', input);
    expect([a.src.file, a.src.shape, a.out]).toEqual(['<stdin>:label', [3], [1, 0, 2]]);
    const b = await values('-:id', Readable.from([]));
    expect(b.out).toEqual([7, 8, 9]);
    expect(readdirSync(tmp)).toHaveLength(1);
    await a.src.close();
    await a.src.close();
    expect(readdirSync(tmp)).toHaveLength(1);
    await b.src.close();
    expect(readdirSync(tmp)).toEqual([]);
    await expect(values('-', Readable.from([]))).rejects.toThrow(/<stdin>: standard input was read and closed already/);
  });
});
