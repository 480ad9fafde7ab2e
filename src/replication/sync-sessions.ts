/**
 * Reconciliation sessions, the initiator's role and the frame dispatch (the responder's role
 * is responder-sessions.ts), in the manner of Kleppmann and Howard's Byzantine
 * eventual consistency algorithm. The initiator sends its heads, the heads it remembers
 * from its last reconciliation with that peer, and a Bloom filter of what it added since;
 * the responder answers with its own heads and filter and the changes the filter lacks
 * (with their signatures), the initiator sends back what the responder's filter lacks
 * (no more changes than its own filter declared, which the responder enforces), then
 * asks (`need`) for whatever is still unknown. One session per document runs at a
 * time, whichever peer it is with (doc-flights). A session ends on success, on a time-out
 * measured as the peer's silence, or when the peer goes away; a late answer to an
 * abandoned session is still taken, as it is what we asked for. A request whose answer
 * does not start within the peer's learned answer wait (answer-wait.ts), or that a later
 * request's answer overtook, was lost: the session is opened again once.
 */
import type { Clock, Timer } from '../ports/clock.ts'
import type { PeerId } from '../ports/network.ts'
import type { Rng } from '../ports/rng.ts'
import type { EvidenceKind } from '../model/federation.ts'
import type { DocumentStore, IngestReport } from '../store/document-store.ts'
import type { SignedChange } from '../store/log/envelope.ts'
import { buildBloom, type BloomFilter } from './bloom.ts'
import { createDocFlights } from './doc-flights.ts'
import type { DirectFrame } from './messages.ts'
import { createAnswerWait } from './answer-wait.ts'
import { setPatientTimer } from './patient-timer.ts'
import { createResponderSessions, lacking } from './responder-sessions.ts'

/** Session counters, shared with the replicator's statistics. */
export interface SessionCounters { started: number, completed: number, timedOut: number, roundTrips: number }

export interface SyncSessionsOptions {
  store: DocumentStore
  clock: Clock
  rng: Rng
  isKnownDocument: (docId: string) => boolean
  /** Whether the replicator runs and may still talk to `peer`. */
  mayTalkTo: (peer: PeerId) => boolean
  connectedPeers: () => PeerId[]
  /** Small control frames (`sync-open`, `need`, errors). */
  send: (peer: PeerId, frame: DirectFrame) => void
  /** Sync replies and changes, paced to the transport. */
  sendBulk: (peer: PeerId, frame: DirectFrame) => void
  /** Verifies and applies changes from `peer`; `solicited` ones are not rate-limited. */
  ingest: (peer: PeerId, changes: readonly SignedChange[], solicited: boolean) => Promise<IngestReport | undefined>
  penalise: (peer: PeerId, kind: EvidenceKind, detail: string) => void
  /**
   * Traffic no session allows (changes for a session the peer never opened, or beyond
   * what it declared): already dropped; the peer loses standing for it (`flood`).
   */
  noteFlood: (peer: PeerId, detail: string) => void
  /** Whether `peer` is past its replay budget (noted as `replay` if so): its changes are refused unread until it is repaid. */
  refusesReplays: (peer: PeerId) => boolean
  /** `peer` sent `n` changes this site told it (by its filter) that it held, and does: spends its replay budget. */
  spendReplays: (peer: PeerId, n: number) => void
  /** Admits a responder session for `peer` within its concurrency cap; false refuses it. */
  openResponder: (peer: PeerId) => boolean
  closeResponder: (peer: PeerId) => void
  /** Whether `peer`'s last digest of `docId` equals ours: a queued, unforced session then has nothing to do. */
  sameDigest: (peer: PeerId, docId: string) => boolean
  counters: SessionCounters
  chunkBytes: number
  sessionTimeoutMs: number
  /** Shortest wait for the first frame answering a request (the learned wait never goes below it). */
  minAnswerWaitMs: number
  maxSessionMs: number
  maxNeedRounds: number
  /** A session with `peer` completed, in either role (for the per-peer sync age). */
  onReconciled?: (peer: PeerId) => void
}

