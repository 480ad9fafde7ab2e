/**
 * Server-side apply and field ownership. Each manager's owned fields live in
 * `metadata.managedFields` as `FieldsV1` sets. An apply merges the manager's configuration
 * into the live object, removes fields the manager owned before, no longer specifies and
 * nobody else owns, and fails with 409 when it would change a field another manager owns
 * (unless forced, which moves ownership). Other writes (create, update, patch) give the
 * writer ownership of what they changed, without conflicts, as the apiserver does.
 */
import { statusError } from './api-errors.ts'
import {
  diffFieldSets, emptyFieldSet, fieldSetOf, formatFieldPath, fromFieldsV1, isEmptyFieldSet, itemKeyElement,
  overlappingPaths, subtractFieldSets, toFieldsV1, unionFieldSets, valueElement, type FieldNode
} from './field-set.ts'
import { deepEqual, isPlainObject, type Json, type JsonObject } from './json.ts'
import { isAtomicMap, listTypeAt, SERVER_METADATA } from './list-schema.ts'

export interface ManagedFieldsEntry {
  manager: string
  operation: 'Apply' | 'Update'
  apiVersion: string
  time: string
  fieldsType: 'FieldsV1'
  fieldsV1: JsonObject
  subresource?: string
}

interface Owner { entry: ManagedFieldsEntry, set: FieldNode }

function ownersOf (object: JsonObject | undefined): Owner[] {
  const meta = object?.['metadata']
  const raw = isPlainObject(meta) ? meta['managedFields'] : undefined
  if (!Array.isArray(raw)) return []
  const out: Owner[] = []
  for (const e of raw) {
    if (!isPlainObject(e) || typeof e['manager'] !== 'string') continue
    const entry = e as unknown as ManagedFieldsEntry
    out.push({ entry, set: fromFieldsV1(entry.fieldsV1) })
  }
  return out
}

function sameIdentity (e: ManagedFieldsEntry, manager: string, operation: 'Apply' | 'Update', subresource: string | undefined): boolean {
  return e.manager === manager && e.operation === operation && e.subresource === subresource
}

function render (owners: Owner[]): ManagedFieldsEntry[] {
  return owners.filter((o) => !isEmptyFieldSet(o.set)).map((o) => o.entry)
}

function withSet (entry: ManagedFieldsEntry, set: FieldNode): Owner {
  return { entry: { ...entry, fieldsV1: toFieldsV1(set) }, set }
}

/** Merges an apply configuration into a live value following the list and map types. */
function mergeApplied (kind: string, live: Json | undefined, config: Json, path: string[]): Json {
  if (isPlainObject(config) && !isAtomicMap(kind, path)) {
    const out: JsonObject = isPlainObject(live) ? { ...live } : {}
    for (const [k, v] of Object.entries(config)) {
      if (v === null) continue
      if (path.length === 0 && k === 'status') continue
      if (path.length === 1 && path[0] === 'metadata' && SERVER_METADATA.has(k)) continue
      out[k] = mergeApplied(kind, out[k], v, [...path, k])
    }
    return out
  }
  if (Array.isArray(config)) {
    const lt = listTypeAt(kind, path)
    if (lt.type === 'map' && Array.isArray(live) && live.every(isPlainObject) && config.every(isPlainObject)) {
      // The configuration's order wins (env order matters); live-only items keep their place between them.
      const liveItems = live as JsonObject[]
      const key = (item: JsonObject): string => itemKeyElement(item, lt.keys, lt.defaults)
      const liveIndex = new Map(liveItems.map((item, i) => [key(item), i]))
      const configKeys = new Set((config as JsonObject[]).map(key))
      const out: JsonObject[] = []
      let next = 0
      const flushLiveOnly = (until: number): void => {
        for (; next < until; next++) {
          const item = liveItems[next] as JsonObject
          if (!configKeys.has(key(item))) out.push(item)
        }
      }
      for (const item of config as JsonObject[]) {
        const i = liveIndex.get(key(item))
        if (i === undefined) { out.push(structuredClone(item)); continue }
        if (i >= next) flushLiveOnly(i)
        next = Math.max(next, i + 1)
        out.push(mergeApplied(kind, liveItems[i], item, path) as JsonObject)
      }
      flushLiveOnly(liveItems.length)
      return out
    }
    if (lt.type === 'set' && Array.isArray(live)) return [...live, ...config.filter((v) => !live.some((l) => deepEqual(l, v)))]
    return structuredClone(config)
  }
  return config
}

