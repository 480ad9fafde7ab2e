/**
 * The run's trace: an append-only list of (virtual time, kind, fields) records with a
 * rolling SHA-256 over all of them, so a run ends with one trace hash and the same seed
 * must give the same hash. Records are serialised canonically (sorted keys, tagged bytes
 * and bigints), so the hash depends only on the values recorded, never on object key
 * order. Only the newest records are kept in memory, for reports; the hash covers all.
 */
import { createHash, type Hash } from 'node:crypto'
import { FlotillaError } from '../../src/model/errors.ts'

export type TraceValue =
  | string | number | boolean | null | undefined | bigint | Uint8Array
  | readonly TraceValue[]
  | { readonly [key: string]: TraceValue }

/** One kept record; `fields` is the canonical JSON that was hashed. */
export interface TraceLine {
  readonly timeMs: number
  readonly kind: string
  readonly fields: string
}

export interface TraceOptions {
  /** Newest records kept in memory for reports. Default 10,000; 0 keeps none (the hash still covers all). */
  keep?: number
}

export interface Trace {
  /** Appends a record; `fields` are serialised at once, so later mutation does not change the trace. */
  record (timeMs: number, kind: string, fields?: Readonly<Record<string, TraceValue>>): void
  /** Hex SHA-256 over every record so far, in order. */
  hash (): string
  /** Records appended so far. */
  count (): number
  /** The kept records, oldest first. */
  recent (): TraceLine[]
}

export function createTrace (options: TraceOptions = {}): Trace {
  const keep = options.keep ?? 10_000
  if (!Number.isInteger(keep) || keep < 0) {
    throw new FlotillaError('input-invalid', `'keep' must be a non-negative integer: received ${keep}`, 'pass how many records to keep for reports')
  }
  const hasher: Hash = createHash('sha256')
  const ring: TraceLine[] = []
  let start = 0
  let total = 0
  return {
    record (timeMs, kind, fields = {}) {
      const line: TraceLine = { timeMs, kind, fields: canonicalJson(fields) }
      hasher.update(`${canonicalJson(timeMs)}\t${JSON.stringify(kind)}\t${line.fields}\n`)
      total++
      if (keep === 0) return
      if (ring.length < keep) ring.push(line)
      else {
        ring[start] = line
        start = (start + 1) % keep
      }
    },
    hash () {
      return hasher.copy().digest('hex')
    },
    count () {
      return total
    },
    recent () {
      return [...ring.slice(start), ...ring.slice(0, start)]
    }
  }
}

/** JSON with sorted object keys; bytes, bigints and non-finite numbers are tagged so none collides with a string. */
export function canonicalJson (v: TraceValue): string {
  if (v === null || v === undefined) return 'null'
  switch (typeof v) {
    case 'string': return JSON.stringify(v)
    case 'boolean': return v ? 'true' : 'false'
    case 'number': return Number.isFinite(v) ? JSON.stringify(v) : `{"$num":"${String(v)}"}`
    case 'bigint': return `{"$big":"${v.toString()}"}`
  }
  if (v instanceof Uint8Array) return `{"$hex":"${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}"}`
  if (Array.isArray(v)) return `[${v.map((x: TraceValue) => canonicalJson(x)).join(',')}]`
  const obj = v as { readonly [key: string]: TraceValue }
  const parts: string[] = []
  for (const key of Object.keys(obj).sort()) {
    const x = obj[key]
    if (x !== undefined) parts.push(`${JSON.stringify(key)}:${canonicalJson(x)}`)
  }
  return `{${parts.join(',')}}`
}
