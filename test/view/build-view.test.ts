import * as Automerge from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { isFlotillaError } from '../../src/model/errors.ts'
import { BUCKETS, bucketOf } from '../../src/store/docs/bucket.ts'
import { bucketForWrite } from '../../src/store/docs/bucketed-map.ts'
import { encodeRecord, writeEntry } from '../../src/store/docs/fields.ts'
import { bindingCodec, clusterCodec, shareCodec, workloadCodec } from '../../src/store/docs/records.ts'
import { FEDERATION_DOC_ID, SITE_SCHEMA_VERSION, siteDocId } from '../../src/store/docs/schema.ts'
import type { SiteDoc } from '../../src/store/docs/site-doc.ts'
import { putCluster } from '../../src/store/docs/site-clusters.ts'
import { recordEvidence } from '../../src/store/docs/site-evidence.ts'
import { appendEvent } from '../../src/store/docs/site-events.ts'
import { recordInspection } from '../../src/store/docs/site-inspections.ts'
import { putBinding, putShare } from '../../src/store/docs/site-placement.ts'
import { putPolicy } from '../../src/store/docs/site-policies.ts'
import { putStub, putWorkload } from '../../src/store/docs/site-workloads.ts'
import { buildView } from '../../src/view/build-view.ts'
import { binding, cluster, edit, newSiteDoc, policy, resources, share, siteInfo, workload } from '../store/docs/fixtures.ts'
import { federationDoc } from './model.ts'

const EU = 'eu-west'
const AP = 'ap-east'
const web = workload(EU, 'web', { replicas: 3 })

function honestFederation (): Map<string, Automerge.Doc<unknown>> {
  const eu = edit(newSiteDoc(EU), (d) => {
    putCluster(d, cluster(EU, 'c1'))
    putCluster(d, cluster(EU, 'c2', { health: 'NotReady' }))
    putWorkload(d, web)
    putWorkload(d, workload(EU, 'api', { namespace: 'backend' }))
    putBinding(d, binding(EU, web.key, [[`${EU}.c1`, 2], [`${AP}.c1`, 1]]))
    putShare(d, share(web.key, `${EU}.c1`, 2))
    putPolicy(d, policy(EU, 'spread'))
    putStub(d, { id: 'f'.repeat(32), kind: 'Deployment', origin: EU, replicas: 2, perReplica: resources(500, 1), cluster: `${EU}.c1` })
    appendEvent(d, { kind: 'cluster-not-ready', at: 200, subject: `${EU}.c2`, cause: 'NotReady for 30s' })
    recordEvidence(d, { id: 'e1', kind: 'bad-signature', offender: 'mallory', observedBy: EU, at: 150, detail: 'bad signature', count: 2 })
    recordInspection(d, { kind: 'dns', target: 'shop.example.com', verdict: 'pass', latencyMs: 4, at: 100 })
  })
  const ap = edit(newSiteDoc(AP), (d) => {
    putCluster(d, cluster(AP, 'c1'))
    putBinding(d, binding(AP, web.key, [[`${EU}.c1`, 2], [`${AP}.c1`, 1]]))
    putShare(d, share(web.key, `${AP}.c1`, 0, 1))
    appendEvent(d, { kind: 'info', at: 100, subject: 'started', cause: 'boot' })
  })
  return new Map<string, Automerge.Doc<unknown>>([[FEDERATION_DOC_ID, federationDoc()], [siteDocId(EU), eu], [siteDocId(AP), ap]])
}

/** Writes an entry without the accessors' checks, as a buggy or hostile site could. */
function raw (d: SiteDoc, c: 'workloads' | 'shares' | 'bindings', key: string, fields: ReturnType<typeof encodeRecord>): void {
  writeEntry(bucketForWrite(d[c], key, BUCKETS[c]), key, fields)
}

