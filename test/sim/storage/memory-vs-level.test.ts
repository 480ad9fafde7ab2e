import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Storage, StorageOp, StorageRange } from '../../../src/ports/storage.ts'
import { openLevelStorage } from '../../../src/storage/level-storage.ts'
import { createMemoryStorage } from '../../../sim/storage/memory-storage.ts'

// Characters whose UTF-8 order differs from UTF-16 order ('\uE000', '\uFFFF' vs astral), plus separators and NUL.
const alphabet = ['a', 'b', '/', '\u0000', 'é', '\u4e2d', '\uE000', '\uFFFF', '😀', '\u{10FFFF}']
const key = fc.array(fc.constantFrom(...alphabet), { maxLength: 4 }).map((cs) => cs.join(''))
const op: fc.Arbitrary<StorageOp> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key, value: fc.uint8Array({ maxLength: 8 }) }),
  fc.record({ type: fc.constant('del' as const), key })
)
const range: fc.Arbitrary<StorageRange> = fc.record({
  prefix: key, gte: key, lt: key, reverse: fc.boolean(), limit: fc.integer({ min: 0, max: 6 })
}, { requiredKeys: [] })

async function collect (storage: Storage, r: StorageRange): Promise<Array<[string, number[]]>> {
  const out: Array<[string, number[]]> = []
  for await (const [k, v] of storage.entries(r)) out.push([k, [...v]])
  return out
}

describe('memory storage against LevelDB', () => {
  it('holds the same entries in the same order for any batches and any range', async () => {
    const root = await mkdtemp(join(tmpdir(), 'flotilla-vs-'))
    let run = 0
    try {
      await fc.assert(fc.asyncProperty(
        fc.array(fc.array(op, { maxLength: 8 }), { minLength: 1, maxLength: 6 }),
        fc.array(range, { minLength: 1, maxLength: 8 }),
        async (batches, ranges) => {
          const level = await openLevelStorage(join(root, String(run++)), { sync: false })
          const memory = createMemoryStorage()
          try {
            for (const b of batches) {
              await level.batch(b)
              await memory.batch(b)
            }
            for (const r of [{}, ...ranges]) expect(await collect(memory, r)).toEqual(await collect(level, r))
          } finally {
            await level.close()
          }
        }), { numRuns: 40 })
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
