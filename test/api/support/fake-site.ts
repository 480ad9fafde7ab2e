/**
 * An in-memory `SiteHandle` for the API tests and benchmark: it holds a `GlobalView`,
 * takes writes through the site's real (pure) intake and policy checks — so validation,
 * residency, generation and server metadata behave as at a real site — keeps local-only workloads
 * apart with only a redacted stub in the view, refuses objects another site originated
 * (`origin-mismatch`), and bumps the view version and tells listeners on every change.
 * Tests play the other sites and the controllers by editing the view directly.
 */
import { createHash, randomUUID } from 'node:crypto'
import { FlotillaError } from '../../../src/model/errors.ts'
import type {
  Binding, ClusterRecord, PolicyRecord, RedactedStub, ShareStatus, SiteId, WorkloadRecord
} from '../../../src/model/federation.ts'
import { desiredReplicas, workloadKey, type KubeObject } from '../../../src/model/kube.ts'
import { zeroResources, type Resources } from '../../../src/model/resources.ts'
import type { GlobalView, SiteView, WorkloadView } from '../../../src/model/view.ts'
import { intakeObject } from '../../../src/site/object-intake.ts'
import { intakeForWrite } from '../../../src/site/object-writes.ts'
import type {
  EffectivePlacement, LocalWorkloadRecord, ObjectRef, PeerStatus, PutResult, SiteHandle, SiteStatus
} from '../../../src/site/site-handle.ts'

export interface FakeSiteOptions {
  siteId: string
  region: string
  zone?: string
  /** Wall clock for creation times (default Date.now). */
  now?: () => number
}

export interface FakeSite extends SiteHandle {
  /** Edits the view as replication or a controller would; bumps the version once. */
  change (edit: (view: GlobalView) => GlobalView): void
  /** Adds a workload as if another site (or this one) had written it and it had replicated. */
  seedWorkload (origin: SiteId, manifest: KubeObject, extra?: { bindings?: Binding[], shares?: ShareStatus[] }): WorkloadView
  seedPolicy (origin: SiteId, object: KubeObject): PolicyRecord
  addSite (id: SiteId, region: string, zone?: string): void
  addCluster (record: ClusterRecord): void
  setShares (key: string, shares: ShareStatus[]): void
  setPlacement (key: string, placement: EffectivePlacement | undefined): void
  setPeers (peers: PeerStatus[]): void
  /** Puts many workloads at once (one version step), for large views. */
  bulkLoad (items: ReadonlyArray<{ record: WorkloadRecord, bindings?: Binding[], shares?: ShareStatus[] }>): void
  /** Makes every write wait this long before it commits, as storage would (default 0). */
  setWriteLatency (ms: number): void
  /** Calls of putObject/deleteObject that reached storage (not dry runs, not no-ops). */
  readonly writes: number
}

function byString<T> (key: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => { const x = key(a); const y = key(b); return x < y ? -1 : x > y ? 1 : 0 }
}

export function workloadView (rec: WorkloadRecord, bindings: Binding[] = [], shares: ShareStatus[] = []): WorkloadView {
  return {
    ...rec,
    replicas: desiredReplicas(rec.manifest),
    bindings,
    shares,
    desired: shares.reduce((n, s) => n + s.desired, 0),
    ready: shares.reduce((n, s) => n + s.ready, 0),
    available: shares.reduce((n, s) => n + s.available, 0)
  }
}

export function emptyView (): GlobalView {
  return {
    federation: { members: [], settings: {}, heads: [] },
    sites: [], clusters: [], workloads: [], policies: [], stubs: [], inspections: [], evidence: [], events: [], conflicts: [], anomalies: []
  }
}

function siteView (id: SiteId, region: string, zone: string): SiteView {
  return {
    id, member: true, clusters: [], heads: [`${id}-head-0`],
    info: { id, region, zone, publicKey: 'ab'.repeat(32), peerId: `12D3KooW${id}`, endpoints: { p2p: [`/ip4/127.0.0.1/tcp/7001/p2p/12D3KooW${id}`], api: `https://${id}.flotilla.test:6443` } }
  }
}

function stubOf (rec: WorkloadRecord): RedactedStub {
  const perReplica: Resources = zeroResources()
  return { id: createHash('sha256').update(`stub/${rec.key}`).digest('hex').slice(0, 16), kind: rec.manifest.kind, origin: rec.origin, replicas: desiredReplicas(rec.manifest), perReplica }
}

