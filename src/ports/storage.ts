/**
 * Storage port: an ordered key-value store with atomic, durable batches. Production
 * binds LevelDB (`level`); the simulator binds an in-memory store that can lose writes
 * not yet durable, as a power cut would. Keys are strings compared by their UTF-8
 * bytes, so '/'-separated prefixes give cheap ranges. I/O errors are never turned into
 * "not found": they surface as `storage-failed`.
 */

export type StorageOp =
  | { type: 'put', key: string, value: Uint8Array }
  | { type: 'del', key: string }

export interface StorageRange {
  /** Only keys starting with this prefix. */
  prefix?: string
  /** Lower bound, inclusive. */
  gte?: string
  /** Upper bound, exclusive. */
  lt?: string
  reverse?: boolean
  limit?: number
}

export interface Storage {
  get (key: string): Promise<Uint8Array | undefined>
  /**
   * Applies every op or none. When the promise resolves the batch is durable: it
   * survives the process being killed (and, with `sync`, a power cut).
   */
  batch (ops: readonly StorageOp[]): Promise<void>
  /** Entries in key order (or reverse), within the range. */
  entries (range?: StorageRange): AsyncIterable<[string, Uint8Array]>
  close (): Promise<void>
}

/**
 * The exclusive upper bound of all keys that start with `prefix`, in UTF-8 byte order:
 * the prefix with its last code point incremented ('a/' gives 'a0'). Appending '\uffff'
 * would not do: keys such as 'a/😀' sort after it. Prefer `StorageRange.prefix`, which
 * is exact for every prefix; here '' (or a run of U+10FFFF) has no true bound and gets
 * '\u{10FFFF}' repeated, which only keys of U+10FFFF noncharacters can exceed.
 */
export function prefixEnd (prefix: string): string {
  const points = Array.from(prefix, (c) => c.codePointAt(0) as number)
  while (points.length > 0 && points[points.length - 1] === 0x10ffff) points.pop()
  const last = points.pop()
  if (last === undefined) return '\u{10FFFF}'.repeat(Array.from(prefix).length + 1)
  return String.fromCodePoint(...points, last === 0xd7ff ? 0xe000 : last + 1)
}
