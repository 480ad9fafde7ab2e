/**
 * Serves resource paths over the model's API verbs: maps method, path and query to
 * get/list/watch/create/update/patch/delete/deletecollection and the status and scale
 * subresources, the Content-Type of a PATCH to its patch type, and the Accept header to
 * objects, Tables or partial metadata. Lists are assembled from cached per-object JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { KubeObject } from '../../../src/model/kube.ts'
import { badRequest, methodNotAllowed, statusError } from '../../../src/k8s/api-errors.ts'
import type { ClusterModel } from '../model/cluster-model.ts'
import { isPlainObject } from '../../../src/k8s/json.ts'
import type { DeleteOptions, PatchType, PropagationPolicy, Scope, Subresource } from '../model/kube-api-types.ts'
import { apiVersionOf, type ResourceType } from '../model/resource-types.ts'
import { decodeBody, mediaType, objectJson, readBody, representationOf, sendJson, type Representation } from '../../../src/k8s/http-io.ts'
import { toTable, type IncludeObject } from './table.ts'
import { serveWatch, type WatchSettings } from './watch-stream.ts'

export interface ResourceRequest {
  resource: ResourceType
  namespace: string | undefined
  name: string | undefined
  subresource: string | undefined
  watchPath: boolean
}

export interface ResourceHandlerOptions {
  model: ClusterModel
  maxBodyBytes: number
  watch: WatchSettings
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply'
}

function flag (q: URLSearchParams, name: string): boolean {
  const v = q.get(name)
  return v === 'true' || v === '1'
}

function intParam (q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name)
  if (v === null || v === '') return undefined
  if (!/^\d+$/.test(v)) throw badRequest(`${name}: Invalid value: "${v}": must be a non-negative integer`)
  return Number(v)
}

function dryRunOf (q: URLSearchParams): boolean {
  const values = q.getAll('dryRun')
  for (const v of values) if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`)
  return values.length > 0
}

function includeOf (q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject')
  return v === 'None' || v === 'Object' ? v : 'Metadata'
}

/** The default field manager: the user agent up to its first "/" (e.g. `kubectl`), as the apiserver derives it. */
function managerFrom (q: URLSearchParams, req: IncomingMessage): string | undefined {
  const explicit = q.get('fieldManager')
  if (explicit !== null && explicit !== '') return explicit
  const ua = req.headers['user-agent']
  if (ua === undefined || ua === '') return undefined
  return ua.split('/')[0]?.trim().slice(0, 128)
}

function partialMetadata (o: KubeObject): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata }
}

function render (o: KubeObject, as: Representation, model: ClusterModel, q: URLSearchParams): string {
  if (as === 'table') return JSON.stringify(toTable(o.kind, [o], model.clock.wallMs(), includeOf(q), { resourceVersion: o.metadata.resourceVersion }))
  if (as === 'metadata') return JSON.stringify(partialMetadata(o))
  return objectJson(o)
}

