import { createConfusionMatrix, type ConfusionMatrix } from '../confusion-matrix.js';
import { InputError } from '../core/errors.js';
import type { ConfusionMatrixResult, LabelArray } from '../core/types.js';
import { findOutOfRange, isLabelArray } from '../core/validate.js';
import { openBackend, type OpenBackend } from '../node/open-backend.js';
import { NpyError, type NpyArray } from '../read/npy.js';
import { openNpyFile, readNpyFile, type NpyFileReader } from '../read/npy-file.js';
import { jsonReport } from '../report/json.js';
import { renderTable } from '../report/table.js';
import { backendOptions, engineOptions, outputFormat, positiveInt, UsageError, type CliValues } from './usage.js';

const READ_CHUNK_BYTES = 64 * 1024 * 1024;

const shapeText = (shape: number[]): string => `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;

/** An integer 1-D .npy file of class indices (labels or predictions), read whole. */
async function readClassIndices(path: string, what: 'labels' | 'predictions'): Promise<LabelArray> {
  const npy: NpyArray = await readNpyFile(path);
  if (npy.kind === 'f') {
    throw new NpyError(path, undefined, `dtype ${npy.descr}: ${what} must be integers (int8..int64, uint8..uint64 or bool)`);
  }
  if (npy.shape.length !== 1) {
    throw new NpyError(path, undefined, `shape ${shapeText(npy.shape)}: ${what} must be 1-D (N,)`);
  }
  if (!isLabelArray(npy.data)) throw new NpyError(path, undefined, `dtype ${npy.descr} is not usable for ${what}`);
  return npy.data;
}

function checkRange(path: string, a: LabelArray, numClasses: number, what: string): void {
  const i = findOutOfRange(a, numClasses);
  if (i >= 0) throw new InputError(what, `${path}: index ${i}: ${what} ${String(a[i])} is outside [0, ${numClasses}) (${numClasses} classes)`, i, a[i]);
}

function maxIndex(a: LabelArray): number {
  let m = -1;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Number(a[i]));
  return m;
}

async function countLogits(cm: ConfusionMatrix, reader: NpyFileReader, labels: LabelArray, numClasses: number): Promise<void> {
  const rowsPerChunk = Math.max(1, Math.floor(READ_CHUNK_BYTES / (numClasses * 4)));
  for await (const { start, data } of reader.chunks(rowsPerChunk)) {
    const rows = data.length / numClasses;
    await cm.update({ logits: data as Float32Array, labels: labels.subarray(start, start + rows) as LabelArray });
  }
}

/**
 * `confmat eval`: reads .npy inputs, checks all of them before counting anything, counts on the
 * chosen backend, prints JSON or a table. Returns the exit status.
 */
export async function runEval(values: CliValues): Promise<number> {
  const logitsPath = values.logits as string | undefined;
  const predsPath = values.preds as string | undefined;
  const labelsPath = values.labels as string | undefined;
  if (!labelsPath) throw new UsageError('eval needs --labels Y.npy');
  if ((logitsPath === undefined) === (predsPath === undefined)) throw new UsageError('eval needs exactly one of --logits L.npy or --preds P.npy');
  const format = outputFormat(values);
  const wantedClasses = positiveInt(values, 'num-classes');
  const { choice, device: deviceOptions } = backendOptions(values);
  const engine = engineOptions(values);

  const labels = await readClassIndices(labelsPath, 'labels');
  let numClasses: number;
  let reader: NpyFileReader | undefined;
  let preds: LabelArray | undefined;
  if (logitsPath !== undefined) {
    reader = await openNpyFile(logitsPath);
    const { header } = reader;
    if (header.kind !== 'f' || header.itemSize !== 4) {
      await reader.close();
      throw new NpyError(logitsPath, undefined, `dtype ${header.descr}: logits must be float32 ('<f4' or '>f4'); convert with arr.astype(np.float32)`);
    }
    if (header.shape.length !== 2) {
      await reader.close();
      throw new NpyError(logitsPath, undefined, `shape ${shapeText(header.shape)}: logits must be 2-D (N, C)`);
    }
    const [rows, cols] = header.shape as [number, number];
    if (cols < 1) {
      await reader.close();
      throw new NpyError(logitsPath, undefined, `shape ${shapeText(header.shape)}: logits have no class columns (C must be >= 1)`);
    }
    if (wantedClasses !== undefined && wantedClasses !== cols) {
      await reader.close();
      throw new UsageError(`--num-classes ${wantedClasses} disagrees with ${logitsPath}, which has ${cols} columns`);
    }
    if (rows !== labels.length) {
      await reader.close();
      throw new InputError('labels', `${labelsPath} holds ${labels.length} labels but ${logitsPath} has ${rows} rows (shape ${shapeText(header.shape)})`);
    }
    numClasses = cols;
  } else {
    preds = await readClassIndices(predsPath!, 'predictions');
    if (preds.length !== labels.length) {
      throw new InputError('preds', `${labelsPath} holds ${labels.length} labels but ${predsPath} holds ${preds.length} predictions`);
    }
    numClasses = wantedClasses ?? Math.max(1, maxIndex(labels) + 1, maxIndex(preds) + 1);
    if (wantedClasses === undefined) process.stderr.write(`confmat: --num-classes not given; using ${numClasses} (largest class index + 1)\n`);
    checkRange(predsPath!, preds, numClasses, 'predicted class');
  }
  checkRange(labelsPath, labels, numClasses, 'label');

  let backend: OpenBackend | undefined;
  let cm: ConfusionMatrix | undefined;
  let result: ConfusionMatrixResult;
  try {
    backend = await openBackend(choice, deviceOptions);
    cm = createConfusionMatrix({ numClasses, device: backend.device, ...engine });
    if (reader) await countLogits(cm, reader, labels, numClasses);
    else await cm.update({ preds: preds!, labels });
    result = await cm.compute();
  } finally {
    cm?.destroy();
    backend?.destroy();
    await reader?.close();
  }
  const backendReport = { name: backend.name, adapter: backend.adapter };
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(jsonReport(result, backendReport))}\n`);
  } else {
    process.stdout.write(`${renderTable(result)}\ncounted on the ${backend.name.toUpperCase()}${backend.adapter ? `: ${backend.adapter}` : ''}\n`);
  }
  return 0;
}
