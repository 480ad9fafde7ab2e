import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { FEDERATION_DOC_ID, siteDocId } from '../../src/store/document-store.ts'
import { signChange, type SignedChange } from '../../src/store/log/envelope.ts'
import { buildBloom } from '../../src/replication/bloom.ts'
import { encodeDirect } from '../../src/replication/messages.ts'
import { manualClock, manualFabric, type ManualClock, type ManualFabric } from '../support/manual-network.ts'
import { replicaFederation, type Fixture, type ReplicaNode } from './replication-fixture.ts'

/**
 * Changes sent to this site as the responder of a sync session are not rate-limited like
 * pushes (an initiator that holds more hands it over through them), so they are held to
 * the session: one the peer opened, no more changes than its filter declared, and none
 * this site's filter told it we hold.
 */

type Doc = Record<string, unknown>

interface Attack {
  f: Fixture
  clock: ManualClock
  fabric: ManualFabric
  honest: ReplicaNode
  byz: ReplicaNode
  /** `count` valid new changes to byz's own document, none of which anyone holds. */
  fresh: (count: number) => SignedChange[]
  /** A raw frame from byz to the honest site. */
  send: (bytes: Uint8Array) => void
  /** Opens a responder session at the honest site whose filter declares `declared` changes. */
  open: (session: number, declared: number) => void
  toResponder: (session: number, changes: SignedChange[], more?: boolean) => Uint8Array
  kinds: () => string[]
}

async function attack (changesPerSecond = 20): Promise<Attack> {
  const clock = manualClock(); const fabric = manualFabric()
  const f = await replicaFederation(['eu', 'byz'], clock, fabric, { changesPerSecond })
  const [honest, byz] = f.nodes as [ReplicaNode, ReplicaNode]
  fabric.connect(honest.peer, byz.peer)
  await f.settle()
  const doc = siteDocId(byz.site.id)
  let d = A.init<Doc>({ actor: byz.store.actor })
  let n = 0
  const send = (bytes: Uint8Array): void => { fabric.rawSend(byz.peer, honest.peer, bytes) }
  return {
    f, clock, fabric, honest, byz, send,
    fresh (count) {
      const out: SignedChange[] = []
      for (let i = 0; i < count; i++, n++) {
        d = A.change(d, { time: 0 }, (x) => { x[`k${n}`] = n })
        out.push(signChange(byz.site.signer, doc, A.getLastLocalChange(d)!))
      }
      return out
    },
    open (session, declared) {
      send(encodeDirect({ type: 'sync-open', session, docId: doc, heads: [], since: [], bloom: buildBloom([], declared, 7) }))
    },
    toResponder: (session, changes, more = false) => encodeDirect({ type: 'changes', session, docId: doc, changes, more, toResponder: true }),
    kinds: () => honest.misbehaviour.filter((m) => m.peer === byz.peer).map((m) => m.kind)
  }
}

