/**
 * Bucketing of large collections. Automerge copies every map on the path of a change
 * in the materialised document, so one write to a map of 10,000 keys costs
 * milliseconds while the same write to a map of ~40 keys costs a fraction of one. Large
 * collections are therefore split into buckets named by the FNV-1a hash (over UTF-8
 * bytes) of the entry key, as two hex characters. A collection of more than 64 buckets
 * nests them two levels deep, one hex character per level (`workloads.a.7.<key>`),
 * so no map on the path holds more than 16 buckets: measured, that costs a quarter
 * less per change than 256 buckets side by side (bench/suites/store.ts
 * --explore-buckets). The hash, the counts and the nesting are part of the schema:
 * changing them is a schema version bump, since every site must find an entry where
 * its writer put it.
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

/** Levels of nesting of a collection of `count` buckets: 2 above 64 buckets, else 1. */
export function bucketLevels (count: number): 1 | 2 {
  return count > 64 ? 2 : 1
}

/** The map keys leading from the collection to the bucket of `key`. */
export function bucketPath (key: string, count: number): string[] {
  const b = bucketOf(key, count)
  return bucketLevels(count) === 2 ? [b[0]!, b[1]!] : [b]
}
