/**
 * The site document: everything one site tells the federation, written only by that
 * site. Layout (schema 2; every record is one ImmutableString of canonical JSON, see
 * fields.ts, except inspection histories, maps of slots):
 *
 *   schema        2
 *   site          { id, region, zone, publicKey, peerId, endpoints }
 *   clusters      { <name>: cluster }                        few per site, not bucketed
 *   workloads     { <b>: { <b>: { <workload key>: workload } } }
 *   stubs         { <bb>: { <opaque id>: stub } }            redacted local-only workloads
 *   policies      { <bb>: { <policy key>: policy } }
 *   bindings      { <b>: { <b>: { <workload key>: binding } } }    placements this site decided
 *   shares        { <b>: { <b>: { <workload>|<cluster id>: share } } }   status on its own clusters
 *   inspections   { <bb>: { <kind>|<target>: { kind, target, next, h0..h19 } } }
 *   evidence      { <bb>: { <id>: evidence } }               bounded, deduplicated
 *   events        { next, slots: { <bb>: { <slot>: event } } }   ring of the last 1,000
 *
 * Writers take the mutable Automerge proxy inside `Automerge.change` and return whether
 * they changed anything; readers take a document and check every value they return.
 */
import { isImmutableString, type Doc, type ImmutableString } from '@automerge/automerge'
import { FlotillaError } from '../../model/errors.ts'
import type { SiteId, SiteInfo } from '../../model/federation.ts'
import type { Buckets, NestedBuckets } from './bucketed-map.ts'
import { decodeRecord, encodeRecord, parseJsonScalar, unwrapString, writeEntry, type Scalar } from './fields.ts'
import { siteInfoCodec } from './records.ts'
import { migrateSiteDoc } from './site-migrate.ts'
import { requireSchema, schemaState, SITE_SCHEMA } from './schema.ts'
import { isPlainObject, own } from './validate.ts'

/** A stored record: one JSON string (a map of scalars in documents of layout 1). */
export type Entry = ImmutableString
/** An inspection history: a map of scalars, its ring of slots written one at a time. */
export type SlotsEntry = Record<string, Scalar>

export interface SiteDoc {
  schema: number
  site: Entry
  clusters: Record<string, Entry>
  workloads: NestedBuckets<Entry>
  stubs: Buckets<Entry>
  policies: Buckets<Entry>
  bindings: NestedBuckets<Entry>
  shares: NestedBuckets<Entry>
  inspections: Buckets<SlotsEntry>
  evidence: Buckets<Entry>
  events: { next: number, slots: Record<string, Record<string, ImmutableString>> }
}

const COLLECTIONS = ['clusters', 'workloads', 'stubs', 'policies', 'bindings', 'shares', 'inspections', 'evidence'] as const

/**
 * Initialises the layout and writes the site's info; call it in the document's first
 * change. Later calls update the info (endpoints, zone) and create nothing else, except
 * that a document of an older layout is rewritten in the current one (site-migrate.ts).
 * A document belongs to one site for life: a different id is refused.
 */
export function initSiteDoc (d: SiteDoc, info: SiteInfo): boolean {
  let changed = false
  if (schemaState(d, SITE_SCHEMA, 'the site document') === 'empty') {
    d.schema = SITE_SCHEMA.current
    changed = true
  } else if (d.schema < SITE_SCHEMA.current) {
    migrateSiteDoc(d)
    changed = true
  }
  for (const name of COLLECTIONS) {
    if (!isPlainObject(d[name])) { d[name] = {}; changed = true }
  }
  if (!isPlainObject(d.events)) { d.events = { next: 0, slots: {} }; changed = true }
  return putSiteInfo(d, info) || changed
}

/** Updates the site's own info (endpoints, zone ...); the id never changes. */
export function putSiteInfo (d: SiteDoc, info: SiteInfo): boolean {
  requireSchema(d, SITE_SCHEMA, 'the site document', 'initSiteDoc')
  const current = storedSiteId(own(d, 'site'))
  if (current !== undefined && current !== info.id) {
    throw new FlotillaError('origin-mismatch', `this is the document of site "${String(current)}", not of "${info.id}"`,
      'Each site writes only its own document; check the site id in the config.', { details: { document: current, site: info.id } })
  }
  return writeEntry(d as unknown as Record<string, unknown>, 'site', encodeRecord(siteInfoCodec, info))
}

/** The site info, or undefined for a document not yet initialised. */
export function getSiteInfo (doc: Doc<SiteDoc>): SiteInfo | undefined {
  if (schemaState(doc, SITE_SCHEMA, 'the site document') === 'empty') return undefined
  return decodeRecord(siteInfoCodec, doc.site, 'site')
}

// Writers check the site id on every call; a change's proxy is one object for the whole
// change, and reading through it costs a trip into Automerge, so the id is remembered
// per proxy (the id of a document never changes once written).
const writerSites = new WeakMap<object, SiteId>()

/** The id of the site that writes `d`, for writers that check what they are given. */
export function writerSite (d: SiteDoc): SiteId {
  const known = writerSites.get(d)
  if (known !== undefined) return known
  requireSchema(d, SITE_SCHEMA, 'the site document', 'initSiteDoc')
  // Inside a change `d` is Automerge's proxy, whose missing keys read as undefined
  // (no prototype lookups), so plain reads are safe and save trips into Automerge.
  const id = storedSiteId(d.site)
  if (typeof id !== 'string') {
    throw new FlotillaError('input-invalid', 'the site document has no site id', 'Call initSiteDoc in the document\'s first change.')
  }
  writerSites.set(d, id)
  return id
}

/** The id in a stored site record of either layout, if it holds one. */
function storedSiteId (raw: unknown): unknown {
  if (!isImmutableString(raw)) return isPlainObject(raw) ? unwrapString(raw['id']) : undefined
  try {
    const rec = parseJsonScalar(raw, 'site')
    return isPlainObject(rec) ? rec['id'] : undefined
  } catch {
    return undefined
  }
}

export function originMismatch (what: string, claimed: string, site: SiteId): FlotillaError {
  return new FlotillaError('origin-mismatch', `${what} names "${claimed}", but this is the document of site "${site}"`,
    'A site document only speaks for its own site: its workloads, its clusters, its decisions.', { details: { claimed, site } })
}
