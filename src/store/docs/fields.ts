/**
 * Field codecs: how each record field is stored in a document entry (an Automerge map of
 * scalars) and read back with its shape checked. Structured fields (manifests, labels,
 * resources, conditions) are stored as one `ImmutableString` of canonical JSON: one op
 * per update, never a text or list CRDT, and comparable as a string. Writers compare
 * each field with what is stored and write only the ones that differ, so a write that
 * changes nothing produces no op and a controller tick can skip its change entirely.
 */
import { ImmutableString, isImmutableString } from '@automerge/automerge'
import { canonicalJson } from './canonical-json.ts'
import { expectBoolean, expectCount, expectNumber, expectOneOf, expectString, isPlainObject, malformed } from './validate.ts'

/** What a field holds: never a plain string, which Automerge 3 would store as text. */
export type Scalar = number | boolean | ImmutableString

export interface FieldCodec<V> {
  readonly optional: boolean
  encode (value: V): Scalar
  decode (raw: unknown, path: string): V
}

/**
 * A string stored as an `ImmutableString`: in Automerge 3 a plain JS string becomes a
 * text CRDT (one op per character), which a scalar field must never be.
 */
export const str: FieldCodec<string> = {
  optional: false,
  encode: (v) => new ImmutableString(v),
  decode: (raw, path) => expectString(unwrapString(raw), path)
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
  return { optional: false, encode: (v) => new ImmutableString(v), decode: (raw, path) => expectOneOf(unwrapString(raw), values, path) }
}

/** A structured value stored as one ImmutableString of canonical JSON; `check` validates what is read. */
export function json<V> (check: (value: unknown, path: string) => V): FieldCodec<V> {
  return {
    optional: false,
    encode: (v) => new ImmutableString(canonicalJson(v)),
    decode: (raw, path) => check(parseJsonScalar(raw, path), path)
  }
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

export type EncodedFields = Record<string, Scalar | undefined>

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

export function decodeRecord<T> (codec: RecordCodec<T>, entry: unknown, path: string): T {
  if (!isPlainObject(entry)) throw malformed(path, 'a record', entry)
  const out: Record<string, unknown> = {}
  for (const name of Object.keys(codec) as Array<keyof T & string>) {
    const raw = entry[name]
    const field = codec[name]
    if (raw === undefined && field.optional) continue
    out[name] = field.decode(raw, `${path}.${name}`)
  }
  return out as T
}

export function sameScalar (stored: unknown, next: Scalar): boolean {
  if (isImmutableString(next)) return isImmutableString(stored) && stored.val === next.val
  return stored === next
}

/**
 * Writes `fields` into the entry `container[key]` (creating it), touching only fields
 * whose value differs; an `undefined` field is deleted. Returns whether anything changed.
 */
export function writeEntry (container: Record<string, unknown>, key: string, fields: EncodedFields): boolean {
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
