/**
 * Replication of signed documents between sites, over the Network port. Three paths keep
 * every honest site's log equal to the union of what honest sites hold:
 *  - push: a local change goes at once to every connected peer;
 *  - announce: a site whose document gained changes gossips the new heads (digest and
 *    count) on the federation topic, so sites not directly connected learn of them;
 *  - reconcile: per document, a session in the manner of Kleppmann and Howard's
 *    Byzantine eventual consistency algorithm — heads remembered from the last
 *    reconciliation with that peer, a Bloom filter of what was added since, the missing
 *    changes with their signatures, then `need`s for what is still unknown — started on
 *    a differing digest or announcement. Digests are exchanged on connect and, every
 *    anti-entropy period, with a bounded rotation of the connected peers; the side that
 *    is behind pulls, and one session per document runs at a time (doc-flights), so a
 *    site that lacks a document fetches it once, not once per peer.
 * Every change is verified by the store before it is applied. Whatever a peer does wrong
 * costs it standing (peer-guard) and is reported as misbehaviour for the evidence log.
 */
import { createHash } from 'node:crypto'
import { FlotillaError, isFlotillaError, type ErrorCode } from '../model/errors.ts'
import type { EvidenceKind } from '../model/federation.ts'
import type { Clock, Timer } from '../ports/clock.ts'
import type { Logger } from '../ports/logger.ts'
import type { Network, PeerId } from '../ports/network.ts'
import type { Rng } from '../ports/rng.ts'
import { peerIdFromPublicKey } from '../identity/peer-id.ts'
import { fromHex } from '../identity/keys.ts'
import type { DocumentStore, IngestReport } from '../store/document-store.ts'
import type { LogEntry } from '../store/log/change-log.ts'
import { encodeSignedChange, type SignedChange } from '../store/log/envelope.ts'
import { buildBloom, type BloomFilter } from './bloom.ts'
import { createDocFlights } from './doc-flights.ts'
import { createPeerRotation } from './peer-rotation.ts'
import { createOutboundPacer } from './outbound-pacer.ts'
import { setPatientTimer } from './patient-timer.ts'
import { decodeDirect, decodeGossip, encodeDirect, encodeGossip, type DirectFrame, type DocDigest } from './messages.ts'
import { createPeerGuard, type Misbehaviour } from './peer-guard.ts'

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

interface InitiatorSession {
  id: number
  peer: PeerId
  docId: string
  since: string[]
  needRounds: number
  startedAt: number
  timer: Timer
  phase: 'awaiting-reply' | 'receiving-reply' | 'awaiting-changes'
  reply?: { heads: string[], sinceKnown: boolean, bloom: BloomFilter }
  again: boolean
  /** Frames of this session being ingested now: the time-out waits for them. */
  ingesting: number
}

interface ResponderSession {
  peer: PeerId
  docId: string
  peerHeads: string[]
  timer: Timer
}

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

/** An idle pair whose digests match still exchanges them once per this many anti-entropy periods. */
const SETTLED_EXCHANGE_PERIODS = 6

export function digestOfHeads (heads: readonly string[]): string {
  return createHash('sha256').update(heads.join(',')).digest('hex').slice(0, 32)
}

