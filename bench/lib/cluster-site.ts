/**
 * A one-site federation for the cluster benchmarks: the real site core (`createSite`) on
 * the system clock, with in-memory storage, a network with no peers (the site is the
 * whole roster, so its failure detector is settled at once and it places on its own) and
 * one member cluster behind the driver it is given. `watchShareReady` timestamps the
 * moment the site's own document first carries a share status with ready replicas, read
 * from the document the store materialised, on the store's change notification.
 */
import { performance } from 'node:perf_hooks'
import { createHash } from 'node:crypto'
import { clusterId } from '../../src/model/federation.ts'
import type { KubeObject } from '../../src/model/kube.ts'
import type { Clock } from '../../src/ports/clock.ts'
import type { ClusterDriver } from '../../src/ports/cluster-driver.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { keyPairFromSeed, toHex } from '../../src/identity/keys.ts'
import { peerIdFromPublicKey } from '../../src/identity/peer-id.ts'
import { createCryptoRng } from '../../src/platform/crypto-rng.ts'
import { createSite, type Site } from '../../src/site/site.ts'
import { getShare, siteDocId, type SiteDoc } from '../../src/store/docs/index.ts'
import { createMemoryStorage } from '../../sim/storage/memory-storage.ts'
import { peerlessNetwork } from './peerless-network.ts'

export const BENCH_SITE = 'bench'
export const BENCH_CLUSTER = 'c1'

/** A PropagationPolicy that places every Deployment in `namespace` (here: on the one cluster). */
export function deploymentPolicy (namespace: string): KubeObject {
  return {
    apiVersion: 'policy.flotilla.io/v1alpha1', kind: 'PropagationPolicy', metadata: { name: 'all-deployments', namespace },
    spec: { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }], placement: { replicaScheduling: { replicaSchedulingType: 'Duplicated' } } }
  }
}

export interface BenchSiteOptions {
  driver: ClusterDriver
  mode: 'push' | 'pull'
  clock: Clock
  /** Controller tick period; default the site's own default (1,000 ms). */
  tickMs?: number
}

/** Creates and starts the site; its `stop()` also stops the cluster driver. */
export async function startBenchSite (options: BenchSiteOptions): Promise<Site> {
  const keys = keyPairFromSeed(createHash('sha256').update(`bench-site:${BENCH_SITE}`).digest())
  const site = await createSite({
    siteId: BENCH_SITE, region: 'bench-region', zone: 'bench-zone', keys,
    roster: [{ siteId: BENCH_SITE, publicKey: toHex(keys.publicKey), region: 'bench-region' }],
    limits: { maxFrameBytes: 1 << 22, maxChangeBytes: 1 << 22, maxChangeOps: 200_000, changesPerSecond: 5000, maxPendingChanges: 10_000, maxConcurrentStreams: 16 },
    failover: { heartbeatMs: 1000, suspectMs: 3000, failMs: 6000, evictionTimeoutMs: 20_000, failback: 'after-stabilization', stabilizationMs: 0 },
    clusters: [{
      settings: { name: options.driver.name, mode: options.mode, provider: 'kube-emulator', region: 'bench-region', zone: 'bench-zone', labels: {}, taints: [], failureThresholdMs: 30_000 },
      driver: options.driver
    }],
    clock: options.clock, rng: createCryptoRng(), storage: createMemoryStorage(),
    network: peerlessNetwork(peerIdFromPublicKey(keys.publicKey)), logger: silentLogger,
    ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs })
  })
  await site.start()
  return site
}

/**
 * Resolves once the site's view holds its cluster Ready. The driver's first contact comes
 * after `start()`, so the cluster is Unknown at the first tick; the bench site uses a zero
 * stabilisation window so that this first Ready does not hold the cluster back either
 * (placement at start-up is not what these benchmarks measure).
 */
export async function untilClusterReady (site: Site, clusterName: string, budgetMs: number): Promise<void> {
  const id = clusterId(site.siteId, clusterName)
  const deadline = performance.now() + budgetMs
  while (site.view().clusters.find((c) => c.id === id)?.health !== 'Ready') {
    if (performance.now() > deadline) throw new Error(`cluster ${id} not Ready in the site's view after ${budgetMs} ms`)
    await new Promise((resolve) => { setTimeout(resolve, 20) })
  }
}

/**
 * Calls `onReady(key, at)` once per workload key the first time the site's own document
 * shows that key's share on the site's cluster `driver` with at least one ready replica;
 * `at` is `performance.now()` at the store's change notification (the change is then
 * durable, materialised and visible to readers and replication). Only keys the driver
 * currently observes Ready are read from the document: the site writes share statuses
 * from that observation, so no other key can have become Ready there, and reading every
 * pending share through Automerge on every change would itself load the event loop the
 * site runs on. Returns the unsubscribe function.
 */
export function watchShareReady (site: Site, driver: ClusterDriver, keys: readonly string[], onReady: (key: string, at: number) => void): () => void {
  const own = siteDocId(site.siteId)
  const cluster = clusterId(site.siteId, driver.name)
  const pending = new Set(keys)
  return site.store.onChange((docId) => {
    if (docId !== own || pending.size === 0) return
    const at = performance.now()
    const doc = site.store.document<SiteDoc>(own)
    if (doc === undefined) return
    const observed = driver.observe().objects
    for (const key of [...pending]) {
      if ((observed.get(key)?.ready ?? 0) < 1) continue
      const share = getShare(doc, key, cluster)
      if (share !== undefined && share.ready >= 1) {
        pending.delete(key)
        onReady(key, at)
      }
    }
  })
}
