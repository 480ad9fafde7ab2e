/**
 * The shape of the `npm start` federation as plain data: which sites run (three regions),
 * which emulated member clusters each owns (a plain one and one with GPU nodes), every
 * port (fixed offsets from one base port, so URLs stay the same across runs and one flag
 * moves them all), and where each file lives under the demo directory. Pure: nothing is
 * created or opened here.
 */
import { join } from 'node:path'
import type { SiteConfigInput } from '../config/schema.ts'

/** The base port when neither `--base-port` nor an earlier run chose one. */
export const DEFAULT_BASE_PORT = 7400
/** Each site gets this many consecutive ports from `basePort + index * PORTS_PER_SITE`. */
export const PORTS_PER_SITE = 10
/** Milliseconds from a pod's binding to Ready in the emulated clusters, so starting takes a visible moment. */
export const DEFAULT_READY_DELAY_MS = 1000

/** Cluster label the sample's policies select on: `general` or `gpu`. */
export const POOL_LABEL = 'flotilla.io/pool'

/** Offsets inside a site's block of ports. The dashboard comes first: it is what people open. */
const OFFSET = { dashboard: 0, api: 1, p2p: 2, clusterApi: 3, clusterAdmin: 5 } as const

export interface DemoClusterSpec {
  /** Cluster name at its site (its global id is `<site>.<name>`). */
  name: string
  nodes: number
  gpuNodes: number
  gpusPerNode: number
  labels: Record<string, string>
  port: number
  adminPort: number
  kubeconfigPath: string
}

export interface DemoSiteSpec {
  id: string
  region: string
  index: number
  dir: string
  configPath: string
  logPath: string
  ports: { dashboard: number, api: number, p2p: number }
  clusters: DemoClusterSpec[]
}

export interface DemoLayout {
  dir: string
  basePort: number
  host: string
  /** Where the demo remembers its base port between runs. */
  statePath: string
  sites: DemoSiteSpec[]
  /** The site the sample application is applied at (its origin). */
  originSite: string
  readyDelayMs: number
  failover?: SiteConfigInput['failover']
}

export interface DemoLayoutOptions {
  dir: string
  basePort?: number
  readyDelayMs?: number
  /** Failover timings for every site; unset keeps the documented defaults (docs/failover.md). */
  failover?: SiteConfigInput['failover']
}

/** The three regions of the demo, in port order. */
export const DEMO_SITES: ReadonlyArray<{ id: string, region: string }> = [
  { id: 'eu-west', region: 'eu-west' },
  { id: 'ap-southeast', region: 'ap-southeast' },
  { id: 'us-east', region: 'us-east' }
]

/** The highest port the layout uses for `basePort`. */
export function lastPort (basePort: number): number {
  return basePort + (DEMO_SITES.length - 1) * PORTS_PER_SITE + OFFSET.clusterAdmin + 1
}

export function demoLayout (options: DemoLayoutOptions): DemoLayout {
  const basePort = options.basePort ?? DEFAULT_BASE_PORT
  const sites = DEMO_SITES.map((s, index): DemoSiteSpec => {
    const base = basePort + index * PORTS_PER_SITE
    const dir = join(options.dir, s.id)
    const cluster = (name: string, i: number, gpu: boolean): DemoClusterSpec => ({
      name,
      nodes: gpu ? 2 : 3,
      gpuNodes: gpu ? 2 : 0,
      gpusPerNode: gpu ? 4 : 0,
      labels: { [POOL_LABEL]: gpu ? 'gpu' : 'general' },
      port: base + OFFSET.clusterApi + i,
      adminPort: base + OFFSET.clusterAdmin + i,
      kubeconfigPath: join(dir, 'clusters', `${name}.kubeconfig`)
    })
    return {
      id: s.id,
      region: s.region,
      index,
      dir,
      configPath: join(dir, 'site.yaml'),
      logPath: join(dir, 'site.log'),
      ports: { dashboard: base + OFFSET.dashboard, api: base + OFFSET.api, p2p: base + OFFSET.p2p },
      clusters: [cluster('main', 0, false), cluster('gpu', 1, true)]
    }
  })
  const layout: DemoLayout = {
    dir: options.dir,
    basePort,
    host: '127.0.0.1',
    statePath: join(options.dir, 'demo.json'),
    sites,
    originSite: 'eu-west',
    readyDelayMs: options.readyDelayMs ?? DEFAULT_READY_DELAY_MS
  }
  if (options.failover !== undefined) layout.failover = options.failover
  return layout
}

/** Every port the layout listens on, with what listens there (for the busy-port error). */
export function layoutPorts (layout: DemoLayout): Array<{ port: number, what: string }> {
  const out: Array<{ port: number, what: string }> = []
  for (const s of layout.sites) {
    out.push({ port: s.ports.dashboard, what: `${s.id} dashboard` })
    out.push({ port: s.ports.api, what: `${s.id} Kubernetes API` })
    out.push({ port: s.ports.p2p, what: `${s.id} libp2p` })
    for (const c of s.clusters) {
      out.push({ port: c.port, what: `${s.id}.${c.name} emulated cluster API` })
      out.push({ port: c.adminPort, what: `${s.id}.${c.name} emulator admin` })
    }
  }
  return out.sort((a, b) => a.port - b.port)
}

export function dashboardUrl (layout: DemoLayout, site: DemoSiteSpec): string {
  return `http://${layout.host}:${site.ports.dashboard}/`
}

export function apiUrl (layout: DemoLayout, site: DemoSiteSpec): string {
  return `https://${layout.host}:${site.ports.api}`
}

/** The admin kubeconfig a site writes at creation (src/pki layout). */
export function adminKubeconfig (site: DemoSiteSpec): string {
  return join(site.dir, 'pki', 'kubeconfigs', 'admin.yaml')
}
