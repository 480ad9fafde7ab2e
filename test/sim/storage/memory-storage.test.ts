import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FlotillaError, isFlotillaError } from '../../../src/model/errors.ts'
import { createSystemClock } from '../../../src/platform/system-clock.ts'
import type { Storage } from '../../../src/ports/storage.ts'
import { createSeededRng } from '../../../sim/engine/seeded-rng.ts'
import { createVirtualClock, type VirtualClock } from '../../../sim/engine/virtual-clock.ts'
import { createMemoryStorage, type MemoryStorage } from '../../../sim/storage/memory-storage.ts'
import { runStorageAcceptance } from '../../ports/storage-acceptance.ts'

const bytes = (...xs: number[]): Uint8Array => new Uint8Array(xs)

runStorageAcceptance('memory storage, durable on issue', async () => {
  const storage = createMemoryStorage()
  let current: MemoryStorage = storage
  return {
    storage,
    reopen: async () => (current = current.reopen()),
    failNextBatch: () => { current.failNext('batch') }
  }
})

runStorageAcceptance('memory storage, 0-2 ms random disk latency on the system clock', async () => {
  const rng = createSeededRng(7)
  const storage = createMemoryStorage({ clock: createSystemClock(), latencyMs: () => rng.nextFloat() * 2 })
  let current: MemoryStorage = storage
  return {
    storage,
    reopen: async () => (current = current.reopen()),
    failNextBatch: () => { current.failNext('batch') }
  }
})

/** Runs the engine in the background, so code that simply awaits storage sees virtual time pass. */
function pump (engine: VirtualClock): () => Promise<void> {
  let stop = false
  const done = (async () => {
    while (!stop) {
      if (!await engine.step()) await new Promise((resolve) => { setImmediate(resolve) })
    }
  })()
  return async () => { stop = true; await done }
}

runStorageAcceptance('memory storage, 1-20 ms disk latency on a virtual clock', async () => {
  const engine = createVirtualClock()
  const rng = createSeededRng(8)
  const storage = createMemoryStorage({ clock: engine.view({ driftPpm: 120 }), latencyMs: () => 1 + rng.nextFloat() * 19 })
  let current: MemoryStorage = storage
  const stop = pump(engine)
  return {
    storage,
    reopen: async () => (current = current.reopen()),
    failNextBatch: () => { current.failNext('batch') },
    dispose: stop
  }
})

async function rejection (p: Promise<unknown>): Promise<FlotillaError> {
  try {
    await p
  } catch (e) {
    if (e instanceof FlotillaError) return e
    throw e
  }
  throw new Error('expected a rejection')
}

/** Tracks a promise's outcome without awaiting it. */
function watch (p: Promise<unknown>): { state: () => 'pending' | 'resolved' | 'rejected', error: () => unknown } {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending'
  let error: unknown
  p.then(() => { state = 'resolved' }, (e: unknown) => { state = 'rejected'; error = e })
  return { state: () => state, error: () => error }
}

async function dump (storage: Storage): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {}
  for await (const [k, v] of storage.entries()) out[k] = [...v]
  return out
}

