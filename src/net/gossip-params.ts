/**
 * Gossipsub settings for the one federation topic: signed messages only, peer scoring
 * tuned so that rejected messages cost standing fast (three rejections graylist a peer)
 * and decay slowly, while a quiet topic (head announcements are sporadic) costs honest
 * peers nothing. The simulator models the same constants.
 */
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
  /** Target mesh degree. Default 6. */
  D: number
  /** Below this many mesh peers the mesh is refilled. Default 4. */
  Dlo: number
  /** Above this many it is pruned. Default 12. */
  Dhi: number
  /** Heartbeat period. Default 1 s. */
  heartbeatIntervalMs: number
}

export const defaultMeshParams: MeshParams = { D: 6, Dlo: 4, Dhi: 12, heartbeatIntervalMs: 1_000 }

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

export function gossipsubOptions (topic: string, maxBroadcastBytes: number, mesh: MeshParams): Partial<GossipsubOpts> {
  return {
    globalSignaturePolicy: 'StrictSign',
    allowedTopics: [topic],
    emitSelf: false,
    fallbackToFloodsub: false,
    // a site's own announcements go to every subscribed peer, not only its mesh
    floodPublish: true,
    doPX: false,
    allowPublishToZeroTopicPeers: true,
    ignoreDuplicatePublishError: true,
    D: mesh.D,
    Dlo: mesh.Dlo,
    Dhi: mesh.Dhi,
    Dout: Math.min(2, Math.floor(mesh.D / 2)),
    Dlazy: mesh.D,
    heartbeatInterval: mesh.heartbeatIntervalMs,
    maxInboundDataLength: maxBroadcastBytes,
    scoreParams: peerScoreParams(topic),
    scoreThresholds: peerScoreThresholds()
  }
}
