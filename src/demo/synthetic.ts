import { MAX_DEMO_ROWS } from '../core/limits.js';

/** The demo data set's class names (CIFAR-10's). */
const DEMO_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** Pairs a CIFAR-10 classifier mixes up, with how often (share of the true class's errors). */
const CONFUSERS: Record<number, [number, number][]> = { 0: [[8, 0.5], [2, 0.3]], 1: [[9, 0.8]],
  2: [[0, 0.3], [4, 0.3], [3, 0.2]], 3: [[5, 0.7], [2, 0.1]], 4: [[7, 0.4], [2, 0.3], [5, 0.1]],
  5: [[3, 0.7], [7, 0.1]], 6: [[3, 0.3], [4, 0.3], [2, 0.2]], 7: [[4, 0.4], [5, 0.3]], 8: [[0, 0.6], [1, 0.2]],
  9: [[1, 0.8]] };
const ERROR_RATE = [0.08, 0.04, 0.16, 0.3, 0.12, 0.22, 0.07, 0.08, 0.05, 0.06];

export { MAX_DEMO_ROWS } from '../core/limits.js';

/**
 * A seeded synthetic evaluation set shaped like a CIFAR-10 classifier's: uneven error rates, the usual confusions,
 * Gaussian logits with a margin on the predicted class. `rows` (default 1M) must lie in [0, {@link MAX_DEMO_ROWS}].
 */
export function makeDemoData(
  options: { rows?: number; seed?: number } = {},
): { logits: Float32Array; labels: Uint8Array; classNames: string[]; numClasses: number } {
  const rows = options.rows ?? 1_000_000;
  if (!Number.isSafeInteger(rows) || rows < 0 || rows > MAX_DEMO_ROWS) {
    throw new RangeError(`rows must be an integer in [0, ${MAX_DEMO_ROWS}], got ${rows}`);
  }
  const c = DEMO_CLASSES.length;
  let state = (options.seed ?? 1) >>> 0;
  const rand = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare = NaN;
  const gauss = (): number => {
    const s = spare;
    spare = NaN;
    if (s === s) return s;
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const a = 2 * Math.PI * rand();
    spare = r * Math.sin(a);
    return r * Math.cos(a);
  };
  const logits = new Float32Array(rows * c);
  const labels = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const y = Math.min(c - 1, Math.floor(rand() * rand() * 1.6 * c + rand() * 0.4 * c));
    labels[i] = y;
    let target = y;
    if (rand() < ERROR_RATE[y]!) {
      const u = rand();
      let acc = 0;
      const anyClass = Math.floor(rand() * c);
      target = CONFUSERS[y]!.find(([, p]) => u < (acc += p))?.[0] ?? anyClass;
    }
    const base = i * c;
    for (let j = 0; j < c; j++) logits[base + j] = gauss();
    logits[base + target]! += 2.5 + Math.abs(gauss()) * 2;
  }
  return { logits, labels, classNames: DEMO_CLASSES.slice(), numClasses: c };
}
