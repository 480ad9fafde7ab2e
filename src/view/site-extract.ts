/**
 * One site document read for the view: every entry decoded to its record or to an
 * anomaly, grouped by collection and bucket as stored. `extractSite` reads a whole
 * document; `refreshSite` brings an earlier extract up to date by asking Automerge
 * which paths changed since the extract's heads (`Automerge.diff`) and re-reading only
 * those entries, so a tick that changed a few workloads costs a few decodes, not
 * thousands of manifest parses. Both give the same extract for the same document.
 */
import * as Automerge from '@automerge/automerge'
import type { ClusterRecord, FederationEvent, SiteId, SiteInfo } from '../model/federation.ts'
import type { ViewAnomaly } from '../model/view.ts'
import { BUCKETS, bucketLevels } from '../store/docs/bucket.ts'
import { storedBuckets } from '../store/docs/bucketed-map.ts'
import { decodeRecord } from '../store/docs/fields.ts'
import { siteInfoCodec } from '../store/docs/records.ts'
import { schemaState, SITE_SCHEMA } from '../store/docs/schema.ts'
import { expectCount, isPlainObject, own } from '../store/docs/validate.ts'
import {
  asClaim, BUCKETED_READERS, READ_COLLECTIONS, readBucketed, readCluster, readEvent, type CollectionReader, type Item, type ReadCollection
} from './read-entries.ts'

/** Entries by bucket (its path as JSON, unambiguous whatever the stored names), then key. */
export type Bucketed<T> = Map<string, Map<string, Item<T>>>

function bucketName (path: readonly string[]): string {
  return JSON.stringify(path)
}

function bucketPathOf (name: string): string[] {
  return JSON.parse(name) as string[]
}

type ReaderValue<C extends ReadCollection> = typeof BUCKETED_READERS[C] extends { read (...a: never[]): infer T } ? T : never
export type SiteCollections = { [C in ReadCollection]: Bucketed<ReaderValue<C>> }

export interface SiteExtract {
  docId: string
  site: SiteId
  /** Sorted heads of the document this extract reflects. */
  heads: string[]
  state: 'empty' | 'ok' | 'unreadable'
  info: SiteInfo | undefined
  /** Anomalies of the document itself (schema, site info, collection shapes). */
  rootAnomalies: ViewAnomaly[]
  clusters: Map<string, Item<ClusterRecord>>
  collections: SiteCollections
  eventsNext: number
  /** Event ring slots by bucket, then slot number. */
  events: Bucketed<FederationEvent>
}

/** Above this many patches a full re-read is cheaper than following them. */
const MAX_PATCHES = 20_000

export function sortedHeads (doc: Automerge.Doc<unknown>): string[] {
  return [...Automerge.getHeads(doc)].sort()
}

function emptyCollections (): SiteCollections {
  return { workloads: new Map(), stubs: new Map(), policies: new Map(), bindings: new Map(), shares: new Map(), inspections: new Map(), evidence: new Map() }
}

/** Reads a whole site document; `heads`: its sorted heads, if the caller has them. */
export function extractSite (docId: string, site: SiteId, doc: Automerge.Doc<unknown>, heads = sortedHeads(doc)): SiteExtract {
  const ex: SiteExtract = {
    docId, site, heads, state: 'ok', info: undefined, rootAnomalies: [],
    clusters: new Map(), collections: emptyCollections(), eventsNext: 0, events: new Map()
  }
  try {
    if (schemaState(doc, SITE_SCHEMA, `document ${docId}`) === 'empty') { ex.state = 'empty'; return ex }
  } catch (e) {
    ex.state = 'unreadable'
    ex.rootAnomalies.push(rootAnomaly(docId, 'schema', e))
    return ex
  }
  readInfo(ex, doc)
  readAllClusters(ex, doc)
  for (const c of READ_COLLECTIONS) readCollection(ex, doc, c)
  readAllEvents(ex, doc)
  return ex
}

/**
 * The extract of `doc`, reusing `prev` (an extract of an earlier state of the same
 * document): unchanged heads return `prev` itself; otherwise only the entries on
 * changed paths are re-read. `prev` is never modified.
 */
export function refreshSite (prev: SiteExtract, doc: Automerge.Doc<unknown>): SiteExtract {
  return refreshSiteHow(prev, doc).extract
}

export type RefreshHow = 'reused' | 'incremental' | 'full'

