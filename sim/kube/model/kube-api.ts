/**
 * The Kubernetes API verbs over the object store, independent of HTTP: get, list, watch,
 * create, update, patch (JSON, merge, strategic, server-side apply), delete and
 * deletecollection, plus the status and scale subresources. Each write runs the
 * apiserver's pipeline — identity and server-owned metadata, defaulting, admission,
 * validation (422), optimistic concurrency (409), generation, managedFields — and
 * no-op writes commit nothing. Errors are `KubeApiError`s carrying a real Status.
 * The HTTP server is a thin layer over this; the simulator can call it directly.
 */
import type { KubeObject } from '../../../src/model/kube.ts'
import {
  alreadyExists, badRequest, expired, invalid, notFound, staleConflict, statusError
} from '../../../src/k8s/api-errors.ts'
import { applyDefaults } from './defaults.ts'
import { matchesFields, parseFieldSelector, pinnedName, type FieldSelector } from '../../../src/k8s/field-selector.ts'
import { applyJsonPatch } from '../../../src/k8s/json-patch.ts'
import { deepEqual, isPlainObject, type Json, type JsonObject } from '../../../src/k8s/json.ts'
import { formatLabelSelector, fromStructured, matchesLabels, parseLabelSelector, type LabelSelector, type StructuredSelector } from '../../../src/k8s/label-selector.ts'
import { applyMergePatch } from '../../../src/k8s/merge-patch.ts'
import type { StoreEvent } from './object-store.ts'
import { ownerRefsOf } from './owner-index.ts'
import { qosClass } from './pod-template.ts'
import { apiVersionOf, RESOURCE_TYPES, resourceByPlural, type ResourceType } from './resource-types.ts'
import { serverSideApply, trackUpdate } from '../../../src/k8s/server-side-apply.ts'
import { applyStrategicMergePatch } from '../../../src/k8s/strategic-merge-patch.ts'
import { validateObject } from '../../../src/k8s/validation.ts'
import type { KubeApi, KubeApiDeps, ListResult, PropagationPolicy, Scope, WatchHandle, WriteOptions } from './kube-api-types.ts'
import { asObject, bySortKey, canonicalOrder, decodeContinue, encodeContinue, metaOf, sortKey, specPart, subject, withoutVolatile } from './object-shape.ts'

const NAMESPACES = RESOURCE_TYPES.find((r) => r.kind === 'Namespace') as ResourceType

