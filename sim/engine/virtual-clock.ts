/**
 * The simulator's clock and event loop. One true virtual time advances only when the
 * engine runs the next event from its queue, ordered by (time, insertion seq) so ties
 * replay exactly. Each site gets its own `Clock` view: wall time offset by a skew (which
 * can jump), monotonic time from its own origin and at its own rate (drift), and timers
 * that a crash can halt all at once.
 *
 * Determinism with promises: the site core is async, so an event's effects continue in
 * microtasks (promise reactions, `queueMicrotask`, `process.nextTick`). After every event
 * the engine awaits a `setImmediate` barrier: Node runs the check phase only once the
 * nextTick and microtask queues are empty, however long the chain, so every continuation
 * of an event, and every timer it schedules, settles before the next event is taken.
 * The guarantee holds as long as code driven by the engine waits only on the engine (its
 * ports): a real timer, real I/O or an async native call (e.g. `crypto.subtle`) would
 * complete at a wall-clock moment and break replay. The barrier costs a turn of Node's
 * event loop; a simulator event that ran only synchronous simulator code (a duplicate
 * gossip frame dropped on arrival, a lazy-gossip round) returns `NOTHING_TO_SETTLE` and
 * skips it: it left no continuation behind, since the barrier before it drained all.
 */
import { FlotillaError } from '../../src/model/errors.ts'
import { checkDelayMs } from '../../src/platform/delay.ts'
import { MONOTONIC_ORIGIN_MS } from '../../src/platform/system-clock.ts'
import type { Clock, Timer } from '../../src/ports/clock.ts'
import { createEventQueue, type QueuedEvent } from '../../src/platform/event-queue.ts'
import type { Trace } from './trace.ts'

export interface VirtualClockOptions {
  /** True wall time when the run starts, ms since the epoch. Default 1,735,689,600,000 (2025-01-01T00:00:00Z). */
  startWallMs?: number
  /**
   * Events allowed at one virtual instant before the run is stopped as a zero-delay loop.
   * An instant is a microsecond: a loop that re-arms a timer a few ulps ahead lets time
   * advance, but not by anything, and is stopped the same way. Default 100,000.
   */
  maxEventsPerInstant?: number
  /** When given, every event run is recorded as kind 'event' with its seq, so schedules are part of the trace hash. */
  trace?: Trace
}

export interface ClockViewOptions {
  /** This site's wall clock minus true wall time, ms. Default 0. */
  wallSkewMs?: number
  /** This site's monotonic rate error in parts per million (+100 runs 0.01% fast). Default 0; must be > -1,000,000. */
  driftPpm?: number
  /** This site's monotonic reading when the view is made. Default 1,000,000 (as the system clock). */
  monotonicOriginMs?: number
}

/** One site's view of virtual time. */
export interface SiteClock extends Clock {
  /** Steps this site's wall clock to `skewMs` from true wall time, as an NTP correction or a bad clock would. */
  setWallSkewMs (skewMs: number): void
  /** Cancels every pending timer of this view and makes new ones inert: the site is dead. */
  halt (): void
}

/** The engine: a `Clock` on true time (no skew, no drift) that also runs the events. */
export interface VirtualClock extends Clock {
  /** True virtual time, ms since the start of the run. */
  nowMs (): number
  /** Runs the next event (advancing time to it) and lets its microtasks settle; false if none is pending. */
  step (): Promise<boolean>
  /**
   * Runs every event due at or before true time `timeMs`, then sets the time to `timeMs`;
   * returns the events run. `interrupt`, asked between events (every few), stops the run
   * early, leaving the time at the last event run (for wall-clock budgets; a run so
   * stopped is not a replay of anything).
   */
  runUntil (timeMs: number, interrupt?: () => boolean): Promise<number>
  /** `runUntil(nowMs() + ms)`. */
  runFor (ms: number): Promise<number>
  /** Runs events until none is pending; throws `sim-runaway` past `maxEvents` (default 1,000,000). Returns the events run. */
  runUntilIdle (maxEvents?: number): Promise<number>
  /** Pending (not cancelled) events. */
  pendingEvents (): number
  /** True time of the next pending event, if any. */
  nextEventMs (): number | undefined
  /** A clock view for one site. */
  view (options?: ClockViewOptions): SiteClock
}

