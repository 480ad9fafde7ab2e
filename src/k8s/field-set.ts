/**
 * Field sets in the `FieldsV1` shape of `metadata.managedFields`: a tree of path elements
 * (`f:<field>`, `k:{<key fields>}` for associative-list items, `v:<value>` for set items),
 * where a node marked `self` means the path itself is in the set (serialised as `{}` for
 * a leaf or `".": {}` beside children). Server-side apply records what each manager owns
 * with these sets and computes changes and conflicts on them.
 */
import { deepEqual, isPlainObject, type Json, type JsonObject } from './json.ts'
import { isAtomicMap, listTypeAt, SERVER_METADATA } from './list-schema.ts'

export interface FieldNode {
  self: boolean
  children: Map<string, FieldNode>
}

export function emptyFieldSet (): FieldNode {
  return { self: false, children: new Map() }
}

export function isEmptyFieldSet (n: FieldNode): boolean {
  return !n.self && n.children.size === 0
}

function child (n: FieldNode, key: string): FieldNode {
  let c = n.children.get(key)
  if (c === undefined) { c = emptyFieldSet(); n.children.set(key, c) }
  return c
}

/** `k:{...}` for an associative-list item: its key fields (defaults filled in), sorted by name. */
export function itemKeyElement (item: JsonObject, keys: readonly string[], defaults: Readonly<Record<string, Json>>): string {
  const fields: JsonObject = {}
  for (const k of [...keys].sort()) {
    const v = item[k] ?? defaults[k]
    if (v !== undefined) fields[k] = v
  }
  return `k:${JSON.stringify(fields)}`
}

export function valueElement (value: Json): string {
  return `v:${JSON.stringify(value)}`
}

/** Whether a root-level or metadata field is identity or server-owned, so never in a set. */
function excluded (path: readonly string[], key: string): boolean {
  if (path.length === 0) return key === 'apiVersion' || key === 'kind' || key === 'status'
  if (path.length === 1 && path[0] === 'metadata') return key === 'name' || key === 'namespace' || SERVER_METADATA.has(key)
  return false
}

interface Walk { kind: string, path: string[] }

function addValue (node: FieldNode, value: Json, w: Walk, markMaps: boolean): void {
  if (isPlainObject(value) && !isAtomicMap(w.kind, w.path)) {
    const all = Object.keys(value)
    const keys = all.filter((k) => value[k] !== null && !excluded(w.path, k))
    // An empty map is a value of its own; a map whose keys are all identity fields is not.
    if (all.length === 0 || (markMaps && w.path.length > 0)) node.self = true
    for (const k of keys) addChild(node, `f:${k}`, value[k] as Json, { kind: w.kind, path: [...w.path, k] }, markMaps)
    return
  }
  if (Array.isArray(value)) {
    const lt = listTypeAt(w.kind, w.path)
    if (lt.type === 'map' && value.every(isPlainObject)) {
      for (const item of value as JsonObject[]) {
        const itemNode = child(node, itemKeyElement(item, lt.keys, lt.defaults))
        itemNode.self = true
        for (const k of Object.keys(item)) {
          if (item[k] !== null) addChild(itemNode, `f:${k}`, item[k] as Json, { kind: w.kind, path: [...w.path, k] }, markMaps)
        }
      }
      if (value.length === 0) node.self = true
      return
    }
    if (lt.type === 'set') {
      for (const v of value) child(node, valueElement(v)).self = true
      if (value.length === 0) node.self = true
      return
    }
  }
  node.self = true
}

/** Adds `value` under `node.children[key]`, leaving no empty node behind (an empty node would read as a leaf). */
function addChild (node: FieldNode, key: string, value: Json, w: Walk, markMaps: boolean): void {
  addValue(child(node, key), value, w, markMaps)
  prune(node, key)
}

/**
 * The set of fields an object (or an apply configuration) specifies: every leaf value,
 * every associative-list item, every set member; maps count only when empty.
 */
export function fieldSetOf (kind: string, object: JsonObject): FieldNode {
  const root = emptyFieldSet()
  addValue(root, object, { kind, path: [] }, false)
  root.self = false
  return root
}

export interface FieldDiff {
  /** Paths that exist in the new object and are new or hold a different value. */
  changed: FieldNode
  /** Paths that existed in the old object and are gone. */
  removed: FieldNode
}

