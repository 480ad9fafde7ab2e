/**
 * The signed document store of one site: for every document it holds, the signed change
 * log (source of truth) and the Automerge document materialised from it, persisted
 * through the Storage port. Local changes are signed and made durable before they exist
 * for anyone else (so a crash can never make this site reuse a sequence number); remote
 * changes are verified, persisted and only then applied. One operation at a time: all
 * mutations run through a queue, so a document value never forks inside the process.
 *
 * Received changes go into the document's history at once (heads, `save()` and what a
 * peer is served are always current), while its plain JS value catches up only when it
 * is read (see `document-value.ts`): turning changes into JS objects costs more than
 * applying them, and a site reads a document once per controller tick while changes
 * arrive in many small batches.
 *
 * Snapshots (a compacted save of a document, so a restart replays a bounded tail of its
 * log) are an optimisation, not part of durability: an operation resolves once its
 * changes are durable, and the snapshot it triggers is written behind it (see
 * `persistSnapshot`). Received changes come in bursts, so a document they make due for
 * a snapshot waits until ingest pauses (see `snapshot-cadence.ts`).
 */
import * as A from '@automerge/automerge'
import { FlotillaError } from '../model/errors.ts'
import type { Clock } from '../ports/clock.ts'
import type { Logger } from '../ports/logger.ts'
import type { Rng } from '../ports/rng.ts'
import type { Storage, StorageOp } from '../ports/storage.ts'
import { toHex, type Signer, type Verify } from '../identity/keys.ts'
import { peekChangeHeader, readChangeHeader } from './log/change-header.ts'
import { createDocumentLog, type AddOutcome, type DocumentLog, type EquivocationEvidence, type LogEntry } from './log/change-log.ts'
import { decodeSignedChange, encodeSignedChange, signChange, type SignedChange } from './log/envelope.ts'
import { decodeRecord, decodeSnapshot, encodeChangeRecord, encodeRecord, encodeSnapshot, logKey, logPrefix, metaKey, snapshotKey } from './log/records.ts'
import { verifySignedChange, type VerifyLimits, type WritePolicy } from './log/verify.ts'
import { createDocumentValue, type DocumentValue } from './document-value.ts'
import { createGroupCommit } from './group-commit.ts'
import { createSnapshotCadence } from './snapshot-cadence.ts'
import { createRefusedChanges, logWithout, unappliable } from './refused-changes.ts'

export { FEDERATION_DOC_ID, siteDocId } from './docs/schema.ts'

export type DocId = string

export interface StoreLimits extends VerifyLimits {
  /** Most changes held per document whose dependencies are missing. */
  maxPendingChanges: number
}

export interface DocumentStoreOptions {
  storage: Storage
  clock: Clock
  rng: Rng
  signer: Signer
  verify: Verify
  writePolicy: WritePolicy
  limits: StoreLimits
  /**
   * Snapshot a document once this many changes were applied since its last snapshot
   * (default 2,000), and at least a quarter of what that snapshot held, so the cost of
   * saving stays a constant share of the changes applied however large the document.
   */
  snapshotEvery?: number
  /**
   * How long ingest must pause before a document that received changes made due for a
   * snapshot is saved (default 1,000 ms; see `snapshot-cadence.ts`).
   */
  snapshotQuietMs?: number
  /**
   * Checks every local change before it is signed; a throw discards the change (the
   * compliance guard: nothing naming a local-only record may enter a replicated document).
   */
  guardChange?: (docId: string, change: Uint8Array) => void
  logger: Logger
}

export interface Rejection {
  code: string
  docId: string
  message: string
  /** Public key (hex) the change claimed as signer, when it could be read. */
  signer?: string
  /** The envelope's encoded bytes, kept for evidence when small. */
  bytes?: Uint8Array
}

export interface IngestReport {
  accepted: number
  duplicates: number
  rejected: Rejection[]
  /** Valid changes not taken now (quarantine full); peers offer them again later. */
  dropped: Array<{ code: string, docId: string, hash: string }>
  evidence: EquivocationEvidence[]
}

/** A stored record skipped at load; `code` says why (`corrupt-record` for a failed checksum or torn record, `malformed` for a signed change Automerge refuses). */
export interface CorruptRecord { key: string, message: string, code: string }

export type ChangeOrigin = 'local' | 'remote'
export type ChangeListener = (docId: DocId, entries: readonly LogEntry[], origin: ChangeOrigin) => void

