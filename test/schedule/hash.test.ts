import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hashString, RENDEZVOUS_RANGE, rendezvousScore } from '../../src/schedule/hash.ts'

describe('stable hashing', () => {
  it('keeps its pinned values, since every site of every version must rank clusters alike', () => {
    expect(hashString('')).toEqual({ lo: 2872998923, hi: 4199612331 })
    expect(hashString('a')).toEqual({ lo: 711464985, hi: 2891140981 })
    expect(hashString('apps/Deployment/default/web')).toEqual({ lo: 1884503702, hi: 977914329 })
    expect(rendezvousScore(hashString('apps/Deployment/default/web'), hashString('eu1.a'))).toBe(6396224211672105)
  })

  it('gives integer scores in [0, 2^53)', () => {
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => {
      const s = rendezvousScore(hashString(a), hashString(b))
      return Number.isSafeInteger(s) && s >= 0 && s < RENDEZVOUS_RANGE
    }), { numRuns: 300, seed: 7 })
  })

  it('makes every cluster the winner for a fair share of workloads', () => {
    const clusters = Array.from({ length: 10 }, (_, i) => hashString(`site${i % 3}.c${i}`))
    const wins = new Array<number>(10).fill(0)
    const n = 5000
    for (let w = 0; w < n; w++) {
      const wh = hashString(`apps/Deployment/ns/w${w}`)
      let best = 0
      let bestScore = -1
      clusters.forEach((c, i) => { const s = rendezvousScore(wh, c); if (s > bestScore) { bestScore = s; best = i } })
      wins[best]!++
    }
    // Expected 500 each; a bias of more than 20% would skew placement.
    for (const x of wins) expect(Math.abs(x - n / 10)).toBeLessThan(n / 10 * 0.2)
  })
})
