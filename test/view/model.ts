/**
 * A small random model of a federation for the view's property tests: operations that
 * sites apply to their own documents through the accessors, plus Byzantine writes that
 * bypass the accessors (foreign claims, misplaced or malformed entries, local-only
 * content), and a fast-check arbitrary that generates batches of them.
 */
import * as Automerge from '@automerge/automerge'
import fc from 'fast-check'
import type { InspectionResult } from '../../src/model/federation.ts'
import { BUCKETS, bucketPath } from '../../src/store/docs/bucket.ts'
import { encodeRecord, writeEntry } from '../../src/store/docs/fields.ts'
import { initFederationDoc, putMember, type FederationDoc } from '../../src/store/docs/federation-doc.ts'
import { clusterCodec, shareCodec, workloadCodec } from '../../src/store/docs/records.ts'
import { FEDERATION_DOC_ID, siteDocId } from '../../src/store/docs/schema.ts'
import type { SiteDoc } from '../../src/store/docs/site-doc.ts'
import { deleteCluster, putCluster } from '../../src/store/docs/site-clusters.ts'
import { recordEvidence } from '../../src/store/docs/site-evidence.ts'
import { appendEvent } from '../../src/store/docs/site-events.ts'
import { recordInspection } from '../../src/store/docs/site-inspections.ts'
import { deleteBinding, deleteShare, putBinding, putShare } from '../../src/store/docs/site-placement.ts'
import { putPolicy } from '../../src/store/docs/site-policies.ts'
import { deleteStub, deleteWorkload, putStub, putWorkload } from '../../src/store/docs/site-workloads.ts'
import { actorFor, binding, cluster, newSiteDoc, policy, resources, share, workload } from '../store/docs/fixtures.ts'

export const SITES = ['ap-east', 'eu-west', 'us-central'] as const
const CLUSTERS = ['c1', 'c2'] as const
const NAMES = 5

export type Op =
  | { t: 'workload', site: number, name: number, replicas: number }
  | { t: 'delWorkload', site: number, name: number }
  | { t: 'cluster', site: number, cluster: number, health: 'Ready' | 'NotReady' }
  | { t: 'delCluster', site: number, cluster: number }
  | { t: 'share', site: number, name: number, cluster: number, ready: number }
  | { t: 'delShare', site: number, name: number, cluster: number }
  | { t: 'binding', site: number, name: number, to: number }
  | { t: 'delBinding', site: number, name: number }
  | { t: 'event', site: number, at: number }
  | { t: 'evidence', site: number, id: number, at: number }
  | { t: 'inspection', site: number, target: number, verdict: InspectionResult['verdict'] }
  | { t: 'stub', site: number, id: number, replicas: number }
  | { t: 'delStub', site: number, id: number }
  | { t: 'policy', site: number, name: number }
  | { t: 'byzantine', site: number, kind: ByzantineKind, name: number }

export type ByzantineKind = 'foreign-workload' | 'foreign-share' | 'foreign-cluster' | 'misplaced' | 'malformed' | 'local-only'

const site = fc.nat(SITES.length - 1)
const name = fc.nat(NAMES - 1)
const clusterIx = fc.nat(CLUSTERS.length - 1)

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('workload' as const), site, name, replicas: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delWorkload' as const), site, name }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('cluster' as const), site, cluster: clusterIx, health: fc.constantFrom('Ready' as const, 'NotReady' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delCluster' as const), site, cluster: clusterIx }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('share' as const), site, name, cluster: clusterIx, ready: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delShare' as const), site, name, cluster: clusterIx }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('binding' as const), site, name, to: fc.nat(SITES.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delBinding' as const), site, name }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('event' as const), site, at: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('evidence' as const), site, id: fc.nat(3), at: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('inspection' as const), site, target: fc.nat(2), verdict: fc.constantFrom('pass' as const, 'warn' as const, 'fail' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('stub' as const), site, id: fc.nat(2), replicas: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delStub' as const), site, id: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('policy' as const), site, name: fc.nat(1) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('byzantine' as const), site, name,
    kind: fc.constantFrom<ByzantineKind>('foreign-workload', 'foreign-share', 'foreign-cluster', 'misplaced', 'malformed', 'local-only') }) }
)

/** Batches of operations; each batch becomes at most one change per site. */
export const batchesArb = fc.array(fc.array(opArb, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 })

const wname = (n: number): string => `app-${n}`

function rawBucketPut (d: SiteDoc, c: 'workloads' | 'shares', key: string, fields: ReturnType<typeof encodeRecord>, path = bucketPath(key, BUCKETS[c])): void {
  let m = d[c] as Record<string, unknown>
  for (const name of path) {
    if (m[name] === undefined) m[name] = {}
    m = m[name] as Record<string, unknown>
  }
  writeEntry(m, key, fields)
}

