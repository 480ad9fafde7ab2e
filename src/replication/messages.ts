/**
 * The frames of `/flotilla/sync/1.0.0` and the federation gossip topic. Every frame
 * starts with a version byte and a type byte; a frame of an unknown version is answered
 * with an `error` frame naming the versions this site speaks. Changes travel as signed
 * envelopes, never as bare Automerge changes.
 */
import { FlotillaError } from '../model/errors.ts'
import { decodeSignedChange, signedChangeLength, writeSignedChange, type SignedChange } from '../store/log/envelope.ts'
import { readBloom, writeBloom, type BloomFilter } from './bloom.ts'
import { WireReader, WireWriter } from './wire.ts'

export const PROTOCOL_VERSION = 1
export const SYNC_PROTOCOL = '/flotilla/sync/1.0.0'

export interface DocDigest {
  docId: string
  /** First 16 bytes of SHA-256 over the sorted heads, hex. */
  digest: string
  /** Complete entries held. */
  count: number
}

export type DirectFrame =
  | { type: 'sync-open', session: number, docId: string, heads: string[], since: string[], bloom: BloomFilter }
  | { type: 'sync-reply', session: number, docId: string, heads: string[], sinceKnown: boolean, bloom: BloomFilter, changes: SignedChange[], more: boolean }
  /**
   * Changes: a push (session 0), part of a reply to an initiator, or the initiator's
   * changes for the responder. `toResponder` keeps the two session id spaces apart.
   */
  | { type: 'changes', session: number, docId: string, changes: SignedChange[], more: boolean, toResponder: boolean }
  | { type: 'need', session: number, docId: string, hashes: string[] }
  /** This site's documents, asking the peer to answer with its own if they differ. */
  | { type: 'digest', docs: DocDigest[] }
  | { type: 'error', code: string, message: string }
  | { type: 'heartbeat', payload: Uint8Array }
  /** The answer to a `digest` that differed; never answered itself. */
  | { type: 'digest-reply', docs: DocDigest[] }

export type GossipMessage =
  | { type: 'announce', docId: string, digest: string, count: number }
  | { type: 'heartbeat', payload: Uint8Array }

const DIRECT_TYPES = ['sync-open', 'sync-reply', 'changes', 'need', 'digest', 'error', 'heartbeat', 'digest-reply'] as const
const GOSSIP_TYPES = ['announce', 'heartbeat'] as const

function writeChanges (w: WireWriter, changes: readonly SignedChange[]): void {
  w.uint(changes.length)
  for (const c of changes) {
    const length = signedChangeLength(c)
    w.uint(length).inPlace(length, (buf, pos) => writeSignedChange(buf, pos, c))
  }
}

function readChanges (r: WireReader): SignedChange[] {
  const n = r.count(100)
  const out: SignedChange[] = []
  for (let i = 0; i < n; i++) out.push(decodeSignedChange(r.bytes()))
  return out
}

/**
 * Room a frame needs, near enough that the writer allocates once: a reply of a whole
 * document is megabytes, and growing into it by doubling copied it a dozen times.
 */
function sizeHint (f: DirectFrame): number {
  if (f.type !== 'sync-reply' && f.type !== 'changes') return 128
  let n = 64 + 3 * f.docId.length + (f.type === 'sync-reply' ? 32 * f.heads.length + f.bloom.bits.length : 0)
  for (const c of f.changes) n += c.change.length + 3 * c.docId.length + 112
  return n
}

export function encodeDirect (f: DirectFrame): Uint8Array {
  const w = new WireWriter(sizeHint(f))
  w.u8(PROTOCOL_VERSION).u8(DIRECT_TYPES.indexOf(f.type) + 1)
  switch (f.type) {
    case 'sync-open': w.uint(f.session).string(f.docId).hashes(f.heads).hashes(f.since); writeBloom(w, f.bloom); break
    case 'sync-reply': w.uint(f.session).string(f.docId).hashes(f.heads).u8(f.sinceKnown ? 1 : 0).u8(f.more ? 1 : 0); writeBloom(w, f.bloom); writeChanges(w, f.changes); break
    case 'changes': w.uint(f.session).string(f.docId).u8((f.more ? 1 : 0) | (f.toResponder ? 2 : 0)); writeChanges(w, f.changes); break
    case 'need': w.uint(f.session).string(f.docId).hashes(f.hashes); break
    case 'digest':
    case 'digest-reply':
      w.uint(f.docs.length)
      for (const d of f.docs) w.string(d.docId).hex(d.digest, 16).uint(d.count)
      break
    case 'error': w.string(f.code).string(f.message); break
    case 'heartbeat': w.bytes(f.payload); break
  }
  return w.finish()
}

