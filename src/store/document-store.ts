/**
 * The signed document store of one site: for every document it holds, the signed change
 * log (source of truth) and the Automerge document materialised from it, persisted
 * through the Storage port. Local changes are signed and made durable before they exist
 * for anyone else (so a crash can never make this site reuse a sequence number); remote
 * changes are verified, persisted and only then applied. One operation at a time: all
 * mutations run through a queue, so a document value never forks inside the process.
 *
 * Received changes are applied to each document's history at once but reach its plain
 * JS value only when it is next read (materialised-doc.ts), so many small batches cost
 * one set of patches per read. A verifier that can check many signatures off the main
 * thread (`verifyManyOf`) verifies a received batch on the thread pool.
 */
import * as A from '@automerge/automerge'
import { FlotillaError } from '../model/errors.ts'
import type { Clock } from '../ports/clock.ts'
import type { Logger } from '../ports/logger.ts'
import type { Rng } from '../ports/rng.ts'
import type { Storage, StorageOp } from '../ports/storage.ts'
import { toHex, verifyManyOf, type Signer, type Verify } from '../identity/keys.ts'
import { readChangeHeader, readChangeHeaderFast, type ChangeHeader } from './log/change-header.ts'
import { createDocumentLog, dependencyOrder, type DocumentLog, type EquivocationEvidence, type LogEntry } from './log/change-log.ts'
import { decodeSignedChange, encodeSignedChange, signChange, type SignedChange } from './log/envelope.ts'
import { decodeRecord, decodeSnapshot, encodeRecord, encodeSnapshot, logKey, logPrefix, metaKey, snapshotKey } from './log/records.ts'
import { verifySignedChange, verifySignedChanges, type VerifiedChange, type VerifyLimits, type WritePolicy } from './log/verify.ts'
import { createMaterialisedDoc, type ChangeToApply, type MaterialisedDoc } from './materialised-doc.ts'

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
  /** Snapshot a document after this many applied changes since the last snapshot (default 500). */
  snapshotEvery?: number
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

export interface CorruptRecord { key: string, message: string }

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

const DEFAULT_SNAPSHOT_EVERY = 500
/** Received changes verified per slice: each slice is added and applied while later ones are checked. */
const VERIFY_SLICE = 100

