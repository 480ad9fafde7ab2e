/**
 * The production Clock and Rng used by the libp2p adapter when none are given: the
 * process's monotonic clock and timers, and node:crypto randomness.
 */
import { randomBytes, randomInt } from 'node:crypto'
import type { Clock } from '../ports/clock.ts'
import type { Rng } from '../ports/rng.ts'

export function systemClock (): Clock {
  return {
    monotonicMs: () => performance.now(),
    wallMs: () => Date.now(),
    setTimer (ms, fn) {
      const t = setTimeout(fn, Math.max(0, ms))
      // a pending re-dial must not keep the process alive on its own
      t.unref()
      return { cancel: () => { clearTimeout(t) } }
    }
  }
}

export function cryptoRng (): Rng {
  return {
    nextUint32: () => randomInt(0, 2 ** 32),
    nextFloat: () => randomBytes(6).readUIntBE(0, 6) / 2 ** 48,
    bytes: (n) => new Uint8Array(randomBytes(n))
  }
}
