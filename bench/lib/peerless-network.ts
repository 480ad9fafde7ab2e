/**
 * A `Network` with nobody on it, for benchmarks that run one site's core alone: it sends
 * nothing and hears nothing.
 */
import type { Network, PeerId } from '../../src/ports/network.ts'

export function peerlessNetwork (localPeer: PeerId): Network {
  return {
    localPeer,
    handle: () => () => {},
    send: () => {},
    broadcast: () => {},
    connectedPeers: () => [],
    disconnect: () => {},
    traffic: () => []
  }
}
