/**
 * Replication of signed documents between sites, over the Network port. Three paths keep
 * every honest site's log equal to the union of what honest sites hold:
 *  - push: a local change goes at once to every connected peer;
 *  - announce: a site whose document gained changes gossips the new heads (digest and
 *    count) on the federation topic, so sites not directly connected learn of them;
 *  - reconcile: per document, a session (sync-sessions.ts) started on a differing digest
 *    (digest-exchange.ts) or announcement.
 * This module composes them: it decodes and dispatches frames, pushes and announces local
 * changes, carries heartbeats, and turns whatever a peer does wrong into lost standing
 * (peer-guard) and misbehaviour reports for the evidence log. Every change is verified by
 * the store before it is applied.
 */
import { FlotillaError, isFlotillaError, type ErrorCode } from '../model/errors.ts'
import type { EvidenceKind } from '../model/federation.ts'
import type { Timer } from '../ports/clock.ts'
import type { PeerId, TransportViolation } from '../ports/network.ts'
import { peerIdFromPublicKey } from '../identity/peer-id.ts'
import { fromHex } from '../identity/keys.ts'
import type { IngestReport } from '../store/document-store.ts'
import { encodeSignedChange, type SignedChange } from '../store/log/envelope.ts'
import { createDigestExchange } from './digest-exchange.ts'
import { createOutboundPacer } from './outbound-pacer.ts'
import { decodeDirect, decodeGossip, encodeDirect, encodeGossip, peekPushCount, type DirectFrame, type GossipMessage } from './messages.ts'
import { createPeerGuard, REPLAYS_PER_SECOND, type Misbehaviour } from './peer-guard.ts'
import type { HeartbeatListener, Replicator, ReplicatorOptions } from './replicator-api.ts'
import { createSyncSessions } from './sync-sessions.ts'

export type { BootstrapProgress, HeartbeatListener, PeerReplicationStats, ReplicationStats, Replicator, ReplicatorOptions } from './replicator-api.ts'
export { digestOfHeads } from './digest-exchange.ts'

/** A sync frame carries at most this share of the frame limit in changes. */
const CHUNK_BYTES_FRACTION = 0.5
/** Bulk frames waiting per peer (each up to half a frame limit of changes already held in memory). */
const MAX_PENDING_BULK_FRAMES = 1024

const REJECTION_KIND: Partial<Record<ErrorCode, EvidenceKind>> = {
  'bad-signature': 'bad-signature',
  'unauthorized-writer': 'unauthorized-writer',
  'wrong-document': 'unauthorized-writer',
  'actor-mismatch': 'actor-mismatch',
  malformed: 'malformed',
  oversized: 'oversized',
  'unsupported-version': 'malformed'
}

/** Evidence for each breach of a transport limit (see `NetworkHandlers.onViolation`). */
const VIOLATION_KIND: Record<TransportViolation, EvidenceKind> = {
  'frame-too-large': 'oversized',
  'malformed-frame': 'malformed',
  'unexpected-data': 'malformed',
  'too-many-streams': 'flood'
}
const VIOLATION_DETAIL: Record<TransportViolation, string> = {
  'frame-too-large': 'a frame above the size limit (stream reset)',
  'malformed-frame': 'bytes that are not a length-prefixed frame (stream reset)',
  'unexpected-data': 'data on a stream that only this site writes (stream reset)',
  'too-many-streams': 'more concurrent sync streams than the limit (stream reset)'
}

