/**
 * A small binary codec for replication frames: unsigned LEB128 integers, length-prefixed
 * bytes and strings, raw 32-byte hashes. Every read is bounds-checked and a bad frame
 * fails with `malformed`, so nothing a peer sends can make a reader run off the end.
 */
import { FlotillaError } from '../model/errors.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export class WireWriter {
  private buf: Uint8Array
  private pos = 0

  constructor (initial = 256) { this.buf = new Uint8Array(initial) }

  private ensure (n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
  }

  u8 (n: number): this { this.ensure(1); this.buf[this.pos++] = n & 0xff; return this }

  uint (n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a non-negative safe integer: ${n}`)
    this.ensure(10)
    while (n >= 0x80) { this.buf[this.pos++] = (n % 128) | 0x80; n = Math.floor(n / 128) }
    this.buf[this.pos++] = n
    return this
  }

  bytes (b: Uint8Array): this { this.uint(b.length); this.ensure(b.length); this.buf.set(b, this.pos); this.pos += b.length; return this }
  raw (b: Uint8Array): this { this.ensure(b.length); this.buf.set(b, this.pos); this.pos += b.length; return this }

  /** `length` bytes written in place by `write(buf, pos)`, which returns the position after them. */
  inPlace (length: number, write: (buf: Uint8Array, pos: number) => number): this {
    this.ensure(length)
    const end = write(this.buf, this.pos)
    if (end !== this.pos + length) throw new RangeError(`wrote ${end - this.pos} bytes in place of ${length}`)
    this.pos = end
    return this
  }
  string (s: string): this {
    // Document ids and most strings are short ASCII: written in place, they skip an
    // encoder call and an allocation each (a digest names every document).
    const n = s.length
    if (n < 128) {
      let ascii = true
      for (let i = 0; i < n && ascii; i++) ascii = s.charCodeAt(i) < 0x80
      if (ascii) {
        this.uint(n)
        this.ensure(n)
        for (let i = 0; i < n; i++) this.buf[this.pos++] = s.charCodeAt(i)
        return this
      }
    }
    return this.bytes(encoder.encode(s))
  }

  /** A list of hex hashes as count + 32 raw bytes each. */
  hashes (hs: readonly string[]): this {
    this.uint(hs.length)
    for (const h of hs) this.hex(h, 32)
    return this
  }

  /** `bytes` bytes given as lower- or upper-case hex. */
  hex (h: string, bytes: number): this {
    if (h.length !== bytes * 2) throw new RangeError(`expected ${bytes * 2} hex digits, got ${h.length}`)
    this.ensure(bytes)
    for (let i = 0; i < bytes; i++) {
      const v = (nibble(h.charCodeAt(2 * i)) << 4) | nibble(h.charCodeAt(2 * i + 1))
      this.buf[this.pos++] = v
    }
    return this
  }

  /**
   * The bytes written. A buffer mostly filled (a frame sized beforehand) is handed out as
   * a view instead of being copied once more; a mostly empty one is copied to fit.
   */
  finish (): Uint8Array { return this.pos * 4 >= this.buf.length * 3 ? this.buf.subarray(0, this.pos) : this.buf.slice(0, this.pos) }
}

function nibble (c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  throw new RangeError('not a hex digit')
}

export class WireReader {
  private pos: number
  private readonly buf: Uint8Array

  constructor (buf: Uint8Array, pos = 0) { this.buf = buf; this.pos = pos }

  private fail (what: string): never {
    throw new FlotillaError('malformed', `malformed replication frame: ${what} at byte ${this.pos}`,
      'The peer sent bytes this version cannot read; it is recorded as evidence against that peer.')
  }

  get done (): boolean { return this.pos >= this.buf.length }

  u8 (): number { if (this.pos >= this.buf.length) this.fail('truncated'); return this.buf[this.pos++]! }

  uint (): number {
    let result = 0
    let shift = 0
    for (;;) {
      if (this.pos >= this.buf.length) this.fail('truncated integer')
      const b = this.buf[this.pos++]!
      if (shift > 49) this.fail('integer too large')
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result
      shift += 7
    }
  }

  /** A count that must fit the remaining bytes at `minBytesEach` per item. */
  count (minBytesEach: number): number {
    const n = this.uint()
    if (n * minBytesEach > this.buf.length - this.pos) this.fail(`count ${n} exceeds the frame`)
    return n
  }

  raw (n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.buf.length) this.fail('truncated bytes')
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  bytes (): Uint8Array { return this.raw(this.uint()) }

  string (maxLength = 1024): string {
    const b = this.bytes()
    if (b.length > maxLength) this.fail('string too long')
    try { return decoder.decode(b) } catch { return this.fail('string is not UTF-8') }
  }

  hashes (): string[] {
    const n = this.count(32)
    const out: string[] = []
    for (let i = 0; i < n; i++) out.push(this.hex(32))
    return out
  }

  /** `n` bytes as lower-case hex. */
  hex (n: number): string {
    const b = this.raw(n)
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
  }

  end (): void { if (!this.done) this.fail('trailing bytes') }
}