export function createKubeApi (deps: KubeApiDeps): KubeApi {
  const { store, naming, owners } = deps
  type Watcher = (e: StoreEvent) => void
  const watchers = new Map<ResourceType, Set<Watcher>>()

  store.onCommit((e) => {
    const set = watchers.get(e.resource)
    if (set !== undefined) for (const w of set) w(e)
  })

  function requireNamespace (scope: Scope): void {
    if (!scope.resource.namespaced) return
    const ns = scope.namespace
    if (ns === undefined) throw badRequest('a namespace is required for this request')
    const found = store.get(NAMESPACES, undefined, ns)
    if (found === undefined) throw notFound(subject(NAMESPACES), ns)
    if (found.metadata.deletionTimestamp !== undefined) {
      throw statusError(403, 'Forbidden', `${scope.resource.plural} is forbidden: unable to create new content in namespace ${ns} because it is being terminated`)
    }
  }

  function mustGet (scope: Scope, name: string): KubeObject {
    const o = store.get(scope.resource, scope.namespace, name)
    if (o === undefined) throw notFound(subject(scope.resource), name)
    return o
  }

  /** Checks apiVersion/kind/name/namespace of a body against the request. */
  function checkIdentity (scope: Scope, body: JsonObject, name: string | undefined): void {
    const r = scope.resource
    const want = apiVersionOf(r)
    const apiVersion = body['apiVersion']
    const kind = body['kind']
    if (apiVersion !== undefined && apiVersion !== want) throw badRequest(`the API version in the data (${String(apiVersion)}) does not match the expected API version (${want})`)
    if (kind !== undefined && kind !== r.kind) throw badRequest(`the kind in the data (${String(kind)}) does not match the expected kind (${r.kind})`)
    const meta = metaOf(body)
    if (name !== undefined && meta['name'] !== undefined && meta['name'] !== name) {
      throw badRequest(`the name of the object (${String(meta['name'])}) does not match the name on the URL (${name})`)
    }
    if (r.namespaced && meta['namespace'] !== undefined && meta['namespace'] !== '' && meta['namespace'] !== scope.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
    }
  }

  /** Builds the candidate object with server-owned identity and metadata. */
  function identify (scope: Scope, body: JsonObject, old: KubeObject | undefined, name: string): JsonObject {
    const r = scope.resource
    const candidate = structuredClone(body)
    const meta: JsonObject = { ...metaOf(candidate) }
    meta['name'] = name
    if (r.namespaced) meta['namespace'] = scope.namespace as string
    else delete meta['namespace']
    delete meta['resourceVersion']
    delete meta['selfLink']
    if (old === undefined) {
      meta['uid'] = naming.uid()
      meta['creationTimestamp'] = naming.now()
      delete meta['deletionTimestamp']
      delete meta['deletionGracePeriodSeconds']
      if (r.generation) meta['generation'] = 1
      else delete meta['generation']
    } else {
      meta['uid'] = old.metadata.uid as string
      meta['creationTimestamp'] = old.metadata.creationTimestamp as string
      if (old.metadata.deletionTimestamp !== undefined) {
        meta['deletionTimestamp'] = old.metadata.deletionTimestamp as Json
        meta['deletionGracePeriodSeconds'] = (old.metadata['deletionGracePeriodSeconds'] ?? 0) as Json
      } else {
        delete meta['deletionTimestamp']
        delete meta['deletionGracePeriodSeconds']
      }
      if (r.generation) meta['generation'] = old.metadata.generation ?? 1
      else delete meta['generation']
    }
    candidate['metadata'] = meta
    candidate['apiVersion'] = apiVersionOf(r)
    candidate['kind'] = r.kind
    return candidate
  }

  function reallyDelete (resource: ResourceType, object: KubeObject, policy: PropagationPolicy): KubeObject {
    const uid = object.metadata.uid
    if (resource === NAMESPACES) {
      for (const r of RESOURCE_TYPES) {
        if (!r.namespaced) continue
        for (const o of store.list(r, object.metadata.name)) reallyDelete(r, o, 'Background')
      }
    }
    if (uid !== undefined) {
      for (const dep of owners.dependentEntries(uid)) {
        const current = store.get(dep.resource, dep.object.metadata.namespace, dep.object.metadata.name)
        if (current === undefined) continue
        if (policy === 'Orphan') {
          const refs = ownerRefsOf(current).filter((ref) => ref.uid !== uid)
          const meta = { ...current.metadata }
          if (refs.length === 0) delete meta.ownerReferences
          else meta.ownerReferences = refs
          store.put(dep.resource, { ...current, metadata: meta })
        } else {
          reallyDelete(dep.resource, current, 'Background')
        }
      }
    }
    return store.remove(resource, object)
  }

  function manager (options: WriteOptions | undefined): string {
    const m = options?.fieldManager
    if (m !== undefined && m.length > 128) throw invalid('PatchOptions', 'meta.k8s.io', '', [{ reason: 'FieldValueTooLong', message: 'Too long: may not be longer than 128', field: 'fieldManager' }])
    return m === undefined || m === '' ? 'unknown' : m
  }

  /** The common tail of every write: defaults, admission, validation, generation, managedFields, commit. */
  function commit (scope: Scope, old: KubeObject | undefined, candidate: JsonObject, options: WriteOptions | undefined, trackFields: boolean): KubeObject {
    const r = scope.resource
    applyDefaults(r.kind, candidate)
    deps.hooks?.admit?.(r, candidate, old)
    const causes = validateObject(r.kind, candidate, old as JsonObject | undefined)
    if (causes.length > 0) throw invalid(r.kind, r.group, String(metaOf(candidate)['name'] ?? ''), causes)
    const meta = metaOf(candidate)
    if (old !== undefined && r.generation && !deepEqual(specPart(old), specPart(candidate))) {
      meta['generation'] = (old.metadata.generation ?? 1) + 1
    }
    if (trackFields) {
      const entries = trackUpdate({
        kind: r.kind, apiVersion: apiVersionOf(r), before: old as JsonObject | undefined, after: candidate, manager: manager(options), now: naming.now()
      })
      if (entries.length > 0) meta['managedFields'] = entries as unknown as Json
      else delete meta['managedFields']
    }
    if (old !== undefined && deepEqual(withoutVolatile(old), withoutVolatile(candidate))) return old
    if (options?.dryRun === true) {
      return { ...(candidate as unknown as KubeObject), metadata: { ...(meta as KubeObject['metadata']), resourceVersion: old?.metadata.resourceVersion ?? '' } }
    }
    const finalizers = meta['finalizers']
    if (old !== undefined && old.metadata.deletionTimestamp !== undefined && (!Array.isArray(finalizers) || finalizers.length === 0)) {
      return reallyDelete(r, candidate as unknown as KubeObject, 'Background')
    }
    return store.put(r, canonicalOrder(candidate) as unknown as KubeObject)
  }

  function initialStatus (r: ResourceType, candidate: JsonObject, old: KubeObject | undefined): Json | undefined {
    if (old !== undefined) return old.status as Json | undefined
    if (r.kind === 'Pod') return { phase: 'Pending', qosClass: qosClass(isPlainObject(candidate['spec']) ? candidate['spec'] : {}) }
    return undefined
  }

  /** Keeps the status of main-resource writes to kinds with a status subresource. */
  function keepStatus (r: ResourceType, candidate: JsonObject, old: KubeObject | undefined): void {
    if (!r.statusSubresource) return
    const status = initialStatus(r, candidate, old)
    if (status === undefined) delete candidate['status']
    else candidate['status'] = status
  }

  /** For `/status` writes: everything but status comes from the stored object. */
  function statusOnly (old: KubeObject, written: JsonObject): JsonObject {
    const next = structuredClone(old) as unknown as JsonObject
    if (written['status'] === undefined) delete next['status']
    else next['status'] = written['status'] as Json
    return next
  }

  function scaleOf (r: ResourceType, o: KubeObject): KubeObject {
    const spec = (o.spec ?? {}) as JsonObject
    const status = (o.status ?? {}) as JsonObject
    const selector = isPlainObject(spec['selector']) ? formatLabelSelector(fromStructured(spec['selector'] as StructuredSelector)) : ''
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid,
        resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp
      },
      spec: { replicas: typeof spec['replicas'] === 'number' ? spec['replicas'] : 1 },
      status: { replicas: typeof status['replicas'] === 'number' ? status['replicas'] : 0, selector }
    }
  }

  function writeScale (scope: Scope, old: KubeObject, scale: JsonObject, options: WriteOptions | undefined): KubeObject {
    const rv = metaOf(scale)['resourceVersion']
    if (rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion) throw staleConflict(subject(scope.resource), old.metadata.name)
    const replicas = isPlainObject(scale['spec']) ? scale['spec']['replicas'] : undefined
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid('Scale', 'autoscaling', old.metadata.name, [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`, field: 'spec.replicas' }])
    }
    const candidate = structuredClone(old) as unknown as JsonObject
    candidate['spec'] = { ...(candidate['spec'] as JsonObject), replicas }
    const stored = commit(scope, old, candidate, options, true)
    return scaleOf(scope.resource, stored)
  }

  function selectorsOf (scope: Scope, label: string | undefined, field: string | undefined): { labels: LabelSelector, fields: FieldSelector } {
    return { labels: parseLabelSelector(label), fields: parseFieldSelector(field, scope.resource.kind) }
  }

  function matches (sel: { labels: LabelSelector, fields: FieldSelector }, o: KubeObject): boolean {
    return matchesLabels(sel.labels, o.metadata.labels) && matchesFields(sel.fields, o)
  }

  function candidates (scope: Scope, fields: FieldSelector): KubeObject[] {
    const name = pinnedName(fields)
    if (name !== undefined) {
      const ns = scope.resource.namespaced ? (scope.namespace ?? fields.find((f) => f.field === 'metadata.namespace' && !f.negate)?.value) : undefined
      if (!scope.resource.namespaced || ns !== undefined) {
        const one = store.get(scope.resource, ns, name)
        return one === undefined ? [] : [one]
      }
    }
    return store.list(scope.resource, scope.namespace)
  }

  const api: KubeApi = {
    get (scope, name) {
      return mustGet(scope, name)
    },

    list (scope, options = {}) {
      const sel = selectorsOf(scope, options.labelSelector, options.fieldSelector)
      const all = candidates(scope, sel.fields).filter((o) => matches(sel, o))
      all.sort(bySortKey)
      let items = all
      if (options.continue !== undefined && options.continue !== '') {
        const after = decodeContinue(options.continue)
        items = items.filter((o) => sortKey(o) > after)
      }
      const result: ListResult = { items, resourceVersion: String(store.resourceVersion()) }
      const limit = options.limit
      if (limit !== undefined && limit > 0 && items.length > limit) {
        result.items = items.slice(0, limit)
        result.continue = encodeContinue(sortKey(result.items[limit - 1] as KubeObject))
        result.remainingItemCount = items.length - limit
      }
      return result
    },

    create (scope, rawBody, options) {
      const body = asObject(rawBody, 'the request body')
      checkIdentity(scope, body, undefined)
      requireNamespace(scope)
      const meta = metaOf(body)
      let name = typeof meta['name'] === 'string' ? meta['name'] : ''
      if (name === '' && typeof meta['generateName'] === 'string' && meta['generateName'] !== '') {
        do name = `${meta['generateName']}${naming.suffix()}`
        while (store.get(scope.resource, scope.namespace, name) !== undefined)
      }
      if (name === '') {
        throw invalid(scope.resource.kind, scope.resource.group, '', [{ reason: 'FieldValueRequired', message: 'name or generateName is required', field: 'metadata.name' }])
      }
      if (store.get(scope.resource, scope.namespace, name) !== undefined) throw alreadyExists(subject(scope.resource), name)
      const candidate = identify(scope, body, undefined, name)
      delete (candidate['metadata'] as JsonObject)['managedFields']
      keepStatus(scope.resource, candidate, undefined)
      return commit(scope, undefined, candidate, options, true)
    },

    update (scope, name, rawBody, options = {}) {
      const body = asObject(rawBody, 'the request body')
      const old = mustGet(scope, name)
      if (options.subresource === 'scale') return writeScale(scope, old, body, options)
      checkIdentity(scope, body, name)
      const rv = metaOf(body)['resourceVersion']
      if (rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion) throw staleConflict(subject(scope.resource), name)
      if (options.subresource === 'status') return commit(scope, old, statusOnly(old, body), options, false)
      const candidate = identify(scope, body, old, name)
      keepStatus(scope.resource, candidate, old)
      return commit(scope, old, candidate, options, true)
    },

    patch (scope, name, type, rawPatch, options = {}) {
      const r = scope.resource
      if (type === 'apply') {
        if (options.subresource !== undefined) throw badRequest('server-side apply to subresources is not supported by the emulator')
        const config = asObject(rawPatch, 'the apply configuration')
        if (options.fieldManager === undefined || options.fieldManager === '') {
          throw invalid('PatchOptions', 'meta.k8s.io', '', [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }])
        }
        if (config['apiVersion'] === undefined || config['kind'] === undefined) {
          throw badRequest('apiVersion and kind are required in an apply configuration')
        }
        checkIdentity(scope, config, name)
        const old = store.get(r, scope.namespace, name)
        const rv = metaOf(config)['resourceVersion']
        if (old !== undefined && rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion) throw staleConflict(subject(r), name)
        if (old === undefined) requireNamespace(scope)
        const merged = serverSideApply({
          kind: r.kind, apiVersion: apiVersionOf(r), live: old as JsonObject | undefined, config,
          manager: options.fieldManager, force: options.force === true, now: naming.now()
        })
        const candidate = identify(scope, merged, old, name)
        keepStatus(r, candidate, old)
        return { object: commit(scope, old, candidate, options, false), created: old === undefined }
      }
      if (options.force !== undefined) throw badRequest('force is not allowed for non-apply patch types')
      const old = mustGet(scope, name)
      const base = (options.subresource === 'scale' ? scaleOf(r, old) : old) as unknown as JsonObject
      let patched: Json
      if (type === 'json') patched = applyJsonPatch(base, rawPatch)
      else if (type === 'merge') patched = applyMergePatch(base, asObject(rawPatch, 'a merge patch'))
      else patched = applyStrategicMergePatch(options.subresource === 'scale' ? 'Scale' : r.kind, base, rawPatch as Json)
      const out = asObject(patched, 'the patched object')
      if (options.subresource === 'scale') return { object: writeScale(scope, old, out, options), created: false }
      const rv = metaOf(out)['resourceVersion']
      if (rv !== undefined && rv !== old.metadata.resourceVersion) throw staleConflict(subject(r), name)
      checkIdentity(scope, out, name)
      if (options.subresource === 'status') return { object: commit(scope, old, statusOnly(old, out), options, false), created: false }
      const candidate = identify(scope, out, old, name)
      keepStatus(r, candidate, old)
      return { object: commit(scope, old, candidate, options, true), created: false }
    },

    delete (scope, name, options = {}) {
      const r = scope.resource
      const old = mustGet(scope, name)
      const pre = options.preconditions
      if (pre?.uid !== undefined && pre.uid !== old.metadata.uid) {
        throw statusError(409, 'Conflict', `Operation cannot be fulfilled on ${r.group === '' ? r.plural : `${r.plural}.${r.group}`} "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid ?? ''}`, { name, group: r.group, kind: r.plural })
      }
      if (pre?.resourceVersion !== undefined && pre.resourceVersion !== old.metadata.resourceVersion) {
        throw statusError(409, 'Conflict', `Operation cannot be fulfilled on ${r.group === '' ? r.plural : `${r.plural}.${r.group}`} "${name}": Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion ?? ''}`, { name, group: r.group, kind: r.plural })
      }
      if (options.dryRun === true) return { object: old, pending: false }
      const finalizers = old.metadata['finalizers']
      if (Array.isArray(finalizers) && finalizers.length > 0) {
        if (old.metadata.deletionTimestamp !== undefined) return { object: old, pending: true }
        const marked = store.put(r, { ...old, metadata: { ...old.metadata, deletionTimestamp: naming.now(), deletionGracePeriodSeconds: 0 } })
        return { object: marked, pending: true }
      }
      return { object: reallyDelete(r, old, options.propagationPolicy ?? 'Background'), pending: false }
    },

    deleteCollection (scope, list, options = {}) {
      const { items } = api.list(scope, { ...list, limit: undefined, continue: undefined })
      return items.map((o) => api.delete({ resource: scope.resource, namespace: o.metadata.namespace }, o.metadata.name, options).object)
    },

    watch (scope, options, send) {
      const r = scope.resource
      const sel = selectorsOf(scope, options.labelSelector, options.fieldSelector)
      const inScope = (o: KubeObject): boolean => scope.namespace === undefined || !r.namespaced || o.metadata.namespace === scope.namespace
      const selected = (o: KubeObject | undefined): boolean => o !== undefined && inScope(o) && matches(sel, o)
      let ended = false
      const forward = (e: StoreEvent): void => {
        if (ended) return
        const now = e.type !== 'DELETED' && selected(e.object)
        const before = e.type !== 'ADDED' && selected(e.previous)
        if (e.type === 'DELETED') { if (before) send({ type: 'DELETED', object: e.object }) } else if (now && before) send({ type: 'MODIFIED', object: e.object })
        else if (now) send({ type: 'ADDED', object: e.object })
        // An object that stops matching the selector leaves the watch as a deletion.
        else if (before) send({ type: 'DELETED', object: e.object })
      }
      const bookmarkObject = (annotations?: Record<string, string>): KubeObject => ({
        apiVersion: apiVersionOf(r), kind: r.kind,
        metadata: { name: '', resourceVersion: String(store.resourceVersion()), ...(annotations === undefined ? {} : { annotations }) }
      })
      const handle: WatchHandle = {
        bookmark () { if (!ended && options.allowWatchBookmarks === true) send({ type: 'BOOKMARK', object: bookmarkObject() }) },
        stop () {
          ended = true
          watchers.get(r)?.delete(forward)
        },
        get ended () { return ended }
      }
      const subscribe = (): void => {
        let set = watchers.get(r)
        if (set === undefined) { set = new Set(); watchers.set(r, set) }
        set.add(forward)
      }
      const rv = options.resourceVersion
      const fromNow = rv === undefined || rv === '' || rv === '0'
      if (!fromNow && !/^\d+$/.test(rv)) {
        throw badRequest(`resourceVersion: Invalid value: "${rv}": must be a non-negative integer`)
      }
      if (!fromNow) {
        const events = store.history.since(Number(rv), r)
        if (events === undefined) {
          send({ type: 'ERROR', object: expired(Number(rv), store.history.compactedRv() + 1).status })
          ended = true
          return handle
        }
        // Synchronous: no commit can slip between the replay and the subscription.
        subscribe()
        for (const e of events) forward(e)
        return handle
      }
      subscribe()
      if (options.sendInitialEvents !== false) {
        const initial = candidates(scope, sel.fields).filter((o) => matches(sel, o)).sort(bySortKey)
        for (const o of initial) send({ type: 'ADDED', object: o })
      }
      if (options.sendInitialEvents === true && options.allowWatchBookmarks === true) {
        send({ type: 'BOOKMARK', object: bookmarkObject({ 'k8s.io/initial-events-end': 'true' }) })
      }
      return handle
    },

    getScale (scope, name) {
      if (!scope.resource.scaleSubresource) throw notFound(subject(scope.resource), name)
      return scaleOf(scope.resource, mustGet(scope, name))
    }
  }
  return api
}

/** Resolves `group/version/plural` to a served type or a 404 Status. */
export function resolveResource (group: string, version: string, plural: string): ResourceType {
  const r = resourceByPlural(group, version, plural)
  if (r === undefined) {
    throw statusError(404, 'NotFound', `the server could not find the requested resource`, { group, kind: plural })
  }
  return r
}