export interface SyncSessions {
  /**
   * Opens a session on `docId` with `peer`, or queues it behind the session already in
   * flight on that document. `forced` (anything but a digest) keeps a queued request even
   * if the peer's last digest then matches ours.
   */
  start (peer: PeerId, docId: string, forced?: boolean): void
  /** Handles `sync-open`, `sync-reply`, `changes` and `need` frames. */
  onFrame (peer: PeerId, frame: Extract<DirectFrame, { type: 'sync-open' | 'sync-reply' | 'changes' | 'need' }>): Promise<void>
  /** Splits changes into frames that stay under the chunk size. */
  chunked (changes: readonly SignedChange[]): SignedChange[][]
  peerDown (peer: PeerId): void
  stop (): void
  /** Sessions waiting for their document's flight, and sessions open now (both roles). */
  waiting (): number
  open (): number
}

interface InitiatorSession {
  id: number
  peer: PeerId
  docId: string
  since: string[]
  /** Changes our filter was built over: the most we may send the responder (it holds us to it). */
  declared: number
  needRounds: number
  startedAt: number
  timer: Timer
  phase: 'awaiting-reply' | 'receiving-reply' | 'awaiting-changes'
  reply?: { heads: string[], sinceKnown: boolean, bloom: BloomFilter }
  /** Order, among this site's requests to the peer, of the session's latest (its open or a `need`). */
  asked: number
  /** When that request was sent (monotonic ms). */
  askedAt: number
  /** Whether a frame answering that request has arrived: until then the wait is the peer's answer wait. */
  heard: boolean
  /** Whether the last frame answering that request (`more` false) has arrived, ingested or not. */
  answered: boolean
  again: boolean
  /** Frames of this session being ingested now: the time-out waits for them. */
  ingesting: number
}

