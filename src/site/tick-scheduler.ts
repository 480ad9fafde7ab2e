/**
 * When a site runs its controller tick. A tick runs soon after something asks for one
 * (at least `minTickGapMs` after the previous one, so a burst of inputs shares one tick;
 * at least `remoteGapMs` when only peers' documents asked, as they do nearly all the time
 * in a large federation), or, checked every `tickMs`, once a deadline the last tick named
 * is due or `idleTickMs` passed. Ticks never overlap. A tick asked for only by peers'
 * documents is marked `remoteOnly`, so the site may skip it when nothing a decision reads
 * changed; a tick that keeps failing is retried after 1, 2, 4 … periods up to the idle
 * bound, not on every input.
 */
import type { Clock, Timer } from '../ports/clock.ts'

/** What a tick reports: the deadline it names, or `'skipped'` (the last tick's deadline stands). */
export type TickResult = { wakeAt: number | undefined } | 'skipped'

export interface TickSchedulerOptions {
  clock: Clock
  tickMs: number
  idleTickMs: number
  minTickGapMs: number
  /**
   * Shortest time from one tick's start to the next one asked for only by peers'
   * documents (at least `minTickGapMs`; default: `minTickGapMs`).
   */
  remoteGapMs?: number
  /** Runs one tick, started at monotonic `startedAt`; a throw counts as a failed tick. */
  tick: (remoteOnly: boolean, startedAt: number) => Promise<TickResult>
  /** Another deadline that makes a tick due (held-back evidence). */
  dueAt: () => number | undefined
  onFailure: (e: unknown) => void
}

export interface TickScheduler {
  start (): void
  /** Stops scheduling and waits for a tick in progress. */
  stop (): Promise<void>
  /** Asks for a tick soon; `remote`: because a peer's document changed, and for nothing else. */
  requestSoon (remote?: boolean): void
  /** Runs a tick now (after the one in progress, if any). */
  runNow (): Promise<void>
}

/** A tick asked for runs this much later at the earliest, so the changes of one burst share it. */
const SOON_MS = 50

export function createTickScheduler (options: TickSchedulerOptions): TickScheduler {
  const { clock, tickMs, idleTickMs, minTickGapMs } = options
  const remoteGapMs = Math.max(minTickGapMs, options.remoteGapMs ?? minTickGapMs)
  let running = false
  let tickTimer: Timer | undefined
  let soonTimer: Timer | undefined
  /** When `soonTimer` fires (monotonic). */
  let soonAt = Infinity
  /** Something asked for a tick since the last one began. */
  let dirty = true
  /** Something other than a peer's document change asked for it. */
  let otherInput = true
  let lastTickAt = -Infinity
  let wakeAt: number | undefined
  let failedTicks = 0
  let retryAt: number | undefined
  let ticking: Promise<void> | undefined

  function requestSoon (remote = false): void {
    dirty = true
    if (!remote) otherInput = true
    if (!running) return
    const now = clock.monotonicMs()
    const gap = otherInput ? minTickGapMs : remoteGapMs
    const delay = Math.max(SOON_MS, lastTickAt + gap - now, (retryAt ?? 0) - now)
    if (soonTimer !== undefined) {
      if (soonAt <= now + delay) return
      // A peer's change asked for a later tick; something more urgent came since.
      soonTimer.cancel()
    }
    soonAt = now + delay
    soonTimer = clock.setTimer(delay, () => { soonTimer = undefined; soonAt = Infinity; void runTick() })
  }

  async function runTick (): Promise<void> {
    if (ticking !== undefined) { requestSoon(true); return await ticking }
    const current = tickOnce()
    ticking = current
    try { await current } finally { if (ticking === current) ticking = undefined }
  }

  /** One tick; never throws (a failing tick is reported and retried later). */
  async function tickOnce (): Promise<void> {
    // Yield first, so `ticking` is set before any of the tick runs.
    await Promise.resolve()
    const remoteOnly = !otherInput
    dirty = false
    otherInput = false
    lastTickAt = clock.monotonicMs()
    try {
      const result = await options.tick(remoteOnly, lastTickAt)
      if (result === 'skipped') return
      wakeAt = result.wakeAt
      failedTicks = 0
      retryAt = undefined
    } catch (e) {
      dirty = true
      otherInput = true
      failedTicks++
      retryAt = lastTickAt + Math.min(idleTickMs, tickMs * 2 ** Math.min(failedTicks - 1, 16))
      options.onFailure(e)
    }
  }

  /** Whether the periodic check has work: new input, a deadline due, or the idle bound reached. */
  function tickDue (): boolean {
    const now = clock.monotonicMs()
    if (retryAt !== undefined && now < retryAt) return false
    const otherDue = options.dueAt()
    if ((wakeAt !== undefined && now >= wakeAt) || (otherDue !== undefined && now >= otherDue) || now - lastTickAt >= idleTickMs) {
      otherInput = true
      return true
    }
    // Peers' changes alone wait out their longer gap (the soon timer is set for its end).
    return dirty && (otherInput || now - lastTickAt >= remoteGapMs)
  }

  function schedulePeriodic (): void {
    tickTimer = clock.setTimer(tickMs, () => {
      if (!running) return
      if (!tickDue()) { schedulePeriodic(); return }
      void runTick().finally(() => { if (running) schedulePeriodic() })
    })
  }

  return {
    start () {
      if (running) return
      running = true
      schedulePeriodic()
      requestSoon()
    },
    async stop () {
      running = false
      tickTimer?.cancel()
      soonTimer?.cancel()
      soonTimer = undefined
      soonAt = Infinity
      await ticking
    },
    requestSoon,
    async runNow () {
      otherInput = true
      await runTick()
    }
  }
}