function applyByzantine (d: SiteDoc, me: string, kind: ByzantineKind, n: number): void {
  const other = SITES.find((s) => s !== me)!
  const w = workload(me, `byz-${n}`)
  const { key, ...entry } = w
  switch (kind) {
    case 'foreign-workload': rawBucketPut(d, 'workloads', key, encodeRecord(workloadCodec, { ...entry, origin: other })); break
    case 'foreign-share': {
      const s = share(key, `${other}.c1`, 1)
      rawBucketPut(d, 'shares', `${key}|${other}.c1`, encodeRecord(shareCodec, { ...s, workload: undefined } as never))
      break
    }
    case 'foreign-cluster': writeEntry(d.clusters, `byz${n}`, encodeRecord(clusterCodec, cluster(other, `byz${n}`))); break
    case 'misplaced': {
      const [a, b] = bucketPath(key, BUCKETS.workloads) as [string, string]
      rawBucketPut(d, 'workloads', key, encodeRecord(workloadCodec, entry), [a, b === '0' ? '1' : '0'])
      break
    }
    case 'malformed': rawBucketPut(d, 'workloads', key, { ...encodeRecord(workloadCodec, entry), manifest: '{not json' }); break
    case 'local-only': rawBucketPut(d, 'workloads', key, encodeRecord(workloadCodec, { ...entry, residency: { kind: 'local-only' } })); break
  }
}

export function applyOp (d: SiteDoc, op: Op): void {
  const me = SITES[op.site]!
  switch (op.t) {
    case 'workload': putWorkload(d, workload(me, wname(op.name), { replicas: op.replicas })); break
    case 'delWorkload': deleteWorkload(d, workload(me, wname(op.name)).key); break
    case 'cluster': putCluster(d, cluster(me, CLUSTERS[op.cluster]!, { health: op.health })); break
    case 'delCluster': deleteCluster(d, CLUSTERS[op.cluster]!); break
    case 'share': putShare(d, share(workload(me, wname(op.name)).key, `${me}.${CLUSTERS[op.cluster]!}`, op.ready, 2)); break
    case 'delShare': deleteShare(d, workload(me, wname(op.name)).key, `${me}.${CLUSTERS[op.cluster]!}`); break
    case 'binding': putBinding(d, binding(me, workload(me, wname(op.name)).key, [[`${SITES[op.to]!}.c1`, 2]])); break
    case 'delBinding': deleteBinding(d, workload(me, wname(op.name)).key); break
    case 'event': appendEvent(d, { kind: 'info', at: op.at, subject: 'x', cause: 'y' }); break
    case 'evidence': recordEvidence(d, { id: `ev${op.id}`, kind: 'flood', offender: 'z', observedBy: me, at: op.at, detail: 'd', count: 1 }); break
    case 'inspection': recordInspection(d, { kind: 'dns', target: `t${op.target}`, verdict: op.verdict, latencyMs: 1, at: 1 }); break
    case 'stub': putStub(d, { id: String(op.id).repeat(32), kind: 'Deployment', origin: me, replicas: op.replicas, perReplica: resources(100, 1) }); break
    case 'delStub': deleteStub(d, String(op.id).repeat(32)); break
    case 'policy': putPolicy(d, policy(me, `p${op.name}`)); break
    case 'byzantine': applyByzantine(d, me, op.kind, op.name); break
  }
}

export type Docs = Map<string, Automerge.Doc<unknown>>

export function federationDoc (): Automerge.Doc<FederationDoc> {
  return Automerge.change(Automerge.init<FederationDoc>({ actor: actorFor('federation') }), { time: 0 }, (d) => {
    initFederationDoc(d)
    for (const s of SITES.slice(0, 2)) putMember(d, { siteId: s, publicKey: s, region: `region-${s}` })
  })
}

export function initialDocs (): Docs {
  const docs: Docs = new Map([[FEDERATION_DOC_ID, federationDoc()]])
  for (const s of SITES) docs.set(siteDocId(s), newSiteDoc(s))
  return docs
}

/** Applies one batch: one change per site that has operations in it (and a document in the set). */
export function applyBatch (docs: Docs, batch: readonly Op[]): void {
  SITES.forEach((s, i) => {
    const ops = batch.filter((op) => op.site === i)
    if (ops.length === 0) return
    const id = siteDocId(s)
    if (!docs.has(id)) return // dropped from the set: its writes are not seen
    docs.set(id, Automerge.change(docs.get(id) as Automerge.Doc<SiteDoc>, { time: 0 }, (d) => { for (const op of ops) applyOp(d, op) }))
  })
}
