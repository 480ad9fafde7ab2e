import { describe, expect, it } from 'vitest'
import { isFlotillaError } from '../../src/model/errors.ts'
import { createCryptoRng } from '../../src/platform/crypto-rng.ts'
import { runRngAcceptance } from '../ports/rng-acceptance.ts'

runRngAcceptance('crypto rng', createCryptoRng)

describe('crypto rng', () => {
  it('gives independent instances different streams', () => {
    const a = createCryptoRng()
    const b = createCryptoRng()
    const xs = Array.from({ length: 8 }, () => a.nextUint32())
    const ys = Array.from({ length: 8 }, () => b.nextUint32())
    expect(xs).not.toEqual(ys)
    expect(a.bytes(32)).not.toEqual(b.bytes(32))
  })

  it('keeps drawing past its pool refill', () => {
    const rng = createCryptoRng()
    const seen = new Set<number>()
    for (let i = 0; i < 3000; i++) seen.add(rng.nextUint32())
    expect(seen.size).toBeGreaterThan(2990)
  })

  it('refuses a negative or fractional byte count with input-invalid', () => {
    const rng = createCryptoRng()
    for (const n of [-1, 1.5]) {
      let caught: unknown
      try { rng.bytes(n) } catch (e) { caught = e }
      expect(isFlotillaError(caught, 'input-invalid')).toBe(true)
    }
  })
})
