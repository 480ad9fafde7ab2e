/**
 * JSON pointers (RFC 6901) and the add / remove / replace operations of JSON patch
 * (RFC 6902) on plain JSON values, for plaintext overriders and for addressing
 * container fields. Each operation either applies whole or reports why not; values
 * are copied in so the result never shares structure with a policy. `__proto__`
 * segments are refused so no patch can reach an object's prototype.
 */

export type PatchOp = { op: 'add' | 'replace', path: string, value: unknown } | { op: 'remove', path: string }

export function escapeToken (t: string): string {
  return t.replaceAll('~', '~0').replaceAll('/', '~1')
}

/** Tokens of a pointer; undefined if it is not a valid pointer. `''` is the whole document. */
export function parsePointer (p: string): string[] | undefined {
  if (p === '') return []
  if (!p.startsWith('/') || /~[^01]|~$/.test(p)) return undefined
  return p.slice(1).split('/').map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'))
}

type Container = Record<string, unknown> | unknown[]

function isContainer (v: unknown): v is Container {
  return typeof v === 'object' && v !== null
}

const INDEX = /^(0|[1-9][0-9]*)$/

function child (parent: Container, token: string): { found: boolean, value?: unknown } {
  if (Array.isArray(parent)) {
    if (!INDEX.test(token)) return { found: false }
    const i = Number(token)
    return i < parent.length ? { found: true, value: parent[i] } : { found: false }
  }
  return Object.hasOwn(parent, token) ? { found: true, value: parent[token] } : { found: false }
}

/** The value at `path`, if present. */
export function getAt (doc: unknown, path: string): { found: boolean, value?: unknown } {
  const tokens = parsePointer(path)
  if (tokens === undefined) return { found: false }
  let cur: unknown = doc
  for (const t of tokens) {
    if (!isContainer(cur)) return { found: false }
    const c = child(cur, t)
    if (!c.found) return { found: false }
    cur = c.value
  }
  return { found: true, value: cur }
}

function setMember (obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
}

/**
 * Applies one operation to `doc` in place (callers pass their own copy). Returns an
 * error message, or undefined when applied.
 */
export function applyPatchOp (doc: unknown, op: PatchOp): string | undefined {
  const tokens = parsePointer(op.path)
  if (tokens === undefined || tokens.length === 0) return `path ${JSON.stringify(op.path)} is not a JSON pointer below the root`
  if (tokens.includes('__proto__')) return `path ${JSON.stringify(op.path)} addresses __proto__`
  let parent: unknown = doc
  for (const t of tokens.slice(0, -1)) {
    if (!isContainer(parent)) return `path ${op.path}: ${t} is inside a value that is neither an object nor a list`
    const c = child(parent, t)
    if (!c.found) return `path ${op.path}: ${t} does not exist`
    parent = c.value
  }
  if (!isContainer(parent)) return `path ${op.path}: the parent is neither an object nor a list`
  const last = tokens[tokens.length - 1]!
  const value = op.op === 'remove' ? undefined : structuredClone(op.value)
  if (Array.isArray(parent)) {
    if (op.op === 'add' && last === '-') { parent.push(value); return undefined }
    if (!INDEX.test(last)) return `path ${op.path}: ${last} is not a list index`
    const i = Number(last)
    if (op.op === 'add') {
      if (i > parent.length) return `path ${op.path}: index ${i} is past the end of a list of ${parent.length}`
      parent.splice(i, 0, value)
      return undefined
    }
    if (i >= parent.length) return `path ${op.path}: index ${i} does not exist in a list of ${parent.length}`
    if (op.op === 'remove') parent.splice(i, 1)
    else parent[i] = value
    return undefined
  }
  const exists = Object.hasOwn(parent, last)
  if (op.op === 'add') { setMember(parent, last, value); return undefined }
  if (!exists) return `path ${op.path} does not exist`
  if (op.op === 'remove') delete parent[last]
  else setMember(parent, last, value)
  return undefined
}
