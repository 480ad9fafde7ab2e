/**
 * The documents a view is built from: a map from document id to Automerge document, or
 * a list of `{ id, doc }`. Both are normalised to one map, refusing a list that names
 * the same id twice (which of the two to read would depend on the list's order).
 */
import type * as Automerge from '@automerge/automerge'
import { FlotillaError } from '../model/errors.ts'

export interface ViewDocument {
  id: string
  doc: Automerge.Doc<unknown>
}

export type ViewDocuments = ReadonlyMap<string, Automerge.Doc<unknown>> | Iterable<ViewDocument>

export function normaliseDocuments (documents: ViewDocuments): Map<string, Automerge.Doc<unknown>> {
  if (documents instanceof Map) return new Map(documents as ReadonlyMap<string, Automerge.Doc<unknown>>)
  const out = new Map<string, Automerge.Doc<unknown>>()
  for (const { id, doc } of documents as Iterable<ViewDocument>) {
    if (out.has(id)) {
      throw new FlotillaError('input-invalid', `document "${id}" is given twice`, 'Pass each document id once (the store holds one document per id).', { details: { id } })
    }
    out.set(id, doc)
  }
  return out
}