/** Removes the paths of `set` from `value` (mutates: call on a fresh merge result only). */
function removePaths (kind: string, value: Json, set: FieldNode, path: string[], config: FieldNode | undefined): void {
  if (isPlainObject(value)) {
    for (const [el, node] of set.children) {
      if (!el.startsWith('f:')) continue
      const key = el.slice(2)
      if (!Object.hasOwn(value, key)) continue
      if (node.self) { delete value[key]; continue }
      const inner = value[key] as Json
      const stillSpecified = config?.children.get(el)
      removePaths(kind, inner, node, [...path, key], stillSpecified)
      // A map or list emptied by the removal goes too, unless the configuration still names it.
      const emptied = (isPlainObject(inner) && Object.keys(inner).length === 0) || (Array.isArray(inner) && inner.length === 0)
      if (emptied && stillSpecified === undefined) delete value[key]
    }
    return
  }
  if (Array.isArray(value)) {
    const lt = listTypeAt(kind, path)
    for (const [el, node] of set.children) {
      const idx = value.findIndex((item) =>
        lt.type === 'map' && isPlainObject(item) ? itemKeyElement(item, lt.keys, lt.defaults) === el : valueElement(item) === el)
      if (idx < 0) continue
      if (node.self) value.splice(idx, 1)
      else removePaths(kind, value[idx] as Json, node, path, config?.children.get(el))
    }
  }
}

/**
 * Drops from `dropped` the paths the configuration still reaches into: a field owned as a
 * whole before (say an empty list) and now specified item by item must stay.
 */
function uncovered (dropped: FieldNode, config: FieldNode | undefined): FieldNode {
  if (config === undefined) return dropped
  const out: FieldNode = { self: dropped.self && config.children.size === 0 && !config.self, children: new Map() }
  for (const [k, v] of dropped.children) {
    const rest = uncovered(v, config.children.get(k))
    if (!isEmptyFieldSet(rest)) out.children.set(k, rest)
  }
  return out
}

function setOfPaths (paths: string[][]): FieldNode {
  const root = emptyFieldSet()
  for (const p of paths) {
    let n = root
    for (const el of p) {
      let c = n.children.get(el)
      if (c === undefined) { c = emptyFieldSet(); n.children.set(el, c) }
      n = c
    }
    n.self = true
  }
  return root
}

export interface ApplyInput {
  kind: string
  apiVersion: string
  /** The live object, or undefined when the apply creates it. */
  live: JsonObject | undefined
  /** The apply configuration (the body of an `application/apply-patch+yaml` request). */
  config: JsonObject
  manager: string
  force: boolean
  /** RFC 3339 time for the manager's entry. */
  now: string
}

function describeManager (e: ManagedFieldsEntry): string {
  return e.operation === 'Apply' ? `"${e.manager}"` : `"${e.manager}" using ${e.apiVersion}`
}

/**
 * Computes the object an apply produces, with its managedFields. Throws a 409 Conflict
 * Status listing each conflicting field and its owner when not forced.
 */
