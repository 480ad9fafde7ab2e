/**
 * An ordered map from string keys to byte values, ordered by the keys' UTF-8 bytes
 * exactly as LevelDB orders them. It backs the simulator's memory storage: a sorted
 * array with binary search, because simulated stores are small and cloning one on a
 * crash must be cheap. Entries are immutable objects, so a clone is a shallow array
 * copy and an iteration snapshot is a slice.
 */
import { compareKeyBytes, type ByteRange } from '../../src/storage/key-range.ts'

export interface SortedEntry {
  readonly key: string
  readonly bytes: Uint8Array
  readonly value: Uint8Array
}

export interface SortedEntries {
  get (bytes: Uint8Array): SortedEntry | undefined
  /** Stores `entry`, replacing any entry with the same key bytes. */
  set (entry: SortedEntry): void
  delete (bytes: Uint8Array): void
  /** The entries within `range`, in its order (reverse included) and limit. */
  slice (range: ByteRange): SortedEntry[]
  clone (): SortedEntries
  size (): number
}

/** An empty ordered map, or one holding `initial` (already sorted and unique). */
export function createSortedEntries (initial: SortedEntry[] = []): SortedEntries {
  const list = initial

  /** Index of the first entry whose key is >= `bytes`. */
  const lowerBound = (bytes: Uint8Array): number => {
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareKeyBytes((list[mid] as SortedEntry).bytes, bytes) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  const indexOf = (bytes: Uint8Array): number => {
    const i = lowerBound(bytes)
    const e = list[i]
    return e !== undefined && compareKeyBytes(e.bytes, bytes) === 0 ? i : -1
  }

  return {
    get (bytes) {
      const i = indexOf(bytes)
      return i < 0 ? undefined : list[i]
    },
    set (entry) {
      const i = lowerBound(entry.bytes)
      const e = list[i]
      if (e !== undefined && compareKeyBytes(e.bytes, entry.bytes) === 0) list[i] = entry
      else list.splice(i, 0, entry)
    },
    delete (bytes) {
      const i = indexOf(bytes)
      if (i >= 0) list.splice(i, 1)
    },
    slice (range) {
      if (range.empty) return []
      const from = range.gte === undefined ? 0 : lowerBound(range.gte)
      const to = range.lt === undefined ? list.length : lowerBound(range.lt)
      if (to <= from) return []
      const count = Math.min(to - from, range.limit)
      return range.reverse ? list.slice(to - count, to).reverse() : list.slice(from, from + count)
    },
    clone () {
      return createSortedEntries(list.slice())
    },
    size () {
      return list.length
    }
  }
}
