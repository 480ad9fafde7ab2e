/** A minimal in-memory `Storage` for the local store's tests: sorted keys, atomic batches, values copied. */
import type { Storage, StorageOp, StorageRange } from '../../../src/ports/storage.ts'

export interface MemoryStorage extends Storage {
  readonly data: Map<string, Uint8Array>
}

export function memoryStorage (): MemoryStorage {
  const data = new Map<string, Uint8Array>()
  const encoder = new TextEncoder()
  const cmp = (a: string, b: string): number => Buffer.compare(encoder.encode(a), encoder.encode(b))
  return {
    data,
    async get (key) {
      const v = data.get(key)
      return v === undefined ? undefined : Uint8Array.from(v)
    },
    async batch (ops: readonly StorageOp[]) {
      for (const op of ops) {
        if (op.type === 'put') data.set(op.key, Uint8Array.from(op.value))
        else data.delete(op.key)
      }
    },
    async * entries (range: StorageRange = {}) {
      let keys = [...data.keys()].sort(cmp).filter((k) =>
        (range.prefix === undefined || k.startsWith(range.prefix)) &&
        (range.gte === undefined || cmp(k, range.gte) >= 0) &&
        (range.lt === undefined || cmp(k, range.lt) < 0))
      if (range.reverse === true) keys = keys.reverse()
      if (range.limit !== undefined) keys = keys.slice(0, range.limit)
      for (const k of keys) yield [k, Uint8Array.from(data.get(k)!)] as [string, Uint8Array]
    },
    async close () {}
  }
}
