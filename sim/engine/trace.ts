/**
 * The run's trace: an append-only list of (virtual time, kind, fields) records with a
 * rolling SHA-256 over all of them, so a run ends with one trace hash and the same seed
 * must give the same hash. Records are serialised canonically (sorted keys, tagged bytes
 * and bigints), so the hash depends only on the values recorded, never on object key
 * order. Only the newest records are kept in memory, for reports; the hash covers all.
 * Serialised records are fed to the hash in blocks (the digest of a concatenation is the
 * digest of its parts fed one by one), and the engine's per-event record has a fast path
 * that writes the very bytes the general path would.
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
  /** `record(timeMs, 'event', { seq })`, the engine's record for every event it runs, without the general serialiser. */
  recordEvent (timeMs: number, seq: number): void
  /** Hex SHA-256 over every record so far, in order. */
  hash (): string
  /** Records appended so far. */
  count (): number
  /** The kept records, oldest first. */
  recent (): TraceLine[]
}

/** Serialised records buffered before they are fed to the hash. */
const FEED_BLOCK_CHARS = 64 * 1024

export function createTrace (options: TraceOptions = {}): Trace {
  const keep = options.keep ?? 10_000
  if (!Number.isInteger(keep) || keep < 0) {
    throw new FlotillaError('input-invalid', `'keep' must be a non-negative integer: received ${keep}`, 'pass how many records to keep for reports')
  }
  const hasher: Hash = createHash('sha256')
  const ring: TraceLine[] = []
  let start = 0
  let total = 0
  let pending = ''
  const feed = (text: string): void => {
    pending += text
    if (pending.length >= FEED_BLOCK_CHARS) flush()
  }
  const flush = (): void => {
    if (pending === '') return
    hasher.update(pending)
    pending = ''
  }
  const keepLine = (line: TraceLine): void => {
    if (keep === 0) return
    if (ring.length < keep) ring.push(line)
    else {
      ring[start] = line
      start = (start + 1) % keep
    }
  }
  const record = (timeMs: number, kind: string, fields: Readonly<Record<string, TraceValue>> = {}): void => {
    const line: TraceLine = { timeMs, kind, fields: canonicalJson(fields) }
    feed(`${canonicalJson(timeMs)}\t${JSON.stringify(kind)}\t${line.fields}\n`)
    total++
    keepLine(line)
  }
  return {
    record,
    recordEvent (timeMs, seq) {
      if (!Number.isFinite(timeMs) || !Number.isFinite(seq)) { record(timeMs, 'event', { seq }); return }
      const fields = `{"seq":${seq}}`
      feed(`${timeMs}\t"event"\t${fields}\n`)
      total++
      if (keep !== 0) keepLine({ timeMs, kind: 'event', fields })
    },
    hash () {
      flush()
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
