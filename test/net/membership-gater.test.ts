import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { createMembershipGater } from '../../src/net/membership-gater.ts'
import type { PeerId } from '../../src/ports/network.ts'
import { testSite } from './test-keys.ts'

describe('membership gater', () => {
  const member = testSite(1).peer
  const banned = testSite(2).peer
  const stranger = testSite(3).peer
  const refusals: string[] = []
  const gater = createMembershipGater({
    isMember: (p) => p === member || p === banned,
    isBackedOff: (p) => p === banned,
    onRefused: (p, reason, stage) => { refusals.push(`${p === stranger ? 'stranger' : 'banned'} ${reason} ${stage}`) }
  })
  const lp = (p: PeerId) => peerIdFromString(p)
  const conn = {} as never

  it('admits members and refuses strangers and backed-off peers at every checkpoint', async () => {
    expect(await gater.denyDialPeer?.(lp(member))).toBe(false)
    expect(await gater.denyInboundEncryptedConnection?.(lp(member), conn)).toBe(false)
    expect(await gater.denyOutboundEncryptedConnection?.(lp(member), conn)).toBe(false)
    expect(await gater.denyDialPeer?.(lp(stranger))).toBe(true)
    expect(await gater.denyInboundEncryptedConnection?.(lp(stranger), conn)).toBe(true)
    expect(await gater.denyOutboundEncryptedConnection?.(lp(banned), conn)).toBe(true)
    expect(refusals).toEqual(['stranger not-a-member dial', 'stranger not-a-member inbound-handshake', 'banned backoff outbound-handshake'])
  })

  it('judges a multiaddr by the peer id it names, and leaves anonymous ones to the handshake', async () => {
    expect(await gater.denyDialMultiaddr?.(multiaddr(`/ip4/127.0.0.1/tcp/1/p2p/${stranger}`))).toBe(true)
    expect(await gater.denyDialMultiaddr?.(multiaddr(`/ip4/127.0.0.1/tcp/1/p2p/${member}`))).toBe(false)
    expect(await gater.denyDialMultiaddr?.(multiaddr('/ip4/127.0.0.1/tcp/1'))).toBe(false)
  })
})
