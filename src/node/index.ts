export { requestNodeDevice, adapterLabel, maxComputeLimits, HOW_TO_GET_AN_ADAPTER, SWIFTSHADER_ICDS } from './request-device.js';
export type { NodeGpu, NodeDeviceOptions, AdapterDescription, DawnBackend } from './request-device.js';
export { openBackend } from './open-backend.js';
export type { BackendChoice, OpenBackend } from './open-backend.js';
