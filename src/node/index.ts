/// <reference types="@webgpu/types" preserve="true" />
/// <reference types="node" preserve="true" />
/**
 * confmat's Node entry: Dawn device selection, the file readers, PNG, atomic writes and CPU worker threads.
 *
 * @example
 * import { requestNodeDevice } from 'confmat/node';
 * const cm = createConfusionMatrix({ numClasses: 10, device: (await requestNodeDevice())?.device });
 *
 * @module
 */
export { AdapterNotFoundError } from '../core/errors.js';
export { readClassNames } from '../read/class-names.js';
export { openNpyFile, readNpyFile } from '../read/npy-file.js';
export { openArray } from '../read/open-array.js';
export type { ArraySource } from '../read/open-array.js';
export { cpuUpdateFromFile } from './cpu-file.js';
export { createCpuWorkerCounter } from './cpu-workers.js';
export type { CpuWorkerCounter, CpuWorkerCounterOptions, LabelsFile, LogitsFile } from './cpu-workers.js';
export { openBackend } from './open-backend.js';
export type { BackendChoice, OpenBackend } from './open-backend.js';
export { loadPngRenderer, svgToPng } from './png.js';
export { adapterLabel, loadDawn, requestNodeDevice } from './request-device.js';
export type { AdapterDescription, DawnBackend, NodeDeviceOptions, NodeGpu } from './request-device.js';
export { writeFileAtomic } from './write-outputs.js';
