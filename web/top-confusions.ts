/**
 * The demo's "top confusions": the largest off-diagonal cells as buttons; a click (or Enter) takes the heatmap
 * to that cell.
 *
 * @module
 */
import { topConfusions } from '../src/tasks/multiclass/metrics.js';

/**
 * The `k` largest off-diagonal cells, each a button with its count and rate (of the true class), calling
 * `onPick(trueClass, predClass)`.
 *
 * @example
 * confusions.replaceChildren(renderTopConfusionList(counts, 1000, names, 20, (t, p) => heatmap.reveal(t, p)));
 */
export function renderTopConfusionList(counts: Float64Array, numClasses: number, classes: string[], k: number,
  onPick: (trueClass: number, predClass: number) => void): HTMLElement {
  const list = document.createElement('ol');
  list.className = 'confusions';
  for (const x of topConfusions(counts, numClasses, k)) {
    if (x.count === 0) break;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'confusion';
    Object.assign(button.dataset, { true: String(x.true), pred: String(x.pred) });
    button.textContent = `${classes[x.true]} → ${classes[x.pred]}: ${x.count.toLocaleString('en-US')} (${
      (x.share * 100).toFixed(1)
    }% of ${classes[x.true]})`;
    button.addEventListener('click', () => onPick(x.true, x.pred));
    const li = document.createElement('li');
    li.append(button);
    list.append(li);
  }
  return list;
}
