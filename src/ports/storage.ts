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

/** The exclusive upper bound of all keys that start with `prefix`. */
export function prefixEnd (prefix: string): string {
  return prefix + '\uffff'
}
