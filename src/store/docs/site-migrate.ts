/**
 * Rewrites a site document of layout 1 (a map of scalars per record) in layout 2 (one
 * JSON string per record, fields.ts), inside the writing site's own change: only that
 * site writes its document, so no other writer can race the rewrite. Readers take either
 * layout, so sites upgraded one at a time keep reading each other. An entry that does
 * not decode is left as it is; readers report it as malformed in either layout.
 */
import { isImmutableString } from '@automerge/automerge'
import { BUCKETS } from './bucket.ts'
import { storedBuckets } from './bucketed-map.ts'
import { decodeFields, encodeRecord, writeEntry, type RecordCodec } from './fields.ts'
import { bindingCodec, clusterCodec, evidenceCodec, policyCodec, shareCodec, siteInfoCodec, stubCodec, workloadCodec } from './records.ts'
import { SITE_SCHEMA } from './schema.ts'
import type { SiteDoc } from './site-doc.ts'
import { isPlainObject } from './validate.ts'

const BUCKETED_CODECS = {
  workloads: workloadCodec,
  stubs: stubCodec,
  policies: policyCodec,
  bindings: bindingCodec,
  shares: shareCodec,
  evidence: evidenceCodec
} as const

/** Rewrites every layout-1 record of `d` in layout 2 and marks the document so; returns the records rewritten. */
export function migrateSiteDoc (d: SiteDoc): number {
  const root = d as unknown as Record<string, unknown>
  let rewritten = rewrite(root, 'site', siteInfoCodec)
  if (isPlainObject(root['clusters'])) {
    const clusters = root['clusters']
    for (const name of Object.keys(clusters)) rewritten += rewrite(clusters, name, clusterCodec)
  }
  for (const [name, codec] of Object.entries(BUCKETED_CODECS) as Array<[keyof typeof BUCKETED_CODECS, RecordCodec<unknown>]>) {
    for (const [, bucket] of storedBuckets(root[name], BUCKETS[name])) {
      for (const key of Object.keys(bucket)) rewritten += rewrite(bucket, key, codec)
    }
  }
  // Inspection histories stay maps of slots, and events are one JSON string each in both layouts.
  d.schema = SITE_SCHEMA.current
  return rewritten
}

function rewrite<T> (container: Record<string, unknown>, key: string, codec: RecordCodec<T>): number {
  const stored = container[key]
  if (isImmutableString(stored) || !isPlainObject(stored)) return 0
  let record: T
  try { record = decodeFields(codec, stored, key) } catch { return 0 }
  writeEntry(container, key, encodeRecord(codec, record))
  return 1
}