export function createReplicator (options: ReplicatorOptions): Replicator {
  const { store, network, clock, rng, logger, limits } = options
  const antiEntropyMs = options.antiEntropyMs ?? 5_000
  const sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000
  const maxSessionMs = options.maxSessionMs ?? 6 * sessionTimeoutMs
  const antiEntropyFanout = options.antiEntropyFanout ?? 3
  const maxNeedRounds = options.maxNeedRounds ?? 8
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

  const lastSync = new Map<PeerId, Map<string, string[]>>()
  const peerDigests = new Map<PeerId, Map<string, DocDigest>>()
  const initiated = new Map<number, InitiatorSession>()
  const activeByKey = new Map<string, InitiatorSession>()
  const flights = createDocFlights()
  /** Sessions we gave up on: their late frames are still answers we asked for (session → peer, expiry). */
  const abandoned = new Map<number, { peer: PeerId, until: number }>()
  const rotation = createPeerRotation(rng)
  const responding = new Map<string, ResponderSession>()
  const bannedPeers = new Set<PeerId>()
  const floodNotedAt = new Map<PeerId, number>()
  const digestCache = new Map<string, { heads: string[], digest: DocDigest }>()
  const announceTimers = new Map<string, Timer>()
  const misbehaviourListeners = new Set<(m: Misbehaviour) => void>()
  const heartbeatListeners = new Set<HeartbeatListener>()
  const counters = { accepted: 0, duplicates: 0, rejected: {} as Record<string, number>, started: 0, completed: 0, timedOut: 0, roundTrips: 0 }
  let nextSession = 1 + (rng.nextUint32() % 1000)
  let antiEntropy: Timer | undefined
  let unsubscribeStore: (() => void) | undefined
  let unsubscribeEvidence: (() => void) | undefined
  let unhandle: (() => void) | undefined
  let running = false

  const sessionKey = (peer: PeerId, docId: string): string => `${peer}|${docId}`

  function send (peer: PeerId, frame: DirectFrame): void {
    if (!running) return
    network.send(peer, encodeDirect(frame))
  }

  /** Sync replies and changes: paced to the transport's backlog, encoded when they leave. */
  function sendBulk (peer: PeerId, frame: DirectFrame): void {
    if (!running) return
    pacer.send(peer, () => encodeDirect(frame))
  }

  function digestOf (docId: string): DocDigest {
    const heads = store.heads(docId)
    const cached = digestCache.get(docId)
    if (cached !== undefined && cached.heads === heads) return cached.digest
    let count = 0
    const log = store.log(docId)
    if (log !== undefined) for (const h of log.hashes()) if (log.isComplete(h)) count++
    const digest = { docId, digest: digestOfHeads(heads), count }
    digestCache.set(docId, { heads, digest })
    return digest
  }

  function myDigests (): DocDigest[] {
    return store.documentIds().map(digestOf)
  }

  /**
   * This site's digest frame, encoded once per state: it names every document, and a
   * site meeting many peers at once (a start, a healed partition) sends it to each.
   * `digestVersion` moves with every change the store reports.
   */
  let digestVersion = 0
  const encodedDigests = new Map<'digest' | 'digest-reply', { version: number, bytes: Uint8Array }>()
  /** The digest version each peer was last sent: a peer that has our current one needs no reply. */
  const digestSentTo = new Map<PeerId, number>()
  /** When each peer was last sent a digest (monotonic ms). */
  const digestSentAt = new Map<PeerId, number>()

  /**
   * Whether an anti-entropy round may pass `peer` by: it has our current digest, its own
   * last digest matches ours for every document, and the last exchange is recent. An idle
   * federation then exchanges digests once per `6 × antiEntropyMs` per pair instead of
   * every period. Nothing is lost: a site whose state moved has a new digest version and
   * sends again, and a peer that claims to match while withholding changes cannot hide
   * them, as the honest peers holding them differ from us and are not passed by.
   */
  function settledWith (peer: PeerId): boolean {
    if (digestSentTo.get(peer) !== digestVersion) return false
    const at = digestSentAt.get(peer)
    if (at === undefined || clock.monotonicMs() - at >= SETTLED_EXCHANGE_PERIODS * antiEntropyMs) return false
    const theirs = peerDigests.get(peer)
    if (theirs === undefined) return false
    const mine = store.documentIds().filter((d) => options.isKnownDocument(d))
    return theirs.size === mine.length && mine.every((d) => theirs.get(d)?.digest === digestOf(d).digest)
  }

  function digestFrame (type: 'digest' | 'digest-reply'): Uint8Array {
    const cached = encodedDigests.get(type)
    if (cached !== undefined && cached.version === digestVersion) return cached.bytes
    const bytes = encodeDirect({ type, docs: myDigests() })
    encodedDigests.set(type, { version: digestVersion, bytes })
    return bytes
  }

  function sendDigest (peer: PeerId, type: 'digest' | 'digest-reply'): void {
    if (!running || bannedPeers.has(peer)) return
    network.send(peer, digestFrame(type))
    digestSentTo.set(peer, digestVersion)
    digestSentAt.set(peer, clock.monotonicMs())
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
   * Counts a flood. The excess is dropped at once, but the peer loses standing at most
   * once a second: an honest peer whose frames were queued behind a stalled process
   * arrives in a burst and must not be cut off for it, while a sustained flooder still
   * reaches the disconnect threshold within seconds.
   */
  function noteFlood (peer: PeerId, detail: string): void {
    const now = clock.monotonicMs()
    const last = floodNotedAt.get(peer)
    if (last !== undefined && now - last < 1000) return
    floodNotedAt.set(peer, now)
    penalise(peer, 'flood', detail)
  }

  /**
   * Ingests changes from a peer; reports what was refused. Unsolicited changes (pushes,
   * frames of no open session) are rate-limited per peer; changes inside a session are
   * bounded by the session cap and by what this site lacks, and a bootstrap legitimately
   * brings thousands at once, so they are not.
   */
  async function ingestFrom (peer: PeerId, changes: readonly SignedChange[], solicited: boolean): Promise<IngestReport | undefined> {
    if (changes.length === 0) return undefined
    if (!solicited && !guard.takeChanges(peer, changes.length)) {
      noteFlood(peer, `more than ${limits.changesPerSecond} unsolicited changes per second`)
      return undefined
    }
    const result = await store.ingest(changes)
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

  /** Splits changes into frames that stay under the frame limit. */
  function chunked (changes: readonly SignedChange[]): SignedChange[][] {
    const out: SignedChange[][] = [[]]
    let size = 0
    for (const c of changes) {
      const s = c.change.length + 140
      if (size + s > chunkBytes && out[out.length - 1]!.length > 0) { out.push([]); size = 0 }
      out[out.length - 1]!.push(c)
      size += s
    }
    return out
  }

  /** Entries of `mine` absent from `bloom`, with everything in `mine` built on them. */
  function lacking (mine: readonly LogEntry[], bloom: BloomFilter): SignedChange[] {
    const missing = new Set<string>()
    for (const e of mine) {
      if (!bloom.has(e.hash) || e.deps.some((d) => missing.has(d))) missing.add(e.hash)
    }
    return mine.filter((e) => missing.has(e.hash)).map((e) => e.env)
  }

  function sendChanges (peer: PeerId, session: number, docId: string, changes: readonly SignedChange[], toResponder: boolean): void {
    const chunks = chunked(changes)
    chunks.forEach((chunk, i) => { sendBulk(peer, { type: 'changes', session, docId, changes: chunk, more: i < chunks.length - 1, toResponder }) })
  }

  // ---- initiator side ----

  /**
   * Opens a session on `docId` with `peer`, or queues it behind the session already in
   * flight on that document. `forced` (anything but a digest) keeps a queued request even
   * if the peer's last digest then matches ours.
   */
  function startSession (peer: PeerId, docId: string, forced = true): void {
    if (!running || bannedPeers.has(peer) || !options.isKnownDocument(docId)) return
    const key = sessionKey(peer, docId)
    const active = activeByKey.get(key)
    if (active !== undefined) {
      // A digest taken before the running session ended tells nothing that session will not.
      if (forced) active.again = true
      return
    }
    if (!flights.claim(docId, peer, forced)) return
    const since = lastSync.get(peer)?.get(docId) ?? []
    const mine = store.log(docId)?.addedSince(since) ?? []
    const bloom = buildBloom(mine.map((e) => e.hash), mine.length, rng.nextUint32())
    const id = nextSession++
    const session: InitiatorSession = {
      id, peer, docId, since, needRounds: 0, startedAt: clock.monotonicMs(), phase: 'awaiting-reply', again: false, ingesting: 0,
      timer: setPatientTimer(clock, sessionTimeoutMs, () => { expire(session) })
    }
    initiated.set(id, session)
    activeByKey.set(key, session)
    counters.started++
    counters.roundTrips++
    send(peer, { type: 'sync-open', session: id, docId, heads: store.heads(docId), since, bloom })
  }

  function finish (session: InitiatorSession, outcome: 'done' | 'timeout' | 'aborted'): void {
    if (initiated.get(session.id) !== session) return
    session.timer.cancel()
    initiated.delete(session.id)
    activeByKey.delete(sessionKey(session.peer, session.docId))
    if (outcome === 'done') {
      counters.completed++
      const log = store.log(session.docId)
      const common = (session.reply?.heads ?? []).filter((h) => log?.isComplete(h) === true)
      let perPeer = lastSync.get(session.peer)
      if (perPeer === undefined) lastSync.set(session.peer, perPeer = new Map())
      perPeer.set(session.docId, common)
    } else {
      if (outcome === 'timeout') counters.timedOut++
      rememberAbandoned(session)
    }
    takeOff(session.docId, session.again && outcome === 'done' ? session.peer : undefined)
  }

  function rememberAbandoned (session: InitiatorSession): void {
    const now = clock.monotonicMs()
    for (const [id, a] of abandoned) if (a.until < now || abandoned.size >= 1000) abandoned.delete(id); else break
    abandoned.set(session.id, { peer: session.peer, until: now + 2 * sessionTimeoutMs })
  }

  /** Whether `session` is one we opened with `peer` and abandoned lately. */
  function wasAbandoned (peer: PeerId, session: number): boolean {
    const a = abandoned.get(session)
    return a !== undefined && a.peer === peer && a.until >= clock.monotonicMs()
  }

  /** The document's flight is free: the next waiting peer that still has something for us goes. */
  function takeOff (docId: string, again?: PeerId): void {
    for (let next = flights.release(docId, again); next !== undefined; next = flights.release(docId)) {
      const { peer, forced } = next
      if (!running || bannedPeers.has(peer) || !network.connectedPeers().includes(peer)) continue
      if (!forced && peerDigests.get(peer)?.get(docId)?.digest === digestOf(docId).digest) continue
      startSession(peer, docId, forced)
      if (flights.holds(docId, peer)) return
    }
  }

  /** Progress: the session may wait another time-out, up to its lifetime. */
  function touch (session: InitiatorSession): void {
    session.timer.cancel()
    const left = session.startedAt + maxSessionMs - clock.monotonicMs()
    session.timer = setPatientTimer(clock, Math.max(0, Math.min(sessionTimeoutMs, left)), () => { expire(session) })
  }

  /**
   * A time-out measures the peer's silence, not our own work: while the session's frames
   * are still being ingested (queued behind other ingests in the store) it waits on, up to
   * the session's lifetime. Giving up there made a joining site fetch whole documents twice.
   */
  function expire (session: InitiatorSession): void {
    if (session.ingesting > 0 && clock.monotonicMs() < session.startedAt + maxSessionMs) { touch(session); return }
    finish(session, 'timeout')
  }

  async function ingestFor (session: InitiatorSession, changes: readonly SignedChange[]): Promise<boolean> {
    session.ingesting++
    try { await ingestFrom(session.peer, changes, true) } finally { session.ingesting-- }
    return initiated.get(session.id) === session
  }

  /** After the reply arrived in full: send what the peer lacks, then ask for what we lack. */
  function afterReply (session: InitiatorSession): void {
    const reply = session.reply!
    const mine = store.log(session.docId)?.addedSince(reply.sinceKnown ? session.since : []) ?? []
    sendChanges(session.peer, session.id, session.docId, lacking(mine, reply.bloom), true)
    askOrFinish(session)
  }

  function askOrFinish (session: InitiatorSession): void {
    const log = store.log(session.docId)
    const reply = session.reply!
    const needs = new Set<string>()
    for (const h of reply.heads) if (log?.has(h) !== true) needs.add(h)
    for (const h of log?.missingDeps() ?? []) needs.add(h)
    if (needs.size === 0 || session.needRounds >= maxNeedRounds) { finish(session, 'done'); return }
    session.needRounds++
    counters.roundTrips++
    session.phase = 'awaiting-changes'
    touch(session)
    send(session.peer, { type: 'need', session: session.id, docId: session.docId, hashes: [...needs].sort() })
  }

  // ---- frame handling ----

  async function onFrame (peer: PeerId, frame: DirectFrame): Promise<void> {
    switch (frame.type) {
      case 'sync-open': return await onSyncOpen(peer, frame)
      case 'sync-reply': {
        const session = initiated.get(frame.session)
        if (session === undefined || session.peer !== peer || session.docId !== frame.docId) {
          // A late answer to a session we gave up on: what we asked for, so take it.
          if (wasAbandoned(peer, frame.session) && options.isKnownDocument(frame.docId)) await ingestFrom(peer, frame.changes, true)
          return
        }
        session.reply = { heads: frame.heads, sinceKnown: frame.sinceKnown, bloom: frame.bloom }
        session.phase = 'receiving-reply'
        touch(session)
        if (await ingestFor(session, frame.changes) && !frame.more) afterReply(session)
        return
      }
      case 'changes': {
        if (!options.isKnownDocument(frame.docId)) { penalise(peer, 'unauthorized-writer', `changes for unknown document ${frame.docId}`); return }
        const mine = frame.toResponder ? undefined : initiated.get(frame.session)
        if (mine !== undefined && mine.peer === peer && mine.docId === frame.docId) {
          touch(mine)
          if (!await ingestFor(mine, frame.changes) || frame.more) return
          if (mine.phase === 'receiving-reply') afterReply(mine)
          else if (mine.phase === 'awaiting-changes') askOrFinish(mine)
          return
        }
        const inSession = frame.session !== 0 && (frame.toResponder
          ? responding.has(sessionKey(peer, String(frame.session)))
          : wasAbandoned(peer, frame.session))
        const result = await ingestFrom(peer, frame.changes, inSession)
        if (frame.session === 0) {
          // A push whose dependencies are missing: reconcile that document with the pusher.
          if (result !== undefined && (store.log(frame.docId)?.missingDeps().length ?? 0) > 0) startSession(peer, frame.docId)
          return
        }
        if (frame.toResponder && !frame.more) closeResponder(peer, frame.session, true)
        return
      }
      case 'need': {
        if (!options.isKnownDocument(frame.docId)) return
        sendChanges(peer, frame.session, frame.docId, store.signedChanges(frame.docId, frame.hashes.slice(0, 100_000)), false)
        return
      }
      case 'digest':
      case 'digest-reply':
        onDigest(peer, frame.docs, frame.type === 'digest')
        return
      case 'error':
        logger.warn({ peer, code: frame.code, message: frame.message }, 'peer reported a replication error')
        return
      case 'heartbeat':
        emitHeartbeat(frame.payload, peer, peer)
    }
  }

  /**
   * Compares a peer's digests with ours. The side that is behind on a document pulls it
   * (its session is two-way, so it also hands over whatever the other lacks); with equal
   * counts the lower peer id starts. When the peer should be the one to start, it is told
   * with a `digest-reply` — so one digest, sent either way, reconciles the pair, and a
   * site that lacks a document is not sent it by every peer at once.
   */
  function onDigest (peer: PeerId, docs: readonly DocDigest[], answer: boolean): void {
    const known = new Map<string, DocDigest>()
    const lower = network.localPeer < peer
    let theyShouldStart = false
    for (const d of docs) {
      if (!options.isKnownDocument(d.docId)) continue
      known.set(d.docId, d)
      const mine = digestOf(d.docId)
      if (mine.digest === d.digest) continue
      if (d.count > mine.count || (d.count === mine.count && lower)) startSession(peer, d.docId, false)
      else theyShouldStart = true
    }
    // Documents the peer does not hold at all.
    for (const docId of store.documentIds()) if (!known.has(docId) && options.isKnownDocument(docId)) theyShouldStart = true
    peerDigests.set(peer, known)
    // No answer when the peer already has our current digest (both sides sent one on connect).
    if (answer && theyShouldStart && digestSentTo.get(peer) !== digestVersion) sendDigest(peer, 'digest-reply')
  }

  async function onSyncOpen (peer: PeerId, frame: Extract<DirectFrame, { type: 'sync-open' }>): Promise<void> {
    if (!options.isKnownDocument(frame.docId)) {
      send(peer, { type: 'error', code: 'wrong-document', message: `no document "${frame.docId}" in this federation` })
      return
    }
    if (!guard.openSession(peer)) {
      // Refused, not served: the initiator's session times out and anti-entropy retries it.
      noteFlood(peer, `more than ${limits.maxConcurrentStreams} concurrent sync sessions`)
      return
    }
    const key = sessionKey(peer, String(frame.session))
    responding.get(key)?.timer.cancel()
    responding.set(key, {
      peer, docId: frame.docId, peerHeads: frame.heads,
      timer: setPatientTimer(clock, sessionTimeoutMs, () => { closeResponder(peer, frame.session, false) })
    })
    const log = store.log(frame.docId)
    const sinceKnown = frame.since.every((h) => log?.isComplete(h) === true)
    const mine = log?.addedSince(frame.since) ?? []
    const bloom = buildBloom(mine.map((e) => e.hash), mine.length, rng.nextUint32())
    const chunks = chunked(lacking(mine, frame.bloom))
    sendBulk(peer, { type: 'sync-reply', session: frame.session, docId: frame.docId, heads: store.heads(frame.docId), sinceKnown, bloom, changes: chunks[0]!, more: chunks.length > 1 })
    for (let i = 1; i < chunks.length; i++) sendBulk(peer, { type: 'changes', session: frame.session, docId: frame.docId, changes: chunks[i]!, more: i < chunks.length - 1, toResponder: false })
  }

  function closeResponder (peer: PeerId, session: number, completed: boolean): void {
    const key = sessionKey(peer, String(session))
    const r = responding.get(key)
    if (r === undefined) return
    r.timer.cancel()
    responding.delete(key)
    guard.closeSession(peer)
    if (!completed) return
    const log = store.log(r.docId)
    const common = r.peerHeads.filter((h) => log?.isComplete(h) === true)
    let perPeer = lastSync.get(peer)
    if (perPeer === undefined) lastSync.set(peer, perPeer = new Map())
    perPeer.set(r.docId, common)
  }

  function emitHeartbeat (payload: Uint8Array, from: PeerId, via: PeerId): void {
    for (const l of heartbeatListeners) {
      try { l(payload, from, via) } catch (e) { logger.error({ err: (e as Error).message }, 'heartbeat listener failed') }
    }
  }

  function onMessage (peer: PeerId, payload: Uint8Array): void {
    if (bannedPeers.has(peer)) return
    if (!guard.takeFrame(peer)) { noteFlood(peer, 'too many frames per second'); return }
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

  function validateBroadcast (_origin: PeerId, payload: Uint8Array): 'accept' | 'reject' | 'ignore' {
    try {
      const m = decodeGossip(payload)
      if (m.type === 'announce' && !options.isKnownDocument(m.docId)) return 'reject'
      return 'accept'
    } catch (e) {
      return isFlotillaError(e, 'unsupported-version') ? 'ignore' : 'reject'
    }
  }

  function onBroadcast (origin: PeerId, via: PeerId, payload: Uint8Array): void {
    if (bannedPeers.has(origin)) return
    let m
    try { m = decodeGossip(payload) } catch { return }
    if (m.type === 'heartbeat') { emitHeartbeat(m.payload, origin, via); return }
    if (!options.isKnownDocument(m.docId)) return
    const mine = digestOf(m.docId)
    // Ahead of the announcement (a later push overtook it): nothing to fetch.
    if (mine.digest === m.digest || m.count < mine.count) return
    const connected = network.connectedPeers()
    startSession(connected.includes(origin) ? origin : via, m.docId)
  }

  function scheduleAnnounce (docId: string): void {
    if (announceTimers.has(docId)) return
    announceTimers.set(docId, clock.setTimer(50, () => {
      announceTimers.delete(docId)
      if (!running) return
      const d = digestOf(docId)
      network.broadcast(encodeGossip({ type: 'announce', docId, digest: d.digest, count: d.count }))
    }))
  }

  function sendDigests (peers: readonly PeerId[]): void {
    for (const p of peers) sendDigest(p, 'digest')
  }

  function scheduleAntiEntropy (): void {
    const jitter = antiEntropyMs * 0.2 * (rng.nextFloat() * 2 - 1)
    antiEntropy = clock.setTimer(antiEntropyMs + jitter, () => {
      if (!running) return
      const candidates = network.connectedPeers().filter((p) => !bannedPeers.has(p) && !settledWith(p))
      sendDigests(rotation.take(candidates, antiEntropyFanout))
      scheduleAntiEntropy()
    })
  }

  return {
    start () {
      if (running) return
      running = true
      unhandle = network.handle({
        onMessage,
        onBroadcast,
        validateBroadcast,
        onPeerUp: (peer) => { if (!bannedPeers.has(peer)) sendDigests([peer]) },
        onPeerDown: (peer) => {
          flights.forget(peer)
          pacer.forget(peer)
          digestSentTo.delete(peer)
          digestSentAt.delete(peer)
          for (const s of [...initiated.values()]) if (s.peer === peer) finish(s, 'aborted')
          for (const [key, r] of [...responding]) {
            if (r.peer !== peer) continue
            r.timer.cancel()
            responding.delete(key)
            guard.closeSession(peer)
          }
        }
      })
      // Only the writer announces, and only to reach sites its push did not: gossip relays
      // an announcement to every site through any connected path, and the sites on that
      // path hold the change, so re-announcing every arrival (N announcements per change,
      // each relayed through the mesh) bought nothing but traffic. Anti-entropy covers a
      // lost push or announcement.
      unsubscribeStore = store.onChange((docId, entries, origin) => {
        digestVersion++
        if (origin !== 'local') return
        // Encoded once, sent to every peer.
        const frames = chunked(entries.map((e) => e.env)).map((chunk) => encodeDirect({ type: 'changes', session: 0, docId, changes: chunk, more: false, toResponder: false }))
        let pushed = 0
        for (const peer of network.connectedPeers()) {
          if (bannedPeers.has(peer)) continue
          for (const frame of frames) pacer.send(peer, () => frame)
          pushed++
        }
        if (options.peerCount === undefined || pushed < options.peerCount()) scheduleAnnounce(docId)
      })
      unsubscribeEvidence = store.onEvidence((ev) => {
        // The forked writer's own traffic is refused from now on; its changes may still
        // arrive through honest relays that took them before the fork was known.
        const offender = peerIdFromPublicKey(fromHex(ev.signer))
        bannedPeers.add(offender)
        network.disconnect(offender, 'equivocation', 24 * 3600_000)
        report({ peer: offender, kind: 'equivocation', detail: `${ev.docId}: two changes at ${ev.actor.slice(0, 16)}…/${ev.seq}`, proof: ev.pair.map((e) => encodeSignedChange(e.env)) })
      })
      sendDigests(network.connectedPeers().filter((p) => !bannedPeers.has(p)))
      scheduleAntiEntropy()
    },

    stop () {
      running = false
      antiEntropy?.cancel()
      pacer.stop()
      for (const t of announceTimers.values()) t.cancel()
      announceTimers.clear()
      for (const s of [...initiated.values()]) finish(s, 'aborted')
      for (const r of responding.values()) r.timer.cancel()
      responding.clear()
      unhandle?.()
      unsubscribeStore?.()
      unsubscribeEvidence?.()
    },

    stats () {
      const traffic = new Map(network.traffic().map((t) => [t.peer, t]))
      const connected = new Set(network.connectedPeers())
      const peers = new Set<PeerId>([...traffic.keys(), ...connected, ...peerDigests.keys()])
      return {
        peers: [...peers].sort().map((peer) => {
          let behind = 0
          for (const [docId, d] of peerDigests.get(peer) ?? []) behind += Math.max(0, d.count - digestOf(docId).count)
          const t = traffic.get(peer)
          return { peer, connected: connected.has(peer), behind, bytesIn: t?.bytesIn ?? 0, bytesOut: t?.bytesOut ?? 0, score: guard.score(peer) }
        }),
        accepted: counters.accepted,
        duplicates: counters.duplicates,
        rejected: { ...counters.rejected },
        sessions: { started: counters.started, completed: counters.completed, timedOut: counters.timedOut, roundTrips: counters.roundTrips, waiting: flights.waiting(), open: initiated.size + responding.size }
      }
    },

    progress () {
      const totals = new Map<string, number>()
      for (const digests of peerDigests.values()) {
        for (const [docId, d] of digests) totals.set(docId, Math.max(totals.get(docId) ?? 0, d.count))
      }
      for (const d of myDigests()) totals.set(d.docId, Math.max(totals.get(d.docId) ?? 0, d.count))
      let have = 0; let total = 0; let docsHave = 0
      for (const [docId, t] of totals) {
        const mine = digestOf(docId).count
        have += Math.min(mine, t)
        total += t
        if (mine >= t) docsHave++
      }
      return { documents: { have: docsHave, total: totals.size }, changes: { have, total } }
    },

    syncAll () {
      for (const peer of network.connectedPeers()) {
        const docs = new Set([...store.documentIds(), ...(peerDigests.get(peer)?.keys() ?? [])])
        for (const docId of docs) startSession(peer, docId)
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
