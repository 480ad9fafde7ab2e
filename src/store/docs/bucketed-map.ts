/**
 * A collection stored as buckets (see bucket.ts): `{ "<bb>": { "<key>": entry } }`, or
 * for large collections `{ "<b>": { "<b>": { "<key>": entry } } }`. Writers create a
 * bucket on first use and keep it when it empties (a deleted map is a tombstone;
 * recreating it would cost more than the empty map). Only the site document uses
 * buckets: it has a single writer, so two writers can never create the same bucket
 * concurrently and hide each other's entries.
 */
import { bucketLevels, bucketPath } from './bucket.ts'
import { isPlainObject, own } from './validate.ts'

/** A collection of at most 64 buckets, as stored. */
export type Buckets<E> = Record<string, Record<string, E>>
/** A collection of more than 64 buckets, nested two levels deep. */
export type NestedBuckets<E> = Record<string, Buckets<E>>

/** The bucket `key` belongs in, created if missing (writers only). */
export function bucketForWrite<E> (buckets: Buckets<E> | NestedBuckets<E>, key: string, count: number): Record<string, E> {
  let m = buckets as Record<string, unknown>
  for (const name of bucketPath(key, count)) {
    if (m[name] === undefined) m[name] = {}
    m = m[name] as Record<string, unknown>
  }
  return m as Record<string, E>
}

function bucketFor (buckets: unknown, key: string, count: number): unknown {
  let m = buckets
  for (const name of bucketPath(key, count)) m = own(m, name)
  return m
}

/** The raw stored entry of `key`, or undefined. */
export function readEntry (buckets: unknown, key: string, count: number): unknown {
  return own(bucketFor(buckets, key, count), key)
}

export function deleteEntry<E> (buckets: Buckets<E> | NestedBuckets<E>, key: string, count: number): boolean {
  const bucket = bucketFor(buckets, key, count) as Record<string, unknown> | undefined
  if (bucket === undefined || own(bucket, key) === undefined) return false
  delete bucket[key]
  return true
}

/**
 * Every bucket of a stored collection as [path, bucket map], in no particular order;
 * values that are not maps are skipped.
 */
export function * storedBuckets (buckets: unknown, count: number): Generator<[string[], Record<string, unknown>]> {
  if (!isPlainObject(buckets)) return
  for (const [a, first] of Object.entries(buckets)) {
    if (!isPlainObject(first)) continue
    if (bucketLevels(count) === 1) {
      yield [[a], first]
      continue
    }
    for (const [b, second] of Object.entries(first)) if (isPlainObject(second)) yield [[a, b], second]
  }
}

/** Every stored entry as [bucket path, key, raw entry], in no particular order. */
export function * rawEntries (buckets: unknown, count: number): Generator<[string[], string, unknown]> {
  for (const [path, bucket] of storedBuckets(buckets, count)) {
    for (const [k, entry] of Object.entries(bucket)) yield [path, k, entry]
  }
}

/** [key, raw entry] of a bucketed collection, sorted by key. */
export function sortedEntries (buckets: unknown, count: number): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = []
  for (const [, k, raw] of rawEntries(buckets, count)) out.push([k, raw])
  return out.sort((a, b) => compareStrings(a[0], b[0]))
}

/** Code-unit order, the same on every site and independent of locale. */
export function compareStrings (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
