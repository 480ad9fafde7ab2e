/**
 * Per-peer traffic counters shared by the network adapters (libp2p and the simulator),
 * so metrics and the egress log read the same shape from either.
 */
import type { PeerId, PeerTraffic } from '../ports/network.ts'

export interface PeerCounters {
  bytesIn: number
  bytesOut: number
  framesIn: number
  framesOut: number
  dropped: number
}

export interface TrafficTable {
  /** The counters of `peer`, created at zero on first use. */
  of (peer: PeerId): PeerCounters
  /** A copy of every peer's counters, sorted by peer id. */
  snapshot (isConnected: (peer: PeerId) => boolean): PeerTraffic[]
}

export function createTrafficTable (): TrafficTable {
  const table = new Map<PeerId, PeerCounters>()
  return {
    of (peer) {
      let c = table.get(peer)
      if (c === undefined) {
        c = { bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0, dropped: 0 }
        table.set(peer, c)
      }
      return c
    },
    snapshot (isConnected) {
      return [...table.keys()].sort().map((peer) => {
        const c = table.get(peer) as PeerCounters
        return { peer, connected: isConnected(peer), ...c }
      })
    }
  }
}
