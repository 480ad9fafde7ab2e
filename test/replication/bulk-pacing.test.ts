import { describe, expect, it } from 'vitest'
import type { Network, PeerId } from '../../src/ports/network.ts'
import { siteDocId } from '../../src/store/document-store.ts'
import { manualClock, manualFabric, type ManualClock } from '../support/manual-network.ts'
import { replicaFederation, type Fixture, type ReplicaNode } from './replication-fixture.ts'

const MAX_FRAME = 16 * 1024

/**
 * A transport like the libp2p adapter's: a bounded queue per peer (two full frames) that
 * drops what does not fit, written out one frame per `frameMs` of the manual clock.
 * `withBacklog: false` hides the queue from the sender.
 */
function boundedTransport (clock: ManualClock, withBacklog: boolean, frameMs: number) {
  const stats = { dropped: 0 }
  const wrap = (net: Network): Network => {
    const queues = new Map<PeerId, Uint8Array[]>()
    const bytes = (peer: PeerId): number => (queues.get(peer) ?? []).reduce((s, f) => s + f.byteLength, 0)
    const drain = (peer: PeerId): void => {
      const q = queues.get(peer)
      const frame = q?.shift()
      if (frame === undefined) return
      net.send(peer, frame)
      if (q!.length > 0) clock.setTimer(frameMs, () => { drain(peer) })
    }
    const wrapped: Network = {
      ...net,
      send (peer, payload) {
        if (bytes(peer) + payload.byteLength > 2 * MAX_FRAME) { stats.dropped++; return }
        let q = queues.get(peer)
        if (q === undefined) queues.set(peer, q = [])
        q.push(payload)
        if (q.length === 1) clock.setTimer(frameMs, () => { drain(peer) })
      }
    }
    if (withBacklog) wrapped.backlog = bytes
    return wrapped
  }
  return { stats, wrap }
}

async function joinHub (withBacklog: boolean, link: { frameMs: number, sessionTimeoutMs?: number } = { frameMs: 1 }): Promise<{ f: Fixture, hub: ReplicaNode, fresh: ReplicaNode, dropped: number, writers: ReplicaNode[] }> {
  const clock = manualClock(); const fabric = manualFabric()
  const transport = boundedTransport(clock, withBacklog, link.frameMs)
  const f = await replicaFederation(['a', 'b', 'c', 'hub', 'new'], clock, fabric, {
    maxFrameBytes: MAX_FRAME,
    ...(link.sessionTimeoutMs === undefined ? {} : { replicator: { sessionTimeoutMs: link.sessionTimeoutMs } }),
    network: (name, net) => name === 'hub' ? transport.wrap(net) : net
  })
  const [a, b, c, hub, fresh] = f.nodes as [ReplicaNode, ReplicaNode, ReplicaNode, ReplicaNode, ReplicaNode]
  const writers = [a, b, c]
  for (const w of writers) await f.write(w, 150, `w-${w.site.id}-`)
  // The hub gathers the three documents; the new site then meets the hub alone.
  for (const w of writers) fabric.connect(w.peer, hub.peer)
  for (let i = 0; i < 400 && !writers.every((w) => f.headsEqual(w, w, hub)); i++) { await clock.advance(5); await f.settle(false) }
  const before = transport.stats.dropped
  fabric.connect(hub.peer, fresh.peer)
  // Without pacing the join would finish only after session time-outs: stop at the first drop.
  const done = (): boolean => withBacklog ? writers.every((w) => f.headsEqual(w, hub, fresh)) : transport.stats.dropped > before
  for (let i = 0; i < 2000 && !done(); i++) { await clock.advance(5); await f.settle(false) }
  return { f, hub, fresh, dropped: transport.stats.dropped - before, writers }
}

describe('bulk frames and a bounded transport queue', () => {
  it('serves several whole documents at once to a new site without losing a frame or waiting for a time-out', async () => {
    const { f, hub, fresh, dropped, writers } = await joinHub(true)
    for (const w of writers) expect(f.headsEqual(w, hub, fresh)).toBe(true)
    expect(dropped).toBe(0)
    expect(fresh.replicator.stats().sessions.timedOut).toBe(0)
    expect(fresh.store.log(siteDocId(writers[0]!.site.id))?.size()).toBeGreaterThanOrEqual(150)
  })

  it('keeps the sessions whose documents wait behind others on a slow link, as the peer is not silent', async () => {
    // Each document takes several frames of 20 ms; the last one's reply starts long after
    // a 60 ms session time-out would have run out.
    const { f, hub, fresh, dropped, writers } = await joinHub(true, { frameMs: 20, sessionTimeoutMs: 60 })
    for (const w of writers) expect(f.headsEqual(w, hub, fresh)).toBe(true)
    expect(dropped).toBe(0)
    expect(fresh.replicator.stats().sessions.timedOut).toBe(0)
  })

  it('is a real test: the same join overflows the queue when the sender cannot see it', async () => {
    const { dropped } = await joinHub(false)
    expect(dropped).toBeGreaterThan(0)
  })
})
