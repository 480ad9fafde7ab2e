/**
 * The local-only store: full records of workloads marked local-only, kept on this site
 * through the `Storage` port under `local/` and never replicated. Each value carries a
 * checksum; a corrupt one is reported with `corrupt-record` and skipped, and the rest
 * still load. The replicated site document holds at most a redacted stub of each
 * record (redacted-stub.ts).
 */
import { FlotillaError } from '../../model/errors.ts'
import type { WorkloadRecord } from '../../model/federation.ts'
import { workloadKey, type WorkloadKey } from '../../model/kube.ts'
import { prefixEnd, type Storage } from '../../ports/storage.ts'
import { checkKubeObject, checkResidency, expectBoolean, expectCount, expectNumber, expectObject, expectString } from '../docs/validate.ts'
import { corruptRecord, decodeChecksummed, encodeChecksummed } from './checksummed-json.ts'

/** Every key of the local store starts with this prefix. */
export const LOCAL_PREFIX = 'local/'
const WORKLOADS = `${LOCAL_PREFIX}workloads/`

export interface LocalCorruption {
  /** The storage key of the corrupt value. */
  key: string
  error: FlotillaError
}

export interface LocalLoadResult {
  /** Sorted by key. */
  workloads: WorkloadRecord[]
  corrupt: LocalCorruption[]
}

export interface LocalStore {
  /** Stores a local-only workload; refuses any other residency (`input-invalid`). */
  putWorkload (rec: WorkloadRecord): Promise<void>
  /** The record, undefined if absent; `corrupt-record` if its value is damaged. */
  getWorkload (key: WorkloadKey): Promise<WorkloadRecord | undefined>
  deleteWorkload (key: WorkloadKey): Promise<boolean>
  /** Every readable record, and every corrupt one reported by key. */
  loadAll (): Promise<LocalLoadResult>
}

export interface LocalStoreComponents {
  storage: Storage
}

export function createLocalStore (components: LocalStoreComponents): LocalStore {
  const { storage } = components

  const decode = (storageKey: string, bytes: Uint8Array): WorkloadRecord => {
    const value = decodeChecksummed(storageKey, bytes)
    try {
      const rec = checkLocalWorkload(value)
      if (WORKLOADS + rec.key !== storageKey) throw new Error(`stored under "${storageKey}" but its key is "${rec.key}"`)
      return rec
    } catch (e) {
      throw corruptRecord(storageKey, e instanceof Error ? e.message : String(e))
    }
  }

  return {
    async putWorkload (rec) {
      if (rec.residency.kind !== 'local-only') {
        throw new FlotillaError('input-invalid', `workload "${rec.key}" is ${rec.residency.kind}, not local-only`,
          'Only local-only workloads belong in the local store; replicate the others through the site document.', { details: { key: rec.key } })
      }
      if (rec.key !== workloadKey(rec.manifest)) {
        throw new FlotillaError('input-invalid', `workload key "${rec.key}" does not match its manifest ("${workloadKey(rec.manifest)}")`,
          'Build the key with workloadKey(manifest).', { details: { key: rec.key } })
      }
      const { key, origin, residency, stateless, manifest, generation, updatedAt } = rec
      await storage.batch([{ type: 'put', key: WORKLOADS + key, value: encodeChecksummed({ key, origin, residency, stateless, manifest, generation, updatedAt }) }])
    },

    async getWorkload (key) {
      const bytes = await storage.get(WORKLOADS + key)
      return bytes === undefined ? undefined : decode(WORKLOADS + key, bytes)
    },

    async deleteWorkload (key) {
      if (await storage.get(WORKLOADS + key) === undefined) return false
      await storage.batch([{ type: 'del', key: WORKLOADS + key }])
      return true
    },

    async loadAll () {
      const out: LocalLoadResult = { workloads: [], corrupt: [] }
      for await (const [key, bytes] of storage.entries({ gte: WORKLOADS, lt: prefixEnd(WORKLOADS) })) {
        try {
          out.workloads.push(decode(key, bytes))
        } catch (e) {
          if (e instanceof FlotillaError && e.code === 'corrupt-record') out.corrupt.push({ key, error: e })
          else throw e
        }
      }
      return out
    }
  }
}

function checkLocalWorkload (value: unknown): WorkloadRecord {
  const o = expectObject(value, 'record')
  const rec: WorkloadRecord = {
    key: expectString(o['key'], 'key'),
    origin: expectString(o['origin'], 'origin'),
    residency: checkResidency(o['residency'], 'residency'),
    stateless: expectBoolean(o['stateless'], 'stateless'),
    manifest: checkKubeObject(o['manifest'], 'manifest'),
    generation: expectCount(o['generation'], 'generation'),
    updatedAt: expectNumber(o['updatedAt'], 'updatedAt')
  }
  if (rec.residency.kind !== 'local-only') throw new Error(`residency is ${rec.residency.kind}, not local-only`)
  return rec
}
