/**
 * Per-peer limits and standing. Every peer has a token bucket for changes per second
 * and for frames per second, a budget for pushed changes this site already held
 * (replays), a cap on concurrent sync sessions, and a score that drops with each
 * misbehaviour (invalid changes, malformed frames, floods, replays) and recovers slowly.
 * Below the threshold the peer is disconnected for a back-off that doubles with each
 * repeat. Time comes from the Clock port, so the simulator replays it exactly.
 */
import type { EvidenceKind } from '../model/federation.ts'
import type { Clock } from '../ports/clock.ts'
import type { PeerId } from '../ports/network.ts'

export interface PeerGuardLimits {
  changesPerSecond: number
  framesPerSecond: number
  maxConcurrentSessions: number
}

export interface Misbehaviour {
  peer: PeerId
  kind: EvidenceKind
  detail: string
  /** Self-proving bytes when there are any (e.g. the refused envelope). */
  proof?: Uint8Array[]
}

/** Score lost per kind of misbehaviour; a peer is cut off at DISCONNECT_SCORE. */
export const PENALTY: Record<EvidenceKind, number> = {
  'bad-signature': 25,
  'unauthorized-writer': 25,
  'actor-mismatch': 25,
  malformed: 20,
  oversized: 20,
  equivocation: 100,
  flood: 10,
  replay: 5,
  'quarantine-full': 5,
  'false-claim': 10
}
export const DISCONNECT_SCORE = -100
const RECOVERY_PER_SECOND = 1
/**
 * Pushed changes this site already held, per second. An honest site pushes only its own
 * new changes, once, so it repeats one only when the receiver fetched it first by another
 * route: a handful at most. A replayer (old captured frames, the same burst again and
 * again) costs the receiver a decode and a lookup per change while staying under the
 * rate of new changes.
 */
export const REPLAYS_PER_SECOND = 20
/** Debt a replayer can run up: its pushes are refused until it is paid back. */
const MAX_REPLAY_DEBT_S = 30
const BASE_BACKOFF_MS = 30_000
const MAX_BACKOFF_MS = 15 * 60_000

interface Bucket { tokens: number, at: number }

interface PeerStanding {
  score: number
  scoreAt: number
  changes: Bucket
  frames: Bucket
  replays: Bucket
  sessions: number
  disconnects: number
}

export interface PeerGuard {
  /** Takes `n` change tokens; false if the peer is over its rate (the changes are dropped). */
  takeChanges (peer: PeerId, n: number): boolean
  /** Whether `n` change tokens are there, taking none. */
  hasChanges (peer: PeerId, n: number): boolean
  takeFrame (peer: PeerId): boolean
  /** Whether the peer's pushes are refused for now: it replayed more than its budget. */
  replaying (peer: PeerId): boolean
  /** Spends `n` of the replay budget; false if the peer is now beyond it. */
  spendReplays (peer: PeerId, n: number): boolean
  openSession (peer: PeerId): boolean
  closeSession (peer: PeerId): void
  /** Lowers the score; returns a back-off in ms when the peer must be disconnected now. */
  penalise (peer: PeerId, kind: EvidenceKind): number | undefined
  score (peer: PeerId): number
}

export function createPeerGuard (clock: Clock, limits: PeerGuardLimits): PeerGuard {
  const peers = new Map<PeerId, PeerStanding>()

  function standing (peer: PeerId): PeerStanding {
    let s = peers.get(peer)
    if (s === undefined) {
      const now = clock.monotonicMs()
      s = {
        score: 0,
        scoreAt: now,
        changes: { tokens: limits.changesPerSecond * 2, at: now },
        frames: { tokens: limits.framesPerSecond * 2, at: now },
        replays: { tokens: REPLAYS_PER_SECOND * 2, at: now },
        sessions: 0,
        disconnects: 0
      }
      peers.set(peer, s)
    }
    return s
  }

  function refill (bucket: Bucket, rate: number): void {
    const now = clock.monotonicMs()
    bucket.tokens = Math.min(rate * 2, bucket.tokens + (now - bucket.at) * rate / 1000)
    bucket.at = now
  }

  function take (bucket: Bucket, rate: number, n: number): boolean {
    refill(bucket, rate)
    if (bucket.tokens < n) return false
    bucket.tokens -= n
    return true
  }

  function currentScore (s: PeerStanding): number {
    const now = clock.monotonicMs()
    s.score = Math.min(0, s.score + (now - s.scoreAt) * RECOVERY_PER_SECOND / 1000)
    s.scoreAt = now
    return s.score
  }

  return {
    takeChanges: (peer, n) => take(standing(peer).changes, limits.changesPerSecond, n),
    hasChanges (peer, n) {
      const { changes } = standing(peer)
      refill(changes, limits.changesPerSecond)
      return changes.tokens >= n
    },
    takeFrame: (peer) => take(standing(peer).frames, limits.framesPerSecond, 1),
    replaying (peer) {
      const { replays } = standing(peer)
      refill(replays, REPLAYS_PER_SECOND)
      return replays.tokens < 0
    },
    spendReplays (peer, n) {
      // Replays are known only after the changes were looked up, so the budget can go
      // into debt; the debt (capped) keeps refusing the peer's pushes until it is repaid.
      const { replays } = standing(peer)
      refill(replays, REPLAYS_PER_SECOND)
      replays.tokens = Math.max(-REPLAYS_PER_SECOND * MAX_REPLAY_DEBT_S, replays.tokens - n)
      return replays.tokens >= 0
    },
    openSession (peer) {
      const s = standing(peer)
      if (s.sessions >= limits.maxConcurrentSessions) return false
      s.sessions++
      return true
    },
    closeSession (peer) {
      const s = standing(peer)
      s.sessions = Math.max(0, s.sessions - 1)
    },
    penalise (peer, kind) {
      const s = standing(peer)
      currentScore(s)
      s.score -= PENALTY[kind]
      if (s.score > DISCONNECT_SCORE) return undefined
      s.disconnects++
      s.score = DISCONNECT_SCORE / 2
      return Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (s.disconnects - 1))
    },
    score: (peer) => currentScore(standing(peer))
  }
}