const DEFAULT_START_WALL_MS = Date.UTC(2025, 0, 1)
/** Events between two questions to a `runUntil` interrupt. */
const INTERRUPT_EVERY = 16
/** Events less than this far apart (ms) count as one instant for the runaway check. */
const INSTANT_MS = 0.001

/**
 * What an engine timer's callback returns when it ran only synchronous simulator code —
 * no site handler, no promise, no `process.nextTick` — so the engine need not wait for
 * microtasks before the next event. Anything else (the usual `undefined`) waits.
 */
export const NOTHING_TO_SETTLE: unique symbol = Symbol('nothing to settle')

/** Waits until Node has drained the nextTick and microtask queues (see the module comment). */
export function settleMicrotasks (): Promise<void> {
  return new Promise((resolve) => { setImmediate(resolve) })
}

/** A new engine at true time 0. */
export function createVirtualClock (options: VirtualClockOptions = {}): VirtualClock {
  const startWallMs = options.startWallMs ?? DEFAULT_START_WALL_MS
  const maxEventsPerInstant = options.maxEventsPerInstant ?? 100_000
  const trace = options.trace
  if (!Number.isFinite(startWallMs)) {
    throw new FlotillaError('input-invalid', `'startWallMs' must be a finite number: received ${startWallMs}`, 'pass epoch milliseconds')
  }
  if (!Number.isInteger(maxEventsPerInstant) || maxEventsPerInstant < 1) {
    throw new FlotillaError('input-invalid', `'maxEventsPerInstant' must be a positive integer: received ${maxEventsPerInstant}`,
      'keep the default unless a scenario legitimately runs more events at one instant')
  }
  const queue = createEventQueue()
  let now = 0
  let eventsAtNow = 0
  /** Where the current instant began: events closer than INSTANT_MS to it count as one instant. */
  let instantAt = 0
  let running = false

  const makeView = (opts: ClockViewOptions): SiteClock => {
    const driftPpm = opts.driftPpm ?? 0
    if (!Number.isFinite(driftPpm) || driftPpm <= -1_000_000) {
      throw new FlotillaError('input-invalid', `'driftPpm' must be a finite number above -1,000,000: received ${driftPpm}`,
        'real clocks drift by tens of ppm; use e.g. -200..200')
    }
    let skew = checkFinite(opts.wallSkewMs ?? 0, 'wallSkewMs')
    const origin = checkFinite(opts.monotonicOriginMs ?? MONOTONIC_ORIGIN_MS, 'monotonicOriginMs')
    const rate = 1 + driftPpm / 1_000_000
    const madeAt = now
    const monotonicAt = (t: number): number => origin + (t - madeAt) * rate
    /**
     * The true time at which this view's monotonic reading has advanced by `ms` from its
     * reading at `t`, nudged up past rounding so that both `reading - start >= ms` and
     * `reading >= start + ms` hold when the timer fires: a timer never fires early on the
     * clock that set it. The nudge doubles each round, so it takes a few dozen steps at most.
     */
    const fireTime = (t: number, ms: number): number => {
      const start = monotonicAt(t)
      const late = (at: number): boolean => {
        const m = monotonicAt(at)
        return m - start >= ms && m >= start + ms
      }
      let at = t + ms / rate
      let nudge = Math.max(Math.abs(at) * Number.EPSILON, Number.MIN_VALUE)
      while (!late(at)) {
        at += nudge
        nudge *= 2
      }
      return at
    }
    const timers = new Set<QueuedEvent>()
    let halted = false
    return {
      monotonicMs: () => monotonicAt(now),
      wallMs: () => startWallMs + now + skew,
      setTimer (ms: number, fn: () => void): Timer {
        checkDelayMs(ms)
        if (halted) return { cancel () {} }
        const at = fireTime(now, ms)
        const event = queue.push(at, () => {
          timers.delete(event)
          return (fn as () => unknown)()
        })
        timers.add(event)
        return {
          cancel (): void {
            if (queue.cancel(event)) timers.delete(event)
          }
        }
      },
      setWallSkewMs (skewMs: number): void {
        skew = checkFinite(skewMs, 'skewMs')
      },
      halt (): void {
        halted = true
        for (const event of timers) queue.cancel(event)
        timers.clear()
      }
    }
  }

  const trueView = makeView({})

  const enter = (): void => {
    if (running) {
      throw new FlotillaError('internal', 'the virtual clock was driven from inside one of its own events',
        'only the simulator\'s top-level loop may call step/runUntil/runFor/runUntilIdle; events schedule timers instead')
    }
    running = true
  }

  /** Takes the next event, runs it and waits for its microtasks; false when the queue is empty. */
  const runNext = async (): Promise<boolean> => {
    const event = queue.pop()
    if (event === undefined) return false
    if (event.time > now) now = event.time
    if (now - instantAt >= INSTANT_MS) {
      instantAt = now
      eventsAtNow = 0
    }
    if (++eventsAtNow > maxEventsPerInstant) {
      throw new FlotillaError('sim-runaway',
        `more than ${maxEventsPerInstant} events ran at virtual time ${now} ms without time advancing by a microsecond`,
        'something re-arms a 0 ms timer (or answers a message instantly) forever; give the loop a delay or a bound',
        { details: { timeMs: now, events: eventsAtNow } })
    }
    trace?.recordEvent(now, event.seq)
    if (event.run() !== NOTHING_TO_SETTLE) await settleMicrotasks()
    return true
  }

const runUntil = async (timeMs: number, interrupt?: () => boolean): Promise<number> => {
    if (!Number.isFinite(timeMs) || timeMs < now) {
      throw new FlotillaError('input-invalid', `'timeMs' must be a finite time not before now (${now}): received ${timeMs}`,
        'virtual time only moves forward')
    }
    enter()
    try {
      await settleMicrotasks()
      let ran = 0
      for (;;) {
        const next = queue.peek()
        if (next === undefined || next.time > timeMs) break
        await runNext()
        ran++
        if (interrupt !== undefined && ran % INTERRUPT_EVERY === 0 && interrupt()) return ran
      }
      if (timeMs > now) {
        now = timeMs
        instantAt = now
        eventsAtNow = 0
      }
      return ran
    } finally {
      running = false
    }
  }

  return {
    monotonicMs: trueView.monotonicMs,
    wallMs: trueView.wallMs,
    setTimer: trueView.setTimer,
    nowMs: () => now,
    async step () {
      enter()
      try {
        await settleMicrotasks()
        return await runNext()
      } finally {
        running = false
      }
    },
    runUntil,
    async runFor (ms: number) {
      checkDelayMs(ms)
      return await runUntil(now + ms)
    },
    async runUntilIdle (maxEvents = 1_000_000) {
      if (!Number.isInteger(maxEvents) || maxEvents < 0) {
        throw new FlotillaError('input-invalid', `'maxEvents' must be a non-negative integer: received ${maxEvents}`, 'bound the run')
      }
      enter()
      try {
        await settleMicrotasks()
        let ran = 0
        while (queue.size() > 0) {
          if (ran >= maxEvents) {
            throw new FlotillaError('sim-runaway', `still ${queue.size()} events pending after ${maxEvents} at virtual time ${now} ms`,
              'a periodic timer never goes idle; use runFor/runUntil for runs with periodic work, or cancel the timers first',
              { details: { timeMs: now, pending: queue.size(), maxEvents } })
          }
          await runNext()
          ran++
        }
        return ran
      } finally {
        running = false
      }
    },
    pendingEvents: () => queue.size(),
    nextEventMs: () => queue.peek()?.time,
    view: (opts: ClockViewOptions = {}) => makeView(opts)
  }
}

function checkFinite (v: number, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new FlotillaError('input-invalid', `'${name}' must be a finite number: received ${String(v)}`, 'pass milliseconds')
  }
  return v
}
