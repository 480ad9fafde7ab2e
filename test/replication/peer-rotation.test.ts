import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createPeerRotation } from '../../src/replication/peer-rotation.ts'
import { asPeerId, type PeerId } from '../../src/ports/network.ts'
import { createSeededRng } from '../../sim/engine/seeded-rng.ts'

const peers = (n: number): PeerId[] => Array.from({ length: n }, (_, i) => asPeerId(`p${String(i).padStart(3, '0')}`))

describe('peer rotation', () => {
  it('visits every connected peer at least once every two rounds of ceil(peers / fanout) + 1 periods, whatever the seed', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 8 }), fc.integer(), (n, fanout, seed) => {
      const rotation = createPeerRotation(createSeededRng(seed))
      const all = peers(n)
      const bound = Math.ceil(n / fanout) + 1
      const lastSeen = new Map<PeerId, number>(all.map((p) => [p, -1]))
      let worstGap = 0
      let wellFormed = true
      for (let period = 0; period < 6 * bound; period++) {
        const taken = rotation.take(all, fanout)
        wellFormed &&= taken.length === Math.min(fanout, n) && new Set(taken).size === taken.length
        for (const p of taken) {
          worstGap = Math.max(worstGap, period - lastSeen.get(p)!)
          lastSeen.set(p, period)
        }
      }
      for (const at of lastSeen.values()) worstGap = Math.max(worstGap, 6 * bound - 1 - at)
      expect(wellFormed).toBe(true)
      // Once per round: never more than two rounds between two visits of a peer.
      expect(worstGap).toBeLessThanOrEqual(2 * bound)
    }), { numRuns: 100 })
  })

  it('replays the same order from the same seed', () => {
    const run = (seed: number): PeerId[][] => {
      const r = createPeerRotation(createSeededRng(seed))
      return Array.from({ length: 10 }, () => r.take(peers(20), 3))
    }
    expect(run(7)).toEqual(run(7))
    expect(run(7)).not.toEqual(run(8))
  })

  it('skips peers that went away and takes up newcomers in the next round', () => {
    const rotation = createPeerRotation(createSeededRng(1))
    const all = peers(6)
    rotation.take(all, 2)
    const left = all.filter((p) => p !== all[0] && p !== all[1])
    const seen = new Set<PeerId>()
    for (let i = 0; i < 4; i++) for (const p of rotation.take(left, 2)) seen.add(p)
    expect(seen.has(all[0]!)).toBe(false)
    expect([...seen].sort()).toEqual(left)
    const grown = [...left, asPeerId('p999')]
    const later = new Set<PeerId>()
    for (let i = 0; i < 6; i++) for (const p of rotation.take(grown, 2)) later.add(p)
    expect(later.has(asPeerId('p999'))).toBe(true)
  })
})
