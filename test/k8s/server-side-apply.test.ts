import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isKubeApiError } from '../../src/k8s/api-errors.ts'
import { fieldSetOf, formatFieldPath, fromFieldsV1, toFieldsV1 } from '../../src/k8s/field-set.ts'
import type { JsonObject } from '../../src/k8s/json.ts'
import { serverSideApply, trackUpdate, type ManagedFieldsEntry } from '../../src/k8s/server-side-apply.ts'

function deployment (opts: { replicas?: number, image?: string, labels?: Record<string, string>, env?: Array<{ name: string, value: string }>, sidecar?: boolean } = {}): JsonObject {
  const containers: JsonObject[] = [{ name: 'web', image: opts.image ?? 'nginx:1', ports: [{ containerPort: 80 }], ...(opts.env === undefined ? {} : { env: opts.env }) }]
  if (opts.sidecar === true) containers.push({ name: 'sidecar', image: 'envoy:1' })
  const spec: JsonObject = {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers } }
  }
  if (opts.replicas !== undefined) spec['replicas'] = opts.replicas
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', ...(opts.labels === undefined ? {} : { labels: opts.labels }) }, spec }
}

let tick = 0
function apply (live: JsonObject | undefined, config: JsonObject, manager: string, force = false): JsonObject {
  return serverSideApply({ kind: 'Deployment', apiVersion: 'apps/v1', live, config, manager, force, now: `2025-01-01T00:00:${String(tick++ % 60).padStart(2, '0')}Z` })
}

function entries (o: JsonObject): ManagedFieldsEntry[] {
  return ((o['metadata'] as JsonObject)['managedFields'] ?? []) as unknown as ManagedFieldsEntry[]
}

function owned (o: JsonObject, manager: string): string[] {
  const e = entries(o).find((x) => x.manager === manager)
  if (e === undefined) return []
  const out: string[] = []
  const walk = (n: ReturnType<typeof fromFieldsV1>, path: string[]): void => {
    if (n.self) out.push(formatFieldPath(path))
    for (const [k, c] of n.children) walk(c, [...path, k])
  }
  walk(fromFieldsV1(e.fieldsV1), [])
  return out.sort()
}

function spec (o: JsonObject): JsonObject {
  return o['spec'] as JsonObject
}

function conflictOf (fn: () => unknown): { message: string, fields: string[] } {
  try {
    fn()
  } catch (e) {
    if (isKubeApiError(e, 'Conflict')) return { message: e.status.message, fields: (e.status.details?.causes ?? []).map((c) => `${c.field ?? ''} <- ${c.message}`) }
    throw e
  }
  throw new Error('expected a conflict')
}