function safeKey (obj: KubeObject): string {
  if (typeof obj?.metadata?.name !== 'string' || typeof obj.kind !== 'string' || typeof obj.apiVersion !== 'string') {
    throw new FlotillaError('input-invalid', 'the object needs apiVersion, kind and metadata.name', 'Check the manifest.', {
      details: { causes: [{ path: 'metadata.name', message: 'required' }] }
    })
  }
  return workloadKey(obj)
}

export function createFakeSite (options: FakeSiteOptions): FakeSite {
  const { siteId, region } = options
  const zone = options.zone ?? `${region}-a`
  const now = options.now ?? Date.now
  let view: GlobalView = { ...emptyView(), sites: [siteView(siteId, region, zone)] }
  let version = 1
  let writes = 0
  const listeners = new Set<(v: number) => void>()
  const local = new Map<string, WorkloadRecord>()
  const placements = new Map<string, EffectivePlacement>()
  const localShareMap = new Map<string, ShareStatus[]>()
  let peers: PeerStatus[] = []
  let writeLatencyMs = 0
  const storage = async (): Promise<void> => {
    if (writeLatencyMs > 0) await new Promise((resolve) => setTimeout(resolve, writeLatencyMs))
  }

  function publish (next: GlobalView): void {
    view = next
    version++
    for (const l of listeners) l(version)
  }

  function findRecord (key: string): WorkloadView | PolicyRecord | undefined {
    return view.workloads.find((w) => w.key === key) ?? view.policies.find((p) => p.key === key)
  }

  function upsertWorkload (list: readonly WorkloadView[], w: WorkloadView): WorkloadView[] {
    return [...list.filter((x) => x.key !== w.key), w].sort(byString((x) => x.key))
  }

  function ownSiteHeads (v: GlobalView): SiteView[] {
    // Every write changes this site's document heads, as at a real site.
    return v.sites.map((s) => (s.id === siteId ? { ...s, heads: [`${siteId}-head-${version}`] } : s))
  }

  function originMismatch (kind: string, key: string, origin: string): FlotillaError {
    return new FlotillaError('origin-mismatch', `${kind} "${key}" was created at site "${origin}"; only that site may change it`,
      `Apply it at site "${origin}", or use another name for a workload of this site.`, { details: { origin, key } })
  }

  const fake: FakeSite = {
    siteId,
    region,
    get writes () { return writes },
    view: () => view,
    viewVersion: () => version,
    onViewChange (l) { listeners.add(l); return () => { listeners.delete(l) } },

    async putObject (obj, opts = {}): Promise<PutResult> {
      await storage()
      const key = safeKey(obj)
      const existing = findRecord(key)
      if (existing !== undefined && existing.origin !== siteId) throw originMismatch(obj.kind, key, existing.origin)
      const previousLocal = existing === undefined ? local.get(key) : undefined
      const intake = intakeForWrite({ obj, site: siteId, previous: existing ?? previousLocal, nowWall: now(), uid: randomUUID() })
      const residency = intake.type === 'workload' ? intake.record.residency : { kind: 'global' as const }
      const result: PutResult = { object: intake.type === 'workload' ? intake.record.manifest : intake.record.object, created: existing === undefined && previousLocal === undefined, changed: intake.changed, residency }
      if (opts.dryRun === true || !intake.changed) return result
      writes++
      let next: GlobalView = { ...view }
      if (intake.type === 'workload' && intake.record.residency.kind === 'local-only') {
        local.set(key, intake.record)
        next = { ...next, workloads: next.workloads.filter((w) => w.key !== key), stubs: [...next.stubs.filter((s) => s.id !== stubOf(intake.record).id), stubOf(intake.record)].sort(byString((s) => `${s.origin}/${s.id}`)) }
      } else if (intake.type === 'workload') {
        if (previousLocal !== undefined) {
          local.delete(key)
          next = { ...next, stubs: next.stubs.filter((s) => s.id !== stubOf(previousLocal).id) }
        }
        const prev = existing !== undefined && 'bindings' in existing ? existing : undefined
        next = { ...next, workloads: upsertWorkload(next.workloads, workloadView(intake.record, prev?.bindings ?? [], prev?.shares ?? [])) }
      } else {
        next = { ...next, policies: [...next.policies.filter((p) => p.key !== key), intake.record].sort(byString((p) => p.key)) }
      }
      publish({ ...next, sites: ownSiteHeads(next) })
      return result
    },

    async deleteObject (ref: ObjectRef, opts = {}) {
      const key = safeKey({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace === undefined ? {} : { namespace: ref.namespace }) } })
      const existing = findRecord(key)
      if (existing !== undefined && existing.origin !== siteId) throw originMismatch(ref.kind, key, existing.origin)
      const previousLocal = existing === undefined ? local.get(key) : undefined
      if (existing === undefined && previousLocal === undefined) return false
      if (opts.dryRun === true) return true
      writes++
      let next: GlobalView
      if (previousLocal !== undefined) {
        local.delete(key)
        next = { ...view, stubs: view.stubs.filter((s) => s.id !== stubOf(previousLocal).id) }
      } else {
        next = { ...view, workloads: view.workloads.filter((w) => w.key !== key), policies: view.policies.filter((p) => p.key !== key) }
      }
      placements.delete(key)
      publish({ ...next, sites: ownSiteHeads(next) })
      return true
    },

    getRecord (key) {
      const found = findRecord(key)
      if (found !== undefined) return found
      const l = local.get(key)
      return l === undefined ? undefined : { key: l.key, manifest: l.manifest, generation: l.generation, updatedAt: l.updatedAt }
    },
    localWorkloads (): LocalWorkloadRecord[] {
      return [...local.values()].sort(byString((r) => r.key)).map((r) => ({ key: r.key, manifest: r.manifest, generation: r.generation, updatedAt: r.updatedAt }))
    },
    placement: (key) => placements.get(key),
    localShares: (key) => localShareMap.get(key) ?? [],
    explain: (key) => (findRecord(key) === undefined && !local.has(key) ? undefined : `workload ${key}: ${placements.get(key)?.reason ?? 'not placed yet'}`),
    events: () => [],
    evidence: () => [],
    status (): SiteStatus {
      return { siteId, region, zone, peerId: `12D3KooW${siteId}`, startedAt: 0, peers, bootstrap: { documents: { have: 1, total: 1 }, changes: { have: 0, total: 0 } }, alarms: [] }
    },

    change (edit) { publish(edit(view)) },

    seedWorkload (origin, manifest, extra = {}) {
      const intake = intakeObject({ obj: manifest, site: origin, previous: undefined, nowWall: now(), uid: randomUUID() })
      if (intake.type !== 'workload') throw new Error(`seedWorkload: ${manifest.kind} is not a workload kind`)
      const w = workloadView(intake.record, extra.bindings ?? [], extra.shares ?? [])
      publish({ ...view, workloads: upsertWorkload(view.workloads, w) })
      return w
    },

    seedPolicy (origin, object) {
      const intake = intakeObject({ obj: object, site: origin, previous: undefined, nowWall: now(), uid: randomUUID() })
      if (intake.type !== 'policy') throw new Error(`seedPolicy: ${object.kind} is not a policy kind`)
      publish({ ...view, policies: [...view.policies.filter((p) => p.key !== intake.record.key), intake.record].sort(byString((p) => p.key)) })
      return intake.record
    },

    addSite (id, siteRegion, siteZone) {
      publish({ ...view, sites: [...view.sites.filter((s) => s.id !== id), siteView(id, siteRegion, siteZone ?? `${siteRegion}-a`)].sort(byString((s) => s.id)) })
    },

    addCluster (record) {
      const clusters = [...view.clusters.filter((c) => c.id !== record.id), record].sort(byString((c) => c.id))
      const sites = view.sites.map((s) => (s.id === record.site ? { ...s, clusters: [...new Set([...s.clusters, record.id])].sort() } : s))
      publish({ ...view, clusters, sites })
    },

    setShares (key, shares) {
      if (local.has(key)) {
        // A local-only workload's shares are not in the view; the site announces a new version.
        localShareMap.set(key, shares)
        publish({ ...view, sites: ownSiteHeads(view) })
        return
      }
      publish({ ...view, workloads: view.workloads.map((w) => (w.key === key ? workloadView(w, w.bindings, shares) : w)) })
    },

    setPlacement (key, placement) {
      if (placement === undefined) placements.delete(key)
      else placements.set(key, placement)
      // Controllers write what they decided into the site document: the view changes with it.
      publish({ ...view, sites: ownSiteHeads(view) })
    },

    setPeers (list) { peers = list },
    setWriteLatency (ms) { writeLatencyMs = ms },

    bulkLoad (items) {
      const byKey = new Map(view.workloads.map((w) => [w.key, w]))
      for (const i of items) byKey.set(i.record.key, workloadView(i.record, i.bindings ?? [], i.shares ?? []))
      publish({ ...view, workloads: [...byKey.values()].sort(byString((w) => w.key)) })
    }
  }
  return fake
}
