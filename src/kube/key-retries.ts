/**
 * What the reconciler remembers per desired key between attempts: the error its last
 * attempt met, whether the cluster holds its current body, its retry back-off, and the
 * objects parked behind it while it is a Namespace not yet applied. A retry that waits
 * on an unreachable cluster is marked blocked, so the cluster's recovery sends it back
 * at once instead of after its back-off; an error or a success on a namespace lets the
 * objects parked behind it go (to apply, or to meet the error themselves).
 */
import type { Clock, Timer } from '../ports/clock.ts'
import type { WorkloadKey } from '../model/kube.ts'

export interface KeyError { code: string, message: string }

export interface KeyState {
  error?: KeyError
  /** The last apply of the current body succeeded (or the cluster already held it). */
  applied: boolean
  attempts: number
  retry?: Timer
  /** The last retry was for a cluster failure: retry at once on recovery. */
  blocked: boolean
  /** The generation the cluster last reported observing; kept across body changes. */
  observedGeneration: number
}

export interface KeyRetriesOptions {
  clock: Clock
  /** First back-off; it doubles with each attempt, up to `retryMaxMs`. */
  retryBaseMs: number
  retryMaxMs: number
  /** Queues a key for another attempt. */
  enqueue: (key: WorkloadKey) => void
  /** Retries fire only while this holds. */
  running: () => boolean
  /** A key's error changed: its observed state must show it. */
  onErrorChanged: (key: WorkloadKey) => void
}

export interface KeyRetries {
  get (key: WorkloadKey): KeyState | undefined
  /** The key's state, created on first use. */
  of (key: WorkloadKey): KeyState
  setError (key: WorkloadKey, error: KeyError | undefined): void
  /** Schedules another attempt after the back-off (or `delayMs`). */
  scheduleRetry (key: WorkloadKey, blocked: boolean, delayMs?: number): void
  /** The current body is in the cluster: no error, no retry, back-off reset, parked keys go. */
  succeeded (key: WorkloadKey): void
  /** A new body for the key: its retries start afresh. */
  restart (key: WorkloadKey): void
  /** The key is no longer desired (or was pruned): its state and retry go, parked keys go. */
  forget (key: WorkloadKey): void
  /** Holds `key` until namespace `namespaceKey` applies or fails. */
  park (namespaceKey: WorkloadKey, key: WorkloadKey): void
  /** The cluster is reachable again: every retry blocked on it goes now. */
  retryBlockedNow (): void
  /** Cancels every pending retry (the driver stops). */
  cancelAll (): void
}

export function createKeyRetries (options: KeyRetriesOptions): KeyRetries {
  const { clock, retryBaseMs, retryMaxMs, enqueue, running, onErrorChanged } = options
  const states = new Map<WorkloadKey, KeyState>()
  const parked = new Map<WorkloadKey, Set<WorkloadKey>>()

  function of (key: WorkloadKey): KeyState {
    let st = states.get(key)
    if (st === undefined) {
      st = { attempts: 0, blocked: false, observedGeneration: 0, applied: false }
      states.set(key, st)
    }
    return st
  }

  function cancelRetry (st: KeyState): void {
    st.retry?.cancel()
    st.retry = undefined
    st.blocked = false
  }

  /** Lets the keys parked behind namespace `key` go. */
  function release (key: WorkloadKey): void {
    const waiting = parked.get(key)
    if (waiting === undefined) return
    parked.delete(key)
    for (const k of waiting) enqueue(k)
  }

  function setError (key: WorkloadKey, error: KeyError | undefined): void {
    const st = of(key)
    if (st.error?.code === error?.code && st.error?.message === error?.message) return
    if (error === undefined) delete st.error
    else {
      st.error = error
      release(key)
    }
    onErrorChanged(key)
  }

  return {
    get: (key) => states.get(key),
    of,
    setError,

    scheduleRetry (key, blocked, delayMs) {
      const st = of(key)
      st.retry?.cancel()
      st.blocked = blocked
      const ms = delayMs ?? Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(st.attempts, 20))
      st.attempts++
      st.retry = clock.setTimer(ms, () => {
        st.retry = undefined
        st.blocked = false
        if (running()) enqueue(key)
      })
    },

    succeeded (key) {
      const st = of(key)
      st.applied = true
      release(key)
      st.attempts = 0
      cancelRetry(st)
      setError(key, undefined)
    },

    restart (key) {
      const st = states.get(key)
      if (st === undefined) return
      st.attempts = 0
      cancelRetry(st)
    },

    forget (key) {
      const st = states.get(key)
      if (st !== undefined) cancelRetry(st)
      states.delete(key)
      release(key)
    },

    park (namespaceKey, key) {
      let waiting = parked.get(namespaceKey)
      if (waiting === undefined) parked.set(namespaceKey, waiting = new Set())
      waiting.add(key)
    },

    retryBlockedNow () {
      for (const [key, st] of states) {
        if (!st.blocked) continue
        cancelRetry(st)
        enqueue(key)
      }
    },

    cancelAll () {
      for (const st of states.values()) { st.retry?.cancel(); st.retry = undefined }
    }
  }
}
