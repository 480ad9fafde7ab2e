/**
 * Puts the demo's sites on disk: creates each site on first run (key 0600, config, PKI
 * and kubeconfigs, through `prepareLocalFederation`), points every config at its member
 * clusters' kubeconfigs, and, when the base port changed since the site was created,
 * moves its listen addresses and its kubeconfigs' server URL to the new ports. Also
 * remembers the base port in `demo.json`, so a later `npm start` without `--base-port`
 * comes back on the same URLs. Identities are never replaced: a second run resumes.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { parse, stringify } from 'yaml'
import type { SiteConfigInput } from '../config/schema.ts'
import { FlotillaError } from '../model/errors.ts'
import { retargetSiteKubeconfigs } from '../pki/site-pki.ts'
import { prepareLocalFederation, type LocalSite } from '../runtime/local-federation.ts'
import { apiUrl, type DemoLayout } from './layout.ts'

export interface DemoState {
  basePort: number
}

/** The base port an earlier run recorded in `dir`, if any. */
export async function recordedBasePort (statePath: string): Promise<number | undefined> {
  let text: string
  try {
    text = await readFile(statePath, 'utf8')
  } catch {
    return undefined
  }
  try {
    const state = JSON.parse(text) as Partial<DemoState>
    return typeof state.basePort === 'number' && Number.isSafeInteger(state.basePort) ? state.basePort : undefined
  } catch (e) {
    throw new FlotillaError('config-invalid', `${statePath} is not valid JSON: ${(e as Error).message}`,
      `Delete ${statePath} (the sites keep their identities) or pass --base-port.`, { cause: e })
  }
}

/** Rewrites the listen addresses of `config` to the layout's ports; true if anything changed. */
function repoint (config: SiteConfigInput, host: string, ports: { p2p: number, api: number, dashboard: number }): boolean {
  const p2p = [`/ip4/${host}/tcp/${ports.p2p}`]
  const api = `${host}:${ports.api}`
  const dashboard = `${host}:${ports.dashboard}`
  const changed = JSON.stringify(config.p2p.listen) !== JSON.stringify(p2p) || config.api?.listen !== api || config.dashboard?.listen !== dashboard
  config.p2p = { ...config.p2p, listen: p2p }
  config.api = { listen: api }
  config.dashboard = { listen: dashboard }
  return changed
}

export async function prepareDemoSites (layout: DemoLayout): Promise<LocalSite[]> {
  await mkdir(layout.dir, { recursive: true, mode: 0o700 })
  const sites = await prepareLocalFederation(layout.dir, layout.sites.map((s) => ({
    id: s.id,
    region: s.region,
    zone: `${s.region}-a`,
    host: layout.host,
    p2pPort: s.ports.p2p,
    apiPort: s.ports.api,
    dashboardPort: s.ports.dashboard,
    clusters: s.clusters.map((c) => ({
      name: c.name,
      mode: 'push' as const,
      // Relative to the site's config, so the demo directory can be moved whole.
      kubeconfig: relative(s.dir, c.kubeconfigPath),
      provider: 'emulated',
      labels: c.labels
    })),
    ...(layout.failover === undefined ? {} : { failover: layout.failover })
  })))
  for (const s of layout.sites) {
    const config = parse(await readFile(s.configPath, 'utf8')) as SiteConfigInput
    if (repoint(config, layout.host, s.ports)) {
      await writeFile(s.configPath, '# Flotilla site config; see docs/operations.md\n' + stringify(config), { mode: 0o600 })
      await retargetSiteKubeconfigs(join(s.dir, 'pki'), apiUrl(layout, s))
    }
  }
  await writeFile(layout.statePath, JSON.stringify({ basePort: layout.basePort } satisfies DemoState, null, 2) + '\n', { mode: 0o600 })
  return sites
}
