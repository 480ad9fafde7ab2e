/**
 * Runs the failure detector for one site: publishes this site's signed heartbeat every
 * `heartbeatMs` (over gossip and direct links, through the replicator), verifies and
 * records the heartbeats of others, re-judges every roster member on a timer and reports
 * status transitions. Forged heartbeats are reported as misbehaviour; replays are ignored;
 * heartbeats refused for their wall time (`maxClockSkewMs`) are counted per site and
 * logged, at most once a minute per site, because their sender will be judged failed.
 */
import { isFlotillaError } from '../model/errors.ts'
import type { Clock, Timer } from '../ports/clock.ts'
import type { Logger } from '../ports/logger.ts'
import type { PeerId } from '../ports/network.ts'
import type { Signer, Verify } from '../identity/keys.ts'
import type { Replicator } from '../replication/replicator.ts'
import type { Misbehaviour } from '../replication/peer-guard.ts'
import { BEATS_PER_BOOT, peekHeartbeat, signHeartbeat, verifyHeartbeat, type SignedHeartbeat } from './heartbeat.ts'
import {
  initialDetectorState, judgeSites, observeHeartbeat, unavailableSites,
  type DetectorConfig, type DetectorState, type SiteRecord, type Transition
} from './failure-detector.ts'

export interface LivenessMonitorOptions {
  siteId: string
  signer: Signer
  verify: Verify
  clock: Clock
  replicator: Replicator
  /** Current roster: site id → public key (hex). */
  roster: () => ReadonlyArray<{ siteId: string, publicKey: string }>
  config: DetectorConfig
  /** This process's boot number (persisted and incremented at every start). */
  boot: number
  /** Digest of this site's own document heads, sent in each heartbeat. */
  headsDigest: () => string
  logger: Logger
}

/** Heartbeats of one site refused because its wall clock is too far from this site's. */
export interface ClockSkewRecord {
  siteId: string
  /** Refused since this process started. */
  refused: number
  /** Its wall time minus ours at the last refusal (ms; positive: its clock is ahead). */
  lastSkewMs: number
  /** This site's monotonic time of the last refusal. */
  lastRefusedMs: number
  /**
   * Its latest heartbeat was refused (none accepted since) within the last `failMs`: the
   * site is judged only from the beats it sends, so it goes failed while this lasts.
   */
  refusing: boolean
}

/** How often a site's refused heartbeats are logged again (the count keeps growing in between). */
const SKEW_LOG_EVERY_MS = 60_000

export interface LivenessMonitor {
  start (): void
  stop (): void
  /** Every roster member but this site, with its record (undefined if never heard). */
  records (): Map<string, SiteRecord | undefined>
  unavailable (): Set<string>
  onTransition (listener: (t: Transition) => void): () => void
  onHeartbeat (listener: (hb: SignedHeartbeat, via: PeerId) => void): () => void
  onMisbehaviour (listener: (m: Misbehaviour) => void): () => void
  /** Sites whose heartbeats were refused for clock skew, by site id. */
  clockSkew (): ClockSkewRecord[]
}