export interface DocumentStore {
  /** This store's Automerge actor id (signer key + incarnation). */
  readonly actor: string
  /** Records skipped at load because they failed their checksum. */
  readonly corrupt: readonly CorruptRecord[]
  documentIds (): DocId[]
  document<T = unknown> (docId: DocId): A.Doc<T> | undefined
  log (docId: DocId): DocumentLog | undefined
  /** Heads of the document's signed change log (sorted). */
  heads (docId: DocId): string[]
  /**
   * Makes a change to a document this site may write, signs it, persists it and applies
   * it. Resolves with the log entry once durable, or undefined if `fn` changed nothing.
   */
  change<T> (docId: DocId, fn: A.ChangeFn<T>, message?: string): Promise<LogEntry | undefined>
  /** Verifies, persists and applies changes received from peers. */
  ingest (envelopes: readonly SignedChange[]): Promise<IngestReport>
  /** Signed changes held for `docId`, for serving to peers; unknown hashes are skipped. */
  signedChanges (docId: DocId, hashes: readonly string[]): SignedChange[]
  onChange (listener: ChangeListener): () => void
  onEvidence (listener: (e: EquivocationEvidence) => void): () => void
  close (): Promise<void>
}

/** The config's `storage.snapshotEveryChanges` default (src/config/schema.ts). */
export const DEFAULT_SNAPSHOT_EVERY = 2000

export const DEFAULT_SNAPSHOT_QUIET_MS = 1000


