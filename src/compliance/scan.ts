/**
 * The local-only leak scan. Automerge compresses the columns of saved documents, so a
 * plain byte search of `Automerge.save()` output misses strings that are there; the
 * scan therefore also finds every Automerge chunk inside the bytes it is given (whole
 * documents, changes, changes embedded in message envelopes), decodes it and searches
 * every string of every change in its history, deleted values included. A needle
 * matches only as a whole token (not inside a longer name). Used by tests, by the
 * runtime guard on outgoing changes, and by `flotilla compliance`.
 */
import * as Automerge from '@automerge/automerge'
import { FlotillaError } from '../model/errors.ts'
import type { WorkloadRecord } from '../model/federation.ts'
import { localOnlyNeedles, STRONG_NEEDLES, type Needle, type NeedleOptions } from './needles.ts'

export type ScanInput =
  | { label: string, bytes: Uint8Array }
  | { label: string, doc: Automerge.Doc<unknown> }

export interface LeakFinding {
  source: string
  needle: Needle
  strong: boolean
  /** `bytes@<offset>` for a raw match, or `change <hash>` (op, key or message) for a decoded one. */
  where: string
}

export interface ScanReport {
  sources: number
  bytes: number
  changes: number
  needles: number
  /** Sorted by source, record, needle, where. */
  findings: LeakFinding[]
}

const MAGIC = [0x85, 0x6f, 0x4a, 0x83]
const MAX_DEPTH = 3

/**
 * Searches replicated bytes (saved documents, changes, messages) or documents for the
 * local-only records' needles. `records` may be the records or precomputed needles.
 */
export function scanForLocalOnlyLeaks (inputs: readonly ScanInput[], records: readonly WorkloadRecord[] | readonly Needle[], opts: NeedleOptions = {}): ScanReport {
  const needles = toNeedles(records, opts)
  const report: ScanReport = { sources: inputs.length, bytes: 0, changes: 0, needles: needles.length, findings: [] }
  const seen = new Set<string>()
  const found = (source: string, needle: Needle, where: string): void => {
    const id = `${source}\0${needle.kind}\0${needle.text}\0${where}`
    if (seen.has(id)) return
    seen.add(id)
    report.findings.push({ source, needle, strong: STRONG_NEEDLES.has(needle.kind), where })
  }
  for (const input of inputs) {
    const bytes = 'bytes' in input ? input.bytes : Automerge.save(input.doc)
    report.bytes += bytes.length
    scanBytes(bytes, needles, input.label, 'bytes', 0, found, report)
  }
  report.findings.sort((a, b) => cmp(a.source, b.source) || cmp(a.needle.record, b.needle.record) ||
    cmp(a.needle.kind, b.needle.kind) || cmp(a.needle.text, b.needle.text) || cmp(a.where, b.where))
  return report
}

/**
 * The runtime guard: throws `residency-violation` if `input` (a change, a saved
 * document, message bytes or a document) carries a strong needle of a local-only
 * record. Call it on every change before it is signed.
 */
export function assertNoLocalOnlyContent (input: Uint8Array | Automerge.Doc<unknown>, records: readonly WorkloadRecord[] | readonly Needle[]): void {
  const strong = toNeedles(records, {}).filter((n) => STRONG_NEEDLES.has(n.kind))
  if (strong.length === 0) return
  const source = input instanceof Uint8Array ? { label: 'change', bytes: input } : { label: 'document', doc: input }
  const hit = scanForLocalOnlyLeaks([source], strong).findings[0]
  if (hit !== undefined) {
    throw new FlotillaError('residency-violation', `a replicated change would carry local-only workload "${hit.needle.record}" (${hit.needle.kind} found in ${hit.where})`,
      'Local-only workloads and anything naming them stay in the local store; write only their redacted stub.',
      { details: { record: hit.needle.record, kind: hit.needle.kind, where: hit.where } })
  }
}

