const LIMITS = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension'] as const;

/**
 * Asks the adapter for its own maxima of the limits confmat sizes its work by; WebGPU grants only
 * the spec's defaults otherwise. Used by the Node and the browser device requests alike.
 */
export function maxComputeLimits(adapter: GPUAdapter): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of LIMITS) out[k] = adapter.limits[k];
  return out;
}
