import { describe, expect, it } from 'vitest'
import { setPatientTimer } from '../../src/replication/patient-timer.ts'
import { steppedClock } from '../support/stepped-clock.ts'

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
