/**
 * Per-class mode of `confmat eval` (--per-class, or when the C x C matrix does not fit): loaded only for it.
 *
 * @module
 */
import { InputError } from '../core/errors.js';
import type { LabelArray } from '../core/types.js';
import { sliceRows } from '../read/open-array.js';
import { renderPerClassReport } from '../report/per-class.js';
import { type PerClassIntervals, perClassIntervals } from '../tasks/per-class/intervals.js';
import { createPerClassMatrix } from '../tasks/per-class/matrix.js';
import type { PerClassBatch, PerClassResult } from '../tasks/per-class/per-class.js';
import { validatePerClassClasses } from '../tasks/per-class/per-class.js';
import { asLabels, checkInputs, chunkBatch, type MulticlassInputs, openMulticlass } from './eval-multiclass.js';
import type { EvalTask } from './eval.js';
import { denseFlag, flag } from './flags.js';
import { located } from './inputs.js';
import { intervalOptions } from './interval-options.js';
import type { CliValues } from './usage.js';

/** Index in the chunk of the `k`-th row whose label is not `ignore`. */
function keptRow(labels: LabelArray, ignore: number | undefined, k: number): number {
  if (ignore === undefined) return k;
  const target = labels instanceof BigInt64Array || labels instanceof BigUint64Array ? BigInt(ignore) : ignore;
  for (let i = 0, seen = 0; i < labels.length; i++) {
    if (labels[i] === target) continue;
    if (seen++ === k) return i;
  }
  return k;
}

/**
 * Per-class mode (--per-class, or after `reason`, the dense path's refusal of C, unless a flag needs the matrix):
 * per class counts and metrics and the most confused pairs, in O(C) memory, on the GPU or the CPU.
 */
export function perClassTask(values: CliValues, reason?: InputError): EvalTask<PerClassResult> {
  if (reason) {
    const dense = denseFlag(values);
    const would = `${reason.message}; per-class mode (--per-class) would count without the matrix`;
    if (dense) throw new InputError('numClasses', `${would}, but --${dense} needs it`, undefined, reason.value);
    const mode = 'per-class mode: per class metrics and the most confused pairs, no C x C matrix';
    process.stderr.write(`confmat: ${reason.message}; counting per class instead (${mode})\n`);
  }
  checkInputs(values);
  const chunkRows = flag(values, 'chunk-rows');
  const ignoreIndex = flag(values, 'ignore-index');
  const ci = intervalOptions(values);
  let inputs: MulticlassInputs;
  let drawn: PerClassIntervals | undefined;
  return { async open(sources) {
    inputs = await openMulticlass(values, sources, validatePerClassClasses, false, reason !== undefined);
    return inputs.labels.rows;
  }, counter(backend, { start, end }) {
    const { numClasses: c, files } = inputs;
    const [input, labels] = [sliceRows(inputs.input, start, end), sliceRows(inputs.labels, start, end)];
    const pc = createPerClassMatrix({ numClasses: c, device: backend.device, ignoreIndex, chunkRows });
    return { streams: [input, labels], rowLength: input.rowLength,
      update: (_start, _n, [data, y]) => pc.update(chunkBatch(values, input, data!, asLabels(y!), c) as PerClassBatch),
      locate: (e, start, [, y]) => located(e, start, files, (k) => keptRow(asLabels(y!), ignoreIndex, k)),
      compute: () => pc.compute(), destroy: () => pc.destroy() };
  },
    report: (format, result, backend, shards) =>
      renderPerClassReport(format, result, backend, { classes: inputs.classes, ignoreIndex, shards,
        stringLabels: inputs.strings, intervals: ci && (drawn ??= perClassIntervals(result, ci)) }) };
}