export async function openDocumentStore (options: DocumentStoreOptions): Promise<DocumentStore> {
  const { storage, clock, signer, verify, writePolicy, limits, logger } = options
  const snapshotEvery = options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY
  const snapshotQuietMs = options.snapshotQuietMs ?? DEFAULT_SNAPSHOT_QUIET_MS
  const logs = new Map<DocId, DocumentLog>()
  const docs = new Map<DocId, DocumentValue>()
  const cadence = createSnapshotCadence({
    clock, snapshotEvery, quietMs: snapshotQuietMs,
    // A closed or stopped store refuses the operation; nothing is lost but the snapshot.
    onPause: () => { serialise(async () => { persistSnapshot(waitingSnapshotOps()) }).catch(() => undefined) }
  })
  const changeListeners = new Set<ChangeListener>()
  const evidenceListeners = new Set<(e: EquivocationEvidence) => void>()
  const corrupt: CorruptRecord[] = []
  const logOptions = { maxPending: Infinity }
  /** Signed changes Automerge refused (see `applyChecked`): refused again on sight. */
  const refused = createRefusedChanges()
  let queue: Promise<unknown> = Promise.resolve()
  let failure: FlotillaError | undefined
  let closed = false

  const actor = signer.publicKeyHex + await loadIncarnation()

  async function loadIncarnation (): Promise<string> {
    const key = metaKey('incarnation')
    const raw = await storage.get(key)
    if (raw !== undefined) {
      try { return toHex(decodeRecord(key, 'meta', raw)) } catch (e) {
        corrupt.push({ key, code: codeOf(e), message: (e as Error).message })
      }
    }
    // A fresh store (or a lost one) writes under a new incarnation, so it can never
    // reuse a (actor, seq) pair it may have sent before the loss.
    const incarnation = options.rng.bytes(8)
    await storage.batch([{ type: 'put', key, value: encodeRecord('meta', incarnation) }])
    return toHex(incarnation)
  }

  function logFor (docId: DocId): DocumentLog {
    let log = logs.get(docId)
    if (log === undefined) logs.set(docId, log = createDocumentLog(docId, logOptions))
    return log
  }

  function entryOf (env: SignedChange, header = readChangeHeader(env.change), signerHex = toHex(env.signer)): LogEntry {
    return { hash: header.hash, actor: header.actor, seq: header.seq, deps: header.deps, signer: signerHex, ops: header.ops, time: header.time, env }
  }

  function emptyDoc (): A.Doc<unknown> {
    return A.init<unknown>({ actor })
  }

  function valueFor (docId: DocId): DocumentValue {
    let value = docs.get(docId)
    if (value === undefined) docs.set(docId, value = createDocumentValue(emptyDoc()))
    return value
  }

  /** Builds the value from the log, in runs of changes (see document-value.ts on why not one load). */
  function rebuild (docId: DocId): void {
    const value = createDocumentValue(emptyDoc())
    value.apply(logFor(docId).materialisedInOrder())
    docs.set(docId, value)
  }

  /**
   * Applying is the check that a validly signed change is one (refused-changes.ts). A
   * refused change leaves the log, its hash is remembered, the caller deletes its record
   * and reports it as malformed: signed, it is evidence against its author. One stored
   * before this check existed, or whose delete a crash cut short, is found again at load.
   * Runs `apply` (which applies `candidates`; without them it rebuilds the document and
   * the whole log is suspect). When Automerge refuses a change, purges the refused ones,
   * rebuilds from the rest and returns them; a failure no single change explains is
   * rethrown.
   */
  function applyChecked (docId: DocId, apply: () => void, candidates?: readonly LogEntry[]): LogEntry[] {
    const purged: LogEntry[] = []
    for (;;) {
      try {
        apply()
        return purged
      } catch (e) {
        const bad = unappliable(candidates ?? logFor(docId).materialisedInOrder())
        if (bad.length === 0) throw e
        logger.error({ docId, changes: bad.map((b) => b.hash), signers: [...new Set(bad.map((b) => b.signer))], err: (e as Error).message },
          'Automerge refused validly signed changes: taken out of the log and reported as malformed')
        const hashes = new Set(bad.map((b) => b.hash))
        refused.remember(hashes)
        logs.set(docId, logWithout(logFor(docId), hashes, logOptions))
        purged.push(...bad)
        candidates = undefined
        apply = () => { rebuild(docId) }
      }
    }
  }

  /** Records of purged changes to delete (they were persisted before Automerge refused them). */
  function purgedRecordOps (docId: DocId, purged: readonly LogEntry[]): StorageOp[] {
    return purged.map((e) => ({ type: 'del', key: logKey(docId, e.hash) }))
  }

  function waitingSnapshotOps (): StorageOp[] {
    return cadence.waiting().flatMap((docId) => snapshotNow(docId))
  }

  function snapshotNow (docId: DocId): StorageOp[] {
    const value = docs.get(docId)
    if (value === undefined) return []
    cadence.taken(docId, logFor(docId).materialisedCount())
    return [{ type: 'put', key: snapshotKey(docId), value: encodeRecord('snapshot', encodeSnapshot(value.heads(), value.save())) }]
  }

  async function load (): Promise<void> {
    const byDoc = new Map<DocId, LogEntry[]>()
    for await (const [key, value] of storage.entries({ prefix: logPrefix() })) {
      try {
        const env = decodeSignedChange(decodeRecord(key, 'change', value))
        const entry = entryOf(env)
        if (logKey(env.docId, entry.hash) !== key) throw new FlotillaError('corrupt-record', `record ${key} holds change ${entry.hash} of ${env.docId}`, 'The record was skipped.')
        let list = byDoc.get(env.docId)
        if (list === undefined) byDoc.set(env.docId, list = [])
        list.push(entry)
      } catch (e) {
        corrupt.push({ key, code: codeOf(e), message: (e as Error).message })
        logger.error({ key, err: (e as Error).message }, 'skipped a corrupt record of the signed change log')
      }
    }
    for (const [docId, entries] of byDoc) {
      logFor(docId).add(entries)
      await materialiseFromDisk(docId)
    }
    logOptions.maxPending = limits.maxPendingChanges
  }

  /** Loads the snapshot if it is consistent with the log, then applies the rest. */
  async function materialiseFromDisk (docId: DocId): Promise<void> {
    const log = logFor(docId)
    const key = snapshotKey(docId)
    const raw = await storage.get(key)
    if (raw !== undefined) {
      try {
        const { heads, saved } = decodeSnapshot(decodeRecord(key, 'snapshot', raw))
        if (heads.every((h) => log.isMaterialised(h))) {
          const covered = new Set<string>()
          const stack = [...heads]
          while (stack.length > 0) {
            const h = stack.pop()!
            if (covered.has(h)) continue
            covered.add(h)
            stack.push(...(log.get(h)?.deps ?? []))
          }
          // The changes after the snapshot load with it, in one call: Automerge applies
          // them before it builds the JS value, so the value is built once, not patched.
          const tail = log.materialisedInOrder().filter((e) => !covered.has(e.hash))
          let doc: A.Doc<unknown> | undefined
          try {
            doc = A.load<unknown>(Buffer.concat([saved, ...tail.map((e) => e.env.change)]), { actor })
          } catch (e) {
            // The snapshot is sound but a change after it is not: the rebuild below purges it.
            if (unappliable(tail).length === 0) throw e
            logger.warn({ docId }, 'a change after the snapshot is refused by Automerge; rebuilding from the log without it')
          }
          if (doc !== undefined) {
            docs.set(docId, createDocumentValue(doc))
            cadence.taken(docId, covered.size, tail.length)
            return
          }
        } else {
          logger.warn({ docId }, 'snapshot holds changes the log no longer materialises; rebuilding from the log')
        }
      } catch (e) {
        corrupt.push({ key, code: codeOf(e), message: (e as Error).message })
        logger.error({ key, err: (e as Error).message }, 'skipped a corrupt snapshot; rebuilding from the log')
      }
    }
    const purged = applyChecked(docId, () => { rebuild(docId) })
    for (const e of purged) {
      corrupt.push({ key: logKey(docId, e.hash), code: 'malformed', message: `change ${e.hash} of ${docId}, signed by ${e.signer.slice(0, 16)}…, is refused by Automerge; its record was deleted` })
    }
    if (purged.length > 0) await persist(purgedRecordOps(docId, purged))
  }

  /** Runs `op` after every earlier operation; a storage failure stops the store for good. */
  function serialise<R> (op: () => Promise<R>): Promise<R> {
    const run = async (): Promise<R> => {
      if (closed) throw new FlotillaError('store-closed', 'the document store is closed', 'Open the store again.')
      if (failure !== undefined) throw failure
      return await op()
    }
    const result = queue.then(run, run)
    queue = result.catch(() => undefined)
    return result
  }

  /** A snapshot write in flight (it never rejects: a failure sets `failure`). */
  let snapshotWrite: Promise<void> | undefined

  async function persist (ops: StorageOp[]): Promise<void> {
    if (snapshotWrite !== undefined) {
      const pending = snapshotWrite
      snapshotWrite = undefined
      await pending
    }
    if (failure !== undefined) throw failure
    if (ops.length === 0) return
    try {
      await storage.batch(ops)
    } catch (e) {
      // Memory may now be ahead of disk; only a restart (reload from disk) is safe.
      failure = new FlotillaError('storage-failed', `writing the signed change log failed: ${(e as Error).message}`,
        'The store stopped to stay consistent; fix the disk and restart the site (it reloads from disk).', { cause: e })
      throw failure
    }
  }

  /**
   * Issues a snapshot write without waiting for it to be durable: the changes it covers
   * already are, and a lost snapshot only makes the next start replay more of the log,
   * so its fsync overlaps with what the store does next instead of delaying the caller.
   * The next write and `close` wait for it first, so snapshots land in order and a
   * failed one stops the store like any other write.
   */
  function persistSnapshot (ops: StorageOp[]): void {
    if (ops.length === 0) return
    snapshotWrite = persist(ops).catch(() => undefined)
  }

  function emit (docId: DocId, entries: readonly LogEntry[], origin: ChangeOrigin): void {
    if (entries.length === 0) return
    for (const l of changeListeners) {
      try { l(docId, entries, origin) } catch (e) { logger.error({ err: (e as Error).message }, 'change listener failed') }
    }
  }

  /**
   * Group commit: every `ingest` call that arrived while the previous operation ran joins
   * one commit, admitted to the logs one call after the other (so each call's report
   * reads as if it had run alone), then written in one batch and applied together. A
   * slow disk then lowers the number of writes, not the rate at which a site takes in
   * its peers' changes (one write per call let nine peers' pushes queue behind a disk
   * taking half a second per write).
   */
  const ingestGrouped = createGroupCommit<readonly SignedChange[], IngestReport>(serialise, commitReceived)

  /** One call's changes verified and added to their logs (in memory), with what to write. */
  function admitReceived (envelopes: readonly SignedChange[], ops: StorageOp[]): { report: IngestReport, outcomes: Array<{ docId: DocId, outcome: AddOutcome }> } {
    const report: IngestReport = { accepted: 0, duplicates: 0, rejected: [], dropped: [], evidence: [] }
    const byDoc = new Map<DocId, LogEntry[]>()
    for (const env of envelopes) {
      const known = peekChangeHeader(env.change)
      if (known !== undefined && logs.get(env.docId)?.has(known.hash) === true) { report.duplicates++; continue }
      try {
        // Known from its fast header, a refused change is not verified again.
        const before = known === undefined ? undefined : refused.check(known.hash, env.docId)
        if (before !== undefined) throw before
        const verified = verifySignedChange(env, verify, writePolicy, limits, known)
        const after = known === undefined ? refused.check(verified.header.hash, env.docId) : undefined
        if (after !== undefined) throw after
        let list = byDoc.get(env.docId)
        if (list === undefined) byDoc.set(env.docId, list = [])
        list.push(entryOf(env, verified.header, verified.signerHex))
      } catch (e) {
        if (!(e instanceof FlotillaError)) throw e
        report.rejected.push(rejectionOf(e.code, env.docId, e.message, toHex(env.signer), env))
      }
    }
    const outcomes = [...byDoc].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([docId, entries]) => {
      const outcome = logFor(docId).add(entries)
      for (const e of outcome.added) ops.push({ type: 'put', key: logKey(docId, e.hash), value: encodeChangeRecord(e.env) })
      report.accepted += outcome.added.length
      report.duplicates += outcome.duplicates
      for (const d of outcome.dropped) report.dropped.push({ code: d.code, docId, hash: d.entry.hash })
      report.evidence.push(...outcome.evidence)
      return { docId, outcome }
    })
    return { report, outcomes }
  }

  /** Moves purged changes from accepted to rejected (`malformed`) in the report of the call that brought them. */
  function reportPurged (admitted: ReadonlyArray<{ report: IngestReport, outcomes: Array<{ docId: DocId, outcome: AddOutcome }> }>, purged: ReadonlyMap<string, LogEntry>): void {
    for (const { report, outcomes } of admitted) {
      for (const { docId, outcome } of outcomes) {
        for (const e of outcome.added) {
          if (!purged.has(e.hash)) continue
          report.accepted--
          report.rejected.push(rejectionOf('malformed', docId, `change ${e.hash} to "${docId}" is validly signed but Automerge cannot decode it`, e.signer, e.env))
        }
      }
    }
  }

  /** Verifies, persists and applies the changes of several `ingest` calls; one report per call. */
  async function commitReceived (calls: ReadonlyArray<readonly SignedChange[]>): Promise<IngestReport[]> {
    cadence.ingested()
    const ops: StorageOp[] = []
    const admitted = calls.map((envelopes) => admitReceived(envelopes, ops))
    // The log write's fsync overlaps with applying the changes in memory: nothing is
    // announced, emitted or reported until it is durable, and a failed write stops
    // the store (memory ahead of disk is then only cured by a restart, as before).
    const written = persist(ops)
    written.catch(() => undefined) // awaited below; this only keeps a throw in apply from leaving it unhandled
    // Per document, in the calls' order: a document whose materialised set shrank in any
    // call is rebuilt once from its log (which holds every call's entries by now).
    const applicable = new Map<DocId, LogEntry[]>()
    const rebuilt = new Set<DocId>()
    for (const { outcomes } of admitted) {
      for (const { docId, outcome } of outcomes) {
        if (outcome.rebuild) rebuilt.add(docId)
        let list = applicable.get(docId)
        if (list === undefined) applicable.set(docId, list = [])
        list.push(...outcome.applicable)
      }
    }
    const snapshots: StorageOp[] = []
    const purged = new Map<string, LogEntry>()
    const deletes: StorageOp[] = []
    for (const [docId, entries] of [...applicable].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) {
      let refusedHere: LogEntry[]
      if (rebuilt.has(docId)) {
        refusedHere = applyChecked(docId, () => { rebuild(docId) })
        // The old snapshot holds changes now excluded: replace it at once, or every
        // restart would rebuild this document from its whole log (a forked writer's
        // document gets no later change that would trigger a snapshot).
        snapshots.push(...snapshotNow(docId))
      } else {
        refusedHere = entries.length > 0 ? applyChecked(docId, () => { valueFor(docId).apply(entries) }, entries) : []
        if (cadence.received(docId, entries.length)) snapshots.push(...snapshotNow(docId))
      }
      for (const e of refusedHere) purged.set(e.hash, e)
      deletes.push(...purgedRecordOps(docId, refusedHere))
    }
    await written
    if (deletes.length > 0) await persist(deletes)
    persistSnapshot(snapshots)
    if (purged.size > 0) reportPurged(admitted, purged)
    for (const { report, outcomes } of admitted) {
      for (const { docId, outcome } of outcomes) {
        const entries = outcome.rebuild ? outcome.added : outcome.applicable
        const log = logFor(docId)
        emit(docId, purged.size === 0 ? entries : entries.filter((e) => !purged.has(e.hash) && (outcome.rebuild || log.isMaterialised(e.hash))), 'remote')
      }
      for (const ev of report.evidence) {
        for (const l of evidenceListeners) {
          try { l(ev) } catch (e) { logger.error({ err: (e as Error).message }, 'evidence listener failed') }
        }
      }
    }
    return admitted.map((a) => a.report)
  }

  await load()

  return {
    actor,
    corrupt,
    documentIds: () => [...logs.keys()].filter((d) => (logs.get(d)?.size() ?? 0) > 0).sort(),
    document: <T>(docId: DocId) => docs.get(docId)?.read() as A.Doc<T> | undefined,
    log: (docId) => logs.get(docId),
    heads: (docId) => logs.get(docId)?.heads() ?? [],

    change<T> (docId: DocId, fn: A.ChangeFn<T>, message?: string) {
      return serialise(async () => {
        if (writePolicy(docId, signer.publicKeyHex) !== 'allowed') {
          throw new FlotillaError('unauthorized-writer', `this site may not write document "${docId}"`,
            'A site writes only its own site document and, as a roster member, the federation document.')
        }
        // After an equivocation by this site's own key, every change it makes here is refused
        // by the log; say so before running the change (and rebuilding the value after it).
        if (logs.get(docId)?.forkedSigners().includes(signer.publicKeyHex) === true) {
          throw new FlotillaError('writer-banned', `this site's key equivocated in "${docId}" (two changes at one position), so the federation refuses its changes there`,
            'A data directory restored from an old copy, or the same key on two sites, does this. Check `flotilla evidence`; re-initialise this site with a new key (`flotilla init --force`) and add that key to every roster.')
        }
        const value = valueFor(docId)
        const before = value.read() as A.Doc<T>
        const opts: A.ChangeOptions<T> = { time: Math.floor(clock.wallMs() / 1000) }
        if (message !== undefined) opts.message = message
        const after = A.change(before, opts, fn)
        const bytes = A.getLastLocalChange(after)
        if (bytes === undefined || after === before) return undefined
        if (options.guardChange !== undefined) {
          try {
            options.guardChange(docId, bytes)
          } catch (e) {
            // The Automerge value moved on in place; rebuild it from the log without the change.
            rebuild(docId)
            throw e
          }
        }
        const env = signChange(signer, docId, bytes)
        const entry = entryOf(env)
        const log = logFor(docId)
        await persist([{ type: 'put', key: logKey(docId, entry.hash), value: encodeChangeRecord(env) }])
        const outcome = log.add([entry])
        if (outcome.applicable.length !== 1) {
          // A.change moved the value on in place: rebuild it from the log, or every later
          // change would fail on an outdated document.
          rebuild(docId)
          const why = outcome.dropped.map((d) => d.code).join(', ') || 'it waits on changes the log does not hold'
          throw new FlotillaError('internal', `local change ${entry.hash} to ${docId} was not materialised (${why})`,
            'The log refuses this site\'s own changes — as after an equivocation by its actor, e.g. a data directory restored from an old copy. Check `flotilla evidence`; a site that equivocated must be re-initialised with a new key.')
        }
        value.replace(after as A.Doc<unknown>)
        if (cadence.local(docId, 1)) persistSnapshot(snapshotNow(docId))
        emit(docId, [entry], 'local')
        return entry
      })
    },

    ingest: ingestGrouped,

    signedChanges (docId, hashes) {
      const log = logs.get(docId)
      if (log === undefined) return []
      const out: SignedChange[] = []
      for (const h of hashes) {
        const e = log.get(h)
        if (e !== undefined) out.push(e.env)
      }
      return out
    },

    onChange (listener) {
      changeListeners.add(listener)
      return () => { changeListeners.delete(listener) }
    },

    onEvidence (listener) {
      evidenceListeners.add(listener)
      return () => { evidenceListeners.delete(listener) }
    },

    close () {
      // After every earlier operation, like `serialise`, but a store stopped by a failed
      // write still closes: the failure was reported to the write that met it, and
      // shutting the site down must not fail over it.
      const run = async (): Promise<void> => {
        cadence.stop()
        if (!closed && failure === undefined) persistSnapshot(waitingSnapshotOps())
        await snapshotWrite
        closed = true
      }
      const result = queue.then(run, run)
      queue = result.catch(() => undefined)
      return result
    }
  }
}


/** The error code a skipped record is reported under (`corrupt-record` for a failure without one). */
function codeOf (e: unknown): string {
  return e instanceof FlotillaError ? e.code : 'corrupt-record'
}

/** A rejection for the report, with the envelope's bytes kept as evidence when small. */
function rejectionOf (code: string, docId: string, message: string, signer: string, env: SignedChange): Rejection {
  const rejection: Rejection = { code, docId, message, signer }
  if (env.change.length <= 4096) rejection.bytes = encodeSignedChange(env)
  return rejection
}