describe('buildView', () => {
  it('reads sites, clusters, workloads with bindings, shares and totals, and the rest, in a stable order', () => {
    const view = buildView(honestFederation())
    expect(view.federation.members.map((m) => m.siteId)).toEqual(['ap-east', 'eu-west'])
    expect(view.sites.map((s) => [s.id, s.member, s.clusters])).toEqual([
      [AP, true, [`${AP}.c1`]],
      [EU, true, [`${EU}.c1`, `${EU}.c2`]]
    ])
    expect(view.sites[1]!.info).toEqual(siteInfo(EU))
    expect(view.clusters.map((c) => [c.id, c.health])).toEqual([[`${AP}.c1`, 'Ready'], [`${EU}.c1`, 'Ready'], [`${EU}.c2`, 'NotReady']])
    expect(view.workloads.map((w) => w.key)).toEqual(['apps/Deployment/backend/api', web.key])
    const w = view.workloads[1]!
    expect(w).toMatchObject({ origin: EU, residency: { kind: 'global' }, stateless: true, generation: 1, replicas: 3, desired: 3, ready: 2, available: 2 })
    expect(w.manifest).toEqual(web.manifest)
    expect(w.bindings.map((b) => b.decidedBy)).toEqual([AP, EU])
    expect(w.shares.map((s) => [s.cluster, s.ready])).toEqual([[`${AP}.c1`, 0], [`${EU}.c1`, 2]])
    expect(view.policies.map((p) => p.key)).toEqual([policy(EU, 'spread').key])
    expect(view.stubs).toHaveLength(1)
    expect(view.events.map((e) => [e.at, e.id])).toEqual([[100, `${AP}#0`], [200, `${EU}#0`]])
    expect(view.evidence.map((e) => [e.id, e.count])).toEqual([['e1', 2]])
    expect(view.inspections).toEqual([{ site: EU, kind: 'dns', target: 'shop.example.com', history: [{ kind: 'dns', target: 'shop.example.com', verdict: 'pass', latencyMs: 4, at: 100 }] }])
    expect(view.conflicts).toEqual([])
    expect(view.anomalies).toEqual([])
  })

  it('ignores and reports a site document that claims another site\'s cluster, share status, workload or decision', () => {
    const docs = honestFederation()
    const honest = buildView(docs)
    const mallory = edit(newSiteDoc('mallory'), (d) => {
      putCluster(d, cluster('mallory', 'm1'))
      writeEntry(d.clusters, 'c1', encodeRecord(clusterCodec, cluster(EU, 'c1', { health: 'NotReady' })))
      const { workload: _w, ...fakeShare } = share(web.key, `${EU}.c1`, 0, 9)
      raw(d, 'shares', `${web.key}|${EU}.c1`, encodeRecord(shareCodec, fakeShare))
      const { key, ...fakeWorkload } = workload(EU, 'evil')
      raw(d, 'workloads', key, encodeRecord(workloadCodec, fakeWorkload))
      const { workload: _b, ...fakeBinding } = binding(EU, web.key, [['mallory.m1', 3]])
      raw(d, 'bindings', web.key, encodeRecord(bindingCodec, fakeBinding))
    })
    docs.set(siteDocId('mallory'), mallory)
    const view = buildView(docs)
    expect(view.anomalies.map((a) => [a.document, a.collection, a.code])).toEqual([
      ['site:mallory', 'bindings', 'foreign-origin'],
      ['site:mallory', 'clusters', 'foreign-cluster'],
      ['site:mallory', 'shares', 'foreign-cluster'],
      ['site:mallory', 'workloads', 'foreign-origin']
    ])
    // The other sites' part of the view is exactly what it was.
    expect(view.clusters.filter((c) => c.site !== 'mallory')).toEqual(honest.clusters)
    expect(view.workloads).toEqual(honest.workloads)
    expect(view.sites.find((s) => s.id === 'mallory')).toMatchObject({ member: false, clusters: ['mallory.m1'] })
  })

  it('settles two sites claiming one workload: the lowest site id wins, the others are listed', () => {
    const docs = honestFederation()
    docs.set(siteDocId(AP), edit(docs.get(siteDocId(AP)) as Automerge.Doc<SiteDoc>, (d) => { putWorkload(d, workload(AP, 'web', { replicas: 7 })) }))
    docs.set(siteDocId('us-central'), edit(newSiteDoc('us-central'), (d) => { putWorkload(d, workload('us-central', 'web', { replicas: 1 })) }))
    const view = buildView(docs)
    const w = view.workloads.find((x) => x.key === web.key)!
    expect([w.origin, w.replicas]).toEqual([AP, 7])
    expect(view.conflicts).toEqual([{ collection: 'workloads', key: web.key, winner: AP, others: [EU, 'us-central'] }])
  })

  it('reports misplaced, malformed and local-only entries and keeps the rest of the document', () => {
    const docs = honestFederation()
    docs.set(siteDocId(EU), edit(docs.get(siteDocId(EU)) as Automerge.Doc<SiteDoc>, (d) => {
      const a = workload(EU, 'misplaced')
      const other = workload(EU, 'misplaced-elsewhere')
      const { key, ...entry } = a
      expect(bucketOf(other.key, BUCKETS.workloads)).not.toBe(bucketOf(a.key, BUCKETS.workloads))
      writeEntry(bucketForWrite(d.workloads, other.key, BUCKETS.workloads), key, encodeRecord(workloadCodec, entry))
      const b = workload(EU, 'broken')
      raw(d, 'workloads', b.key, { ...encodeRecord(workloadCodec, { ...b, key: undefined } as never), generation: 'one' })
      const c = workload(EU, 'secret', { residency: { kind: 'local-only' } })
      raw(d, 'workloads', c.key, encodeRecord(workloadCodec, { ...c, key: undefined } as never))
    }))
    const view = buildView(docs)
    expect(view.anomalies.map((a) => [a.key, a.code])).toEqual([
      ['apps/Deployment/shop/broken', 'malformed'],
      ['apps/Deployment/shop/misplaced', 'misplaced'],
      ['apps/Deployment/shop/secret', 'local-only-replicated']
    ])
    expect(view.anomalies[0]!.detail).toContain("'workloads.apps/Deployment/shop/broken.generation' must be a non-negative integer")
    expect(view.workloads.map((w) => w.key)).toEqual(['apps/Deployment/backend/api', web.key])
  })

  it('reports a document of a future schema version and an unknown document id, and reads the others', () => {
    const docs = honestFederation()
    docs.set(siteDocId('future'), edit(newSiteDoc('future'), (d) => { d.schema = SITE_SCHEMA_VERSION + 1 }))
    docs.set('notes', Automerge.from({ x: 1 }))
    const view = buildView(docs)
    expect(view.anomalies.map((a) => [a.document, a.code])).toEqual([['notes', 'unknown-document'], ['site:future', 'unsupported-version']])
    expect(view.sites.find((s) => s.id === 'future')).toEqual({ id: 'future', clusters: [], member: false, heads: expect.any(Array) as unknown })
    expect(view.workloads).toHaveLength(2)
  })

  it('shows an empty document as a site without info', () => {
    const docs = honestFederation()
    docs.set(siteDocId('fresh'), Automerge.init())
    const view = buildView(docs)
    expect(view.sites.find((s) => s.id === 'fresh')).toEqual({ id: 'fresh', clusters: [], member: false, heads: [] })
    expect(view.anomalies).toEqual([])
  })

  it('shows only the events inside a site\'s ring window', () => {
    const docs = honestFederation()
    docs.set(siteDocId(AP), edit(docs.get(siteDocId(AP)) as Automerge.Doc<SiteDoc>, (d) => {
      appendEvent(d, { kind: 'info', at: 101, subject: 'a', cause: 'b' })
      appendEvent(d, { kind: 'info', at: 102, subject: 'a', cause: 'b' })
      d.events.next = 2 // a writer that rewound its counter: slot 2 holds an event beyond the window
    }))
    expect(buildView(docs).events.filter((e) => e.site === AP).map((e) => e.id)).toEqual([`${AP}#0`, `${AP}#1`])
  })

  it('refuses a list that names one document twice', () => {
    const doc = newSiteDoc(EU)
    let code: unknown
    try { buildView([{ id: siteDocId(EU), doc }, { id: siteDocId(EU), doc }]) } catch (e) { code = isFlotillaError(e) ? e.code : e }
    expect(code).toBe('input-invalid')
  })
})