function checkVersion (r: WireReader): void {
  const version = r.u8()
  if (version !== PROTOCOL_VERSION) {
    throw new FlotillaError('unsupported-version', `frame version ${version} is not supported; this site speaks version ${PROTOCOL_VERSION}`,
      'Run the same Flotilla protocol version on every site (upgrade the older ones).', { details: { version } })
  }
}

/**
 * The number of changes a push (a `changes` frame of session 0) carries, read from its
 * header alone; undefined for any other frame or one too short to tell. Lets a receiver
 * refuse a flooder's or replayer's push before decoding megabytes of it.
 */
export function peekPushCount (bytes: Uint8Array): number | undefined {
  try {
    const r = new WireReader(bytes)
    if (r.u8() !== PROTOCOL_VERSION || DIRECT_TYPES[r.u8() - 1] !== 'changes' || r.uint() !== 0) return undefined
    r.bytes() // document id
    r.u8() // flags
    return r.uint()
  } catch {
    return undefined
  }
}

export function decodeDirect (bytes: Uint8Array): DirectFrame {
  const r = new WireReader(bytes)
  checkVersion(r)
  const type = DIRECT_TYPES[r.u8() - 1]
  let f: DirectFrame
  switch (type) {
    case 'sync-open': f = { type, session: r.uint(), docId: r.string(256), heads: r.hashes(), since: r.hashes(), bloom: readBloom(r) }; break
    case 'sync-reply': {
      const session = r.uint(); const docId = r.string(256); const heads = r.hashes()
      const sinceKnown = r.u8() === 1; const more = r.u8() === 1; const bloom = readBloom(r)
      f = { type, session, docId, heads, sinceKnown, more, bloom, changes: readChanges(r) }
      break
    }
    case 'changes': {
      const session = r.uint(); const docId = r.string(256); const flags = r.u8()
      f = { type, session, docId, more: (flags & 1) !== 0, toResponder: (flags & 2) !== 0, changes: readChanges(r) }
      break
    }
    case 'need': f = { type, session: r.uint(), docId: r.string(256), hashes: r.hashes() }; break
    case 'digest':
    case 'digest-reply': {
      const n = r.count(20)
      const docs: DocDigest[] = []
      for (let i = 0; i < n; i++) docs.push({ docId: r.string(256), digest: r.hex(16), count: r.uint() })
      f = { type, docs }
      break
    }
    case 'error': f = { type, code: r.string(64), message: r.string(2048) }; break
    case 'heartbeat': f = { type, payload: Uint8Array.from(r.bytes()) }; break
    default: throw new FlotillaError('malformed', 'unknown replication frame type', 'The peer sent a frame this version does not know.')
  }
  r.end()
  return f
}

export function encodeGossip (m: GossipMessage): Uint8Array {
  const w = new WireWriter(96)
  w.u8(PROTOCOL_VERSION).u8(GOSSIP_TYPES.indexOf(m.type) + 1)
  if (m.type === 'announce') w.string(m.docId).hex(m.digest, 16).uint(m.count)
  else w.bytes(m.payload)
  return w.finish()
}

export function decodeGossip (bytes: Uint8Array): GossipMessage {
  const r = new WireReader(bytes)
  checkVersion(r)
  const type = GOSSIP_TYPES[r.u8() - 1]
  let m: GossipMessage
  if (type === 'announce') m = { type, docId: r.string(256), digest: r.hex(16), count: r.uint() }
  else if (type === 'heartbeat') m = { type, payload: Uint8Array.from(r.bytes()) }
  else throw new FlotillaError('malformed', 'unknown gossip message type', 'The peer sent a message this version does not know.')
  r.end()
  return m
}
