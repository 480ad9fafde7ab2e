/**
 * The on-disk form of a local record: a header line `{"v":1,"sha256":"<hex>"}`, a
 * newline, then the record as canonical JSON. The checksum covers the exact record
 * bytes, so a torn write or a flipped bit is caught before anything is parsed into a
 * record, and reported as `corrupt-record` with the key, never loaded.
 */
import { createHash } from 'node:crypto'
import { FlotillaError } from '../../model/errors.ts'
import { canonicalJson } from '../docs/canonical-json.ts'

const FORMAT_VERSION = 1
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

function sha256Hex (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export function encodeChecksummed (value: unknown): Uint8Array {
  const body = encoder.encode(canonicalJson(value))
  const header = encoder.encode(JSON.stringify({ v: FORMAT_VERSION, sha256: sha256Hex(body) }) + '\n')
  const out = new Uint8Array(header.length + body.length)
  out.set(header, 0)
  out.set(body, header.length)
  return out
}

export function corruptRecord (key: string, why: string): FlotillaError {
  return new FlotillaError('corrupt-record', `local record "${key}" is corrupt: ${why}`,
    'The record was not loaded. Restore it from a backup or delete it and create it again; the other records are unaffected.',
    { details: { key } })
}

/** The stored value, or `corrupt-record` if the bytes are not exactly what was written. */
export function decodeChecksummed (key: string, bytes: Uint8Array): unknown {
  const nl = bytes.indexOf(0x0a)
  if (nl < 0) throw corruptRecord(key, 'no header line')
  let header: unknown
  let body: string
  try {
    header = JSON.parse(decoder.decode(bytes.subarray(0, nl)))
    body = decoder.decode(bytes.subarray(nl + 1))
  } catch {
    throw corruptRecord(key, 'not UTF-8 JSON')
  }
  if (typeof header !== 'object' || header === null) throw corruptRecord(key, 'bad header')
  const { v, sha256 } = header as { v?: unknown, sha256?: unknown }
  if (v !== FORMAT_VERSION) throw corruptRecord(key, `unknown format version ${JSON.stringify(v)}`)
  if (typeof sha256 !== 'string' || sha256 !== sha256Hex(bytes.subarray(nl + 1))) throw corruptRecord(key, 'checksum mismatch')
  try {
    return JSON.parse(body) as unknown
  } catch {
    throw corruptRecord(key, 'body is not JSON')
  }
}
