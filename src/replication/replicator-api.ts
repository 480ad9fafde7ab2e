/**
 * What the replicator offers the site and what it needs from it: its options, its
 * statistics and bootstrap progress, and the heartbeat carriage. The parts that do the
 * work are sync-sessions.ts (reconciliation), digest-exchange.ts (anti-entropy) and
 * replicator.ts (composition, pushes, announcements, penalties).
 */
import type { Clock } from '../ports/clock.ts'
import type { Logger } from '../ports/logger.ts'
import type { Network, PeerId } from '../ports/network.ts'
import type { Rng } from '../ports/rng.ts'
import type { DocumentStore } from '../store/document-store.ts'
import type { Misbehaviour } from './peer-guard.ts'

export interface ReplicatorOptions {
  store: DocumentStore
  network: Network
  clock: Clock
  rng: Rng
  logger: Logger
  /** Whether a document id belongs to this federation (roster site documents and `federation`). */
  isKnownDocument: (docId: string) => boolean
  limits: {
    maxFrameBytes: number
    changesPerSecond: number
    maxConcurrentStreams: number
  }
  /**
   * How many other sites there are (the roster less this one). A local change pushed to
   * that many peers is not announced: everyone has it. Default: always announce.
   */
  peerCount?: () => number
  /** Digest exchange this often (default 5,000 ms, ±20 % jitter). */
  antiEntropyMs?: number
  /**
   * Peers sent a digest each anti-entropy period (default 3), taken in rounds over the
   * connected peers so that every one is visited; bounds the work per site per period
   * whatever the federation's size.
   */
  antiEntropyFanout?: number
  /** A session without progress for this long is abandoned (default 10,000 ms). */
  sessionTimeoutMs?: number
  /**
   * The shortest wait for the first frame answering a request before it is taken as lost
   * and asked once more (default 1,000 ms); the wait is learned per peer from its answers
   * and never exceeds sessionTimeoutMs.
   */
  minAnswerWaitMs?: number
  /** A session still running after this long is abandoned, progress or not (default 6 × sessionTimeoutMs). */
  maxSessionMs?: number
  /** Need rounds per session before giving up until the next anti-entropy (default 8). */
  maxNeedRounds?: number
  /**
   * While this site has a direct link to every other site (`peerCount`), only one
   * heartbeat in this many also goes out on the gossip topic (default 3); otherwise every
   * one does. The direct copies then already reach everyone, and each gossip copy costs
   * every site a receive, a validation and relays (≈ 1.5 % of an idle site's CPU at ten
   * sites); the gossip path stays in use, and takes every beat again as soon as a link is
   * missing.
   */
  gossipHeartbeatEvery?: number
}

export interface PeerReplicationStats {
  peer: PeerId
  connected: boolean
  /** Complete changes the peer reported that this site lacks (approximate). */
  behind: number
  bytesIn: number
  bytesOut: number
  score: number
  /**
   * Monotonic ms this site last knew itself reconciled with the peer: a sync session with
   * it completed (either role), or its digests matched ours on every document. Absent before.
   */
  lastReconciledMs?: number
}

export interface ReplicationStats {
  peers: PeerReplicationStats[]
  accepted: number
  duplicates: number
  rejected: Record<string, number>
  /**
   * Sessions this site opened (started, completed, timed out), request/response round
   * trips, sessions waiting for their document's flight, and sessions open now (both roles).
   */
  sessions: { started: number, completed: number, timedOut: number, roundTrips: number, waiting: number, open: number }
}

export interface BootstrapProgress {
  documents: { have: number, total: number }
  changes: { have: number, total: number }
}

export type HeartbeatListener = (payload: Uint8Array, from: PeerId, via: PeerId) => void

export interface Replicator {
  start (): void
  stop (): void
  stats (): ReplicationStats
  progress (): BootstrapProgress
  /** Reconciles every document with every connected peer now. */
  syncAll (): void
  onMisbehaviour (listener: (m: Misbehaviour) => void): () => void
  /**
   * Carries the liveness module's signed heartbeats over gossip and direct links. The
   * direct copy is a second path that does not depend on the gossip mesh or on gossip
   * scores; receivers drop the copy they see second by its counter, before any
   * signature check, so it costs a frame, not a verification.
   */
  sendHeartbeat (payload: Uint8Array): void
  onHeartbeat (listener: HeartbeatListener): () => void
}
