/**
 * The responder's side of a reconciliation session (sync-sessions.ts has the initiator's
 * and the frame dispatch): it answers a `sync-open` with its heads, its Bloom filter and
 * the changes the initiator's filter lacks, then takes the changes the initiator sends
 * back. Those are not rate-limited like pushes (a site that fell behind catches up
 * through them), so they are held to the session: one the peer opened on that document and
 * has not finished, no more changes than its own filter declared it holds, and none that
 * our filter told it we hold and we do (those spend its replay budget, as replayed pushes
 * do). Frames of a session closed lately (it timed out before a slow peer's changes came,
 * or a frame was duplicated) are taken as pushes; frames of a session the peer never
 * opened, or broke these rules in, are refused as a flood.
 */
import type { Clock, Timer } from '../ports/clock.ts'
import type { PeerId } from '../ports/network.ts'
import type { Rng } from '../ports/rng.ts'
import type { DocumentStore } from '../store/document-store.ts'
import type { LogEntry } from '../store/log/change-log.ts'
import type { SignedChange } from '../store/log/envelope.ts'
import { peekChangeHeader } from '../store/log/change-header.ts'
import { bloomCapacity, buildBloom, type BloomFilter } from './bloom.ts'
import type { DirectFrame } from './messages.ts'
import { setPatientTimer } from './patient-timer.ts'
import type { SyncSessionsOptions } from './sync-sessions.ts'

/** Responder sessions remembered per peer after they closed, for their late frames. */
const MAX_CLOSED_PER_PEER = 64

interface ResponderSession {
  peer: PeerId
  docId: string
  peerHeads: string[]
  timer: Timer
  openedAt: number
  /** Our filter of what we held beyond `since` at the open: the initiator sends only what it lacks. */
  bloom: BloomFilter
  /** Whether we held all of `since`: only then do the two sides compare the same sets. */
  sinceKnown: boolean
  /** What the initiator's filter declared it holds beyond `since`: the most it may send us. */
  declared: number
  /** Of those, how many it may still send. */
  budget: number
}

export type ResponderOptions = Pick<SyncSessionsOptions,
  'send' | 'sendBulk' | 'ingest' | 'noteFlood' | 'refusesReplays' | 'spendReplays' | 'openResponder' | 'closeResponder' |
  'isKnownDocument' | 'sessionTimeoutMs' | 'maxSessionMs' | 'onReconciled'> & {
  store: DocumentStore
  clock: Clock
  rng: Rng
  chunked: (changes: readonly SignedChange[]) => SignedChange[][]
  /** A session completed: the heads the peer opened it with, for its next `since`. */
  onCompleted: (peer: PeerId, docId: string, peerHeads: readonly string[]) => void
}

export interface ResponderSessions {
  onSyncOpen (peer: PeerId, frame: Extract<DirectFrame, { type: 'sync-open' }>): void
  /** Changes the peer, as initiator, sends us (`toResponder`). */
  onChanges (peer: PeerId, frame: Extract<DirectFrame, { type: 'changes' }>): Promise<void>
  peerDown (peer: PeerId): void
  stop (): void
  open (): number
}

/** Entries of `mine` absent from `bloom`, with everything in `mine` built on them. */
export function lacking (mine: readonly LogEntry[], bloom: BloomFilter): SignedChange[] {
  const missing = new Set<string>()
  for (const e of mine) {
    if (!bloom.has(e.hash) || e.deps.some((d) => missing.has(d))) missing.add(e.hash)
  }
  return mine.filter((e) => missing.has(e.hash)).map((e) => e.env)
}