export function createReplicator (options: ReplicatorOptions): Replicator {
  const { store, network, clock, rng, logger, limits } = options
  const sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000
  const gossipHeartbeatEvery = options.gossipHeartbeatEvery ?? 3
  if (!Number.isInteger(gossipHeartbeatEvery) || gossipHeartbeatEvery < 1) {
    throw new FlotillaError('config-invalid', `'gossipHeartbeatEvery' must be a whole number of at least 1: received ${gossipHeartbeatEvery}`,
      'Use 1 to send every heartbeat on gossip as well, or a larger number to send every n-th.')
  }
  let heartbeatsSent = 0
  const guard = createPeerGuard(clock, {
    changesPerSecond: limits.changesPerSecond,
    // Honest peers send a few frames a second (heartbeats, pushes, sessions); bootstrap
    // traffic travels in large frames, not many.
    framesPerSecond: 200,
    maxConcurrentSessions: limits.maxConcurrentStreams
  })
  const chunkBytes = Math.floor(limits.maxFrameBytes * CHUNK_BYTES_FRACTION)
  // At most one chunk waits in the transport per peer (its queue holds two full frames).
  const pacer = createOutboundPacer({
    clock, network, budgetBytes: chunkBytes, maxPendingFrames: MAX_PENDING_BULK_FRAMES,
    onDropped: (peer) => { logger.warn({ peer, maxPendingFrames: MAX_PENDING_BULK_FRAMES }, 'bulk frames for a slow peer above the bound; dropped (anti-entropy retries)') }
  })
  const bannedPeers = new Set<PeerId>()
  /** Per peer and kind ('flood', 'replay'): when standing was last lowered for it. */
  const excessNotedAt = new Map<string, number>()
  const announceTimers = new Map<string, Timer>()
  const misbehaviourListeners = new Set<(m: Misbehaviour) => void>()
  const heartbeatListeners = new Set<HeartbeatListener>()
  const counters = { accepted: 0, duplicates: 0, rejected: {} as Record<string, number> }
  const sessionCounters = { started: 0, completed: 0, timedOut: 0, roundTrips: 0 }
  let unsubscribeStore: (() => void) | undefined
  let unsubscribeEvidence: (() => void) | undefined
  let unhandle: (() => void) | undefined
  let running = false

  const mayTalkTo = (peer: PeerId): boolean => running && !bannedPeers.has(peer)

  function send (peer: PeerId, frame: DirectFrame): void {
    if (!running) return
    network.send(peer, encodeDirect(frame))
  }

  /** Sync replies and changes: paced to the transport's backlog, encoded when they leave. */
  function sendBulk (peer: PeerId, frame: DirectFrame): void {
    if (!running) return
    pacer.send(peer, () => encodeDirect(frame))
  }

  function report (m: Misbehaviour): void {
    for (const l of misbehaviourListeners) {
      try { l(m) } catch (e) { logger.error({ err: (e as Error).message }, 'misbehaviour listener failed') }
    }
  }

  function penalise (peer: PeerId, kind: EvidenceKind, detail: string, proof?: Uint8Array[]): void {
    const m: Misbehaviour = { peer, kind, detail }
    if (proof !== undefined) m.proof = proof
    report(m)
    const backoff = guard.penalise(peer, kind)
    if (backoff !== undefined) {
      logger.warn({ peer, kind, backoffMs: backoff }, 'disconnecting a misbehaving peer')
      network.disconnect(peer, `misbehaviour: ${kind}`, backoff)
    }
  }

  /**
   * Counts a flood or a replay. The excess is dropped at once, but the peer loses
   * standing for it at most once a second: an honest peer whose frames were queued
   * behind a stalled process arrives in a burst and must not be cut off for it, while a
   * sustained flooder still reaches the disconnect threshold within seconds.
   */
  function noteExcess (peer: PeerId, kind: 'flood' | 'replay', detail: string): void {
    const now = clock.monotonicMs()
    const key = `${kind} ${peer}`
    const last = excessNotedAt.get(key)
    if (last !== undefined && now - last < 1000) return
    excessNotedAt.set(key, now)
    penalise(peer, kind, detail)
  }
  const noteFlood = (peer: PeerId, detail: string): void => { noteExcess(peer, 'flood', detail) }

  /** Whether `n` unsolicited changes from `peer` may be looked at; notes the excess if not. */
  function admitUnsolicited (peer: PeerId, n: number): boolean {
    if (!guard.hasChanges(peer, n)) {
      noteFlood(peer, `more than ${limits.changesPerSecond} unsolicited changes per second`)
      return false
    }
    if (guard.replaying(peer)) {
      noteExcess(peer, 'replay', `pushes refused: more than ${REPLAYS_PER_SECOND} changes per second this site already held`)
      return false
    }
    return true
  }

  /**
   * Ingests changes from a peer; reports what was refused. Unsolicited changes (pushes,
   * late frames of a closed session) are rate-limited per peer; changes inside a session
   * are not, as a bootstrap legitimately brings thousands at once: they are bounded by
   * the session instead (sync-sessions.ts holds an initiator to what its filter declared).
   */
  async function ingestFrom (peer: PeerId, changes: readonly SignedChange[], solicited: boolean): Promise<IngestReport | undefined> {
    if (changes.length === 0) return undefined
    if (!solicited && !admitUnsolicited(peer, changes.length)) return undefined
    if (!solicited) guard.takeChanges(peer, changes.length)
    const result = await store.ingest(changes)
    if (!solicited && result.duplicates > 0 && !guard.spendReplays(peer, result.duplicates)) {
      noteExcess(peer, 'replay', `${result.duplicates} pushed changes this site already held (more than ${REPLAYS_PER_SECOND} per second)`)
    }
    counters.accepted += result.accepted
    counters.duplicates += result.duplicates
    for (const r of result.rejected) {
      counters.rejected[r.code] = (counters.rejected[r.code] ?? 0) + 1
      const kind = REJECTION_KIND[r.code as ErrorCode] ?? 'malformed'
      penalise(peer, kind, `${r.docId}: ${r.message}`, r.bytes === undefined ? undefined : [r.bytes])
    }
    for (const d of result.dropped) counters.rejected[d.code] = (counters.rejected[d.code] ?? 0) + 1
    if (result.dropped.length > 0) penalise(peer, 'quarantine-full', `${result.dropped.length} changes with missing dependencies did not fit the quarantine`)
    return result
  }

  /** Per peer, when this site last knew itself reconciled with it (`PeerReplicationStats.lastReconciledMs`). */
  const reconciledAt = new Map<PeerId, number>()
  const reconciled = (peer: PeerId): void => { reconciledAt.set(peer, clock.monotonicMs()) }

  const digests = createDigestExchange({
    store, clock, rng, localPeer: network.localPeer, isKnownDocument: options.isKnownDocument, mayTalkTo, onInSync: reconciled,
    connectedPeers: () => network.connectedPeers(),
    sendEncoded: (peer, bytes) => { network.send(peer, bytes) },
    startSession: (peer, docId, forced) => { sessions.start(peer, docId, forced) },
    antiEntropyMs: options.antiEntropyMs ?? 5_000,
    fanout: options.antiEntropyFanout ?? 3
  })

  const sessions = createSyncSessions({
    store, clock, rng, isKnownDocument: options.isKnownDocument, mayTalkTo,
    connectedPeers: () => network.connectedPeers(),
    send, sendBulk, ingest: ingestFrom, penalise, onReconciled: reconciled, noteFlood,
    refusesReplays: (peer) => {
      if (!guard.replaying(peer)) return false
      noteExcess(peer, 'replay', `session changes refused: more than ${REPLAYS_PER_SECOND} changes per second this site already held`)
      return true
    },
    spendReplays: (peer, n) => {
      counters.duplicates += n
      if (!guard.spendReplays(peer, n)) noteExcess(peer, 'replay', `${n} changes in a sync session that this site's filter said it held, and did (more than ${REPLAYS_PER_SECOND} per second)`)
    },
    openResponder: (peer) => {
      if (guard.openSession(peer)) return true
      noteFlood(peer, `more than ${limits.maxConcurrentStreams} concurrent sync sessions`)
      return false
    },
    closeResponder: (peer) => { guard.closeSession(peer) },
    sameDigest: (peer, docId) => digests.sameDigest(peer, docId),
    counters: sessionCounters,
    chunkBytes,
    sessionTimeoutMs,
    minAnswerWaitMs: options.minAnswerWaitMs ?? 1000,
    maxSessionMs: options.maxSessionMs ?? 6 * sessionTimeoutMs,
    maxNeedRounds: options.maxNeedRounds ?? 8
  })

  function emitHeartbeat (payload: Uint8Array, from: PeerId, via: PeerId): void {
    for (const l of heartbeatListeners) {
      try { l(payload, from, via) } catch (e) { logger.error({ err: (e as Error).message }, 'heartbeat listener failed') }
    }
  }

  async function onFrame (peer: PeerId, frame: DirectFrame): Promise<void> {
    switch (frame.type) {
      case 'sync-open':
      case 'sync-reply':
      case 'changes':
      case 'need':
        return await sessions.onFrame(peer, frame)
      case 'digest':
      case 'digest-reply':
        digests.onDigest(peer, frame.docs, frame.type === 'digest')
        return
      case 'error':
        logger.warn({ peer, code: frame.code, message: frame.message }, 'peer reported a replication error')
        return
      case 'heartbeat':
        emitHeartbeat(frame.payload, peer, peer)
    }
  }

  function onMessage (peer: PeerId, payload: Uint8Array): void {
    if (bannedPeers.has(peer)) return
    if (!guard.takeFrame(peer)) { noteFlood(peer, 'too many frames per second'); return }
    // A push that ingestFrom would refuse is refused unread: a flooder's or replayer's
    // frames cost a header read, not a decode of every change in them.
    const pushed = peekPushCount(payload)
    if (pushed !== undefined && pushed > 0 && !admitUnsolicited(peer, pushed)) return
    let frame: DirectFrame
    try {
      frame = decodeDirect(payload)
    } catch (e) {
      if (isFlotillaError(e, 'unsupported-version')) {
        send(peer, { type: 'error', code: e.code, message: e.message })
        return
      }
      penalise(peer, 'malformed', (e as Error).message, [payload.subarray(0, 512)])
      return
    }
    onFrame(peer, frame).catch((e: unknown) => {
      if (isFlotillaError(e, 'malformed')) { penalise(peer, 'malformed', e.message); return }
      logger.error({ peer, err: (e as Error).message }, 'failed to handle a replication frame')
    })
  }

  /**
   * A transport limit a peer broke (its stream was reset, the frame dropped) is evidence
   * like any other misbehaviour: an honest site never sends a frame above the limit (its
   * own transport drops those), never writes on a stream it reads, and opens one sync
   * stream at a time, so repeats cut the peer off. Too many streams is a flood, counted
   * once a second like other floods.
   */
  function onViolation (peer: PeerId, violation: TransportViolation): void {
    if (!running || bannedPeers.has(peer)) return
    const kind = VIOLATION_KIND[violation]
    const detail = `transport: ${VIOLATION_DETAIL[violation]}`
    if (kind === 'flood') noteFlood(peer, detail)
    else penalise(peer, kind, detail)
  }

  /**
   * The transport hands the validator and the handler the same buffer (libp2p's
   * `msg.data`, and the simulator likewise), so a message is decoded once for both.
   */
  const decodedGossip = new WeakMap<Uint8Array, GossipMessage>()
  function decodeGossipOnce (payload: Uint8Array): GossipMessage {
    let m = decodedGossip.get(payload)
    if (m === undefined) { m = decodeGossip(payload); decodedGossip.set(payload, m) }
    return m
  }

  function validateBroadcast (_origin: PeerId, payload: Uint8Array): 'accept' | 'reject' | 'ignore' {
    try {
      const m = decodeGossipOnce(payload)
      if (m.type === 'announce' && !options.isKnownDocument(m.docId)) return 'reject'
      return 'accept'
    } catch (e) {
      return isFlotillaError(e, 'unsupported-version') ? 'ignore' : 'reject'
    }
  }

  function onBroadcast (origin: PeerId, via: PeerId, payload: Uint8Array): void {
    if (bannedPeers.has(origin)) return
    let m
    try { m = decodeGossipOnce(payload) } catch { return }
    if (m.type === 'heartbeat') { emitHeartbeat(m.payload, origin, via); return }
    if (!options.isKnownDocument(m.docId)) return
    const mine = digests.digestOf(m.docId)
    // Ahead of the announcement (a later push overtook it): nothing to fetch.
    if (mine.digest === m.digest || m.count < mine.count) return
    const connected = network.connectedPeers()
    sessions.start(connected.includes(origin) ? origin : via, m.docId)
  }

  function scheduleAnnounce (docId: string): void {
    if (announceTimers.has(docId)) return
    announceTimers.set(docId, clock.setTimer(50, () => {
      announceTimers.delete(docId)
      if (!running) return
      const d = digests.digestOf(docId)
      network.broadcast(encodeGossip({ type: 'announce', docId, digest: d.digest, count: d.count }))
    }))
  }

  /**
   * Pushes a local change to every connected peer, encoded once. Only the writer
   * announces, and only to reach sites its push did not: gossip relays an announcement to
   * every site through any connected path, and the sites on that path hold the change, so
   * re-announcing every arrival (N announcements per change, each relayed through the
   * mesh) bought nothing but traffic. Anti-entropy covers a lost push or announcement.
   */
  function pushLocal (docId: string, changes: readonly SignedChange[]): void {
    const frames = sessions.chunked(changes).map((chunk) => encodeDirect({ type: 'changes', session: 0, docId, changes: chunk, more: false, toResponder: false }))
    let pushed = 0
    for (const peer of network.connectedPeers()) {
      if (bannedPeers.has(peer)) continue
      for (const frame of frames) pacer.send(peer, () => frame)
      pushed++
    }
    if (options.peerCount === undefined || pushed < options.peerCount()) scheduleAnnounce(docId)
  }

  return {
    start () {
      if (running) return
      running = true
      unhandle = network.handle({
        onMessage,
        onBroadcast,
        validateBroadcast,
        onViolation,
        onPeerUp: (peer) => { if (!bannedPeers.has(peer)) digests.sendDigests([peer]) },
        onPeerDown: (peer) => {
          pacer.forget(peer)
          digests.peerDown(peer)
          sessions.peerDown(peer)
        }
      })
      unsubscribeStore = store.onChange((docId, entries, origin) => {
        digests.storeChanged()
        if (origin === 'local') pushLocal(docId, entries.map((e) => e.env))
      })
      unsubscribeEvidence = store.onEvidence((ev) => {
        // The forked writer's own traffic is refused from now on; its changes may still
        // arrive through honest relays that took them before the fork was known.
        const offender = peerIdFromPublicKey(fromHex(ev.signer))
        bannedPeers.add(offender)
        network.disconnect(offender, 'equivocation', 24 * 3600_000)
        report({ peer: offender, kind: 'equivocation', detail: `${ev.docId}: two changes at ${ev.actor.slice(0, 16)}…/${ev.seq}`, proof: ev.pair.map((e) => encodeSignedChange(e.env)) })
      })
      digests.sendDigests(network.connectedPeers().filter((p) => !bannedPeers.has(p)))
      digests.schedule()
    },

    stop () {
      running = false
      digests.stop()
      pacer.stop()
      for (const t of announceTimers.values()) t.cancel()
      announceTimers.clear()
      sessions.stop()
      unhandle?.()
      unsubscribeStore?.()
      unsubscribeEvidence?.()
    },

    stats () {
      const traffic = new Map(network.traffic().map((t) => [t.peer, t]))
      const connected = new Set(network.connectedPeers())
      const peers = new Set<PeerId>([...traffic.keys(), ...connected, ...digests.knownPeers()])
      return {
        peers: [...peers].sort().map((peer) => {
          const t = traffic.get(peer)
          const at = reconciledAt.get(peer)
          return {
            peer, connected: connected.has(peer), behind: digests.behind(peer), bytesIn: t?.bytesIn ?? 0, bytesOut: t?.bytesOut ?? 0, score: guard.score(peer),
            ...(at === undefined ? {} : { lastReconciledMs: at })
          }
        }),
        accepted: counters.accepted,
        duplicates: counters.duplicates,
        rejected: { ...counters.rejected },
        sessions: { ...sessionCounters, waiting: sessions.waiting(), open: sessions.open() }
      }
    },

    progress: () => digests.progress(),

    syncAll () {
      for (const peer of network.connectedPeers()) {
        const docs = new Set([...store.documentIds(), ...digests.documentsOf(peer)])
        for (const docId of docs) sessions.start(peer, docId)
      }
    },

    onMisbehaviour (listener) {
      misbehaviourListeners.add(listener)
      return () => { misbehaviourListeners.delete(listener) }
    },

    sendHeartbeat (payload) {
      if (!running) return
      const direct = network.connectedPeers().filter((peer) => !bannedPeers.has(peer))
      const everyoneDirect = options.peerCount !== undefined && direct.length >= options.peerCount()
      // The gossip copy is the relay path to sites without a direct link; the direct
      // copies below reach every connected site, so the gossip copy starts on the mesh only.
      if (!everyoneDirect || heartbeatsSent % gossipHeartbeatEvery === 0) {
        network.broadcast(encodeGossip({ type: 'heartbeat', payload }), { alsoSentDirect: true })
      }
      heartbeatsSent++
      const frame = encodeDirect({ type: 'heartbeat', payload })
      for (const peer of direct) network.send(peer, frame)
    },

    onHeartbeat (listener) {
      heartbeatListeners.add(listener)
      return () => { heartbeatListeners.delete(listener) }
    }
  }
}
