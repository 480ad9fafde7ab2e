/**
 * Runs the failure detector for one site: publishes this site's signed heartbeat every
 * `heartbeatMs` (over gossip and direct links, through the replicator), verifies and
 * records the heartbeats of others, re-judges every roster member on a timer and reports
 * status transitions. Forged heartbeats are reported as misbehaviour; replays are ignored.
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

export interface LivenessMonitor {
  start (): void
  stop (): void
  /** Every roster member but this site, with its record (undefined if never heard). */
  records (): Map<string, SiteRecord | undefined>
  unavailable (): Set<string>
  onTransition (listener: (t: Transition) => void): () => void
  onHeartbeat (listener: (hb: SignedHeartbeat, via: PeerId) => void): () => void
  onMisbehaviour (listener: (m: Misbehaviour) => void): () => void
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
    // signature check, so it is ignored before it. Only verified heartbeats move counters.
    const claimed = peekHeartbeat(payload)
    if (claimed !== undefined && claimed.counter <= (state.sites.get(claimed.siteId)?.lastCounter ?? -1)) return
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
    const result = observeHeartbeat(state, hb, clock.monotonicMs(), clock.wallMs(), config)
    state = result.state
    if (result.verdict !== 'accepted') return
    for (const l of heartbeatListeners) {
      try { l(hb, via) } catch (e) { logger.error({ err: (e as Error).message }, 'heartbeat listener failed') }
    }
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
    onMisbehaviour (l) { misbehaviourListeners.add(l); return () => { misbehaviourListeners.delete(l) } }
  }
}
