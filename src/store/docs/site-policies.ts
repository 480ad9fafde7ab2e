/**
 * Policies of the site document (PropagationPolicy, ClusterPropagationPolicy,
 * OverridePolicy), written by the site they were created at. A policy's key is
 * `workloadKey(object)` (`policy.flotilla.io/<Kind>/<namespace>/<name>`), so two sites
 * creating the same policy collide on the same key and the view settles it.
 */
import type { Doc } from '@automerge/automerge'
import { FlotillaError } from '../../model/errors.ts'
import type { PolicyRecord } from '../../model/federation.ts'
import { workloadKey } from '../../model/kube.ts'
import { BUCKETS } from './bucket.ts'
import { bucketForWrite, deleteEntry, readEntry, sortedEntries } from './bucketed-map.ts'
import { encodeRecord, writeEntry } from './fields.ts'
import { decodePolicy, policyCodec } from './records.ts'
import { schemaState, SITE_SCHEMA } from './schema.ts'
import { originMismatch, writerSite, type SiteDoc } from './site-doc.ts'

/** The key a policy object is stored under. */
export function policyKey (object: PolicyRecord['object']): string {
  return workloadKey(object)
}

export function putPolicy (d: SiteDoc, rec: PolicyRecord): boolean {
  const site = writerSite(d)
  if (rec.origin !== site) throw originMismatch(`policy "${rec.key}"`, rec.origin, site)
  if (rec.key !== policyKey(rec.object) || rec.object.kind !== rec.kind) {
    throw new FlotillaError('input-invalid', `policy key "${rec.key}" and kind "${rec.kind}" must match the object ("${policyKey(rec.object)}")`,
      'Build the key with policyKey(object).', { details: { key: rec.key, kind: rec.kind } })
  }
  const { key, ...entry } = rec
  return writeEntry(bucketForWrite(d.policies, key, BUCKETS.policies), key, encodeRecord(policyCodec, entry))
}

export function deletePolicy (d: SiteDoc, key: string): boolean {
  writerSite(d)
  return deleteEntry(d.policies, key, BUCKETS.policies)
}

export function getPolicy (doc: Doc<SiteDoc>, key: string): PolicyRecord | undefined {
  if (schemaState(doc, SITE_SCHEMA, 'the site document') === 'empty') return undefined
  const raw = readEntry(doc.policies, key, BUCKETS.policies)
  return raw === undefined ? undefined : decodePolicy(key, raw, `policies.${key}`)
}

/** The site's policies, sorted by key. */
export function listPolicies (doc: Doc<SiteDoc>): PolicyRecord[] {
  if (schemaState(doc, SITE_SCHEMA, 'the site document') === 'empty') return []
  return sortedEntries(doc.policies, BUCKETS.policies).map(([k, raw]) => decodePolicy(k, raw, `policies.${k}`))
}
