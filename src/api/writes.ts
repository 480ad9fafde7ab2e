/**
 * create, update, patch (JSON, merge, strategic merge), server-side apply and delete.
 * Each write builds the whole candidate object first — identity checked against the URL,
 * patches and apply configurations merged into the live object, field managers recorded
 * — then validates it (Kubernetes rules for the kind, plus the site's own checks:
 * residency, names, policy validity, policies that contradict themselves) and reports
 * every bad field at once as a 422. Only a valid object reaches `site.putObject`, which
 * stores it whole or not at all. The site refuses objects another site originated
 * (`origin-mismatch`, a 403 here). A stored policy that matches no cluster of the view
 * (or has parts that never take effect) is answered with `Warning` headers.
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { FlotillaError, isFlotillaError } from '../model/errors.ts'
import type { KubeObject } from '../model/kube.ts'
import type { Logger } from '../ports/logger.ts'
import { ORIGIN_ANNOTATION, type SiteHandle } from '../site/site-handle.ts'
import {
  alreadyExists, applyJsonPatch, applyMergePatch, applyStrategicMergePatch, badRequest, formatLabelSelector, fromStructured, isPlainObject,
  mediaType, notFound, serverSideApply, staleConflict, trackUpdate, validateObject, type Json, type JsonObject, type StatusCause, type StructuredSelector
} from '../k8s/index.ts'
import type { TrackedObject } from './object-tracker.ts'
import { sendObject, visibleObject, visibleTo, type ReadContext } from './reads.ts'
import { API_RESOURCES, apiVersionOf, isWritable, type ApiResource } from './resources.ts'
import { sendJson, setWarnings } from './http.ts'
import { policyWarnings } from './policy-warnings.ts'
import { failure, invalidStatus, statusOf, StatusError, type StatusContext } from './status-table.ts'

export interface WriteContext extends ReadContext {
  req: IncomingMessage
  site: SiteHandle
  logger: Logger
  body: unknown
  /** Field manager from `?fieldManager=` or the user agent. */
  manager: string | undefined
  dryRun: boolean
}

const SERVED_KINDS = API_RESOURCES.filter(isWritable).map((r) => `${r.kind} (${apiVersionOf(r)})`).join(', ')

const PATCH_TYPES: Record<string, 'json' | 'merge' | 'strategic' | 'apply'> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply'
}

function subject (r: ApiResource, name?: string): StatusContext {
  return { plural: r.plural, group: r.group, kind: r.kind, ...(name === undefined ? {} : { name }) }
}

function asObject (body: unknown, what: string): JsonObject {
  if (!isPlainObject(body)) throw badRequest(`${what} must be a JSON or YAML object`)
  return body
}

function metaOf (o: JsonObject): JsonObject {
  return isPlainObject(o['metadata']) ? o['metadata'] : {}
}

/** apiVersion, kind, name and namespace of a body must agree with the request, as on the apiserver. */
function checkIdentity (ctx: WriteContext, body: JsonObject, name: string | undefined): void {
  const r = ctx.resource
  const want = apiVersionOf(r)
  // A body of another kind is an unknown kind here: a 422 naming the field (the apiserver says 400).
  const causes: StatusCause[] = []
  if (body['kind'] !== undefined && body['kind'] !== r.kind) {
    causes.push({ reason: 'FieldValueInvalid', field: 'kind', message: `Invalid value: ${JSON.stringify(body['kind'])}: ${r.plural} holds ${r.kind} objects (this site serves ${SERVED_KINDS})` })
  }
  if (body['apiVersion'] !== undefined && body['apiVersion'] !== want) {
    causes.push({ reason: 'FieldValueInvalid', field: 'apiVersion', message: `Invalid value: ${JSON.stringify(body['apiVersion'])}: ${r.kind} is served as ${want}` })
  }
  if (causes.length > 0) throw new StatusError(invalidStatus(subject(r, typeof metaOf(body)['name'] === 'string' ? metaOf(body)['name'] as string : ''), causes))
  const meta = metaOf(body)
  if (name !== undefined && meta['name'] !== undefined && meta['name'] !== name) {
    throw badRequest(`the name of the object (${String(meta['name'])}) does not match the name on the URL (${name})`)
  }
  if (r.namespaced && meta['namespace'] !== undefined && meta['namespace'] !== '' && meta['namespace'] !== ctx.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
  }
}

