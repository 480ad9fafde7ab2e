/**
 * Document ids and schema versions. A site document is `site:<siteId>`; the federation
 * document is `federation`. Every document carries a `schema` number at its root: a
 * reader refuses a version newer than it knows (`unsupported-version`) rather than
 * misreading it, and a writer never writes into one.
 */
import { FlotillaError } from '../../model/errors.ts'
import type { SiteId } from '../../model/federation.ts'
import { isPlainObject, malformed } from './validate.ts'

export const SITE_SCHEMA_VERSION = 1
export const FEDERATION_SCHEMA_VERSION = 1
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
 * has initialised yet, `ok` for the known version. Throws `unsupported-version` for a
 * newer one and `malformed` for a bad one.
 */
export function schemaState (doc: unknown, known: number, what: string): 'empty' | 'ok' {
  if (!isPlainObject(doc)) throw malformed(what, 'a document', doc)
  const v = doc['schema']
  if (v === undefined) {
    if (Object.keys(doc).length === 0) return 'empty'
    throw malformed(`${what}.schema`, 'a schema version', v)
  }
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw malformed(`${what}.schema`, 'a positive integer', v)
  if (v > known) {
    throw new FlotillaError('unsupported-version', `${what} has schema version ${v}; this build reads up to ${known}`,
      'Upgrade Flotilla on this site: another site already writes a newer document layout.', { details: { version: v, known } })
  }
  if (v < known) throw malformed(`${what}.schema`, `version ${known}`, v)
  return 'ok'
}

/** For writers: the document must be initialised with the known version. */
export function requireSchema (doc: unknown, known: number, what: string, init: string): void {
  if (schemaState(doc, known, what) === 'empty') {
    throw new FlotillaError('input-invalid', `${what} is not initialised`, `Call ${init} in the document's first change.`)
  }
}
