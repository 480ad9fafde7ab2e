/**
 * Keeps trying to reach what we lost: each target (a roster peer, or a bootstrap address
 * whose peer we have not met yet) has at most one pending re-dial, spaced by capped
 * exponential backoff with jitter. A success resets the target's attempt count. Time and
 * jitter come from the Clock and Rng ports, so tests can drive it.
 */
import type { Clock, Timer } from '../ports/clock.ts'
import type { Logger } from '../ports/logger.ts'
import type { Rng } from '../ports/rng.ts'
import { backoffDelay, type BackoffPolicy } from './backoff.ts'

export interface RedialerOptions {
  clock: Clock
  rng: Rng
  policy: BackoffPolicy
  logger: Logger
  /** Attempts one dial; resolves true when connected (or no longer needed), false to retry. */
  dial (target: string): Promise<boolean>
}

export interface Redialer {
  /** Schedules a dial of `target` after its next backoff delay, or after `atLeastMs` if longer. */
  schedule (target: string, atLeastMs?: number): void
  /** Dials now (first contact); retries with backoff on failure. */
  dialNow (target: string): void
  /** Connected: forget the backoff state and any pending attempt. */
  reset (target: string): void
  /** Pending targets and their attempt counts, for tests and metrics. */
  pending (): Array<{ target: string, attempts: number }>
  stop (): void
}

export function createRedialer (o: RedialerOptions): Redialer {
  const state = new Map<string, { attempts: number, timer: Timer | undefined, dialling: boolean }>()
  let stopped = false

  const entry = (target: string): { attempts: number, timer: Timer | undefined, dialling: boolean } => {
    let e = state.get(target)
    if (e === undefined) { e = { attempts: 0, timer: undefined, dialling: false }; state.set(target, e) }
    return e
  }

  const attempt = (target: string): void => {
    const e = state.get(target)
    if (stopped || e === undefined || e.dialling) return
    e.timer = undefined
    e.dialling = true
    o.dial(target).then((done) => {
      e.dialling = false
      if (state.get(target) !== e) return
      if (done) state.delete(target)
      else schedule(target)
    }, (err: unknown) => {
      e.dialling = false
      o.logger.debug({ target, err: (err as Error).message }, 're-dial failed')
      if (state.get(target) === e) schedule(target)
    })
  }

  const schedule = (target: string, atLeastMs = 0): void => {
    if (stopped) return
    const e = entry(target)
    if (e.timer !== undefined || e.dialling) return
    const delay = Math.max(atLeastMs, backoffDelay(o.policy, e.attempts, o.rng))
    e.attempts++
    e.timer = o.clock.setTimer(delay, () => { attempt(target) })
  }

  return {
    schedule,
    dialNow (target) {
      if (stopped) return
      const e = entry(target)
      if (e.timer !== undefined || e.dialling) return
      attempt(target)
    },
    reset (target) {
      const e = state.get(target)
      if (e === undefined) return
      e.timer?.cancel()
      state.delete(target)
    },
    pending () {
      return [...state.entries()].map(([target, e]) => ({ target, attempts: e.attempts })).sort((a, b) => a.target < b.target ? -1 : 1)
    },
    stop () {
      stopped = true
      for (const e of state.values()) e.timer?.cancel()
      state.clear()
    }
  }
}
