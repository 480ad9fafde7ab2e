/**
 * Clock port: the only way the site core learns the time or waits. Production binds
 * the system clock; the simulator binds a virtual clock so runs replay exactly.
 * Monotonic time judges liveness and timeouts; wall time is only ever reported.
 */

export interface Timer {
  /** Cancels the timer; cancelling twice or after it fired is a no-op. */
  cancel (): void
}

export interface Clock {
  /** Milliseconds from an arbitrary origin; never decreases. Use for every duration. */
  monotonicMs (): number
  /** Milliseconds since the Unix epoch; may jump or be skewed. Use only for display and records. */
  wallMs (): number
  /** Runs `fn` once after `ms` monotonic milliseconds. */
  setTimer (ms: number, fn: () => void): Timer
}

/** Resolves after `ms` on the given clock. */
export function sleep (clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => { clock.setTimer(ms, resolve) })
}

/**
 * Calls `fn` every `ms` until the returned timer is cancelled. The next tick is
 * scheduled only after `fn`'s promise settles, so slow ticks never overlap; a failing
 * tick is reported to `onError` and the schedule goes on.
 */
export function every (clock: Clock, ms: number, fn: () => void | Promise<void>, onError: (e: unknown) => void): Timer {
  let stopped = false
  let current: Timer | undefined
  const schedule = (): void => {
    if (stopped) return
    current = clock.setTimer(ms, () => {
      let result: void | Promise<void>
      try { result = fn() } catch (e) { onError(e); result = undefined }
      if (result instanceof Promise) result.then(schedule, (e: unknown) => { onError(e); schedule() })
      else schedule()
    })
  }
  schedule()
  return { cancel: () => { stopped = true; current?.cancel() } }
}
