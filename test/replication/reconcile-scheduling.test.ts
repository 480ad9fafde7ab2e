import { describe, expect, it } from 'vitest'
import type { Network, NetworkHandlers, PeerId } from '../../src/ports/network.ts'
import type { DocumentStore } from '../../src/store/document-store.ts'
import { siteDocId } from '../../src/store/document-store.ts'
import { buildBloom } from '../../src/replication/bloom.ts'
import { decodeDirect, encodeDirect } from '../../src/replication/messages.ts'
import { manualClock, manualFabric } from '../support/manual-network.ts'
import { replicaFederation, type Fixture, type ReplicaNode } from './replication-fixture.ts'

const sessionsOpened = (n: ReplicaNode, peer?: PeerId): number => n.sent.filter((s) => s.frame.type === 'sync-open' && (peer === undefined || s.to === peer)).length

describe('reconciliation scheduling', () => {
  it('lets the side that is behind pull, instead of the side that is ahead pushing', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const f = await replicaFederation(['eu', 'ap'], clock, fabric)
    const [ahead, behind] = f.nodes as [ReplicaNode, ReplicaNode]
    await f.write(ahead, 50, 'w')
    fabric.connect(ahead.peer, behind.peer)
    await f.settle()
    expect(f.headsEqual(ahead, ahead, behind)).toBe(true)
    expect(sessionsOpened(ahead)).toBe(0)
    expect(sessionsOpened(behind)).toBe(1)
  })

  it('answers the digest of a peer that is behind with its own, unless that peer has it already', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const f = await replicaFederation(['eu', 'ap'], clock, fabric)
    const [ahead, behind] = f.nodes as [ReplicaNode, ReplicaNode]
    fabric.connect(ahead.peer, behind.peer)
    await f.write(ahead, 5, 'w')
    await f.settle()
    const replies = (): number => ahead.sent.filter((s) => s.frame.type === 'digest-reply').length
    // Both sent their digests on connect, so nothing needed answering.
    expect(replies()).toBe(0)
    // A digest showing the peer behind the state we last told it about is answered, once per state.
    const stale = encodeDirect({ type: 'digest', docs: [{ docId: siteDocId(ahead.site.id), digest: '00'.repeat(16), count: 1 }] })
    await f.write(ahead, 1, 'more')
    fabric.rawSend(behind.peer, ahead.peer, stale)
    fabric.rawSend(behind.peer, ahead.peer, stale)
    await f.settle()
    expect(replies()).toBe(1)
  })

  it('brings a new site each change once, however many peers hold the document', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const f = await replicaFederation(['eu', 'ap', 'us', 'sa', 'new'], clock, fabric)
    const [writer, b, c, d, fresh] = f.nodes as [ReplicaNode, ReplicaNode, ReplicaNode, ReplicaNode, ReplicaNode]
    for (const x of [b, c, d]) fabric.connect(writer.peer, x.peer)
    fabric.connect(b.peer, c.peer); fabric.connect(b.peer, d.peer); fabric.connect(c.peer, d.peer)
    await f.write(writer, 200, 'w')
    await f.settle()
    for (const x of [b, c, d]) expect(f.headsEqual(writer, writer, x)).toBe(true)
    for (const x of [writer, b, c, d]) fabric.connect(x.peer, fresh.peer)
    await f.settle()
    expect(f.headsEqual(writer, writer, fresh)).toBe(true)
    const stats = fresh.replicator.stats()
    expect(stats.accepted).toBe(200)
    expect(stats.duplicates).toBeLessThan(20)
    // The others' digests were answered, not each turned into a full transfer.
    expect(sessionsOpened(writer, fresh.peer) + sessionsOpened(b, fresh.peer) + sessionsOpened(c, fresh.peer) + sessionsOpened(d, fresh.peer)).toBe(0)
  })

  it('resumes an interrupted bootstrap from what the new site already holds, and reports its progress', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const f = await replicaFederation(['eu', 'ap'], clock, fabric)
    const [writer, fresh] = f.nodes as [ReplicaNode, ReplicaNode]
    await f.write(writer, 200, 'w')
    // The first half arrived before the new site went down (it is on its disk).
    const log = writer.store.log(siteDocId(writer.site.id))!
    const firstHalf = log.addedSince([]).slice(0, 100).map((e) => e.env)
    await fresh.store.ingest(firstHalf)
    fabric.connect(writer.peer, fresh.peer)
    await fabric.settle()
    const during = fresh.replicator.progress()
    expect(during.changes.total).toBeGreaterThanOrEqual(200)
    await f.settle()
    expect(f.headsEqual(writer, writer, fresh)).toBe(true)
    const stats = fresh.replicator.stats()
    expect(stats.accepted).toBe(100)
    expect(stats.duplicates).toBeLessThan(10)
    const done = fresh.replicator.progress()
    expect(done.changes.have).toBe(done.changes.total)
    expect(done.documents.have).toBe(done.documents.total)
  })

  it('does not let a peer that never answers keep a site from an honest peer that holds the document', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const f = await replicaFederation(['eu', 'ap', 'byz'], clock, fabric, {
      replicator: { sessionTimeoutMs: 2000 },
      // The withholding peer claims far more than anyone has, and swallows every request.
      network: (name, net) => name !== 'byz' ? net : silent(net)
    })
    const [honest, fresh, byz] = f.nodes as [ReplicaNode, ReplicaNode, ReplicaNode]
    await f.write(honest, 30, 'w')
    fabric.connect(byz.peer, fresh.peer)
    await f.settle(false)
    fabric.rawSend(byz.peer, fresh.peer, encodeDirect({ type: 'digest', docs: [{ docId: siteDocId(honest.site.id), digest: 'ff'.repeat(16), count: 1_000_000 }] }))
    await f.settle(false)
    fabric.connect(honest.peer, fresh.peer)
    await f.settle(false)
    // The honest peer waits behind the silent one's session, then gets its turn: once the
    // silent peer let its answer wait pass (1 s, the floor, before any answer was timed),
    // not the whole 2 s time-out.
    expect(fresh.replicator.stats().sessions.waiting).toBe(1)
    expect(f.headsEqual(honest, honest, fresh)).toBe(false)
    await clock.advance(1100)
    await f.settle(false)
    expect(f.headsEqual(honest, honest, fresh)).toBe(true)
    expect(fresh.replicator.stats().sessions.timedOut).toBe(1)
  })

  it('sends anti-entropy digests to a bounded rotation of peers, and every peer in turn', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']
    const f = await replicaFederation(names, clock, fabric, { replicator: { antiEntropyMs: 1000, antiEntropyFanout: 2 } })
    for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) fabric.connect(f.nodes[i]!.peer, f.nodes[j]!.peer)
    await f.settle()
    const watched = f.nodes[0]!
    const digestsTo = (from: number): PeerId[] => watched.sent.slice(from).filter((s) => s.frame.type === 'digest').map((s) => s.to)
    // A change before each period, so no peer is settled (see the next tests) and every
    // round has all of them to choose from.
    let w = 0
    const period = async (): Promise<void> => { await f.write(watched, 1, `w${w++}`); await f.settle(); await clock.advance(1250); await f.settle() }
    const mark = watched.sent.length
    await period() // one period (±20 %)
    expect(digestsTo(mark)).toHaveLength(2)
    for (let i = 0; i < 5; i++) await period()
    expect(new Set(digestsTo(mark)).size).toBe(names.length - 1)
  })

  it('exchanges nothing but digests when nothing changed', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const f = await replicaFederation(['eu', 'ap', 'us'], clock, fabric, { replicator: { antiEntropyMs: 1000 } })
    for (const x of f.nodes) await f.write(x, 3, x.site.id)
    fabric.connect(f.nodes[0]!.peer, f.nodes[1]!.peer); fabric.connect(f.nodes[1]!.peer, f.nodes[2]!.peer); fabric.connect(f.nodes[0]!.peer, f.nodes[2]!.peer)
    await f.settle()
    const before = f.nodes.map((n) => n.sent.length)
    for (let i = 0; i < 20; i++) { await clock.advance(500); await f.settle() }
    const types = new Set(f.nodes.flatMap((n, i) => n.sent.slice(before[i]).map((s) => s.frame.type)))
    expect([...types]).toEqual(['digest'])
  })

  it('passes a settled peer by in anti-entropy, exchanging digests once per six periods, and again at once after a change', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const f = await replicaFederation(['eu', 'ap'], clock, fabric, { replicator: { antiEntropyMs: 1000 } })
    const [a, b] = f.nodes as [ReplicaNode, ReplicaNode]
    await f.write(a, 2, 'a')
    fabric.connect(a.peer, b.peer)
    await f.settle()
    // Let the pair settle: both sides hold the same documents and have sent their digests.
    for (let i = 0; i < 4; i++) { await clock.advance(1250); await f.settle() }
    const digestsFrom = (n: ReplicaNode, from: number): number => n.sent.slice(from).filter((s) => s.frame.type === 'digest').length
    const mark = a.sent.length
    for (let i = 0; i < 12; i++) { await clock.advance(1000); await f.settle() }
    // Twelve periods of nothing: at most one forced exchange per six periods, not twelve.
    expect(digestsFrom(a, mark)).toBeGreaterThanOrEqual(1)
    expect(digestsFrom(a, mark)).toBeLessThanOrEqual(3)
    const afterQuiet = a.sent.length
    await f.write(b, 1, 'b-later')
    for (let i = 0; i < 2; i++) { await clock.advance(1250); await f.settle() }
    expect(f.headsEqual(a, a, b)).toBe(true)
    expect(a.sent.length).toBeGreaterThan(afterQuiet)
  })

  it('takes a late answer to a session it gave up on as an answer, not as a flood', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    let hold = true
    const held: Array<() => void> = []
    const f = await replicaFederation(['eu', 'ap'], clock, fabric, {
      changesPerSecond: 10,
      replicator: { sessionTimeoutMs: 1000 },
      // The writer's replies to the fresh site are held back past the session time-out.
      network: (name, net) => name !== 'eu' ? net : interceptSends(net, (payload, pass) => {
        if (hold && decodeDirect(payload).type === 'sync-reply') held.push(pass)
        else pass()
      })
    })
    const [writer, fresh] = f.nodes as [ReplicaNode, ReplicaNode]
    await f.write(writer, 100, 'w')
    fabric.connect(writer.peer, fresh.peer)
    await f.settle(false)
    expect(held).toHaveLength(1)
    await clock.advance(1500)
    await f.settle(false)
    expect(fresh.replicator.stats().sessions.timedOut).toBe(1)
    hold = false
    for (const release of held.splice(0)) release()
    for (let i = 0; i < 50 && !f.headsEqual(writer, writer, fresh); i++) await f.settle(false)
    expect(f.headsEqual(writer, writer, fresh)).toBe(true)
    expect(fresh.misbehaviour).toEqual([])
  })

  it('opens a session again at once when the peer answers a later one first (its open was lost)', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    let dropped = 0
    const f = await replicaFederation(['eu', 'ap', 'us'], clock, fabric, {
      // The fresh site's first sync-open is lost on the way; the rest arrive.
      network: (name, net) => name !== 'us' ? net : interceptSends(net, (payload, pass) => {
        if (dropped === 0 && decodeDirect(payload).type === 'sync-open') dropped++
        else pass()
      })
    })
    const [a, b, fresh] = await freshJoinsTwoWriters(f, fabric)
    // No clock advance: the session time-out (10 s) never fires here.
    await f.settle()
    expect(dropped).toBe(1)
    expectCaughtUpAfterOneLostRequest(f, [a, b], fresh)
  })

  it('opens a session again at once when the peer answers a later request first (the answer to its need was lost)', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    let stripped = 0
    let dropped = 0
    const f = await replicaFederation(['eu', 'ap', 'us'], clock, fabric, {
      // Answer waits as long as the time-out: only overtaking tells a request was lost here.
      replicator: { minAnswerWaitMs: 10_000 },
      // eu's first reply on its own document carries no changes, so the fresh site asks
      // for them with a need; the answer to that need is lost on the way.
      network: (name, net) => name !== 'eu' ? net : interceptSends(net, (payload, pass, to) => {
        const frame = decodeDirect(payload)
        const toFresh = to === f.nodes[2]!.peer
        if (toFresh && frame.type === 'sync-reply' && frame.docId === siteDocId('eu') && stripped === 0) {
          stripped++
          net.send(to, encodeDirect({ ...frame, changes: [] }))
        } else if (toFresh && frame.type === 'changes' && frame.session !== 0 && !frame.toResponder && frame.docId === siteDocId('eu') && dropped === 0) {
          dropped++
        } else pass()
      })
    })
    const [a, b, fresh] = await freshJoinsTwoWriters(f, fabric)
    await f.settle()
    expect([stripped, dropped]).toEqual([1, 1])
    expect(f.headsEqual(a, a, fresh)).toBe(false)
    await f.write(b, 5, 'b2')
    await f.settle(false)
    // The next anti-entropy round (5 s, before the 10 s session time-out) finds ap's
    // document behind and opens a session on it with eu, whose reply overtakes the lost answer.
    await clock.advance(6_000)
    await f.settle()
    expectCaughtUpAfterOneLostRequest(f, [a, b], fresh)
  })

  it('asks the peer again once its answer wait passes in silence, long before the session time-out (the reply was lost)', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    let dropped = 0
    const f = await replicaFederation(['eu', 'us'], clock, fabric, {
      // The writer's first sync-reply to the fresh site is lost; nothing else is.
      network: (name, net) => name !== 'eu' ? net : interceptSends(net, (payload, pass) => {
        if (dropped === 0 && decodeDirect(payload).type === 'sync-reply') dropped++
        else pass()
      })
    })
    const [writer, fresh] = f.nodes as [ReplicaNode, ReplicaNode]
    await f.write(writer, 10, 'w')
    fabric.connect(writer.peer, fresh.peer)
    await f.settle(false)
    expect(dropped).toBe(1)
    expect(f.headsEqual(writer, writer, fresh)).toBe(false)
    // No answer was ever timed from this peer: the wait is a quarter of the 10 s time-out.
    await clock.advance(2_600)
    await f.settle()
    expect(f.headsEqual(writer, writer, fresh)).toBe(true)
    expect(fresh.replicator.stats().sessions.timedOut).toBe(1)
    expect(fresh.misbehaviour).toEqual([])
    expect(writer.misbehaviour).toEqual([])
  })

  it('gives a peer it asked again the whole time-out, so a slow peer is not asked a third time', async () => {
    const clock = manualClock()
    const { f, fresh, opens } = await freshSiteWhoseOpensAreLost(clock, 5)
    const first = opens()
    expect(first).toBeGreaterThan(0)
    await clock.advance(2_600)
    await f.settle(false)
    expect(opens()).toBe(2 * first)
    expect(fresh.replicator.stats().sessions.timedOut).toBe(first)
    // The second asks wait the whole 10 s time-out: nothing is asked a third time before.
    await clock.advance(9_400)
    await f.settle(false)
    expect(opens()).toBe(2 * first)
    expect(fresh.replicator.stats().sessions.timedOut).toBe(first)
    await clock.advance(1_000)
    await f.settle(false)
    expect(fresh.replicator.stats().sessions.timedOut).toBe(2 * first)
  })

  it('ends a session opened again that a later answer overtakes once more, instead of letting the peer\'s other answers keep it alive', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    let lost = 0
    const f = await replicaFederation(['eu', 'ap', 'us'], clock, fabric, {
      // Answer waits as long as the time-out: only overtaking tells a request was lost here.
      replicator: { minAnswerWaitMs: 10_000 },
      // Every sync-open of the fresh site on eu's document is lost.
      network: (name, net) => name !== 'us' ? net : interceptSends(net, (payload, pass) => {
        const frame = decodeDirect(payload)
        if (frame.type === 'sync-open' && frame.docId === siteDocId('eu')) lost++
        else pass()
      })
    })
    const [a, b, fresh] = f.nodes as [ReplicaNode, ReplicaNode, ReplicaNode]
    fabric.connect(a.peer, b.peer)
    await f.write(a, 5, 'a')
    await f.settle()
    fabric.connect(a.peer, fresh.peer)
    await f.settle(false)
    // Each round ap writes, and the fresh site's next session on ap's document (through
    // eu, at the next anti-entropy round) is answered while the one on eu's awaits.
    for (let round = 0; round < 3; round++) {
      await f.write(b, 2, `b${round}`)
      await f.settle(false)
      await clock.advance(6_000)
      await f.settle(false)
      expect(f.headsEqual(b, a, fresh)).toBe(true)
    }
    expect(lost).toBeGreaterThanOrEqual(2)
    // Opened, overtaken and opened again, overtaken again and ended: not one session alive
    // on eu's document for the whole 18 s, kept so by eu's answers on ap's.
    expect(fresh.replicator.stats().sessions.timedOut).toBeGreaterThanOrEqual(2)
    expect(fresh.misbehaviour).toEqual([])
  })

  it('serves an open that arrives twice in the one responder slot it holds', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const f = await replicaFederation(['eu', 'us'], clock, fabric, {
      maxConcurrentStreams: 4,
      // Every sync-open of the fresh site arrives twice.
      network: (name, net) => name !== 'us' ? net : interceptSends(net, (payload, pass) => {
        pass()
        if (decodeDirect(payload).type === 'sync-open') pass()
      })
    })
    const [writer, fresh] = f.nodes as [ReplicaNode, ReplicaNode]
    for (let round = 0; round < 4; round++) {
      await f.write(writer, 3, `w${round}`)
      fabric.connect(writer.peer, fresh.peer)
      await f.settle()
      expect(f.headsEqual(writer, writer, fresh)).toBe(true)
      fabric.cut(writer.peer, fresh.peer)
      await f.settle(false)
    }
    expect(writer.misbehaviour).toEqual([])
  })

  it('re-opens nothing on a reply to a session it never opened, however often it comes', async () => {
    const { f, fabric, writer, fresh, opens } = await freshSiteWhoseOpensAreLost(manualClock(), 10)
    const before = opens()
    expect(before).toBeGreaterThan(0)
    // A replayed or forged reply naming a later session says nothing about the lost opens.
    const forged = encodeDirect({ type: 'sync-reply', session: 9_999, docId: siteDocId(writer.site.id), heads: [], sinceKnown: false, bloom: buildBloom([], 0, 1), changes: [], more: false })
    for (let i = 0; i < 20; i++) fabric.rawSend(writer.peer, fresh.peer, forged)
    await f.settle(false)
    expect(opens()).toBe(before)
  })

  it('does not give up on a session while its changes are still being ingested', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    let gate: Promise<void> | undefined
    let open: (() => void) | undefined
    const f = await replicaFederation(['eu', 'ap'], clock, fabric, {
      replicator: { sessionTimeoutMs: 1000 },
      // The fresh site's store is slow: its first ingest waits until the test opens the gate.
      store: (name, store) => name !== 'ap' ? store : slowIngest(store, () => gate)
    })
    const [writer, fresh] = f.nodes as [ReplicaNode, ReplicaNode]
    await f.write(writer, 50, 'w')
    gate = new Promise((resolve) => { open = resolve })
    fabric.connect(writer.peer, fresh.peer)
    await fabric.settle()
    await new Promise((resolve) => setTimeout(resolve, 20))
    await clock.advance(5000)
    gate = undefined
    open!()
    await f.settle()
    expect(f.headsEqual(writer, writer, fresh)).toBe(true)
    expect(fresh.replicator.stats().sessions.timedOut).toBe(0)
    expect(fresh.replicator.stats().duplicates).toBe(0)
  })
})

