/**
 * Reads what verification needs from an Automerge change without decoding its ops:
 * hash, actor, seq, deps and the number of ops. Decoding a change into JS objects costs
 * about ten times a SHA-256 of it, and the verify-and-apply path runs for every change a
 * site receives, so uncompressed change chunks take this fast path; anything else
 * (compressed chunks or columns) falls back to Automerge's own `decodeChange`.
 *
 * Format (Automerge binary format, change chunk): magic(4) checksum(4) type(1)
 * length(uleb) deps(uleb n, n x 32 bytes) actor(uleb len, bytes) seq(uleb)
 * startOp(uleb) time(sleb) message(uleb len, utf8) otherActors(uleb n, n x (uleb len,
 * bytes)) columns(uleb n, n x (uleb spec, uleb len)) column data... The hash is SHA-256
 * over type, length and body; the checksum is its first four bytes.
 */
import { hash } from 'node:crypto'
import { decodeChange } from '@automerge/automerge'
import { FlotillaError } from '../../model/errors.ts'

export interface ChangeHeader {
  /** Automerge change hash, hex. */
  hash: string
  /** Actor id, hex. */
  actor: string
  seq: number
  startOp: number
  /** Milliseconds, as the author's clock claimed. */
  time: number
  deps: string[]
  ops: number
}

const MAGIC = [0x85, 0x6f, 0x4a, 0x83]
const CHUNK_CHANGE = 0x01
const ACTION_COLUMN_SPEC = (4 << 4) | 2 // column id 4 (action), type uleb
const DEFLATE_BIT = 0x08

/** Reads fields in place: a hex field is sliced from one Buffer view, not from a subarray per field. */
class Cursor {
  pos: number
  readonly bytes: Buffer
  readonly end: number
  constructor (bytes: Buffer, pos: number, end: number) { this.bytes = bytes; this.pos = pos; this.end = end }

  uleb (): number {
    let result = 0
    let shift = 0
    for (;;) {
      if (this.pos >= this.end) throw new RangeError('truncated uleb128')
      const b = this.bytes[this.pos++]!
      if (shift > 49) throw new RangeError('uleb128 too large')
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result
      shift += 7
    }
  }

  sleb (): number {
    let result = 0
    let shift = 0
    for (;;) {
      if (this.pos >= this.end) throw new RangeError('truncated sleb128')
      const b = this.bytes[this.pos++]!
      if (shift > 49) throw new RangeError('sleb128 too large')
      result += (b & 0x7f) * 2 ** shift
      shift += 7
      if ((b & 0x80) === 0) return (b & 0x40) !== 0 ? result - 2 ** shift : result
    }
  }

  skip (n: number): void {
    if (n < 0 || this.pos + n > this.end) throw new RangeError('truncated field')
    this.pos += n
  }

  hex (n: number): string {
    const start = this.pos
    this.skip(n)
    return this.bytes.toString('hex', start, this.pos)
  }
}

const HEX_DIGITS = Array.from('0123456789abcdef', (ch) => ch.charCodeAt(0))

/** Whether the stored checksum (bytes 4..8) is the start of the hash, compared as hex digits. */
function checksumMatches (bytes: Uint8Array, hashHex: string): boolean {
  for (let i = 0; i < 4; i++) {
    const b = bytes[4 + i]!
    if (hashHex.charCodeAt(2 * i) !== HEX_DIGITS[b >> 4] || hashHex.charCodeAt(2 * i + 1) !== HEX_DIGITS[b & 15]) return false
  }
  return true
}

/** Rows in an RLE-encoded uleb column: runs of (sleb n; n>0 repeat one value, n<0 literals, 0 nulls). */
function countRleRows (c: Cursor): number {
  let rows = 0
  while (c.pos < c.end) {
    const n = c.sleb()
    if (n > 0) { c.uleb(); rows += n } else if (n < 0) { for (let i = 0; i < -n; i++) c.uleb(); rows += -n } else rows += c.uleb()
  }
  return rows
}

/**
 * The header from the fast path, when it reads: undefined for a change that needs the full
 * decoder and for bytes that are no change (the caller verifies those the slow way, or not
 * at all). What the hot paths use to look a change up before paying for verification.
 */
export function peekChangeHeader (bytes: Uint8Array): ChangeHeader | undefined {
  try { return readChangeHeaderFast(bytes) } catch { return undefined }
}

/** The fast path alone: undefined when the change needs the full decoder. Exported for tests. */
export function readChangeHeaderFast (bytes: Uint8Array): ChangeHeader | undefined {
  if (bytes.length < 10) return undefined
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) return undefined
  if (bytes[8] !== CHUNK_CHANGE) return undefined
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const c = new Cursor(buf, 9, bytes.length)
  const length = c.uleb()
  if (c.pos + length !== bytes.length) return undefined
  const hashHex = hash('sha256', bytes.subarray(8), 'hex')
  if (!checksumMatches(bytes, hashHex)) return undefined
  const depCount = c.uleb()
  const deps: string[] = []
  for (let i = 0; i < depCount; i++) deps.push(c.hex(32))
  const actor = c.hex(c.uleb())
  const seq = c.uleb()
  const startOp = c.uleb()
  const time = c.sleb()
  c.skip(c.uleb()) // message
  const otherActors = c.uleb()
  for (let i = 0; i < otherActors; i++) c.skip(c.uleb())
  const columnCount = c.uleb()
  let offset = 0
  let actionStart = -1
  let actionLength = 0
  for (let i = 0; i < columnCount; i++) {
    const spec = c.uleb()
    const len = c.uleb()
    if ((spec & ~DEFLATE_BIT) === ACTION_COLUMN_SPEC) {
      if ((spec & DEFLATE_BIT) !== 0) return undefined
      actionStart = offset
      actionLength = len
    }
    offset += len
  }
  const dataStart = c.pos
  if (dataStart + offset > bytes.length) return undefined
  let ops = 0
  if (actionStart >= 0) {
    ops = countRleRows(new Cursor(buf, dataStart + actionStart, dataStart + actionStart + actionLength))
  } else if (columnCount > 0) {
    return undefined
  }
  return { hash: hashHex, actor, seq, startOp, time, deps: deps.sort(), ops }
}

/**
 * Parses a change's header. Throws `malformed` if the bytes are not an Automerge
 * change at all.
 */
export function readChangeHeader (bytes: Uint8Array): ChangeHeader {
  try {
    const fast = readChangeHeaderFast(bytes)
    if (fast !== undefined) return fast
  } catch {
    // fall through to the full decoder, which gives the authoritative verdict
  }
  try {
    const d = decodeChange(bytes)
    return { hash: d.hash, actor: d.actor, seq: d.seq, startOp: d.startOp, time: d.time, deps: [...d.deps].sort(), ops: d.ops.length }
  } catch (e) {
    throw new FlotillaError('malformed', `not a valid Automerge change (${bytes.length} bytes): ${(e as Error).message}`,
      'The sender produced corrupt change bytes; it is recorded as evidence against that peer.', { cause: e })
  }
}
