/**
 * Splitting replicas by weight: the Sainte-Laguë (Webster) divisor method with a cap per
 * cluster and ties broken by rank (rendezvous order). Seat k (0-based) of cluster i has
 * the priority w_i / (2k + 1); the result is exactly the `seats` best (cluster, seat)
 * pairs under that total order. Because of this, removing a cluster never takes a seat
 * away from any other cluster (the others' pairs only climb), and adding one only takes
 * seats away: a cluster removal moves exactly the replicas it held, an addition exactly
 * its new share. A largest-remainder split lacks that property (the new-states paradox),
 * which is why the remainder is not assigned that way. Karmada's own dispenser hands
 * remainders to the heaviest clusters; both agree whenever the shares divide exactly.
 */

/** Tiny binary heap over cluster indices, ordered by `before(a, b)` (true: a pops first). */
function heapPush (h: number[], x: number, before: (a: number, b: number) => boolean): void {
  h.push(x)
  let i = h.length - 1
  while (i > 0) {
    const p = (i - 1) >> 1
    if (!before(h[i]!, h[p]!)) break
    const t = h[i]!; h[i] = h[p]!; h[p] = t
    i = p
  }
}

function heapPop (h: number[], before: (a: number, b: number) => boolean): number | undefined {
  if (h.length === 0) return undefined
  const top = h[0]!
  const last = h.pop()!
  if (h.length > 0) {
    h[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < h.length && before(h[l]!, h[m]!)) m = l
      if (r < h.length && before(h[r]!, h[m]!)) m = r
      if (m === i) break
      const t = h[i]!; h[i] = h[m]!; h[m] = t
      i = m
    }
  }
  return top
}

/**
 * Splits `seats` over clusters given in rank order (index 0 wins ties). `weights` are
 * non-negative integers, `caps` the most each cluster can take. Returns the seats per
 * cluster; their sum is min(seats, sum of caps of positive-weight clusters).
 */
export function apportion (weights: readonly number[], caps: readonly number[], seats: number): number[] {
  const n = weights.length
  const out = new Array<number>(n).fill(0)
  if (seats <= 0) return out
  let eligible = 0
  let total = 0
  for (let i = 0; i < n; i++) {
    if (weights[i]! > 0 && caps[i]! > 0) { eligible++; total += weights[i]! }
  }
  if (eligible === 0) return out
  let held = 0
  // Start from a set of pairs that is certainly among the best `seats`: every pair whose
  // priority beats t = W / (2(seats - eligible/2)) (at most `seats` of them). The margin
  // keeps float rounding from admitting a pair at the boundary.
  if (seats > eligible / 2) {
    const t = (total / (2 * (seats - eligible / 2))) * (1 + 1e-9)
    for (let i = 0; i < n; i++) {
      const w = weights[i]!
      if (w <= 0 || caps[i]! <= 0) continue
      const s = Math.min(caps[i]!, Math.max(0, Math.ceil((w / t - 1) / 2)))
      out[i] = s
      held += s
    }
  }
  // Then take the best next pair one at a time; priorities compare by cross-multiplying,
  // exact for the integer weights and replica counts used here.
  const before = (a: number, b: number): boolean => {
    const pa = weights[a]! * (2 * out[b]! + 1)
    const pb = weights[b]! * (2 * out[a]! + 1)
    return pa > pb || (pa === pb && a < b)
  }
  const heap: number[] = []
  for (let i = 0; i < n; i++) {
    if (weights[i]! > 0 && out[i]! < caps[i]!) heapPush(heap, i, before)
  }
  while (held < seats) {
    const i = heapPop(heap, before)
    if (i === undefined) break
    out[i]!++
    held++
    if (out[i]! < caps[i]!) heapPush(heap, i, before)
  }
  return out
}
