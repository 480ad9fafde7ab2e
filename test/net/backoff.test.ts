import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { backoffDelay, backoffPolicy } from '../../src/net/backoff.ts'
import { createSeededRng } from '../sim/network/seeded-rng.ts'

describe('re-dial backoff', () => {
  it('doubles from the base up to the cap when there is no jitter', () => {
    const policy = backoffPolicy({ baseMs: 100, maxMs: 1_000, factor: 2, jitter: 0 })
    const rng = createSeededRng(1)
    expect([0, 1, 2, 3, 4, 5, 100].map((a) => backoffDelay(policy, a, rng))).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000])
  })

  it('keeps every jittered delay within [(1 - jitter) · d, d] and spreads them', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 50 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer(), (attempt, jitter, seed) => {
      const policy = backoffPolicy({ baseMs: 500, maxMs: 30_000, factor: 2, jitter })
      const full = Math.min(30_000, 500 * 2 ** attempt)
      const d = backoffDelay(policy, attempt, createSeededRng(seed))
      expect(d).toBeGreaterThanOrEqual(Math.floor(full * (1 - jitter)))
      expect(d).toBeLessThanOrEqual(full)
    }))
    const rng = createSeededRng(2)
    const spread = new Set(Array.from({ length: 20 }, () => backoffDelay(backoffPolicy(), 3, rng)))
    expect(spread.size).toBeGreaterThan(10)
  })

  it('names the option and the value it rejects', () => {
    expect(() => backoffPolicy({ baseMs: 0 })).toThrow(/'baseMs' must be a positive number: received 0/)
    expect(() => backoffPolicy({ baseMs: 10, maxMs: 5 })).toThrow(/'maxMs'/)
    expect(() => backoffPolicy({ jitter: 2 })).toThrow(/'jitter'/)
  })
})
