/**
 * Anti-entropy by digests: per document, a hash of this site's heads and the count of
 * its complete changes. Digests go to every peer on connect and, each anti-entropy
 * period, to a bounded rotation of the connected peers; a peer whose digest differs is
 * reconciled with by whichever side is behind. The digest frame names every document, so
 * it is encoded once per state of the store, not once per peer. The peers' digests also
 * say how far behind this site is (bootstrap progress, per-peer lag).
 */
import { createHash } from 'node:crypto'
import type { Clock, Timer } from '../ports/clock.ts'
import type { PeerId } from '../ports/network.ts'
import type { Rng } from '../ports/rng.ts'
import type { DocumentStore } from '../store/document-store.ts'
import type { BootstrapProgress } from './replicator-api.ts'
import { encodeDirect, type DocDigest } from './messages.ts'
import { createPeerRotation } from './peer-rotation.ts'

export interface DigestExchangeOptions {
  store: DocumentStore
  clock: Clock
  rng: Rng
  localPeer: PeerId
  isKnownDocument: (docId: string) => boolean
  /** Whether the replicator runs and may still talk to `peer`. */
  mayTalkTo: (peer: PeerId) => boolean
  connectedPeers: () => PeerId[]
  sendEncoded: (peer: PeerId, bytes: Uint8Array) => void
  /** Opens (or queues) a reconciliation of `docId` with `peer`; not `forced` when a digest asked for it. */
  startSession: (peer: PeerId, docId: string, forced: boolean) => void
  antiEntropyMs: number
  fanout: number
  /** `peer`'s digests matched ours on every document: nothing to reconcile (for the per-peer sync age). */
  onInSync?: (peer: PeerId) => void
}

export interface DigestExchange {
  digestOf (docId: string): DocDigest
  /** Whether `peer`'s last digest of `docId` equals ours. */
  sameDigest (peer: PeerId, docId: string): boolean
  /** A `digest` (answer wanted) or `digest-reply` from `peer`. */
  onDigest (peer: PeerId, docs: readonly DocDigest[], answer: boolean): void
  sendDigests (peers: readonly PeerId[]): void
  /** The store gained changes: the next digest frame is a new one. */
  storeChanged (): void
  /** Complete changes `peer` reported that this site lacks (approximate). */
  behind (peer: PeerId): number
  /** Peers whose digests this site holds. */
  knownPeers (): PeerId[]
  /** Documents `peer` reported holding. */
  documentsOf (peer: PeerId): string[]
  progress (): BootstrapProgress
  peerDown (peer: PeerId): void
  /** Starts the periodic rounds; `stop` ends them. */
  schedule (): void
  stop (): void
}

/** An idle pair whose digests match still exchanges them once per this many anti-entropy periods. */
const SETTLED_EXCHANGE_PERIODS = 6

export function digestOfHeads (heads: readonly string[]): string {
  return createHash('sha256').update(heads.join(',')).digest('hex').slice(0, 32)
}

export function createDigestExchange (o: DigestExchangeOptions): DigestExchange {
  const { store, clock, antiEntropyMs } = o
  const peerDigests = new Map<PeerId, Map<string, DocDigest>>()
  const digestCache = new Map<string, { heads: string[], digest: DocDigest }>()
  const rotation = createPeerRotation(o.rng)
  /** Moves with every change the store reports; the encoded frames are valid for one version. */
  let digestVersion = 0
  const encodedDigests = new Map<'digest' | 'digest-reply', { version: number, bytes: Uint8Array }>()
  /** The digest version each peer was last sent: a peer that has our current one needs no reply. */
  const digestSentTo = new Map<PeerId, number>()
  /** When each peer was last sent a digest (monotonic ms). */
  const digestSentAt = new Map<PeerId, number>()
  let timer: Timer | undefined

  function digestOf (docId: string): DocDigest {
    const heads = store.heads(docId)
    const cached = digestCache.get(docId)
    if (cached !== undefined && cached.heads === heads) return cached.digest
    const digest = { docId, digest: digestOfHeads(heads), count: store.log(docId)?.completeCount() ?? 0 }
    digestCache.set(docId, { heads, digest })
    return digest
  }

  const myDigests = (): DocDigest[] => store.documentIds().map(digestOf)

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
    const mine = store.documentIds().filter((d) => o.isKnownDocument(d))
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
    if (!o.mayTalkTo(peer)) return
    o.sendEncoded(peer, digestFrame(type))
    digestSentTo.set(peer, digestVersion)
    digestSentAt.set(peer, clock.monotonicMs())
  }

  function sendDigests (peers: readonly PeerId[]): void {
    for (const p of peers) sendDigest(p, 'digest')
  }

  function scheduleRound (): void {
    const jitter = antiEntropyMs * 0.2 * (o.rng.nextFloat() * 2 - 1)
    timer = clock.setTimer(antiEntropyMs + jitter, () => {
      const candidates = o.connectedPeers().filter((p) => o.mayTalkTo(p) && !settledWith(p))
      sendDigests(rotation.take(candidates, o.fanout))
      scheduleRound()
    })
  }

  return {
    digestOf,
    sendDigests,

    sameDigest (peer, docId) {
      return peerDigests.get(peer)?.get(docId)?.digest === digestOf(docId).digest
    },

    /**
     * Compares a peer's digests with ours. The side that is behind on a document pulls it
     * (its session is two-way, so it also hands over whatever the other lacks); with equal
     * counts the lower peer id starts. When the peer should be the one to start, it is told
     * with a `digest-reply` — so one digest, sent either way, reconciles the pair, and a
     * site that lacks a document is not sent it by every peer at once.
     */
    onDigest (peer, docs, answer) {
      const known = new Map<string, DocDigest>()
      const lower = o.localPeer < peer
      let theyShouldStart = false
      for (const d of docs) {
        if (!o.isKnownDocument(d.docId)) continue
        known.set(d.docId, d)
        const mine = digestOf(d.docId)
        if (mine.digest === d.digest) continue
        if (d.count > mine.count || (d.count === mine.count && lower)) o.startSession(peer, d.docId, false)
        else theyShouldStart = true
      }
      // Documents the peer does not hold at all.
      for (const docId of store.documentIds()) if (!known.has(docId) && o.isKnownDocument(docId)) theyShouldStart = true
      peerDigests.set(peer, known)
      if (!theyShouldStart && [...known.values()].every((d) => d.digest === digestOf(d.docId).digest)) o.onInSync?.(peer)
      // No answer when the peer already has our current digest (both sides sent one on connect).
      if (answer && theyShouldStart && digestSentTo.get(peer) !== digestVersion) sendDigest(peer, 'digest-reply')
    },

    storeChanged () { digestVersion++ },

    behind (peer) {
      let n = 0
      for (const [docId, d] of peerDigests.get(peer) ?? []) n += Math.max(0, d.count - digestOf(docId).count)
      return n
    },

    knownPeers: () => [...peerDigests.keys()],
    documentsOf: (peer) => [...(peerDigests.get(peer)?.keys() ?? [])],

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

    peerDown (peer) {
      digestSentTo.delete(peer)
      digestSentAt.delete(peer)
    },

    schedule () {
      timer?.cancel()
      scheduleRound()
    },

    stop () {
      timer?.cancel()
      timer = undefined
    }
  }
}