describe('memory storage durability model', () => {
  it('acknowledges a batch only after the disk latency has passed on its clock', async () => {
    const engine = createVirtualClock()
    const storage = createMemoryStorage({ clock: engine, latencyMs: 5 })
    const w = watch(storage.batch([{ type: 'put', key: 'a', value: bytes(1) }]))
    await engine.runFor(4.9)
    expect(w.state()).toBe('pending')
    expect(storage.pendingBatches()).toBe(1)
    await engine.runFor(0.1)
    expect(w.state()).toBe('resolved')
    expect(storage.pendingBatches()).toBe(0)
  })

  it('lets reads see a batch as soon as it is issued, before it is durable (like the page cache)', async () => {
    const engine = createVirtualClock()
    const storage = createMemoryStorage({ clock: engine, latencyMs: 50 })
    const w = watch(storage.batch([{ type: 'put', key: 'a', value: bytes(1) }]))
    expect(await storage.get('a')).toEqual(bytes(1))
    expect(w.state()).toBe('pending')
    await engine.runUntilIdle()
    expect(w.state()).toBe('resolved')
  })

  it('makes batches durable in issue order, even when a later batch draws a shorter latency', async () => {
    const engine = createVirtualClock()
    const latencies = [10, 1, 3]
    const storage = createMemoryStorage({ clock: engine, latencyMs: () => latencies.shift() ?? 0 })
    const acked: Array<[string, number]> = []
    for (const key of ['first', 'second', 'third']) {
      void storage.batch([{ type: 'put', key, value: bytes(1) }]).then(() => { acked.push([key, engine.nowMs()]) })
    }
    await engine.runUntilIdle()
    expect(acked).toEqual([['first', 10], ['second', 10], ['third', 10]])
  })

  it('loses every batch not yet durable in a crash, rejects its promise, and keeps the durable ones', async () => {
    const engine = createVirtualClock()
    const storage = createMemoryStorage({ clock: engine, latencyMs: 10, name: 'site-a' })
    await Promise.all([storage.batch([{ type: 'put', key: 'pre', value: bytes(9) }]), engine.runFor(10)])
    const early = watch(storage.batch([{ type: 'put', key: 'early', value: bytes(1) }]))
    await engine.runFor(10)
    expect(early.state()).toBe('resolved')
    const late = watch(storage.batch([{ type: 'put', key: 'late', value: bytes(2) }, { type: 'del', key: 'early' }]))
    await engine.runFor(5)
    storage.crash()
    await engine.runFor(50)
    expect(late.state()).toBe('rejected')
    expect(isFlotillaError(late.error(), 'storage-failed')).toBe(true)
    expect((late.error() as FlotillaError).details?.reason).toBe('crashed')

    const restarted = storage.reopen()
    expect(await dump(restarted)).toEqual({ early: [1], pre: [9] })
  })

  it('kills the crashed handle so code still running for the dead site cannot touch the disk', async () => {
    const engine = createVirtualClock()
    const storage = createMemoryStorage({ clock: engine, latencyMs: 1 })
    storage.crash()
    const restarted = storage.reopen()
    for (const p of [storage.get('a'), storage.batch([{ type: 'put', key: 'zombie', value: bytes(1) }]), dump(storage)]) {
      const e = await rejection(p)
      expect(e.code).toBe('storage-failed')
      expect(e.details?.reason).toBe('crashed')
    }
    expect(await restarted.get('zombie')).toBeUndefined()
  })

  it('refuses to reopen a disk that is still open, as LevelDB\'s LOCK does', async () => {
    const storage = createMemoryStorage()
    let caught: unknown
    try { storage.reopen() } catch (e) { caught = e }
    expect(isFlotillaError(caught, 'storage-failed')).toBe(true)
    await storage.close()
    const second = storage.reopen()
    caught = undefined
    try { storage.reopen() } catch (e) { caught = e }
    expect((caught as FlotillaError).details?.reason).toBe('locked')
    await second.close()
  })

  it('waits in close() until every pending batch is durable', async () => {
    const engine = createVirtualClock()
    const storage = createMemoryStorage({ clock: engine, latencyMs: 20 })
    const w = watch(storage.batch([{ type: 'put', key: 'a', value: bytes(1) }]))
    const closed = watch(storage.close())
    await engine.runFor(19)
    expect(closed.state()).toBe('pending')
    await engine.runFor(1)
    expect(w.state()).toBe('resolved')
    expect(closed.state()).toBe('resolved')
    expect(await storage.reopen().get('a')).toEqual(bytes(1))
  })

  it('slows later batches after setLatency, as a disk turning slow', async () => {
    const engine = createVirtualClock()
    const storage = createMemoryStorage({ clock: engine, latencyMs: 1 })
    await Promise.all([storage.batch([{ type: 'put', key: 'a', value: bytes(1) }]), engine.runFor(1)])
    storage.setLatency(500)
    const slow = watch(storage.batch([{ type: 'put', key: 'b', value: bytes(1) }]))
    await engine.runFor(499)
    expect(slow.state()).toBe('pending')
    await engine.runFor(1)
    expect(slow.state()).toBe('resolved')
  })

  it('refuses a latency sampler that returns a negative or non-finite delay, applying nothing', async () => {
    const engine = createVirtualClock()
    const storage = createMemoryStorage({ clock: engine, latencyMs: () => -1 })
    const e = await rejection(storage.batch([{ type: 'put', key: 'a', value: bytes(1) }]))
    expect(e.code).toBe('input-invalid')
    expect(await storage.get('a')).toBeUndefined()
  })
})

