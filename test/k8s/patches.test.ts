import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isKubeApiError } from '../../src/k8s/api-errors.ts'
import { applyJsonPatch, parsePointer } from '../../src/k8s/json-patch.ts'
import type { Json, JsonObject } from '../../src/k8s/json.ts'
import { applyMergePatch } from '../../src/k8s/merge-patch.ts'
import { applyStrategicMergePatch } from '../../src/k8s/strategic-merge-patch.ts'

function statusCodeOf (fn: () => unknown): number | undefined {
  try { fn() } catch (e) { return isKubeApiError(e) ? e.status.code : -1 }
  return undefined
}

describe('JSON patch (RFC 6902)', () => {
  it('adds, removes and replaces object members and array elements', () => {
    const doc = { a: { b: [1, 2, 3] }, c: 'x' }
    const out = applyJsonPatch(doc, [
      { op: 'add', path: '/a/b/1', value: 9 },
      { op: 'add', path: '/a/b/-', value: 4 },
      { op: 'remove', path: '/a/b/0' },
      { op: 'replace', path: '/c', value: { d: true } },
      { op: 'add', path: '/e', value: null }
    ])
    expect(out).toEqual({ a: { b: [9, 2, 3, 4] }, c: { d: true }, e: null })
  })

  it('never mutates the input document', () => {
    const doc = { a: [1], b: { c: 1 } }
    const before = structuredClone(doc)
    applyJsonPatch(doc, [{ op: 'add', path: '/a/0', value: 0 }, { op: 'remove', path: '/b/c' }])
    expect(doc).toEqual(before)
  })

  it('moves and copies values', () => {
    expect(applyJsonPatch({ a: { x: 1 }, b: {} }, [{ op: 'move', from: '/a/x', path: '/b/y' }])).toEqual({ a: {}, b: { y: 1 } })
    expect(applyJsonPatch({ a: [1, 2] }, [{ op: 'copy', from: '/a', path: '/b' }])).toEqual({ a: [1, 2], b: [1, 2] })
    expect(applyJsonPatch({ a: [1, 2, 3] }, [{ op: 'move', from: '/a/0', path: '/a/2' }])).toEqual({ a: [2, 3, 1] })
  })

  it('unescapes ~0 and ~1 in pointers', () => {
    expect(parsePointer('/a~1b/c~0d/~01')).toEqual(['a/b', 'c~d', '~1'])
    expect(applyJsonPatch({ metadata: { labels: { 'app.kubernetes.io/name': 'x' } } }, [
      { op: 'replace', path: '/metadata/labels/app.kubernetes.io~1name', value: 'y' }
    ])).toEqual({ metadata: { labels: { 'app.kubernetes.io/name': 'y' } } })
  })

  it('passes a test operation on an equal value and fails the whole patch on a different one', () => {
    expect(applyJsonPatch({ a: { b: [1, { c: 2 }] } }, [{ op: 'test', path: '/a/b', value: [1, { c: 2 }] }, { op: 'add', path: '/z', value: 1 }]))
      .toEqual({ a: { b: [1, { c: 2 }] }, z: 1 })
    expect(statusCodeOf(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]))).toBe(422)
  })

  it('replaces the whole document at the root path', () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }])).toEqual({ b: 2 })
  })

  it('answers 422 for operations that cannot apply and 400 for malformed patches', () => {
    expect(statusCodeOf(() => applyJsonPatch({ a: 1 }, [{ op: 'remove', path: '/b' }]))).toBe(422)
    expect(statusCodeOf(() => applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '/b', value: 1 }]))).toBe(422)
    expect(statusCodeOf(() => applyJsonPatch({ a: [] }, [{ op: 'add', path: '/a/5', value: 1 }]))).toBe(422)
    expect(statusCodeOf(() => applyJsonPatch({ a: [] }, [{ op: 'add', path: '/a/01', value: 1 }]))).toBe(422)
    expect(statusCodeOf(() => applyJsonPatch({ a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a/b/c' }]))).toBe(422)
    expect(statusCodeOf(() => applyJsonPatch({}, { op: 'add' }))).toBe(400)
    expect(statusCodeOf(() => applyJsonPatch({}, [{ op: 'frobnicate', path: '/a' }]))).toBe(400)
    expect(statusCodeOf(() => applyJsonPatch({}, [{ op: 'add', path: '/a' }]))).toBe(400)
    expect(statusCodeOf(() => applyJsonPatch({}, [{ op: 'add', path: 'a', value: 1 }]))).toBe(400)
  })

  const json: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>
  it('undoes an add with a remove at the same path', () => {
    fc.assert(fc.property(fc.dictionary(fc.string({ maxLength: 4 }), json, { maxKeys: 4 }), fc.string({ minLength: 1, maxLength: 4 }), json, (doc, key, value) => {
      fc.pre(!Object.hasOwn(doc, key))
      const ptr = `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`
      const added = applyJsonPatch(doc as JsonObject, [{ op: 'add', path: ptr, value }])
      expect(applyJsonPatch(added, [{ op: 'remove', path: ptr }])).toEqual(doc)
    }), { numRuns: 200 })
  })
})

