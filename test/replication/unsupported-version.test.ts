import { describe, expect, it } from 'vitest'
import { encodeDirect, PROTOCOL_VERSION } from '../../src/replication/messages.ts'
import { manualClock, manualFabric } from '../support/manual-network.ts'
import { replicaFederation, type ReplicaNode } from './replication-fixture.ts'

describe('a frame of a protocol version this site does not speak', () => {
  it('is answered with an unsupported-version error frame naming the version it speaks, and not held against the sender', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const f = await replicaFederation(['eu', 'ap'], clock, fabric)
    const [site, newer] = f.nodes as [ReplicaNode, ReplicaNode]
    fabric.connect(site.peer, newer.peer)
    await f.settle()
    // A frame from a later release: a valid digest, but under version 2.
    const frame = encodeDirect({ type: 'digest', docs: [] })
    frame[0] = PROTOCOL_VERSION + 1
    const sentBefore = site.sent.length
    fabric.rawSend(newer.peer, site.peer, frame)
    await f.settle()
    const answers = site.sent.slice(sentBefore).filter((s) => s.to === newer.peer && s.frame.type === 'error')
    expect(answers).toHaveLength(1)
    const answer = answers[0]!.frame
    if (answer.type !== 'error') throw new Error('not an error frame')
    expect(answer.code).toBe('unsupported-version')
    expect(answer.message).toBe(`frame version ${PROTOCOL_VERSION + 1} is not supported; this site speaks version ${PROTOCOL_VERSION}`)
    // A rolling upgrade is not misbehaviour.
    expect(site.misbehaviour).toEqual([])
    expect(site.replicator.stats().peers.find((p) => p.peer === newer.peer)?.score).toBe(0)
  })
})
