/**
 * The start-up milestones before the sample can run, each read from every site's API:
 * all peers connected and alive at every site (its status route, what `flotilla status`
 * shows), and every member cluster Ready in every site's view (its Cluster objects).
 * Each check is one look; the caller polls it.
 */
import { fetchStatus } from '../cli/client/flotilla-api.ts'
import type { DemoClients } from './site-clients.ts'
import type { DemoLayout } from './layout.ts'
import type { Observation } from './poll.ts'

/**
 * Every site is connected to every other one and judges it alive from its heartbeats (a
 * peer still `unknown` or `recovering` would count as unavailable to placement).
 */
export async function peersConnected (layout: DemoLayout, clients: DemoClients): Promise<Observation<void>> {
  const want = layout.sites.length - 1
  const counts = await Promise.all(layout.sites.map(async (s) => {
    const status = await fetchStatus(await clients.get(s.id))
    return { site: s.id, alive: status.peers.filter((p) => p.connected && p.liveness === 'alive').length }
  }))
  const short = counts.filter((c) => c.alive < want)
  return short.length === 0
    ? { done: true, detail: `every site sees its ${want} peers connected and alive` }
    : { done: false, detail: short.map((c) => `${c.site} ${c.alive}/${want} peers alive`).join(', ') }
}

interface ClusterList { items?: Array<{ metadata: { name: string }, status?: { health?: string } }> }

/**
 * Every member cluster is Ready as *every* site's view has it (the Cluster objects of its
 * API), not only at its owner: a site that still holds an owner's first `Unknown` report
 * would place the sample around that cluster.
 */
export async function clustersReady (layout: DemoLayout, clients: DemoClients): Promise<Observation<void>> {
  const total = layout.sites.reduce((n, s) => n + s.clusters.length, 0)
  const seen = await Promise.all(layout.sites.map(async (s) => {
    const list = await (await clients.get(s.id)).get<ClusterList>(CLUSTERS_PATH)
    const ready = (list.items ?? []).filter((c) => c.status?.health === 'Ready').map((c) => c.metadata.name)
    return { site: s.id, ready }
  }))
  const lagging = seen.filter((s) => s.ready.length < total)
  return lagging.length === 0
    ? { done: true, detail: `${total} of ${total} member clusters Ready, as every site sees them` }
    : { done: false, detail: lagging.map((s) => `${s.site} sees ${s.ready.length}/${total} Ready`).join(', ') }
}

const CLUSTERS_PATH = '/apis/cluster.flotilla.io/v1alpha1/clusters'
