/**
 * Convergence, in two rules:
 *
 * - lag: a change an honest site makes reaches every other honest site within the
 *   convergence bound (20 s by default: a push, or else anti-entropy every 5 s ± 20 %
 *   and a reconciliation), provided the two stayed up (same incarnations) and connected
 *   with no cut between them from the moment the change was made. Measured arrival times
 *   give each site's convergence lag for the report.
 * - final: after the quiet tail, every honest site that is up holds identical heads for
 *   every document and builds an identical view (compared by digest); the run may extend
 *   by up to the bound for changes still in flight to land.
 */
import { createHash } from 'node:crypto'
import type { GlobalView } from '../../src/model/view.ts'
import { canonicalJson } from '../../src/store/docs/canonical-json.ts'
import type { Violation } from './types.ts'

export interface ReplicaSnapshot {
  site: string
  /** Heads per document id. */
  heads: ReadonlyMap<string, readonly string[]>
  viewDigest: string
}

export function viewDigest (view: GlobalView): string {
  return createHash('sha256').update(canonicalJson(view)).digest('hex').slice(0, 32)
}

/** Differences between replicas, as violations (empty when all agree). */
export function replicaDifferences (snapshots: readonly ReplicaSnapshot[], timeMs: number): Violation[] {
  if (snapshots.length < 2) return []
  const out: Violation[] = []
  const [first, ...rest] = snapshots as [ReplicaSnapshot, ...ReplicaSnapshot[]]
  const docs = new Set<string>()
  for (const s of snapshots) for (const d of s.heads.keys()) docs.add(d)
  for (const docId of [...docs].sort()) {
    const groups = new Map<string, string[]>()
    for (const s of snapshots) {
      const h = (s.heads.get(docId) ?? []).join(',')
      let g = groups.get(h)
      if (g === undefined) groups.set(h, g = [])
      g.push(s.site)
    }
    if (groups.size > 1) {
      out.push({
        invariant: 'convergence', rule: 'final', timeMs, subject: docId,
        message: `honest sites hold different heads of ${docId}: ${[...groups.entries()].map(([h, sites]) => `{${sites.join(' ')}}: ${h === '' ? '(none)' : h.split(',').map((x) => x.slice(0, 8)).join('+')}`).join(' vs ')}`
      })
    }
  }
  const differing = rest.filter((s) => s.viewDigest !== first.viewDigest)
  if (differing.length > 0 && out.length === 0) {
    out.push({
      invariant: 'convergence', rule: 'final', timeMs, subject: 'view',
      message: `honest sites hold identical heads but build different views: ${first.site} ${first.viewDigest.slice(0, 8)} vs ${differing.map((s) => `${s.site} ${s.viewDigest.slice(0, 8)}`).join(', ')}`
    })
  } else if (differing.length > 0) {
    out.push({
      invariant: 'convergence', rule: 'final', timeMs, subject: 'view',
      message: `honest sites build different views: ${first.site} ${first.viewDigest.slice(0, 8)} vs ${differing.map((s) => `${s.site} ${s.viewDigest.slice(0, 8)}`).join(', ')}`
    })
  }
  return out
}

export interface LagInput {
  docId: string
  hash: string
  author: string
  site: string
  madeAtMs: number
  /** Since when author and site were both up and connected with no cut. */
  connectedSinceMs: number
  /** Since when each of the two was up (its current incarnation). */
  upSinceMs: number
  boundMs: number
  timeMs: number
}

export function lagViolation (l: LagInput): Violation | undefined {
  if (l.timeMs - l.madeAtMs <= l.boundMs) return undefined
  if (l.connectedSinceMs > l.madeAtMs || l.upSinceMs > l.madeAtMs) return undefined
  return {
    invariant: 'convergence', rule: 'lag', timeMs: l.timeMs, site: l.site, subject: `${l.docId}/${l.hash.slice(0, 12)}`,
    message: `change ${l.hash.slice(0, 12)}… that ${l.author} made at ${(l.madeAtMs / 1000).toFixed(1)} s had not reached ${l.site} ${((l.timeMs - l.madeAtMs) / 1000).toFixed(1)} s later, although both stayed up and connected (bound ${l.boundMs / 1000} s)`
  }
}
