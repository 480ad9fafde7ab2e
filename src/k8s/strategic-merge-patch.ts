/**
 * Strategic merge patch, the patch type kubectl uses by default: a JSON merge patch in
 * which associative lists (containers, ports, env, volumes, conditions... see
 * list-schema) merge item by item on their merge key instead of being replaced, and the
 * `$patch` (replace/delete), `$retainKeys`, `$setElementOrder/<field>` and
 * `$deleteFromPrimitiveList/<field>` directives are honoured. The original is never mutated.
 */
import { badRequest } from './api-errors.ts'
import { isPlainObject, deepEqual, type Json, type JsonObject } from './json.ts'
import { listTypeAt } from './list-schema.ts'

const SET_ORDER = '$setElementOrder/'
const DELETE_FROM = '$deleteFromPrimitiveList/'

/** Removes every `$`-directive from a value that is inserted as is. */
export function stripDirectives (value: Json): Json {
  if (Array.isArray(value)) return value.filter((v) => !(isPlainObject(v) && v['$patch'] !== undefined && Object.keys(v).length === 1)).map(stripDirectives)
  if (!isPlainObject(value)) return value
  const out: JsonObject = {}
  for (const [k, v] of Object.entries(value)) if (!k.startsWith('$')) out[k] = stripDirectives(v)
  return out
}

function mergeKeyValue (item: Json, key: string): Json | undefined {
  return isPlainObject(item) ? item[key] : undefined
}

function mergeMapList (kind: string, path: string[], original: Json[], patch: Json[], mergeKey: string): Json[] {
  if (patch.some((p) => isPlainObject(p) && p['$patch'] === 'replace')) {
    return patch.filter((p) => !(isPlainObject(p) && p['$patch'] === 'replace')).map(stripDirectives)
  }
  const out = [...original]
  for (const item of patch) {
    if (!isPlainObject(item)) throw badRequest(`strategic merge patch: list ${path.join('.')} expects objects keyed by "${mergeKey}"`)
    const key = item[mergeKey]
    const idx = key === undefined ? -1 : out.findIndex((o) => deepEqual(mergeKeyValue(o, mergeKey), key))
    if (item['$patch'] === 'delete') {
      if (idx >= 0) out.splice(idx, 1)
      continue
    }
    if (idx >= 0) {
      const merged = mergeMap(kind, path, out[idx] as JsonObject, item)
      if (merged === undefined) out.splice(idx, 1)
      else out[idx] = merged
    } else {
      out.push(stripDirectives(item))
    }
  }
  return out
}

function reorder (list: Json[], order: Json[], mergeKey: string | undefined): Json[] {
  const keyOf = (v: Json): string => JSON.stringify(mergeKey === undefined ? v : mergeKeyValue(v, mergeKey))
  const rank = new Map(order.map((o, i) => [keyOf(o), i]))
  const listed = list.filter((v) => rank.has(keyOf(v))).sort((a, b) => (rank.get(keyOf(a)) as number) - (rank.get(keyOf(b)) as number))
  return [...listed, ...list.filter((v) => !rank.has(keyOf(v)))]
}

function mergeMap (kind: string, path: string[], original: JsonObject, patch: JsonObject): JsonObject | undefined {
  const directive = patch['$patch']
  if (directive === 'delete') return undefined
  if (directive === 'replace') return stripDirectives(patch) as JsonObject
  const out: JsonObject = { ...original }
  const orders: Array<[string, Json[]]> = []
  const deletions: Array<[string, Json[]]> = []
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue
    if (key.startsWith(SET_ORDER)) { if (Array.isArray(value)) orders.push([key.slice(SET_ORDER.length), value]); continue }
    if (key.startsWith(DELETE_FROM)) { if (Array.isArray(value)) deletions.push([key.slice(DELETE_FROM.length), value]); continue }
    const childPath = [...path, key]
    if (value === null) {
      delete out[key]
    } else if (isPlainObject(value)) {
      const merged = mergeMap(kind, childPath, isPlainObject(out[key]) ? out[key] : {}, value)
      if (merged === undefined) delete out[key]
      else out[key] = merged
    } else if (Array.isArray(value)) {
      const listType = listTypeAt(kind, childPath)
      const current = Array.isArray(out[key]) ? out[key] : []
      if (listType.type === 'map') out[key] = mergeMapList(kind, childPath, current, value, listType.mergeKey)
      else if (listType.type === 'set') out[key] = [...current, ...value.filter((v) => !current.some((c) => deepEqual(c, v)))]
      else out[key] = stripDirectives(value)
    } else {
      out[key] = value
    }
  }
  for (const [field, values] of deletions) {
    const current = out[field]
    if (Array.isArray(current)) out[field] = current.filter((c) => !values.some((v) => deepEqual(c, v)))
  }
  for (const [field, order] of orders) {
    const current = out[field]
    if (!Array.isArray(current)) continue
    const listType = listTypeAt(kind, [...path, field])
    out[field] = reorder(current, order, listType.type === 'map' ? listType.mergeKey : undefined)
  }
  const retain = patch['$retainKeys']
  if (Array.isArray(retain)) {
    for (const key of Object.keys(out)) if (!retain.includes(key)) delete out[key]
  }
  return out
}

/** Applies a strategic merge patch to a copy of `original` (an object of `kind`). */
export function applyStrategicMergePatch (kind: string, original: JsonObject, patch: Json): JsonObject {
  if (!isPlainObject(patch)) throw badRequest('strategic merge patch must be a JSON object')
  return mergeMap(kind, [], original, patch) ?? {}
}
