/**
 * Class orders for the heatmap: "by confusion" puts classes that are mistaken for each other next
 * to each other, so blocks of confusion show along the diagonal.
 *
 * @module
 */

/**
 * A permutation of 0..C-1 that chains the most confused pairs. Pairs are weighed by their error
 * rates both ways, `counts[i][j] / row_i + counts[j][i] / row_j` (so rare classes count as much as
 * common ones); the strongest pairs are linked first into paths (each class gets at most two
 * neighbours, no cycles), then the paths are laid out strongest first, and classes without
 * confusions last in index order. Deterministic: ties go to the lower class indices.
 * O(E log E) for E non-zero off-diagonal pairs, fine at 1000 classes.
 *
 * @param counts row-major C x C counts, rows = true class
 * @example
 * confusionOrder(new Float64Array([5, 0, 1, 0, 5, 0, 1, 0, 5]), 3); // [0, 2, 1]
 */
export function confusionOrder(counts: Float64Array, numClasses: number): number[] {
  const c = numClasses;
  const rowSum = new Float64Array(c);
  for (let t = 0; t < c; t++) for (let p = 0; p < c; p++) rowSum[t]! += counts[t * c + p]!;
  const rate = (t: number, p: number): number => (rowSum[t]! > 0 ? counts[t * c + p]! / rowSum[t]! : 0);
  const edges: { w: number; i: number; j: number }[] = [];
  for (let i = 0; i < c; i++) {
    for (let j = i + 1; j < c; j++) {
      const w = rate(i, j) + rate(j, i);
      if (w > 0) edges.push({ w, i, j });
    }
  }
  edges.sort((a, b) => b.w - a.w || a.i - b.i || a.j - b.j);
  const parent = Int32Array.from({ length: c }, (_, i) => i);
  const root = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]!]!;
    return x;
  };
  const degree = new Uint8Array(c);
  const links: number[][] = Array.from({ length: c }, () => []);
  const weight = new Float64Array(c);
  for (const { w, i, j } of edges) {
    if (degree[i]! >= 2 || degree[j]! >= 2) continue;
    const ri = root(i);
    const rj = root(j);
    if (ri === rj) continue;
    parent[rj] = ri;
    weight[ri]! += weight[rj]! + w;
    degree[i]!++;
    degree[j]!++;
    links[i]!.push(j);
    links[j]!.push(i);
  }
  const paths: { nodes: number[]; w: number; first: number }[] = [];
  const seen = new Uint8Array(c);
  for (let s = 0; s < c; s++) {
    if (seen[s] || degree[s] !== 1) continue;
    const nodes: number[] = [];
    for (let prev = -1, at = s; at >= 0;) {
      nodes.push(at);
      seen[at] = 1;
      const next = links[at]!.find((n) => n !== prev) ?? -1;
      prev = at;
      at = next;
    }
    paths.push({ nodes, w: weight[root(s)]!, first: Math.min(...nodes) });
  }
  paths.sort((a, b) => b.w - a.w || a.first - b.first);
  const order = paths.flatMap((p) => p.nodes);
  for (let i = 0; i < c; i++) if (!seen[i]) order.push(i);
  return order;
}

/**
 * A permutation of 0..C-1 from average-linkage (UPGMA) clustering: classes joined by their error rates both ways,
 * `s(i, j) = counts[i][j] / row_i + counts[j][i] / row_j` (the symmetrised, row-normalized confusion); clusters
 * merge by the mean similarity of their members, and the order is the dendrogram's leaves, so every group of
 * classes confused among themselves more than with the rest is one contiguous block. Nearest-neighbour chains:
 * O(C^2) time and one C x C matrix of memory (8 MB at 1000 classes). Deterministic: ties go to lower indices.
 *
 * @param counts row-major C x C counts, rows = true class
 * @example
 * hierarchicalOrder(new Float64Array([5, 0, 1, 0, 5, 0, 1, 0, 5]), 3); // [0, 2, 1]
 */
export function hierarchicalOrder(counts: Float64Array, numClasses: number): number[] {
  const c = numClasses;
  const rowSum = new Float64Array(c);
  for (let t = 0; t < c; t++) for (let p = 0; p < c; p++) rowSum[t]! += counts[t * c + p]!;
  const sim = new Float64Array(c * c);
  for (let i = 0; i < c; i++) {
    for (let j = i + 1; j < c; j++) {
      const w = (rowSum[i]! > 0 ? counts[i * c + j]! / rowSum[i]! : 0) +
        (rowSum[j]! > 0 ? counts[j * c + i]! / rowSum[j]! : 0);
      sim[i * c + j] = sim[j * c + i] = w;
    }
  }
  const size = new Float64Array(c).fill(1);
  const leaves: number[][] = Array.from({ length: c }, (_, i) => [i]);
  const alive = new Uint8Array(c).fill(1);
  const chain: number[] = [];
  for (let left = c; left > 1;) {
    if (chain.length === 0) chain.push(alive.indexOf(1));
    const a = chain[chain.length - 1]!;
    const prev = chain.length > 1 ? chain[chain.length - 2]! : -1;
    let b = prev;
    let best = prev >= 0 ? sim[a * c + prev]! : -Infinity;
    for (let k = 0; k < c; k++) {
      if (alive[k] && k !== a && sim[a * c + k]! > best) [b, best] = [k, sim[a * c + k]!];
    }
    if (b !== prev) {
      chain.push(b);
      continue;
    }
    chain.length -= 2;
    const [keep, gone] = a < b ? [a, b] : [b, a];
    const [sk, sg] = [size[keep]!, size[gone]!];
    for (let k = 0; k < c; k++) {
      if (!alive[k] || k === keep || k === gone) continue;
      const w = (sk * sim[keep * c + k]! + sg * sim[gone * c + k]!) / (sk + sg);
      sim[keep * c + k] = sim[k * c + keep] = w;
    }
    size[keep] = sk + sg;
    leaves[keep] = leaves[keep]!.concat(leaves[gone]!);
    leaves[gone] = [];
    alive[gone] = 0;
    left--;
  }
  return c === 0 ? [] : leaves[alive.indexOf(1)]!;
}

/**
 * The counts with rows and columns both permuted: `out[a][b] = counts[order[a]][order[b]]`.
 *
 * @example
 * permuteCounts(new Float64Array([1, 2, 3, 4]), 2, [1, 0]); // [4, 3, 2, 1]
 */
export function permuteCounts(counts: Float64Array, numClasses: number, order: readonly number[]): Float64Array {
  const c = numClasses;
  const out = new Float64Array(c * c);
  for (let a = 0; a < c; a++) {
    const t = order[a]!;
    for (let b = 0; b < c; b++) out[a * c + b] = counts[t * c + order[b]!]!;
  }
  return out;
}
