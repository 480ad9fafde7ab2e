/**
 * A federation of real site processes whose member clusters are Kubernetes emulators
 * running in the test process, for the end-to-end failover, partition and propagation
 * tests. Each site is laid out with `prepareLocalFederation` and started as its own
 * process (test/support/site-process.ts); each of its clusters is a `startKubeEmulator`
 * wired as a push-mode cluster through a kubeconfig file. The emulators are the ground
 * truth: the tests read pods and applied objects from their models, never from a site.
 *
 * "Ready" as the tests count it: a workload's ready replicas are the Ready, non-terminating
 * pods it owns in the emulators of the sites whose process is running. A SIGKILLed
 * site's emulator keeps running its pods, but nobody in the federation can manage or vouch
 * for them any more (in production the failure usually takes the site's clusters with it),
 * so they do not count until the site's process is back. Everything is bounded and
 * `close()` stops processes and emulators even after a failed start.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { prepareLocalFederation, type LocalSite } from '../../src/runtime/local-federation.ts'
import type { SiteConfigInput } from '../../src/config/schema.ts'
import type { KubeObject } from '../../src/model/kube.ts'
import { mustResource, startKubeEmulator, uniformNodes, type KubeEmulator, type NodeSpec } from '../../sim/kube/index.ts'
import { eventually, killAll, startSiteProcess, type SiteProcess } from './processes.ts'
import { freePorts } from './ports.ts'

const PODS = mustResource('v1', 'Pod')
const DEPLOYMENTS = mustResource('apps/v1', 'Deployment')

export interface EmulatedClusterSpec {
  name: string
  /** Default: the site's region. */
  region?: string
  zone?: string
  labels?: Record<string, string>
  /** Default: 2 nodes of 8 cpu. */
  nodes?: readonly NodeSpec[]
  /** From a pod's binding to Ready. Default 300 ms, so a replacement is never Ready at once. */
  readyDelayMs?: number
}

export interface FederationSiteSpec {
  id: string
  region: string
  zone?: string
  /** A count (clusters c1..cK with defaults) or explicit specs. Default 1. */
  clusters?: number | readonly EmulatedClusterSpec[]
  /** Serve the Kubernetes-compatible API (admin kubeconfig in `site(id).kubeconfig`). */
  api?: boolean
  /** False: a roster member whose key the test holds, never started (e.g. a Byzantine member). */
  start?: boolean
}

export interface ClusterFederationOptions {
  sites: readonly FederationSiteSpec[]
  failover: NonNullable<SiteConfigInput['failover']>
  /** Temp directory prefix. */
  name?: string
}

export interface EmulatedCluster {
  /** `<site>.<name>`, the federation's cluster id. */
  id: string
  site: string
  name: string
  region: string
  emulator: KubeEmulator
  /** Names (namespace/name) of every Deployment this cluster ever held. */
  everHeld: Set<string>
  /** Per Deployment (namespace/name): when (wall ms) it was created and deleted here. */
  churn: Map<string, { created: number[], deleted: number[] }>
}

export interface FederationSite {
  id: string
  layout: LocalSite
  clusters: EmulatedCluster[]
  /** The running process; undefined while killed or for a member that is never started. */
  process: SiteProcess | undefined
  /** Admin kubeconfig, when the site serves the API. */
  kubeconfig: string | undefined
}

/** Per cluster id: pods a Deployment owns there (non-terminating) and how many are Ready. */
export type DeploymentCounts = Map<string, { desired: number, pods: number, ready: number }>

export interface ClusterFederation {
  dir: string
  sites: Map<string, FederationSite>
  clusters: EmulatedCluster[]
  site (id: string): FederationSite
  proc (id: string): SiteProcess
  live (id: string): boolean
  /** SIGKILLs the site's process and waits for it to exit; its emulators keep running. */
  kill (id: string): Promise<void>
  /** Starts the site's process again from its config and data. */
  restart (id: string): Promise<SiteProcess>
  /** Cuts every link between `id` and the other running sites (both ends refuse at the gater). */
  isolate (id: string): Promise<void>
  heal (id: string): Promise<void>
  /** Writes an object at a site through its control channel (the site becomes its origin). */
  put (id: string, object: KubeObject): Promise<void>
  /** A Deployment's counts per cluster, read from the emulators (all of them, live or not). */
  deployment (name: string, namespace?: string): DeploymentCounts
  /** Ready pods of a Deployment in the clusters of running sites. */
  readyLive (name: string, namespace?: string): number
  /** The non-terminating pods a Deployment owns in one cluster, with their images and readiness. */
  pods (clusterId: string, name: string, namespace?: string): Array<{ name: string, images: string[], ready: boolean, phase: string, node: string }>
  /** The Deployment object a cluster holds, as the site applied it. */
  appliedObject (clusterId: string, name: string, namespace?: string): KubeObject | undefined
  /** Waits until every started site sees every other as alive. */
  waitAllAlive (timeoutMs: number): Promise<boolean>
  close (): Promise<void>
}

