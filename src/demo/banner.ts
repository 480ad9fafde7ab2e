/**
 * What `npm start` prints once the federation is up: each site's dashboard URL and pid,
 * kubectl and flotilla commands to try with the generated kubeconfigs, how to kill a
 * site to watch failover (and bring it back), and where logs and state live. Also the
 * notice printed when a site dies unexpectedly. Pure text from plain data; paths are
 * shown relative to the working directory when they are under it, so they paste as-is.
 */
import { isAbsolute, join, relative } from 'node:path'
import { adminKubeconfig, dashboardUrl, type DemoLayout, type DemoSiteSpec } from './layout.ts'
import { formatSeconds } from './progress.ts'

export interface BannerSite {
  id: string
  pid: number
  peerId?: string
}

export interface BannerInput {
  layout: DemoLayout
  sites: readonly BannerSite[]
  /** Milliseconds from the start to the sample Ready everywhere. */
  readyMs: number
  cwd: string
}

/** The documented failure timing (docs/failover.md) unless the layout sets its own. */
function failAfterMs (layout: DemoLayout): number {
  return layout.failover?.failMs ?? 12_000
}

export function displayPath (path: string, cwd: string): string {
  const rel = relative(cwd, path)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}

function quote (path: string): string {
  return /^[\w./@:+-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`
}

/** The site whose kill the banner suggests: the last one, never the sample's origin. */
export function failoverVictim (layout: DemoLayout): DemoSiteSpec {
  return [...layout.sites].reverse().find((s) => s.id !== layout.originSite) ?? layout.sites[layout.sites.length - 1]!
}

export function renderBanner (input: BannerInput): string {
  const { layout, cwd } = input
  const p = (path: string): string => quote(displayPath(path, cwd))
  const width = Math.max(...layout.sites.map((s) => s.id.length))
  const pidOf = (id: string): number | undefined => input.sites.find((s) => s.id === id)?.pid
  const origin = layout.sites.find((s) => s.id === layout.originSite)!
  const other = layout.sites.find((s) => s.id !== layout.originSite)!
  const victim = failoverVictim(layout)
  const watcher = layout.sites.find((s) => s.id === layout.originSite) ?? layout.sites[0]!
  const clusters = layout.sites.reduce((n, s) => n + s.clusters.length, 0)
  const kc = (s: DemoSiteSpec): string => `kubectl --kubeconfig ${p(adminKubeconfig(s))}`
  const home = join(cwd, '.flotilla') === layout.dir ? '' : `FLOTILLA_HOME=${p(layout.dir)} `
  const gpu = origin.clusters.find((c) => c.gpuNodes > 0) ?? origin.clusters[0]!
  const lines = [
    '',
    `Flotilla demo is up: ${layout.sites.length} sites, ${clusters} member clusters, the sample app Ready everywhere (${formatSeconds(input.readyMs)}).`,
    '',
    'Dashboards (every site serves one; each shows the whole federation):',
    ...layout.sites.map((s) => `  ${s.id.padEnd(width)}  ${dashboardUrl(layout, s).padEnd(24)}  pid ${pidOf(s.id) ?? '?'}${s.id === layout.originSite ? '  (origin of the sample app)' : ''}`),
    '',
    'Try kubectl (every site serves a Kubernetes API; these are its admin kubeconfigs):',
    `  ${kc(origin)} get deploy,svc,ing,cm -n shop`,
    `  ${kc(other)} get deploy web -n shop -o jsonpath='{.status.flotilla.placement}'`,
    `  ${kc(victim)} get clusters,sites`,
    `  kubectl --kubeconfig ${p(gpu.kubeconfigPath)} get pods -n shop -o wide    # a member cluster (emulated)`,
    `  ${home}npx flotilla get workloads --site ${other.id}`,
    `  ${home}npx flotilla explain deploy/web -n shop --site ${victim.id}`,
    '',
    'Watch a failover:',
    `  kill -9 ${pidOf(victim.id) ?? '<pid>'}    # ${victim.id} dies; its member clusters keep running, as in a real site outage`,
    `  then watch ${dashboardUrl(layout, watcher)} : ${victim.id} turns failed after about ${Math.round(failAfterMs(layout) / 1000)} s`,
    `  and web's replicas move to the other regions (see the timeline; \`${home}npx flotilla events --site ${watcher.id}\`).`,
    `  Bring it back in another terminal: npx flotilla site -c ${p(victim.configPath)}`,
    '',
    `Logs: ${p(layout.dir)}/<site>/site.log   Stop: Ctrl-C (state is kept; the next npm start resumes)   Reset: stop, then rm -rf ${p(layout.dir)}`,
    ''
  ]
  return lines.join('\n')
}

/** The notice when a site process ends on its own: what died, that the rest keep going, what to watch. */
export function renderSiteExit (layout: DemoLayout, site: { id: string, pid: number }, how: string, cwd: string): string {
  const spec = layout.sites.find((s) => s.id === site.id)
  const others = layout.sites.filter((s) => s.id !== site.id)
  const watch = others.map((s) => dashboardUrl(layout, s)).join(' or ')
  const restart = spec === undefined ? '' : `\n  Bring it back in another terminal: npx flotilla site -c ${quote(displayPath(spec.configPath, cwd))}`
  return `\n! site ${site.id} (pid ${site.pid}) exited unexpectedly (${how}). The other ${others.length} sites keep running.\n` +
    `  Its member clusters are still up. Watch the failover at ${watch}.${restart}\n`
}
