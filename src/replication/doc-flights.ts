/**
 * One reconciliation of a document in flight at a time, whichever peer it is with. A site
 * that lacks a whole document (a new site joining, a site back from a long partition)
 * hears from every peer at once that it is behind; pulling the document from all of them
 * in parallel brought every change once per peer (the replication benchmark measured
 * twelve copies of each change during a bootstrap). The peers that ask while a session
 * runs wait in arrival order, and each gets its turn when the session ends, so a peer
 * that is slow or withholds delays honest peers by at most one session time-out each and
 * cannot keep them out.
 */
import type { PeerId } from '../ports/network.ts'

export interface DocFlights {
  /**
   * Claims `docId` for a session with `peer`; false when another session on it is in
   * flight, and then `peer` waits for its turn. `forced` marks a wait that must run even
   * if the peer's last digest matches ours (e.g. a push whose dependencies are missing).
   */
  claim (docId: string, peer: PeerId, forced: boolean): boolean
  /** Whether `peer` holds the flight of `docId`. */
  holds (docId: string, peer: PeerId): boolean
  /**
   * Ends the flight of `docId` and returns the oldest waiting peer, removed from the
   * queue. `again` (the holder, wanting another session) waits behind everyone queued.
   */
  release (docId: string, again?: PeerId): { peer: PeerId, forced: boolean } | undefined
  /** A peer went away: it holds nothing and waits for nothing. Returns the documents it held. */
  forget (peer: PeerId): string[]
  /** Peers waiting, all documents together. */
  waiting (): number
}

export function createDocFlights (): DocFlights {
  const holder = new Map<string, PeerId>()
  const queues = new Map<string, Map<PeerId, boolean>>()

  return {
    claim (docId, peer, forced) {
      const current = holder.get(docId)
      if (current === undefined) { holder.set(docId, peer); return true }
      if (current === peer) return false
      let q = queues.get(docId)
      if (q === undefined) queues.set(docId, q = new Map())
      q.set(peer, (q.get(peer) ?? false) || forced)
      return false
    },
    holds: (docId, peer) => holder.get(docId) === peer,
    release (docId, again) {
      holder.delete(docId)
      let q = queues.get(docId)
      if (again !== undefined) {
        if (q === undefined) queues.set(docId, q = new Map())
        if (!q.has(again)) q.set(again, true)
      }
      if (q === undefined) return undefined
      const first = q.entries().next()
      if (first.done === true) { queues.delete(docId); return undefined }
      const [peer, forced] = first.value
      q.delete(peer)
      if (q.size === 0) queues.delete(docId)
      return { peer, forced }
    },
    forget (peer) {
      const held: string[] = []
      for (const [docId, p] of holder) if (p === peer) held.push(docId)
      for (const [docId, q] of queues) {
        q.delete(peer)
        if (q.size === 0) queues.delete(docId)
      }
      return held
    },
    waiting () {
      let n = 0
      for (const q of queues.values()) n += q.size
      return n
    }
  }
}
