/**
 * JSON Patch (RFC 6902) over plain JSON values, with JSON Pointers (RFC 6901). The input
 * document is never mutated: the patch works on a copy and returns it. A malformed patch
 * is a 400, an operation that cannot apply (missing path, failed `test`) a 422, as the
 * apiserver answers them.
 */
import { badRequest, statusError } from './api-errors.ts'
import { deepEqual, isPlainObject, type Json, type JsonObject } from './json.ts'

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test'
  path: string
  value?: Json
  from?: string
}

function cannotApply (message: string): Error {
  return statusError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`,
    { causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }] })
}

/** Splits a JSON Pointer into unescaped reference tokens. */
export function parsePointer (pointer: string): string[] {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) throw badRequest(`invalid JSON pointer "${pointer}": must be empty or start with "/"`)
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
}

function arrayIndex (token: string, length: number, forInsert: boolean, pointer: string): number {
  if (forInsert && token === '-') return length
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw cannotApply(`invalid array index "${token}" in "${pointer}"`)
  const i = Number(token)
  if (forInsert ? i > length : i >= length) throw cannotApply(`array index ${i} out of bounds in "${pointer}"`)
  return i
}

interface Location { parent: Json[] | JsonObject, token: string }

/** Finds the container that holds the last token of `tokens` (which must exist). */
function locate (doc: Json, tokens: string[], pointer: string): Location {
  let cur: Json = doc
  for (let i = 0; i < tokens.length - 1; i++) {
    const t = tokens[i] as string
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false, pointer)] as Json
    else if (isPlainObject(cur) && Object.hasOwn(cur, t)) cur = cur[t] as Json
    else throw cannotApply(`doc is missing path: "${pointer}"`)
  }
  if (!Array.isArray(cur) && !isPlainObject(cur)) throw cannotApply(`doc is missing path: "${pointer}"`)
  return { parent: cur, token: tokens[tokens.length - 1] as string }
}

function getAt (doc: Json, pointer: string): Json {
  let cur: Json = doc
  for (const t of parsePointer(pointer)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false, pointer)] as Json
    else if (isPlainObject(cur) && Object.hasOwn(cur, t)) cur = cur[t] as Json
    else throw cannotApply(`doc is missing path: "${pointer}"`)
  }
  return cur
}

function add (doc: Json, pointer: string, value: Json): Json {
  const tokens = parsePointer(pointer)
  if (tokens.length === 0) return value
  const { parent, token } = locate(doc, tokens, pointer)
  if (Array.isArray(parent)) parent.splice(arrayIndex(token, parent.length, true, pointer), 0, value)
  else parent[token] = value
  return doc
}

function remove (doc: Json, pointer: string): Json {
  const tokens = parsePointer(pointer)
  if (tokens.length === 0) throw cannotApply('cannot remove the whole document')
  const { parent, token } = locate(doc, tokens, pointer)
  if (Array.isArray(parent)) parent.splice(arrayIndex(token, parent.length, false, pointer), 1)
  else if (Object.hasOwn(parent, token)) delete parent[token]
  else throw cannotApply(`doc is missing key: "${pointer}"`)
  return doc
}

function replace (doc: Json, pointer: string, value: Json): Json {
  const tokens = parsePointer(pointer)
  if (tokens.length === 0) return value
  const { parent, token } = locate(doc, tokens, pointer)
  if (Array.isArray(parent)) parent[arrayIndex(token, parent.length, false, pointer)] = value
  else if (Object.hasOwn(parent, token)) parent[token] = value
  else throw cannotApply(`doc is missing key: "${pointer}"`)
  return doc
}

function validate (raw: unknown): JsonPatchOperation[] {
  if (!Array.isArray(raw)) throw badRequest('json patch must be an array of operations')
  return raw.map((op, i) => {
    if (!isPlainObject(op)) throw badRequest(`json patch operation ${i} is not an object`)
    const kind = op['op']
    if (kind !== 'add' && kind !== 'remove' && kind !== 'replace' && kind !== 'move' && kind !== 'copy' && kind !== 'test') {
      throw badRequest(`json patch operation ${i}: unexpected op ${JSON.stringify(kind)}`)
    }
    if (typeof op['path'] !== 'string') throw badRequest(`json patch operation ${i} (${kind}): missing "path"`)
    if ((kind === 'add' || kind === 'replace' || kind === 'test') && !Object.hasOwn(op, 'value')) {
      throw badRequest(`json patch operation ${i} (${kind}): missing "value"`)
    }
    if ((kind === 'move' || kind === 'copy') && typeof op['from'] !== 'string') {
      throw badRequest(`json patch operation ${i} (${kind}): missing "from"`)
    }
    return op as unknown as JsonPatchOperation
  })
}

/** Applies `patch` (an RFC 6902 operation list) to a copy of `document`. */
export function applyJsonPatch<T extends Json> (document: T, patch: unknown): T {
  const ops = validate(patch)
  let doc: Json = structuredClone(document)
  for (const op of ops) {
    switch (op.op) {
      case 'add': doc = add(doc, op.path, structuredClone(op.value as Json)); break
      case 'remove': doc = remove(doc, op.path); break
      case 'replace': doc = replace(doc, op.path, structuredClone(op.value as Json)); break
      case 'move': {
        const from = op.from as string
        if (op.path.startsWith(`${from}/`)) throw cannotApply(`cannot move "${from}" into its own child "${op.path}"`)
        const value = getAt(doc, from)
        doc = add(remove(doc, from), op.path, value)
        break
      }
      case 'copy': doc = add(doc, op.path, structuredClone(getAt(doc, op.from as string))); break
      case 'test':
        if (!deepEqual(getAt(doc, op.path), op.value as Json)) throw cannotApply(`test failed: value at "${op.path}" differs`)
        break
    }
  }
  return doc as T
}
