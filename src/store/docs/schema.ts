/**
 * Document ids and schema versions. A site document is `site:<siteId>`; the federation
 * document is `federation`. Every document carries a `schema` number at its root: a
 * reader refuses a version newer than it knows (`unsupported-version`) rather than
 * misreading it, and a writer never writes into one.
 */
import { FlotillaError } from '../../model/errors.ts'
import type { SiteId } from '../../model/federation.ts'
import { isPlainObject, malformed } from './validate.ts'

/** The layout a document is written in, and the oldest one readers still understand. */
export interface SchemaVersions { current: number, oldestReadable: number }

/** Layout 2: every record one JSON string (fields.ts). Layout 1 (a map of scalars per record) is still read. */
export const SITE_SCHEMA: SchemaVersions = { current: 2, oldestReadable: 1 }
export const FEDERATION_SCHEMA: SchemaVersions = { current: 1, oldestReadable: 1 }
export const SITE_SCHEMA_VERSION = SITE_SCHEMA.current
export const FEDERATION_SCHEMA_VERSION = FEDERATION_SCHEMA.current
export const FEDERATION_DOC_ID = 'federation'

const SITE_ID = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

export function siteDocId (site: SiteId): string {
  return `site:${site}`
}

export type ParsedDocId = { type: 'site', site: SiteId } | { type: 'federation' }

/** What a document id names, or undefined if it names nothing Flotilla knows. */
export function parseDocId (id: string): ParsedDocId | undefined {
  if (id === FEDERATION_DOC_ID) return { type: 'federation' }
  if (id.startsWith('site:') && SITE_ID.test(id.slice(5))) return { type: 'site', site: id.slice(5) }
  return undefined
}

/**
 * The schema state of a document read from anywhere: `empty` for a document no change
 * has initialised yet, `ok` for a layout this build reads. Throws `unsupported-version`
 * for a newer one or one older than it still reads, and `malformed` for a bad one.
 */
export function schemaState (doc: unknown, schema: SchemaVersions, what: string): 'empty' | 'ok' {
  const v = storedVersion(doc, what)
  if (v === undefined) return 'empty'
  if (v > schema.current) {
    throw new FlotillaError('unsupported-version', `${what} has schema version ${v}; this build reads up to ${schema.current}`,
      'Upgrade Flotilla on this site: another site already writes a newer document layout.', { details: { version: v, known: schema.current } })
  }
  if (v < schema.oldestReadable) {
    throw new FlotillaError('unsupported-version', `${what} has schema version ${v}; this build reads ${schema.oldestReadable} to ${schema.current}`,
      'The site that writes it runs a Flotilla too old for this one: upgrade it.', { details: { version: v, known: schema.current } })
  }
  return 'ok'
}

/** The stored schema version, or undefined for an empty document. */
function storedVersion (doc: unknown, what: string): number | undefined {
  if (!isPlainObject(doc)) throw malformed(what, 'a document', doc)
  const v = doc['schema']
  if (v === undefined) {
    if (Object.keys(doc).length === 0) return undefined
    throw malformed(`${what}.schema`, 'a schema version', v)
  }
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw malformed(`${what}.schema`, 'a positive integer', v)
  return v
}

/** For writers: the document must be initialised in the current layout. */
export function requireSchema (doc: unknown, schema: SchemaVersions, what: string, init: string): void {
  if (schemaState(doc, schema, what) === 'empty') {
    throw new FlotillaError('input-invalid', `${what} is not initialised`, `Call ${init} in the document's first change.`)
  }
  const v = storedVersion(doc, what)
  if (v !== schema.current) {
    throw new FlotillaError('input-invalid', `${what} is in layout ${String(v)}; writers write layout ${schema.current} only`,
      `Call ${init} first: it rewrites the document in the current layout.`, { details: { version: v, current: schema.current } })
  }
}
