/**
 * A user's writes at this site (`putObject`, `deleteObject`): only the object's origin
 * may change it; a local-only workload goes to the local store with a redacted stub in
 * the site document, everything else into the site document, and a record that changes
 * residency moves between the two. A policy that contradicts itself is refused as
 * `unsatisfiable-policy`. The site owns the list of local-only records (its store's
 * guard and its controllers read it); this module tells it what to keep or drop.
 *
 * The two stores cannot change in one step (the document store persists its own signed
 * changes), so every move writes the record's new home first and removes the old copy
 * last, and a write that fails midway puts back what it can. A failure that leaves a
 * record in both places (a storage error, or a crash between the steps) is repaired by
 * the next write of that object or at the next start (`recover`): the copy with the
 * higher generation is the one the user last wrote.
 */
import { FlotillaError, isFlotillaError } from '../model/errors.ts'
import type { PolicyRecord, SiteId, WorkloadRecord } from '../model/federation.ts'
import type { KubeObject } from '../model/kube.ts'
import type { Clock } from '../ports/clock.ts'
import type { Rng } from '../ports/rng.ts'
import type { FieldError } from '../schedule/index.ts'
import { policyFindings, type Contradiction } from '../schedule/policy-contradictions.ts'
import type { DocumentStore } from '../store/document-store.ts'
import {
  deletePolicy, deleteStub, deleteWorkload, getWorkload, listStubs, putPolicy, putStub, putWorkload, type SiteDoc
} from '../store/docs/index.ts'
import type { LocalStore } from '../store/local/local-store.ts'
import { redactedStub } from '../store/local/redacted-stub.ts'
import { intakeObject, invalidObject, objectKeyOf, uidFrom, type Intake, type IntakeInput } from './object-intake.ts'
import type { ObjectRef, PutResult } from './site-handle.ts'

export interface ObjectWritesOptions {
  siteId: SiteId
  ownDoc: string
  store: DocumentStore
  localStore: LocalStore
  stubSecret: Uint8Array
  clock: Clock
  rng: Rng
  /** The replicated record under `key` in the current view. */
  findRecord: (key: string) => WorkloadRecord | PolicyRecord | undefined
  /** Adds or replaces a local-only record in the site's list. */
  keepLocal: (rec: WorkloadRecord) => void
  dropLocal: (key: string) => void
  /** Something was written: the site refreshes its view and asks for a tick. */
  written: () => void
}

export interface ObjectWrites {
  putObject (obj: KubeObject, opts?: { dryRun?: boolean }): Promise<PutResult>
  deleteObject (ref: ObjectRef, opts?: { dryRun?: boolean }): Promise<boolean>
  /**
   * At start, before anything else writes and before the site's guard knows the local-only
   * records: settles the records a failed write left both in the local store and in the
   * site document, and drops redacted stubs of records the local store no longer holds.
   * Returns the local-only records to keep.
   */
  recover (loaded: readonly WorkloadRecord[]): Promise<WorkloadRecord[]>
}

function unsatisfiablePolicy (obj: KubeObject, causes: readonly FieldError[]): FlotillaError {
  const name = typeof obj.metadata?.name === 'string' ? obj.metadata.name : '(unnamed)'
  return new FlotillaError('unsatisfiable-policy',
    `${String(obj.kind)} "${name}" cannot be satisfied:\n${causes.map((c) => `  - ${c.path}: ${c.message}`).join('\n')}`,
    'The policy contradicts itself: fix each field listed and apply again; nothing was stored.', { details: { causes: causes.map(({ path, message }) => ({ path, message })) } })
}

/**
 * `intakeObject`, and then the contradictions a policy carries on its own. A policy that
 * is also malformed is `input-invalid` with every cause; one that is only contradictory
 * is `unsatisfiable-policy`. Validation reports two of the contradictions itself: they
 * are counted once, as contradictions.
 */
