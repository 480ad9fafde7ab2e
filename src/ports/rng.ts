/**
 * Rng port: the only source of randomness in the site core (jitter, nonces, sampling).
 * Production binds node:crypto; the simulator binds one seeded PRNG per run so that
 * every random choice replays from the seed.
 */

export interface Rng {
  /** Uniform integer in [0, 2^32). */
  nextUint32 (): number
  /** Uniform float in [0, 1). */
  nextFloat (): number
  /** `n` uniform random bytes. */
  bytes (n: number): Uint8Array
}

/** Uniform integer in [lo, hi] (inclusive). */
export function randomInt (rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng.nextFloat() * (hi - lo + 1))
}
