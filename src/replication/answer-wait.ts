/**
 * How long a session waits for the first frame answering a request before it takes the
 * request as lost: learned per peer from how long that peer's answers took, as TCP
 * learns its retransmission time-out (smoothed time plus four deviations, RFC 6298), and
 * kept between a floor and the session time-out. A peer that always answers slowly (a
 * loaded site, a long path) earns a long wait and is not asked everything twice; a peer
 * that answers in 200 ms lets a lost request be noticed in about a second instead of
 * after the whole session time-out.
 */
import type { PeerId } from '../ports/network.ts'

export interface AnswerWaitOptions {
  /** The wait before a peer's first answer was timed. */
  initialMs: number
  minMs: number
  maxMs: number
}

export interface AnswerWait {
  /** Records that `peer` answered a request `ms` after it was sent. */
  sample (peer: PeerId, ms: number): void
  /** How long to wait for `peer`'s first frame of an answer. */
  waitMs (peer: PeerId): number
  forget (peer: PeerId): void
}

export function createAnswerWait (o: AnswerWaitOptions): AnswerWait {
  const peers = new Map<PeerId, { srtt: number, rttvar: number }>()
  const clamp = (ms: number): number => Math.min(o.maxMs, Math.max(o.minMs, ms))

  return {
    sample (peer, ms) {
      const r = Math.max(0, ms)
      const e = peers.get(peer)
      if (e === undefined) { peers.set(peer, { srtt: r, rttvar: r / 2 }); return }
      e.rttvar = 0.75 * e.rttvar + 0.25 * Math.abs(e.srtt - r)
      e.srtt = 0.875 * e.srtt + 0.125 * r
    },
    waitMs (peer) {
      const e = peers.get(peer)
      return e === undefined ? clamp(o.initialMs) : clamp(e.srtt + 4 * e.rttvar)
    },
    forget (peer) { peers.delete(peer) }
  }
}