export function intakeForWrite (input: IntakeInput): Intake & { changed: boolean } {
  const found: Contradiction[] = policyFindings(input.obj).contradictions
  const sameFinding = (c: FieldError): boolean => found.some((f) => f.path === c.path && f.validation === c.message)
  let intake
  try {
    intake = intakeObject(input)
  } catch (e) {
    if (found.length === 0 || !isFlotillaError(e, 'input-invalid')) throw e
    const causes = Array.isArray(e.details?.['causes']) ? e.details['causes'] as FieldError[] : []
    const rest = causes.filter((c) => !sameFinding(c))
    if (rest.length > 0) throw invalidObject(input.obj, [...rest, ...found])
    throw unsatisfiablePolicy(input.obj, found)
  }
  if (found.length > 0) throw unsatisfiablePolicy(input.obj, found)
  return intake
}

export function createObjectWrites (o: ObjectWritesOptions): ObjectWrites {
  const { siteId, ownDoc, store, localStore, stubSecret } = o
  const stubOf = (rec: WorkloadRecord): ReturnType<typeof redactedStub> => redactedStub(rec, stubSecret)

  /** Runs the steps of one write; the site refreshes its view after any step that landed, even if a later one failed. */
  async function steps (run: (landed: () => void) => Promise<void>): Promise<void> {
    let any = false
    try {
      await run(() => { any = true })
    } finally {
      if (any) o.written()
    }
  }

  /** Best effort (putting back the state before a failed write, dropping a stale copy); a failure here is left to `recover`. */
  async function undo (fn: () => Promise<unknown>): Promise<void> {
    try { await fn() } catch { /* the next write of the object or the next start settles it */ }
  }

  return {
    async putObject (obj, opts = {}) {
      const key = objectKeyOf(obj)
      const existing = o.findRecord(key)
      if (existing !== undefined && existing.origin !== siteId) {
        throw new FlotillaError('origin-mismatch', `${obj.kind} "${key}" was created at site "${existing.origin}"; only that site may change it`,
          `Apply it at site "${existing.origin}", or use another name for a workload of this site.`, { details: { origin: existing.origin, key } })
      }
      // A record in both stores is a move a failure interrupted: the newer copy is what the user last wrote.
      const local = existing === undefined || 'residency' in existing ? await localStore.getWorkload(key) : undefined
      const interrupted = existing !== undefined && local !== undefined
      const previous = interrupted ? (local.generation >= existing.generation ? local : existing) : existing ?? local
      const intake = intakeForWrite({ obj, site: siteId, previous, nowWall: o.clock.wallMs(), uid: uidFrom(o.rng) })
      const residency = intake.type === 'workload' ? intake.record.residency : { kind: 'global' as const }
      const result: PutResult = { object: intake.type === 'workload' ? intake.record.manifest : intake.record.object, created: previous === undefined, changed: intake.changed, residency }
      if (opts.dryRun === true || (!intake.changed && !interrupted)) return result
      await steps(async (landed) => {
        if (intake.type === 'workload' && intake.record.residency.kind === 'local-only') {
          // The full record stays here; other sites see only a redacted stub. The local store
          // first: a failure after it leaves the record in both places, never in neither.
          const rec = intake.record
          await localStore.putWorkload(rec)
          landed()
          // The guard learns of the record before the change, to catch any of it slipping into
          // the stub. A record the document held in full is the exception: every site already
          // has it, and removing it names its key, which the guard would take for a leak.
          if (existing === undefined) o.keepLocal(rec)
          try {
            await store.change<SiteDoc>(ownDoc, (d) => {
              if (existing !== undefined) deleteWorkload(d, key)
              putStub(d, stubOf(rec))
            }, 'local-only workload stub')
          } catch (e) {
            if (local === undefined) {
              o.dropLocal(key)
              await undo(async () => await localStore.deleteWorkload(key))
            } else {
              if (existing === undefined) o.keepLocal(local)
              await undo(async () => { await localStore.putWorkload(local) })
            }
            throw e
          }
          o.keepLocal(rec)
          return
        }
        // Into the replicated document first, the local copy removed after. The guard must not
        // take the record, about to be replicated on purpose, for a leak of local-only content.
        if (local !== undefined) o.dropLocal(key)
        try {
          await store.change<SiteDoc>(ownDoc, (d) => {
            if (intake.type === 'workload') {
              if (local !== undefined) deleteStub(d, stubOf(local).id)
              putWorkload(d, intake.record)
            } else {
              putPolicy(d, intake.record)
            }
          }, `${obj.kind} ${key}`)
        } catch (e) {
          if (local !== undefined && !interrupted) o.keepLocal(local)
          throw e
        }
        landed()
        if (local !== undefined) await localStore.deleteWorkload(key)
      })
      return result
    },

    async deleteObject (ref, opts = {}) {
      const key = objectKeyOf({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace === undefined ? {} : { namespace: ref.namespace }) } })
      const existing = o.findRecord(key)
      if (existing !== undefined && existing.origin !== siteId) {
        throw new FlotillaError('origin-mismatch', `${ref.kind} "${key}" was created at site "${existing.origin}"; only that site may delete it`,
          `Delete it at site "${existing.origin}".`, { details: { origin: existing.origin, key } })
      }
      const local = existing === undefined || 'residency' in existing ? await localStore.getWorkload(key) : undefined
      if (existing === undefined && local === undefined) return false
      if (opts.dryRun === true) return true
      await steps(async (landed) => {
        // The document first, the local store last: a failure in between leaves the record
        // whole in the local store (its stub comes back with the next tick), and deleting
        // again finishes the job. The other order could leave a stub no record explains.
        // The site forgets the record first, so that no tick puts its stub back meanwhile.
        if (local !== undefined) o.dropLocal(key)
        try {
          // The change message replicates like the change: it must not name a local-only record.
          await store.change<SiteDoc>(ownDoc, (d) => {
            if (existing !== undefined) {
              if ('residency' in existing) deleteWorkload(d, key)
              else deletePolicy(d, key)
            }
            if (local !== undefined) deleteStub(d, stubOf(local).id)
          }, local !== undefined ? 'local-only workload stub removed' : `delete ${key}`)
          landed()
          if (local !== undefined) await localStore.deleteWorkload(key)
        } catch (e) {
          if (local !== undefined && existing === undefined) o.keepLocal(local)
          throw e
        }
      })
      return true
    },

    async recover (loaded) {
      const doc = store.document<SiteDoc>(ownDoc)
      if (doc === undefined) return [...loaded]
      const keep: WorkloadRecord[] = []
      const replace: WorkloadRecord[] = []
      // A record or stub that cannot be read is left as it is: the view reports it, and
      // settling it is not worth a site that does not start.
      const readable = <T>(read: () => T, otherwise: T): T => { try { return read() } catch { return otherwise } }
      for (const rec of loaded) {
        const replicated = readable(() => getWorkload(doc, rec.key), undefined)
        if (replicated === undefined) { keep.push(rec); continue }
        if (replicated.generation > rec.generation) {
          // The move into the document completed; removing the old local copy did not. Left
          // out of the list either way: the replicated record is the one the user last wrote.
          await undo(async () => await localStore.deleteWorkload(rec.key))
          continue
        }
        // The move into the local store completed; removing the replicated copy did not.
        keep.push(rec)
        replace.push(rec)
      }
      const stubIds = new Set(keep.map((r) => stubOf(r).id))
      const orphans = readable(() => listStubs(doc), []).filter((s) => s.origin === siteId && !stubIds.has(s.id)).map((s) => s.id)
      if (replace.length > 0 || orphans.length > 0) {
        // Before the site arms its guard with these records: removing a replicated copy names its key.
        await store.change<SiteDoc>(ownDoc, (d) => {
          for (const rec of replace) { deleteWorkload(d, rec.key); putStub(d, stubOf(rec)) }
          for (const id of orphans) deleteStub(d, id)
        }, 'local-only records settled after an interrupted write')
      }
      return keep
    }
  }
}
