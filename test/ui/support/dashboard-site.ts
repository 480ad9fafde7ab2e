/**
 * A federation for the dashboard's tests and benchmark, on the API tests' in-memory
 * SiteHandle (test/api/support/fake-site.ts): this site `eu-west` and its peers
 * `ap-southeast` and `us-east`, two clusters each (one with GPUs and vGPU), a sample
 * application spread over the three regions, a region-restricted workload, a local-only
 * one, events in the view and in this site's own log, Byzantine evidence, and
 * `metrics()`. `failSite` plays a failover the way the real site would show it, and
 * `bulk` adds thousands of workloads (and sites) for the large-view cases.
 */
import type {
  Binding, ClusterRecord, EvidenceRecord, FederationEvent, ShareStatus, WorkloadRecord
} from '../../../src/model/federation.ts'
import type { KubeObject } from '../../../src/model/kube.ts'
import { zeroResources, type Resources } from '../../../src/model/resources.ts'
import type { PeerStatus, SiteMetrics } from '../../../src/site/site-handle.ts'
import { intakeObject } from '../../../src/site/object-intake.ts'
import { createFakeSite, type FakeSite } from '../../api/support/fake-site.ts'
import { deployment } from '../../api/support/manifests.ts'

export const SELF = 'eu-west'
export const PEERS = ['ap-southeast', 'us-east'] as const
export const SITES = [SELF, ...PEERS] as const
const T0 = 1_760_000_000_000

export interface DashboardSite extends FakeSite {
  /** Adds an event to this site's own log (and, with `replicated`, to the view as well). */
  addOwnEvent (event: Omit<FederationEvent, 'id' | 'site'>, replicated?: boolean): FederationEvent
  /** Adds another site's event, as replication would. */
  addPeerEvent (site: string, event: Omit<FederationEvent, 'id' | 'site'>): FederationEvent
  addEvidence (record: EvidenceRecord, own?: boolean): void
  setMetrics (m: SiteMetrics | undefined): void
  /** `site` stops heartbeating: it is failed, its clusters' shares move to this site's clusters (events at `at`, default now). */
  failSite (site: string, at?: number): void
  /** Adds `count` workloads spread over the sites (and `extraSites` more sites with two clusters each). */
  bulk (count: number, extraSites?: number): void
}

function resources (cpuMilli: number, memoryGi: number, pods: number, gpu = 0, vgpuCores = 0, vgpuMemoryMiB = 0): Resources {
  return { ...zeroResources(), cpuMilli, memoryBytes: memoryGi * 2 ** 30, pods, gpu, vgpuCores, vgpuMemoryMiB }
}

export function cluster (site: string, name: string, region: string, opts: { gpu?: boolean, health?: ClusterRecord['health'], load?: number } = {}): ClusterRecord {
  const load = opts.load ?? 0.4
  const gpu = opts.gpu === true
  const allocatable = resources(32_000, 128, 220, gpu ? 8 : 0, gpu ? 800 : 0, gpu ? 8 * 24_576 : 0)
  const allocated = resources(Math.round(32_000 * load), Math.round(128 * load * 0.8), Math.round(220 * load * 0.5), gpu ? 5 : 0, gpu ? 430 : 0, gpu ? 3 * 24_576 : 0)
  return {
    id: `${site}.${name}`, site, name, mode: 'push', provider: gpu ? 'gpu-cloud' : 'on-prem', region, zone: `${region}-a`,
    labels: { env: 'prod' }, taints: [], health: opts.health ?? 'Ready', conditions: [{ type: 'Ready', status: 'True' }], healthSince: T0,
    capacity: allocatable, allocatable, allocated, nodeFree: [resources(4000, 16, 50)], nodes: { total: 4, ready: opts.health === 'NotReady' ? 0 : 4 }
  }
}

