/**
 * On-disk records of the signed store, each framed with a CRC-32 so that a torn or
 * corrupted value is detected and reported (code `corrupt-record`) instead of being
 * loaded. Keys: `log/<docId>/<hash>` (one signed change), `snap/<docId>` (a snapshot
 * of the materialised document), `meta/<name>` (store metadata).
 */
import { crc32 } from 'node:zlib'
import { FlotillaError } from '../../model/errors.ts'
import { encodeSignedChange, type SignedChange } from './envelope.ts'

const MAGIC = 0xf1
const RECORD_VERSION = 1

export type RecordKind = 'change' | 'snapshot' | 'meta'
const KIND_CODES: Record<RecordKind, number> = { change: 1, snapshot: 2, meta: 3 }

export function logKey (docId: string, hash: string): string {
  return `log/${docId}/${hash}`
}

export function logPrefix (docId?: string): string {
  return docId === undefined ? 'log/' : `log/${docId}/`
}

export function snapshotKey (docId: string): string {
  return `snap/${docId}`
}

export function metaKey (name: string): string {
  return `meta/${name}`
}

const HEADER = 7

/** magic(1) version(1) kind(1) crc32(4, big-endian, over kind and payload) payload */
export function encodeRecord (kind: RecordKind, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + payload.length)
  out.set(payload, HEADER)
  return seal(kind, out)
}

/** The record of one signed change, encoded in place (one copy of the change, not two). */
export function encodeChangeRecord (env: SignedChange): Uint8Array {
  return seal('change', encodeSignedChange(env, HEADER))
}

/** Writes the header of a record whose payload already sits after `HEADER` free bytes. */
function seal (kind: RecordKind, out: Uint8Array): Uint8Array {
  out[0] = MAGIC
  out[1] = RECORD_VERSION
  out[2] = KIND_CODES[kind]
  const crc = crc32(out.subarray(HEADER), KIND_CODES[kind])
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(3, crc)
  return out
}

export function decodeRecord (key: string, kind: RecordKind, value: Uint8Array): Uint8Array {
  const corrupt = (why: string): FlotillaError => new FlotillaError('corrupt-record', `record ${key} is corrupt: ${why}`,
    'The record was skipped; the site re-fetches the change from its peers. Check the disk if this repeats.', { details: { key } })
  if (value.length < 7 || value[0] !== MAGIC) throw corrupt('bad header')
  if (value[1] !== RECORD_VERSION) throw corrupt(`unknown record version ${String(value[1])}`)
  if (value[2] !== KIND_CODES[kind]) throw corrupt(`expected a ${kind} record`)
  const payload = value.subarray(7)
  const stored = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(3)
  if (crc32(payload, KIND_CODES[kind]) !== stored) throw corrupt('checksum mismatch')
  return payload
}

/** Snapshot payload: head count(4) heads(32 each) then Automerge.save bytes. */
export function encodeSnapshot (heads: readonly string[], saved: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + heads.length * 32 + saved.length)
  new DataView(out.buffer).setUint32(0, heads.length)
  heads.forEach((h, i) => { out.set(Buffer.from(h, 'hex'), 4 + i * 32) })
  out.set(saved, 4 + heads.length * 32)
  return out
}

export function decodeSnapshot (payload: Uint8Array): { heads: string[], saved: Uint8Array } {
  const n = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0)
  const heads: string[] = []
  for (let i = 0; i < n; i++) heads.push(Buffer.from(payload.subarray(4 + i * 32, 4 + (i + 1) * 32)).toString('hex'))
  return { heads, saved: payload.subarray(4 + n * 32) }
}
