/**
 * A small federation of replicators over the manual fabric, for tests that need to look
 * inside the traffic: every direct frame a node sends is decoded and kept, and a node's
 * network or store can be wrapped (to hold frames back, or slow an ingest down).
 */
import { peerIdFromPublicKey } from '../../src/identity/peer-id.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import type { BroadcastOptions, Network, PeerId } from '../../src/ports/network.ts'
import { FEDERATION_DOC_ID, siteDocId, type DocumentStore } from '../../src/store/document-store.ts'
import { createReplicator, type Replicator, type ReplicatorOptions } from '../../src/replication/replicator.ts'
import { decodeDirect, type DirectFrame } from '../../src/replication/messages.ts'
import type { Misbehaviour } from '../../src/replication/peer-guard.ts'
import { counterRng, openTestStore, testSite, type TestSite } from '../support/store-fixtures.ts'
import type { ManualClock, ManualFabric } from '../support/manual-network.ts'
import { quiesce } from './settle.ts'

export interface ReplicaNode {
  site: TestSite
  peer: PeerId
  store: DocumentStore
  replicator: Replicator
  misbehaviour: Misbehaviour[]
  /** Every direct frame this node sent, decoded, with its destination. */
  sent: Array<{ to: PeerId, frame: DirectFrame }>
  broadcasts: number
  /** The options of each broadcast, in order. */
  broadcastOptions: Array<BroadcastOptions | undefined>
}

export interface FixtureOptions {
  changesPerSecond?: number
  /** The frame limit every replicator works to (default 1 MiB). */
  maxFrameBytes?: number
  /** Concurrent sync sessions a peer may hold at a responder (default 16). */
  maxConcurrentStreams?: number
  replicator?: Partial<Pick<ReplicatorOptions, 'antiEntropyMs' | 'antiEntropyFanout' | 'sessionTimeoutMs' | 'minAnswerWaitMs' | 'maxSessionMs' | 'peerCount' | 'gossipHeartbeatEvery'>>
  /** Wraps a node's network (by site name) before the replicator gets it. */
  network?: (name: string, net: Network) => Network
  /** Wraps a node's store (by site name) before the replicator gets it. */
  store?: (name: string, store: DocumentStore) => DocumentStore
}

export interface Fixture {
  nodes: ReplicaNode[]
  /**
   * Delivers everything in flight and, unless `sessions` is false, waits until no session
   * is open anywhere (pass false while a session is meant to hang until a time-out).
   */
  settle (sessions?: boolean): Promise<void>
  write (node: ReplicaNode, count: number, tag: string): Promise<void>
  headsEqual (docOf: ReplicaNode, a: ReplicaNode, b: ReplicaNode): boolean
}

export async function replicaFederation (names: string[], clock: ManualClock, fabric: ManualFabric, o: FixtureOptions = {}): Promise<Fixture> {
  const sites = names.map(testSite)
  const known = new Set([FEDERATION_DOC_ID, ...sites.map((s) => siteDocId(s.id))])
  const nodes = await Promise.all(sites.map(async (site, i) => {
    const peer = peerIdFromPublicKey(site.keys.publicKey)
    const realStore = await openTestStore(site, sites)
    const store = o.store?.(site.id, realStore) ?? realStore
    const sent: ReplicaNode['sent'] = []
    const base = fabric.join(peer)
    const counted: Network = {
      ...base,
      handle: (h) => base.handle(h),
      send (to, payload) { sent.push({ to, frame: decodeDirect(payload) }); base.send(to, payload) },
      broadcast (payload, options) { node.broadcasts++; node.broadcastOptions.push(options); base.broadcast(payload, options) },
      connectedPeers: () => base.connectedPeers(),
      disconnect: (p, r, ms) => { base.disconnect(p, r, ms) },
      traffic: () => base.traffic()
    }
    const network = o.network?.(site.id, counted) ?? counted
    const replicator = createReplicator({
      store, network, clock, rng: counterRng(i + 7), logger: silentLogger,
      isKnownDocument: (d) => known.has(d),
      limits: { maxFrameBytes: o.maxFrameBytes ?? 1 << 20, changesPerSecond: o.changesPerSecond ?? 5000, maxConcurrentStreams: o.maxConcurrentStreams ?? 16 },
      ...o.replicator
    })
    const node: ReplicaNode = { site, peer, store: realStore, replicator, misbehaviour: [], sent, broadcasts: 0, broadcastOptions: [] }
    replicator.onMisbehaviour((m) => { node.misbehaviour.push(m) })
    replicator.start()
    return node
  }))
  const busy = (): boolean => nodes.some((n) => n.replicator.stats().sessions.open > 0)
  return {
    nodes,
    settle: async (sessions = true) => { await quiesce(fabric, sessions ? busy : () => false) },
    async write (node, count, tag) {
      for (let i = 0; i < count; i++) await node.store.change<Record<string, unknown>>(siteDocId(node.site.id), (d) => { d[`${tag}${i}`] = i })
    },
    headsEqual: (docOf, a, b) => JSON.stringify(a.store.heads(siteDocId(docOf.site.id))) === JSON.stringify(b.store.heads(siteDocId(docOf.site.id)))
  }
}