function deleteOptionsOf (body: unknown, q: URLSearchParams): DeleteOptions {
  const o: DeleteOptions = {}
  const b = isPlainObject(body) ? body : {}
  const policy = (b['propagationPolicy'] ?? q.get('propagationPolicy') ?? undefined) as string | undefined
  if (policy !== undefined) {
    if (policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
      throw badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`)
    }
    o.propagationPolicy = policy as PropagationPolicy
  } else if (b['orphanDependents'] === true || q.get('orphanDependents') === 'true') {
    o.propagationPolicy = 'Orphan'
  }
  const pre = b['preconditions']
  if (isPlainObject(pre)) {
    o.preconditions = {}
    if (typeof pre['uid'] === 'string') o.preconditions.uid = pre['uid']
    if (typeof pre['resourceVersion'] === 'string') o.preconditions.resourceVersion = pre['resourceVersion']
  }
  const dry = b['dryRun']
  if (dryRunOf(q) || (Array.isArray(dry) && dry.includes('All'))) o.dryRun = true
  return o
}

export function createResourceHandler (options: ResourceHandlerOptions): (req: IncomingMessage, res: ServerResponse, r: ResourceRequest, q: URLSearchParams) => Promise<void> {
  const { model } = options
  const api = model.api

  function listJson (r: ResourceType, items: readonly KubeObject[], meta: { resourceVersion: string, continue?: string, remainingItemCount?: number }): string {
    const metadata: Record<string, unknown> = { resourceVersion: meta.resourceVersion }
    if (meta.continue !== undefined) metadata['continue'] = meta.continue
    if (meta.remainingItemCount !== undefined) metadata['remainingItemCount'] = meta.remainingItemCount
    return `{"kind":${JSON.stringify(r.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(r))},"metadata":${JSON.stringify(metadata)},"items":[${items.map(objectJson).join(',')}]}`
  }

  return async function handle (req, res, r, q) {
    const method = req.method ?? 'GET'
    const scope: Scope = { resource: r.resource, namespace: r.namespace }
    const as = representationOf(req.headers.accept)
    const sub = r.subresource
    if (sub !== undefined && sub !== 'status' && !(sub === 'scale' && r.resource.scaleSubresource) && !(sub === 'finalize' && r.resource.kind === 'Namespace')) {
      throw statusError(404, 'NotFound', 'the server could not find the requested resource')
    }
    const subresource: Subresource | undefined = sub === 'scale' ? 'scale' : sub === undefined ? undefined : 'status'
    if (r.name !== undefined && r.resource.namespaced && r.namespace === undefined) {
      throw statusError(404, 'NotFound', 'the server could not find the requested resource')
    }
    const needsBody = method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE'
    const contentType = req.headers['content-type'] ?? 'application/json'
    const body = needsBody ? decodeBody(await readBody(req, options.maxBodyBytes), contentType) : undefined
    const manager = managerFrom(q, req)
    const dryRun = method === 'DELETE' ? false : dryRunOf(q)
    const write = { ...(manager === undefined ? {} : { fieldManager: manager }), dryRun }

    if (r.name === undefined) {
      switch (method) {
        case 'GET': {
          if (r.watchPath || flag(q, 'watch')) {
            serveWatch(req, res, model, scope, q, as, options.watch)
            return
          }
          const list = api.list(scope, {
            labelSelector: q.get('labelSelector') ?? undefined,
            fieldSelector: q.get('fieldSelector') ?? undefined,
            limit: intParam(q, 'limit'),
            continue: q.get('continue') ?? undefined
          })
          const meta = { resourceVersion: list.resourceVersion, ...(list.continue === undefined ? {} : { continue: list.continue, remainingItemCount: list.remainingItemCount }) }
          if (as === 'table') sendJson(res, 200, JSON.stringify(toTable(r.resource.kind, list.items, model.clock.wallMs(), includeOf(q), meta)))
          else if (as === 'metadata') sendJson(res, 200, JSON.stringify({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: meta, items: list.items.map(partialMetadata) }))
          else sendJson(res, 200, listJson(r.resource, list.items, meta))
          return
        }
        case 'POST': {
          const created = api.create(scope, body, write)
          sendJson(res, 201, render(created, as, model, q))
          return
        }
        case 'DELETE': {
          const deleted = api.deleteCollection(scope, { labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined }, deleteOptionsOf(body, q))
          sendJson(res, 200, listJson(r.resource, deleted, { resourceVersion: String(model.store.resourceVersion()) }))
          return
        }
        default:
          throw methodNotAllowed(`the server does not allow this method on the requested resource`)
      }
    }

    const name = r.name
    switch (method) {
      case 'GET': {
        if (r.watchPath || flag(q, 'watch')) {
          const fs = q.get('fieldSelector')
          q.set('fieldSelector', fs === null || fs === '' ? `metadata.name=${name}` : `${fs},metadata.name=${name}`)
          serveWatch(req, res, model, scope, q, as, options.watch)
          return
        }
        if (subresource === 'scale') { sendJson(res, 200, objectJson(api.getScale(scope, name))); return }
        sendJson(res, 200, render(api.get(scope, name), as, model, q))
        return
      }
      case 'PUT': {
        const updated = api.update(scope, name, body, { ...write, ...(subresource === undefined ? {} : { subresource }) })
        sendJson(res, 200, subresource === 'scale' ? objectJson(updated) : render(updated, as, model, q))
        return
      }
      case 'PATCH': {
        const type = PATCH_TYPES[mediaType(contentType)]
        if (type === undefined) {
          throw statusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`)
        }
        const force = q.get('force')
        const { object, created } = api.patch(scope, name, type, body, {
          ...write,
          ...(subresource === undefined ? {} : { subresource }),
          ...(force === null ? {} : { force: force === 'true' || force === '1' })
        })
        sendJson(res, created ? 201 : 200, subresource === 'scale' ? objectJson(object) : render(object, as, model, q))
        return
      }
      case 'DELETE': {
        if (subresource !== undefined) throw methodNotAllowed('the server does not allow this method on the requested resource')
        // A deletion answers with the deleted object (202 while finalizers hold it), as for most kinds.
        const { object, pending } = api.delete(scope, name, deleteOptionsOf(body, q))
        sendJson(res, pending ? 202 : 200, render(object, as, model, q))
        return
      }
      default:
        throw methodNotAllowed(`the server does not allow this method on the requested resource`)
    }
  }
}
