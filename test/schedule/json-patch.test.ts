import { describe, expect, it } from 'vitest'
import { applyPatchOp, getAt, parsePointer } from '../../src/schedule/json-patch.ts'
import { parseImage, formatImage } from '../../src/schedule/image-ref.ts'

describe('JSON pointer and patch', () => {
  it('unescapes ~1 and ~0 and refuses malformed pointers', () => {
    expect(parsePointer('/metadata/labels/a~1b~0c')).toEqual(['metadata', 'labels', 'a/b~c'])
    expect(parsePointer('')).toEqual([])
    expect(parsePointer('metadata')).toBeUndefined()
    expect(parsePointer('/a~2')).toBeUndefined()
  })

  it('adds (member, index insert, append), replaces and removes as RFC 6902 says', () => {
    const doc = { a: { list: [1, 3] } }
    expect(applyPatchOp(doc, { op: 'add', path: '/a/list/1', value: 2 })).toBeUndefined()
    expect(applyPatchOp(doc, { op: 'add', path: '/a/list/-', value: 4 })).toBeUndefined()
    expect(applyPatchOp(doc, { op: 'add', path: '/a/name', value: 'x' })).toBeUndefined()
    expect(applyPatchOp(doc, { op: 'replace', path: '/a/list/0', value: 0 })).toBeUndefined()
    expect(applyPatchOp(doc, { op: 'remove', path: '/a/name' })).toBeUndefined()
    expect(doc).toEqual({ a: { list: [0, 2, 3, 4] } })
  })

  it('reports instead of applying when the target is missing or out of range', () => {
    const doc = { a: [1] }
    expect(applyPatchOp(doc, { op: 'replace', path: '/b', value: 1 })).toMatch(/does not exist/)
    expect(applyPatchOp(doc, { op: 'add', path: '/a/5', value: 1 })).toMatch(/past the end/)
    expect(applyPatchOp(doc, { op: 'remove', path: '/a/1' })).toMatch(/does not exist/)
    expect(applyPatchOp(doc, { op: 'add', path: '/x/y', value: 1 })).toMatch(/x does not exist/)
    expect(doc).toEqual({ a: [1] })
  })

  it('never reaches an object prototype and copies values in', () => {
    const doc: Record<string, unknown> = {}
    expect(applyPatchOp(doc, { op: 'add', path: '/__proto__/polluted', value: true })).toMatch(/__proto__/)
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    const value = { deep: [1] }
    applyPatchOp(doc, { op: 'add', path: '/v', value })
    value.deep.push(2)
    expect(getAt(doc, '/v/deep')).toEqual({ found: true, value: [1] })
  })
})

describe('image references', () => {
  it('splits registry, repository, tag and digest the way Docker does', () => {
    expect(parseImage('nginx')).toEqual({ registry: '', repository: 'nginx', tag: '', digest: '' })
    expect(parseImage('library/nginx:1.27')).toEqual({ registry: '', repository: 'library/nginx', tag: '1.27', digest: '' })
    expect(parseImage('localhost:5000/app')).toEqual({ registry: 'localhost:5000', repository: 'app', tag: '', digest: '' })
    expect(parseImage('ghcr.io/org/app:v1@sha256:abc')).toEqual({ registry: 'ghcr.io', repository: 'org/app', tag: 'v1', digest: 'sha256:abc' })
    expect(parseImage('')).toBeUndefined()
    for (const s of ['nginx', 'ghcr.io/org/app:v1@sha256:abc', 'localhost:5000/a/b:c']) expect(formatImage(parseImage(s)!)).toBe(s)
  })
})
