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
})
