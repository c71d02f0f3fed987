/**
 * Ranking helpers of the sampling transform: tokens rank by probability,
 * ties by the lower id. Top-k by a size-k heap, the top-p nucleus by
 * quickselect on mass; neither sorts the whole vocabulary.
 */

/** Tolerance of the top-p cut: a prefix whose mass is within 1e-12 below topP counts as reaching it. */
const TOP_P_EPS = 1e-12;

/** True when token i ranks above token j: more probable, or as probable with a lower id. */
function above(p: Float64Array, i: number, j: number): boolean {
  return p[i] > p[j] || (p[i] === p[j] && i < j);
}

/** The k highest-ranked token ids, best first (a size-k min-heap over the vocabulary). */
export function topK(p: Float64Array, k: number): Int32Array {
  const heap = new Int32Array(k); // heap[0] = the worst of the k kept so far
  for (let i = 0; i < k; i++) {
    heap[i] = i;
    siftUp(heap, i, (a, b) => above(p, b, a));
  }
  for (let i = k; i < p.length; i++) {
    if (!above(p, i, heap[0])) continue;
    heap[0] = i;
    siftDown(heap, 0, k, (a, b) => above(p, b, a));
  }
  return Int32Array.from(heap).sort((a, b) => (above(p, a, b) ? -1 : 1));
}

export interface Prefix {
  readonly order: Int32Array;
  readonly size: number;
}

/** The shortest prefix of `order` (best first) whose mass reaches topP. */
export function prefixReaching(p: Float64Array, order: Int32Array, topP: number): Prefix {
  let cum = 0;
  for (let m = 0; m < order.length; m++) {
    cum += p[order[m]];
    if (cum >= topP - TOP_P_EPS) return { order, size: m + 1 };
  }
  return { order, size: order.length };
}

/**
 * The nucleus without sorting the vocabulary: quickselect by mass. Partition
 * the undecided ids around a pivot (median of three, by rank); if the ids
 * above it already reach the needed mass the nucleus ends among them, else
 * they and the pivot are in and the rest of the mass is sought below.
 * Expected O(V). The returned order holds the nucleus first (unsorted).
 */
export function nucleusBySelect(p: Float64Array, topP: number): Prefix {
  const idx = new Int32Array(p.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  let lo = 0; // idx[0..lo) are in the nucleus
  let hi = idx.length; // idx[lo..hi) are undecided, idx[hi..) are out
  let need = topP - TOP_P_EPS;
  while (need > 0 && lo < hi) {
    const pivot = medianOfThree(p, idx[lo], idx[(lo + hi) >> 1], idx[hi - 1]);
    const pv = p[pivot];
    let a = lo;
    let massAbove = 0;
    for (let i = lo; i < hi; i++) {
      const t = idx[i];
      const x = p[t];
      if (x < pv || (x === pv && t >= pivot)) continue; // not above(p, t, pivot)
      massAbove += x;
      idx[i] = idx[a];
      idx[a++] = t;
    }
    if (massAbove >= need) {
      hi = a; // the nucleus ends among the ids above the pivot
      continue;
    }
    const at = idx.indexOf(pivot, a);
    idx[at] = idx[a];
    idx[a] = pivot;
    need -= massAbove + p[pivot];
    lo = a + 1;
  }
  return { order: idx, size: lo };
}

function medianOfThree(p: Float64Array, a: number, b: number, c: number): number {
  if (above(p, a, b)) return above(p, b, c) ? b : above(p, a, c) ? c : a;
  return above(p, a, c) ? a : above(p, b, c) ? c : b;
}

/** Binary heap helpers; `first(a, b)` = a belongs nearer the top than b. */
function siftUp(h: Int32Array, i: number, first: (a: number, b: number) => boolean): void {
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!first(h[i], h[parent])) return;
    [h[i], h[parent]] = [h[parent], h[i]];
    i = parent;
  }
}

function siftDown(h: Int32Array, i: number, n: number, first: (a: number, b: number) => boolean): void {
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) return;
    const c = l + 1 < n && first(h[l + 1], h[l]) ? l + 1 : l;
    if (!first(h[c], h[i])) return;
    [h[i], h[c]] = [h[c], h[i]];
    i = c;
  }
}
