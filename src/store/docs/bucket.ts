/**
 * Bucketing of large collections. Automerge copies a map's materialised object on every
 * change to it, so one write to a map of 10,000 keys costs milliseconds while the same
 * write to a map of ~40 keys costs a fraction of one. Large collections are therefore
 * maps of buckets, each bucket named by the FNV-1a hash (over UTF-8 bytes) of the
 * entry key, as two hex characters. The hash and the bucket counts are part of the
 * schema: changing them is a schema version bump, since every site must find an entry
 * where its writer put it.
 */

/** Bucket counts per collection (powers of two, at most 256). Measured in bench/suites/store.ts. */
export const BUCKETS = {
  workloads: 256,
  stubs: 64,
  policies: 64,
  bindings: 256,
  shares: 256,
  inspections: 64,
  evidence: 16,
  events: 32
} as const

export type BucketedCollection = keyof typeof BUCKETS

/** FNV-1a, 32 bit, over the UTF-8 bytes of `s`. */
export function fnv1a32 (s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i)
    if (c < 0x80) {
      h = Math.imul(h ^ c, 0x01000193)
      continue
    }
    // Encode the code point as UTF-8 bytes so the hash is the same in any language.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1)
      if (lo >= 0xdc00 && lo <= 0xdfff) { c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00); i++ }
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd // a lone surrogate encodes as U+FFFD, as TextEncoder does
    }
    const bytes = c < 0x800
      ? [0xc0 | (c >> 6), 0x80 | (c & 0x3f)]
      : c < 0x10000
        ? [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)]
        : [0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)]
    for (const b of bytes) h = Math.imul(h ^ b, 0x01000193)
  }
  return h >>> 0
}

/** The bucket name of `key` among `count` buckets: two lower-case hex characters. */
export function bucketOf (key: string, count: number): string {
  return (fnv1a32(key) & (count - 1)).toString(16).padStart(2, '0')
}