/** eu and ap connected, each with 20 changes of its own, then the fresh site us connected to eu. */
/** The fresh site holds both writers' documents, one session of its ended by time-out and nobody blamed. */
function expectCaughtUpAfterOneLostRequest (f: Fixture, writers: readonly ReplicaNode[], fresh: ReplicaNode): void {
  for (const w of writers) expect(f.headsEqual(w, writers[0]!, fresh)).toBe(true)
  expect(fresh.replicator.stats().sessions.timedOut).toBe(1)
  expect(fresh.misbehaviour).toEqual([])
}

async function freshJoinsTwoWriters (f: Fixture, fabric: ReturnType<typeof manualFabric>): Promise<[ReplicaNode, ReplicaNode, ReplicaNode]> {
  const [a, b, fresh] = f.nodes as [ReplicaNode, ReplicaNode, ReplicaNode]
  fabric.connect(a.peer, b.peer)
  await f.write(a, 20, 'a')
  await f.write(b, 20, 'b')
  await f.settle()
  fabric.connect(a.peer, fresh.peer)
  return [a, b, fresh]
}

/**
 * A writer holding `changes` changes, and a fresh site just connected to it whose every
 * sync-open is lost, so its sessions await replies that never come. `opens` counts them.
 */
async function freshSiteWhoseOpensAreLost (clock: ReturnType<typeof manualClock>, changes: number) {
  const fabric = manualFabric()
  let opens = 0
  const f = await replicaFederation(['eu', 'us'], clock, fabric, {
    network: (name, net) => name !== 'us' ? net : interceptSends(net, (payload, pass) => {
      if (decodeDirect(payload).type === 'sync-open') opens++
      else pass()
    })
  })
  const [writer, fresh] = f.nodes as [ReplicaNode, ReplicaNode]
  await f.write(writer, changes, 'w')
  fabric.connect(writer.peer, fresh.peer)
  await f.settle(false)
  return { f, fabric, writer, fresh, opens: () => opens }
}

