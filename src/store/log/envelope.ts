/**
 * The signed-change envelope: an Automerge change with the document it belongs to, the
 * author's public key and the author's signature. The signature covers the document id
 * and the SHA-256 of the change bytes, so a change cannot be replayed into another
 * document and no byte of it can be altered. The binary encoding is what goes on disk
 * and on the wire.
 */
import { hash } from 'node:crypto'
import { FlotillaError } from '../../model/errors.ts'
import type { Signer } from '../../identity/keys.ts'

export interface SignedChange {
  docId: string
  change: Uint8Array
  /** ed25519 public key of the author, 32 bytes. */
  signer: Uint8Array
  /** 64-byte signature over `signedChangeMessage(docId, change)`. */
  signature: Uint8Array
}

export const ENVELOPE_VERSION = 1
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * UTF-8 of the document ids seen lately: a site holds a few dozen documents and every
 * change names one, on the verify path and again when it is stored. Bounded in count
 * and id length, since ids come from peers; the arrays never leave this module.
 */
const idBytesCache = new Map<string, Uint8Array>()
const ID_CACHE_MAX = 1024
const ID_CACHE_MAX_LENGTH = 256

function docIdBytes (docId: string): Uint8Array {
  let id = idBytesCache.get(docId)
  if (id !== undefined) return id
  id = encoder.encode(docId)
  if (docId.length <= ID_CACHE_MAX_LENGTH) {
    if (idBytesCache.size >= ID_CACHE_MAX) idBytesCache.clear()
    idBytesCache.set(docId, id)
  }
  return id
}

/** The message an author signs: document id, a zero byte, SHA-256 of the change. */
export function signedChangeMessage (docId: string, change: Uint8Array): Uint8Array {
  const id = docIdBytes(docId)
  const out = new Uint8Array(id.length + 33)
  out.set(id, 0)
  out.set(hash('sha256', change, 'buffer'), id.length + 1)
  return out
}

export function signChange (signer: Signer, docId: string, change: Uint8Array): SignedChange {
  return { docId, change, signer: signer.publicKey, signature: signer.sign('flotilla/change/v1', signedChangeMessage(docId, change)) }
}

function ulebLength (n: number): number {
  let len = 1
  while (n >= 0x80) { n = Math.floor(n / 128); len++ }
  return len
}

function writeUleb (out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) { out[pos++] = (n & 0x7f) | 0x80; n = Math.floor(n / 128) }
  out[pos++] = n
  return pos
}

/** The length of `env`'s encoding (see `writeSignedChange`). */
export function signedChangeLength (env: SignedChange): number {
  const idLength = docIdBytes(env.docId).length
  return 1 + ulebLength(idLength) + idLength + 32 + 64 + ulebLength(env.change.length) + env.change.length
}

/**
 * Writes `env` at `out[pos]` as version(1) docIdLen(uleb) docId signer(32) signature(64)
 * changeLen(uleb) change, and returns the position after it. Callers framing envelopes
 * (a wire frame, an on-disk record) write them in place, one copy of the change each.
 */
export function writeSignedChange (out: Uint8Array, pos: number, env: SignedChange): number {
  const id = docIdBytes(env.docId)
  out[pos] = ENVELOPE_VERSION
  pos = writeUleb(out, pos + 1, id.length)
  out.set(id, pos); pos += id.length
  out.set(env.signer.length === 32 ? env.signer : env.signer.subarray(0, 32), pos); pos += 32
  out.set(env.signature.length === 64 ? env.signature : env.signature.subarray(0, 64), pos); pos += 64
  pos = writeUleb(out, pos, env.change.length)
  out.set(env.change, pos)
  return pos + env.change.length
}

/** The envelope's bytes, after `headroom` free bytes for a caller's own header. */
export function encodeSignedChange (env: SignedChange, headroom = 0): Uint8Array {
  const out = new Uint8Array(headroom + signedChangeLength(env))
  writeSignedChange(out, headroom, env)
  return out
}

function malformed (why: string): FlotillaError {
  return new FlotillaError('malformed', `signed change envelope is malformed: ${why}`,
    'The sender produced corrupt bytes; it is recorded as evidence against that peer.')
}

/** Decodes one envelope starting at `offset`; returns it and the offset after it. */
export function decodeSignedChangeAt (bytes: Uint8Array, offset = 0): { env: SignedChange, next: number } {
  let pos = offset
  const uleb = (): number => {
    let result = 0
    let shift = 0
    for (;;) {
      if (pos >= bytes.length) throw malformed('truncated length')
      const b = bytes[pos++]!
      if (shift > 28) throw malformed('length too large')
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result
      shift += 7
    }
  }
  const take = (n: number, what: string): Uint8Array => {
    if (pos + n > bytes.length) throw malformed(`truncated ${what}`)
    const out = bytes.subarray(pos, pos + n)
    pos += n
    return out
  }
  if (pos >= bytes.length) throw malformed('empty')
  const version = bytes[pos++]
  if (version !== ENVELOPE_VERSION) {
    throw new FlotillaError('unsupported-version', `signed change envelope version ${String(version)} is not supported (this site reads version ${ENVELOPE_VERSION})`,
      'Upgrade this site to the Flotilla version the sender runs.')
  }
  let docId: string
  try { docId = decoder.decode(take(uleb(), 'document id')) } catch (e) {
    if (e instanceof FlotillaError) throw e
    throw malformed('document id is not UTF-8')
  }
  const start = pos
  take(96, 'signer and signature')
  const changeLength = uleb()
  const changeAt = pos - start
  take(changeLength, 'change')
  // One copy for the three fields (they are kept, and must not pin the frame they came
  // in), not one each: every ArrayBuffer counts towards V8's external memory, whose
  // pressure set off most young-generation collections at a 100-site start-up.
  const own = bytes.slice(start, pos)
  const env = { docId, signer: own.subarray(0, 32), signature: own.subarray(32, 96), change: own.subarray(changeAt) }
  return { env, next: pos }
}

export function decodeSignedChange (bytes: Uint8Array): SignedChange {
  const { env, next } = decodeSignedChangeAt(bytes, 0)
  if (next !== bytes.length) throw malformed(`${bytes.length - next} trailing bytes`)
  return env
}
