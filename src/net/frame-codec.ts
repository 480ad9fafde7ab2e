/**
 * Length-prefixed frames for the direct sync protocol: an unsigned LEB128 varint length,
 * then the payload. The decoder is incremental (bytes arrive in arbitrary chunks) and
 * refuses a frame as soon as its length prefix exceeds the limit, before buffering any
 * of its payload, so a peer cannot make us hold more than one legal frame per stream.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { FlotillaError } from '../model/errors.ts'

/** A varint for lengths below 2^35 takes at most 5 bytes; anything longer is malformed. */
const MAX_VARINT_BYTES = 5

/** Bytes needed to encode `n` as a varint. */
export function varintLength (n: number): number {
  let bytes = 1
  while (n >= 0x80) { n = Math.floor(n / 128); bytes++ }
  return bytes
}

/** The varint length prefix for a payload of `length` bytes. */
export function encodeLengthPrefix (length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new FlotillaError('input-invalid', `'length' must be a non-negative integer: received ${length}`, 'This is a bug in the caller.')
  }
  const out = new Uint8Array(varintLength(length))
  let n = length
  let i = 0
  while (n >= 0x80) {
    out[i++] = (n % 128) | 0x80
    n = Math.floor(n / 128)
  }
  out[i] = n
  return out
}

/** One frame on the wire: prefix and payload, without copying the payload. */
export function encodeFrame (payload: Uint8Array): Uint8ArrayList {
  return new Uint8ArrayList(encodeLengthPrefix(payload.byteLength), payload)
}

export interface FrameDecoder {
  /**
   * Appends received bytes and returns every frame they complete, in order (each a
   * fresh copy). Throws `frame-too-large` or `malformed`; the stream must then be reset,
   * as the decoder's position in the byte stream is lost.
   */
  push (chunk: Uint8Array | Uint8ArrayList): Uint8Array[]
  /** Bytes held while waiting for the rest of a frame. */
  readonly bufferedBytes: number
}

export function createFrameDecoder (maxFrameBytes: number): FrameDecoder {
  const buffer = new Uint8ArrayList()
  let expected: { length: number, prefixBytes: number } | undefined

  const readPrefix = (): { length: number, prefixBytes: number } | undefined => {
    let length = 0
    let scale = 1
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (i >= buffer.byteLength) return undefined
      const b = buffer.get(i)
      length += (b & 0x7f) * scale
      const more = (b & 0x80) !== 0
      // a canonical varint that goes on is worth at least 128^(i+1): judge it now
      const atLeast = more ? Math.max(length, scale * 128) : length
      if (atLeast > maxFrameBytes) {
        throw new FlotillaError('frame-too-large', `a frame announced at least ${atLeast} bytes, above the limit of ${maxFrameBytes}`,
          'The peer sent an oversized frame; its stream was reset. Raise limits.maxFrameBytes only if legitimate frames are this large.',
          { details: { length: atLeast, maxFrameBytes } })
      }
      if (!more) {
        if (b === 0 && i > 0) throw new FlotillaError('malformed', 'a frame length prefix is not minimally encoded', 'The peer sent bytes that are not a frame; its stream was reset.')
        return { length, prefixBytes: i + 1 }
      }
      scale *= 128
    }
    throw new FlotillaError('malformed', `a frame length prefix is longer than ${MAX_VARINT_BYTES} bytes`, 'The peer sent bytes that are not a frame; its stream was reset.')
  }

  return {
    get bufferedBytes () { return buffer.byteLength },
    push (chunk) {
      buffer.append(chunk)
      const frames: Uint8Array[] = []
      for (;;) {
        expected ??= readPrefix()
        if (expected === undefined) break
        const end = expected.prefixBytes + expected.length
        if (buffer.byteLength < end) break
        frames.push(buffer.slice(expected.prefixBytes, end))
        buffer.consume(end)
        expected = undefined
      }
      return frames
    }
  }
}
