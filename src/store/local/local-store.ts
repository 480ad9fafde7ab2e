/**
 * The local-only store: full records of workloads marked local-only, and the placements
 * this site decided for them (which name them, so they cannot go into the replicated
 * document), kept on this site through the `Storage` port under `local/` and never
 * replicated. A placement kept here survives a restart, so a restarted site does not
 * place its local-only workloads afresh (and shrink them) on capacity its own replicas
 * already hold. Each value carries a
 * checksum; a corrupt one is reported with `corrupt-record` and skipped, and the rest
 * still load. The replicated site document holds at most a redacted stub of each
 * record (redacted-stub.ts).
 */
import { FlotillaError } from '../../model/errors.ts'
import type { Binding, WorkloadRecord } from '../../model/federation.ts'
import { workloadKey, type WorkloadKey } from '../../model/kube.ts'
import { prefixEnd, type Storage } from '../../ports/storage.ts'
import {
  checkKubeObject, checkPlacement, checkResidency, checkStringList, expectBoolean, expectCount, expectNumber, expectObject, expectString, optionalString
} from '../docs/validate.ts'
import { corruptRecord, decodeChecksummed, encodeChecksummed } from './checksummed-json.ts'

/** Every key of the local store starts with this prefix. */
export const LOCAL_PREFIX = 'local/'
const WORKLOADS = `${LOCAL_PREFIX}workloads/`
const BINDINGS = `${LOCAL_PREFIX}bindings/`

export interface LocalCorruption {
  /** The storage key of the corrupt value. */
  key: string
  error: FlotillaError
}

export interface LocalLoadResult {
  /** Sorted by key. */
  workloads: WorkloadRecord[]
  /** This site's placements of its local-only workloads, sorted by workload key. */
  bindings: Binding[]
  corrupt: LocalCorruption[]
}

export interface LocalStore {
  /** Stores a local-only workload; refuses any other residency (`input-invalid`). */
  putWorkload (rec: WorkloadRecord): Promise<void>
  /** The record, undefined if absent; `corrupt-record` if its value is damaged. */
  getWorkload (key: WorkloadKey): Promise<WorkloadRecord | undefined>
  /** Deletes the record and its placement in one batch. */
  deleteWorkload (key: WorkloadKey): Promise<boolean>
  /** Keeps this site's placement of one of its local-only workloads. */
  putBinding (binding: Binding): Promise<void>
  /** Every readable record and placement, and every corrupt one reported by key. */
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
      await storage.batch([{ type: 'del', key: WORKLOADS + key }, { type: 'del', key: BINDINGS + key }])
      return true
    },

    async putBinding (binding) {
      const { workload, ...entry } = binding
      await storage.batch([{ type: 'put', key: BINDINGS + workload, value: encodeChecksummed(entry) }])
    },

    async loadAll () {
      const out: LocalLoadResult = { workloads: [], bindings: [], corrupt: [] }
      const collect = async <T>(prefix: string, read: (key: string, bytes: Uint8Array) => T, into: T[]): Promise<void> => {
        for await (const [key, bytes] of storage.entries({ gte: prefix, lt: prefixEnd(prefix) })) {
          try {
            into.push(read(key, bytes))
          } catch (e) {
            if (e instanceof FlotillaError && e.code === 'corrupt-record') out.corrupt.push({ key, error: e })
            else throw e
          }
        }
      }
      await collect(WORKLOADS, decode, out.workloads)
      await collect(BINDINGS, decodeStoredBinding, out.bindings)
      // A placement without its workload (a crash between two writes) is dropped on load.
      const present = new Set(out.workloads.map((w) => w.key))
      out.bindings = out.bindings.filter((b) => present.has(b.workload))
      return out
    }
  }
}

function decodeStoredBinding (storageKey: string, bytes: Uint8Array): Binding {
  const value = decodeChecksummed(storageKey, bytes)
  try {
    const o = expectObject(value, 'binding')
    const degraded = optionalString(o['degraded'], 'degraded')
    const policy = optionalString(o['policy'], 'policy')
    const avoided = o['avoided'] === undefined ? undefined : checkStringList(o['avoided'], 'avoided')
    return {
      workload: storageKey.slice(BINDINGS.length),
      placement: checkPlacement(o['placement'], 'placement'),
      decidedBy: expectString(o['decidedBy'], 'decidedBy'),
      generation: expectCount(o['generation'], 'generation'),
      inputHeads: expectString(o['inputHeads'], 'inputHeads'),
      reason: expectString(o['reason'], 'reason'),
      decidedAt: expectNumber(o['decidedAt'], 'decidedAt'),
      ...(policy !== undefined ? { policy } : {}),
      ...(degraded !== undefined ? { degraded } : {}),
      ...(avoided !== undefined ? { avoided } : {})
    }
  } catch (e) {
    throw corruptRecord(storageKey, e instanceof Error ? e.message : String(e))
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
