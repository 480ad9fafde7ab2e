import { describe, expect, it } from 'vitest'
import { parseSiteConfig } from '../../src/config/load.ts'
import { toHex } from '../../src/identity/keys.ts'
import { networkOptionsFromConfig } from '../../src/net/from-config.ts'
import { testSite } from './test-keys.ts'

describe('network options from the site config', () => {
  const me = testSite(41)
  const peer = testSite(42)
  const stranger = testSite(43)
  const config = parseSiteConfig({
    site: { id: 'eu-west', region: 'eu-west', zone: 'eu-west-a' },
    dataDir: '.flotilla/eu-west',
    p2p: { listen: ['/ip4/127.0.0.1/tcp/7001'], bootstrap: [`/ip4/127.0.0.1/tcp/7002/p2p/${peer.peer}`] },
    roster: [
      { siteId: 'eu-west', publicKey: toHex(me.keys.publicKey), region: 'eu-west' },
      { siteId: 'ap-east', publicKey: toHex(peer.keys.publicKey), region: 'ap-east' }
    ],
    limits: { maxFrameBytes: 1_000_000, maxConcurrentStreams: 4 }
  }, 'test.yaml')

  it('carries addresses and limits over and admits exactly the roster', () => {
    const o = networkOptionsFromConfig(config, me.keys)
    expect(o).toMatchObject({
      listen: ['/ip4/127.0.0.1/tcp/7001'],
      bootstrap: [`/ip4/127.0.0.1/tcp/7002/p2p/${peer.peer}`],
      maxFrameBytes: 1_000_000,
      maxInboundStreams: 4
    })
    expect([me.peer, peer.peer, stranger.peer].map(o.isMember)).toEqual([true, true, false])
  })
})
