import { describe, expect, it } from 'vitest';
import { AdapterNotFoundError, GpuUnavailableError } from '../../src/core/errors.js';

describe('AdapterNotFoundError', () => {
  it('lists the adapters Dawn offered, or says it offered none', () => {
    const dawn = "No adapter with name 'x'. Available adapters:\n  {backend: 'vulkan', name: 'SwiftShader Device'}\n" +
      "  {backend: 'null', name: 'Null backend'}";
    const e = new AdapterNotFoundError('x', dawn);
    expect(e).toBeInstanceOf(GpuUnavailableError);
    expect(e.message).toBe(
      "no WebGPU adapter is named 'x'; available: 'SwiftShader Device' (vulkan), 'Null backend' (null)",
    );
    expect(new AdapterNotFoundError('x', 'nothing').message).toBe("no WebGPU adapter is named 'x'; Dawn offered none");
  });
});
