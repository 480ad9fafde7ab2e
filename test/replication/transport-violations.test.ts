import { describe, expect, it } from 'vitest'
import type { Network, NetworkHandlers, PeerId, TransportViolation } from '../../src/ports/network.ts'
import { manualClock, manualFabric } from '../support/manual-network.ts'
import { replicaFederation, type ReplicaNode } from './replication-fixture.ts'

/**
 * A federation of an honest site and a peer whose transport breaches the honest site's
 * network reports (as libp2p and the simulator do, through `onViolation`), with every
 * `disconnect` the honest site asks of its network.
 */
async function honestAndOffender (): Promise<{
  honest: ReplicaNode
  offender: ReplicaNode
  report: (v: TransportViolation) => void
  disconnects: Array<{ peer: PeerId, reason: string, backoffMs: number }>
  connected: () => boolean
  advance: (ms: number) => Promise<void>
}> {
  const clock = manualClock(); const fabric = manualFabric()
  let handlers: NetworkHandlers | undefined
  const disconnects: Array<{ peer: PeerId, reason: string, backoffMs: number }> = []
  const watch = (name: string, net: Network): Network => name !== 'eu' ? net : {
    ...net,
    handle: (h) => { handlers = h; return net.handle(h) },
    disconnect: (peer, reason, backoffMs) => { disconnects.push({ peer, reason, backoffMs }); net.disconnect(peer, reason, backoffMs) }
  }
  const f = await replicaFederation(['eu', 'byz'], clock, fabric, { network: watch })
  const [honest, offender] = f.nodes as [ReplicaNode, ReplicaNode]
  fabric.connect(honest.peer, offender.peer)
  await f.settle()
  return {
    honest,
    offender,
    report: (v) => { handlers!.onViolation!(offender.peer, v) },
    disconnects,
    connected: () => honest.replicator.stats().peers.find((p) => p.peer === offender.peer)?.connected === true,
    advance: async (ms) => { await clock.advance(ms) }
  }
}

describe('transport violations reported by the network', () => {
  it.each([
    ['frame-too-large', 'oversized'],
    ['malformed-frame', 'malformed'],
    ['unexpected-data', 'malformed'],
    ['too-many-streams', 'flood']
  ] as const)('records %s as %s evidence against the peer and lowers its standing', async (violation, kind) => {
    const { honest, offender, report } = await honestAndOffender()
    const scoreOf = (): number => honest.replicator.stats().peers.find((p) => p.peer === offender.peer)!.score
    expect(scoreOf()).toBe(0)
    report(violation)
    expect(honest.misbehaviour).toHaveLength(1)
    expect(honest.misbehaviour[0]).toMatchObject({ peer: offender.peer, kind })
    expect(honest.misbehaviour[0]!.detail).toMatch(/^transport: /)
    expect(scoreOf()).toBeLessThan(0)
  })

  it('disconnects a peer that keeps sending oversized frames, for a back-off that doubles when it does so again', async () => {
    const { honest, offender, report, disconnects, connected, advance } = await honestAndOffender()
    // 20 points each: the fifth reaches the threshold of -100.
    for (let i = 0; i < 4; i++) report('frame-too-large')
    expect(connected()).toBe(true)
    expect(disconnects).toEqual([])
    report('frame-too-large')
    expect(connected()).toBe(false)
    expect(disconnects).toEqual([{ peer: offender.peer, reason: 'misbehaviour: oversized', backoffMs: 30_000 }])
    expect(honest.misbehaviour.filter((m) => m.kind === 'oversized')).toHaveLength(5)
    // Standing restarts half way down; three more breaches soon after cut it off again, for twice as long.
    await advance(1000)
    for (let i = 0; i < 3; i++) report('frame-too-large')
    expect(disconnects.map((d) => d.backoffMs)).toEqual([30_000, 60_000])
  })

  it('counts too many streams as a flood at most once a second, so a burst of resets is not a disconnect', async () => {
    const { honest, report, connected, advance } = await honestAndOffender()
    for (let i = 0; i < 20; i++) report('too-many-streams')
    expect(honest.misbehaviour.map((m) => m.kind)).toEqual(['flood'])
    expect(connected()).toBe(true)
    // Sustained, once every 100 ms: -10 a second against a recovery of 1 a second.
    for (let t = 0; t < 200 && connected(); t++) {
      await advance(100)
      report('too-many-streams')
    }
    expect(connected()).toBe(false)
    expect(honest.misbehaviour.length).toBeGreaterThanOrEqual(10)
  })
})
