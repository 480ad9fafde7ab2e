import { describe, expect, it } from 'vitest'
import { every, type Timer } from '../../../src/ports/clock.ts'
import { randomInt } from '../../../src/ports/rng.ts'
import { createSeededRng } from '../../../sim/engine/seeded-rng.ts'
import { createTrace } from '../../../sim/engine/trace.ts'
import { createVirtualClock, type SiteClock } from '../../../sim/engine/virtual-clock.ts'
import { createMemoryStorage, type MemoryStorage } from '../../../sim/storage/memory-storage.ts'

interface Site { clock: SiteClock, storage: MemoryStorage, ticker: Timer, alive: boolean }

/**
 * A small stand-in for a simulated federation: sites on skewed, drifting clocks, async
 * ticks that write to slow disks and message each other over a randomly delayed link,
 * and a crash and restart. Returns the trace hash and record count.
 */
async function scenario (seed: number, options: { extraConsumer?: boolean } = {}): Promise<{ hash: string, records: number }> {
  const trace = createTrace({ keep: 0 })
  const engine = createVirtualClock({ trace })
  const root = createSeededRng(seed)
  if (options.extraConsumer === true) {
    // A component added later that draws heavily from its own stream must not shift anyone else's.
    const extra = root.fork('extra-component')
    for (let i = 0; i < 1000; i++) extra.nextUint32()
  }
  const netRng = root.fork('net')
  const sites: Site[] = []

  const deliver = (from: number, to: number, n: number): void => {
    engine.setTimer(20 + netRng.nextFloat() * 80, () => {
      const site = sites[to] as Site
      if (!site.alive) return
      void (async () => {
        const last = await site.storage.get('counter')
        trace.record(engine.nowMs(), 'recv', { to, from, n, last: last?.[0] ?? null, wall: site.clock.wallMs() })
      })().catch(() => {})
    })
  }

  const boot = (i: number): Site => {
    const rng = root.fork(`site-${i}`)
    const previous = sites[i]
    const clock = engine.view({ wallSkewMs: randomInt(rng, -5_000, 5_000), driftPpm: randomInt(rng, -100, 100) })
    const diskRng = rng.fork('disk')
    // A restarted site reopens its disk: only what became durable before the crash is there.
    const storage = previous === undefined
      ? createMemoryStorage({ clock: engine, latencyMs: () => 1 + diskRng.nextFloat() * 9, name: `site-${i}` })
      : previous.storage.reopen()
    let n = 0
    const ticker = every(clock, 100 + randomInt(rng, 0, 50), async () => {
      n++
      await storage.batch([{ type: 'put', key: 'counter', value: new Uint8Array([n % 256]) }])
      trace.record(engine.nowMs(), 'tick', { site: i, n, mono: clock.monotonicMs() })
      deliver(i, randomInt(rng, 0, 3), n)
    }, (e) => { trace.record(engine.nowMs(), 'tick-failed', { site: i, error: String(e) }) })
    return { clock, storage, ticker, alive: true }
  }

  for (let i = 0; i < 4; i++) sites.push(boot(i))
  const faults = root.fork('faults')
  engine.setTimer(1_000 + faults.nextFloat() * 2_000, () => {
    const victim = randomInt(faults, 0, 3)
    const site = sites[victim] as Site
    trace.record(engine.nowMs(), 'crash', { site: victim })
    site.alive = false
    site.clock.halt()
    site.storage.crash()
    engine.setTimer(500, () => {
      trace.record(engine.nowMs(), 'restart', { site: victim })
      sites[victim] = boot(victim)
    })
  })
  await engine.runFor(5_000)
  for (const s of sites) s.ticker.cancel()
  return { hash: trace.hash(), records: trace.count() }
}

describe('deterministic replay', () => {
  it('gives the same trace hash for the same seed', async () => {
    const first = await scenario(2024)
    const second = await scenario(2024)
    expect(first.records).toBeGreaterThan(300)
    expect(second).toEqual(first)
  })

  it('gives different traces for different seeds', async () => {
    const hashes = new Set<string>()
    for (const seed of [1, 2, 3]) hashes.add((await scenario(seed)).hash)
    expect(hashes.size).toBe(3)
  })

  it('is not perturbed by a new consumer drawing from its own forked stream', async () => {
    expect(await scenario(77, { extraConsumer: true })).toEqual(await scenario(77))
  })
})
