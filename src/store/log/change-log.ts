/**
 * One document's signed change log: the set of verified changes this site holds (a hash
 * DAG) and which of them are materialised into the Automerge document. The log, not the
 * Automerge document, is the source of truth, because Automerge alone cannot survive
 * equivocation: it refuses the second of two changes with the same actor and seq, so
 * replicas that saw them in different orders would diverge.
 *
 * The rule every honest replica applies, a pure function of the set of *complete*
 * changes held (those whose whole ancestry is held): once a signer has two different
 * complete changes with the same (actor, seq), its *fork* is the two lowest hashes at the
 * lowest such (actor, seq). The document keeps only that signer's changes that both
 * members of the fork build on (the common prefix) and excludes the rest, with
 * everything that depends on them. The log itself keeps every valid change it received —
 * it is a grow-only set — but replicas exchange only complete changes, so only the
 * complete part is the same at every honest replica once they have synced; a change
 * whose ancestry never arrives stays at the one replica that got it, and must not decide
 * what that replica shows (found by the simulator: a Byzantine writer's stray change
 * emptied its document at one honest site, with the same heads everywhere).
 *
 * Two signed changes at one position prove equivocation whether or not they are
 * complete: that *evidence* is reported at once (the replication layer then refuses the
 * writer's own traffic), and only the exclusion waits for the fork to be complete.
 *
 * The log is plain in-memory state; the document store persists what `add` reports.
 */
import type { SignedChange } from './envelope.ts'
import { bugActive } from '../../testing/injected-bugs.ts'

export interface LogEntry {
  hash: string
  actor: string
  seq: number
  deps: string[]
  /** Author's public key, hex. */
  signer: string
  ops: number
  time: number
  env: SignedChange
}

export interface EquivocationEvidence {
  docId: string
  signer: string
  actor: string
  seq: number
  /** The two conflicting signed changes (lowest hashes first). */
  pair: [LogEntry, LogEntry]
}

export type DropCode = 'quarantine-full'

export interface AddOutcome {
  /** Newly retained entries: persist these. */
  added: LogEntry[]
  /** Entries that became materialisable, in dependency order: apply them. */
  applicable: LogEntry[]
  /** The materialised set shrank: rebuild the document from `materialisedInOrder()`. */
  rebuild: boolean
  dropped: Array<{ entry: LogEntry, code: DropCode }>
  duplicates: number
  evidence: EquivocationEvidence[]
}

export interface DocumentLogOptions {
  /** Most entries held that cannot be materialised yet (missing dependencies). */
  maxPending: number
}

export interface DocumentLog {
  readonly docId: string
  size (): number
  has (hash: string): boolean
  get (hash: string): LogEntry | undefined
  /** Every retained hash, in no particular order. */
  hashes (): IterableIterator<string>
  /**
   * Heads of the complete part of the log (entries whose whole ancestry is held),
   * sorted. Entries still missing ancestors are not heads: advertising them would claim
   * the ancestry too.
   */
  heads (): string[]
  /** Whether the entry and its whole ancestry are held. */
  isComplete (hash: string): boolean
  /** How many entries are complete (entries never leave the log, so this only grows). */
  completeCount (): number
  /**
   * Complete entries that are not ancestors of `since` (hashes not held are ignored), in
   * dependency order: what a peer that holds `since` may lack.
   */
  addedSince (since: readonly string[]): LogEntry[]
  /** Hashes referenced by retained entries but not held. */
  missingDeps (): string[]
  isMaterialised (hash: string): boolean
  materialisedCount (): number
  pendingCount (): number
  /** Materialised entries in a dependency-respecting order (ties by hash). */
  materialisedInOrder (): LogEntry[]
  /** Signers with evidence of equivocation in this document (complete or not). */
  forkedSigners (): string[]
  evidenceFor (signer: string): EquivocationEvidence | undefined
  add (entries: readonly LogEntry[]): AddOutcome
}

