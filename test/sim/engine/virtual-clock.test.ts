import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FlotillaError, isFlotillaError } from '../../../src/model/errors.ts'
import { every, type Clock } from '../../../src/ports/clock.ts'
import { createTrace } from '../../../sim/engine/trace.ts'
import { createVirtualClock, NOTHING_TO_SETTLE, type VirtualClock } from '../../../sim/engine/virtual-clock.ts'
import { runClockAcceptance, type ClockUnderTest } from '../../ports/clock-acceptance.ts'

/** Lets `ms` pass on `clock` by running the engine until a timer set now for `ms` has fired. */
function driven (engine: VirtualClock, clock: Clock): ClockUnderTest {
  return {
    clock,
    advance: async (ms) => {
      let done = false
      clock.setTimer(ms, () => { done = true })
      while (!done) {
        if (!await engine.step()) throw new Error('the engine went idle before the advance completed')
      }
    }
  }
}

runClockAcceptance('virtual clock (true time)', () => {
  const engine = createVirtualClock()
  return driven(engine, engine)
})
runClockAcceptance('virtual site clock, skewed and running fast', () => {
  const engine = createVirtualClock()
  return driven(engine, engine.view({ wallSkewMs: -4_000, driftPpm: 250, monotonicOriginMs: 77.7 }))
})
runClockAcceptance('virtual site clock, running slow', () => {
  const engine = createVirtualClock()
  return driven(engine, engine.view({ wallSkewMs: 1_500, driftPpm: -333 }))
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

describe('virtual clock', () => {
  it('starts at true time 0, on 2025-01-01 wall time, with a non-zero monotonic origin', () => {
    const engine = createVirtualClock()
    expect(engine.nowMs()).toBe(0)
    expect(engine.wallMs()).toBe(Date.UTC(2025, 0, 1))
    expect(engine.monotonicMs()).toBe(1_000_000)
    expect(createVirtualClock({ startWallMs: 5 }).wallMs()).toBe(5)
  })

  it('stops a run early when its interrupt says so, leaving the time at the last event run', async () => {
    const engine = createVirtualClock()
    const fired: number[] = []
    for (let t = 1; t <= 100; t++) engine.setTimer(t, () => { fired.push(t) })
    const ran = await engine.runUntil(1_000, () => fired.length >= 20)
    expect(ran).toBe(fired.length)
    expect(ran).toBeGreaterThanOrEqual(20)
    expect(ran).toBeLessThan(100)
    expect(engine.nowMs()).toBe(fired[fired.length - 1])
    expect(await engine.runUntil(1_000, () => false)).toBe(100 - ran)
    expect(engine.nowMs()).toBe(1_000)
  })

  it('runs an event that reports nothing to settle in order, and still settles the others', async () => {
    const engine = createVirtualClock()
    const seen: string[] = []
    engine.setTimer(10, () => { seen.push('quiet'); return NOTHING_TO_SETTLE })
    engine.setTimer(10, () => { seen.push('async'); void Promise.resolve().then(async () => { await null; await null; seen.push('async continued') }) })
    engine.setTimer(10, () => { seen.push('next') })
    await engine.runUntil(20)
    expect(seen).toEqual(['quiet', 'async', 'async continued', 'next'])
  })

  it('moves time only when the engine runs, and jumps straight to the next event', async () => {
    const engine = createVirtualClock()
    const fired: number[] = []
    engine.setTimer(100, () => { fired.push(engine.nowMs()) })
    expect(engine.nowMs()).toBe(0)
    expect(engine.nextEventMs()).toBe(100)
    expect(await engine.runUntil(50)).toBe(0)
    expect(engine.nowMs()).toBe(50)
    expect(fired).toEqual([])
    expect(await engine.step()).toBe(true)
    expect(fired).toEqual([100])
    expect(engine.nowMs()).toBe(100)
    expect(await engine.step()).toBe(false)
    expect(await engine.runFor(25)).toBe(0)
    expect(engine.nowMs()).toBe(125)
  })

  it('breaks ties by the order timers were set, across site views', async () => {
    const engine = createVirtualClock()
    const a = engine.view()
    const b = engine.view({ wallSkewMs: 99 })
    const fired: string[] = []
    b.setTimer(10, () => { fired.push('b1') })
    a.setTimer(10, () => { fired.push('a1') })
    engine.setTimer(10, () => { fired.push('e1') })
    b.setTimer(10, () => { fired.push('b2') })
    a.setTimer(5, () => { fired.push('a0') })
    await engine.runUntilIdle()
    expect(fired).toEqual(['a0', 'b1', 'a1', 'e1', 'b2'])
  })

  it('refuses to move time backwards', async () => {
    const engine = createVirtualClock()
    await engine.runFor(10)
    expect((await rejection(engine.runUntil(5))).code).toBe('input-invalid')
    expect((await rejection(engine.runUntil(Number.NaN))).code).toBe('input-invalid')
  })

  it('finishes an async chain of many awaits, nextTicks and microtasks before the next event, even at the same instant', async () => {
    const engine = createVirtualClock()
    const log: string[] = []
    engine.setTimer(10, () => {
      void (async () => {
        for (let i = 0; i < 25; i++) await Promise.resolve()
        log.push('awaits done')
        await new Promise<void>((resolve) => { process.nextTick(resolve) })
        log.push('nextTick done')
        queueMicrotask(() => {
          log.push('microtask done')
          engine.setTimer(0, () => { log.push('scheduled from a microtask') })
        })
      })()
    })
    engine.setTimer(10, () => { log.push('next event') })
    await engine.runUntilIdle()
    expect(log).toEqual(['awaits done', 'nextTick done', 'microtask done', 'next event', 'scheduled from a microtask'])
  })

  it('lets async setup settle before the first event, so timers it schedules are run', async () => {
    const engine = createVirtualClock()
    const log: string[] = []
    void (async () => {
      await Promise.resolve()
      await Promise.resolve()
      engine.setTimer(0, () => { log.push('from setup') })
    })()
    expect(await engine.runFor(0)).toBe(1)
    expect(log).toEqual(['from setup'])
  })

  it('runs `every` exactly once per period', async () => {
    const engine = createVirtualClock()
    const at: number[] = []
    const timer = every(engine, 10, async () => { await Promise.resolve(); at.push(engine.nowMs()) }, () => {})
    await engine.runFor(55)
    expect(at).toEqual([10, 20, 30, 40, 50])
    timer.cancel()
    expect(engine.pendingEvents()).toBe(0)
  })

  it('stops a zero-delay loop with sim-runaway instead of hanging', async () => {
    const engine = createVirtualClock({ maxEventsPerInstant: 1000 })
    const rearm = (): void => { engine.setTimer(0, rearm) }
    rearm()
    const e = await rejection(engine.runFor(10))
    expect(e.code).toBe('sim-runaway')
    expect(e.details?.timeMs).toBe(0)
  })

  it('stops a loop that re-arms its timer a few ulps ahead (time advancing, but not by a microsecond) with sim-runaway', async () => {
    const engine = createVirtualClock({ maxEventsPerInstant: 1000 })
    // A remainder of a few ulps (1e-12 ms at t = 1 s), as a controller computes from two clock readings.
    const zeno = (): void => { engine.setTimer(1e-12, zeno) }
    engine.setTimer(1000, zeno)
    const e = await rejection(engine.runFor(2000))
    expect(e.code).toBe('sim-runaway')
    expect(e.details?.timeMs).toBeGreaterThanOrEqual(1000)
    expect(e.details?.timeMs).toBeLessThan(1000.001)
  })

  it('bounds runUntilIdle with sim-runaway while periodic work never goes idle', async () => {
    const engine = createVirtualClock()
    every(engine, 1000, () => {}, () => {})
    const e = await rejection(engine.runUntilIdle(50))
    expect(e.code).toBe('sim-runaway')
    expect(engine.nowMs()).toBe(50_000)
  })

  it('counts the events it runs until idle', async () => {
    const engine = createVirtualClock()
    for (let i = 0; i < 7; i++) engine.setTimer(i, () => {})
    expect(await engine.runUntilIdle()).toBe(7)
  })

  it('refuses to be driven from inside one of its own events', async () => {
    const engine = createVirtualClock()
    let inner: unknown
    engine.setTimer(1, () => { engine.runFor(5).catch((e: unknown) => { inner = e }) })
    await engine.runUntilIdle()
    expect(isFlotillaError(inner, 'internal')).toBe(true)
  })

  it('propagates an exception thrown by an event and stays usable', async () => {
    const engine = createVirtualClock()
    const boom = new Error('boom')
    engine.setTimer(1, () => { throw boom })
    let ran = false
    engine.setTimer(2, () => { ran = true })
    let caught: unknown
    try { await engine.runUntilIdle() } catch (e) { caught = e }
    expect(caught).toBe(boom)
    await engine.runUntilIdle()
    expect(ran).toBe(true)
  })

  it('records every event in the trace when given one', async () => {
    const run = async (): Promise<string> => {
      const trace = createTrace()
      const engine = createVirtualClock({ trace })
      for (const ms of [5, 1, 5, 3]) engine.setTimer(ms, () => {})
      await engine.runUntilIdle()
      expect(trace.recent().map((r) => [r.timeMs, r.kind, r.fields])).toEqual([
        [1, 'event', '{"seq":1}'], [3, 'event', '{"seq":3}'], [5, 'event', '{"seq":0}'], [5, 'event', '{"seq":2}']])
      return trace.hash()
    }
    expect(await run()).toBe(await run())
  })
})

describe('virtual site clocks', () => {
  it('skews wall time per site and steps it on demand, leaving monotonic time alone', async () => {
    const engine = createVirtualClock()
    const site = engine.view({ wallSkewMs: -2_000 })
    await engine.runFor(1_000)
    expect(site.wallMs()).toBe(engine.wallMs() - 2_000)
    const mono = site.monotonicMs()
    site.setWallSkewMs(60_000)
    expect(site.wallMs()).toBe(engine.wallMs() + 60_000)
    expect(site.monotonicMs()).toBe(mono)
  })

  it('runs monotonic time at the site\'s drift rate from its own origin', async () => {
    const engine = createVirtualClock()
    await engine.runFor(500)
    const fast = engine.view({ driftPpm: 1_000, monotonicOriginMs: 42 })
    const slow = engine.view({ driftPpm: -1_000 })
    expect(fast.monotonicMs()).toBe(42)
    expect(slow.monotonicMs()).toBe(1_000_000)
    await engine.runFor(10_000)
    expect(fast.monotonicMs()).toBeCloseTo(42 + 10_010, 6)
    expect(slow.monotonicMs()).toBeCloseTo(1_000_000 + 9_990, 6)
  })

  it('fires a drifting site\'s timer when its own clock, not true time, reaches the delay', async () => {
    const engine = createVirtualClock()
    const fast = engine.view({ driftPpm: 1_000 })
    let firedAt: number | undefined
    fast.setTimer(1_001, () => { firedAt = engine.nowMs() })
    await engine.runUntilIdle()
    expect(firedAt).toBeCloseTo(1_000, 6)
  })

  it('never fires a timer early on its own clock, whatever the drift and fractional delay', async () => {
    await fc.assert(fc.asyncProperty(
      fc.double({ min: -5_000, max: 5_000, noNaN: true }),
      fc.double({ min: 0, max: 1e7, noNaN: true }),
      fc.double({ min: 0, max: 1e5, noNaN: true }),
      fc.double({ min: 0, max: 1e9, noNaN: true }),
      async (driftPpm, origin, startAt, ms) => {
        const engine = createVirtualClock()
        await engine.runFor(startAt)
        const site = engine.view({ driftPpm, monotonicOriginMs: origin })
        await engine.runFor(startAt / 3)
        const start = site.monotonicMs()
        let elapsed: number | undefined
        site.setTimer(ms, () => { elapsed = site.monotonicMs() - start })
        await engine.runUntilIdle()
        expect(elapsed).toBeDefined()
        expect(elapsed as number).toBeGreaterThanOrEqual(ms)
        expect((elapsed as number) - ms).toBeLessThanOrEqual(Math.max(1e-6, ms * 1e-12))
      }), { numRuns: 200 })
  })

  it('halts a dead site: its pending timers never fire and new ones are inert, other sites go on', async () => {
    const engine = createVirtualClock()
    const dead = engine.view()
    const alive = engine.view()
    const fired: string[] = []
    dead.setTimer(10, () => { fired.push('dead') })
    every(dead, 3, () => { fired.push('dead tick') }, () => {})
    alive.setTimer(10, () => { fired.push('alive') })
    await engine.runFor(2)
    dead.halt()
    dead.setTimer(1, () => { fired.push('after halt') })
    await engine.runUntilIdle()
    expect(fired).toEqual(['alive'])
    expect(engine.pendingEvents()).toBe(0)
  })

  it('refuses drift that would stop or reverse a clock, and non-finite skews', () => {
    const engine = createVirtualClock()
    for (const options of [{ driftPpm: -1_000_000 }, { driftPpm: Number.NaN }, { wallSkewMs: Number.POSITIVE_INFINITY }]) {
      let caught: unknown
      try { engine.view(options) } catch (e) { caught = e }
      expect(isFlotillaError(caught, 'input-invalid')).toBe(true)
    }
  })
})
