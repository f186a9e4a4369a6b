/// <reference types="@webgpu/types" preserve="true" />
/// <reference types="node" preserve="true" />
export { requestNodeDevice, adapterLabel, loadDawn, vulkanDrivers, AdapterNotFoundError, HOW_TO_GET_AN_ADAPTER, SWIFTSHADER_ICDS } from './request-device.js';
export { maxComputeLimits } from '../gpu/limits.js';
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
