import { rng } from './random.js';

/**
 * Predictions of `numClasses` classes in `groups` planted confusion groups (classes shuffled over the groups): each
 * sample is right with probability 0.7, else a class of its own group (0.25) or any class (0.05).
 *
 * @example
 * const { preds, labels, group } = plantedConfusion(1000, 25, 200, 1);
 */
export function plantedConfusion(numClasses: number, groups: number, perClass: number,
  seed: number): { preds: Int32Array; labels: Int32Array; group: Int32Array; counts: Float64Array } {
  const r = rng(seed);
  const c = numClasses;
  const shuffled = Array.from({ length: c }, (_, i) => i);
  for (let i = c - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const group = new Int32Array(c);
  const members: number[][] = Array.from({ length: groups }, () => []);
  shuffled.forEach((k, i) => {
    group[k] = i % groups;
    members[i % groups]!.push(k);
  });
  const preds = new Int32Array(c * perClass);
  const labels = new Int32Array(c * perClass);
  const counts = new Float64Array(c * c);
  for (let t = 0, n = 0; t < c; t++) {
    for (let s = 0; s < perClass; s++, n++) {
      const u = r();
      const own = members[group[t]!]!;
      const p = u < 0.7 ? t : u < 0.95 ? own[Math.floor(r() * own.length)]! : Math.floor(r() * c);
      labels[n] = t;
      preds[n] = p;
      counts[t * c + p]!++;
    }
  }
  return { preds, labels, group, counts };
}
