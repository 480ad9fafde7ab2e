/**
 * Stable hashing for rendezvous (highest-random-weight) choices. The score of a
 * (workload, cluster) pair is a deterministic function of their ids only, so every
 * site ranks clusters the same way and removing one cluster leaves the relative order
 * of the others untouched — the root of minimal movement. The functions are pinned by
 * test vectors: changing them moves workloads on upgrade, so treat that as a migration.
 */

/** A 64-bit hash kept as two unsigned 32-bit halves (no BigInt on the hot path). */
export interface Hash64 { lo: number, hi: number }

function fmix32 (x: number): number {
  let h = x
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Two FNV-1a lanes with different offsets and primes over UTF-16 code units, then avalanched. */
export function hashString (s: string): Hash64 {
  let a = 0x811c9dc5
  let b = 0x6a09e667
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x0100019d)
  }
  const lo = fmix32(a ^ s.length)
  const hi = fmix32(b ^ Math.imul(lo, 0x9e3779b1))
  return { lo, hi }
}

/** Largest rendezvous score plus one: scores are integers in [0, 2^53). */
export const RENDEZVOUS_RANGE = 2 ** 53

/**
 * The rendezvous score of `item` for `subject`: a 53-bit integer, uniform and
 * pseudo-independent across items. Higher wins. Ties are possible in principle, so
 * callers always fall back to the ids.
 */
export function rendezvousScore (subject: Hash64, item: Hash64): number {
  const lo = (subject.lo ^ item.lo) >>> 0
  const hi = (subject.hi ^ item.hi) >>> 0
  const a = fmix32(lo ^ Math.imul(hi, 0x9e3779b1))
  const b = fmix32(hi ^ Math.imul(a, 0x85ebca77) ^ 0x27d4eb2f)
  const c = fmix32(a ^ b)
  return (b >>> 11) * 4294967296 + c
}