/** `refreshSite`, also saying how it got there; `heads`: the document's sorted heads, if the caller has them. */
export function refreshSiteHow (prev: SiteExtract, doc: Automerge.Doc<unknown>, heads = sortedHeads(doc)): { extract: SiteExtract, how: RefreshHow } {
  if (sameHeads(heads, prev.heads)) return { extract: prev, how: 'reused' }
  const full = (): { extract: SiteExtract, how: RefreshHow } => ({ extract: extractSite(prev.docId, prev.site, doc, heads), how: 'full' })
  if (prev.state !== 'ok') return full()
  // diff() answers [] when the old heads are not in the document (its history was
  // rewritten, e.g. an equivocating writer's changes dropped); heads that differ yet
  // show no patch are read in full, which also covers a change that made no op.
  // (hasHeads would say so directly, but it costs milliseconds on a loaded document.)
  let patches: Automerge.Patch[]
  try {
    patches = Automerge.diff(doc, prev.heads, heads)
  } catch {
    return full()
  }
  if (patches.length === 0 || patches.length > MAX_PATCHES) return full()

  const ex: SiteExtract = { ...prev, heads, rootAnomalies: prev.rootAnomalies, collections: { ...prev.collections } }
  const dirtyClusters = new Set<string>()
  const dirty = new Map<ReadCollection, Map<string, Set<string> | 'all'> | 'all'>()
  const dirtySlots = new Map<string, Set<string> | 'all'>()
  let infoDirty = false
  let nextDirty = false
  for (const patch of patches) {
    const p = patch.path
    const root = p[0]
    if (p.length < 2 || typeof root !== 'string') return full()
    if (root === 'site') { infoDirty = true; continue }
    if (root === 'clusters') { dirtyClusters.add(String(p[1])); continue }
    if (root === 'events') {
      if (p[1] === 'next') { nextDirty = true; continue }
      if (p[1] !== 'slots' || p.length < 3) return full()
      markDirty(dirtySlots, bucketName([String(p[2])]), p.length >= 4 ? String(p[3]) : undefined)
      continue
    }
    if ((READ_COLLECTIONS as string[]).includes(root)) {
      const c = root as ReadCollection
      const levels = bucketLevels(BUCKETS[c])
      let buckets = dirty.get(c)
      if (buckets === undefined) { buckets = new Map(); dirty.set(c, buckets) }
      if (buckets === 'all') continue
      // A path that stops above a bucket (a new first-level map) re-reads the collection.
      if (p.length < 1 + levels) { dirty.set(c, 'all'); continue }
      markDirty(buckets, bucketName(p.slice(1, 1 + levels).map(String)), p.length > 1 + levels ? String(p[1 + levels]) : undefined)
    }
    // Other root keys are not part of the layout; the full reader ignores them too.
  }

  if (infoDirty) {
    ex.rootAnomalies = prev.rootAnomalies.filter((a) => a.collection !== 'site')
    readInfo(ex, doc)
  }
  if (dirtyClusters.size > 0) {
    ex.clusters = new Map(prev.clusters)
    const stored = own(doc, 'clusters')
    for (const name of dirtyClusters) {
      const raw = own(stored, name)
      if (raw === undefined) ex.clusters.delete(name)
      else ex.clusters.set(name, readCluster(prev.docId, prev.site, name, raw))
    }
  }
  for (const [c, buckets] of dirty) {
    const reader = BUCKETED_READERS[c] as CollectionReader<unknown>
    const collections = ex.collections as Record<ReadCollection, Bucketed<unknown>>
    if (buckets === 'all') {
      collections[c] = new Map()
      readCollection(ex, doc, c)
      continue
    }
    const next: Bucketed<unknown> = new Map(prev.collections[c] as Bucketed<unknown>)
    rereadBuckets(next, buckets, own(doc, c), (path, key, raw) => readBucketed(prev.docId, prev.site, reader, path, key, raw))
    collections[c] = next
  }
  if (nextDirty) {
    ex.rootAnomalies = ex.rootAnomalies.filter((a) => a.collection !== 'events.next')
    readEventsNext(ex, doc)
  }
  if (dirtySlots.size > 0) {
    ex.events = new Map(prev.events)
    rereadBuckets(ex.events, dirtySlots, own(own(doc, 'events'), 'slots'), (path, slot, raw) => readEvent(prev.docId, prev.site, path[0]!, slot, raw))
  }
  return { extract: ex, how: 'incremental' }
}