/** The candidate with identity from the URL and without what the server owns (status, resourceVersion). */
function candidateOf (ctx: WriteContext, body: JsonObject, name: string): JsonObject {
  const r = ctx.resource
  const { status: _status, ...rest } = structuredClone(body)
  const meta: JsonObject = { ...metaOf(rest) }
  meta['name'] = name
  if (r.namespaced) meta['namespace'] = ctx.namespace as string
  else delete meta['namespace']
  delete meta['resourceVersion']
  delete meta['selfLink']
  return { ...rest, apiVersion: apiVersionOf(r), kind: r.kind, metadata: meta }
}

function nowIso (ctx: WriteContext): string {
  return new Date(ctx.now()).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** The site's own field errors (residency, names, policy rules), gathered with a dry run. */
async function siteCauses (ctx: WriteContext, candidate: JsonObject): Promise<StatusCause[]> {
  try {
    await ctx.site.putObject(candidate as unknown as KubeObject, { dryRun: true })
    return []
  } catch (e) {
    if (!isFlotillaError(e) || (e.code !== 'input-invalid' && e.code !== 'unsatisfiable-policy')) return []
    return statusOf(e, subject(ctx.resource, String(metaOf(candidate)['name'] ?? ''))).details?.causes ?? []
  }
}

function merge (a: StatusCause[], b: StatusCause[]): StatusCause[] {
  const fields = new Set(a.map((c) => c.field))
  return [...a, ...b.filter((c) => !fields.has(c.field))]
}

/** An `origin-mismatch` whose hint also names the owning site's API, when the view knows it. */
function withOriginEndpoint (ctx: WriteContext, e: unknown): unknown {
  if (!isFlotillaError(e, 'origin-mismatch')) return e
  const origin = e.details?.['origin']
  const api = ctx.site.view().sites.find((s) => s.id === origin)?.info?.endpoints.api
  if (api === undefined) return e
  return new FlotillaError(e.code, e.message, `${e.hint} Its API: ${api}`, { cause: e, ...(e.details === undefined ? {} : { details: e.details }) })
}

interface Committed { object: KubeObject, tracked?: TrackedObject, created: boolean, changed: boolean }

/**
 * The candidate as field tracking should compare it: with the annotations the site sets
 * itself (the origin) carried over from the live object when the writer left them out, as
 * kubectl does. Otherwise every update would look like it removes them, record a new
 * Update entry stamped with the current second, and so store a change — and move the
 * resourceVersion — for an update that changes nothing.
 */
function withServerAnnotations (candidate: JsonObject, live: JsonObject | undefined): JsonObject {
  const liveAnnotations = live === undefined ? undefined : metaOf(live)['annotations']
  const origin = isPlainObject(liveAnnotations) ? liveAnnotations[ORIGIN_ANNOTATION] : undefined
  if (origin === undefined) return candidate
  const meta = metaOf(candidate)
  const annotations = isPlainObject(meta['annotations']) ? meta['annotations'] : {}
  if (ORIGIN_ANNOTATION in annotations) return candidate
  return { ...candidate, metadata: { ...meta, annotations: { ...annotations, [ORIGIN_ANNOTATION]: origin } } }
}

/** Validates and stores a candidate; `trackFields` records the writer as an Update field manager. */
async function commit (ctx: WriteContext, live: TrackedObject | undefined, candidate: JsonObject, trackFields: boolean): Promise<Committed> {
  const r = ctx.resource
  const name = String(metaOf(candidate)['name'])
  const causes = validateObject(r.kind, candidate, live?.object as JsonObject | undefined)
  if (causes.length > 0) throw new StatusError(invalidStatus(subject(r, name), merge(causes, await siteCauses(ctx, candidate))))
  if (trackFields) {
    const before = live?.object as JsonObject | undefined
    const entries = trackUpdate({ kind: r.kind, apiVersion: apiVersionOf(r), before, after: withServerAnnotations(candidate, before), manager: ctx.manager ?? 'unknown', now: nowIso(ctx) })
    const meta = metaOf(candidate)
    if (entries.length > 0) meta['managedFields'] = entries as unknown as Json
    else delete meta['managedFields']
    candidate['metadata'] = meta
  }
  let result
  try {
    result = await ctx.site.putObject(candidate as unknown as KubeObject, { dryRun: ctx.dryRun })
  } catch (e) {
    throw new StatusError(statusOf(withOriginEndpoint(ctx, e), subject(r, name)))
  }
  if (!ctx.dryRun && result.changed) {
    ctx.logger.info({ user: ctx.who.user, role: ctx.who.role, resource: r.plural, group: r.group, namespace: ctx.namespace, name, created: result.created }, 'api write')
  }
  if (r.source === 'policy') setWarnings(ctx.res, policyWarnings(result.object, ctx.site.view().clusters))
  ctx.tracker.refresh()
  const t = ctx.tracker.get(r, ctx.namespace, name)
  const stored = result.object
  if (!ctx.dryRun && t !== undefined && t.object.metadata.uid === stored.metadata.uid && t.object.metadata.generation === stored.metadata.generation) {
    return { object: t.object, tracked: t, created: result.created, changed: result.changed }
  }
  // A dry run, or a site whose view has not caught up yet: answer with what was (or would be)
  // stored, with the status it has now (a write of the object does not change its status).
  const rv = live?.object.metadata.resourceVersion ?? String(ctx.tracker.version())
  const object: KubeObject = { ...stored, metadata: { ...stored.metadata, resourceVersion: rv } }
  if (live?.object.status !== undefined) object.status = live.object.status
  return { object, created: result.created, changed: result.changed }
}

function respond (ctx: WriteContext, code: number, c: Committed): void {
  sendObject(ctx, code, c.object, c.tracked === undefined ? undefined : ctx.tracker.json(c.tracked))
}

function liveOf (ctx: WriteContext, name: string): TrackedObject | undefined {
  const t = ctx.tracker.get(ctx.resource, ctx.namespace, name)
  return t !== undefined && visibleTo(ctx.who, t) ? t : undefined
}

export async function createObject (ctx: WriteContext): Promise<void> {
  const body = asObject(ctx.body, 'the request body')
  checkIdentity(ctx, body, undefined)
  const meta = metaOf(body)
  let name = typeof meta['name'] === 'string' ? meta['name'] : ''
  if (name === '' && typeof meta['generateName'] === 'string' && meta['generateName'] !== '') {
    name = `${meta['generateName']}${randomBytes(4).toString('hex').slice(0, 5)}`
  }
  if (name === '') {
    throw new StatusError(invalidStatus(subject(ctx.resource, ''), [{ reason: 'FieldValueRequired', message: 'name or generateName is required', field: 'metadata.name' }]))
  }
  if (ctx.tracker.get(ctx.resource, ctx.namespace, name) !== undefined) throw alreadyExists({ kind: ctx.resource.plural, group: ctx.resource.group }, name)
  const candidate = candidateOf(ctx, body, name)
  const m = metaOf(candidate)
  delete m['managedFields']
  delete m['generateName']
  candidate['metadata'] = m
  respond(ctx, 201, await commit(ctx, undefined, candidate, true))
}

export async function updateObject (ctx: WriteContext, name: string): Promise<void> {
  const body = asObject(ctx.body, 'the request body')
  const live = visibleObject(ctx, name)
  checkIdentity(ctx, body, name)
  const rv = metaOf(body)['resourceVersion']
  if (rv !== undefined && rv !== '' && rv !== live.object.metadata.resourceVersion) throw staleConflict({ kind: ctx.resource.plural, group: ctx.resource.group }, name)
  respond(ctx, 200, await commit(ctx, live, candidateOf(ctx, body, name), true))
}

export async function patchObject (ctx: WriteContext, name: string): Promise<void> {
  const r = ctx.resource
  const type = PATCH_TYPES[mediaType(ctx.req.headers['content-type'])]
  if (type === undefined) {
    throw new StatusError(failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`))
  }
  const force = ctx.query.get('force')
  if (type === 'apply') {
    const config = asObject(ctx.body, 'the apply configuration')
    if (ctx.query.get('fieldManager') === null || ctx.query.get('fieldManager') === '') {
      throw new StatusError(invalidStatus({ plural: 'patchoptions', group: 'meta.k8s.io', kind: 'PatchOptions', name: '' },
        [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }]))
    }
    if (config['apiVersion'] === undefined || config['kind'] === undefined) throw badRequest('apiVersion and kind are required in an apply configuration')
    checkIdentity(ctx, config, name)
    const live = liveOf(ctx, name)
    const rv = metaOf(config)['resourceVersion']
    if (live !== undefined && rv !== undefined && rv !== '' && rv !== live.object.metadata.resourceVersion) throw staleConflict({ kind: r.plural, group: r.group }, name)
    const merged = serverSideApply({
      kind: r.kind, apiVersion: apiVersionOf(r), live: live?.object as JsonObject | undefined, config,
      manager: ctx.manager ?? 'unknown', force: force === 'true' || force === '1', now: nowIso(ctx)
    })
    const c = await commit(ctx, live, candidateOf(ctx, merged, name), false)
    respond(ctx, c.created ? 201 : 200, c)
    return
  }
  if (force !== null) throw badRequest('force is not allowed for non-apply patch types')
  const live = visibleObject(ctx, name)
  const base = live.object as unknown as JsonObject
  const patched = type === 'json' ? applyJsonPatch(base, ctx.body)
    : type === 'merge' ? applyMergePatch(base, asObject(ctx.body, 'a merge patch'))
      : applyStrategicMergePatch(r.kind, base, ctx.body as Json)
  const out = asObject(patched, 'the patched object')
  const rv = metaOf(out)['resourceVersion']
  if (rv !== undefined && rv !== live.object.metadata.resourceVersion) throw staleConflict({ kind: r.plural, group: r.group }, name)
  checkIdentity(ctx, out, name)
  respond(ctx, 200, await commit(ctx, live, candidateOf(ctx, out, name), true))
}

export async function deleteObject (ctx: WriteContext, name: string): Promise<void> {
  const r = ctx.resource
  const live = liveOf(ctx, name)
  const body = isPlainObject(ctx.body) ? ctx.body : {}
  const pre = isPlainObject(body['preconditions']) ? body['preconditions'] : {}
  const what = `${r.group === '' ? r.plural : `${r.plural}.${r.group}`} "${name}"`
  if (live !== undefined && typeof pre['uid'] === 'string' && pre['uid'] !== live.object.metadata.uid) {
    throw new StatusError({ ...statusOf(staleConflict({ kind: r.plural, group: r.group }, name)), message: `Operation cannot be fulfilled on ${what}: Precondition failed: UID in precondition: ${pre['uid']}, UID in object meta: ${live.object.metadata.uid ?? ''}` })
  }
  if (live !== undefined && typeof pre['resourceVersion'] === 'string' && pre['resourceVersion'] !== live.object.metadata.resourceVersion) {
    throw new StatusError({ ...statusOf(staleConflict({ kind: r.plural, group: r.group }, name)), message: `Operation cannot be fulfilled on ${what}: Precondition failed: ResourceVersion in precondition: ${pre['resourceVersion']}, ResourceVersion in object meta: ${live.object.metadata.resourceVersion ?? ''}` })
  }
  const dryRun = ctx.dryRun || (Array.isArray(body['dryRun']) && body['dryRun'].includes('All'))
  let deleted: boolean
  try {
    deleted = await ctx.site.deleteObject({ apiVersion: apiVersionOf(r), kind: r.kind, ...(r.namespaced ? { namespace: ctx.namespace as string } : {}), name }, { dryRun })
  } catch (e) {
    throw new StatusError(statusOf(withOriginEndpoint(ctx, e), subject(r, name)))
  }
  if (!deleted) throw notFound({ kind: r.plural, group: r.group }, name)
  if (!dryRun) ctx.logger.info({ user: ctx.who.user, role: ctx.who.role, resource: r.plural, group: r.group, namespace: ctx.namespace, name }, 'api delete')
  ctx.tracker.refresh()
  sendJson(ctx.res, 200, JSON.stringify({
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', message: '', reason: '', code: 200,
    details: { name, group: r.group, kind: r.plural, ...(live?.object.metadata.uid === undefined ? {} : { uid: live.object.metadata.uid }) }
  }))
}

/** The autoscaling/v1 Scale of a Deployment or StatefulSet. */
export function scaleOf (o: KubeObject): KubeObject {
  const spec = isPlainObject(o.spec) ? o.spec as JsonObject : {}
  const status = isPlainObject(o.status) ? o.status as JsonObject : {}
  const selector = isPlainObject(spec['selector']) ? formatLabelSelector(fromStructured(spec['selector'] as StructuredSelector)) : ''
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
    spec: { replicas: typeof spec['replicas'] === 'number' ? spec['replicas'] : 1 },
    status: { replicas: typeof status['replicas'] === 'number' ? status['replicas'] : 0, selector }
  }
}

export function getScale (ctx: WriteContext | ReadContext, name: string): void {
  sendJson(ctx.res, 200, JSON.stringify(scaleOf(visibleObject(ctx, name).object)))
}

/** `kubectl scale`: a PUT or PATCH of the Scale, stored as a change of `spec.replicas`. */
export async function writeScale (ctx: WriteContext, name: string, method: 'PUT' | 'PATCH'): Promise<void> {
  const r = ctx.resource
  const live = visibleObject(ctx, name)
  const current = scaleOf(live.object) as unknown as JsonObject
  let next: JsonObject
  if (method === 'PUT') next = asObject(ctx.body, 'the Scale')
  else {
    const type = PATCH_TYPES[mediaType(ctx.req.headers['content-type'])]
    if (type === undefined || type === 'apply') throw new StatusError(failure(415, 'UnsupportedMediaType', 'patch the scale subresource with a JSON, merge or strategic merge patch'))
    next = asObject(type === 'json' ? applyJsonPatch(current, ctx.body) : type === 'merge' ? applyMergePatch(current, asObject(ctx.body, 'a merge patch')) : applyStrategicMergePatch('Scale', current, ctx.body as Json), 'the patched Scale')
  }
  const rv = metaOf(next)['resourceVersion']
  if (rv !== undefined && rv !== '' && rv !== live.object.metadata.resourceVersion) throw staleConflict({ kind: r.plural, group: r.group }, name)
  const replicas = isPlainObject(next['spec']) ? next['spec']['replicas'] : undefined
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw new StatusError(invalidStatus({ plural: 'scales', group: 'autoscaling', kind: 'Scale', name },
      [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`, field: 'spec.replicas' }]))
  }
  const base = live.object as unknown as JsonObject
  const candidate = candidateOf(ctx, { ...base, spec: { ...(isPlainObject(base['spec']) ? base['spec'] : {}), replicas } }, name)
  const c = await commit(ctx, live, candidate, true)
  sendJson(ctx.res, 200, JSON.stringify(scaleOf(c.object)))
}
