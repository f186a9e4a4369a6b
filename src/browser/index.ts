/// <reference types="@webgpu/types" preserve="true" />
/**
 * confmat's browser entry (no Node built-ins; `npm run build:web` bundles it): `confmat` plus the browser device.
 *
 * @example
 * import { requestBrowserDevice, createConfusionMatrix } from './confmat.js';
 * const cm = createConfusionMatrix({ numClasses: 10, device: (await requestBrowserDevice())?.device });
 *
 * @module
 */
export * from '../index.js';
export { browserAdapterLabel, requestBrowserDevice } from './request-device.js';
export type { BrowserAdapterDescription, BrowserDeviceOptions, BrowserGpu } from './request-device.js';
