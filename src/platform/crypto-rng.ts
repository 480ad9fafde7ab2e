/**
 * The production `Rng`, from node:crypto's CSPRNG. Integers and floats are drawn from a
 * small refilled pool (one system call per 1,024 draws, which matters for jitter on hot
 * paths); `bytes()` always fills a fresh array straight from the CSPRNG, so nonces never
 * pass through a buffer that other draws share.
 */
import { randomFillSync } from 'node:crypto'
import { FlotillaError } from '../model/errors.ts'
import type { Rng } from '../ports/rng.ts'

/** 32-bit words drawn per refill of the pool. */
const POOL_WORDS = 1024

/** A cryptographically secure Rng. */
export function createCryptoRng (): Rng {
  const pool = new Uint32Array(POOL_WORDS)
  let next = POOL_WORDS
  const nextUint32 = (): number => {
    if (next === POOL_WORDS) {
      randomFillSync(pool)
      next = 0
    }
    return pool[next++] as number
  }
  return {
    nextUint32,
    nextFloat (): number {
      // 53 random bits: 27 from one word, 26 from the next.
      return ((nextUint32() >>> 5) * 67108864 + (nextUint32() >>> 6)) / 9007199254740992
    },
    bytes (n: number): Uint8Array {
      if (!Number.isInteger(n) || n < 0) {
        throw new FlotillaError('input-invalid', `'n' must be a non-negative integer: received ${n}`, 'ask for a whole number of bytes')
      }
      return randomFillSync(new Uint8Array(n))
    }
  }
}
