/**
 * Deferred relaying of gossip messages. Gossipsub forwards a new message to every mesh
 * neighbour but the one it came from, at once; when the publisher has already sent it to
 * its neighbours, each mesh link then carries it twice, once each way, and in a ten-site
 * federation those relays were most of an idle site's gossip frames. Here a message
 * accepted by validation is released for relaying only after a random delay of up to
 * `maxDelayMs`; gossipsub remembers which peers delivered a copy meanwhile and does not
 * relay to them, so the first neighbour to relay over a link spares the other its copy.
 * Messages that arrive while a delay runs leave with it: one timer per burst, not per
 * message, as every timer is one more wake-up of an otherwise idle process. Delivery to
 * this site is never delayed, only the relay onward. A message is released at once when
 * too many are waiting, and a delay of 0 releases every message at once (gossipsub's own
 * behaviour).
 */
import type { Clock, Timer } from '../ports/clock.ts'
import type { Rng } from '../ports/rng.ts'

export interface DeferredRelayOptions {
  clock: Clock
  rng: Rng
  /** Longest delay before a message is relayed; 0 relays at once. */
  maxDelayMs: number
  /** Messages held at most; above this a message is relayed at once. */
  maxPending: number
  /** Lets gossipsub relay the message (it skips peers that delivered a copy meanwhile). */
  release (msgId: string, propagationSource: string): void
}

export interface DeferredRelay {
  /** Schedules the relay of an accepted message. */
  defer (msgId: string, propagationSource: string): void
  /** Messages waiting. */
  readonly pending: number
  /** Drops every waiting message without relaying it (the node is stopping). */
  stop (): void
}

export function createDeferredRelay (o: DeferredRelayOptions): DeferredRelay {
  const waiting = new Map<string, string>()
  let timer: Timer | undefined
  let stopped = false

  const releaseAll = (): void => {
    timer = undefined
    const batch = [...waiting]
    waiting.clear()
    for (const [msgId, source] of batch) if (!stopped) o.release(msgId, source)
  }

  return {
    get pending () { return waiting.size },
    defer (msgId, source) {
      if (stopped || waiting.has(msgId)) return
      if (o.maxDelayMs <= 0 || waiting.size >= o.maxPending) { o.release(msgId, source); return }
      waiting.set(msgId, source)
      timer ??= o.clock.setTimer(o.rng.nextFloat() * o.maxDelayMs, releaseAll)
    },
    stop () {
      stopped = true
      timer?.cancel()
      timer = undefined
      waiting.clear()
    }
  }
}
