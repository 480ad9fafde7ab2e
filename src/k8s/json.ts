/**
 * Plain-JSON helpers shared by the patch and apply code: the value type, a plain-object
 * test, structural equality and a stable hash (for pod-template-hash and revisions).
 */

export type Json = null | boolean | number | string | Json[] | JsonObject
export interface JsonObject { [key: string]: Json }

export function isPlainObject (v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** Structural equality of JSON values (key order ignored). */
export function deepEqual (a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false
    return true
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false
    const ka = Object.keys(a)
    if (ka.length !== Object.keys(b).length) return false
    for (const k of ka) if (!Object.hasOwn(b, k) || !deepEqual(a[k], b[k])) return false
    return true
  }
  return false
}

/**
 * JSON with object keys sorted and `undefined` members dropped, so equal values always
 * serialise the same way. Lenient, for objects a client library may have built: a Date
 * is written as JSON.stringify writes it (its ISO string). The signed store's strict
 * form, which refuses anything but plain data, is `src/store/docs/canonical-json.ts`.
 */
export function canonicalJson (v: unknown): string {
  if (v instanceof Date) return JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (isPlainObject(v)) {
    return `{${Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`
  }
  return JSON.stringify(v) ?? 'null'
}

/** 32-bit FNV-1a of a string. */
export function fnv1a (text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/** The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alikes). */
const SAFE = 'bcdfghjklmnpqrstvwxz2456789'

/** Encodes a number in Kubernetes' safe alphabet, `length` characters. */
export function safeEncode (n: number, length: number): string {
  let out = ''
  let x = Math.floor(Math.abs(n))
  for (let i = 0; i < length; i++) {
    out += SAFE[x % SAFE.length]
    x = Math.floor(x / SAFE.length)
  }
  return out
}

/** A stable short hash of a JSON value, like the pod-template-hash label (e.g. `7c5ddbdf54`). */
export function templateHash (value: unknown): string {
  const text = canonicalJson(value)
  const a = fnv1a(text)
  const b = fnv1a(text, a ^ 0x9e3779b9)
  return safeEncode(a, 5) + safeEncode(b, 5)
}
