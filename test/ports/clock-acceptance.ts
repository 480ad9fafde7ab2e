/**
 * The acceptance suite of the `Clock` port: what the site core may rely on from any
 * clock. The system clock and every virtual clock (the engine's true clock and skewed,
 * drifting site views) run it. The harness supplies `advance(ms)`: a real wait for the
 * system clock, running the engine for a virtual one. Assertions avoid upper bounds on
 * real elapsed time, so a loaded machine cannot make the suite flaky.
 */
import { describe, expect, it } from 'vitest'
import { isFlotillaError } from '../../src/model/errors.ts'
import { every, sleep, type Clock } from '../../src/ports/clock.ts'

export interface ClockUnderTest {
  clock: Clock
  /** Lets at least `ms` pass on `clock`, running every timer due by then that was set before this call. */
  advance (ms: number): Promise<void>
}

export function runClockAcceptance (name: string, setup: () => ClockUnderTest | Promise<ClockUnderTest>): void {
  describe(`Clock acceptance: ${name}`, () => {
    it('never lets monotonic time decrease, and advances it by at least the time let pass', async () => {
      const { clock, advance } = await setup()
      const readings: number[] = [clock.monotonicMs()]
      for (let i = 0; i < 5; i++) {
        for (let j = 0; j < 20; j++) readings.push(clock.monotonicMs())
        await advance(3)
        readings.push(clock.monotonicMs())
      }
      for (let i = 1; i < readings.length; i++) expect(readings[i]).toBeGreaterThanOrEqual(readings[i - 1] as number)
      const before = clock.monotonicMs()
      await advance(25)
      expect(clock.monotonicMs() - before).toBeGreaterThanOrEqual(25)
    })

    it('reads finite wall time as epoch milliseconds after 2020', async () => {
      const { clock } = await setup()
      const wall = clock.wallMs()
      expect(Number.isFinite(wall)).toBe(true)
      expect(wall).toBeGreaterThan(Date.UTC(2020, 0, 1))
    })

    it('fires a timer no earlier than its delay on the clock\'s own monotonic reading', async () => {
      const { clock, advance } = await setup()
      const elapsed: number[] = []
      for (const ms of [0, 1, 7, 12.5, 20]) {
        const start = clock.monotonicMs()
        clock.setTimer(ms, () => { elapsed.push(clock.monotonicMs() - start - ms) })
      }
      await advance(40)
      expect(elapsed).toHaveLength(5)
      for (const late of elapsed) expect(late).toBeGreaterThanOrEqual(0)
    })

    it('fires timers in deadline order, and timers with the same delay in the order they were set', async () => {
      const { clock, advance } = await setup()
      const fired: string[] = []
      for (const [label, ms] of [['30', 30], ['10', 10], ['20a', 20], ['5', 5], ['20b', 20], ['20c', 20]] as const) {
        clock.setTimer(ms, () => { fired.push(label) })
      }
      await advance(45)
      expect(fired).toEqual(['5', '10', '20a', '20b', '20c', '30'])
    })

    it('never fires a cancelled timer; cancelling twice or after firing is a no-op', async () => {
      const { clock, advance } = await setup()
      const fired: string[] = []
      const a = clock.setTimer(10, () => { fired.push('a') })
      const b = clock.setTimer(5, () => { fired.push('b') })
      const c = clock.setTimer(15, () => { fired.push('c') })
      a.cancel()
      a.cancel()
      await advance(8)
      expect(fired).toEqual(['b'])
      b.cancel()
      c.cancel()
      await advance(20)
      expect(fired).toEqual(['b'])
    })

    it('runs a 0 ms timer after the current code, never synchronously', async () => {
      const { clock, advance } = await setup()
      const fired: string[] = []
      clock.setTimer(0, () => { fired.push('timer') })
      fired.push('caller')
      expect(fired).toEqual(['caller'])
      await advance(1)
      expect(fired).toEqual(['caller', 'timer'])
    })

    it('fires a timer set inside a timer callback later, after its own delay', async () => {
      const { clock, advance } = await setup()
      const fired: Array<[string, number]> = []
      const start = clock.monotonicMs()
      clock.setTimer(5, () => {
        fired.push(['outer', clock.monotonicMs() - start])
        clock.setTimer(10, () => { fired.push(['inner', clock.monotonicMs() - start]) })
      })
      await advance(30)
      expect(fired.map(([label]) => label)).toEqual(['outer', 'inner'])
      expect((fired[1] as [string, number])[1]).toBeGreaterThanOrEqual(15)
    })

    it('resolves sleep only once its delay has passed', async () => {
      const { clock, advance } = await setup()
      let done = false
      const slept = sleep(clock, 60).then(() => { done = true })
      await advance(10)
      expect(done).toBe(false)
      await advance(60)
      await slept
      expect(done).toBe(true)
    })

    it('ticks `every` at most once per period until cancelled, including async ticks', async () => {
      const { clock, advance } = await setup()
      let ticks = 0
      const errors: unknown[] = []
      const timer = every(clock, 10, async () => { await Promise.resolve(); ticks++ }, (e) => { errors.push(e) })
      await advance(55)
      expect(ticks).toBeGreaterThanOrEqual(1)
      expect(ticks).toBeLessThanOrEqual(5)
      timer.cancel()
      const seen = ticks
      await advance(30)
      expect(ticks).toBe(seen)
      expect(errors).toEqual([])
    })

    it('refuses negative, NaN and infinite delays with input-invalid', async () => {
      const { clock } = await setup()
      for (const ms of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
        let caught: unknown
        try { clock.setTimer(ms, () => {}) } catch (e) { caught = e }
        expect(isFlotillaError(caught, 'input-invalid')).toBe(true)
      }
    })
  })
}
