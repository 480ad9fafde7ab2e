/**
 * Gossipsub settings for the one federation topic: signed messages only, peer scoring
 * tuned so that rejected messages cost standing fast (three rejections graylist a peer)
 * and decay slowly, while a quiet topic (head announcements are sporadic) costs honest
 * peers nothing. The simulator models the same constants.
 */
import { createHash } from 'node:crypto'
import type { GossipsubOpts } from '@libp2p/gossipsub'
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score'

export const DEFAULT_TOPIC = '/flotilla/federation/1'

/** Weight of the squared count of rejected messages (P4). */
export const INVALID_MESSAGE_WEIGHT = -20
/** Per-second decay of that count: about two minutes to halve it. */
export const INVALID_MESSAGE_DECAY = 0.995
/** Below this score a peer's messages are ignored altogether. */
export const GRAYLIST_THRESHOLD = -80

export interface MeshParams {
  /** Target mesh degree. Default 3. */
  D: number
  /** Below this many mesh peers the mesh is refilled. Default 2. */
  Dlo: number
  /** Above this many it is pruned. Default 6. */
  Dhi: number
  /** Heartbeat period. Default 1 s. */
  heartbeatIntervalMs: number
  /** Peers outside the mesh sent lazy gossip (IHAVE) at each heartbeat, at least. Default 1. */
  Dlazy: number
}

/**
 * A smaller mesh than gossipsub's 6 / 4 / 12: a site's own broadcasts already go straight
 * to every connected member (flood publishing), so the mesh only carries them to members
 * without a direct link, and each mesh neighbour costs every site one more copy of every
 * heartbeat (six copies of each of nine heartbeats every 2 s in a ten-site federation was
 * most of an idle site's CPU). Three neighbours still give every message several paths,
 * and lazy gossip (IHAVE/IWANT) fills gaps. The roster gates who may join the mesh at all.
 */
export const defaultMeshParams: MeshParams = { D: 3, Dlo: 2, Dhi: 6, heartbeatIntervalMs: 1_000, Dlazy: 1 }

export function topicScoreParams (): Partial<TopicScoreParams> {
  return {
    topicWeight: 1,
    // reward staying in the mesh and being first with a message, modestly (capped below)
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1_000,
    timeInMeshCap: 300,
    firstMessageDeliveriesWeight: 0.5,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 10,
    // a quiet topic would otherwise penalise honest mesh peers for delivering little
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    invalidMessageDeliveriesWeight: INVALID_MESSAGE_WEIGHT,
    invalidMessageDeliveriesDecay: INVALID_MESSAGE_DECAY
  }
}

export function peerScoreParams (topic: string): Partial<PeerScoreParams> {
  return {
    topics: { [topic]: topicScoreParams() as TopicScoreParams },
    topicScoreCap: 10,
    // sites may sit behind one NAT, and only roster members connect at all
    IPColocationFactorWeight: 0,
    decayInterval: 1_000,
    decayToZero: 0.01,
    retainScore: 3_600_000
  }
}

export function peerScoreThresholds (): Partial<PeerScoreThresholds> {
  return { gossipThreshold: -10, publishThreshold: -50, graylistThreshold: GRAYLIST_THRESHOLD, acceptPXThreshold: 100, opportunisticGraftThreshold: 5 }
}

/** The fields of a received gossipsub message, before any validation. */
interface RawMessage { from?: Uint8Array, seqno?: Uint8Array, topic: string, data?: Uint8Array, signature?: Uint8Array, key?: Uint8Array }

const NONE = new Uint8Array(0)

/**
 * A local id for exact copies of a received message, computed before its signature is
 * checked. Every broadcast reaches a site once from its publisher and again from each mesh
 * neighbour that relays it, and gossipsub checks each copy's ed25519 signature before it
 * looks for duplicates unless it has this id: in a ten-site federation that was a quarter
 * of an idle site's CPU. gossipsub records the id only for a message that passed
 * validation, so a forged variant never shadows a real one: any byte changed gives
 * another id and a full check.
 */
export function fastMessageId (msg: RawMessage): string {
  const h = createHash('sha256')
  for (const part of [msg.from, msg.seqno, msg.key, msg.signature, msg.data]) {
    const b = part ?? NONE
    h.update(Uint8Array.of(b.length >>> 24, (b.length >>> 16) & 0xff, (b.length >>> 8) & 0xff, b.length & 0xff))
    h.update(b)
  }
  h.update(msg.topic)
  return h.digest('base64')
}

export function gossipsubOptions (topic: string, maxBroadcastBytes: number, mesh: MeshParams): Partial<GossipsubOpts> {
  return {
    globalSignaturePolicy: 'StrictSign',
    fastMsgIdFn: fastMessageId,
    allowedTopics: [topic],
    emitSelf: false,
    fallbackToFloodsub: false,
    // a site's own announcements go to every subscribed peer, not only its mesh
    floodPublish: true,
    // relays wait for the network's word (deferred-relay.ts), validation itself is synchronous
    asyncValidation: true,
    doPX: false,
    allowPublishToZeroTopicPeers: true,
    ignoreDuplicatePublishError: true,
    D: mesh.D,
    Dlo: mesh.Dlo,
    Dhi: mesh.Dhi,
    Dout: Math.min(2, Math.floor(mesh.D / 2)),
    // Lazy gossip (IHAVE) to one peer outside the mesh a heartbeat, not three: every site
    // already gets each heartbeat directly and through the mesh, and anti-entropy repairs
    // a lost announcement; three IHAVEs a second, each listing every message of the last
    // three seconds, were a fifth of an idle site's frames.
    Dlazy: mesh.Dlazy,
    heartbeatInterval: mesh.heartbeatIntervalMs,
    maxInboundDataLength: maxBroadcastBytes,
    scoreParams: peerScoreParams(topic),
    scoreThresholds: peerScoreThresholds()
  }
}
