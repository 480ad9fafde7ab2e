/**
 * Key order and range resolution shared by every `Storage` adapter. Keys are strings
 * stored as their UTF-8 bytes and ordered by those bytes (LevelDB's order, which is
 * Unicode code point order, not JavaScript's UTF-16 `<`). A `StorageRange` resolves to
 * byte bounds here, once, so the LevelDB adapter and the simulator's memory store cannot
 * disagree about which keys a range holds or in which order they come.
 */
import { FlotillaError } from '../model/errors.ts'
import type { StorageOp, StorageRange } from '../ports/storage.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** A lone surrogate has no UTF-8 form: two such keys would collide after encoding. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** A range resolved to UTF-8 byte bounds; `empty` means no key can match. */
export interface ByteRange {
  gte: Uint8Array | undefined
  lt: Uint8Array | undefined
  reverse: boolean
  /** Maximum entries to yield; `Infinity` when unlimited. */
  limit: number
  empty: boolean
}

/** Throws `input-invalid` for a non-string or a string with a lone surrogate (no UTF-8 form). */
export function checkKey (key: string, name = 'key'): void {
  if (typeof key !== 'string' || LONE_SURROGATE.test(key)) {
    throw new FlotillaError('input-invalid',
      `'${name}' must be a string without lone surrogates: received ${JSON.stringify(key)}`,
      'storage keys are compared by their UTF-8 bytes; build keys from well-formed text')
  }
}

/** UTF-8 bytes of `key`; throws `input-invalid` for a non-string or a string with a lone surrogate. */
export function encodeKey (key: string, name = 'key'): Uint8Array {
  checkKey(key, name)
  return encoder.encode(key)
}

/** The key a stored byte string encodes; throws `corrupt-record` if it is not valid UTF-8. */
export function decodeKey (bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes)
  } catch (e) {
    throw new FlotillaError('corrupt-record', 'a stored key is not valid UTF-8',
      'the store holds a key no Flotilla adapter wrote; the data dir may be damaged or shared with another program',
      { cause: e, details: { keyHex: Buffer.from(bytes).toString('hex') } })
  }
}

/** Orders two encoded keys as LevelDB does (bytewise); negative, zero or positive. */
export function compareKeyBytes (a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b)
}

/** Orders two string keys by their UTF-8 bytes, as every adapter iterates them. */
export function compareKeys (a: string, b: string): number {
  return compareKeyBytes(encoder.encode(a), encoder.encode(b))
}

/** A batch op with its key encoded; `text` keeps the key as given. */
export type CheckedOp =
  | { type: 'put', key: Uint8Array, value: Uint8Array, text: string }
  | { type: 'del', key: Uint8Array, text: string }

/** Checks every op of a batch before any is applied, so a bad op cannot half-apply a batch. */
export function checkBatch (ops: readonly StorageOp[]): CheckedOp[] {
  checkOps(ops)
  return ops.map((op): CheckedOp => op.type === 'put'
    ? { type: 'put', key: encoder.encode(op.key), value: op.value, text: op.key }
    : { type: 'del', key: encoder.encode(op.key), text: op.key })
}

/**
 * The checks of `checkBatch` without encoding the keys, for an adapter that hands
 * LevelDB the key strings to encode natively (the same UTF-8 bytes, once checked).
 */
export function checkOps (ops: readonly StorageOp[]): void {
  if (!Array.isArray(ops)) {
    throw new FlotillaError('input-invalid', `'ops' must be an array: received ${typeof ops}`, 'pass a list of put/del operations')
  }
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]
    if (op?.type === 'put') {
      if (!(op.value instanceof Uint8Array)) {
        throw new FlotillaError('input-invalid', `'ops[${i}].value' must be a Uint8Array: received ${typeof op.value}`,
          'encode values to bytes before storing them')
      }
    } else if (op?.type !== 'del') {
      throw new FlotillaError('input-invalid', `'ops[${i}].type' must be 'put' or 'del': received ${JSON.stringify((op as { type?: unknown } | undefined)?.type)}`,
        'a batch holds only put and del operations')
    }
    checkKey(op.key, `ops[${i}].key`)
  }
}

/**
 * Resolves a range to byte bounds: `prefix` becomes [prefix, successor(prefix)), and is
 * intersected with `gte`/`lt`. `limit` must be a non-negative integer (0 yields nothing)
 * or `Infinity`; default unlimited.
 */
export function resolveRange (range: StorageRange = {}): ByteRange {
  let gte = range.gte === undefined ? undefined : encodeKey(range.gte, 'gte')
  let lt = range.lt === undefined ? undefined : encodeKey(range.lt, 'lt')
  if (range.prefix !== undefined) {
    const p = encodeKey(range.prefix, 'prefix')
    if (gte === undefined || compareKeyBytes(p, gte) > 0) gte = p
    const end = byteSuccessor(p)
    if (end !== undefined && (lt === undefined || compareKeyBytes(end, lt) < 0)) lt = end
  }
  const limit = range.limit ?? Infinity
  if (!(limit === Infinity || (Number.isInteger(limit) && limit >= 0))) {
    throw new FlotillaError('input-invalid', `'limit' must be a non-negative integer or Infinity: received ${limit}`,
      'omit limit to read the whole range')
  }
  const empty = limit === 0 || (gte !== undefined && lt !== undefined && compareKeyBytes(gte, lt) >= 0)
  return { gte, lt, reverse: range.reverse === true, limit, empty }
}

/** Smallest byte string greater than every string that starts with `p`; undefined when none is. */
function byteSuccessor (p: Uint8Array): Uint8Array | undefined {
  let end = p.length
  while (end > 0 && p[end - 1] === 0xff) end--
  if (end === 0) return undefined
  const out = p.slice(0, end)
  out[end - 1] = (out[end - 1] ?? 0) + 1
  return out
}
