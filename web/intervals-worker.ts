/**
 * The demo's interval worker: the multinomial bootstrap of a confusion matrix (`matrixIntervals`, as
 * `confmat eval --ci` draws it) off the page's main thread, so a large matrix keeps the page responsive and can be
 * cancelled by terminating the worker.
 *
 * @module
 */
import type { ConfusionMatrixResult } from '../src/core/types.js';
import type { IntervalOptions } from '../src/stats/bootstrap.js';
import { matrixIntervals } from '../src/tasks/multiclass/intervals.js';

/** What the page posts: the counts to resample and how. */
export interface IntervalRequest {
  result: ConfusionMatrixResult;
  options: IntervalOptions;
}

self.onmessage = (e: MessageEvent<IntervalRequest>): void => {
  try {
    self.postMessage({ intervals: matrixIntervals(e.data.result, e.data.options) });
  } catch (err) {
    self.postMessage({ error: (err as Error).message });
  }
};