describe('JSON merge patch (RFC 7386)', () => {
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }]
  ] as Array<[Json, Json, Json]>)('merges %j with %j into %j', (target, patch, result) => {
    expect(applyMergePatch(target, patch)).toEqual(result)
  })

  it('is idempotent: applying a patch twice equals applying it once', () => {
    const json = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>
    fc.assert(fc.property(json, json, (t, p) => {
      const once = applyMergePatch(t, p)
      expect(applyMergePatch(once, p)).toEqual(once)
    }), { numRuns: 300 })
  })
})

describe('strategic merge patch', () => {
  const deployment: JsonObject = {
    metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['a'] },
    spec: {
      replicas: 1,
      template: {
        spec: {
          containers: [
            { name: 'web', image: 'nginx:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80 }] },
            { name: 'sidecar', image: 'envoy:1' }
          ],
          tolerations: [{ key: 'x', operator: 'Exists' }]
        }
      }
    }
  }

  it('merges containers by name and env by name instead of replacing the lists', () => {
    const out = applyStrategicMergePatch('Deployment', deployment, {
      spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2', env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }] }] } } }
    })
    const containers = ((out['spec'] as JsonObject)['template'] as JsonObject)['spec'] as JsonObject
    expect(containers['containers']).toEqual([
      { name: 'web', image: 'nginx:2', env: [{ name: 'A', value: '1' }, { name: 'B', value: '3' }, { name: 'C', value: '4' }], ports: [{ containerPort: 80 }] },
      { name: 'sidecar', image: 'envoy:1' }
    ])
  })

  it('replaces lists without a merge key (tolerations) and unions finalizers', () => {
    const out = applyStrategicMergePatch('Deployment', deployment, {
      metadata: { finalizers: ['b'] },
      spec: { template: { spec: { tolerations: [{ key: 'y', operator: 'Exists' }] } } }
    })
    expect((out['metadata'] as JsonObject)['finalizers']).toEqual(['a', 'b'])
    expect((((out['spec'] as JsonObject)['template'] as JsonObject)['spec'] as JsonObject)['tolerations']).toEqual([{ key: 'y', operator: 'Exists' }])
  })

  it('deletes list items and map keys with $patch: delete and null', () => {
    const out = applyStrategicMergePatch('Deployment', deployment, {
      metadata: { labels: { app: null } },
      spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } }
    })
    expect((out['metadata'] as JsonObject)['labels']).toEqual({})
    const spec = ((out['spec'] as JsonObject)['template'] as JsonObject)['spec'] as JsonObject
    expect((spec['containers'] as JsonObject[]).map((c) => c['name'])).toEqual(['web'])
  })

  it('replaces a whole map or list when told to with $patch: replace', () => {
    const out = applyStrategicMergePatch('Deployment', deployment, {
      metadata: { labels: { tier: 'x', $patch: 'replace' } },
      spec: { template: { spec: { containers: [{ name: 'only', image: 'busybox' }, { $patch: 'replace' }] } } }
    })
    expect((out['metadata'] as JsonObject)['labels']).toEqual({ tier: 'x' })
    expect((((out['spec'] as JsonObject)['template'] as JsonObject)['spec'] as JsonObject)['containers']).toEqual([{ name: 'only', image: 'busybox' }])
  })

  it('honours $setElementOrder, $retainKeys and $deleteFromPrimitiveList as kubectl sends them', () => {
    const out = applyStrategicMergePatch('Deployment', deployment, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
      spec: {
        strategy: { $retainKeys: ['type'], type: 'Recreate' },
        template: { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }], containers: [{ name: 'web', image: 'nginx:3' }] } }
      }
    })
    expect((out['metadata'] as JsonObject)['finalizers']).toEqual([])
    expect((out['spec'] as JsonObject)['strategy']).toEqual({ type: 'Recreate' })
    const containers = (((out['spec'] as JsonObject)['template'] as JsonObject)['spec'] as JsonObject)['containers'] as JsonObject[]
    expect(containers.map((c) => `${String(c['name'])}:${String(c['image'])}`)).toEqual(['sidecar:envoy:1', 'web:nginx:3'])
  })

  it('merges Service ports by port number', () => {
    const svc: JsonObject = { spec: { ports: [{ port: 80, name: 'http' }, { port: 443, name: 'https' }] } }
    const out = applyStrategicMergePatch('Service', svc, { spec: { ports: [{ port: 443, targetPort: 8443 }] } })
    expect((out['spec'] as JsonObject)['ports']).toEqual([{ port: 80, name: 'http' }, { port: 443, name: 'https', targetPort: 8443 }])
  })

  it('never mutates the original', () => {
    const before = structuredClone(deployment)
    applyStrategicMergePatch('Deployment', deployment, { spec: { template: { spec: { containers: [{ name: 'web', image: 'x' }] } } } })
    expect(deployment).toEqual(before)
  })
})