export function createResponderSessions (o: ResponderOptions): ResponderSessions {
  const { store, clock, rng, sessionTimeoutMs, maxSessionMs } = o
  const responding = new Map<string, ResponderSession>()
  /** Per peer, sessions closed lately (session → until when): their late frames are taken as pushes. */
  const closedLately = new Map<PeerId, Map<number, number>>()
  const keyOf = (peer: PeerId, session: number): string => `${peer}|${session}`

  /**
   * A session the peer broke the rules of (`refused`) is not remembered: its later frames
   * are refused like those of a session never opened.
   */
  function close (peer: PeerId, session: number, outcome: 'completed' | 'timeout' | 'refused'): void {
    const key = keyOf(peer, session)
    const r = responding.get(key)
    if (r === undefined) return
    r.timer.cancel()
    responding.delete(key)
    o.closeResponder(peer)
    if (outcome !== 'refused') rememberClosed(peer, session)
    if (outcome === 'completed') {
      o.onCompleted(peer, r.docId, r.peerHeads)
      o.onReconciled?.(peer)
    }
  }

  /** A session lives a time-out past the initiator's last frame, up to a session's lifetime. */
  function rearm (r: ResponderSession, session: number): void {
    r.timer.cancel()
    const left = r.openedAt + maxSessionMs - clock.monotonicMs()
    r.timer = setPatientTimer(clock, Math.max(0, Math.min(sessionTimeoutMs, left)), () => { close(r.peer, session, 'timeout') })
  }

  function rememberClosed (peer: PeerId, session: number): void {
    let closed = closedLately.get(peer)
    if (closed === undefined) closedLately.set(peer, closed = new Map())
    const now = clock.monotonicMs()
    // Oldest first: a peer that opens sessions by the thousand evicts only its own.
    for (const [id, until] of closed) if (until < now || closed.size >= MAX_CLOSED_PER_PEER) closed.delete(id); else break
    closed.set(session, now + maxSessionMs + sessionTimeoutMs)
  }

  function wasClosedLately (peer: PeerId, session: number): boolean {
    const until = closedLately.get(peer)?.get(session)
    return until !== undefined && until >= clock.monotonicMs()
  }

  return {
    onSyncOpen (peer, frame) {
      if (!o.isKnownDocument(frame.docId)) {
        o.send(peer, { type: 'error', code: 'wrong-document', message: `no document "${frame.docId}" in this federation` })
        return
      }
      const key = keyOf(peer, frame.session)
      const again = responding.get(key)
      // The same open twice (a duplicated frame, or sent again) is served again in the slot
      // it holds; taking another leaked one per duplicate until the peer was refused for good.
      // Refused, not served: the initiator's session times out and anti-entropy retries it.
      if (again !== undefined) again.timer.cancel()
      else if (!o.openResponder(peer)) return
      const log = store.log(frame.docId)
      const sinceKnown = frame.since.every((h) => log?.isComplete(h) === true)
      const mine = log?.addedSince(frame.since) ?? []
      const bloom = buildBloom(mine.map((e) => e.hash), mine.length, rng.nextUint32())
      const declared = bloomCapacity(frame.bloom)
      responding.set(key, {
        peer, docId: frame.docId, peerHeads: frame.heads, openedAt: clock.monotonicMs(), bloom, sinceKnown, declared, budget: declared,
        timer: setPatientTimer(clock, sessionTimeoutMs, () => { close(peer, frame.session, 'timeout') })
      })
      const chunks = o.chunked(lacking(mine, frame.bloom))
      o.sendBulk(peer, { type: 'sync-reply', session: frame.session, docId: frame.docId, heads: store.heads(frame.docId), sinceKnown, bloom, changes: chunks[0]!, more: chunks.length > 1 })
      for (let i = 1; i < chunks.length; i++) o.sendBulk(peer, { type: 'changes', session: frame.session, docId: frame.docId, changes: chunks[i]!, more: i < chunks.length - 1, toResponder: false })
    },

    async onChanges (peer, frame) {
      const r = responding.get(keyOf(peer, frame.session))
      if (r === undefined || r.docId !== frame.docId) {
        if (r === undefined && wasClosedLately(peer, frame.session)) { await o.ingest(peer, frame.changes, false); return }
        o.noteFlood(peer, `changes for sync session ${frame.session} on ${frame.docId}, which is not open at this site`)
        return
      }
      if (o.refusesReplays(peer)) { close(peer, frame.session, 'refused'); return }
      if (frame.changes.length > r.budget) {
        close(peer, frame.session, 'refused')
        o.noteFlood(peer, `more changes in sync session ${frame.session} on ${frame.docId} than the ${r.declared} its filter declared`)
        return
      }
      r.budget -= frame.changes.length
      rearm(r, frame.session)
      const log = store.log(frame.docId)
      const fresh: SignedChange[] = []
      let replayed = 0
      for (const c of frame.changes) {
        const hash = c.docId === frame.docId ? peekChangeHeader(c.change)?.hash : undefined
        // Held, but gained after our filter was built (a push, another peer's session): no fault of theirs.
        if (hash !== undefined && r.sinceKnown && r.bloom.has(hash) && log?.has(hash) === true) replayed++
        else fresh.push(c)
      }
      if (replayed > 0) o.spendReplays(peer, replayed)
      await o.ingest(peer, fresh, true)
      if (!frame.more) close(peer, frame.session, 'completed')
    },

    peerDown (peer) {
      closedLately.delete(peer)
      for (const [key, r] of [...responding]) {
        if (r.peer !== peer) continue
        r.timer.cancel()
        responding.delete(key)
        o.closeResponder(peer)
      }
    },

    stop () {
      for (const r of responding.values()) r.timer.cancel()
      responding.clear()
    },

    open: () => responding.size
  }
}