export function serverSideApply (input: ApplyInput): JsonObject {
  const { kind, live, config, manager } = input
  const owners = ownersOf(live)
  const mine = owners.find((o) => sameIdentity(o.entry, manager, 'Apply', undefined))
  const others = owners.filter((o) => o !== mine)
  const configSet = fieldSetOf(kind, config)
  const othersSet = others.reduce((acc, o) => unionFieldSets(acc, o.set), emptyFieldSet())

  const merged = mergeApplied(kind, live, config, []) as JsonObject
  if (mine !== undefined) {
    const dropped = uncovered(subtractFieldSets(subtractFieldSets(mine.set, configSet), othersSet), configSet)
    if (!isEmptyFieldSet(dropped)) removePaths(kind, merged, dropped, [], configSet)
  }

  const { changed, removed } = diffFieldSets(kind, live, merged)
  const changes = unionFieldSets(changed, removed)
  const conflicts: Array<{ owner: Owner, paths: string[][] }> = []
  for (const o of others) {
    const paths = overlappingPaths(o.set, changes)
    if (paths.length > 0) conflicts.push({ owner: o, paths })
  }
  if (conflicts.length > 0 && !input.force) {
    const causes = conflicts.flatMap((c) => c.paths.map((p) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with ${describeManager(c.owner.entry)}`,
      field: formatFieldPath(p)
    })))
    const lines = causes.map((c) => `${c.message}: ${c.field}`)
    const n = causes.length
    throw statusError(409, 'Conflict', `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${lines.join('\n')}`, { causes })
  }

  const next: Owner[] = []
  for (const o of owners) {
    if (o === mine) {
      // An apply that changes nothing keeps its entry (and its time), so it commits nothing.
      const unchanged = o.entry.apiVersion === input.apiVersion && deepEqual(o.entry.fieldsV1, toFieldsV1(configSet))
      next.push(unchanged ? o : withSet({ ...o.entry, apiVersion: input.apiVersion, time: input.now }, configSet))
      continue
    }
    const lost = conflicts.find((c) => c.owner === o)
    next.push(lost === undefined ? o : withSet(o.entry, subtractFieldSets(o.set, setOfPaths(lost.paths))))
  }
  if (mine === undefined) {
    next.unshift(withSet({ manager, operation: 'Apply', apiVersion: input.apiVersion, time: input.now, fieldsType: 'FieldsV1', fieldsV1: {} }, configSet))
  }
  const metadata = isPlainObject(merged['metadata']) ? merged['metadata'] : {}
  merged['metadata'] = { ...metadata, managedFields: render(next) as unknown as Json }
  return merged
}

export interface UpdateInput {
  kind: string
  apiVersion: string
  before: JsonObject | undefined
  after: JsonObject
  manager: string
  now: string
}

/**
 * The managedFields after a non-apply write: the writer takes the fields it changed, and
 * nobody keeps fields that changed or disappeared. Unchanged objects keep their entries.
 */
export function trackUpdate (input: UpdateInput): ManagedFieldsEntry[] {
  const owners = ownersOf(input.before)
  const { changed, removed } = diffFieldSets(input.kind, input.before, input.after)
  if (isEmptyFieldSet(changed) && isEmptyFieldSet(removed)) return render(owners)
  const touched = unionFieldSets(changed, removed)
  const next: Owner[] = []
  let mine: Owner | undefined
  let mineIndex = -1
  for (const o of owners) {
    if (sameIdentity(o.entry, input.manager, 'Update', undefined)) {
      mine = o
      mineIndex = next.length
      next.push(o)
      continue
    }
    next.push(overlappingPaths(o.set, touched).length === 0 ? o : withSet(o.entry, subtractFieldSets(o.set, touched)))
  }
  const mySet = unionFieldSets(mine === undefined ? emptyFieldSet() : subtractFieldSets(mine.set, removed), changed)
  const entry = withSet({ manager: input.manager, operation: 'Update', apiVersion: input.apiVersion, time: input.now, fieldsType: 'FieldsV1', fieldsV1: {} }, mySet)
  if (mineIndex >= 0) next[mineIndex] = entry
  else next.push(entry)
  return render(next)
}
