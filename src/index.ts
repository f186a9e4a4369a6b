/// <reference types="@webgpu/types" preserve="true" />
/**
 * confmat's root entry: the isomorphic public API (no Node built-ins): matrices and tasks, metrics, reports, states,
 * errors and `.npy` parsing, each documented in docs/api.md; the rest of src/ is internal. `confmat/node` adds
 * devices and files, `confmat/browser` the browser device. test/package/exports.test.ts pins the runtime names.
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
export { GpuUnavailableError, InputError } from './core/errors.js';
export type { Batch, ConfusionMatrixResult, GpuBatch, HalfDtype, LabelArray, LogitsDtype,
  SampleWeights } from './core/types.js';
export { confusionMatrix, createConfusionMatrix } from './tasks/multiclass/matrix.js';
export type { ConfusionMatrix, ConfusionMatrixOptions } from './tasks/multiclass/matrix.js';
export { matrixRows } from './tasks/multiclass/reduce.js';
export { selectClasses } from './tasks/multiclass/select.js';

// Metrics and reports
export { renderCsv } from './report/csv.js';
export { renderHeatmapHtml } from './report/heatmap-html.js';
export type { HeatmapHtmlOptions } from './report/heatmap-html.js';
export { renderHeatmapSvg } from './report/heatmap-svg.js';
export type { HeatmapOptions } from './report/heatmap-svg.js';
export { jsonReport } from './report/json.js';
export type { BackendReport, JsonIntervals, JsonReport, JsonReportOptions } from './report/json.js';
export { renderMarkdown } from './report/markdown.js';
export { renderTable } from './report/table.js';
export type { TableOptions } from './report/table.js';
export { computeMetrics, normalizeCounts, topConfusions } from './tasks/multiclass/metrics.js';
export type { Averages, ClassMetrics, Confusion, Metrics, Normalize } from './tasks/multiclass/metrics.js';

// States
export { createState, mergeStates, missingShards, parseState, stateResult } from './state/state.js';
export type { ConfusionMatrixState, ShardSet, StateMeta, StateOptions } from './state/state.js';

// Multilabel and binary tasks
export { binaryCsv, binaryMarkdown, multilabelCsv, multilabelMarkdown } from './report/task-formats.js';
export { binaryStateResult, mergeAnyStates, mergeBinaryStates, mergeMultilabelStates, multilabelStateResult,
  parseAnyState, parseBinaryState, parseMultilabelState } from './state/task-state.js';
export type { AnyState, BinaryState, BinaryStateMeta, JsonThreshold, Matrix2, MultilabelState, MultilabelStateMeta,
  SampleSumsJson, StateTask } from './state/task-state.js';
export { auc, averagePrecision, binaryCounts, prCurve, rocCurve } from './tasks/binary/binary.js';
export type { BinaryBatch, BinaryCounts, PrCurve, RocCurve, SweepResult } from './tasks/binary/binary.js';
export { createThresholdSweep } from './tasks/binary/matrix.js';
export type { ThresholdSweep, ThresholdSweepOptions } from './tasks/binary/matrix.js';
export { createMultilabelMatrix } from './tasks/multilabel/matrix.js';
export type { MultilabelMatrix, MultilabelMatrixOptions } from './tasks/multilabel/matrix.js';
export { multilabelMetrics } from './tasks/multilabel/multilabel.js';
export type { LabelScores, MultilabelBatch, MultilabelMetrics, MultilabelResult,
  SampleSums } from './tasks/multilabel/multilabel.js';

// Per-class mode (huge C)
export { perClassCsv, perClassJson, perClassMarkdown, perClassTable } from './report/per-class.js';
export type { PerClassReportOptions } from './report/per-class.js';
export { perClassStateResult } from './state/per-class-state.js';
export type { PerClassState, PerClassStateCounts, PerClassStateMeta } from './state/per-class-state.js';
export { createPerClassMatrix } from './tasks/per-class/matrix.js';
export type { PerClassMatrix, PerClassMatrixOptions } from './tasks/per-class/matrix.js';
export { topPairs, worstClasses } from './tasks/per-class/per-class.js';
export type { PerClassArrays, PerClassAverage, PerClassBatch, PerClassConfusion,
  PerClassResult } from './tasks/per-class/per-class.js';

// Confidence intervals (the multinomial bootstrap)
export type { IntervalMethod, IntervalOptions } from './stats/bootstrap.js';
export type { Interval } from './stats/interval.js';
export { sweepIntervals } from './tasks/binary/intervals.js';
export type { SweepIntervals } from './tasks/binary/intervals.js';
export { matrixIntervals } from './tasks/multiclass/intervals.js';
export type { MatrixIntervals, PrfIntervals } from './tasks/multiclass/intervals.js';
export { labelIntervals } from './tasks/multilabel/intervals.js';
export type { LabelIntervals } from './tasks/multilabel/intervals.js';
export { perClassIntervals } from './tasks/per-class/intervals.js';
export type { ClassIntervals, PerClassIntervals } from './tasks/per-class/intervals.js';

// .npy bytes (confmat/node reads files)
export { NpyError, parseNpy } from './read/npy.js';
export type { NpyArray, NumericArray } from './read/npy.js';

// Two models (mcnemar, comparisonFromJoint and the report renderers are importable by module path)
export type { CellChange, ClassScores, ComparisonJson } from './report/compare.js';
export type { ComparisonPartState } from './state/comparison-state.js';
export type { McNemarResult } from './stats/mcnemar.js';
export type { ComparisonBatch, ComparisonResult } from './tasks/compare/compare.js';
export { createComparison } from './tasks/compare/matrix.js';
export type { Comparison, ComparisonOptions } from './tasks/compare/matrix.js';
export { pairedIntervals } from './tasks/compare/paired-intervals.js';
export type { Difference, PairedIntervals, RecallDifferences } from './tasks/compare/paired-intervals.js';

// Framework tensors (TensorFlow.js, onnxruntime): update() takes them; share the framework's device
export type { FrameworkTensor, WithTensors } from './core/types.js';
export { frameworkDevice } from './engine/framework-device.js';

// Cell rows: from a cell of the matrix to its samples
export type { CellRow, CellRowsCell, CellRowsResult, CellSpec } from './tasks/cell-rows/cell-rows.js';
export { createCellRows } from './tasks/cell-rows/matrix.js';
export type { CellRows, CellRowsOptions } from './tasks/cell-rows/matrix.js';
