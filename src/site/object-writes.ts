/**
 * A user's writes at this site (`putObject`, `deleteObject`): only the object's origin
 * may change it; a local-only workload goes to the local store with a redacted stub in
 * the site document, everything else into the site document, and a record that changes
 * residency moves between the two. The site owns the list of local-only records (its
 * store's guard and its controllers read it); this module tells it what to keep or drop.
 */
import { FlotillaError } from '../model/errors.ts'
import type { PolicyRecord, SiteId, WorkloadRecord } from '../model/federation.ts'
import type { KubeObject } from '../model/kube.ts'
import type { Clock } from '../ports/clock.ts'
import type { Rng } from '../ports/rng.ts'
import type { DocumentStore } from '../store/document-store.ts'
import { deletePolicy, deleteStub, deleteWorkload, putPolicy, putStub, putWorkload, type SiteDoc } from '../store/docs/index.ts'
import type { LocalStore } from '../store/local/local-store.ts'
import { redactedStub } from '../store/local/redacted-stub.ts'
import { intakeObject, objectKeyOf, uidFrom } from './object-intake.ts'
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
}

export function createObjectWrites (o: ObjectWritesOptions): ObjectWrites {
  const { siteId, ownDoc, store, localStore, stubSecret } = o

  return {
    async putObject (obj, opts = {}) {
      const key = objectKeyOf(obj)
      const existing = o.findRecord(key)
      if (existing !== undefined && existing.origin !== siteId) {
        throw new FlotillaError('origin-mismatch', `${obj.kind} "${key}" was created at site "${existing.origin}"; only that site may change it`,
          `Apply it at site "${existing.origin}", or use another name for a workload of this site.`, { details: { origin: existing.origin, key } })
      }
      const local = existing === undefined ? await localStore.getWorkload(key) : undefined
      const previous = existing ?? local
      const intake = intakeObject({ obj, site: siteId, previous, nowWall: o.clock.wallMs(), uid: uidFrom(o.rng) })
      const residency = intake.type === 'workload' ? intake.record.residency : { kind: 'global' as const }
      const result: PutResult = { object: intake.type === 'workload' ? intake.record.manifest : intake.record.object, created: previous === undefined, changed: intake.changed, residency }
      if (opts.dryRun === true || !intake.changed) return result
      if (intake.type === 'workload' && intake.record.residency.kind === 'local-only') {
        // The full record stays here; other sites see only a redacted stub.
        await localStore.putWorkload(intake.record)
        const rec = intake.record
        o.keepLocal(rec)
        await store.change<SiteDoc>(ownDoc, (d) => {
          if (existing !== undefined) deleteWorkload(d, key)
          putStub(d, redactedStub(rec, stubSecret))
        }, 'local-only workload stub')
      } else {
        if (local !== undefined) {
          await localStore.deleteWorkload(key)
          o.dropLocal(key)
        }
        await store.change<SiteDoc>(ownDoc, (d) => {
          if (intake.type === 'workload') {
            if (local !== undefined) deleteStub(d, redactedStub(local, stubSecret).id)
            putWorkload(d, intake.record)
          } else {
            putPolicy(d, intake.record)
          }
        }, `${obj.kind} ${key}`)
      }
      o.written()
      return result
    },

    async deleteObject (ref, opts = {}) {
      const key = objectKeyOf({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace === undefined ? {} : { namespace: ref.namespace }) } })
      const existing = o.findRecord(key)
      if (existing !== undefined && existing.origin !== siteId) {
        throw new FlotillaError('origin-mismatch', `${ref.kind} "${key}" was created at site "${existing.origin}"; only that site may delete it`,
          `Delete it at site "${existing.origin}".`, { details: { origin: existing.origin, key } })
      }
      const local = existing === undefined ? await localStore.getWorkload(key) : undefined
      if (existing === undefined && local === undefined) return false
      if (opts.dryRun === true) return true
      if (local !== undefined) {
        await localStore.deleteWorkload(key)
        o.dropLocal(key)
        // The change message replicates like the change: it must not name the record either.
        await store.change<SiteDoc>(ownDoc, (d) => { deleteStub(d, redactedStub(local, stubSecret).id) }, 'local-only workload stub removed')
      } else {
        await store.change<SiteDoc>(ownDoc, (d) => {
          if ('residency' in existing!) deleteWorkload(d, key)
          else deletePolicy(d, key)
        }, `delete ${key}`)
      }
      o.written()
      return true
    }
  }
}
