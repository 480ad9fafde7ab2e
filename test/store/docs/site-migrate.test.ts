/**
 * Site documents of layout 1 (each record a map of scalars): still read, and rewritten
 * in layout 2 by their own site's next initSiteDoc.
 */
import * as Automerge from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { BUCKETS } from '../../../src/store/docs/bucket.ts'
import { bucketForWrite, rawEntries } from '../../../src/store/docs/bucketed-map.ts'
import { encodeRecord, toScalar, type RecordCodec, type Scalar } from '../../../src/store/docs/fields.ts'
import { bindingCodec, clusterCodec, shareCodec, siteInfoCodec, workloadCodec } from '../../../src/store/docs/records.ts'
import { SITE_SCHEMA_VERSION, siteDocId } from '../../../src/store/docs/schema.ts'
import { getSiteInfo, initSiteDoc, type SiteDoc } from '../../../src/store/docs/site-doc.ts'
import { listClusters } from '../../../src/store/docs/site-clusters.ts'
import { listBindings, listShares } from '../../../src/store/docs/site-placement.ts'
import { listWorkloads, putWorkload } from '../../../src/store/docs/site-workloads.ts'
import { recordInspection, listInspections } from '../../../src/store/docs/site-inspections.ts'
import { buildView } from '../../../src/view/build-view.ts'
import { actorFor, binding, cluster, share, siteInfo, workload } from './fixtures.ts'

const S = 'eu-west'

/** A record as layout 1 stored it: each field its own scalar, structured ones as JSON strings. */
function layoutOne<T> (codec: RecordCodec<T>, value: T): Record<string, Scalar> {
  const out: Record<string, Scalar> = {}
  for (const [k, v] of Object.entries(encodeRecord(codec, value))) if (v !== undefined) out[k] = toScalar(v)
  return out
}

/** A site document as a build writing layout 1 left it. */
function layoutOneDoc (): Automerge.Doc<SiteDoc> {
  return Automerge.change(Automerge.init<SiteDoc>({ actor: actorFor(S) }), { time: 0 }, (d) => {
    const root = d as unknown as Record<string, unknown>
    root['schema'] = 1
    root['site'] = layoutOne(siteInfoCodec, siteInfo(S))
    root['clusters'] = { c1: layoutOne(clusterCodec, cluster(S, 'c1')) }
    for (const name of ['workloads', 'stubs', 'policies', 'bindings', 'shares', 'inspections', 'evidence']) root[name] = {}
    root['events'] = { next: 0, slots: {} }
    const web = workload(S, 'web')
    const { key: _k, ...entry } = web
    bucketForWrite(d.workloads, web.key, BUCKETS.workloads)[web.key] = layoutOne(workloadCodec, entry) as never
    const b = binding(S, web.key, [[`${S}.c1`, 2]])
    const { workload: _w, ...bEntry } = b
    bucketForWrite(d.bindings, web.key, BUCKETS.bindings)[web.key] = layoutOne(bindingCodec, bEntry) as never
    const s = share(web.key, `${S}.c1`, 2)
    const { workload: _s, ...sEntry } = s
    bucketForWrite(d.shares, `${web.key}|${S}.c1`, BUCKETS.shares)[`${web.key}|${S}.c1`] = layoutOne(shareCodec, sEntry) as never
  })
}

describe('site document layouts', () => {
  it('reads a layout-1 document as it reads the current one', () => {
    const old = layoutOneDoc()
    expect(getSiteInfo(old)).toEqual(siteInfo(S))
    expect(listClusters(old)).toEqual([cluster(S, 'c1')])
    expect(listWorkloads(old)).toEqual([workload(S, 'web')])
    expect(listBindings(old)).toEqual([binding(S, workload(S, 'web').key, [[`${S}.c1`, 2]])])
    expect(listShares(old)).toEqual([share(workload(S, 'web').key, `${S}.c1`, 2)])
    const view = buildView(new Map([[siteDocId(S), old as Automerge.Doc<unknown>]]))
    expect(view.anomalies).toEqual([])
    expect(view.workloads.map((w) => [w.key, w.ready])).toEqual([[workload(S, 'web').key, 2]])
  })

  it('refuses writers until initSiteDoc rewrites it in the current layout, which then reads the same', () => {
    const old = layoutOneDoc()
    expect(() => Automerge.change(old, (d) => { putWorkload(d, workload(S, 'api')) })).toThrow(/layout 1; writers write layout 2 only/)
    const migrated = Automerge.change(old, { time: 0 }, (d) => { initSiteDoc(d, siteInfo(S)) })
    expect(migrated.schema).toBe(SITE_SCHEMA_VERSION)
    const stored = migrated as unknown as Record<string, unknown>
    expect(Automerge.isImmutableString(stored['site'])).toBe(true)
    expect(Automerge.isImmutableString((stored['clusters'] as Record<string, unknown>)['c1'])).toBe(true)
    for (const c of ['workloads', 'bindings', 'shares'] as const) {
      const entries = [...rawEntries(stored[c], BUCKETS[c])]
      expect(entries).toHaveLength(1)
      expect(Automerge.isImmutableString(entries[0]![2]), c).toBe(true)
    }
    for (const read of [getSiteInfo, listClusters, listWorkloads, listBindings, listShares] as Array<(d: Automerge.Doc<SiteDoc>) => unknown>) {
      expect(read(migrated)).toEqual(read(old))
    }
    // Writers work again, and an inspection history stays a map of slots.
    const after = Automerge.change(migrated, { time: 0 }, (d) => {
      putWorkload(d, workload(S, 'api'))
      recordInspection(d, { kind: 'dns', target: 'example.org', verdict: 'pass', latencyMs: 3, at: 7000 })
    })
    expect(listWorkloads(after).map((w) => w.manifest.metadata.name)).toEqual(['api', 'web'])
    expect(listInspections(after)).toHaveLength(1)
    // A second initSiteDoc finds nothing to do.
    const heads = Automerge.getHeads(after)
    expect(Automerge.getHeads(Automerge.change(after, { time: 0 }, (d) => { initSiteDoc(d, siteInfo(S)) }))).toEqual(heads)
  })
})