function toNeedles (records: readonly WorkloadRecord[] | readonly Needle[], opts: NeedleOptions): Needle[] {
  if (records.length === 0) return []
  return 'text' in records[0]! ? [...records as readonly Needle[]] : localOnlyNeedles(records as readonly WorkloadRecord[], opts)
}

type Found = (source: string, needle: Needle, where: string) => void

function scanBytes (bytes: Uint8Array, needles: readonly Needle[], source: string, where: string, depth: number, found: Found, report: ScanReport): void {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
  for (const n of needles) {
    const at = findToken(text, Buffer.from(n.text, 'utf8').toString('latin1'))
    if (at >= 0) found(source, n, `${where}@${at}`)
  }
  if (depth >= MAX_DEPTH) return
  for (const chunk of automergeChunks(bytes)) {
    for (const change of decodeChunk(chunk)) {
      report.changes++
      scanChange(change, needles, source, depth, found, report)
    }
  }
}

function scanChange (change: Automerge.DecodedChange, needles: readonly Needle[], source: string, depth: number, found: Found, report: ScanReport): void {
  const where = `change ${change.hash ?? '?'}`
  const check = (s: string, what: string): void => {
    for (const n of needles) if (findToken(s, n.text) >= 0) found(source, n, `${where} ${what}`)
  }
  if (typeof change.message === 'string') check(change.message, 'message')
  for (const [i, op] of change.ops.entries()) {
    const o = op as { key?: unknown, value?: unknown }
    if (typeof o.key === 'string') check(o.key, `op ${i} key`)
    if (typeof o.value === 'string') check(o.value, `op ${i} value`)
    else if (o.value instanceof Uint8Array) scanBytes(o.value, needles, source, `${where} op ${i} bytes`, depth + 1, found, report)
  }
}

/** Every well-formed Automerge chunk (magic, checksum, type, LEB128 length, payload) inside `bytes`. */
export function automergeChunks (bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  // Jump from one candidate first magic byte to the next rather than stepping byte by byte.
  let i = bytes.indexOf(MAGIC[0]!)
  while (i >= 0 && i + 9 < bytes.length) {
    if (bytes[i + 1] !== MAGIC[1] || bytes[i + 2] !== MAGIC[2] || bytes[i + 3] !== MAGIC[3]) { i = bytes.indexOf(MAGIC[0]!, i + 1); continue }
    let len = 0
    let shift = 0
    let p = i + 9
    let ok = false
    while (p < bytes.length && shift < 35) {
      const b = bytes[p++]!
      len += (b & 0x7f) * 2 ** shift
      shift += 7
      if ((b & 0x80) === 0) { ok = true; break }
    }
    const end = p + len
    if (ok && end <= bytes.length) {
      out.push(bytes.subarray(i, end))
      i = bytes.indexOf(MAGIC[0]!, end)
    } else {
      i = bytes.indexOf(MAGIC[0]!, i + 1)
    }
  }
  return out
}

function decodeChunk (chunk: Uint8Array): Automerge.DecodedChange[] {
  const type = chunk[8]
  try {
    if (type === 0) {
      const doc = Automerge.load(chunk)
      return Automerge.getAllChanges(doc).map((c) => Automerge.decodeChange(c))
    }
    return [Automerge.decodeChange(chunk)]
  } catch {
    return [] // not a chunk after all; the raw search still covered its bytes
  }
}

const TOKEN_CHAR = /[A-Za-z0-9_.-]/

/** Index of `needle` in `hay` where it is not part of a longer name, or -1. */
export function findToken (hay: string, needle: string): number {
  if (needle === '') return -1
  let from = 0
  for (;;) {
    const at = hay.indexOf(needle, from)
    if (at < 0) return -1
    const before = at === 0 ? '' : hay[at - 1]!
    const after = at + needle.length >= hay.length ? '' : hay[at + needle.length]!
    const edgeOk = (c: string, n: string): boolean => c === '' || !TOKEN_CHAR.test(c) || !TOKEN_CHAR.test(n)
    if (edgeOk(before, needle[0]!) && edgeOk(after, needle[needle.length - 1]!)) return at
    from = at + 1
  }
}

function cmp (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
