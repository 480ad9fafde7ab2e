/**
 * The simulator's `Rng`: xoshiro128** (Blackman and Vigna), a small, fast generator with
 * 128 bits of state, implemented here on 32-bit integer arithmetic. Every random choice
 * in a run comes from one seed. Streams are derived by label, not drawn from a parent:
 * `fork(label)` hashes the parent's key with the label (SHA-256), so each site or
 * component gets its own stream, and adding a new consumer, or drawing more from one,
 * never shifts the numbers any other consumer sees.
 */
import { createHash } from 'node:crypto'
import { FlotillaError } from '../../src/model/errors.ts'
import type { Rng } from '../../src/ports/rng.ts'

export interface SeededRng extends Rng {
  /** Labels from the root seed to this stream, e.g. `seed:42/site-3/net`; for messages and traces. */
  readonly name: string
  /**
   * An independent stream determined only by this stream's seed path and `label`: forking
   * never draws from this stream, and the same label always gives the same stream.
   */
  fork (label: string): SeededRng
}

/** The root stream of a run. `seed` is an integer (a safe integer, as printed by a failing run) or a string. */
export function createSeededRng (seed: number | string): SeededRng {
  if (typeof seed === 'number' && !Number.isSafeInteger(seed)) {
    throw new FlotillaError('input-invalid', `'seed' must be a safe integer or a string: received ${seed}`,
      'pass the seed printed by the run to replay')
  }
  const name = `seed:${String(seed)}`
  return fromKey(sha256(new TextEncoder().encode(name)), name)
}

/** A raw xoshiro128** stream from four 32-bit state words (not all zero); exposed for known-answer tests. */
export function createXoshiro128ss (s0: number, s1: number, s2: number, s3: number): Pick<Rng, 'nextUint32'> {
  if ((s0 | s1 | s2 | s3) === 0) {
    throw new FlotillaError('input-invalid', 'xoshiro128** state must not be all zero', 'derive the state from a hash or splitmix')
  }
  let a = s0 >>> 0
  let b = s1 >>> 0
  let c = s2 >>> 0
  let d = s3 >>> 0
  return {
    nextUint32 (): number {
      const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0
      const t = b << 9
      c ^= a
      d ^= b
      b ^= c
      a ^= d
      c ^= t
      d = rotl(d, 11)
      return result
    }
  }
}

function fromKey (key: Uint8Array, name: string): SeededRng {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength)
  let words = [view.getUint32(0, true), view.getUint32(4, true), view.getUint32(8, true), view.getUint32(12, true)]
  // An all-zero state is xoshiro's one fixed point; a hash gives it with probability 2^-128, but never mind odds.
  if (words.every((w) => w === 0)) words = [1, 0, 0, 0]
  const core = createXoshiro128ss(words[0] as number, words[1] as number, words[2] as number, words[3] as number)
  const next = core.nextUint32
  return {
    name,
    nextUint32: next,
    nextFloat (): number {
      // 53 random bits: 27 from one draw, 26 from the next.
      return ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992
    },
    bytes (n: number): Uint8Array {
      if (!Number.isInteger(n) || n < 0) {
        throw new FlotillaError('input-invalid', `'n' must be a non-negative integer: received ${n}`, 'ask for a whole number of bytes')
      }
      const out = new Uint8Array(n)
      for (let i = 0; i < n; i += 4) {
        let w = next()
        for (let j = i; j < i + 4 && j < n; j++) {
          out[j] = w & 0xff
          w >>>= 8
        }
      }
      return out
    },
    fork (label: string): SeededRng {
      if (typeof label !== 'string') {
        throw new FlotillaError('input-invalid', `'label' must be a string: received ${typeof label}`, 'name the consumer of the stream')
      }
      const labelBytes = new TextEncoder().encode(label)
      const input = new Uint8Array(key.length + 1 + labelBytes.length)
      input.set(key, 0)
      input.set(labelBytes, key.length + 1)
      return fromKey(sha256(input), `${name}/${label}`)
    }
  }
}

function rotl (x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

function sha256 (bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest())
}
