/**
 * Drop zones: a `<label>` around a file input that also takes files dragged onto it, and the whole
 * page taking several files at once.
 *
 * @module
 */

/**
 * Calls `onFiles` with the files chosen in `input` or dropped on `zone`; marks the zone while a
 * drag is over it.
 *
 * @example
 * bindDropZone(document.querySelector('#logits-zone')!, input, ([f]) => load('logits', f));
 */
export function bindDropZone(zone: HTMLElement, input: HTMLInputElement, onFiles: (files: File[]) => void): void {
  input.addEventListener('change', () => {
    if (input.files && input.files.length > 0) onFiles(Array.from(input.files));
    input.value = '';
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    e.stopPropagation();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    e.stopPropagation();
    zone.classList.remove('over');
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (files.length > 0) onFiles(files);
  });
}

/**
 * Calls `onFiles` with files dropped anywhere else on the page (zones stop their own drops).
 *
 * @example
 * bindPageDrop((files) => files.forEach((f) => load(guessRole(f.name), f)));
 */
export function bindPageDrop(onFiles: (files: File[]) => void): void {
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (files.length > 0) onFiles(files);
  });
}
