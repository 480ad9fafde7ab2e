/**
 * The incremental path to the global view, for a controller that refreshes it every
 * tick. The cache keeps each document's extract with the heads it was read at; on
 * `refresh` an unchanged document is not read at all, a changed one is brought up to
 * date by re-reading only the entries Automerge's diff names (site-extract.ts), and
 * only the changed entries are folded into the view (incremental-assembly.ts). The
 * result always equals `buildView` of the same documents (a property test checks
 * it); the cache only makes it cheaper. Returned views share structure with earlier
 * ones: treat them as immutable.
 */
import type { GlobalView, ViewAnomaly } from '../model/view.ts'
import { FEDERATION_DOC_ID, parseDocId } from '../store/docs/schema.ts'
import { unknownDocument } from './build-view.ts'
import { normaliseDocuments, type ViewDocuments } from './documents.ts'
import { emptyFederation, extractFederation, type FederationExtract } from './federation-extract.ts'
import { createIncrementalAssembly } from './incremental-assembly.ts'
import { extractSite, refreshSiteHow, sameHeads, sortedHeads, type SiteExtract } from './site-extract.ts'

export interface ViewCacheStats {
  /** Documents read in full / brought up to date from a diff / reused unchanged, in the last refresh. */
  full: number
  incremental: number
  reused: number
}

export interface ViewCache {
  /** The view of `documents`, reusing what earlier refreshes read. */
  refresh (documents: ViewDocuments): GlobalView
  readonly stats: ViewCacheStats
}

export function createViewCache (): ViewCache {
  let sites = new Map<string, SiteExtract>()
  let federation: { heads: string[], extract: FederationExtract } | undefined
  // Heads are recorded when read: an older Automerge value may share its handle with the
  // newer one (applyChanges moves the handle on), so re-reading its heads later would lie.
  let last: { view: GlobalView, heads: Map<string, string[]> } | undefined
  const stats: ViewCacheStats = { full: 0, incremental: 0, reused: 0 }
  const assembly = createIncrementalAssembly()

  return {
    stats,
    refresh (documents) {
      const docs = normaliseDocuments(documents)
      stats.full = 0
      stats.incremental = 0
      stats.reused = 0
      // Each document's heads are read once per refresh (a call into Automerge and a sort
      // per document: at a hundred sites, refreshed a few times a second, it adds up).
      const heads = new Map<string, string[]>()
      for (const [id, doc] of docs) heads.set(id, sortedHeads(doc))
      if (last !== undefined && sameDocuments(last.heads, heads)) {
        stats.reused = docs.size
        return last.view
      }
      const nextSites = new Map<string, SiteExtract>()
      const unknown: ViewAnomaly[] = []
      let fed = emptyFederation()
      for (const [id, doc] of docs) {
        const parsed = parseDocId(id)
        if (parsed === undefined) { unknown.push(unknownDocument(id)); continue }
        const docHeads = heads.get(id)!
        if (parsed.type === 'federation') {
          if (federation === undefined || !sameHeads(federation.heads, docHeads)) {
            federation = { heads: docHeads, extract: extractFederation(doc) }
            stats.full++
          } else {
            stats.reused++
          }
          fed = federation.extract
          continue
        }
        const prev = sites.get(id)
        let ex: SiteExtract
        if (prev === undefined) {
          ex = extractSite(id, parsed.site, doc, docHeads)
          stats.full++
        } else {
          const r = refreshSiteHow(prev, doc, docHeads)
          ex = r.extract
          stats[r.how]++
        }
        nextSites.set(id, ex)
      }
      if (!docs.has(FEDERATION_DOC_ID)) federation = undefined
      sites = nextSites
      const view = assembly.apply(unknown.length === 0 ? fed : { ...fed, anomalies: [...fed.anomalies, ...unknown] }, nextSites)
      last = { view, heads }
      return view
    }
  }
}

function sameDocuments (a: Map<string, string[]>, b: Map<string, string[]>): boolean {
  if (a.size !== b.size) return false
  for (const [id, heads] of b) {
    const prev = a.get(id)
    if (prev === undefined || !sameHeads(prev, heads)) return false
  }
  return true
}
