/**
 * `buildView(documents)`: the global view as a pure function of the documents a site
 * holds. Same documents in any order give a deep-equal view. A document id that is not
 * `federation` or `site:<id>` is reported and skipped.
 */
import type { GlobalView, ViewAnomaly } from '../model/view.ts'
import { parseDocId } from '../store/docs/schema.ts'
import { assembleView } from './assemble.ts'
import { normaliseDocuments, type ViewDocuments } from './documents.ts'
import { emptyFederation, extractFederation } from './federation-extract.ts'
import { extractSite, type SiteExtract } from './site-extract.ts'

export function buildView (documents: ViewDocuments): GlobalView {
  let federation = emptyFederation()
  const sites: SiteExtract[] = []
  const unknown: ViewAnomaly[] = []
  for (const [id, doc] of normaliseDocuments(documents)) {
    const parsed = parseDocId(id)
    if (parsed === undefined) unknown.push(unknownDocument(id))
    else if (parsed.type === 'federation') federation = extractFederation(doc)
    else sites.push(extractSite(id, parsed.site, doc))
  }
  return assembleView({ ...federation, anomalies: [...federation.anomalies, ...unknown] }, sites)
}

export function unknownDocument (id: string): ViewAnomaly {
  return { document: id, collection: '', key: '', code: 'unknown-document', detail: 'not "federation" nor "site:<site id>"' }
}
