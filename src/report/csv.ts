import type { ConfusionMatrixResult } from '../core/types.js';
import { type Normalize, normalizeCounts } from '../tasks/multiclass/metrics.js';
import { classNames } from './classification-report.js';
import { csvField } from './escape.js';

/**
 * The matrix as CSV (RFC 4180, formula-like names defused): a header of predicted classes, a row per true class.
 *
 * @example
 * renderCsv(result, { classes: ['cat', 'dog'] });
 * // "true\\predicted,cat,dog\ncat,5,1\ndog,2,7\n"
 */
export function renderCsv(result: ConfusionMatrixResult,
  options: { classes?: string[]; normalize?: Normalize } = {}): string {
  const c = result.numClasses;
  const names = classNames(c, options.classes);
  const values = options.normalize && options.normalize !== 'none' ?
    normalizeCounts(result.counts, c, options.normalize) :
    result.counts;
  const lines = [['true\\predicted', ...names].map(csvField).join(',')];
  for (let t = 0; t < c; t++) lines.push(`${csvField(names[t]!)},${values.subarray(t * c, (t + 1) * c).join(',')}`);
  return `${lines.join('\n')}\n`;
}
