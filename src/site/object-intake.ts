/**
 * Turns an object a user submits at this site into the record the site stores: checks
 * its kind and names, reads its residency from the `flotilla.io/residency` annotation,
 * decides whether it is stateless, keeps server-owned metadata (uid, creation time,
 * generation) stable across updates, and bumps the generation only when the object
 * really changed. Pure: the caller supplies the previous record and the time.
 */
import { FlotillaError } from '../model/errors.ts'
import type { PolicyRecord, Residency, SiteId, WorkloadRecord } from '../model/federation.ts'
import { isStatelessObject, isWorkloadKind, WORKLOAD_KINDS, workloadKey, type KubeObject } from '../model/kube.ts'
import type { Rng } from '../ports/rng.ts'
import { POLICY_API_VERSION, type PolicyKind } from '../model/policy.ts'
import { canonicalJson } from '../store/docs/canonical-json.ts'
import { validateOverridePolicy, validatePropagationPolicy, type FieldError } from '../schedule/index.ts'
import { ORIGIN_ANNOTATION, RESIDENCY_ANNOTATION } from './site-handle.ts'

const POLICY_KINDS: Record<PolicyKind, { namespaced: boolean }> = {
  PropagationPolicy: { namespaced: true },
  ClusterPropagationPolicy: { namespaced: false },
  OverridePolicy: { namespaced: true }
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

export type Intake =
  | { type: 'workload', record: WorkloadRecord }
  | { type: 'policy', record: PolicyRecord }

export function invalidObject (obj: { kind?: unknown, metadata?: { name?: unknown } }, causes: FieldError[]): FlotillaError {
  const name = typeof obj.metadata?.name === 'string' ? obj.metadata.name : '(unnamed)'
  return new FlotillaError('input-invalid',
    `${String(obj.kind ?? 'object')} "${name}" is invalid:\n${causes.map((c) => `  - ${c.path}: ${c.message}`).join('\n')}`,
    'Fix each field listed and apply again; nothing was stored.', { details: { causes } })
}

/** Parses `global`, `local-only` or `regions=a,b` (absent means global). */
export function parseResidency (obj: KubeObject): Residency | FieldError {
  const raw = obj.metadata.annotations?.[RESIDENCY_ANNOTATION]
  const path = `metadata.annotations["${RESIDENCY_ANNOTATION}"]`
  if (raw === undefined || raw === 'global') return { kind: 'global' }
  if (raw === 'local-only') return { kind: 'local-only' }
  const m = /^regions=(.+)$/.exec(raw.trim())
  if (m !== null) {
    const regions = m[1]!.split(',').map((r) => r.trim()).filter((r) => r !== '')
    const bad = regions.find((r) => !DNS_LABEL.test(r))
    if (regions.length > 0 && bad === undefined) return { kind: 'regions', regions: [...new Set(regions)].sort() }
    return { path, message: `region "${bad ?? ''}" is not a DNS label` }
  }
  return { path, message: `expected "global", "local-only" or "regions=<region>[,<region>...]": received ${JSON.stringify(raw)}` }
}

function checkNames (obj: KubeObject, namespaced: boolean, causes: FieldError[]): void {
  const name = obj.metadata?.name
  if (typeof name !== 'string' || name === '') causes.push({ path: 'metadata.name', message: 'required' })
  else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) causes.push({ path: 'metadata.name', message: `must be a DNS subdomain (lower case, digits, "-", "."): received ${JSON.stringify(name)}` })
  const ns = obj.metadata?.namespace
  if (namespaced) {
    if (ns !== undefined && (typeof ns !== 'string' || !DNS_LABEL.test(ns))) causes.push({ path: 'metadata.namespace', message: `must be a DNS label: received ${JSON.stringify(ns)}` })
  } else if (ns !== undefined && ns !== '') {
    causes.push({ path: 'metadata.namespace', message: `${obj.kind} is cluster-scoped; remove the namespace` })
  }
}

/** Server-owned metadata never stored from the user's copy. */
function userManifest (obj: KubeObject, namespaced: boolean): KubeObject {
  const { status: _status, ...rest } = obj
  const { resourceVersion: _rv, generation: _gen, uid: _uid, creationTimestamp: _ct, ...meta } = obj.metadata
  const annotations = { ...(meta.annotations ?? {}) }
  delete annotations[ORIGIN_ANNOTATION]
  const metadata: KubeObject['metadata'] = { ...meta }
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations
  else delete metadata.annotations
  if (namespaced) metadata.namespace = meta.namespace ?? 'default'
  else delete metadata.namespace
  return { ...rest, metadata }
}

function withServerMetadata (manifest: KubeObject, origin: SiteId, previous: KubeObject | undefined, generation: number, nowWall: number, uid: string): KubeObject {
  return {
    ...manifest,
    metadata: {
      ...manifest.metadata,
      uid: previous?.metadata.uid ?? uid,
      creationTimestamp: previous?.metadata.creationTimestamp ?? new Date(nowWall).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      generation,
      annotations: { ...(manifest.metadata.annotations ?? {}), [ORIGIN_ANNOTATION]: origin }
    }
  }
}

/** Whether two stored manifests differ in anything but server-owned metadata. */
function sameContent (a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): unknown => {
    const { uid: _u, creationTimestamp: _c, generation: _g, ...meta } = o.metadata
    return { ...o, metadata: meta }
  }
  return canonicalJson(strip(a)) === canonicalJson(strip(b))
}

