/**
 * Prepares a federation that already holds many workloads, without paying for it over
 * the network: each site writes its own workloads through the real site core in this
 * process (LevelDB on the site's own data directory, no peers), then every site's store
 * ingests the others' signed changes, verified as any remote change is. The site
 * processes started afterwards load all of it from disk and agree at once. A 10,000-
 * workload federation built through five live processes took longer than the benchmark's
 * whole budget (every write is pushed, verified, fsynced and ticked on by every peer),
 * and that cost is not what the bootstrap figure measures.
 */
import { join } from 'node:path'
import { loadSiteConfig } from '../../src/config/load.ts'
import { loadKeyFile } from '../../src/keystore/key-file.ts'
import { createCryptoRng } from '../../src/platform/crypto-rng.ts'
import { createSystemClock } from '../../src/platform/system-clock.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { peerIdFromPublicKey } from '../../src/identity/peer-id.ts'
import { openLevelStorage } from '../../src/storage/level-storage.ts'
import { createSite, type Site } from '../../src/site/site.ts'
import type { SignedChange } from '../../src/store/log/envelope.ts'
import type { KubeObject } from '../../src/model/kube.ts'
import { peerlessNetwork } from './peerless-network.ts'

interface OpenSite { site: Site, close: () => Promise<void> }

async function openSiteOffline (configPath: string): Promise<OpenSite> {
  const config = await loadSiteConfig(configPath)
  const key = await loadKeyFile(config.keyFile!)
  // No fsync while preparing: the processes reopen the same files afterwards.
  const storage = await openLevelStorage(join(config.dataDir, 'store'), { sync: false })
  const site = await createSite({
    siteId: config.site.id, region: config.site.region, zone: config.site.zone, keys: key.keys,
    roster: config.roster, limits: config.limits, failover: config.failover, clusters: [],
    clock: createSystemClock(), rng: createCryptoRng(), storage,
    network: peerlessNetwork(peerIdFromPublicKey(key.keys.publicKey)), logger: silentLogger,
    snapshotEvery: config.storage.snapshotEveryChanges
  })
  await site.start()
  return { site, close: async () => { await site.stop(); await storage.close() } }
}

/**
 * Writes `objects(i)` at each site `i` of `configPaths`, then gives every site every
 * other site's document. Returns the number of signed changes each site then holds.
 */
export async function populateFederation (configPaths: readonly string[], objects: (siteIndex: number) => KubeObject[]): Promise<number> {
  const own: SignedChange[][] = []
  for (let i = 0; i < configPaths.length; i++) {
    const { site, close } = await openSiteOffline(configPaths[i]!)
    try {
      for (const obj of objects(i)) await site.putObject(obj)
      await site.tick()
      const docId = `site:${site.siteId}`
      const log = site.store.log(docId)!
      own.push(site.store.signedChanges(docId, [...log.hashes()]))
    } finally { await close() }
  }
  let total = 0
  for (let i = 0; i < configPaths.length; i++) {
    const { site, close } = await openSiteOffline(configPaths[i]!)
    try {
      const others = own.filter((_, j) => j !== i).flat()
      const report = await site.store.ingest(others)
      if (report.rejected.length > 0 || report.dropped.length > 0) {
        throw new Error(`site ${site.siteId} refused ${report.rejected.length + report.dropped.length} prepared changes: ${report.rejected[0]?.message ?? report.dropped[0]?.code}`)
      }
      await site.tick()
      total = site.store.documentIds().reduce((s, d) => s + (site.store.log(d)?.size() ?? 0), 0)
    } finally { await close() }
  }
  return total
}
