/**
 * Record codecs: how a record (a workload, a binding, a share status ...) is stored in a
 * document entry and read back with its shape checked. A record is one `ImmutableString`
 * of canonical JSON (layout 2): one op per write, however many fields changed, never a
 * text or list CRDT, and comparable as a string, so a write that changes nothing
 * produces no op and a controller tick can skip its change entirely. Automerge's cost of
 * applying, patching and diffing a change grows with its ops, and a tick's records
 * used to take one op per changed field (28 per change in a simulated federation).
 *
 * Layout 1 stored each field as its own scalar in a map; `decodeRecord` still reads it,
 * for documents of sites not yet upgraded, and `writeFields` keeps that form where a
 * record is a ring of slots written one at a time (inspection histories).
 */
import { ImmutableString, isImmutableString } from '@automerge/automerge'
import { canonicalJson } from './canonical-json.ts'
import { expectBoolean, expectCount, expectNumber, expectOneOf, expectString, isPlainObject, malformed } from './validate.ts'

/** What a field of a map entry holds: never a plain string, which Automerge 3 would store as text. */
export type Scalar = number | boolean | ImmutableString

export interface FieldCodec<V> {
  readonly optional: boolean
  /** Stored as a JSON string of its own when the record is a map of scalars (layout 1). */
  readonly structured?: true
  /** The field's value as plain JSON data, inside the record's canonical JSON. */
  encode (value: V): unknown
  decode (raw: unknown, path: string): V
}

export const str: FieldCodec<string> = {
  optional: false,
  encode: (v) => v,
  decode: (raw, path) => expectString(raw, path)
}

/** The string inside an ImmutableString (or a text value, read as a string); anything else unchanged. */
export function unwrapString (raw: unknown): unknown {
  return isImmutableString(raw) ? raw.val : raw
}

export const num: FieldCodec<number> = {
  optional: false,
  encode: (v) => v,
  decode: expectNumber
}

/** A non-negative safe integer (counts, generations, sequence numbers). */
export const count: FieldCodec<number> = {
  optional: false,
  encode: (v) => v,
  decode: expectCount
}

export const bool: FieldCodec<boolean> = {
  optional: false,
  encode: (v) => v,
  decode: expectBoolean
}

export function oneOf<T extends string> (values: readonly T[]): FieldCodec<T> {
  return { optional: false, encode: (v) => v, decode: (raw, path) => expectOneOf(raw, values, path) }
}

/** A structured value (manifest, labels, resources ...); `check` validates what is read. */
export function json<V> (check: (value: unknown, path: string) => V): FieldCodec<V> {
  return { optional: false, structured: true, encode: (v) => v, decode: (raw, path) => check(raw, path) }
}

export function parseJsonScalar (raw: unknown, path: string): unknown {
  if (!isImmutableString(raw)) throw malformed(path, 'a JSON string', raw)
  try {
    return JSON.parse(raw.val) as unknown
  } catch {
    throw malformed(path, 'valid JSON', raw.val)
  }
}

export function optional<V> (codec: FieldCodec<V>): FieldCodec<V> {
  return { ...codec, optional: true }
}

/** The codecs of every stored field of `T` (optional fields must use an optional codec). */
export type RecordCodec<T> = { readonly [K in keyof T]-?: FieldCodec<Exclude<T[K], undefined>> }

/** A record's fields as plain JSON data; an `undefined` field is absent. */
export type EncodedFields = Record<string, unknown>

export function encodeRecord<T> (codec: RecordCodec<T>, value: T): EncodedFields {
  const out: EncodedFields = {}
  for (const name of Object.keys(codec) as Array<keyof T & string>) {
    const v = value[name]
    const field = codec[name]
    if (v === undefined) {
      if (!field.optional) throw malformed(name, 'present', v)
      out[name] = undefined
    } else {
      out[name] = field.encode(v as Exclude<T[typeof name], undefined>)
    }
  }
  return out
}

/** Decodes a stored record: a JSON string (layout 2) or a map of scalars (layout 1). */
export function decodeRecord<T> (codec: RecordCodec<T>, entry: unknown, path: string): T {
  if (!isImmutableString(entry)) return decodeFields(codec, entry, path)
  const stored = parseJsonScalar(entry, path)
  if (!isPlainObject(stored)) throw malformed(path, 'a record', stored)
  return decodeWith(codec, (name) => stored[name], path)
}

/** Decodes a record stored as a map of scalars, a structured field as a JSON string of its own. */
export function decodeFields<T> (codec: RecordCodec<T>, entry: unknown, path: string): T {
  if (isImmutableString(entry) || !isPlainObject(entry)) throw malformed(path, 'a record', entry)
  return decodeWith(codec, (name, field) => {
    const raw = entry[name]
    if (field.structured !== true || raw === undefined) return unwrapString(raw)
    return parseJsonScalar(raw, `${path}.${name}`)
  }, path)
}

function decodeWith<T> (codec: RecordCodec<T>, read: (name: string, field: FieldCodec<unknown>) => unknown, path: string): T {
  const out: Record<string, unknown> = {}
  for (const name of Object.keys(codec) as Array<keyof T & string>) {
    const field = codec[name] as FieldCodec<unknown>
    const raw = read(name, field)
    if (raw === undefined && field.optional) continue
    out[name] = field.decode(raw, `${path}.${name}`)
  }
  return out as T
}

/** A field as the scalar a map entry holds: a string or structured value as an ImmutableString. */
export function toScalar (value: unknown): Scalar {
  if (typeof value === 'number' || typeof value === 'boolean') return value
  return new ImmutableString(typeof value === 'string' ? value : canonicalJson(value))
}

export function sameScalar (stored: unknown, next: Scalar): boolean {
  if (isImmutableString(next)) return isImmutableString(stored) && stored.val === next.val
  return stored === next
}

/**
 * Writes the record `fields` as the entry `container[key]`: one string of canonical JSON,
 * replaced only when it differs. Returns whether anything changed.
 */
export function writeEntry (container: Record<string, unknown>, key: string, fields: EncodedFields): boolean {
  const text = canonicalJson(fields)
  const existing = container[key]
  if (isImmutableString(existing) && existing.val === text) return false
  container[key] = new ImmutableString(text)
  return true
}

/**
 * Writes `fields` into the map entry `container[key]` (creating it), touching only fields
 * whose value differs; an `undefined` field is deleted. For entries written a part at a
 * time (a ring of slots). Returns whether anything changed.
 */
export function writeFields (container: Record<string, unknown>, key: string, fields: Record<string, Scalar | undefined>): boolean {
  const existing = container[key]
  if (!isPlainObject(existing)) {
    const fresh: Record<string, Scalar> = {}
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) fresh[k] = v
    container[key] = fresh
    return true
  }
  let changed = false
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) {
      if (existing[k] !== undefined) { delete existing[k]; changed = true }
    } else if (!sameScalar(existing[k], v)) {
      existing[k] = v
      changed = true
    }
  }
  return changed
}
