import { describe, expect, it } from 'vitest'
import { createVirtualClock } from '../../sim/engine/virtual-clock.ts'
import { createTickScheduler, type TickResult } from '../../src/site/tick-scheduler.ts'

function setup (tick: (remoteOnly: boolean, at: number) => Promise<TickResult>, remoteGapMs?: number) {
  const engine = createVirtualClock()
  const clock = engine.view()
  const runs: Array<{ at: number, remoteOnly: boolean }> = []
  const failures: unknown[] = []
  const ticks = createTickScheduler({
    clock, tickMs: 1000, idleTickMs: 10_000, minTickGapMs: 250, dueAt: () => undefined, ...(remoteGapMs === undefined ? {} : { remoteGapMs }),
    tick: async (remoteOnly, at) => { runs.push({ at, remoteOnly }); return await tick(remoteOnly, at) },
    onFailure: (e) => { failures.push(e) }
  })
  return { engine, ticks, runs, failures }
}

describe('tick scheduler', () => {
  it('runs one tick for a burst of requests, at least the minimum gap after the previous one', async () => {
    const { engine, ticks, runs } = setup(async () => ({ wakeAt: undefined }))
    ticks.start()
    await engine.runFor(100)
    expect(runs).toHaveLength(1)
    for (let i = 0; i < 5; i++) ticks.requestSoon(true)
    await engine.runFor(100)
    expect(runs).toHaveLength(1)
    await engine.runFor(200)
    expect(runs).toHaveLength(2)
    expect(runs[1]!.at - runs[0]!.at).toBeGreaterThanOrEqual(250)
    expect(runs[1]!.remoteOnly).toBe(true)
    await ticks.stop()
  })

  it('gathers peers\' changes over the longer remote gap, and still answers a local input after the minimum gap', async () => {
    const { engine, ticks, runs } = setup(async () => ({ wakeAt: undefined }), 1000)
    ticks.start()
    await engine.runFor(100)
    expect(runs).toHaveLength(1)
    const since = (): number[] => runs.map((r) => r.at - runs[0]!.at)
    // Peers' changes only: one tick, a full remote gap after the first (the periodic check at 1,050 ms
    // passes it by, 1,000 ms not having gone by since the first tick began at 50 ms).
    for (let i = 0; i < 5; i++) { ticks.requestSoon(true); await engine.runFor(150) }
    await engine.runFor(300)
    expect(since()).toEqual([0, 1000])
    expect(runs[1]!.remoteOnly).toBe(true)
    // A peer's change, then a local input 100 ms later: the tick comes after the minimum gap.
    ticks.requestSoon(true)
    await engine.runFor(100)
    ticks.requestSoon()
    await engine.runFor(400)
    expect(since()).toEqual([0, 1000, 1250])
    expect(runs[2]!.remoteOnly).toBe(false)
    await ticks.stop()
  })

  it('marks a tick asked for by anything but peers\' documents as not remote-only', async () => {
    const { engine, ticks, runs } = setup(async () => ({ wakeAt: undefined }))
    ticks.start()
    await engine.runFor(100)
    ticks.requestSoon(true)
    ticks.requestSoon()
    await engine.runFor(500)
    expect(runs.at(-1)!.remoteOnly).toBe(false)
    await ticks.stop()
  })

  it('runs a tick at the deadline the last one named, and at the idle bound otherwise', async () => {
    let first = true
    // The first tick (50 ms after start) names a deadline 3,450 ms later; later ticks name none.
    const { engine, ticks, runs } = setup(async (_remote, at) => { const w = first ? at + 3450 : undefined; first = false; return { wakeAt: w } })
    ticks.start()
    await engine.runFor(5000)
    const since = (): number[] => runs.map((r) => r.at - runs[0]!.at)
    expect(since()).toEqual([0, 3950]) // the deadline is checked every tickMs
    await engine.runFor(10_000)
    expect(since()).toEqual([0, 3950, 13_950])
    await ticks.stop()
  })

  it('backs off a tick that keeps failing instead of retrying on every input', async () => {
    const { engine, ticks, runs, failures } = setup(async () => { throw new Error('store refuses') })
    ticks.start()
    for (let t = 0; t < 8000; t += 100) { ticks.requestSoon(true); await engine.runFor(100) }
    expect(failures.length).toBe(runs.length)
    // 1, 2, 4 s after each failure: a handful, not one per input.
    expect(runs.length).toBeLessThanOrEqual(5)
    expect(runs.length).toBeGreaterThanOrEqual(3)
    await ticks.stop()
  })

  it('keeps the last deadline when a tick is skipped', async () => {
    let n = 0
    const { engine, ticks, runs } = setup(async (_remote, at) => { n++; return n === 1 ? { wakeAt: at + 2950 } : n === 2 ? 'skipped' : { wakeAt: undefined } })
    ticks.start()
    await engine.runFor(100)
    ticks.requestSoon(true)
    await engine.runFor(500)
    expect(runs).toHaveLength(2)
    await engine.runFor(3000)
    expect(runs).toHaveLength(3)
    expect(runs[2]!.at - runs[0]!.at).toBe(2950)
    await ticks.stop()
  })
})
