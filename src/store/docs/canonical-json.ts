/**
 * Canonical JSON: object keys sorted, no whitespace, `undefined` members dropped. Records
 * stored as one scalar (manifests, label maps, resource figures) are written in this form
 * so that equal values give equal strings: a writer compares strings to skip a write
 * that would change nothing, and every site encodes the same value to the same bytes.
 */
import { createHash } from 'node:crypto'
import { FlotillaError } from '../../model/errors.ts'

export function canonicalJson (value: unknown): string {
  return write(value, '$')
}

/** The first 16 bytes of SHA-256 over the canonical JSON, hex: equal values, equal digests. */
export function canonicalDigest (value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 32)
}

function write (value: unknown, path: string): string {
  switch (typeof value) {
    case 'string': case 'boolean': return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) throw notJson(path, value)
      return JSON.stringify(value)
    case 'object': {
      if (value === null) return 'null'
      if (Array.isArray(value)) {
        return '[' + value.map((v, i) => v === undefined ? 'null' : write(v, `${path}[${i}]`)).join(',') + ']'
      }
      const proto = Object.getPrototypeOf(value) as unknown
      if (proto !== Object.prototype && proto !== null) throw notJson(path, value)
      const obj = value as Record<string, unknown>
      const parts: string[] = []
      for (const k of Object.keys(obj).sort()) {
        const v = obj[k]
        if (v === undefined) continue
        parts.push(JSON.stringify(k) + ':' + write(v, `${path}.${k}`))
      }
      return '{' + parts.join(',') + '}'
    }
    default: throw notJson(path, value)
  }
}

function notJson (path: string, value: unknown): FlotillaError {
  const shown = typeof value === 'object' ? (value as object).constructor?.name ?? 'object' : String(value)
  return new FlotillaError('input-invalid', `'${path}' must be plain JSON data: received ${shown}`,
    'Store plain objects, arrays, strings, finite numbers, booleans and null only.', { details: { path } })
}
