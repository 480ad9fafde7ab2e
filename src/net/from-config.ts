/**
 * Builds the libp2p network options from a site's validated config: listen and
 * bootstrap addresses, the frame and stream limits, and a roster check from the
 * configured members' keys (the federation document may later supply a live one).
 */
import type { SiteConfig } from '../config/schema.ts'
import { fromHex, type KeyPair } from '../identity/keys.ts'
import { peerIdFromPublicKey } from '../identity/peer-id.ts'
import type { PeerId } from '../ports/network.ts'
import type { Libp2pNetworkOptions } from './libp2p-network.ts'

/** A roster check admitting exactly the configured members. */
export function rosterMembership (roster: SiteConfig['roster']): (peer: PeerId) => boolean {
  const members = new Set<string>(roster.map((m, i) => peerIdFromPublicKey(fromHex(m.publicKey, `roster[${i}].publicKey`))))
  return (peer) => members.has(peer)
}

export function networkOptionsFromConfig (
  config: SiteConfig,
  keys: KeyPair,
  rest: Omit<Partial<Libp2pNetworkOptions>, 'keys' | 'listen' | 'bootstrap'> = {}
): Libp2pNetworkOptions {
  return {
    isMember: rosterMembership(config.roster),
    maxFrameBytes: config.limits.maxFrameBytes,
    maxInboundStreams: config.limits.maxConcurrentStreams,
    ...rest,
    keys,
    listen: config.p2p.listen,
    bootstrap: config.p2p.bootstrap
  }
}
