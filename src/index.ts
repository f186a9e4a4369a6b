/// <reference types="@webgpu/types" preserve="true" />
/**
 * confmat's root entry: the isomorphic public API (Node and browsers, no Node built-ins). Matrices
 * and tasks, metrics, reports, states, errors, and `.npy` parsing; docs/api.md documents every name.
 * Everything else (GPU plans, pipelines, shaders, CPU kernels, validation helpers) is internal and
 * may change in any release; `confmat/node` adds devices and files, `confmat/browser` the browser device.
 * test/package/exports.test.ts pins the runtime names.
 *
 * @example
 * import { createConfusionMatrix, renderTable } from 'confmat';
 * const cm = createConfusionMatrix({ numClasses: 3 });
 * await cm.update({ preds: new Uint8Array([0, 2]), labels: new Uint8Array([0, 1]) });
 * console.log(renderTable(await cm.compute()));
 *
 * @module
 */

// The confusion matrix
export { createConfusionMatrix, confusionMatrix } from './tasks/multiclass/matrix.js';
export type { ConfusionMatrix, ConfusionMatrixOptions } from './tasks/multiclass/matrix.js';
export type { Batch, ConfusionMatrixResult, GpuBatch, LabelArray, SampleWeights, HalfDtype, LogitsDtype } from './core/types.js';
export { matrixRows } from './tasks/multiclass/reduce.js';
export { selectClasses } from './tasks/multiclass/select.js';
export { InputError, GpuUnavailableError } from './core/errors.js';

// Metrics and reports
export { computeMetrics, normalizeCounts, topConfusions } from './tasks/multiclass/metrics.js';
export type { Metrics, ClassMetrics, Averages, Normalize, Confusion } from './tasks/multiclass/metrics.js';
export { renderTable } from './report/table.js';
export type { TableOptions } from './report/table.js';
export { jsonReport } from './report/json.js';
export type { JsonReport, JsonReportOptions, BackendReport } from './report/json.js';
export { renderCsv } from './report/csv.js';
export { renderMarkdown } from './report/markdown.js';
export { renderHeatmapSvg } from './report/heatmap-svg.js';
export type { HeatmapOptions } from './report/heatmap-svg.js';
export { renderHeatmapHtml } from './report/heatmap-html.js';
export type { HeatmapHtmlOptions } from './report/heatmap-html.js';

// States
export { createState, parseState, mergeStates, missingShards, stateResult } from './state/state.js';
export type { ConfusionMatrixState, StateOptions, StateMeta, ShardSet } from './state/state.js';

// Multilabel and binary tasks
export { createMultilabelMatrix } from './tasks/multilabel/matrix.js';
export type { MultilabelMatrix, MultilabelMatrixOptions } from './tasks/multilabel/matrix.js';
export { createThresholdSweep } from './tasks/binary/matrix.js';
export type { ThresholdSweep, ThresholdSweepOptions } from './tasks/binary/matrix.js';
export { multilabelMetrics } from './tasks/multilabel/multilabel.js';
export type { MultilabelBatch, MultilabelResult, MultilabelMetrics, LabelScores, SampleSums } from './tasks/multilabel/multilabel.js';
export { rocCurve, prCurve, auc, averagePrecision, binaryCounts } from './tasks/binary/binary.js';
export type { BinaryBatch, SweepResult, RocCurve, PrCurve, BinaryCounts } from './tasks/binary/binary.js';
export {
  parseAnyState,
  mergeAnyStates,
  parseMultilabelState,
  mergeMultilabelStates,
  multilabelStateResult,
  parseBinaryState,
  mergeBinaryStates,
  binaryStateResult,
} from './state/task-state.js';
export type {
  AnyState,
  MultilabelState,
  BinaryState,
  MultilabelStateMeta,
  BinaryStateMeta,
  StateTask,
  JsonThreshold,
  SampleSumsJson,
  Matrix2,
} from './state/task-state.js';
export { multilabelCsv, multilabelMarkdown, binaryCsv, binaryMarkdown } from './report/task-formats.js';

// Per-class mode (huge C)
export { createPerClassMatrix } from './tasks/per-class/matrix.js';
export type { PerClassMatrix, PerClassMatrixOptions } from './tasks/per-class/matrix.js';
export { topPairs, worstClasses } from './tasks/per-class/per-class.js';
export type { PerClassBatch, PerClassResult, PerClassArrays, PerClassAverage, PerClassConfusion } from './tasks/per-class/per-class.js';
export { perClassJson, perClassCsv, perClassTable, perClassMarkdown } from './report/per-class.js';
export { perClassStateResult } from './state/per-class-state.js';
export type { PerClassState, PerClassStateMeta, PerClassStateCounts } from './state/per-class-state.js';
export type { PerClassReportOptions } from './report/per-class.js';

// .npy bytes (confmat/node reads files)
export { parseNpy, NpyError } from './read/npy.js';
export type { NpyArray, NumericArray } from './read/npy.js';
