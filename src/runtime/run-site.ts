/**
 * Runs one site process from its config: binds the production ports (system clock,
 * crypto Rng, LevelDB, libp2p, Kubernetes clients) to the site core, and serves the
 * Kubernetes-compatible API and the dashboard. Used by `flotilla site`, by `npm start`
 * (one call per site process) and by the multi-process tests.
 */
import { join } from 'node:path'
import { FlotillaError } from '../model/errors.ts'
import type { SiteConfig } from '../config/schema.ts'
import type { ClusterDriver } from '../ports/cluster-driver.ts'
import type { Logger } from '../ports/logger.ts'
import { createSystemClock } from '../platform/system-clock.ts'
import { createCryptoRng } from '../platform/crypto-rng.ts'
import { openLevelStorage } from '../storage/level-storage.ts'
import { createLibp2pNetwork, type Libp2pNetwork } from '../net/libp2p-network.ts'
import { networkOptionsFromConfig } from '../net/from-config.ts'
import { loadKeyFile } from '../keystore/key-file.ts'
import { createSite, type Site } from '../site/site.ts'
import { defaultVerifierBackend } from '../identity/verifier.ts'
import { toHex } from '../identity/keys.ts'
import type { ClusterSettings } from '../controllers/cluster-status.ts'
import { createApiServer, type ApiServer } from '../api/index.ts'
import { loadSitePki } from '../pki/index.ts'
import { createDashboardServer, type DashboardServer } from '../ui/server.ts'
import { createClusterDrivers, type DriverEndpoints } from './cluster-drivers.ts'

export interface RunningSite {
  site: Site
  network: Libp2pNetwork
  api?: ApiServer
  /** Extra HTTP servers (dashboard, agent endpoint), stopped with the site. */
  stop (): Promise<void>
  /** Multiaddrs other sites can dial. */
  p2pAddresses: string[]
  apiUrl?: string
  dashboardUrl?: string
}

export interface RunSiteOptions {
  config: SiteConfig
  logger: Logger
  /** Replace the drivers built from the config (tests). */
  drivers?: ReadonlyArray<{ settings: ClusterSettings, driver: ClusterDriver }>
  tickMs?: number
  /** Peers refused even if they are roster members (tests cut links with it). */
  blocked?: ReadonlySet<string>
}

function settingsOf (config: SiteConfig): ClusterSettings[] {
  return config.clusters.map((c) => ({
    name: c.name, mode: c.mode, provider: c.provider, region: c.region ?? config.site.region,
    zone: c.zone ?? config.site.zone, labels: c.labels, taints: c.taints, failureThresholdMs: c.failureThresholdMs
  }))
}

export async function runSite (options: RunSiteOptions): Promise<RunningSite> {
  const { config, logger } = options
  if (config.keyFile === undefined) throw new FlotillaError('config-invalid', 'keyFile is not resolved', 'Load the config with loadSiteConfig.')
  const key = await loadKeyFile(config.keyFile)
  if (key.kind !== 'site' || key.id !== config.site.id) {
    throw new FlotillaError('key-invalid', `${config.keyFile} holds the key of ${key.kind} "${key.id}", not of site "${config.site.id}"`,
      'Point keyFile at this site\'s key (created by `flotilla init`).')
  }
  // Peers admit and verify this site by the roster's key: with another key here it would
  // be refused at every connection and its changes rejected, with nothing saying why.
  const own = config.roster.find((m) => m.siteId === config.site.id)
  const publicKey = toHex(key.keys.publicKey)
  if (own !== undefined && own.publicKey.toLowerCase() !== publicKey) {
    throw new FlotillaError('key-invalid', `${config.keyFile} holds public key ${publicKey.slice(0, 16)}…, but the roster lists site "${config.site.id}" with ${own.publicKey.slice(0, 16)}…`,
      'Put this site\'s public key (`flotilla init` printed it; it is in the key file) in the roster entry of every site\'s config, or point keyFile at the key the roster names.')
  }
  const clock = createSystemClock()
  const rng = createCryptoRng()
  const verifier = defaultVerifierBackend()
  if (verifier.reason !== undefined) {
    logger.warn({ backend: verifier.backend, reason: verifier.reason }, 'signatures are verified with node:crypto, about half as fast as libsodium; the acceptance rule is the same')
  }
  const storage = await openLevelStorage(join(config.dataDir, 'store'), { sync: config.storage.sync })
  const netOptions = networkOptionsFromConfig(config, key.keys, { logger: logger.child({ component: 'net' }), clock, rng })
  const blocked = options.blocked
  if (blocked !== undefined) {
    const member = netOptions.isMember
    netOptions.isMember = (peer) => member(peer) && !blocked.has(peer)
  }
  const network = createLibp2pNetwork(netOptions)
  const endpoints: DriverEndpoints = { handlers: [] }
  const drivers = options.drivers ?? await createClusterDrivers(config, settingsOf(config), { clock, logger, endpoints })
  let site: Site | undefined
  let api: ApiServer | undefined
  let dashboard: DashboardServer | undefined
  try {
    await network.start()
    const apiUrl = config.api === undefined ? undefined : `https://${config.api.listen}`
    site = await createSite({
      siteId: config.site.id, region: config.site.region, zone: config.site.zone, keys: key.keys,
      roster: config.roster, limits: config.limits, failover: config.failover, clusters: drivers,
      clock, rng, storage, network, logger: logger.child({ site: config.site.id }),
      endpoints: { p2p: network.listenAddresses(), ...(apiUrl === undefined ? {} : { api: apiUrl }), ...(config.dashboard === undefined ? {} : { dashboard: `http://${config.dashboard.listen}` }) },
      snapshotEvery: config.storage.snapshotEveryChanges,
      ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs })
    })
    await site.start()
    if (config.api !== undefined) {
      const pki = await loadSitePki(join(config.dataDir, 'pki'))
      api = createApiServer({
        site, listen: config.api.listen, logger: logger.child({ component: 'api' }),
        tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca }, auth: { tokens: pki.tokens },
        extraHandlers: endpoints.handlers
      })
      await api.start()
      const server = api
      site.attachApiMetrics(() => server.metrics())
    }
    if (config.dashboard !== undefined) {
      dashboard = createDashboardServer({ site, listen: config.dashboard.listen, logger: logger.child({ component: 'dashboard' }) })
      await dashboard.start()
    }
  } catch (e) {
    await dashboard?.stop().catch(() => undefined)
    await api?.stop().catch(() => undefined)
    await site?.stop().catch(() => undefined)
    await network.stop().catch(() => undefined)
    await storage.close().catch(() => undefined)
    throw e
  }
  const running: RunningSite = {
    site,
    network,
    p2pAddresses: network.listenAddresses(),
    async stop () {
      endpoints.close?.()
      await dashboard?.stop()
      await api?.stop()
      await site!.stop()
      await network.stop()
      await storage.close()
    }
  }
  if (api !== undefined) running.api = api
  if (config.api !== undefined) running.apiUrl = `https://${config.api.listen}`
  if (dashboard !== undefined) running.dashboardUrl = dashboard.url
  return running
}