describe('changes sent to a responder', () => {
  it('refuses changes for a session the peer never opened and records a flood', async () => {
    const a = await attack()
    a.send(a.toResponder(41, a.fresh(30)))
    await a.f.settle(false)
    expect(a.honest.store.log(siteDocId('byz'))?.size() ?? 0).toBe(0)
    expect(a.kinds()).toEqual(['flood'])
    expect(a.honest.misbehaviour[0]!.detail).toMatch(/not open at this site/)
  })

  it('does not let a peer bypass the changes-per-second limit through a session it opened itself', async () => {
    // 20 unsolicited changes a second (bursts of 40); the peer declares 10 in its filter.
    const a = await attack(20)
    a.open(42, 10)
    await a.f.settle(false)
    const changes = a.fresh(210)
    a.send(a.toResponder(42, changes.slice(0, 10), true))
    for (let i = 1; i < 21; i++) a.send(a.toResponder(42, changes.slice(i * 10, i * 10 + 10), true))
    await a.f.settle(false)
    // The declared ten are taken; the session is then closed and the other 200 refused.
    expect(a.honest.store.log(siteDocId('byz'))?.size()).toBe(10)
    expect(a.kinds()).toContain('flood')
    expect(a.honest.misbehaviour.find((m) => m.kind === 'flood')!.detail).toMatch(/than the 10 its filter declared/)
    expect(a.honest.replicator.stats().sessions.open).toBe(0)
  })

  it('refuses changes beyond a filter that declared none', async () => {
    const a = await attack(5000)
    a.open(43, 0)
    await a.f.settle(false)
    a.send(a.toResponder(43, a.fresh(100)))
    await a.f.settle(false)
    expect(a.honest.store.log(siteDocId('byz'))?.size() ?? 0).toBe(0)
    expect(a.kinds()).toEqual(['flood'])
  })

  it('counts changes its filter said it held, and does, against the replay budget, and then refuses the peer\'s session changes unread', async () => {
    const a = await attack(5000)
    await a.f.write(a.byz, 10, 'r')
    await a.f.settle()
    await a.clock.advance(100)
    await a.f.settle()
    const doc = siteDocId(a.byz.site.id)
    expect(a.honest.store.heads(doc)).toEqual(a.byz.store.heads(doc))
    const held = a.byz.store.signedChanges(doc, [...a.byz.store.log(doc)!.hashes()])
    const before = a.honest.replicator.stats().duplicates
    // A filter declaring room for them all; the ten go back again and again in one session.
    a.open(44, 1000)
    await a.f.settle(false)
    for (let i = 0; i < 8; i++) a.send(a.toResponder(44, held, true))
    await a.f.settle(false)
    // The replays are recorded; the frames after the refusal, in a session no longer open, as a flood.
    expect(a.kinds()).toEqual(['replay', 'flood'])
    expect(a.honest.misbehaviour[0]!.detail).toMatch(/filter said it held/)
    // Past the budget (40 at once) the rest is refused before any lookup.
    const looked = a.honest.replicator.stats().duplicates - before
    expect(looked).toBeGreaterThan(40)
    expect(looked).toBeLessThan(80)
    expect(a.honest.replicator.stats().sessions.open).toBe(0)
  })

  it('takes a late frame of a session that timed out as a push, without evidence', async () => {
    const a = await attack(20)
    a.open(45, 10)
    await a.f.settle(false)
    await a.clock.advance(11_000) // past the responder's session time-out
    a.send(a.toResponder(45, a.fresh(5)))
    await a.f.settle(false)
    expect(a.honest.store.log(siteDocId('byz'))?.size()).toBe(5)
    expect(a.kinds()).toEqual([])
  })

  it('still lets two sites that each gained 300 changes of one document while apart hand them over in one reconciliation, far above the push rate', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    // 20 pushed changes a second (bursts of 40); each side has 300 the other lacks.
    const f = await replicaFederation(['eu', 'ap'], clock, fabric, { changesPerSecond: 20 })
    const [a, b] = f.nodes as [ReplicaNode, ReplicaNode]
    fabric.connect(a.peer, b.peer)
    await f.settle()
    fabric.cut(a.peer, b.peer)
    await f.settle()
    for (const [n, tag] of [[a, 'a'], [b, 'b']] as const) {
      for (let i = 0; i < 300; i++) await n.store.change<Doc>(FEDERATION_DOC_ID, (d) => { d[`${tag}${i}`] = i })
    }
    fabric.connect(a.peer, b.peer)
    await f.settle()
    expect(a.store.heads(FEDERATION_DOC_ID)).toEqual(b.store.heads(FEDERATION_DOC_ID))
    expect(a.store.log(FEDERATION_DOC_ID)!.size()).toBe(600)
    // The initiator's 300 went to the responder in its session, not as pushes.
    const handedOver = [...a.sent, ...b.sent].filter((s) => s.frame.type === 'changes' && s.frame.toResponder)
      .reduce((n, s) => n + (s.frame.type === 'changes' ? s.frame.changes.length : 0), 0)
    expect(handedOver).toBe(300)
    expect(a.misbehaviour).toEqual([])
    expect(b.misbehaviour).toEqual([])
  })
})
