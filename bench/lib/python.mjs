// numpy argmax + bincount and sklearn confusion_matrix, timed inside Python on the same bytes
// (written to .npy files first; file IO is not timed).
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

const PYTHON = '/usr/bin/python3';
const CHUNK = 32 * 1024 * 1024;

const script = (runs, slowS) => `
import json, sys, time
import numpy as np
import sklearn
from sklearn.metrics import confusion_matrix
logits = np.load(sys.argv[1]); labels = np.load(sys.argv[2]).astype(np.int64); C = logits.shape[1]
def np_path(): return np.bincount(labels * C + logits.argmax(1), minlength=C * C).reshape(C, C)
def sk_path(): return confusion_matrix(labels, logits.argmax(1), labels=np.arange(C))
out = {"versions": {"numpy": np.__version__, "sklearn": sklearn.__version__}}
for name, fn in (("numpy argmax+bincount", np_path), ("sklearn argmax+confusion_matrix", sk_path)):
    t = time.perf_counter(); m = fn(); warm = time.perf_counter() - t; runs = []
    for _ in range(1 if warm > ${slowS} else ${runs}):
        t = time.perf_counter(); fn(); runs.append((time.perf_counter() - t) * 1e3)
    out[name] = {"ms": sorted(runs)[len(runs) // 2], "runs": runs, "warmMs": warm * 1e3, "counts": m.ravel().tolist() if C <= 100 else None,
                 "trace": int(np.trace(m)), "total": int(m.sum())}
print(json.dumps(out))
`;

/**
 * Writes a little-endian .npy without copying the data.
 * @example
 * writeNpy('/tmp/x.npy', new Float32Array(6), [2, 3]);
 */
export function writeNpy(file, arr, shape) {
  writeNpyParts(file, [arr], shape);
}

/**
 * Writes one little-endian .npy of `shape` from consecutive typed arrays of one type (the pieces
 * of a streamed data set, in order), without copying them.
 * @example
 * writeNpyParts('/tmp/x.npy', [new Float32Array(6), new Float32Array(4)], [5, 2]);
 */
export function writeNpyParts(file, parts, shape) {
  const descr =
    { Float32Array: '<f4', Float64Array: '<f8', Uint8Array: '|u1', Uint16Array: '<u2',
      Uint32Array: '<u4' }[parts[0].constructor.name];
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${
    shape.length === 1 ? ',' : ''
  }), }`;
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY\x01\x00', 'latin1');
  pre.writeUInt16LE(header.length, 8);
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, pre);
    writeSync(fd, header, null, 'latin1');
    for (const arr of parts) {
      const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
      for (let off = 0; off < bytes.length; off += CHUNK) {
        writeSync(fd, bytes, off, Math.min(CHUNK, bytes.length - off));
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** True when /usr/bin/python3 imports numpy and sklearn. */
export function hasPython() {
  if (!existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ['-c', 'import numpy, sklearn'], { encoding: 'utf8' }).status === 0;
}

/**
 * Times the two Python paths on `data`; returns { versions, [path]: { ms, runs, trace, total, counts? } }.
 * @example
 * const py = pythonRuns(data, 1e5, 10, tmpDir, 3, 10);
 */
export function pythonRuns(data, n, c, dir, runs, slowS) {
  const lp = path.join(dir, 'logits.npy');
  const yp = path.join(dir, 'labels.npy');
  try {
    writeNpy(lp, data.logits, [n, c]);
    writeNpy(yp, data.labels, [n]);
    const r = spawnSync(PYTHON, ['-c', script(runs, slowS), lp, yp], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`python: ${r.error?.message ?? r.stderr.trim().split('\n').pop()}`);
    return JSON.parse(r.stdout);
  } finally {
    rmSync(lp, { force: true });
    rmSync(yp, { force: true });
  }
}
