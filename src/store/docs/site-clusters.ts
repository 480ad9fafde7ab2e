/**
 * Clusters of the site document: a handful per site, keyed by name, not bucketed. The
 * owner's status controller rewrites a cluster every tick; only fields that changed
 * (health, allocated, free node capacity ...) produce ops.
 */
import type { Doc } from '@automerge/automerge'
import { FlotillaError } from '../../model/errors.ts'
import { clusterId, type ClusterRecord } from '../../model/federation.ts'
import { decodeRecord, encodeRecord, writeEntry } from './fields.ts'
import { clusterCodec } from './records.ts'
import { originMismatch, writerSite, type SiteDoc } from './site-doc.ts'
import { schemaState, SITE_SCHEMA } from './schema.ts'
import { isPlainObject, own } from './validate.ts'

export function putCluster (d: SiteDoc, rec: ClusterRecord): boolean {
  const site = writerSite(d)
  if (rec.site !== site) throw originMismatch(`cluster "${rec.id}"`, rec.site, site)
  if (rec.id !== clusterId(site, rec.name)) {
    throw new FlotillaError('input-invalid', `cluster id "${rec.id}" must be "${clusterId(site, rec.name)}"`,
      'A cluster id is "<site>.<name>"; build it with clusterId().', { details: { id: rec.id, name: rec.name } })
  }
  return writeEntry(d.clusters as Record<string, unknown>, rec.name, encodeRecord(clusterCodec, rec))
}

export function deleteCluster (d: SiteDoc, name: string): boolean {
  writerSite(d)
  if (d.clusters[name] === undefined) return false
  delete d.clusters[name]
  return true
}

export function getCluster (doc: Doc<SiteDoc>, name: string): ClusterRecord | undefined {
  if (schemaState(doc, SITE_SCHEMA, 'the site document') === 'empty') return undefined
  const raw = own(doc.clusters, name)
  return raw === undefined ? undefined : decodeRecord(clusterCodec, raw, `clusters.${name}`)
}

/** The site's clusters, sorted by name. */
export function listClusters (doc: Doc<SiteDoc>): ClusterRecord[] {
  if (schemaState(doc, SITE_SCHEMA, 'the site document') === 'empty') return []
  const clusters = isPlainObject(doc.clusters) ? doc.clusters : {}
  return Object.keys(clusters).sort().map((name) => decodeRecord(clusterCodec, clusters[name], `clusters.${name}`))
}
