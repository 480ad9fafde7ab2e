import { describe, expect, it } from 'vitest'
import type { Clock, Timer } from '../../src/ports/clock.ts'
import { setPatientTimer } from '../../src/replication/patient-timer.ts'

/** A clock whose timers fire only when told, at whatever time the test has set. */
function steppedClock (): Clock & { now: number, fire: () => void } {
  let timers: Array<{ at: number, fn: () => void, live: boolean }> = []
  const clock = {
    now: 0,
    monotonicMs: () => clock.now,
    wallMs: () => clock.now,
    setTimer (ms: number, fn: () => void): Timer {
      const t = { at: clock.now + ms, fn, live: true }
      timers.push(t)
      return { cancel () { t.live = false } }
    },
    fire () {
      const due = timers.filter((t) => t.live && t.at <= clock.now)
      timers = timers.filter((t) => !due.includes(t))
      for (const t of due) t.fn()
    }
  }
  return clock
}

describe('patient timer', () => {
  it('expires on time when the process ran on time', () => {
    const clock = steppedClock()
    let expired = 0
    setPatientTimer(clock, 10_000, () => { expired++ })
    clock.now = 10_050
    clock.fire()
    expect(expired).toBe(1)
  })

  it('waits once more when it fires long after it was due, as after a stall of this process', () => {
    const clock = steppedClock()
    let expired = 0
    setPatientTimer(clock, 10_000, () => { expired++ })
    clock.now = 14_000 // the process did not run for four seconds
    clock.fire()
    expect(expired).toBe(0)
    clock.now = 14_500
    clock.fire()
    expect(expired).toBe(0)
    clock.now = 15_000
    clock.fire()
    expect(expired).toBe(1)
  })

  it('never expires once cancelled, even during its extra wait', () => {
    const clock = steppedClock()
    let expired = 0
    const t = setPatientTimer(clock, 1000, () => { expired++ })
    clock.now = 5000
    clock.fire()
    t.cancel()
    clock.now = 10_000
    clock.fire()
    expect(expired).toBe(0)
  })
})