export function workloadRecord (origin: string, manifest: KubeObject, i = 0): WorkloadRecord {
  const intake = intakeObject({ obj: manifest, site: origin, previous: undefined, nowWall: T0 + i, uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` })
  if (intake.type !== 'workload') throw new Error('not a workload')
  return intake.record
}

export function binding (workload: string, origin: string, placement: Array<[string, number]>, generation = 1): Binding {
  return {
    workload, decidedBy: origin, generation, inputHeads: 'h', policy: 'web-spread',
    placement: placement.map(([cluster, replicas]) => ({ cluster, replicas })),
    reason: `divided over ${placement.length} clusters`, decidedAt: T0
  }
}

export function shareOf (workload: string, cluster: string, ready: number, desired = ready, generation = 1): ShareStatus {
  return { workload, cluster, desired, ready, available: ready, conditions: [], observedGeneration: generation }
}

function peer (siteId: string, liveness: string, connected: boolean, agoMs: number): PeerStatus {
  return { siteId, peerId: `12D3KooW${siteId}`, connected, liveness, lastHeartbeatAgoMs: agoMs, behind: 0, bytesIn: 120_000, bytesOut: 98_000 }
}

const REGION: Record<string, string> = { 'eu-west': 'eu-west', 'ap-southeast': 'ap-southeast', 'us-east': 'us-east' }

export function createDashboardSite (): DashboardSite {
  const fake = createFakeSite({ siteId: SELF, region: 'eu-west', zone: 'eu-west-a', now: () => T0 + 60_000 })
  const ownEvents: FederationEvent[] = []
  const ownEvidence: EvidenceRecord[] = []
  let eventSeq = 0

  for (const p of PEERS) fake.addSite(p, REGION[p] as string)
  fake.change((v) => ({ ...v, federation: { ...v.federation, members: SITES.map((s) => ({ siteId: s, publicKey: 'ab'.repeat(32), region: REGION[s] as string })) } }))
  fake.addCluster(cluster(SELF, 'main', 'eu-west'))
  fake.addCluster(cluster(SELF, 'gpu', 'eu-west', { gpu: true, load: 0.7 }))
  fake.addCluster(cluster('ap-southeast', 'main', 'ap-southeast', { load: 0.55 }))
  fake.addCluster(cluster('ap-southeast', 'edge', 'ap-southeast', { load: 0.92 }))
  fake.addCluster(cluster('us-east', 'main', 'us-east', { load: 0.3 }))
  fake.addCluster(cluster('us-east', 'batch', 'us-east', { load: 0.8 }))
  fake.setPeers([peer('ap-southeast', 'alive', true, 800), peer('us-east', 'alive', true, 1200)])

  // The sample application: web (Deployment, Service, Ingress) spread over three regions.
  const web = deployment('web', { namespace: 'shop', replicas: 6 })
  const webKey = 'apps/Deployment/shop/web'
  const webPlan: Array<[string, number]> = [['ap-southeast.main', 2], ['eu-west.main', 2], ['us-east.main', 2]]
  fake.bulkLoad([
    { record: workloadRecord(SELF, web, 1), bindings: [binding(webKey, SELF, webPlan)], shares: webPlan.map(([c, n]) => shareOf(webKey, c, n)) },
    {
      record: workloadRecord(SELF, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }, 2),
      bindings: [binding('core/Service/shop/web', SELF, webPlan.map(([c]) => [c, 1]))],
      shares: webPlan.map(([c]) => shareOf('core/Service/shop/web', c, 1))
    },
    {
      record: workloadRecord(SELF, deployment('ledger', { namespace: 'finance', replicas: 2, annotations: { 'flotilla.io/residency': 'regions=eu-west' } }), 3),
      bindings: [binding('apps/Deployment/finance/ledger', SELF, [['eu-west.main', 2]])],
      shares: [shareOf('apps/Deployment/finance/ledger', 'eu-west.main', 2)]
    },
    {
      record: workloadRecord('ap-southeast', deployment('catalog', { namespace: 'shop', replicas: 4 }), 4),
      bindings: [binding('apps/Deployment/shop/catalog', 'ap-southeast', [['ap-southeast.edge', 2], ['us-east.batch', 2]])],
      shares: [shareOf('apps/Deployment/shop/catalog', 'ap-southeast.edge', 2), shareOf('apps/Deployment/shop/catalog', 'us-east.batch', 1, 2)]
    },
    {
      record: workloadRecord('us-east', deployment('inference', { namespace: 'ml', replicas: 2 }), 5),
      bindings: [{ ...binding('apps/Deployment/ml/inference', 'us-east', []), degraded: 'unsatisfiable: no cluster has 4 free GPUs' }],
      shares: []
    }
  ])
  fake.setPlacement(webKey, { assignments: webPlan.map(([cluster, replicas]) => ({ cluster, replicas })), mode: 'planned', reason: 'the origin binding, all clusters available' })

  function nextId (site: string): string {
    eventSeq++
    return `${site}-${String(eventSeq).padStart(6, '0')}`
  }

  const site: DashboardSite = Object.assign(fake, {
    events: () => [...ownEvents],
    evidence: () => [...ownEvidence],
    addOwnEvent (event: Omit<FederationEvent, 'id' | 'site'>, replicated = true): FederationEvent {
      const e: FederationEvent = { ...event, id: nextId(SELF), site: SELF, seq: eventSeq }
      ownEvents.push(e)
      if (replicated) fake.change((v) => ({ ...v, events: [...v.events, e].sort((a, b) => a.at - b.at) }))
      else fake.change((v) => ({ ...v }))
      return e
    },

    addPeerEvent (peerSite: string, event: Omit<FederationEvent, 'id' | 'site'>): FederationEvent {
      const e: FederationEvent = { ...event, id: nextId(peerSite), site: peerSite, seq: eventSeq }
      fake.change((v) => ({ ...v, events: [...v.events, e].sort((a, b) => a.at - b.at) }))
      return e
    },

    addEvidence (record: EvidenceRecord, own = true): void {
      if (own) ownEvidence.push(record)
      fake.change((v) => ({ ...v, evidence: [...v.evidence, record] }))
    },

    setMetrics (m: SiteMetrics | undefined): void {
      if (m === undefined) delete site.metrics
      else site.metrics = () => m
    },

    failSite (failed: string, at = Date.now()): void {
      fake.setPeers(fake.status().peers.map((p) => (p.siteId === failed ? { ...p, liveness: 'failed', connected: false, lastHeartbeatAgoMs: 45_000 } : p)))
      fake.change((v) => ({ ...v, clusters: v.clusters.map((c) => (c.site === failed ? { ...c, health: 'Unknown' as const } : c)) }))
      const moved: NonNullable<FederationEvent['moved']> = []
      for (const w of fake.view().workloads) {
        const lost = w.shares.filter((s) => s.cluster.startsWith(`${failed}.`))
        if (lost.length === 0 || !w.stateless) continue
        const n = lost.reduce((sum, s) => sum + s.desired, 0)
        moved.push({ workload: w.key, from: lost.map((s) => s.cluster), to: [`${SELF}.main`] })
        const kept = w.shares.filter((s) => !s.cluster.startsWith(`${failed}.`))
        const mine = kept.find((s) => s.cluster === `${SELF}.main`)
        const rest = kept.filter((s) => s.cluster !== `${SELF}.main`)
        fake.setShares(w.key, [...rest, shareOf(w.key, `${SELF}.main`, (mine?.ready ?? 0) + n, (mine?.desired ?? 0) + n)])
      }
      site.addOwnEvent({ kind: 'site-failed', at, subject: failed, cause: 'no heartbeat for 30 s' })
      site.addOwnEvent({ kind: 'migration', at: at + 1000, subject: failed, cause: `site ${failed} failed: stateless workloads moved to ${SELF}`, moved })
    },

    bulk (count: number, extraSites = 0): void {
      const origins: string[] = [...SITES]
      const peers = [...fake.status().peers]
      for (let s = 0; s < extraSites; s++) {
        const id = `site-${String(s).padStart(2, '0')}`
        const region = `region-${s % 10}`
        fake.addSite(id, region)
        // Mostly alive; a few suspect and one failed, as a large federation usually is.
        peers.push(peer(id, s === 13 ? 'failed' : s % 16 === 5 ? 'suspect' : 'alive', s !== 13, s === 13 ? 95_000 : 500 + 37 * s))
        fake.addCluster(cluster(id, 'c0', region, { load: (s % 10) / 10 }))
        fake.addCluster(cluster(id, 'c1', region, { load: 0.5 }))
        origins.push(id)
      }
      if (extraSites > 0) {
        fake.setPeers(peers)
        fake.change((v) => ({ ...v, federation: { ...v.federation, members: [...v.federation.members, ...peers.filter((p) => !v.federation.members.some((m) => m.siteId === p.siteId)).map((p) => ({ siteId: p.siteId, publicKey: 'ab'.repeat(32), region: v.sites.find((x) => x.id === p.siteId)?.info?.region ?? 'unknown' }))] } }))
      }
      const clusters = fake.view().clusters.map((c) => c.id)
      const items: Array<{ record: WorkloadRecord, bindings: Binding[], shares: ShareStatus[] }> = []
      for (let i = 0; i < count; i++) {
        const origin = origins[i % origins.length] as string
        const replicas = 1 + (i % 5)
        const record = workloadRecord(origin, deployment(`app-${String(i).padStart(5, '0')}`, { namespace: `team-${i % 40}`, replicas }), 100 + i)
        const a = clusters[i % clusters.length] as string
        const b = clusters[(i * 7 + 3) % clusters.length] as string
        const plan: Array<[string, number]> = a === b ? [[a, replicas]] : [[a, Math.ceil(replicas / 2)], [b, Math.floor(replicas / 2)]]
        const degraded = i % 97 === 0
        items.push({
          record,
          bindings: [binding(record.key, origin, plan.filter(([, n]) => n > 0))],
          shares: plan.filter(([, n]) => n > 0).map(([c, n]) => shareOf(record.key, c, degraded ? n - 1 : n, n))
        })
      }
      fake.bulkLoad(items)
    }
  })
  return site
}
