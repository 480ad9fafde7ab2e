/**
 * The residency invariant's byte scanner, with memory. The compliance scan
 * (src/compliance/scan.ts) searches bytes for local-only needles and decodes every
 * Automerge chunk inside them; decoding dominates its cost, and a change crosses the
 * simulated network many times (once per peer, per relay, per sync, per replay), so this
 * scanner decodes each distinct chunk once: the raw search runs on every byte string,
 * and each chunk's decoded findings are remembered by the SHA-256 of its bytes for the
 * current needle set. The verdict is exactly the compliance scan's (raw matches of the
 * whole bytes plus decoded matches of each chunk it finds, found the same way), only
 * computed once per distinct content.
 */
import { createHash } from 'node:crypto'
import type { Needle } from '../../src/compliance/needles.ts'
import { automergeChunks, findToken, scanForLocalOnlyLeaks } from '../../src/compliance/scan.ts'

export interface LeakScanner {
  /**
   * Where `bytes` carry one of `needles` (each must be among the scanner's needles):
   * raw or inside a decoded Automerge chunk; empty when clean.
   */
  leaksIn (label: string, bytes: Uint8Array, needles: readonly Needle[]): string[]
  /** Replaces the needles decoded chunks are judged against; forgets every verdict when they change. */
  setNeedles (needles: readonly Needle[]): void
  stats (): LeakScanStats
}

export interface LeakScanStats {
  /** Byte strings searched. */
  scans: number
  /** Chunks found in them. */
  chunks: number
  /** Chunks decoded (distinct contents per needle set). */
  decoded: number
}

interface ChunkFinding { needle: string, text: string }

/** Verdicts remembered before the memory starts over (bounds a long run's memory). */
const MAX_VERDICTS = 500_000
const NONE: readonly ChunkFinding[] = []

const needleId = (n: Needle): string => `${n.kind}\0${n.text}`
const describe = (n: Needle, where: string): string => `${n.kind} "${n.text}" of ${n.record} at ${where}`

export function createLeakScanner (): LeakScanner {
  let all: readonly Needle[] = []
  let allKey = ''
  let known = new Set<string>()
  const verdicts = new Map<string, readonly ChunkFinding[]>()
  const latin1 = new Map<string, string>()
  const stats: LeakScanStats = { scans: 0, chunks: 0, decoded: 0 }

  /** The decoded findings of one chunk against every needle, computed once per content. */
  const chunkFindings = (chunk: Uint8Array): readonly ChunkFinding[] => {
    const key = createHash('sha256').update(chunk).digest('base64')
    const known = verdicts.get(key)
    if (known !== undefined) return known
    stats.decoded++
    // Only what decoding finds: the raw search of the enclosing bytes covers the chunk's own bytes.
    const found = scanForLocalOnlyLeaks([{ label: 'chunk', bytes: chunk }], all).findings
      .filter((f) => !f.where.startsWith('bytes@'))
      .map((f) => ({ needle: needleId(f.needle), text: describe(f.needle, f.where) }))
    const verdict = found.length === 0 ? NONE : found
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear()
    verdicts.set(key, verdict)
    return verdict
  }

  return {
    setNeedles (needles) {
      const key = needles.map(needleId).join('\u0001')
      if (key === allKey) return
      all = [...needles]
      allKey = key
      known = new Set(needles.map(needleId))
      verdicts.clear()
      latin1.clear()
    },

    leaksIn (label, bytes, needles) {
      if (needles.length === 0) return []
      stats.scans++
      const out: string[] = []
      const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
      for (const n of needles) {
        let t = latin1.get(n.text)
        if (t === undefined) latin1.set(n.text, t = Buffer.from(n.text, 'utf8').toString('latin1'))
        const at = findToken(text, t)
        if (at >= 0) out.push(describe(n, `${label} bytes@${at}`))
      }
      const chunks = automergeChunks(bytes)
      if (chunks.length === 0) return out
      const wanted = new Set(needles.map(needleId))
      if (!needles.every((n) => known.has(needleId(n)))) {
        // a needle the verdicts were not computed for: scan without memory rather than miss it
        const decoded = scanForLocalOnlyLeaks([{ label, bytes }], needles).findings.filter((f) => !f.where.startsWith('bytes@'))
        return [...out, ...decoded.map((f) => `${describe(f.needle, f.where)} (in ${label})`)]
      }
      // one finding per (needle, change, place), however many copies of a change the bytes hold
      const decoded = new Set<string>()
      for (const chunk of chunks) {
        stats.chunks++
        for (const f of chunkFindings(chunk)) if (wanted.has(f.needle)) decoded.add(`${f.text} (in ${label})`)
      }
      return [...out, ...decoded]
    },

    stats: () => ({ ...stats })
  }
}
