import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { apportion } from '../../src/schedule/apportion.ts'

/** Reference: hand out seats one at a time to the best w/(2s+1), ties to the lower index. */
function sequential (weights: number[], caps: number[], seats: number): number[] {
  const out = weights.map(() => 0)
  for (let k = 0; k < seats; k++) {
    let best = -1
    for (let i = 0; i < weights.length; i++) {
      if (weights[i]! <= 0 || out[i]! >= caps[i]!) continue
      if (best < 0 || weights[i]! * (2 * out[best]! + 1) > weights[best]! * (2 * out[i]! + 1)) best = i
    }
    if (best < 0) break
    out[best]!++
  }
  return out
}

const instance = fc.record({
  weights: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 12 }),
  capSeed: fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 12, maxLength: 12 }),
  seats: fc.integer({ min: 0, max: 150 })
}).map(({ weights, capSeed, seats }) => ({ weights, caps: weights.map((_, i) => capSeed[i]!), seats }))

describe('apportion (Sainte-Lague with caps)', () => {
  it('splits exact quotas exactly: 6:12:18 over 12 is 2:4:6, 1:2 over 9 is 3:6', () => {
    expect(apportion([6, 12, 18], [6, 12, 18], 12)).toEqual([2, 4, 6])
    expect(apportion([1, 2], [100, 100], 9)).toEqual([3, 6])
  })

  it('gives remainders to the larger fraction, then to the better rank', () => {
    expect(apportion([1, 2], [100, 100], 5)).toEqual([2, 3])
    expect(apportion([1, 1, 1], [9, 9, 9], 4)).toEqual([2, 1, 1])
  })

  it('never exceeds a cap and places min(seats, room)', () => {
    fc.assert(fc.property(instance, ({ weights, caps, seats }) => {
      const out = apportion(weights, caps, seats)
      const room = weights.reduce((s, w, i) => s + (w > 0 ? caps[i]! : 0), 0)
      expect(out.reduce((a, b) => a + b, 0)).toBe(Math.min(seats, room))
      out.forEach((s, i) => { expect(s).toBeLessThanOrEqual(weights[i]! > 0 ? caps[i]! : 0) })
    }), { numRuns: 300, seed: 11 })
  })

  it('equals the one-seat-at-a-time definition', () => {
    fc.assert(fc.property(instance, ({ weights, caps, seats }) => {
      expect(apportion(weights, caps, seats)).toEqual(sequential(weights, caps, seats))
    }), { numRuns: 300, seed: 12 })
  })

  it('never takes a seat from anyone when a cluster is removed (so only its seats move)', () => {
    fc.assert(fc.property(instance, fc.nat(), ({ weights, caps, seats }, pick) => {
      const gone = pick % weights.length
      const before = apportion(weights, caps, seats)
      const after = apportion(weights.filter((_, i) => i !== gone), caps.filter((_, i) => i !== gone), seats)
      const survivors = before.filter((_, i) => i !== gone)
      survivors.forEach((s, i) => { expect(after[i]!).toBeGreaterThanOrEqual(s) })
    }), { numRuns: 300, seed: 13 })
  })

  it('only gains seats as the count grows (no Alabama paradox)', () => {
    fc.assert(fc.property(instance, ({ weights, caps, seats }) => {
      const a = apportion(weights, caps, seats)
      const b = apportion(weights, caps, seats + 1)
      a.forEach((s, i) => { expect(b[i]!).toBeGreaterThanOrEqual(s) })
    }), { numRuns: 300, seed: 14 })
  })
})
