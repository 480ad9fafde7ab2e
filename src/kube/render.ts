/**
 * What the driver sends to a member cluster for one desired object, and how it knows
 * an object in the cluster is its own. The apply body is the rendered object without
 * status and without the metadata a server owns (the site keeps `managedFields`, uids
 * and resourceVersions of the object as it was written to the site), plus the
 * ownership marks: the managed-by label, the workload-key and generation annotations,
 * and a hash of the body so that an unchanged object is never re-applied, even after a
 * restart (the hash is read back from the cluster).
 */
import { createHash } from 'node:crypto'
import { canonicalJson } from '../k8s/json.ts'
import { workloadKey, type KubeObject, type ObjectMeta, type WorkloadKey } from '../model/kube.ts'
import {
  GENERATION_ANNOTATION, MANAGED_BY_LABEL, MANAGED_BY_VALUE, WORKLOAD_KEY_ANNOTATION, type DesiredObject
} from '../ports/cluster-driver.ts'

/** Hash of the apply body (without this annotation), read back to skip unchanged objects. */
export const APPLIED_HASH_ANNOTATION = 'flotilla.io/applied-hash'
/** Put on namespaces the driver had to create for a desired object; they are never pruned. */
export const CREATED_NAMESPACE_ANNOTATION = 'flotilla.io/created-for'

/** Metadata fields a client may set; everything else belongs to the server. */
const CLIENT_METADATA = new Set(['name', 'namespace', 'labels', 'annotations'])
/** Annotations that describe another cluster's copy, client-side tooling, or are set here. */
const DROPPED_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision', APPLIED_HASH_ANNOTATION])

export interface RenderedObject {
  key: WorkloadKey
  body: KubeObject
  hash: string
  generation: number
}

function stripServerFields (obj: KubeObject): KubeObject {
  const { status: _status, metadata, ...rest } = obj
  const meta: ObjectMeta = { name: metadata.name }
  for (const [k, v] of Object.entries(metadata)) if (CLIENT_METADATA.has(k) && v !== undefined) meta[k] = v
  const annotations: Record<string, string> = {}
  for (const [k, v] of Object.entries(metadata.annotations ?? {})) if (!DROPPED_ANNOTATIONS.has(k)) annotations[k] = v
  meta.annotations = annotations
  meta.labels = { ...(metadata.labels ?? {}) }
  const out: KubeObject = { ...structuredClone(rest), metadata: meta }
  // A Service's cluster IPs are allocated by each cluster; one copied from elsewhere would be refused or collide.
  if (out.kind === 'Service' && out.spec !== undefined) {
    const spec = { ...out.spec }
    if (spec['clusterIP'] !== 'None') { delete spec['clusterIP']; delete spec['clusterIPs'] }
    out.spec = spec
  }
  return out
}

/** The body to apply for `desired`, its hash and its key. */
export function renderDesired (desired: DesiredObject): RenderedObject {
  const body = stripServerFields(desired.object)
  const meta = body.metadata
  meta.labels = { ...meta.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE }
  meta.annotations = { ...meta.annotations, [WORKLOAD_KEY_ANNOTATION]: desired.key, [GENERATION_ANNOTATION]: String(desired.generation) }
  const hash = createHash('sha256').update(canonicalJson(body)).digest('hex').slice(0, 32)
  meta.annotations[APPLIED_HASH_ANNOTATION] = hash
  return { key: desired.key, body, hash, generation: desired.generation }
}

/** True when `obj` in the cluster carries Flotilla's marks for exactly this workload key. */
export function isOwned (obj: { metadata: ObjectMeta }, key: WorkloadKey): boolean {
  return obj.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE && obj.metadata.annotations?.[WORKLOAD_KEY_ANNOTATION] === key
}

/**
 * The workload key an object in the cluster belongs to, if it is Flotilla's: both marks,
 * and the annotation names this very object (a copied object keeps the annotation of its
 * original, which would otherwise make the driver prune or adopt the wrong thing).
 */
export function ownerKeyOf (obj: KubeObject): WorkloadKey | undefined {
  const key = obj.metadata.annotations?.[WORKLOAD_KEY_ANNOTATION]
  if (key === undefined || obj.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) return undefined
  return key === workloadKey(obj) ? key : undefined
}
