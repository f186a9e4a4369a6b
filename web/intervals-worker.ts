/**
 * The demo's interval worker: the multinomial bootstrap of a confusion matrix (`matrixIntervals`, as
 * `confmat eval --ci` draws it) or of a comparison (the paired intervals and each model's, as `confmat compare --ci`),
 * off the page's main thread, so a large matrix keeps the page responsive and can be cancelled by terminating the
 * worker.
 *
 * @module
 */
import type { ConfusionMatrixResult } from '../src/core/types.js';
import type { IntervalOptions } from '../src/stats/bootstrap.js';
import type { ComparisonResult } from '../src/tasks/compare/compare.js';
import { pairedIntervals, rightWrongIntervals } from '../src/tasks/compare/paired-intervals.js';
import { matrixIntervals } from '../src/tasks/multiclass/intervals.js';

/** What the page posts: a matrix or a comparison to resample, and how. */
export type IntervalRequest = { kind: 'matrix'; result: ConfusionMatrixResult; options: IntervalOptions } | {
  kind: 'comparison';
  result: ComparisonResult;
  options: IntervalOptions;
};

function draw(req: IntervalRequest): unknown {
  if (req.kind === 'matrix') return matrixIntervals(req.result, req.options);
  const r = req.result;
  return {
    difference: r.counts ?
      pairedIntervals(r.counts, r.numClasses, req.options) :
      rightWrongIntervals(r.rightWrong, r.numClasses, req.options),
    a: matrixIntervals(r.a, req.options),
    b: matrixIntervals(r.b, req.options),
  };
}

self.onmessage = (e: MessageEvent<IntervalRequest>): void => {
  try {
    self.postMessage({ intervals: draw(e.data) });
  } catch (err) {
    self.postMessage({ error: (err as Error).message });
  }
};
