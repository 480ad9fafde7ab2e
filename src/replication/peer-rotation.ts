/**
 * Which connected peers an anti-entropy period talks to: a bounded number, in rounds. Each
 * round visits every connected peer once in an order shuffled with the injected Rng (so
 * the simulator replays it), `fanout` peers per period, so a site's anti-entropy work per
 * period does not grow with the federation while every peer that stays connected is still
 * visited once per round, and a round lasts ⌈peers / fanout⌉ periods or one more. A peer
 * that connects mid-round joins the next one (it exchanged digests when it came up).
 */
import type { PeerId } from '../ports/network.ts'
import type { Rng } from '../ports/rng.ts'

export interface PeerRotation {
  /** The next `fanout` of `connected` (all of them if there are fewer), never one twice. */
  take (connected: readonly PeerId[], fanout: number): PeerId[]
}

export function createPeerRotation (rng: Rng): PeerRotation {
  let round: PeerId[] = []

  function shuffled (peers: readonly PeerId[]): PeerId[] {
    const a = [...peers].sort()
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rng.nextFloat() * (i + 1))
      const t = a[i]!
      a[i] = a[j]!
      a[j] = t
    }
    return a
  }

  return {
    take (connected, fanout) {
      const live = new Set(connected)
      const want = Math.min(Math.max(0, Math.floor(fanout)), live.size)
      const out: PeerId[] = []
      round = round.filter((p) => live.has(p))
      while (out.length < want) {
        let i = round.findIndex((p) => !out.includes(p))
        if (i < 0) {
          // The round is done: start the next with every live peer, this period's included.
          round = shuffled([...live])
          i = round.findIndex((p) => !out.includes(p))
        }
        out.push(round[i]!)
        round.splice(i, 1)
      }
      return out
    }
  }
}