/** The network with every direct frame it sends handed to `send`, which passes it on, holds it or drops it. */
function interceptSends (net: Network, send: (payload: Uint8Array, pass: () => void, to: PeerId) => void): Network {
  return {
    ...net,
    handle: (h: NetworkHandlers) => net.handle(h),
    connectedPeers: () => net.connectedPeers(),
    traffic: () => net.traffic(),
    disconnect: (p, r, ms) => { net.disconnect(p, r, ms) },
    broadcast: (b) => { net.broadcast(b) },
    send (to, payload) { send(payload, () => { net.send(to, payload) }, to) }
  }
}

/** A network that takes everything and answers nothing. */
function silent (net: Network): Network {
  return {
    ...net,
    handle: (h: NetworkHandlers) => net.handle({ ...h, onMessage () {} }),
    send () {},
    broadcast () {},
    connectedPeers: () => net.connectedPeers(),
    disconnect: (p, r, ms) => { net.disconnect(p, r, ms) },
    traffic: () => net.traffic()
  }
}

function slowIngest (store: DocumentStore, gate: () => Promise<void> | undefined): DocumentStore {
  return new Proxy(store, {
    get (target, prop, receiver) {
      if (prop !== 'ingest') return Reflect.get(target, prop, receiver) as unknown
      return async (envs: Parameters<DocumentStore['ingest']>[0]) => {
        const g = gate()
        if (g !== undefined) await g
        return await target.ingest(envs)
      }
    }
  })
}
