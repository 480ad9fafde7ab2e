/**
 * The acceptance suite of the `Rng` port: ranges and types every generator must respect,
 * plus a coarse uniformity check that catches broken bit handling (not a statistical
 * test battery). Run by the crypto Rng and the simulator's seeded Rng.
 */
import { describe, expect, it } from 'vitest'
import { randomInt, type Rng } from '../../src/ports/rng.ts'

export function runRngAcceptance (name: string, setup: () => Rng): void {
  describe(`Rng acceptance: ${name}`, () => {
    it('draws 32-bit unsigned integers that use the high bit and the low bit', () => {
      const rng = setup()
      let high = 0
      let odd = 0
      for (let i = 0; i < 4000; i++) {
        const x = rng.nextUint32()
        expect(Number.isInteger(x) && x >= 0 && x < 2 ** 32).toBe(true)
        if (x >= 2 ** 31) high++
        if (x % 2 === 1) odd++
      }
      expect(high).toBeGreaterThan(1700)
      expect(high).toBeLessThan(2300)
      expect(odd).toBeGreaterThan(1700)
      expect(odd).toBeLessThan(2300)
    })

    it('draws floats in [0, 1) spread over ten equal buckets', () => {
      const rng = setup()
      const buckets = new Array<number>(10).fill(0)
      for (let i = 0; i < 10_000; i++) {
        const f = rng.nextFloat()
        expect(f >= 0 && f < 1).toBe(true)
        const b = Math.floor(f * 10)
        buckets[b] = (buckets[b] ?? 0) + 1
      }
      for (const n of buckets) {
        expect(n).toBeGreaterThan(800)
        expect(n).toBeLessThan(1200)
      }
    })

    it('returns exactly n bytes as a Uint8Array, every byte value reachable', () => {
      const rng = setup()
      for (const n of [0, 1, 3, 4, 5, 33]) {
        const b = rng.bytes(n)
        expect(b).toBeInstanceOf(Uint8Array)
        expect(b.length).toBe(n)
      }
      const seen = new Set(rng.bytes(8192))
      expect(seen.size).toBe(256)
    })

    it('gives inclusive bounds through randomInt', () => {
      const rng = setup()
      const seen = new Set<number>()
      for (let i = 0; i < 500; i++) {
        const x = randomInt(rng, 3, 6)
        expect(x >= 3 && x <= 6).toBe(true)
        seen.add(x)
      }
      expect([...seen].sort()).toEqual([3, 4, 5, 6])
    })
  })
}
