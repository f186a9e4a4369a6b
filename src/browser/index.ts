/// <reference types="@webgpu/types" preserve="true" />
/**
 * confmat's browser entry: the isomorphic API of `confmat` (src/index.ts holds no Node-only
 * module: the readers and Dawn device selection live in `confmat/node`) plus {@link requestBrowserDevice}. Pulls in no Node built-ins
 * and carries its WGSL shaders as strings; `npm run build:web` bundles it to `dist-web/confmat.js`.
 *
 * @example
 * import { requestBrowserDevice, createConfusionMatrix } from './confmat.js';
 * const gpu = await requestBrowserDevice();
 * const cm = createConfusionMatrix({ numClasses: 10, device: gpu?.device });
 * await cm.update({ logits, labels });
 * const { counts, accuracy } = await cm.compute();
 *
 * @module
 */
export * from '../index.js';
export { requestBrowserDevice, browserAdapterLabel } from './request-device.js';
export type { BrowserGpu, BrowserDeviceOptions, BrowserAdapterDescription } from './request-device.js';
