/** Where `names` first repeats itself: `['cat', 'dog', 'cat']` gives `{ index: 2, first: 0 }`. */
export function firstDuplicate(names: readonly string[]): { index: number; first: number } | undefined {
  const seen = new Map<string, number>();
  for (const [index, n] of names.entries()) {
    const first = seen.get(n);
    if (first !== undefined) return { index, first };
    seen.set(n, index);
  }
  return undefined;
}