export function createLivenessMonitor (options: LivenessMonitorOptions): LivenessMonitor {
  const { siteId, signer, verify, clock, replicator, config, logger } = options
  let state: DetectorState = initialDetectorState(clock.monotonicMs())
  let beats = 0
  let beatTimer: Timer | undefined
  let judgeTimer: Timer | undefined
  let unsubscribe: (() => void) | undefined
  const transitionListeners = new Set<(t: Transition) => void>()
  const heartbeatListeners = new Set<(hb: SignedHeartbeat, via: PeerId) => void>()
  const misbehaviourListeners = new Set<(m: Misbehaviour) => void>()
  const skewed = new Map<string, { refused: number, lastCounter: number, lastSkewMs: number, lastRefusedMs: number, loggedMs: number | undefined }>()

  const keyOf = (id: string): string | undefined => options.roster().find((m) => m.siteId === id)?.publicKey
  const others = (): string[] => options.roster().map((m) => m.siteId).filter((id) => id !== siteId)

  function beat (): void {
    beats++
    const counter = options.boot * BEATS_PER_BOOT + beats
    replicator.sendHeartbeat(signHeartbeat(signer, { siteId, counter, wallMs: clock.wallMs(), headsDigest: options.headsDigest() }))
    beatTimer = clock.setTimer(config.heartbeatMs, beat)
  }

  const judgeEveryMs = Math.max(100, Math.floor(config.heartbeatMs / 2))
  let lastJudgeMs = clock.monotonicMs()
  let deferred = false

  function judge (): void {
    const now = clock.monotonicMs()
    // A judgement far later than scheduled means this site itself did not run (a GC or VM
    // pause, an overloaded host): the heartbeats the others sent meanwhile are still queued
    // behind this timer, so every site would look silent for the length of our own pause.
    // Judge once they have been read — one period later; a site that keeps running late
    // is judged every other period, so real failures are still found.
    const lateMs = now - lastJudgeMs - judgeEveryMs
    if (lateMs > config.heartbeatMs && !deferred) {
      deferred = true
      lastJudgeMs = now
      logger.info({ lateMs: Math.round(lateMs) }, 'liveness judgement deferred: this site was paused')
      judgeTimer = clock.setTimer(judgeEveryMs, judge)
      return
    }
    deferred = false
    lastJudgeMs = now
    const result = judgeSites(state, others(), now, config)
    state = result.state
    for (const t of result.transitions) {
      logger.info({ site: t.siteId, from: t.from, to: t.to, cause: t.cause }, 'site liveness changed')
      for (const l of transitionListeners) {
        try { l(t) } catch (e) { logger.error({ err: (e as Error).message }, 'transition listener failed') }
      }
    }
    judgeTimer = clock.setTimer(judgeEveryMs, judge)
  }

  function receive (payload: Uint8Array, from: PeerId, via: PeerId): void {
    // Every heartbeat arrives more than once (from its publisher and through relays): a
    // copy whose counter is not above the last accepted one would be ignored after its
    // signature check, so it is ignored before it; so is a copy of one refused for its wall
    // time. Only verified heartbeats move counters.
    const claimed = peekHeartbeat(payload)
    if (claimed !== undefined && claimed.counter <= Math.max(state.sites.get(claimed.siteId)?.lastCounter ?? -1, skewed.get(claimed.siteId)?.lastCounter ?? -1)) return
    let hb: SignedHeartbeat
    try {
      hb = verifyHeartbeat(payload, keyOf, verify)
    } catch (e) {
      if (isFlotillaError(e, 'bad-signature') || isFlotillaError(e, 'unauthorized-writer') || isFlotillaError(e, 'malformed')) {
        // Blame the publisher, which the transport authenticated (gossipsub signs each
        // message; a direct frame has from === via); a neighbour that merely relayed it did nothing wrong.
        const m: Misbehaviour = { peer: from, kind: e.code === 'malformed' ? 'malformed' : 'bad-signature', detail: `heartbeat from ${from}: ${e.message}`, proof: [payload.subarray(0, 512)] }
        for (const l of misbehaviourListeners) l(m)
      }
      return
    }
    if (hb.siteId === siteId) return
    const nowWallMs = clock.wallMs()
    const result = observeHeartbeat(state, hb, clock.monotonicMs(), nowWallMs, config)
    state = result.state
    if (result.verdict === 'skewed') noteSkew(hb.siteId, hb.counter, hb.wallMs - nowWallMs)
    if (result.verdict !== 'accepted') return
    for (const l of heartbeatListeners) {
      try { l(hb, via) } catch (e) { logger.error({ err: (e as Error).message }, 'heartbeat listener failed') }
    }
  }

  /**
   * Whether a site's heartbeats are being refused for skew now: the last was refused lately,
   * and none was accepted for longer than `suspectMs` (a refusal between accepted beats is a
   * replay of old ones by someone else, which changes nothing).
   */
  function refusing (id: string, lastRefusedMs: number, now: number): boolean {
    const lastSeenMs = state.sites.get(id)?.lastSeenMs ?? -Infinity
    return lastRefusedMs > lastSeenMs && now - lastRefusedMs <= config.failMs && now - lastSeenMs > config.suspectMs
  }

  function noteSkew (id: string, counter: number, skewMs: number): void {
    const now = clock.monotonicMs()
    const r = skewed.get(id) ?? { refused: 0, lastCounter: -1, lastSkewMs: 0, lastRefusedMs: now, loggedMs: undefined }
    r.refused++
    r.lastCounter = counter
    r.lastSkewMs = skewMs
    r.lastRefusedMs = now
    skewed.set(id, r)
    if (r.loggedMs !== undefined && now - r.loggedMs < SKEW_LOG_EVERY_MS) return
    r.loggedMs = now
    logger.warn({ site: id, skewSeconds: Math.round(skewMs / 1000), limitSeconds: Math.round(config.maxClockSkewMs / 1000), refused: r.refused },
      'heartbeats refused: the site\'s wall clock is too far from ours (it is judged failed while this lasts; check NTP on both sites, or raise failover.maxClockSkewMs)')
  }

  return {
    start () {
      unsubscribe = replicator.onHeartbeat(receive)
      beat()
      lastJudgeMs = clock.monotonicMs()
      judge()
    },
    stop () {
      beatTimer?.cancel()
      judgeTimer?.cancel()
      unsubscribe?.()
    },
    records () {
      return new Map(others().map((id) => [id, state.sites.get(id)]))
    },
    unavailable: () => unavailableSites(state),
    onTransition (l) { transitionListeners.add(l); return () => { transitionListeners.delete(l) } },
    onHeartbeat (l) { heartbeatListeners.add(l); return () => { heartbeatListeners.delete(l) } },
    onMisbehaviour (l) { misbehaviourListeners.add(l); return () => { misbehaviourListeners.delete(l) } },
    clockSkew () {
      const now = clock.monotonicMs()
      return [...skewed].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([id, r]) => ({
        siteId: id, refused: r.refused, lastSkewMs: r.lastSkewMs, lastRefusedMs: r.lastRefusedMs,
        refusing: refusing(id, r.lastRefusedMs, now)
      }))
    }
  }
}
