/**
 * Test data for the document tests, the view tests and the store benchmark: site infos,
 * clusters, Deployment manifests and the records built on them, and a helper that
 * creates an initialised site document with a deterministic actor.
 */
import * as Automerge from '@automerge/automerge'
import type {
  Binding, ClusterRecord, PolicyRecord, ShareStatus, SiteId, SiteInfo, WorkloadRecord
} from '../../../src/model/federation.ts'
import { workloadKey, type KubeObject } from '../../../src/model/kube.ts'
import { zeroResources, type Resources } from '../../../src/model/resources.ts'
import { initSiteDoc, type SiteDoc } from '../../../src/store/docs/site-doc.ts'

export function siteInfo (id: SiteId): SiteInfo {
  return {
    id, region: `region-${id}`, zone: `${id}-a`, publicKey: 'ab'.repeat(32), peerId: `12D3KooW${id}`,
    endpoints: { p2p: [`/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW${id}`], api: 'https://127.0.0.1:6443' }
  }
}

export function resources (cpuMilli: number, memoryGi: number): Resources {
  return { ...zeroResources(), cpuMilli, memoryBytes: memoryGi * 2 ** 30, pods: 110 }
}

export function cluster (site: SiteId, name: string, overrides: Partial<ClusterRecord> = {}): ClusterRecord {
  return {
    id: `${site}.${name}`, site, name, mode: 'push', provider: 'on-prem', region: `region-${site}`, zone: `${site}-a`,
    labels: { env: 'prod' }, taints: [], health: 'Ready', conditions: [{ type: 'Ready', status: 'True' }], healthSince: 1000,
    capacity: resources(16000, 64), allocatable: resources(15000, 60), allocated: resources(2000, 8),
    nodeFree: [resources(4000, 16), resources(3000, 12)], nodes: { total: 4, ready: 4 },
    ...overrides
  }
}

export interface DeploymentOptions {
  namespace?: string
  replicas?: number
  image?: string
  env?: Record<string, string>
  cpu?: string
  memory?: string
}

export function deployment (name: string, opts: DeploymentOptions = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: opts.namespace ?? 'shop', labels: { app: name, team: 'platform' } },
    spec: {
      replicas: opts.replicas ?? 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{
            name: 'main',
            image: opts.image ?? `registry.example.com/${name}:1.4.2`,
            ports: [{ containerPort: 8080 }],
            env: Object.entries(opts.env ?? { MODE: 'production' }).map(([k, v]) => ({ name: k, value: v })),
            resources: { requests: { cpu: opts.cpu ?? '250m', memory: opts.memory ?? '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } }
          }]
        }
      }
    }
  }
}

export function workload (site: SiteId, name: string, opts: DeploymentOptions & Partial<Pick<WorkloadRecord, 'residency' | 'generation'>> = {}): WorkloadRecord {
  const manifest = deployment(name, opts)
  return {
    key: workloadKey(manifest), origin: site, residency: opts.residency ?? { kind: 'global' }, stateless: true,
    manifest, generation: opts.generation ?? 1, updatedAt: 5000
  }
}

export function binding (site: SiteId, workload: string, placement: Array<[string, number]>): Binding {
  return {
    workload, placement: placement.map(([cluster, replicas]) => ({ cluster, replicas })), decidedBy: site, generation: 1,
    inputHeads: 'h1', policy: 'policy.flotilla.io/PropagationPolicy/shop/spread', reason: 'spread over 2 clusters', decidedAt: 6000
  }
}

export function share (workload: string, cluster: string, ready: number, desired = ready): ShareStatus {
  return { workload, cluster, desired, ready, available: ready, conditions: [{ type: 'Available', status: 'True' }], observedGeneration: 1 }
}

export function policy (site: SiteId, name: string): PolicyRecord {
  const object: KubeObject = {
    apiVersion: 'policy.flotilla.io/v1alpha1', kind: 'PropagationPolicy', metadata: { name, namespace: 'shop' },
    spec: { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }], placement: { replicaScheduling: { replicaSchedulingType: 'Divided' } } }
  }
  return { key: workloadKey(object), kind: 'PropagationPolicy', origin: site, object, generation: 1, updatedAt: 5000 }
}

/** A deterministic actor id (hex) per site, so tests replay identically. */
export function actorFor (site: SiteId, n = 0): string {
  return Buffer.from(`${site}/${n}`.padEnd(16, '.')).subarray(0, 16).toString('hex')
}

/** An initialised site document with the given site's info. */
export function newSiteDoc (site: SiteId): Automerge.Doc<SiteDoc> {
  return Automerge.change(Automerge.init<SiteDoc>({ actor: actorFor(site) }), { time: 0 }, (d) => { initSiteDoc(d, siteInfo(site)) })
}

/** Applies `fn` in one change (time fixed to 0 so bytes are deterministic). */
export function edit (doc: Automerge.Doc<SiteDoc>, fn: (d: SiteDoc) => void): Automerge.Doc<SiteDoc> {
  return Automerge.change(doc, { time: 0 }, fn)
}