export async function openDocumentStore (options: DocumentStoreOptions): Promise<DocumentStore> {
  const { storage, clock, signer, verify, writePolicy, limits, logger } = options
  const snapshotEvery = options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY
  const logs = new Map<DocId, DocumentLog>()
  const docs = new Map<DocId, MaterialisedDoc>()
  const verifyMany = verifyManyOf(verify)
  const sinceSnapshot = new Map<DocId, number>()
  const changeListeners = new Set<ChangeListener>()
  const evidenceListeners = new Set<(e: EquivocationEvidence) => void>()
  const corrupt: CorruptRecord[] = []
  const logOptions = { maxPending: Infinity }
  let queue: Promise<unknown> = Promise.resolve()
  let failure: FlotillaError | undefined
  let closed = false

  const actor = signer.publicKeyHex + await loadIncarnation()

  async function loadIncarnation (): Promise<string> {
    const key = metaKey('incarnation')
    const raw = await storage.get(key)
    if (raw !== undefined) {
      try { return toHex(decodeRecord(key, 'meta', raw)) } catch (e) {
        corrupt.push({ key, message: (e as Error).message })
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

  function entryOf (env: SignedChange, header = readChangeHeader(env.change), signerHex = signerHexOf(env.signer)): LogEntry {
    return { hash: header.hash, actor: header.actor, seq: header.seq, deps: header.deps, signer: signerHex, ops: header.ops, time: header.time, env }
  }

  function emptyDoc (): A.Doc<unknown> {
    return A.init<unknown>({ actor })
  }

  /** Rebuilds the value from the log; `now` builds it at once (at load) instead of on the next read. */
  function rebuild (docId: DocId, now = false): void {
    const doc = createMaterialisedDoc(emptyDoc())
    const changes = logFor(docId).materialisedInOrder().map(toApply)
    if (now) doc.applyNow(changes)
    else doc.apply(changes)
    docs.set(docId, doc)
  }

  /**
   * Finds the materialised changes of `docId` that Automerge refuses to apply, replacing
   * the log with one without them (their dependents wait for a dependency that never
   * comes). Runs only when an apply failed, so it may replay the whole document.
   */
  function dropRefused (docId: DocId): LogEntry[] {
    const log = logFor(docId)
    const refused: LogEntry[] = []
    const accepted: Uint8Array[] = []
    let probe = A.getBackend(emptyDoc())
    for (const e of log.materialisedInOrder()) {
      try {
        probe.applyChanges([e.env.change])
        accepted.push(e.env.change)
      } catch {
        refused.push(e)
        // A refused apply may leave the probe half-changed: start again from what was accepted.
        probe = A.getBackend(emptyDoc())
        if (accepted.length > 0) probe.applyChanges(accepted)
      }
    }
    if (refused.length === 0) return refused
    const bad = new Set(refused.map((e) => e.hash))
    const keep: LogEntry[] = []
    for (const h of log.hashes()) if (!bad.has(h)) keep.push(log.get(h)!)
    // Everything kept was held before, quarantined or not: re-add it without the limit.
    const limit = logOptions.maxPending
    logOptions.maxPending = Infinity
    try {
      const rebuilt = createDocumentLog(docId, logOptions)
      rebuilt.add(dependencyOrder(keep))
      logs.set(docId, rebuilt)
    } finally {
      logOptions.maxPending = limit
    }
    for (const e of refused) rememberRefused(e.hash)
    return refused
  }

  /** Hashes of changes Automerge refused lately: offered again, they are rejected at once. */
  const refusedLately = new Set<string>()
  function rememberRefused (hash: string): void {
    if (refusedLately.size >= 1024) refusedLately.delete(refusedLately.values().next().value as string)
    refusedLately.add(hash)
  }

  /** Verifies received envelopes in order: each the verified change or the error that rejects it. */
  async function verifyAll (envs: readonly SignedChange[], headers: ReadonlyArray<ChangeHeader | undefined>): Promise<Array<VerifiedChange | FlotillaError>> {
    if (verifyMany !== undefined && envs.length > 1) return await verifySignedChanges(envs, verifyMany, writePolicy, limits, headers)
    return envs.map((env, i) => {
      try {
        return verifySignedChange(env, verify, writePolicy, limits, headers[i])
      } catch (e) {
        if (!(e instanceof FlotillaError)) throw e
        return e
      }
    })
  }

  function snapshotPut (docId: DocId, heads: readonly string[], saved: Uint8Array): StorageOp {
    sinceSnapshot.set(docId, 0)
    return { type: 'put', key: snapshotKey(docId), value: encodeRecord('snapshot', encodeSnapshot(heads, saved)) }
  }

  /**
   * Snapshots of the documents that applied `snapshotEvery` changes since their last one,
   * as they are now (everything applied is durable). They ride in the next write batch
   * instead of a batch (and an fsync) of their own, and an ingest takes them while its
   * signatures are being verified on the thread pool.
   */
  function dueSnapshots (except?: DocId): StorageOp[] {
    const out: StorageOp[] = []
    for (const [docId, count] of sinceSnapshot) {
      if (count < snapshotEvery || docId === except) continue
      const doc = docs.get(docId)
      if (doc !== undefined) out.push(snapshotPut(docId, doc.heads(), doc.save()))
    }
    return out
  }

  function countApplied (docId: DocId, applied: number): void {
    sinceSnapshot.set(docId, (sinceSnapshot.get(docId) ?? 0) + applied)
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
        corrupt.push({ key, message: (e as Error).message })
        logger.error({ key, err: (e as Error).message }, 'skipped a corrupt record of the signed change log')
      }
    }
    for (const [docId, entries] of byDoc) {
      // Records come in hash order; adding them parents first makes each one materialise on arrival.
      logFor(docId).add(dependencyOrder(entries))
      try {
        await materialiseFromDisk(docId)
      } catch (e) {
        // A change Automerge refuses, written before such changes were caught at ingest:
        // skip it (reported like a corrupt record) and build the document without it.
        const dropped = dropRefused(docId)
        if (dropped.length === 0) throw e
        for (const r of dropped) {
          corrupt.push({ key: logKey(docId, r.hash), message: `Automerge refuses change ${r.hash}: ${(e as Error).message}` })
          logger.error({ docId, hash: r.hash }, 'skipped a stored change Automerge refuses')
        }
        rebuild(docId, true)
      }
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
          const doc = A.load<unknown>(saved, { actor })
          const covered = new Set<string>()
          const stack = [...A.getHeads(doc)]
          while (stack.length > 0) {
            const h = stack.pop()!
            if (covered.has(h)) continue
            covered.add(h)
            stack.push(...(log.get(h)?.deps ?? []))
          }
          const rest: LogEntry[] = []
          for (const h of log.hashes()) if (!covered.has(h) && log.isMaterialised(h)) rest.push(log.get(h)!)
          // Opened means ready: the value is built now, not on the first read.
          const materialised = createMaterialisedDoc(doc)
          materialised.applyNow(dependencyOrder(rest).map(toApply))
          docs.set(docId, materialised)
          return
        }
        logger.warn({ docId }, 'snapshot holds changes the log no longer materialises; rebuilding from the log')
      } catch (e) {
        corrupt.push({ key, message: (e as Error).message })
        logger.error({ key, err: (e as Error).message }, 'skipped a corrupt snapshot; rebuilding from the log')
      }
    }
    rebuild(docId, true)
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

  async function persist (ops: StorageOp[]): Promise<void> {
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

  function emit (docId: DocId, entries: readonly LogEntry[], origin: ChangeOrigin): void {
    if (entries.length === 0) return
    for (const l of changeListeners) {
      try { l(docId, entries, origin) } catch (e) { logger.error({ err: (e as Error).message }, 'change listener failed') }
    }
  }

  await load()

  return {
    actor,
    corrupt,
    documentIds: () => [...logs.keys()].filter((d) => (logs.get(d)?.size() ?? 0) > 0).sort(),
    document: <T>(docId: DocId) => docs.get(docId)?.visible() as A.Doc<T> | undefined,
    log: (docId) => logs.get(docId),
    heads: (docId) => logs.get(docId)?.heads() ?? [],

    change<T> (docId: DocId, fn: A.ChangeFn<T>, message?: string) {
      return serialise(async () => {
        if (writePolicy(docId, signer.publicKeyHex) !== 'allowed') {
          throw new FlotillaError('unauthorized-writer', `this site may not write document "${docId}"`,
            'A site writes only its own site document and, as a roster member, the federation document.')
        }
        const before = (docs.get(docId)?.value() ?? emptyDoc()) as A.Doc<T>
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
        const ops: StorageOp[] = [{ type: 'put', key: logKey(docId, entry.hash), value: encodeRecord('change', encodeSignedChange(env)) }]
        // This document's snapshot, if this change makes one due, holds the change and is
        // written with it; A.change has already moved the document's history on.
        if ((sinceSnapshot.get(docId) ?? 0) + 1 >= snapshotEvery) {
          const backend = A.getBackend(after)
          ops.push(snapshotPut(docId, backend.getHeads(), backend.save()))
        } else {
          countApplied(docId, 1)
        }
        ops.push(...dueSnapshots(docId))
        await persist(ops)
        const outcome = log.add([entry])
        if (outcome.applicable.length !== 1) {
          // A.change moved the value on in place: rebuild it from the log, or every later
          // change would fail on an outdated document.
          rebuild(docId)
          const why = outcome.dropped.map((d) => d.code).join(', ') || 'it waits on changes the log does not hold'
          throw new FlotillaError('internal', `local change ${entry.hash} to ${docId} was not materialised (${why})`,
            'The log refuses this site\'s own changes — as after an equivocation by its actor, e.g. a data directory restored from an old copy. Check `flotilla evidence`; a site that equivocated must be re-initialised with a new key.')
        }
        const current = docs.get(docId)
        if (current === undefined) docs.set(docId, createMaterialisedDoc(after as A.Doc<unknown>))
        else current.set(after as A.Doc<unknown>)
        emit(docId, [entry], 'local')
        return entry
      })
    },

    ingest (envelopes) {
      return serialise(async () => {
        const report: IngestReport = { accepted: 0, duplicates: 0, rejected: [], dropped: [], evidence: [] }
        const fresh: SignedChange[] = []
        const headers: Array<ChangeHeader | undefined> = []
        for (const env of envelopes) {
          const header = fastHeader(env)
          if (header !== undefined && logs.get(env.docId)?.has(header.hash) === true) { report.duplicates++; continue }
          if (header !== undefined && refusedLately.has(header.hash)) {
            const rejection: Rejection = { code: 'malformed', docId: env.docId, message: `Automerge refused change ${header.hash} before`, signer: toHex(env.signer) }
            if (env.change.length <= 4096) rejection.bytes = encodeSignedChange(env)
            report.rejected.push(rejection)
            continue
          }
          fresh.push(env)
          headers.push(header)
        }
        // Every signature is submitted at once; slices are taken up in order as their
        // verdicts arrive, so the main thread adds and applies one slice while the
        // thread pool still checks the next ones (and takes due snapshots meanwhile).
        const slices: Array<{ envs: SignedChange[], verdicts: Promise<Array<VerifiedChange | FlotillaError>> }> = []
        for (let at = 0; at < fresh.length; at += VERIFY_SLICE) {
          const envs = fresh.slice(at, at + VERIFY_SLICE)
          const verdicts = verifyAll(envs, headers.slice(at, at + VERIFY_SLICE))
          // Handled here so a slice never awaited (an earlier one failed) rejects no one.
          verdicts.catch(() => undefined)
          slices.push({ envs, verdicts })
        }
        const snapshots = dueSnapshots()
        const ops: StorageOp[] = []
        const touched = new Map<DocId, { added: LogEntry[], applicable: LogEntry[], rebuild: boolean }>()
        const byId = (a: [DocId, unknown], b: [DocId, unknown]): number => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0
        const held = new Set<MaterialisedDoc>()
        const refused = new Set<string>()
        try {
          for (const slice of slices) {
            const verdicts = await slice.verdicts
            const byDoc = new Map<DocId, LogEntry[]>()
            for (const [i, env] of slice.envs.entries()) {
              const verified = verdicts[i]!
              if (verified instanceof FlotillaError) {
                const rejection: Rejection = { code: verified.code, docId: env.docId, message: verified.message, signer: toHex(env.signer) }
                if (env.change.length <= 4096) rejection.bytes = encodeSignedChange(env)
                report.rejected.push(rejection)
                continue
              }
              let list = byDoc.get(env.docId)
              if (list === undefined) byDoc.set(env.docId, list = [])
              list.push(entryOf(env, verified.header, verified.signerHex))
            }
            for (const [docId, entries] of [...byDoc].sort(byId)) {
              const outcome = logFor(docId).add(entries)
              for (const e of outcome.added) ops.push({ type: 'put', key: logKey(docId, e.hash), value: encodeRecord('change', encodeSignedChange(e.env)) })
              report.accepted += outcome.added.length
              report.duplicates += outcome.duplicates
              for (const d of outcome.dropped) report.dropped.push({ code: d.code, docId, hash: d.entry.hash })
              report.evidence.push(...outcome.evidence)
              let t = touched.get(docId)
              if (t === undefined) touched.set(docId, t = { added: [], applicable: [], rebuild: false })
              t.added.push(...outcome.added)
              t.rebuild ||= outcome.rebuild
              if (t.rebuild || outcome.applicable.length === 0) continue
              t.applicable.push(...outcome.applicable)
              // Into the document's history now; readers see it only once it is durable.
              let doc = docs.get(docId)
              if (doc === undefined) {
                docs.set(docId, doc = createMaterialisedDoc(emptyDoc()))
                doc.hold(true)
              } else {
                doc.hold()
              }
              held.add(doc)
              try {
                doc.apply(outcome.applicable.map(toApply))
              } catch (e) {
                // Automerge refused a change that passed every check (signed by its writer, but
                // its ops do not decode or apply). It is dropped, never written, and reported;
                // the document is rebuilt without it once the rest is durable.
                const dropped = dropRefused(docId)
                if (dropped.length === 0) throw e
                const addedNow = new Set(t.added.map((x) => x.hash))
                for (const r of dropped) {
                  if (!addedNow.has(r.hash)) {
                    // Held and applied before: Automerge changed its mind (a different version?).
                    corrupt.push({ key: logKey(docId, r.hash), message: `Automerge now refuses change ${r.hash}` })
                    logger.error({ docId, hash: r.hash }, 'dropped a held change Automerge now refuses')
                    continue
                  }
                  refused.add(logKey(docId, r.hash))
                  report.accepted--
                  const rejection: Rejection = { code: 'malformed', docId, message: `Automerge refused change ${r.hash} though it passed verification: ${(e as Error).message}`, signer: r.signer }
                  if (r.env.change.length <= 4096) rejection.bytes = encodeSignedChange(r.env)
                  report.rejected.push(rejection)
                }
                t.rebuild = true
              }
            }
          }
        } catch (e) {
          // The log (and perhaps a document's history) is now ahead of the disk: only a
          // restart, which reloads from disk, is safe.
          if (held.size > 0 || ops.length > 0) {
            failure = new FlotillaError('internal', `ingesting changes failed half-way: ${(e as Error).message}`,
              'The store stopped before writing the batch; restart the site (it reloads from disk).', { cause: e })
            throw failure
          }
          throw e
        }
        await persist([...(refused.size === 0 ? ops : ops.filter((o) => !refused.has(o.key))), ...snapshots])
        for (const doc of held) doc.release()
        const stale: StorageOp[] = []
        for (const [docId, t] of touched) {
          if (t.rebuild) {
            rebuild(docId)
            stale.push({ type: 'del', key: snapshotKey(docId) })
            sinceSnapshot.set(docId, 0)
          } else {
            countApplied(docId, t.applicable.length)
          }
        }
        await persist(stale)
        for (const [docId, t] of [...touched].sort(byId)) {
          emit(docId, t.rebuild ? t.added.filter((e) => !refused.has(logKey(docId, e.hash))) : t.applicable, 'remote')
        }
        for (const ev of report.evidence) {
          for (const l of evidenceListeners) {
            try { l(ev) } catch (e) { logger.error({ err: (e as Error).message }, 'evidence listener failed') }
          }
        }
        return report
      })
    },

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

    async close () {
      await serialise(async () => {
        try {
          await persist(dueSnapshots())
        } catch (e) {
          logger.warn({ err: (e as Error).message }, 'could not write the due snapshots at close; the next open replays the log instead')
        } finally {
          closed = true
        }
      })
    }
  }
}

function toApply (e: LogEntry): ChangeToApply {
  return { change: e.env.change, ops: e.ops }
}

/** The header read by the fast path, or undefined (the full check reads it again and decides). */
function fastHeader (env: SignedChange): ChangeHeader | undefined {
  try { return readChangeHeaderFast(env.change) } catch { return undefined }
}

let lastSigner: { bytes: Uint8Array, hex: string } | undefined

/** Hex of a signer key; consecutive changes mostly share one signer, so the last is remembered. */
function signerHexOf (bytes: Uint8Array): string {
  if (lastSigner !== undefined && lastSigner.bytes.length === bytes.length && Buffer.compare(lastSigner.bytes, bytes) === 0) return lastSigner.hex
  lastSigner = { bytes: Uint8Array.from(bytes), hex: toHex(bytes) }
  return lastSigner.hex
}

/** The write policy of a roster: a site writes `site:<its id>`; members write `federation`. */
export function rosterWritePolicy (roster: () => ReadonlyArray<{ siteId: string, publicKey: string }>): WritePolicy {
  return (docId, signerHex) => {
    const members = roster()
    if (docId === 'federation') return members.some((m) => m.publicKey === signerHex) ? 'allowed' : 'denied'
    if (docId.startsWith('site:')) {
      const owner = members.find((m) => `site:${m.siteId}` === docId)
      if (owner === undefined) return 'unknown-document'
      return owner.publicKey === signerHex ? 'allowed' : 'denied'
    }
    return 'unknown-document'
  }
}

export function siteDocId (siteId: string): DocId {
  return `site:${siteId}`
}

export const FEDERATION_DOC_ID: DocId = 'federation'
