/**
 * An input that confmat refuses, naming what was wrong, where, and the value; nothing of the batch is counted.
 *
 * @example
 * try { await cm.update({ logits, labels }); } catch (e) { if (e instanceof InputError) console.error(e.message); }
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  /** Which input was refused: 'labels', 'preds', 'logits', 'numClasses', ... */
  readonly field: string;
  /** Element index within the batch, when one element is at fault. */
  readonly index: number | undefined;
  /** The offending value, when there is one. */
  readonly value: unknown;

  constructor(field: string, message: string, index?: number, value?: unknown) {
    super(message);
    this.field = field;
    this.index = index;
    this.value = value;
  }
}

/**
 * The GPU path cannot run: no adapter, a lost device, or a device too small for the request.
 *
 * @example
 * try { await requestNodeDevice(); } catch (e) { if (e instanceof GpuUnavailableError) console.error(e.message); }
 */
export class GpuUnavailableError extends Error {
  override readonly name = 'GpuUnavailableError';
}

/**
 * No adapter has the name given as `adapter` (`--adapter`, `CONFMAT_ADAPTER`); the message lists those Dawn offered.
 *
 * @example
 * await requestNodeDevice({ adapter: 'nope' }); // throws AdapterNotFoundError
 */
export class AdapterNotFoundError extends GpuUnavailableError {
  constructor(wanted: string, dawnMessage: string) {
    const names = [...dawnMessage.matchAll(/backend: '([^']*)', name: '([^']*)'/g)].map((m) => `'${m[2]}' (${m[1]})`);
    const offered = names.length ? `available: ${names.join(', ')}` : 'Dawn offered none';
    super(`no WebGPU adapter is named '${wanted}'; ${offered}`);
  }
}