describe('memory storage fault injection', () => {
  it('corrupts exactly one bit of a durable value', async () => {
    const storage = createMemoryStorage()
    const value = bytes(0, 0, 0, 0, 0, 0, 0, 0)
    await storage.batch([{ type: 'put', key: 'k', value }])
    storage.corrupt('k', 13)
    expect(await storage.get('k')).toEqual(bytes(0, 0x20, 0, 0, 0, 0, 0, 0))
    storage.corrupt('k')
    expect(await storage.get('k')).toEqual(bytes(0, 0x20, 0, 0, 1, 0, 0, 0))
    await storage.close()
    expect(await storage.reopen().get('k')).toEqual(bytes(0, 0x20, 0, 0, 1, 0, 0, 0))
  })

  it('chooses the corrupted bit from its Rng, the same one for the same seed', async () => {
    const flipped = async (seed: number): Promise<number[]> => {
      const storage = createMemoryStorage({ rng: createSeededRng(seed) })
      await storage.batch([{ type: 'put', key: 'k', value: new Uint8Array(64) }])
      storage.corrupt('k')
      const got = await storage.get('k') as Uint8Array
      const ones = [...got].flatMap((b, i) => b === 0 ? [] : [i * 8 + Math.log2(b)])
      expect(ones).toHaveLength(1)
      return ones
    }
    expect(await flipped(3)).toEqual(await flipped(3))
  })

  it('refuses to corrupt a key with no durable value', async () => {
    const engine = createVirtualClock()
    const storage = createMemoryStorage({ clock: engine, latencyMs: 10 })
    void storage.batch([{ type: 'put', key: 'pending', value: bytes(1) }])
    for (const key of ['missing', 'pending']) {
      let caught: unknown
      try { storage.corrupt(key) } catch (e) { caught = e }
      expect(isFlotillaError(caught, 'input-invalid')).toBe(true)
    }
    await engine.runUntilIdle()
  })

  it('fails the next get or iteration with storage-failed, never with "not found", then recovers', async () => {
    const storage = createMemoryStorage()
    await storage.batch([{ type: 'put', key: 'a', value: bytes(1) }])
    storage.failNext('get')
    expect((await rejection(storage.get('a'))).code).toBe('storage-failed')
    expect(await storage.get('a')).toEqual(bytes(1))
    storage.failNext('entries', 2)
    expect((await rejection(dump(storage))).code).toBe('storage-failed')
    expect((await rejection(dump(storage))).code).toBe('storage-failed')
    expect(await dump(storage)).toEqual({ a: [1] })
  })
})

describe('memory storage crash property', () => {
  it('after any crash, holds every acknowledged batch, and a whole prefix of the issued ones', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 2 ** 31 }),
      fc.array(fc.record({ gap: fc.integer({ min: 0, max: 20 }), keys: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'é', '😀'), { minLength: 1, maxLength: 3 }) }), { minLength: 1, maxLength: 25 }),
      fc.integer({ min: 0, max: 300 }),
      async (seed, batches, crashAt) => {
        const engine = createVirtualClock()
        const rng = createSeededRng(seed)
        const storage = createMemoryStorage({ clock: engine, latencyMs: () => rng.nextFloat() * 30 })
        const acked = new Set<number>()
        let t = 0
        batches.forEach((b, i) => {
          t += b.gap
          engine.setTimer(t, () => {
            // Each batch writes its index under every one of its keys, plus a marker of its own.
            const value = bytes(i)
            storage.batch([...b.keys.map((key) => ({ type: 'put' as const, key, value })), { type: 'put', key: `batch/${String(i).padStart(3, '0')}`, value }])
              .then(() => { acked.add(i) }, () => {})
          })
        })
        engine.setTimer(crashAt, () => { storage.crash() })
        await engine.runUntilIdle()
        const after = storage.reopen()
        const markers: number[] = []
        for await (const [, v] of after.entries({ prefix: 'batch/' })) markers.push(v[0] as number)
        // Exactly the acknowledged batches survived (a batch is durable when, and only when, it is
        // acknowledged), and they are a prefix of the issued ones.
        expect(markers).toEqual(markers.map((_, i) => i))
        expect(markers).toEqual([...acked].sort((x, y) => x - y))
        // And each surviving key holds the value of the last surviving batch that wrote it.
        for (const key of ['a', 'b', 'c', 'é', '😀']) {
          const writers = markers.filter((i) => (batches[i]?.keys ?? [] as string[]).some((k) => k === key))
          const got = await after.get(key)
          if (writers.length === 0) expect(got).toBeUndefined()
          else expect(got).toEqual(bytes(writers[writers.length - 1] as number))
        }
      }), { numRuns: 60 })
  })
})