function markDirty (buckets: Map<string, Set<string> | 'all'>, bucket: string, key: string | undefined): void {
  const cur = buckets.get(bucket)
  if (cur === 'all') return
  if (key === undefined) { buckets.set(bucket, 'all'); return }
  if (cur === undefined) buckets.set(bucket, new Set([key]))
  else cur.add(key)
}

function rereadBuckets<T> (target: Bucketed<T>, dirty: Map<string, Set<string> | 'all'>, stored: unknown,
  read: (path: string[], key: string, raw: unknown) => Item<T>): void {
  for (const [bucket, keys] of dirty) {
    const path = bucketPathOf(bucket)
    const storedBucket = path.reduce<unknown>((m, name) => own(m, name), stored)
    const entries = keys === 'all' ? new Map<string, Item<T>>() : new Map(target.get(bucket))
    if (keys === 'all') {
      if (isPlainObject(storedBucket)) for (const [k, raw] of Object.entries(storedBucket)) entries.set(k, read(path, k, raw))
    } else {
      for (const k of keys) {
        const raw = own(storedBucket, k)
        if (raw === undefined) entries.delete(k)
        else entries.set(k, read(path, k, raw))
      }
    }
    if (entries.size === 0) target.delete(bucket)
    else target.set(bucket, entries)
  }
}

function rootAnomaly (docId: string, collection: string, e: unknown): ViewAnomaly {
  const c = asClaim(e)
  return { document: docId, collection, key: '', code: c.code, detail: c.detail }
}

function readInfo (ex: SiteExtract, doc: Automerge.Doc<unknown>): void {
  ex.info = undefined
  const raw = own(doc, 'site')
  if (raw === undefined) return
  try {
    const info = decodeRecord(siteInfoCodec, raw, 'site')
    if (info.id !== ex.site) {
      ex.rootAnomalies = [...ex.rootAnomalies, { document: ex.docId, collection: 'site', key: 'id', code: 'foreign-origin', detail: `site info names "${info.id}"` }]
      return
    }
    ex.info = info
  } catch (e) {
    ex.rootAnomalies = [...ex.rootAnomalies, rootAnomaly(ex.docId, 'site', e)]
  }
}

function readAllClusters (ex: SiteExtract, doc: Automerge.Doc<unknown>): void {
  const stored = own(doc, 'clusters')
  if (stored === undefined) return
  if (!isPlainObject(stored)) { ex.rootAnomalies.push(rootAnomaly(ex.docId, 'clusters', new Error('clusters is not a map'))); return }
  for (const [name, raw] of Object.entries(stored)) ex.clusters.set(name, readCluster(ex.docId, ex.site, name, raw))
}

function readCollection (ex: SiteExtract, doc: Automerge.Doc<unknown>, c: ReadCollection): void {
  const stored = own(doc, c)
  if (stored === undefined) return
  if (!isPlainObject(stored)) { ex.rootAnomalies.push(rootAnomaly(ex.docId, c, new Error(`${c} is not a map`))); return }
  const reader = BUCKETED_READERS[c] as CollectionReader<unknown>
  const target = ex.collections[c] as Bucketed<unknown>
  for (const [path, entries] of storedBuckets(stored, BUCKETS[c])) {
    const m = new Map<string, Item<unknown>>()
    for (const [k, raw] of Object.entries(entries)) m.set(k, readBucketed(ex.docId, ex.site, reader, path, k, raw))
    if (m.size > 0) target.set(bucketName(path), m)
  }
}

function readEventsNext (ex: SiteExtract, doc: Automerge.Doc<unknown>): void {
  ex.eventsNext = 0
  const events = own(doc, 'events')
  if (events === undefined) return
  try {
    ex.eventsNext = expectCount(own(events, 'next'), 'events.next')
  } catch (e) {
    ex.rootAnomalies = [...ex.rootAnomalies, rootAnomaly(ex.docId, 'events.next', e)]
  }
}

function readAllEvents (ex: SiteExtract, doc: Automerge.Doc<unknown>): void {
  readEventsNext(ex, doc)
  const slots = own(own(doc, 'events'), 'slots')
  if (!isPlainObject(slots)) return
  for (const [bucket, entries] of Object.entries(slots)) {
    if (!isPlainObject(entries)) continue
    const m = new Map<string, Item<FederationEvent>>()
    for (const [slot, raw] of Object.entries(entries)) m.set(slot, readEvent(ex.docId, ex.site, bucket, slot, raw))
    if (m.size > 0) ex.events.set(bucketName([bucket]), m)
  }
}

export function sameHeads (a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((h, i) => h === b[i])
}