describe('server-side apply field ownership', () => {
  it('records what an apply specifies, keying containers by name and ports by port and protocol', () => {
    const o = apply(undefined, deployment({ replicas: 2 }), 'a')
    expect(entries(o)).toHaveLength(1)
    expect(entries(o)[0]).toMatchObject({ manager: 'a', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1' })
    expect(owned(o, 'a')).toEqual([
      '.spec.replicas',
      '.spec.selector',
      '.spec.template.metadata.labels.app',
      '.spec.template.spec.containers[name="web"]',
      '.spec.template.spec.containers[name="web"].image',
      '.spec.template.spec.containers[name="web"].name',
      '.spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"]',
      '.spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"].containerPort'
    ])
  })

  it('lets two managers co-own a field they set to the same value', () => {
    const first = apply(undefined, deployment({ replicas: 2 }), 'a')
    const second = apply(first, deployment({ replicas: 2 }), 'b')
    expect(owned(second, 'a')).toContain('.spec.replicas')
    expect(owned(second, 'b')).toContain('.spec.replicas')
  })

  it('refuses with 409 when another manager owns a field with a different value, naming field and owner', () => {
    const first = apply(undefined, deployment({ replicas: 2 }), 'a')
    const c = conflictOf(() => apply(first, deployment({ replicas: 5 }), 'b'))
    expect(c.message).toBe('Apply failed with 1 conflict: conflict with "a": .spec.replicas')
    expect(c.fields).toEqual(['.spec.replicas <- conflict with "a"'])
  })

  it('reports conflicts inside associative lists with their keys', () => {
    const first = apply(undefined, deployment({ image: 'nginx:1' }), 'a')
    const c = conflictOf(() => apply(first, deployment({ image: 'nginx:2' }), 'b'))
    expect(c.fields).toEqual(['.spec.template.spec.containers[name="web"].image <- conflict with "a"'])
  })

  it('treats the label selector as one atomic value', () => {
    const first = apply(undefined, deployment(), 'a')
    const changed = deployment()
    ;(spec(changed)['selector'] as JsonObject)['matchLabels'] = { app: 'web', extra: 'x' }
    expect(conflictOf(() => apply(first, changed, 'b')).fields).toEqual(['.spec.selector <- conflict with "a"'])
  })

  it('with force takes the field: the value changes and the old owner loses it', () => {
    const first = apply(undefined, deployment({ replicas: 2 }), 'a')
    const forced = apply(first, deployment({ replicas: 5 }), 'b', true)
    expect(spec(forced)['replicas']).toBe(5)
    expect(owned(forced, 'a')).not.toContain('.spec.replicas')
    expect(owned(forced, 'b')).toContain('.spec.replicas')
    // Fields b set to the same value stay co-owned.
    expect(owned(forced, 'a')).toContain('.spec.template.spec.containers[name="web"].image')
  })

  it('removes a field the manager stops specifying when nobody else owns it', () => {
    const first = apply(undefined, deployment({ replicas: 2, labels: { app: 'web', team: 'x' }, sidecar: true }), 'a')
    const second = apply(first, deployment({ labels: { app: 'web' } }), 'a')
    expect(spec(second)['replicas']).toBeUndefined()
    expect((second['metadata'] as JsonObject)['labels']).toEqual({ app: 'web' })
    const containers = ((spec(second)['template'] as JsonObject)['spec'] as JsonObject)['containers'] as JsonObject[]
    expect(containers.map((c) => c['name'])).toEqual(['web'])
  })

  it('keeps a dropped field that another manager still owns, and only releases ownership', () => {
    const first = apply(undefined, deployment({ replicas: 2 }), 'a')
    const shared = apply(first, deployment({ replicas: 2 }), 'b')
    const dropped = apply(shared, deployment(), 'a')
    expect(spec(dropped)['replicas']).toBe(2)
    expect(owned(dropped, 'a')).not.toContain('.spec.replicas')
    expect(owned(dropped, 'b')).toContain('.spec.replicas')
  })

  it('keeps fields nobody owns (defaults, other writers) when a manager re-applies', () => {
    const live = apply(undefined, deployment(), 'a')
    ;(spec(live))['revisionHistoryLimit'] = 10
    const again = apply(live, deployment({ image: 'nginx:2' }), 'a')
    expect(spec(again)['revisionHistoryLimit']).toBe(10)
  })

  it('gives an updater the fields it changed, so a later apply of the old value conflicts with it', () => {
    const applied = apply(undefined, deployment({ replicas: 2 }), 'a')
    const edited = structuredClone(applied)
    spec(edited)['replicas'] = 7
    const managedFields = trackUpdate({ kind: 'Deployment', apiVersion: 'apps/v1', before: applied, after: edited, manager: 'kubectl-edit', now: '2025-01-01T00:01:00Z' })
    ;(edited['metadata'] as JsonObject)['managedFields'] = managedFields as unknown as JsonObject[]
    expect(owned(edited, 'kubectl-edit')).toEqual(['.spec.replicas'])
    expect(owned(edited, 'a')).not.toContain('.spec.replicas')
    const c = conflictOf(() => apply(edited, deployment({ replicas: 2 }), 'a'))
    expect(c.fields).toEqual(['.spec.replicas <- conflict with "kubectl-edit" using apps/v1'])
  })

  it('leaves managedFields untouched by an update that changes nothing', () => {
    const applied = apply(undefined, deployment({ replicas: 2 }), 'a')
    const same = trackUpdate({ kind: 'Deployment', apiVersion: 'apps/v1', before: applied, after: structuredClone(applied), manager: 'x', now: 'later' })
    expect(same).toEqual(entries(applied))
  })

  it('keeps the entry (and its time) when a manager re-applies the same configuration', () => {
    const first = apply(undefined, deployment({ replicas: 2 }), 'a')
    const again = apply(first, deployment({ replicas: 2 }), 'a')
    expect(entries(again)).toEqual(entries(first))
  })

  it('is idempotent for any replicas/image/env configuration', () => {
    const env = fc.uniqueArray(fc.record({ name: fc.constantFrom('A', 'B', 'C', 'D'), value: fc.string({ maxLength: 3 }) }), { selector: (e) => e.name, maxLength: 3 })
    const cfg = fc.record({ replicas: fc.option(fc.nat(5), { nil: undefined }), image: fc.constantFrom('a:1', 'b:2'), env: fc.option(env, { nil: undefined }) })
    fc.assert(fc.property(cfg, cfg, (c1, c2) => {
      const once = apply(apply(undefined, deployment(c1), 'm'), deployment(c2), 'm')
      const twice = apply(once, deployment(c2), 'm')
      expect(twice).toEqual(once)
      // The result carries exactly what the last configuration says.
      expect(spec(once)['replicas']).toBe(c2.replicas)
      const web = (((spec(once)['template'] as JsonObject)['spec'] as JsonObject)['containers'] as JsonObject[])[0] as JsonObject
      expect(web['env']).toEqual(c2.env)
    }), { numRuns: 150 })
  })

  it('serialises field sets to FieldsV1 and back without loss', () => {
    const set = fieldSetOf('Deployment', deployment({ replicas: 1, env: [{ name: 'A', value: '1' }], sidecar: true }))
    const json = toFieldsV1(set)
    expect(toFieldsV1(fromFieldsV1(JSON.parse(JSON.stringify(json)))).valueOf()).toEqual(json)
  })
})
