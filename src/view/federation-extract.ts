/**
 * The federation document read for the view: roster and settings, with entries that do
 * not decode reported as anomalies. The document is small, so it is re-read whenever
 * its heads change.
 */
import type * as Automerge from '@automerge/automerge'
import type { FederationView, ViewAnomaly } from '../model/view.ts'
import { readFederation, type FederationDoc } from '../store/docs/federation-doc.ts'
import { FEDERATION_DOC_ID } from '../store/docs/schema.ts'
import { asClaim } from './read-entries.ts'
import { sortedHeads } from './site-extract.ts'

export interface FederationExtract {
  view: FederationView
  anomalies: ViewAnomaly[]
}

export function extractFederation (doc: Automerge.Doc<unknown>): FederationExtract {
  const heads = sortedHeads(doc)
  try {
    const contents = readFederation(doc as Automerge.Doc<FederationDoc>)
    return {
      view: { members: contents.members, settings: contents.settings, heads },
      anomalies: contents.problems.map(({ key, error }) => {
        const c = asClaim(error)
        return { document: FEDERATION_DOC_ID, collection: 'roster', key, code: c.code, detail: c.detail }
      })
    }
  } catch (error) {
    const c = asClaim(error)
    return {
      view: { members: [], settings: {}, heads },
      anomalies: [{ document: FEDERATION_DOC_ID, collection: 'schema', key: '', code: c.code, detail: c.detail }]
    }
  }
}

export function emptyFederation (): FederationExtract {
  return { view: { members: [], settings: {}, heads: [] }, anomalies: [] }
}
