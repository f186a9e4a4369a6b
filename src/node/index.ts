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
export { requestNodeDevice, adapterLabel, loadDawn } from './request-device.js';
export { AdapterNotFoundError } from '../core/errors.js';
export type { NodeGpu, NodeDeviceOptions, AdapterDescription, DawnBackend } from './request-device.js';
export { openBackend } from './open-backend.js';
export type { BackendChoice, OpenBackend } from './open-backend.js';
export { svgToPng, loadPngRenderer } from './png.js';
export { writeFileAtomic } from './write-atomic.js';
export { openArray } from '../read/open-array.js';
export type { ArraySource } from '../read/open-array.js';
export { openNpyFile, readNpyFile } from '../read/npy-file.js';
export { readClassNames } from '../read/class-names.js';
export { createCpuWorkerCounter } from './cpu-workers.js';
export { cpuUpdateFromFile } from './cpu-file.js';
export type { CpuWorkerCounter, CpuWorkerCounterOptions, LogitsFile } from './cpu-workers.js';