function compareStrings (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

interface Fork {
  actor: string
  seq: number
  pair: [string, string]
}

/** Orders candidate evidence pairs: lower actor, then lower seq, then lower hashes. */
function forkLess (a: Fork, b: Fork): boolean {
  if (a.actor !== b.actor) return a.actor < b.actor
  if (a.seq !== b.seq) return a.seq < b.seq
  if (a.pair[0] !== b.pair[0]) return a.pair[0] < b.pair[0]
  return a.pair[1] < b.pair[1]
}

export function createDocumentLog (docId: string, options: DocumentLogOptions): DocumentLog {
  const entries = new Map<string, LogEntry>()
  /** actor → seq → hashes held at that position (nested, so no key string per change). */
  const bySeq = new Map<string, Map<number, string[]>>()
  /**
   * dependency hash → retained entries that list it. Arrays, not sets: most changes have
   * one dependent, every reader tolerates a repeat, and a set per change costs more.
   */
  const dependents = new Map<string, string[]>()
  const materialised = new Set<string>()
  const complete = new Set<string>()
  const excluded = new Set<string>()
  /** Per signer: its lowest evidence pair among every entry held (what it is reported for). */
  const proofs = new Map<string, Fork>()
  /** Per signer: its lowest fork among complete entries (what the document excludes by). */
  const forks = new Map<string, Fork>()
  let headsCache: string[] | undefined
  /** `orderedRetained()` until the next insert: every session and digest asks for it. */
  let orderCache: readonly LogEntry[] | undefined

  function isMaterialisable (e: LogEntry): boolean {
    if (excluded.has(e.hash)) return false
    for (const d of e.deps) if (!materialised.has(d)) return false
    return true
  }

  function pendingCount (): number {
    return entries.size - materialised.size - excluded.size
  }

  /** Returns how many entries the log now holds at the entry's (actor, seq). */
  function insert (e: LogEntry): number {
    entries.set(e.hash, e)
    orderCache = undefined
    let seqs = bySeq.get(e.actor)
    if (seqs === undefined) bySeq.set(e.actor, seqs = new Map())
    let at = seqs.get(e.seq)
    if (at === undefined) seqs.set(e.seq, at = [e.hash])
    else at.push(e.hash)
    for (const d of e.deps) {
      const list = dependents.get(d)
      if (list === undefined) dependents.set(d, [e.hash])
      else list.push(e.hash)
    }
    headsCache = undefined
    return at.length
  }

  /** Marks `start` complete if its deps are, and every waiting entry that unblocks; returns the signers whose fork one of them completed. */
  function completeFrom (start: LogEntry): Set<string> | undefined {
    let forked: Set<string> | undefined
    const queue = [start]
    for (let i = 0; i < queue.length; i++) {
      const e = queue[i]!
      if (complete.has(e.hash) || !e.deps.every((d) => complete.has(d))) continue
      complete.add(e.hash)
      headsCache = undefined
      if (completeAt(e) > 1) (forked ??= new Set()).add(e.signer)
      const waiting = dependents.get(e.hash)
      if (waiting === undefined) continue
      for (const h of waiting) {
        const w = entries.get(h)
        if (w !== undefined && !complete.has(h)) queue.push(w)
      }
    }
    return forked
  }

  /** Complete entries at the entry's (actor, seq). */
  function completeAt (e: LogEntry): number {
    let n = 0
    for (const h of bySeq.get(e.actor)?.get(e.seq) ?? []) if (complete.has(h)) n++
    return n
  }

  /** Materialises `start` and every waiting entry it unblocks; returns them in order. */
  function materialiseFrom (start: LogEntry, out: LogEntry[]): void {
    const queue = [start]
    for (let i = 0; i < queue.length; i++) {
      const e = queue[i]!
      if (materialised.has(e.hash) || !isMaterialisable(e)) continue
      materialised.add(e.hash)
      out.push(e)
      const waiting = dependents.get(e.hash)
      if (waiting === undefined) continue
      for (const h of waiting.length > 1 ? [...waiting].sort(compareStrings) : waiting) {
        const w = entries.get(h)
        if (w !== undefined && !materialised.has(h) && isMaterialisable(w)) queue.push(w)
      }
    }
  }

  /** Retained ancestors of `roots` (roots included), following deps that are held. */
  function ancestors (roots: readonly string[]): Set<string> {
    const seen = new Set<string>()
    const stack = [...roots]
    while (stack.length > 0) {
      const h = stack.pop()!
      if (seen.has(h)) continue
      const e = entries.get(h)
      if (e === undefined) continue
      seen.add(h)
      for (const d of e.deps) stack.push(d)
    }
    return seen
  }

  /** Retained descendants of `roots` (roots excluded unless reached again). */
  function descendants (roots: Iterable<string>): Set<string> {
    const seen = new Set<string>()
    const stack = [...roots]
    while (stack.length > 0) {
      const h = stack.pop()!
      const next = dependents.get(h)
      if (next === undefined) continue
      for (const c of next) {
        if (!seen.has(c)) { seen.add(c); stack.push(c) }
      }
    }
    return seen
  }

  /** The lowest pair among a signer's retained entries (only complete ones if `completeOnly`), if any. */
  function lowestFork (signer: string, completeOnly: boolean): Fork | undefined {
    let best: Fork | undefined
    for (const seqs of bySeq.values()) {
      for (const all of seqs.values()) {
        const hashes = completeOnly ? all.filter((h) => complete.has(h)) : all
        if (hashes.length < 2) continue
        const first = entries.get(hashes[0]!)
        if (first === undefined || first.signer !== signer) continue
        const sorted = [...hashes].sort(compareStrings)
        const candidate: Fork = { actor: first.actor, seq: first.seq, pair: [sorted[0]!, sorted[1]!] }
        if (best === undefined || forkLess(candidate, best)) best = candidate
      }
    }
    return best
  }

  /**
   * Excludes every change of a forked signer outside the common prefix of its fork, and
   * everything depending on those. A fork's members are complete, so their ancestries are
   * whole and the prefix is the same at every replica holding them.
   */
  function recomputeExcluded (): void {
    excluded.clear()
    const roots: string[] = []
    for (const [signer, fork] of forks) {
      const a = ancestors([fork.pair[0]])
      const b = ancestors([fork.pair[1]])
      for (const e of entries.values()) {
        if (e.signer !== signer) continue
        if (!(a.has(e.hash) && b.has(e.hash)) || e.hash === fork.pair[0] || e.hash === fork.pair[1]) roots.push(e.hash)
      }
    }
    for (const h of roots) excluded.add(h)
    for (const h of descendants(roots)) excluded.add(h)
  }

  function recomputeMaterialised (): void {
    materialised.clear()
    for (const e of orderedRetained()) {
      if (isMaterialisable(e)) materialised.add(e.hash)
    }
  }

  /**
   * Every retained entry after its held dependencies: an iterative depth-first
   * post-order from entries taken in hash order, so the order is canonical and O(n log n).
   * Entries only ever join the log, so the order stays valid until one does.
   */
  function orderedRetained (): readonly LogEntry[] {
    if (orderCache !== undefined) return orderCache
    const out: LogEntry[] = []
    const state = new Map<string, 1 | 2>() // 1: on the stack, 2: emitted
    for (const root of [...entries.keys()].sort(compareStrings)) {
      if (state.has(root)) continue
      const stack: Array<{ e: LogEntry, next: number }> = [{ e: entries.get(root)!, next: 0 }]
      state.set(root, 1)
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!
        if (top.next < top.e.deps.length) {
          const d = top.e.deps[top.next++]!
          const dep = entries.get(d)
          if (dep !== undefined && !state.has(d)) { state.set(d, 1); stack.push({ e: dep, next: 0 }) }
        } else {
          stack.pop()
          state.set(top.e.hash, 2)
          out.push(top.e)
        }
      }
    }
    orderCache = out
    return out
  }

  function add (incoming: readonly LogEntry[]): AddOutcome {
    const out: AddOutcome = { added: [], applicable: [], rebuild: false, dropped: [], duplicates: 0, evidence: [] }
    /** Signers with a second change at some position (evidence), and with a second complete one (a fork). */
    const proven = new Set<string>()
    const conflicted = new Set<string>()
    for (const e of incoming) {
      if (entries.has(e.hash)) { out.duplicates++; continue }
      const materialisable = forks.size === 0 && isMaterialisable(e)
      if (!materialisable && pendingCount() >= options.maxPending) {
        out.dropped.push({ entry: e, code: 'quarantine-full' })
        continue
      }
      const atSeq = insert(e)
      const forked = completeFrom(e)
      out.added.push(e)
      // bugActive: a test-only injected bug for the simulator's self-test (src/testing/injected-bugs.ts); always off in production.
      if (bugActive('equivocation-rule-off')) {
        if (materialisable) materialiseFrom(e, out.applicable)
        continue
      }
      if (atSeq > 1) proven.add(e.signer)
      if (forked !== undefined) for (const signer of forked) conflicted.add(signer)
      if (atSeq === 1 && forked === undefined && materialisable) materialiseFrom(e, out.applicable)
    }

    for (const signer of [...proven].sort(compareStrings)) {
      const before = proofs.get(signer)
      const lowest = lowestFork(signer, false)!
      if (before !== undefined && !forkLess(lowest, before)) continue
      proofs.set(signer, lowest)
      const pair = [entries.get(lowest.pair[0])!, entries.get(lowest.pair[1])!] as [LogEntry, LogEntry]
      out.evidence.push({ docId, signer, actor: lowest.actor, seq: lowest.seq, pair })
    }
    for (const signer of conflicted) forks.set(signer, lowestFork(signer, true)!)
    if (conflicted.size === 0 && forks.size === 0) {
      // An entry held back as a conflict, before its fork was complete, may apply now.
      if (proven.size > 0) for (const e of out.added) if (!materialised.has(e.hash) && isMaterialisable(e)) materialiseFrom(e, out.applicable)
      return out
    }
    // With a fork in this document, materialisation is recomputed from the whole log:
    // forked documents are rare, and this keeps the rule a function of the set alone.
    const applied = new Set(materialised)
    for (const e of out.applicable) applied.delete(e.hash)
    recomputeExcluded()
    recomputeMaterialised()
    for (const h of applied) {
      if (!materialised.has(h)) { out.rebuild = true; break }
    }
    out.applicable = out.rebuild ? [] : orderedRetained().filter((e) => materialised.has(e.hash) && !applied.has(e.hash))
    return out
  }

  return {
    docId,
    size: () => entries.size,
    has: (hash) => entries.has(hash),
    get: (hash) => entries.get(hash),
    hashes: () => entries.keys(),
    heads () {
      if (headsCache === undefined) {
        headsCache = []
        for (const h of complete) {
          const ds = dependents.get(h)
          let head = true
          if (ds !== undefined) for (const d of ds) if (complete.has(d)) { head = false; break }
          if (head) headsCache.push(h)
        }
        headsCache.sort(compareStrings)
      }
      return headsCache
    },
    isComplete: (hash) => complete.has(hash),
    completeCount: () => complete.size,
    addedSince (since) {
      const known = ancestors(since.filter((h) => complete.has(h)))
      return orderedRetained().filter((e) => complete.has(e.hash) && !known.has(e.hash))
    },
    missingDeps () {
      const out: string[] = []
      for (const d of dependents.keys()) if (!entries.has(d)) out.push(d)
      return out.sort(compareStrings)
    },
    isMaterialised: (hash) => materialised.has(hash),
    materialisedCount: () => materialised.size,
    pendingCount,
    materialisedInOrder: () => orderedRetained().filter((e) => materialised.has(e.hash)),
    forkedSigners: () => [...proofs.keys()].sort(compareStrings),
    evidenceFor (signer) {
      const fork = proofs.get(signer)
      if (fork === undefined) return undefined
      const a = entries.get(fork.pair[0])
      const b = entries.get(fork.pair[1])
      if (a === undefined || b === undefined) return undefined
      return { docId, signer, actor: fork.actor, seq: fork.seq, pair: [a, b] }
    },
    add
  }
}
