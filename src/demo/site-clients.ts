/**
 * Clients for the demo's sites, one per site, built from each site's admin kubeconfig
 * (the same credentials `kubectl` and `flotilla` use), and for its member clusters, from
 * the kubeconfigs the sites drive them with. A client is opened on
 * first use, because the kubeconfig exists only once the site was created (the
 * benchmark watches a demo another process is starting), and all are closed together.
 */
import { loadSiteConnection } from '../cli/client/kubeconfig.ts'
import { createSiteClient, type SiteClient } from '../cli/client/site-client.ts'
import { adminKubeconfig, type DemoLayout } from './layout.ts'

export interface DemoClients {
  /** The client of `siteId`; throws `config-not-found` while its kubeconfig does not exist yet. */
  get (siteId: string): Promise<SiteClient>
  /** A client of the member cluster `<site>.<name>` (its emulator), from the kubeconfig the site uses. */
  member (clusterId: string): Promise<SiteClient>
  close (): void
}

export function createDemoClients (layout: DemoLayout, options: { timeoutMs?: number } = {}): DemoClients {
  const clients = new Map<string, SiteClient>()
  async function open (key: string, kubeconfig: string): Promise<SiteClient> {
    const existing = clients.get(key)
    if (existing !== undefined) return existing
    const conn = await loadSiteConnection(kubeconfig)
    const raced = clients.get(key)
    if (raced !== undefined) return raced
    const client = createSiteClient(conn, { timeoutMs: options.timeoutMs ?? 5_000, userAgent: 'flotilla-demo' })
    clients.set(key, client)
    return client
  }
  return {
    async get (siteId) {
      const site = layout.sites.find((s) => s.id === siteId)
      if (site === undefined) throw new Error(`no site ${siteId} in the demo layout`)
      return await open(`site/${siteId}`, adminKubeconfig(site))
    },
    async member (clusterId) {
      const site = layout.sites.find((s) => clusterId.startsWith(`${s.id}.`))
      const cluster = site?.clusters.find((c) => `${site.id}.${c.name}` === clusterId)
      if (cluster === undefined) throw new Error(`no member cluster ${clusterId} in the demo layout`)
      return await open(`cluster/${clusterId}`, cluster.kubeconfigPath)
    },
    close () {
      for (const c of clients.values()) c.close()
      clients.clear()
    }
  }
}
