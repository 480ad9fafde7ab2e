/**
 * Round trips per reconciliation, measured on the replication protocol itself: two
 * sites in one process, over the deterministic test network, each gain 100 changes while
 * apart; on reconnect, every session's request/response exchanges are counted (the
 * opening request and each `need` round).
 */
import type { BenchMetric } from '../contract.ts'
import { peerIdFromPublicKey } from '../../src/identity/peer-id.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { FEDERATION_DOC_ID, siteDocId } from '../../src/store/document-store.ts'
import { createReplicator } from '../../src/replication/replicator.ts'
import { createMemoryStorage } from '../../sim/storage/memory-storage.ts'
import { counterRng, openTestStore, testSite } from '../../test/support/store-fixtures.ts'
import { manualClock, manualFabric } from '../../test/support/manual-network.ts'
import { quiesce } from '../../test/replication/settle.ts'

export async function measureRoundTrips (): Promise<BenchMetric[]> {
  const runs = 20
  let sessions = 0
  let roundTrips = 0
  for (let run = 0; run < runs; run++) {
    const clock = manualClock()
    const fabric = manualFabric()
    const sites = [testSite(`rt-a-${run}`), testSite(`rt-b-${run}`)]
    const known = new Set([FEDERATION_DOC_ID, ...sites.map((s) => siteDocId(s.id))])
    const nodes = await Promise.all(sites.map(async (site, i) => {
      const store = await openTestStore(site, sites, createMemoryStorage())
      const peer = peerIdFromPublicKey(site.keys.publicKey)
      const replicator = createReplicator({
        store, network: fabric.join(peer), clock, rng: counterRng(run * 2 + i + 1), logger: silentLogger, isKnownDocument: (d) => known.has(d),
        limits: { maxFrameBytes: 4 << 20, changesPerSecond: 100_000, maxConcurrentStreams: 16 }
      })
      replicator.start()
      return { site, store, replicator, peer }
    }))
    const [a, b] = nodes as [typeof nodes[0], typeof nodes[0]]
    const busy = (): boolean => nodes.some((n) => n.replicator.stats().sessions.open > 0)
    fabric.connect(a.peer, b.peer)
    for (let i = 0; i < 10; i++) await a.store.change<Record<string, unknown>>(siteDocId(a.site.id), (d) => { d[`base${i}`] = i })
    await quiesce(fabric, busy)
    await clock.advance(6000)
    await quiesce(fabric, busy)
    fabric.cut(a.peer, b.peer)
    await quiesce(fabric, busy)
    for (const n of nodes) {
      for (let i = 0; i < 100; i++) await n.store.change<Record<string, unknown>>(siteDocId(n.site.id), (d) => { d[`k${i}`] = { v: i, by: n.site.id } })
    }
    const before = nodes.map((n) => n.replicator.stats().sessions)
    fabric.connect(a.peer, b.peer)
    await quiesce(fabric, busy)
    const after = nodes.map((n) => n.replicator.stats().sessions)
    for (let i = 0; i < 2; i++) {
      sessions += after[i]!.completed - before[i]!.completed
      roundTrips += after[i]!.roundTrips - before[i]!.roundTrips
    }
    if (JSON.stringify(a.store.heads(siteDocId(b.site.id))) !== JSON.stringify(b.store.heads(siteDocId(b.site.id)))) throw new Error('the two sites did not reconcile')
    for (const n of nodes) n.replicator.stop()
  }
  return [{
    name: 'roundtrips_per_reconcile', value: roundTrips / sessions, unit: 'RT', target: { op: '<=', value: 1.2 },
    note: `${sessions} sessions over ${runs} runs; each side gained 100 changes while apart; a round trip is a sync-open/reply or a need/changes exchange`
  }]
}
