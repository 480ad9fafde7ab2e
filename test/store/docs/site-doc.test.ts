import * as Automerge from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { isFlotillaError } from '../../../src/model/errors.ts'
import type { EvidenceRecord } from '../../../src/model/federation.ts'
import { getSiteInfo, initSiteDoc, putSiteInfo, type SiteDoc } from '../../../src/store/docs/site-doc.ts'
import { SITE_SCHEMA_VERSION } from '../../../src/store/docs/schema.ts'
import { deleteCluster, getCluster, listClusters, putCluster } from '../../../src/store/docs/site-clusters.ts'
import { deleteStub, deleteWorkload, getStub, getWorkload, listStubs, listWorkloads, putStub, putWorkload } from '../../../src/store/docs/site-workloads.ts'
import { deletePolicy, getPolicy, listPolicies, putPolicy } from '../../../src/store/docs/site-policies.ts'
import {
  deleteBinding, deleteShare, getBinding, getShare, listBindings, listShares, putBinding, putShare, sameDecision
} from '../../../src/store/docs/site-placement.ts'
import { getInspectionHistory, INSPECTION_HISTORY, listInspections, recordInspection } from '../../../src/store/docs/site-inspections.ts'
import { EVIDENCE_LIMIT, listEvidence, recordEvidence } from '../../../src/store/docs/site-evidence.ts'
import { appendEvent, EVENT_RING, listEvents } from '../../../src/store/docs/site-events.ts'
import { binding, cluster, edit, newSiteDoc, policy, resources, share, siteInfo, workload } from './fixtures.ts'

const S = 'eu-west'

function expectCode (fn: () => unknown, code: string): void {
  try {
    fn()
  } catch (e) {
    expect(isFlotillaError(e) ? e.code : e).toBe(code)
    return
  }
  expect.fail(`expected error ${code}`)
}

/** Runs `fn` in a change and returns the new doc, whether `fn` said it changed, and the ops it made. */
function change (doc: Automerge.Doc<SiteDoc>, fn: (d: SiteDoc) => boolean): { doc: Automerge.Doc<SiteDoc>, changed: boolean, ops: number } {
  let changed = false
  const base = Automerge.clone(doc) // a branch, so the same doc can be changed in several ways
  const next = edit(base, (d) => { changed = fn(d) })
  const c = Automerge.getChanges(doc, next)
  const ops = c.reduce((n, ch) => n + Automerge.decodeChange(ch).ops.length, 0)
  return { doc: next, changed, ops }
}

