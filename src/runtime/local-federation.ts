/**
 * Lays out a federation of sites on one machine: creates each site (key, config, PKI) on
 * first use, then writes every config with the full roster, the others' bootstrap
 * addresses and the site's clusters. Idempotent: an existing site keeps its identity, so
 * a second run resumes from disk. Used by `npm start` and the multi-process tests.
 */
import { access, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import type { SiteConfigInput } from '../config/schema.ts'
import { loadKeyFile } from '../keystore/key-file.ts'
import { peerIdFromPublicKey } from '../identity/peer-id.ts'
import { toHex } from '../identity/keys.ts'
import { initSite } from '../cli/commands/init.ts'
import { sitePkiPaths } from '../pki/index.ts'

export interface LocalSiteSpec {
  id: string
  region: string
  zone?: string
  host?: string
  p2pPort: number
  apiPort?: number
  dashboardPort?: number
  clusters?: NonNullable<SiteConfigInput['clusters']>
  failover?: SiteConfigInput['failover']
  log?: SiteConfigInput['log']
}

export interface LocalSite {
  spec: LocalSiteSpec
  dir: string
  configPath: string
  peerId: string
  publicKey: string
  p2pAddress: string
  kubeconfig?: Record<'admin' | 'viewer' | 'auditor', string>
}

export async function prepareLocalFederation (baseDir: string, specs: readonly LocalSiteSpec[]): Promise<LocalSite[]> {
  const sites: LocalSite[] = []
  for (const spec of specs) {
    const dir = join(baseDir, spec.id)
    const configPath = join(dir, 'site.yaml')
    const host = spec.host ?? '127.0.0.1'
    const exists = await access(configPath).then(() => true, () => false)
    if (!exists) {
      await initSite({
        siteId: spec.id, region: spec.region, dir, host, p2pPort: spec.p2pPort,
        ...(spec.zone === undefined ? {} : { zone: spec.zone }),
        ...(spec.apiPort === undefined ? {} : { apiPort: spec.apiPort }),
        ...(spec.dashboardPort === undefined ? {} : { dashboardPort: spec.dashboardPort })
      })
    }
    const key = await loadKeyFile(join(dir, 'site.key'))
    const peerId = peerIdFromPublicKey(key.keys.publicKey)
    const site: LocalSite = { spec, dir, configPath, peerId, publicKey: toHex(key.keys.publicKey), p2pAddress: `/ip4/${host}/tcp/${spec.p2pPort}/p2p/${peerId}` }
    if (spec.apiPort !== undefined) {
      site.kubeconfig = sitePkiPaths(join(dir, 'pki')).kubeconfig
    }
    sites.push(site)
  }
  const roster = sites.map((s) => ({ siteId: s.spec.id, publicKey: s.publicKey, region: s.spec.region }))
  for (const s of sites) {
    const config = parse(await readFile(s.configPath, 'utf8')) as SiteConfigInput
    config.roster = roster
    config.p2p = { ...config.p2p, bootstrap: sites.filter((o) => o !== s).map((o) => o.p2pAddress) }
    config.clusters = s.spec.clusters ?? []
    if (s.spec.failover !== undefined) config.failover = s.spec.failover
    if (s.spec.log !== undefined) config.log = s.spec.log
    await writeFile(s.configPath, '# Flotilla site config; see docs/operations.md\n' + stringify(config), { mode: 0o600 })
  }
  return sites
}
