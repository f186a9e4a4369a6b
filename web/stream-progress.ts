/**
 * The progress bar of a streamed count: bytes done of the total, rows per second, and a Cancel button that aborts
 * the count in progress.
 *
 * @module
 */
import type { StreamProgress } from './stream-npy.js';

/** The elements of the progress box, and what they do while a count streams. */
export interface StreamUi {
  /** Shows the box with an empty bar; the signal aborts when Cancel is clicked (or `abort()` is called). */
  begin(): AbortSignal;
  update(p: StreamProgress): void;
  /** Aborts the count in progress, if any (a rerun, not the user's Cancel). */
  abort(reason: string): void;
  /** Hides the box. */
  end(): void;
}

const MB = 1e6;
const fmt = (x: number, digits = 0): string =>
  x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * The progress line: "412 of 1,049 MB (39%), 3,200,000 of 25,000,000 rows, 1.2 M rows/s".
 *
 * @example
 * progressText({ bytes: 5e8, totalBytes: 1e9, rows: 1e6, totalRows: 2e6, ms: 1000 });
 */
export function progressText(p: StreamProgress): string {
  const pct = p.totalBytes > 0 ? Math.floor((100 * p.bytes) / p.totalBytes) : 100;
  const rate = p.ms > 0 ? `, ${fmt(p.rows / p.ms / 1e3, 1)} M rows/s` : '';
  return `${fmt(p.bytes / MB)} of ${fmt(p.totalBytes / MB)} MB (${pct}%), ${fmt(p.rows)} of ${fmt(p.totalRows)} ` +
    `rows${rate}`;
}

/**
 * Binds the progress box: `box` (hidden between counts) holding `bar`, `text` and the `cancel` button.
 *
 * @example
 * const ui = createStreamUi($('stream'), $('stream-bar'), $('stream-text'), $('stream-cancel'));
 */
export function createStreamUi(box: HTMLElement, bar: HTMLProgressElement, text: HTMLElement,
  cancel: HTMLButtonElement): StreamUi {
  let controller: AbortController | undefined;
  cancel.addEventListener('click', () => controller?.abort(new DOMException('cancelled', 'AbortError')));
  return { begin() {
    controller = new AbortController();
    bar.value = 0;
    text.textContent = 'Starting…';
    cancel.disabled = false;
    box.hidden = false;
    return controller.signal;
  }, update(p) {
    bar.value = p.totalBytes > 0 ? p.bytes / p.totalBytes : 1;
    text.textContent = progressText(p);
  }, abort(reason) {
    controller?.abort(new DOMException(reason, 'AbortError'));
  }, end() {
    controller = undefined;
    cancel.disabled = true;
    box.hidden = true;
  } };
}