const DEFAULT_NODES = uniformNodes({ count: 2, cpu: 8, memory: '32Gi' })

function clusterSpecs (spec: FederationSiteSpec): EmulatedClusterSpec[] {
  const c = spec.clusters ?? 1
  return typeof c === 'number' ? Array.from({ length: c }, (_, i) => ({ name: `c${i + 1}` })) : [...c]
}

function podReady (pod: KubeObject): boolean {
  const conditions = (pod.status as { conditions?: Array<{ type?: string, status?: string }> } | undefined)?.conditions ?? []
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True')
}

function podOwner (pod: KubeObject): string | undefined {
  const refs = (pod.metadata as { ownerReferences?: Array<{ kind: string, name: string, controller?: boolean }> }).ownerReferences ?? []
  return refs.find((r) => r.kind === 'Deployment')?.name
}

export async function startClusterFederation (options: ClusterFederationOptions): Promise<ClusterFederation> {
  const dir = await mkdtemp(join(tmpdir(), `flotilla-${options.name ?? 'fed'}-`))
  const clusters: EmulatedCluster[] = []
  const sites = new Map<string, FederationSite>()
  let closed = false

  async function close (): Promise<void> {
    if (closed) return
    closed = true
    await Promise.all([...sites.values()].map(async (s) => {
      const p = s.process
      s.process = undefined
      if (p === undefined) return
      await p.call('stop', {}, 10_000).catch(() => undefined)
    }))
    killAll()
    await Promise.all(clusters.map(async (c) => { await c.emulator.close().catch(() => undefined) }))
    await rm(dir, { recursive: true, force: true }).catch(() => undefined)
  }

  try {
    // Emulators first: a site's config names their kubeconfig files.
    const byId = new Map<string, EmulatedCluster[]>()
    for (const s of options.sites) {
      const own: EmulatedCluster[] = []
      for (const c of clusterSpecs(s)) {
        const id = `${s.id}.${c.name}`
        const emulator = await startKubeEmulator({
          name: id, nodes: c.nodes ?? DEFAULT_NODES, readyDelayMs: c.readyDelayMs ?? 300,
          adminPort: false, recordEvents: false, kubeconfigPath: join(dir, 'kubeconfigs', `${id}.yaml`)
        })
        const cluster: EmulatedCluster = { id, site: s.id, name: c.name, region: c.region ?? s.region, emulator, everHeld: new Set(), churn: new Map() }
        emulator.model.onChange((e) => {
          if (e.resource !== DEPLOYMENTS || e.type === 'MODIFIED') return
          const name = `${e.object.metadata.namespace ?? ''}/${e.object.metadata.name}`
          const times = cluster.churn.get(name) ?? { created: [], deleted: [] }
          cluster.churn.set(name, times)
          if (e.type === 'ADDED') { cluster.everHeld.add(name); times.created.push(Date.now()) } else times.deleted.push(Date.now())
        })
        clusters.push(cluster)
        own.push(cluster)
      }
      byId.set(s.id, own)
    }
    const ports = await freePorts(options.sites.length * 2)
    const layout = await prepareLocalFederation(dir, options.sites.map((s, i) => ({
      id: s.id, region: s.region, p2pPort: ports[2 * i]!,
      ...(s.zone === undefined ? {} : { zone: s.zone }),
      ...(s.api === true ? { apiPort: ports[2 * i + 1]! } : {}),
      failover: options.failover,
      log: { level: 'warn' as const },
      clusters: clusterSpecs(s).map((c) => ({
        name: c.name, mode: 'push' as const, kubeconfig: join(dir, 'kubeconfigs', `${s.id}.${c.name}.yaml`),
        ...(c.region === undefined ? {} : { region: c.region }),
        ...(c.zone === undefined ? {} : { zone: c.zone }),
        ...(c.labels === undefined ? {} : { labels: c.labels })
      }))
    })))
    options.sites.forEach((s, i) => {
      const l = layout[i]!
      sites.set(s.id, { id: s.id, layout: l, clusters: byId.get(s.id) ?? [], process: undefined, kubeconfig: l.kubeconfig?.admin })
    })
    const started = await Promise.all(options.sites.filter((s) => s.start !== false).map(async (s) => await startSiteProcess(s.id, sites.get(s.id)!.layout.configPath, 60_000)))
    for (const p of started) sites.get(p.id)!.process = p
  } catch (e) {
    await close()
    throw e
  }

  function site (id: string): FederationSite {
    const s = sites.get(id)
    if (s === undefined) throw new Error(`no site ${id} in this federation`)
    return s
  }

  function proc (id: string): SiteProcess {
    const p = site(id).process
    if (p === undefined) throw new Error(`site ${id} is not running`)
    return p
  }

  function clusterOf (id: string): EmulatedCluster {
    const c = clusters.find((x) => x.id === id)
    if (c === undefined) throw new Error(`no cluster ${id} in this federation`)
    return c
  }

  function running (): FederationSite[] {
    return [...sites.values()].filter((s) => s.process !== undefined)
  }

  function deployment (name: string, namespace = 'default'): DeploymentCounts {
    const out: DeploymentCounts = new Map()
    for (const c of clusters) {
      const d = c.emulator.model.store.get(DEPLOYMENTS, namespace, name)
      let pods = 0
      let ready = 0
      for (const p of c.emulator.model.store.list(PODS, namespace)) {
        if (podOwner(p) !== name || p.metadata.deletionTimestamp !== undefined) continue
        pods++
        if (podReady(p)) ready++
      }
      if (d === undefined && pods === 0) continue
      const replicas = (d?.spec as { replicas?: unknown } | undefined)?.replicas
      out.set(c.id, { desired: d === undefined ? 0 : typeof replicas === 'number' ? replicas : 1, pods, ready })
    }
    return out
  }

  return {
    dir,
    sites,
    clusters,
    site,
    proc,
    live: (id) => site(id).process !== undefined,

    async kill (id) {
      const p = proc(id)
      site(id).process = undefined
      p.kill()
      await p.exited
    },

    async restart (id) {
      const s = site(id)
      if (s.process !== undefined) throw new Error(`site ${id} is already running`)
      const p = await startSiteProcess(id, s.layout.configPath, 60_000)
      s.process = p
      return p
    },

    async isolate (id) {
      const others = running().filter((s) => s.id !== id)
      await proc(id).call('block', { peers: others.map((s) => s.process!.peerId) })
      for (const o of others) await o.process!.call('block', { peers: [proc(id).peerId] })
    },

    async heal (id) {
      const others = running().filter((s) => s.id !== id)
      for (const o of others) await o.process!.call('unblock', { peers: [proc(id).peerId], addresses: [site(id).layout.p2pAddress] })
      await proc(id).call('unblock', { peers: others.map((s) => s.process!.peerId), addresses: others.map((s) => s.layout.p2pAddress) })
    },

    async put (id, object) {
      await proc(id).call('put', { object })
    },

    deployment,

    readyLive (name, namespace) {
      let n = 0
      for (const [cid, counts] of deployment(name, namespace)) {
        const owner = clusters.find((c) => c.id === cid)!.site
        if (site(owner).process !== undefined) n += counts.ready
      }
      return n
    },

    pods (clusterId, name, namespace = 'default') {
      return clusterOf(clusterId).emulator.model.store.list(PODS, namespace)
        .filter((p) => podOwner(p) === name && p.metadata.deletionTimestamp === undefined)
        .map((p) => ({
          name: p.metadata.name,
          images: ((p.spec as { containers?: Array<{ image?: string }> } | undefined)?.containers ?? []).map((c) => c.image ?? ''),
          ready: podReady(p),
          phase: String((p.status as { phase?: unknown } | undefined)?.phase ?? ''),
          node: String((p.spec as { nodeName?: unknown } | undefined)?.nodeName ?? '')
        }))
    },

    appliedObject (clusterId, name, namespace = 'default') {
      return clusterOf(clusterId).emulator.model.store.get(DEPLOYMENTS, namespace, name)
    },

    async waitAllAlive (timeoutMs) {
      return await eventually(async () => {
        const stats = await Promise.all(running().map(async (s) => await s.process!.call<{ status: { peers: Array<{ siteId: string, liveness: string }> } }>('stats')))
        const up = new Set(running().map((s) => s.id))
        return stats.every((st) => st.status.peers.filter((p) => up.has(p.siteId)).every((p) => p.liveness === 'alive'))
      }, timeoutMs, 200)
    },

    close
  }
}
