/**
 * A collection stored as a map of buckets (see bucket.ts): `{ "<bb>": { "<key>": entry } }`.
 * Writers create a bucket on first use and keep it when it empties (a deleted map is a
 * tombstone; recreating it would cost more than the empty map). Only the site document
 * uses buckets: it has a single writer, so two writers can never create the same bucket
 * concurrently and hide each other's entries.
 */
import { bucketOf } from './bucket.ts'
import { isPlainObject, own } from './validate.ts'

export type Buckets<E> = Record<string, Record<string, E>>

/** The bucket `key` belongs in, created if missing (writers only). */
export function bucketForWrite<E> (buckets: Buckets<E>, key: string, count: number): Record<string, E> {
  const name = bucketOf(key, count)
  let bucket = buckets[name]
  if (bucket === undefined) {
    buckets[name] = {}
    bucket = buckets[name]!
  }
  return bucket
}

/** The raw stored entry of `key`, or undefined. */
export function readEntry (buckets: unknown, key: string, count: number): unknown {
  return own(own(buckets, bucketOf(key, count)), key)
}

export function deleteEntry<E> (buckets: Buckets<E>, key: string, count: number): boolean {
  const bucket = buckets[bucketOf(key, count)]
  if (bucket === undefined || bucket[key] === undefined) return false
  delete bucket[key]
  return true
}

/** Every stored entry as [bucket, key, raw entry], in no particular order. */
export function * rawEntries (buckets: unknown): Generator<[string, string, unknown]> {
  if (!isPlainObject(buckets)) return
  for (const [b, bucket] of Object.entries(buckets)) {
    if (!isPlainObject(bucket)) continue
    for (const [k, entry] of Object.entries(bucket)) yield [b, k, entry]
  }
}

export function countEntries (buckets: unknown): number {
  let n = 0
  if (!isPlainObject(buckets)) return 0
  for (const bucket of Object.values(buckets)) if (isPlainObject(bucket)) n += Object.keys(bucket).length
  return n
}

/** [key, raw entry] of a bucketed collection, sorted by key. */
export function sortedEntries (buckets: unknown): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = []
  for (const [, k, raw] of rawEntries(buckets)) out.push([k, raw])
  return out.sort((a, b) => compareStrings(a[0], b[0]))
}

/** Code-unit order, the same on every site and independent of locale. */
export function compareStrings (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