describe('site document', () => {
  it('initialises its layout and round-trips the site info', () => {
    const doc = newSiteDoc(S)
    expect(getSiteInfo(doc)).toEqual(siteInfo(S))
    expect(doc.schema).toBe(SITE_SCHEMA_VERSION)
    const again = change(doc, (d) => initSiteDoc(d, siteInfo(S)))
    expect(again.changed).toBe(false)
    expect(again.ops).toBe(0)
    const moved = change(doc, (d) => putSiteInfo(d, { ...siteInfo(S), zone: 'eu-west-b' }))
    expect(moved.changed).toBe(true)
    expect(moved.ops).toBe(1)
    expect(getSiteInfo(moved.doc)?.zone).toBe('eu-west-b')
  })

  it('refuses to become another site\'s document', () => {
    expectCode(() => edit(newSiteDoc(S), (d) => { putSiteInfo(d, siteInfo('ap-east')) }), 'origin-mismatch')
  })

  it('refuses writes to an uninitialised document', () => {
    expectCode(() => Automerge.change(Automerge.init<SiteDoc>(), (d) => { putWorkload(d, workload(S, 'web')) }), 'input-invalid')
  })

  it('refuses to read or write a document of a future schema version', () => {
    const future = edit(newSiteDoc(S), (d) => { d.schema = SITE_SCHEMA_VERSION + 1 })
    expectCode(() => getSiteInfo(future), 'unsupported-version')
    expectCode(() => listWorkloads(future), 'unsupported-version')
    expectCode(() => edit(future, (d) => { putWorkload(d, workload(S, 'web')) }), 'unsupported-version')
  })

  it('round-trips clusters; an unchanged status tick writes nothing and a changed field writes one op', () => {
    let doc = newSiteDoc(S)
    const c1 = cluster(S, 'c1')
    const c2 = cluster(S, 'c2', { health: 'NotReady', labels: { gpu: 'a100' } })
    doc = edit(doc, (d) => { putCluster(d, c1); putCluster(d, c2) })
    expect(getCluster(doc, 'c1')).toEqual(c1)
    expect(listClusters(doc)).toEqual([c1, c2])
    expect(getCluster(doc, 'constructor')).toBeUndefined()
    const same = change(doc, (d) => putCluster(d, structuredClone(c1)))
    expect(same).toMatchObject({ changed: false, ops: 0 })
    expect(Automerge.getHeads(same.doc)).toEqual(Automerge.getHeads(doc))
    const tick = change(doc, (d) => putCluster(d, { ...c1, allocated: resources(3000, 8) }))
    expect(tick).toMatchObject({ changed: true, ops: 1 })
    const del = change(tick.doc, (d) => deleteCluster(d, 'c2'))
    expect(del.changed).toBe(true)
    expect(listClusters(del.doc).map((c) => c.name)).toEqual(['c1'])
    expect(change(del.doc, (d) => deleteCluster(d, 'c2')).changed).toBe(false)
  })

  it('refuses a cluster of another site or with a wrong id', () => {
    expectCode(() => edit(newSiteDoc(S), (d) => { putCluster(d, cluster('ap-east', 'c1')) }), 'origin-mismatch')
    expectCode(() => edit(newSiteDoc(S), (d) => { putCluster(d, { ...cluster(S, 'c1'), id: `${S}.other` }) }), 'input-invalid')
  })

  it('round-trips workloads; a replica change is one op; unchanged writes nothing', () => {
    let doc = newSiteDoc(S)
    const w = workload(S, 'web')
    const api = workload(S, 'api', { namespace: 'backend', residency: { kind: 'regions', regions: ['eu', 'us'] } })
    doc = edit(doc, (d) => { putWorkload(d, w); putWorkload(d, api) })
    expect(getWorkload(doc, w.key)).toEqual(w)
    expect(listWorkloads(doc)).toEqual([api, w].sort((a, b) => a.key < b.key ? -1 : 1))
    expect(change(doc, (d) => putWorkload(d, structuredClone(w)))).toMatchObject({ changed: false, ops: 0 })
    // Key order inside the manifest does not matter: it is stored as canonical JSON.
    const reordered = { ...w, manifest: JSON.parse(JSON.stringify(w.manifest, Object.keys(w.manifest).reverse())) as typeof w.manifest }
    expect(change(doc, (d) => putWorkload(d, { ...reordered, manifest: { ...w.manifest } })).changed).toBe(false)
    const scaled = workload(S, 'web', { replicas: 5 })
    const r = change(doc, (d) => putWorkload(d, scaled))
    expect(r).toMatchObject({ changed: true, ops: 1 })
    expect(getWorkload(r.doc, w.key)?.manifest.spec?.['replicas']).toBe(5)
    const del = change(r.doc, (d) => deleteWorkload(d, w.key))
    expect(del.changed).toBe(true)
    expect(getWorkload(del.doc, w.key)).toBeUndefined()
    expect(change(del.doc, (d) => deleteWorkload(d, w.key))).toMatchObject({ changed: false, ops: 0 })
  })

  it('refuses a local-only workload, another site\'s workload and a key that does not match the manifest', () => {
    const doc = newSiteDoc(S)
    expectCode(() => edit(Automerge.clone(doc), (d) => { putWorkload(d, workload(S, 'secret', { residency: { kind: 'local-only' } })) }), 'residency-violation')
    expectCode(() => edit(Automerge.clone(doc), (d) => { putWorkload(d, workload('ap-east', 'web')) }), 'origin-mismatch')
    expectCode(() => edit(Automerge.clone(doc), (d) => { putWorkload(d, { ...workload(S, 'web'), key: 'apps/Deployment/shop/other' }) }), 'input-invalid')
  })

  it('round-trips redacted stubs and accepts nothing but a stub', () => {
    let doc = newSiteDoc(S)
    const stub = { id: 'a'.repeat(32), kind: 'Deployment', origin: S, replicas: 3, perReplica: resources(250, 1), cluster: `${S}.c1` }
    doc = edit(doc, (d) => { putStub(d, stub) })
    expect(getStub(doc, stub.id)).toEqual(stub)
    expect(listStubs(doc)).toEqual([stub])
    expect(change(doc, (d) => putStub(d, { ...stub }))).toMatchObject({ changed: false, ops: 0 })
    expect(change(doc, (d) => putStub(d, { ...stub, replicas: 4 }))).toMatchObject({ changed: true, ops: 1 })
    expectCode(() => edit(Automerge.clone(doc), (d) => { putStub(d, { ...stub, name: 'payroll' } as typeof stub) }), 'residency-violation')
    expectCode(() => edit(Automerge.clone(doc), (d) => { putStub(d, { ...stub, id: 'apps/Deployment/hr/payroll' }) }), 'residency-violation')
    expectCode(() => edit(Automerge.clone(doc), (d) => { putStub(d, { ...stub, kind: 'Secret' }) }), 'input-invalid')
    expectCode(() => edit(Automerge.clone(doc), (d) => { putStub(d, { ...stub, origin: 'ap-east' }) }), 'origin-mismatch')
    expectCode(() => edit(Automerge.clone(doc), (d) => { putStub(d, { ...stub, cluster: 'ap-east.c1' }) }), 'origin-mismatch')
    expect(listStubs(edit(doc, (d) => { deleteStub(d, stub.id) }))).toEqual([])
  })

  it('round-trips policies', () => {
    let doc = newSiteDoc(S)
    const p = policy(S, 'spread')
    doc = edit(doc, (d) => { putPolicy(d, p) })
    expect(getPolicy(doc, p.key)).toEqual(p)
    expect(listPolicies(doc)).toEqual([p])
    expect(change(doc, (d) => putPolicy(d, structuredClone(p)))).toMatchObject({ changed: false, ops: 0 })
    expectCode(() => edit(Automerge.clone(doc), (d) => { putPolicy(d, { ...p, origin: 'ap-east' }) }), 'origin-mismatch')
    expectCode(() => edit(Automerge.clone(doc), (d) => { putPolicy(d, { ...p, key: 'x' }) }), 'input-invalid')
    expect(getPolicy(edit(doc, (d) => { deletePolicy(d, p.key) }), p.key)).toBeUndefined()
  })

  it('round-trips bindings, with optional fields added and removed', () => {
    let doc = newSiteDoc(S)
    const w = workload(S, 'web').key
    const b = binding(S, w, [[`${S}.c1`, 2], ['ap-east.c1', 1]])
    doc = edit(doc, (d) => { putBinding(d, b) })
    expect(getBinding(doc, w)).toEqual(b)
    expect(change(doc, (d) => putBinding(d, structuredClone(b)))).toMatchObject({ changed: false, ops: 0 })
    const degraded = { ...b, degraded: 'no cluster in region eu' }
    doc = edit(doc, (d) => { putBinding(d, degraded) })
    expect(getBinding(doc, w)).toEqual(degraded)
    const { policy: _p, ...noPolicy } = b
    const r = change(doc, (d) => putBinding(d, noPolicy))
    expect(r.ops).toBe(1) // policy and degraded deleted: the record rewritten, one op
    expect(getBinding(r.doc, w)).toEqual(noPolicy)
    expect(listBindings(r.doc)).toEqual([noPolicy])
    expect(sameDecision(b, { ...b, inputHeads: 'h2', decidedAt: 9 })).toBe(true)
    expect(sameDecision(b, { ...b, placement: [{ cluster: `${S}.c1`, replicas: 3 }] })).toBe(false)
    expectCode(() => edit(Automerge.clone(doc), (d) => { putBinding(d, { ...b, decidedBy: 'ap-east' }) }), 'origin-mismatch')
    expect(getBinding(edit(doc, (d) => { deleteBinding(d, w) }), w)).toBeUndefined()
  })

  it('round-trips share status only for the site\'s own clusters; a quiet tick writes nothing', () => {
    let doc = newSiteDoc(S)
    const w = workload(S, 'web').key
    const s1 = share(w, `${S}.c1`, 2)
    const s2 = { ...share(w, `${S}.c2`, 0, 1), error: { code: 'ImagePullBackOff', message: 'pull failed' } }
    doc = edit(doc, (d) => { putShare(d, s1); putShare(d, s2) })
    expect(getShare(doc, w, `${S}.c1`)).toEqual(s1)
    expect(listShares(doc)).toEqual([s1, s2])
    expect(change(doc, (d) => putShare(d, structuredClone(s1)) || putShare(d, structuredClone(s2)))).toMatchObject({ changed: false, ops: 0 })
    expect(change(doc, (d) => putShare(d, { ...s1, ready: 1, available: 1 }))).toMatchObject({ changed: true, ops: 1 })
    expectCode(() => edit(Automerge.clone(doc), (d) => { putShare(d, share(w, 'ap-east.c1', 1)) }), 'origin-mismatch')
    expect(listShares(edit(doc, (d) => { deleteShare(d, w, `${S}.c2`) }))).toEqual([s1])
  })

  it('keeps the last INSPECTION_HISTORY results per target, oldest first', () => {
    let doc = newSiteDoc(S)
    doc = edit(doc, (d) => {
      for (let i = 0; i < INSPECTION_HISTORY + 7; i++) {
        recordInspection(d, { kind: 'dns', target: 'api.example.com', verdict: i % 3 === 0 ? 'fail' : 'pass', latencyMs: i, at: 1000 + i })
      }
      recordInspection(d, { kind: 'certificate', target: 'api.example.com', verdict: 'warn', latencyMs: 3, at: 50, message: 'expires in 9 days' })
    })
    const h = getInspectionHistory(doc, 'dns', 'api.example.com')
    expect(h).toHaveLength(INSPECTION_HISTORY)
    expect(h.map((r) => r.latencyMs)).toEqual(Array.from({ length: INSPECTION_HISTORY }, (_, i) => i + 7))
    expect(listInspections(doc).map((i) => [i.kind, i.history.length])).toEqual([['certificate', 1], ['dns', INSPECTION_HISTORY]])
    expect(listInspections(doc)[0]!.history[0]).toEqual({ kind: 'certificate', target: 'api.example.com', verdict: 'warn', latencyMs: 3, at: 50, message: 'expires in 9 days' })
    const entry = Object.values(doc.inspections).flatMap((b) => Object.values(b))
    expect(Math.max(...entry.map((e) => Object.keys(e).length))).toBeLessThanOrEqual(INSPECTION_HISTORY + 3)
    const quiet = change(doc, (d) => recordInspection(d, { kind: 'certificate', target: 'api.example.com', verdict: 'warn', latencyMs: 4, at: 60, message: 'expires in 9 days' }, { onlyOnChange: true }))
    expect(quiet).toMatchObject({ changed: false, ops: 0 })
  })

  it('deduplicates evidence with a count and keeps at most EVIDENCE_LIMIT records', () => {
    let doc = newSiteDoc(S)
    const ev = (id: string, at: number): EvidenceRecord => ({ id, kind: 'bad-signature', offender: 'ap-east', observedBy: S, at, detail: 'signature does not verify', count: 1 })
    doc = edit(doc, (d) => { recordEvidence(d, { ...ev('e1', 10), proof: ['AAAA'] }); recordEvidence(d, ev('e1', 30)); recordEvidence(d, ev('e1', 20)) })
    expect(listEvidence(doc)).toEqual([{ ...ev('e1', 30), proof: ['AAAA'], count: 3 }])
    doc = edit(doc, (d) => { for (let i = 0; i < EVIDENCE_LIMIT + 10; i++) recordEvidence(d, ev(`x${String(i).padStart(3, '0')}`, 100 + i)) })
    const all = listEvidence(doc)
    expect(all).toHaveLength(EVIDENCE_LIMIT)
    // 267 records were written; the 11 least recently seen went: e1 (at 30) and x000..x009.
    expect(all.some((e) => e.id === 'e1' || e.id === 'x009')).toBe(false)
    expect(all[0]!.id).toBe('x010')
    expectCode(() => edit(Automerge.clone(doc), (d) => { recordEvidence(d, { ...ev('y', 1), observedBy: 'ap-east' }) }), 'origin-mismatch')
  })

  it('keeps the last EVENT_RING events with ids unique for the document\'s life', () => {
    let doc = newSiteDoc(S)
    doc = edit(doc, (d) => {
      for (let i = 0; i < EVENT_RING + 25; i++) appendEvent(d, { kind: 'info', at: i, subject: `s${i}`, cause: 'test' })
    })
    const events = listEvents(doc)
    expect(events).toHaveLength(EVENT_RING)
    expect(events[0]).toEqual({ id: `${S}#25`, site: S, seq: 25, kind: 'info', at: 25, subject: 's25', cause: 'test' })
    expect(events.at(-1)!.id).toBe(`${S}#${EVENT_RING + 24}`)
    let stored: unknown
    doc = edit(doc, (d) => {
      stored = appendEvent(d, { kind: 'migration', at: 9, subject: 'web', cause: 'site failed', moved: [{ workload: 'w', from: ['a.c1'], to: ['b.c1'] }] })
    })
    expect(listEvents(doc).at(-1)).toEqual(stored)
    const slotCounts = Object.values(doc.events.slots).map((b) => Object.keys(b).length)
    expect(slotCounts.reduce((a, b) => a + b, 0)).toBe(EVENT_RING)
    expect(Math.max(...slotCounts)).toBeLessThanOrEqual(32)
  })
})