export interface IntakeInput {
  obj: KubeObject
  site: SiteId
  previous: WorkloadRecord | PolicyRecord | undefined
  nowWall: number
  /** A fresh uid for a new object. */
  uid: string
}

/**
 * Validates and prepares the record for `obj`. Throws `input-invalid` listing every bad
 * field. `changed` is false when the stored record would be identical.
 */
export function intakeObject (input: IntakeInput): Intake & { changed: boolean } {
  const { obj, site, previous, nowWall } = input
  const causes: FieldError[] = []
  if (typeof obj !== 'object' || obj === null) throw invalidObject({}, [{ path: '(root)', message: 'expected an object' }])
  if (typeof obj.metadata !== 'object' || obj.metadata === null) throw invalidObject(obj, [{ path: 'metadata', message: 'required' }])

  if (isWorkloadKind(obj.kind)) {
    const def = WORKLOAD_KINDS[obj.kind]
    if (obj.apiVersion !== def.apiVersion) causes.push({ path: 'apiVersion', message: `${obj.kind} is served as ${def.apiVersion}: received ${JSON.stringify(obj.apiVersion)}` })
    checkNames(obj, def.namespaced, causes)
    const residency = parseResidency(obj)
    if ('path' in residency) causes.push(residency)
    const replicas = obj.spec?.['replicas']
    if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
      causes.push({ path: 'spec.replicas', message: `must be a non-negative integer: received ${JSON.stringify(replicas)}` })
    }
    if (causes.length > 0) throw invalidObject(obj, causes)
    const manifest = userManifest(obj, def.namespaced)
    const prev = previous !== undefined && 'residency' in previous ? previous : undefined
    const provisional = withServerMetadata(manifest, site, prev?.manifest, prev?.generation ?? 1, nowWall, input.uid)
    const changed = prev === undefined || !sameContent(prev.manifest, provisional) || canonicalJson(prev.residency) !== canonicalJson(residency)
    const generation = prev === undefined ? 1 : changed ? prev.generation + 1 : prev.generation
    const record: WorkloadRecord = {
      key: workloadKey(manifest),
      origin: site,
      residency: residency as Residency,
      stateless: isStatelessObject(manifest),
      manifest: withServerMetadata(manifest, site, prev?.manifest, generation, nowWall, input.uid),
      generation,
      updatedAt: changed ? nowWall : prev!.updatedAt
    }
    return { type: 'workload', record, changed }
  }

  if (Object.hasOwn(POLICY_KINDS, obj.kind)) {
    const kind = obj.kind as PolicyKind
    if (obj.apiVersion !== POLICY_API_VERSION) causes.push({ path: 'apiVersion', message: `${kind} is served as ${POLICY_API_VERSION}: received ${JSON.stringify(obj.apiVersion)}` })
    checkNames(obj, POLICY_KINDS[kind].namespaced, causes)
    causes.push(...(kind === 'OverridePolicy' ? validateOverridePolicy(obj) : validatePropagationPolicy(obj)))
    if (causes.length > 0) throw invalidObject(obj, dedupe(causes))
    const object = userManifest(obj, POLICY_KINDS[kind].namespaced)
    const prev = previous !== undefined && !('residency' in previous) ? previous : undefined
    const provisional = withServerMetadata(object, site, prev?.object, prev?.generation ?? 1, nowWall, input.uid)
    const changed = prev === undefined || !sameContent(prev.object, provisional)
    const generation = prev === undefined ? 1 : changed ? prev.generation + 1 : prev.generation
    const record: PolicyRecord = {
      key: workloadKey(object),
      kind,
      origin: site,
      object: withServerMetadata(object, site, prev?.object, generation, nowWall, input.uid),
      generation,
      updatedAt: changed ? nowWall : prev!.updatedAt
    }
    return { type: 'policy', record, changed }
  }

  throw new FlotillaError('input-invalid', `kind "${String(obj.kind)}" (${String(obj.apiVersion)}) is not served by Flotilla`,
    `Flotilla propagates ${Object.keys(WORKLOAD_KINDS).join(', ')} and the policies ${Object.keys(POLICY_KINDS).join(', ')} (${POLICY_API_VERSION}).`,
    { details: { causes: [{ path: 'kind', message: `unknown kind "${String(obj.kind)}"` }] } })
}

function dedupe (causes: FieldError[]): FieldError[] {
  const seen = new Set<string>()
  return causes.filter((c) => { const k = `${c.path}|${c.message}`; if (seen.has(k)) return false; seen.add(k); return true })
}

/** The object's key (`workloadKey`), or an input error naming what is missing. */
export function objectKeyOf (obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  if (typeof obj?.metadata?.name !== 'string' || typeof obj.kind !== 'string' || typeof obj.apiVersion !== 'string') {
    throw new FlotillaError('input-invalid', 'the object needs apiVersion, kind and metadata.name', 'Check the manifest.', {
      details: { causes: [{ path: 'metadata.name', message: 'required' }] }
    })
  }
  return workloadKey(obj)
}

/** A random (version 4) UUID for a new object's `metadata.uid`, drawn from the site's Rng. */
export function uidFrom (rng: Rng): string {
  const b = rng.bytes(16)
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  const h = Buffer.from(b).toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
