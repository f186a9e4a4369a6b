/**
 * Confidence intervals on the demo page: drawn in a worker (web/intervals-worker.ts) with the CLI's defaults
 * (`confmat eval --ci 0.95`: 1,000 resamples, seed 0), so the page and the command line print the same intervals.
 *
 * @module
 */
import type { ConfusionMatrixResult } from '../src/core/types.js';
import type { ComparisonIntervals } from '../src/report/compare.js';
import type { IntervalOptions } from '../src/stats/bootstrap.js';
import type { ComparisonResult } from '../src/tasks/compare/compare.js';
import type { MatrixIntervals } from '../src/tasks/multiclass/intervals.js';
import type { IntervalRequest } from './intervals-worker.js';

/** The page's interval options: the CLI's defaults at `level`. */
export const pageIntervalOptions = (level: number): IntervalOptions => ({ level, resamples: 1000, seed: 0 });

/** A running interval computation: its promise, and `cancel()` that stops the worker (the promise then rejects). */
export interface IntervalJob<T> {
  done: Promise<T>;
  cancel(): void;
}

/**
 * Starts drawing the intervals of `result` in a worker.
 *
 * @example
 * const job = startIntervals(ev.result, pageIntervalOptions(0.95));
 * renderReport(ev, classes, await job.done);
 */
export function startIntervals(result: ConfusionMatrixResult, options: IntervalOptions): IntervalJob<MatrixIntervals> {
  return startJob({ kind: 'matrix', result, options });
}

/**
 * Starts drawing a comparison's paired intervals (and each model's) in a worker, as `confmat compare --ci` does.
 *
 * @example
 * const ci = await startComparisonIntervals(result, pageIntervalOptions(0.95)).done;
 */
export function startComparisonIntervals(result: ComparisonResult,
  options: IntervalOptions): IntervalJob<ComparisonIntervals> {
  return startJob({ kind: 'comparison', result, options });
}

function startJob<T>(request: IntervalRequest): IntervalJob<T> {
  const worker = new Worker(new URL('./intervals-worker.ts', import.meta.url), { type: 'module' });
  let reject: (e: Error) => void = () => undefined;
  const done = new Promise<T>((resolve, no) => {
    reject = no;
    worker.onmessage = (e: MessageEvent<{ intervals?: T; error?: string }>): void => {
      worker.terminate();
      if (e.data.intervals) resolve(e.data.intervals);
      else no(new Error(e.data.error ?? 'the interval worker failed'));
    };
    worker.onerror = (e): void => {
      worker.terminate();
      no(new Error(`the interval worker failed: ${e.message}`));
    };
  });
  worker.postMessage(request);
  return { done, cancel: () => {
    worker.terminate();
    reject(new Error('cancelled'));
  } };
}
