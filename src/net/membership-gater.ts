/**
 * The connection gater: only roster members may hold a connection, and a peer we hung
 * up on stays refused until its back-off has passed. Checked on dial (when the peer id
 * is known) and again after the Noise handshake in both directions, where the remote
 * peer id has been proven by its key, so an address that turns out to belong to
 * someone else is refused too.
 */
import type { ConnectionGater, PeerId as Libp2pPeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { asPeerId, type PeerId } from '../ports/network.ts'

export type RefusalReason = 'not-a-member' | 'backoff'
export type RefusalStage = 'dial' | 'inbound-handshake' | 'outbound-handshake'

export interface MembershipGaterOptions {
  isMember (peer: PeerId): boolean
  /** True while `peer` is refused after a `disconnect`. */
  isBackedOff (peer: PeerId): boolean
  onRefused (peer: PeerId, reason: RefusalReason, stage: RefusalStage): void
}

export function createMembershipGater (o: MembershipGaterOptions): ConnectionGater {
  const judge = (id: Libp2pPeerId | string, stage: RefusalStage): boolean => {
    const peer = asPeerId(id.toString())
    let reason: RefusalReason | undefined
    if (!o.isMember(peer)) reason = 'not-a-member'
    else if (o.isBackedOff(peer)) reason = 'backoff'
    if (reason === undefined) return false
    o.onRefused(peer, reason, stage)
    return true
  }
  return {
    denyDialPeer: (peerId) => judge(peerId, 'dial'),
    denyDialMultiaddr: (ma: Multiaddr) => {
      const id = ma.getComponents().findLast((c) => c.name === 'p2p')?.value
      return id === undefined ? false : judge(id, 'dial')
    },
    denyInboundEncryptedConnection: (peerId) => judge(peerId, 'inbound-handshake'),
    denyOutboundEncryptedConnection: (peerId) => judge(peerId, 'outbound-handshake')
  }
}