function diffValues (a: Json | undefined, b: Json | undefined, changed: FieldNode, removed: FieldNode, w: Walk): void {
  if (a === undefined && b === undefined) return
  if (a === undefined) { addValue(changed, b as Json, w, true); return }
  if (b === undefined) { addValue(removed, a, w, true); return }
  if (isPlainObject(a) && isPlainObject(b) && !isAtomicMap(w.kind, w.path)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (excluded(w.path, k)) continue
      const av = a[k] ?? undefined
      const bv = b[k] ?? undefined
      if (av === undefined && bv === undefined) continue
      if (av !== undefined && bv !== undefined && av === bv) continue
      diffChild(av === null ? undefined : av, bv === null ? undefined : bv, changed, removed, `f:${k}`, { kind: w.kind, path: [...w.path, k] })
    }
    return
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const lt = listTypeAt(w.kind, w.path)
    if (lt.type === 'map' && a.every(isPlainObject) && b.every(isPlainObject)) {
      const before = new Map((a as JsonObject[]).map((i) => [itemKeyElement(i, lt.keys, lt.defaults), i]))
      const after = new Map((b as JsonObject[]).map((i) => [itemKeyElement(i, lt.keys, lt.defaults), i]))
      for (const [key, item] of after) {
        const old = before.get(key)
        if (old === undefined) {
          const n = child(changed, key)
          n.self = true
          for (const k of Object.keys(item)) if (item[k] !== null) addChild(n, `f:${k}`, item[k] as Json, { kind: w.kind, path: [...w.path, k] }, true)
        } else if (!deepEqual(old, item)) {
          for (const k of new Set([...Object.keys(old), ...Object.keys(item)])) {
            diffChild(old[k] ?? undefined, item[k] ?? undefined, child(changed, key), child(removed, key), `f:${k}`, { kind: w.kind, path: [...w.path, k] })
          }
          prune(changed, key)
          prune(removed, key)
        }
      }
      for (const [key, item] of before) {
        if (after.has(key)) continue
        const n = child(removed, key)
        n.self = true
        for (const k of Object.keys(item)) if (item[k] !== null) addChild(n, `f:${k}`, item[k] as Json, { kind: w.kind, path: [...w.path, k] }, true)
      }
      return
    }
    if (lt.type === 'set') {
      for (const v of b) if (!a.some((x) => deepEqual(x, v))) child(changed, valueElement(v)).self = true
      for (const v of a) if (!b.some((x) => deepEqual(x, v))) child(removed, valueElement(v)).self = true
      return
    }
  }
  if (!deepEqual(a, b)) changed.self = true
}

function diffChild (a: Json | undefined, b: Json | undefined, changed: FieldNode, removed: FieldNode, key: string, w: Walk): void {
  diffValues(a, b, child(changed, key), child(removed, key), w)
  prune(changed, key)
  prune(removed, key)
}

function prune (n: FieldNode, key: string): void {
  const c = n.children.get(key)
  if (c !== undefined && isEmptyFieldSet(c)) n.children.delete(key)
}

/** What changed between two versions of an object, as field sets. */
export function diffFieldSets (kind: string, before: JsonObject | undefined, after: JsonObject): FieldDiff {
  const changed = emptyFieldSet()
  const removed = emptyFieldSet()
  diffValues(before ?? {}, after, changed, removed, { kind, path: [] })
  changed.self = false
  removed.self = false
  return { changed, removed }
}

export function unionFieldSets (a: FieldNode, b: FieldNode): FieldNode {
  const out: FieldNode = { self: a.self || b.self, children: new Map() }
  for (const [k, v] of a.children) out.children.set(k, b.children.has(k) ? unionFieldSets(v, b.children.get(k) as FieldNode) : v)
  for (const [k, v] of b.children) if (!a.children.has(k)) out.children.set(k, v)
  return out
}

/** `a` without the paths that are in `b`. */
export function subtractFieldSets (a: FieldNode, b: FieldNode): FieldNode {
  const out: FieldNode = { self: a.self && !b.self, children: new Map() }
  for (const [k, v] of a.children) {
    const other = b.children.get(k)
    const rest = other === undefined ? v : subtractFieldSets(v, other)
    if (!isEmptyFieldSet(rest)) out.children.set(k, rest)
  }
  return out
}

/**
 * Paths of `owned` that a change touches: the path itself changed, or an ancestor of it
 * was replaced as a whole (a leaf change above it).
 */
export function overlappingPaths (owned: FieldNode, changes: FieldNode): string[][] {
  const out: string[][] = []
  const walk = (o: FieldNode, c: FieldNode | undefined, coveredByAncestor: boolean, path: string[]): void => {
    if (o.self && (coveredByAncestor || c?.self === true)) out.push(path)
    const covering = coveredByAncestor || (c !== undefined && c.self && c.children.size === 0)
    for (const [k, v] of o.children) walk(v, c?.children.get(k), covering, [...path, k])
  }
  walk(owned, changes, false, [])
  return out
}

/** A path as the apiserver prints it in conflicts: `.spec.template.spec.containers[name="web"].image`. */
export function formatFieldPath (path: readonly string[]): string {
  let out = ''
  for (const el of path) {
    if (el.startsWith('f:')) out += `.${el.slice(2)}`
    else if (el.startsWith('k:')) {
      const key = JSON.parse(el.slice(2)) as JsonObject
      out += `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`
    } else if (el.startsWith('v:')) out += `[=${el.slice(2)}]`
    else out += `[${el}]`
  }
  return out
}

export function toFieldsV1 (n: FieldNode): JsonObject {
  const out: JsonObject = {}
  if (n.self && n.children.size > 0) out['.'] = {}
  for (const [k, v] of n.children) out[k] = toFieldsV1(v)
  return out
}

const parsed = new WeakMap<object, FieldNode>()

export function fromFieldsV1 (raw: unknown): FieldNode {
  if (!isPlainObject(raw)) return emptyFieldSet()
  const cached = parsed.get(raw)
  if (cached !== undefined) return cached
  const build = (o: JsonObject): FieldNode => {
    const keys = Object.keys(o)
    const n: FieldNode = { self: keys.length === 0 || Object.hasOwn(o, '.'), children: new Map() }
    for (const k of keys) if (k !== '.' && isPlainObject(o[k])) n.children.set(k, build(o[k]))
    return n
  }
  const root = build(raw)
  root.self = false
  parsed.set(raw, root)
  return root
}
