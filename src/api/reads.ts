/**
 * get and list: objects come from the object tracker (rendered from the global view,
 * with this site's local-only records only for roles that may read them), filtered by
 * namespace, label and field selectors, paged with limit/continue, and answered as
 * objects, partial metadata or a Table as the client asked.
 */
import type { ServerResponse } from 'node:http'
import type { KubeObject } from '../model/kube.ts'
import { readsLocalOnly, type Identity } from './auth.ts'
import { sendJson } from './http.ts'
import {
  badRequest, matchesFields, matchesLabels, notFound, parseFieldSelector, parseLabelSelector, type FieldSelector, type LabelSelector, type Representation
} from '../k8s/index.ts'
import type { ObjectTracker, TrackedObject } from './object-tracker.ts'
import { apiVersionOf, type ApiResource } from './resources.ts'
import { includeObjectOf, toTable, type LiveFacts } from './tables.ts'

export interface ReadContext {
  res: ServerResponse
  who: Identity
  resource: ApiResource
  namespace: string | undefined
  query: URLSearchParams
  as: Representation
  tracker: ObjectTracker
  /** Wall clock (ms), for ages. */
  now: () => number
  live: LiveFacts
  /** Adds request-time facts to an object (a site's liveness). */
  decorate: (o: KubeObject) => KubeObject
}

export function visibleTo (who: Identity, t: TrackedObject): boolean {
  return !t.localOnly || readsLocalOnly(who.role)
}

export interface Selectors { labels: LabelSelector, fields: FieldSelector }

export function selectorsOf (resource: ApiResource, q: URLSearchParams): Selectors {
  return { labels: parseLabelSelector(q.get('labelSelector') ?? undefined), fields: parseFieldSelector(q.get('fieldSelector') ?? undefined, resource.kind) }
}

export function matches (sel: Selectors, o: KubeObject): boolean {
  return matchesLabels(sel.labels, o.metadata.labels) && matchesFields(sel.fields, o)
}

/** The visible object or a 404 naming it. */
export function visibleObject (ctx: Pick<ReadContext, 'tracker' | 'who' | 'resource' | 'namespace'>, name: string): TrackedObject {
  const t = ctx.tracker.get(ctx.resource, ctx.namespace, name)
  if (t === undefined || !visibleTo(ctx.who, t)) throw notFound({ kind: ctx.resource.plural, group: ctx.resource.group }, name)
  return t
}

function partial (o: KubeObject): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata }
}

/** Sends one object in the representation asked for. */
export function sendObject (ctx: ReadContext, code: number, object: KubeObject, json?: string): void {
  if (ctx.as === 'table') {
    sendJson(ctx.res, code, JSON.stringify(toTable(ctx.resource, [object], ctx.now(), includeObjectOf(ctx.query), { resourceVersion: object.metadata.resourceVersion }, ctx.live)))
  } else if (ctx.as === 'metadata') {
    sendJson(ctx.res, code, JSON.stringify(partial(object)))
  } else {
    sendJson(ctx.res, code, json ?? JSON.stringify(object))
  }
}

export function getObject (ctx: ReadContext, name: string): void {
  const t = visibleObject(ctx, name)
  const decorated = ctx.decorate(t.object)
  sendObject(ctx, 200, decorated, decorated === t.object ? ctx.tracker.json(t) : undefined)
}

function encodeContinue (key: string): string {
  return Buffer.from(JSON.stringify({ v: 1, k: key })).toString('base64url')
}

function decodeContinue (token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: number, k?: unknown }
    if (parsed.v === 1 && typeof parsed.k === 'string') return parsed.k
  } catch { /* reported below */ }
  throw badRequest('continue key is not valid: list again without it')
}

const sortKey = (t: TrackedObject): string => `${t.namespace ?? ''}/${t.name}`

function limitOf (q: URLSearchParams): number | undefined {
  const v = q.get('limit')
  if (v === null || v === '') return undefined
  if (!/^\d+$/.test(v)) throw badRequest(`limit: Invalid value: "${v}": must be a non-negative integer`)
  return Number(v)
}

export function listObjects (ctx: ReadContext): void {
  const sel = selectorsOf(ctx.resource, ctx.query)
  const everything = sel.labels.length === 0 && sel.fields.length === 0
  const all = ctx.tracker.list(ctx.resource, ctx.namespace).filter((t) => visibleTo(ctx.who, t) && (everything || matches(sel, t.object)))
  let items = all
  const token = ctx.query.get('continue')
  if (token !== null && token !== '') {
    const after = decodeContinue(token)
    const start = items.findIndex((t) => sortKey(t) > after)
    items = start < 0 ? [] : items.slice(start)
  }
  const meta: { resourceVersion: string, continue?: string, remainingItemCount?: number } = { resourceVersion: String(ctx.tracker.version()) }
  const limit = limitOf(ctx.query)
  if (limit !== undefined && limit > 0 && items.length > limit) {
    meta.remainingItemCount = items.length - limit
    items = items.slice(0, limit)
    meta.continue = encodeContinue(sortKey(items[limit - 1] as TrackedObject))
  }
  if (ctx.as === 'table') {
    sendJson(ctx.res, 200, JSON.stringify(toTable(ctx.resource, items.map((t) => ctx.decorate(t.object)), ctx.now(), includeObjectOf(ctx.query), meta, ctx.live)))
    return
  }
  if (ctx.as === 'metadata') {
    sendJson(ctx.res, 200, JSON.stringify({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: meta, items: items.map((t) => partial(t.object)) }))
    return
  }
  const encoded = items.map((t) => {
    const d = ctx.decorate(t.object)
    return d === t.object ? ctx.tracker.json(t) : JSON.stringify(d)
  })
  sendJson(ctx.res, 200, `{"kind":${JSON.stringify(ctx.resource.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(ctx.resource))},"metadata":${JSON.stringify(meta)},"items":[${encoded.join(',')}]}`)
}
