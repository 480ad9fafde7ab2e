/**
 * Whether a member cluster's API answers: any successful call marks it reachable, any
 * failed one unreachable with the error, and a quiet API is pinged every `probeMs` so a
 * silent cluster is noticed. The first success after a failure reports a recovery, on
 * which the reconciler re-lists and retries what was waiting.
 */
import type { Clock, Timer } from '../ports/clock.ts'
import type { Logger } from '../ports/logger.ts'

export interface ClusterContactOptions {
  clock: Clock
  logger: Logger
  probeMs: number
  ping: () => Promise<void>
  /** Reachability or its error changed. */
  onChanged: () => void
  /** Reachable again after a failure. */
  onRecovered: () => void
}

export interface ClusterContact {
  noteContact (): void
  noteFailure (e: unknown): void
  reachable (): boolean
  lastContactMs (): number | undefined
  /** The error of the last failure, while unreachable. */
  lastError (): string | undefined
  start (): void
  stop (): void
}

export function createClusterContact (options: ClusterContactOptions): ClusterContact {
  const { clock, logger, probeMs } = options
  let reachable = false
  let lastContactMs: number | undefined
  let lastError: string | undefined
  let running = false
  let probeTimer: Timer | undefined

  function noteContact (): void {
    lastContactMs = clock.monotonicMs()
    if (reachable) return
    const wasDown = lastError !== undefined
    reachable = true
    lastError = undefined
    options.onChanged()
    if (wasDown) {
      logger.info({}, 'cluster API reachable again')
      options.onRecovered()
    }
  }

  function noteFailure (e: unknown): void {
    const message = e instanceof Error ? e.message : String(e)
    if (!reachable && lastError === message) return
    if (reachable) logger.warn({ err: message }, 'cluster API unreachable')
    reachable = false
    lastError = message
    options.onChanged()
  }

  function scheduleProbe (): void {
    probeTimer = clock.setTimer(probeMs, () => {
      if (!running) return
      const quietFor = lastContactMs === undefined ? Infinity : clock.monotonicMs() - lastContactMs
      if (quietFor < probeMs && reachable) { scheduleProbe(); return }
      options.ping().then(noteContact, noteFailure).finally(() => { if (running) scheduleProbe() })
    })
  }

  return {
    noteContact,
    noteFailure,
    reachable: () => reachable,
    lastContactMs: () => lastContactMs,
    lastError: () => reachable ? undefined : lastError,
    start () {
      if (running) return
      running = true
      scheduleProbe()
    },
    stop () {
      running = false
      probeTimer?.cancel()
    }
  }
}