export function createSyncSessions (o: SyncSessionsOptions): SyncSessions {
  const { store, clock, rng, counters, sessionTimeoutMs, maxSessionMs } = o
  /** Per peer and document, the heads both held at the end of the last reconciliation. */
  const lastSync = new Map<PeerId, Map<string, string[]>>()
  const initiated = new Map<number, InitiatorSession>()
  const activeByKey = new Map<string, InitiatorSession>()
  /** Peer and document pairs whose session was opened again after being overtaken, until a session on them ends. */
  const reopened = new Set<string>()
  const flights = createDocFlights()
  /** Sessions we gave up on: their late frames are still answers we asked for (session → peer, expiry). */
  const abandoned = new Map<number, { peer: PeerId, until: number }>()
  /** Requests (opens and needs) sent per peer so far: a responder answers them in this order. */
  const requestsTo = new Map<PeerId, number>()
  const answerWait = createAnswerWait({ initialMs: sessionTimeoutMs / 4, minMs: Math.min(o.minAnswerWaitMs, sessionTimeoutMs), maxMs: sessionTimeoutMs })
  let nextSession = 1 + (rng.nextUint32() % 1000)

  function nextRequest (peer: PeerId): number {
    const n = (requestsTo.get(peer) ?? 0) + 1
    requestsTo.set(peer, n)
    return n
  }

  const sessionKey = (peer: PeerId, id: string): string => `${peer}|${id}`

  function rememberCommon (peer: PeerId, docId: string, theirHeads: readonly string[]): void {
    const log = store.log(docId)
    const common = theirHeads.filter((h) => log?.isComplete(h) === true)
    let perPeer = lastSync.get(peer)
    if (perPeer === undefined) lastSync.set(peer, perPeer = new Map())
    perPeer.set(docId, common)
  }

  function chunked (changes: readonly SignedChange[]): SignedChange[][] {
    const out: SignedChange[][] = [[]]
    let size = 0
    for (const c of changes) {
      const s = c.change.length + 140
      if (size + s > o.chunkBytes && out[out.length - 1]!.length > 0) { out.push([]); size = 0 }
      out[out.length - 1]!.push(c)
      size += s
    }
    return out
  }

  function sendChanges (peer: PeerId, session: number, docId: string, changes: readonly SignedChange[], toResponder: boolean): void {
    const chunks = chunked(changes)
    chunks.forEach((chunk, i) => { o.sendBulk(peer, { type: 'changes', session, docId, changes: chunk, more: i < chunks.length - 1, toResponder }) })
  }

  const responder = createResponderSessions({ ...o, chunked, onCompleted: rememberCommon })

  // ---- initiator side ----

  function start (peer: PeerId, docId: string, forced = true): void {
    if (!o.mayTalkTo(peer) || !o.isKnownDocument(docId)) return
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
      id, peer, docId, since, declared: mine.length, needRounds: 0, startedAt: clock.monotonicMs(), phase: 'awaiting-reply', again: false, ingesting: 0,
      asked: nextRequest(peer), askedAt: clock.monotonicMs(), heard: false, answered: false,
      timer: setPatientTimer(clock, firstAnswerWait(peer, docId), () => { expire(session) })
    }
    initiated.set(id, session)
    activeByKey.set(key, session)
    counters.started++
    counters.roundTrips++
    o.send(peer, { type: 'sync-open', session: id, docId, heads: store.heads(docId), since, bloom })
  }

  /**
   * `retry`: the pair counts as opened again (until a session on it ends), and the peer
   * waits for the document's flight once more, behind any peer already waiting (as a
   * session that ended wanting another does).
   */
  function finish (session: InitiatorSession, outcome: 'done' | 'timeout' | 'aborted', retry = false): void {
    if (initiated.get(session.id) !== session) return
    session.timer.cancel()
    initiated.delete(session.id)
    activeByKey.delete(sessionKey(session.peer, session.docId))
    reopened.delete(sessionKey(session.peer, session.docId))
    if (retry) reopened.add(sessionKey(session.peer, session.docId))
    if (outcome === 'done') {
      counters.completed++
      rememberCommon(session.peer, session.docId, session.reply?.heads ?? [])
      o.onReconciled?.(session.peer)
    } else {
      if (outcome === 'timeout') counters.timedOut++
      rememberAbandoned(session)
    }
    takeOff(session.docId, retry || (session.again && outcome === 'done') ? session.peer : undefined)
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
      if (!o.mayTalkTo(peer) || !o.connectedPeers().includes(peer)) continue
      if (!forced && o.sameDigest(peer, docId)) continue
      start(peer, docId, forced)
      if (flights.holds(docId, peer)) return
    }
  }

  /**
   * How long a request waits for the first frame of its answer: the peer's learned answer
   * wait, except on a pair already opened again, which waits the whole time-out (a peer
   * slower than it has ever been is not asked a third time).
   */
  function firstAnswerWait (peer: PeerId, docId: string): number {
    return reopened.has(sessionKey(peer, docId)) ? sessionTimeoutMs : answerWait.waitMs(peer)
  }

  /** Progress: the session may wait another time-out, up to its lifetime. */
  function touch (session: InitiatorSession): void {
    session.timer.cancel()
    const left = session.startedAt + maxSessionMs - clock.monotonicMs()
    const wait = session.heard ? sessionTimeoutMs : firstAnswerWait(session.peer, session.docId)
    session.timer = setPatientTimer(clock, Math.max(0, Math.min(wait, left)), () => { expire(session) })
  }

  /**
   * The peer is serving one of our sessions, so it is not silent towards the others: a
   * responder sends one document after another, each paced to the link, and the later
   * ones' replies start only when the earlier ones have left. Each waits another time-out,
   * up to its lifetime. `answeredRequest`: the order of the request the frame answers.
   */
  function heardFrom (peer: PeerId, answeredRequest?: number): void {
    for (const s of initiated.values()) {
      if (s.peer !== peer) continue
      if (answeredRequest !== undefined && !s.answered && s.asked < answeredRequest) overtaken(s)
      else touch(s)
    }
  }

  /**
   * Before a frame from `peer` is ingested: whether it answers the latest request of a live
   * session of ours, which says what the peer has answered by now, and whether it is that
   * answer's last frame (set at once, as ingesting it may take a while).
   */
  function noteAnswer (peer: PeerId, frame: Extract<DirectFrame, { type: 'sync-reply' | 'changes' }>): void {
    const s = initiated.get(frame.session)
    const live = s !== undefined && s.peer === peer && s.docId === frame.docId && !s.answered &&
      (frame.type === 'sync-reply' ? s.phase === 'awaiting-reply' : s.phase !== 'awaiting-reply')
    heardFrom(peer, live ? s.asked : undefined)
    if (!live) return
    if (!s.heard) {
      s.heard = true
      answerWait.sample(peer, clock.monotonicMs() - s.askedAt)
    }
    if (!frame.more) s.answered = true
  }

  /**
   * A responder answers requests (sync-opens and needs) in the order they arrive, and its
   * answers leave through one FIFO per peer, so an answer to a request sent after one
   * still unanswered means that request or part of its answer was lost: a frame dropped
   * on the way, or an open refused at the responder's session limit. Its time-out would
   * not come soon, as the peer keeps serving the later sessions (above), and meanwhile the
   * session holds its document's flight (simulator, 1 % frame loss: a change 25 s from
   * reaching a connected site, twice — once a lost open, once the lost answer to a need).
   * It is opened again at once; should its answer come after all, it is taken as a late
   * one. A network that reorders frames may make this guess wrong; the cost is one
   * reconciliation more.
   */
  function overtaken (session: InitiatorSession): void {
    // Once until a session on the pair ends: a peer that answers out of order on purpose
    // gets one re-open per session, not a storm of them (each builds a Bloom filter). A
    // re-opened session overtaken again just ends, so the flight passes on: kept alive by
    // the peer's other answers it held the document for up to the session's lifetime
    // (5 % loss, standard seed 11: a change 24 s from a connected site).
    finish(session, 'timeout', !reopened.has(sessionKey(session.peer, session.docId)))
  }

  /**
   * A time-out measures the peer's silence, not our own work: while the session's frames
   * are still being ingested (queued behind other ingests in the store) it waits on, up to
   * the session's lifetime. Giving up there made a joining site fetch whole documents twice.
   */
  function expire (session: InitiatorSession): void {
    if (session.ingesting > 0 && clock.monotonicMs() < session.startedAt + maxSessionMs) { touch(session); return }
    // No frame of an answer within the peer's usual time: the request or the answer's
    // first frame was lost, or the peer withholds. The peer is asked once more, after any
    // other peer waiting to serve this document; a second silence waits the whole time-out.
    finish(session, 'timeout', !session.heard && !reopened.has(sessionKey(session.peer, session.docId)))
  }

  async function ingestFor (session: InitiatorSession, changes: readonly SignedChange[]): Promise<boolean> {
    session.ingesting++
    try { await o.ingest(session.peer, changes, true) } finally { session.ingesting-- }
    return initiated.get(session.id) === session
  }

  /** After the reply arrived in full: send what the peer lacks, then ask for what we lack. */
  function afterReply (session: InitiatorSession): void {
    const reply = session.reply!
    const mine = store.log(session.docId)?.addedSince(reply.sinceKnown ? session.since : []) ?? []
    // No more than our filter declared: the responder refuses the rest as a flood. What we
    // gained since the open, or hold below a `since` it lacks, reaches it by push or by
    // the next reconciliation (it pulls what it is behind on).
    sendChanges(session.peer, session.id, session.docId, lacking(mine, reply.bloom).slice(0, session.declared), true)
    askOrFinish(session)
  }

  function askOrFinish (session: InitiatorSession): void {
    const log = store.log(session.docId)
    const reply = session.reply!
    const needs = new Set<string>()
    for (const h of reply.heads) if (log?.has(h) !== true) needs.add(h)
    for (const h of log?.missingDeps() ?? []) needs.add(h)
    if (needs.size === 0 || session.needRounds >= o.maxNeedRounds) { finish(session, 'done'); return }
    session.needRounds++
    counters.roundTrips++
    session.phase = 'awaiting-changes'
    session.asked = nextRequest(session.peer)
    session.askedAt = clock.monotonicMs()
    session.heard = false
    session.answered = false
    touch(session)
    o.send(session.peer, { type: 'need', session: session.id, docId: session.docId, hashes: [...needs].sort() })
  }

  // ---- frames ----

  async function onChanges (peer: PeerId, frame: Extract<DirectFrame, { type: 'changes' }>): Promise<void> {
    if (!o.isKnownDocument(frame.docId)) { o.penalise(peer, 'unauthorized-writer', `changes for unknown document ${frame.docId}`); return }
    if (frame.toResponder) { await responder.onChanges(peer, frame); return }
    const mine = initiated.get(frame.session)
    if (mine !== undefined && mine.peer === peer && mine.docId === frame.docId) {
      touch(mine)
      if (!await ingestFor(mine, frame.changes) || frame.more) return
      if (mine.phase === 'receiving-reply') afterReply(mine)
      else if (mine.phase === 'awaiting-changes') askOrFinish(mine)
      return
    }
    const result = await o.ingest(peer, frame.changes, frame.session !== 0 && wasAbandoned(peer, frame.session))
    // A push whose dependencies are missing: reconcile that document with the pusher.
    if (frame.session === 0 && result !== undefined && (store.log(frame.docId)?.missingDeps().length ?? 0) > 0) start(peer, frame.docId)
  }

  return {
    start,
    chunked,

    async onFrame (peer, frame) {
      if (frame.type === 'sync-reply' || (frame.type === 'changes' && !frame.toResponder && frame.session !== 0)) noteAnswer(peer, frame)
      switch (frame.type) {
        case 'sync-open':
          responder.onSyncOpen(peer, frame)
          return
        case 'sync-reply': {
          const session = initiated.get(frame.session)
          if (session === undefined || session.peer !== peer || session.docId !== frame.docId) {
            // A late answer to a session we gave up on: what we asked for, so take it.
            if (wasAbandoned(peer, frame.session) && o.isKnownDocument(frame.docId)) await o.ingest(peer, frame.changes, true)
            return
          }
          session.reply = { heads: frame.heads, sinceKnown: frame.sinceKnown, bloom: frame.bloom }
          session.phase = 'receiving-reply'
          touch(session)
          if (await ingestFor(session, frame.changes) && !frame.more) afterReply(session)
          return
        }
        case 'changes':
          await onChanges(peer, frame)
          return
        case 'need':
          if (!o.isKnownDocument(frame.docId)) return
          sendChanges(peer, frame.session, frame.docId, store.signedChanges(frame.docId, frame.hashes.slice(0, 100_000)), false)
      }
    },

    peerDown (peer) {
      flights.forget(peer)
      requestsTo.delete(peer)
      responder.peerDown(peer)
      answerWait.forget(peer)
      for (const s of [...initiated.values()]) if (s.peer === peer) finish(s, 'aborted')
      for (const key of [...reopened]) if (key.startsWith(`${peer}|`)) reopened.delete(key)
    },

    stop () {
      for (const s of [...initiated.values()]) finish(s, 'aborted')
      responder.stop()
    },

    waiting: () => flights.waiting(),
    open: () => initiated.size + responder.open()
  }
}
