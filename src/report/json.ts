import { matrixRows } from '../core/reduce.js';
import type { ConfusionMatrixResult } from '../core/types.js';

/** The backend a result came from, as JSON reports it. */
export interface BackendReport {
  name: 'gpu' | 'cpu';
  adapter: string | null;
}

/** The JSON report of `confmat eval --format json`. */
export interface JsonReport {
  numClasses: number;
  classes: string[];
  /** matrix[true][predicted] = count. */
  matrix: number[][];
  total: number;
  correct: number;
  accuracy: number;
  backend: BackendReport;
}

/**
 * Builds the JSON report of a result.
 *
 * @example
 * JSON.stringify(jsonReport(result, { name: 'cpu', adapter: null }));
 */
export function jsonReport(result: ConfusionMatrixResult, backend: BackendReport, classes?: string[]): JsonReport {
  return {
    numClasses: result.numClasses,
    classes: classes ?? Array.from({ length: result.numClasses }, (_, i) => String(i)),
    matrix: matrixRows(result),
    total: result.total,
    correct: result.correct,
    accuracy: result.accuracy,
    backend,
  };
}
