import { describe, expect, it } from 'vitest'
import { manualClock, manualFabric } from '../support/manual-network.ts'
import { replicaFederation } from './replication-fixture.ts'

describe('heartbeat transport', () => {
  it('publishes a heartbeat once on the federation topic and once on each direct link', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const f = await replicaFederation(['eu', 'ap', 'us'], clock, fabric)
    const [a, b, c] = f.nodes
    fabric.connect(a!.peer, b!.peer); fabric.connect(a!.peer, c!.peer); fabric.connect(b!.peer, c!.peer)
    await f.settle()
    const got: string[] = []
    for (const n of [b!, c!]) n.replicator.onHeartbeat((_payload, from) => { got.push(`${n.site.id}<-${from === a!.peer ? 'eu' : from}`) })
    const sentBefore = a!.sent.length
    a!.replicator.sendHeartbeat(Uint8Array.of(1, 2, 3))
    await f.settle()
    expect(a!.broadcasts).toBe(1)
    expect(a!.sent.slice(sentBefore).filter((s) => s.frame.type === 'heartbeat')).toHaveLength(2)
    // Both copies reach each peer; the liveness monitor drops the second by its counter.
    expect(got.sort()).toEqual(['ap<-eu', 'ap<-eu', 'us<-eu', 'us<-eu'])
  })

  it('starts the gossip copy of a heartbeat on the mesh only, as every connected peer gets the direct copy', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const f = await replicaFederation(['eu', 'ap'], clock, fabric)
    const [a, b] = f.nodes
    fabric.connect(a!.peer, b!.peer)
    await f.settle()
    const before = a!.broadcastOptions.length
    a!.replicator.sendHeartbeat(Uint8Array.of(7))
    await f.settle()
    expect(a!.broadcastOptions.slice(before)).toEqual([{ alsoSentDirect: true }])
    expect(a!.sent.filter((s) => s.frame.type === 'heartbeat' && s.to === b!.peer)).toHaveLength(1)
  })

  it('sends only every third heartbeat on gossip while every other site has a direct link, and every one when a link is missing', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const f = await replicaFederation(['eu', 'ap', 'us'], clock, fabric, { replicator: { peerCount: () => 2 } })
    const [a, b, c] = f.nodes
    fabric.connect(a!.peer, b!.peer); fabric.connect(a!.peer, c!.peer)
    await f.settle()
    const before = a!.broadcasts
    const directBefore = a!.sent.filter((s) => s.frame.type === 'heartbeat').length
    for (let i = 0; i < 6; i++) a!.replicator.sendHeartbeat(Uint8Array.of(i))
    await f.settle()
    expect(a!.broadcasts - before).toBe(2)
    // Every beat still goes over each direct link.
    expect(a!.sent.filter((s) => s.frame.type === 'heartbeat').length - directBefore).toBe(12)
    fabric.cut(a!.peer, c!.peer)
    await f.settle()
    const partial = a!.broadcasts
    for (let i = 0; i < 3; i++) a!.replicator.sendHeartbeat(Uint8Array.of(10 + i))
    await f.settle()
    expect(a!.broadcasts - partial).toBe(3)
  })

  it('refuses a gossip heartbeat cadence below one', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    await expect(replicaFederation(['eu'], clock, fabric, { replicator: { gossipHeartbeatEvery: 0 } })).rejects.toThrow(/gossipHeartbeatEvery/)
  })

  it('announces new heads to every site through gossip, not only the mesh', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const f = await replicaFederation(['eu', 'ap', 'us'], clock, fabric)
    const [a, b] = f.nodes
    // us is not connected: the push reaches one of two peers, so the change is announced
    fabric.connect(a!.peer, b!.peer)
    await f.settle()
    const before = a!.broadcastOptions.length
    await f.write(a!, 1, 'announced')
    await clock.advance(100)
    await f.settle()
    const announcements = a!.broadcastOptions.slice(before)
    expect(announcements.length).toBeGreaterThanOrEqual(1)
    for (const o of announcements) expect(o?.alsoSentDirect ?? false).toBe(false)
  })
})
