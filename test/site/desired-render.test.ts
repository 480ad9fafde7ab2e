import { describe, expect, it } from 'vitest'
import type { PolicyRecord } from '../../src/model/federation.ts'
import type { GlobalView } from '../../src/model/view.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { GENERATION_ANNOTATION } from '../../src/ports/cluster-driver.ts'
import { createDesiredRenderer, withNamespaces } from '../../src/site/desired-render.ts'
import { cluster, workload } from '../store/docs/fixtures.ts'

function labelOverride (origin: string, generation = 1, label = 'mirrored'): PolicyRecord {
  return {
    key: 'OverridePolicy/shop/tag', kind: 'OverridePolicy', origin, generation, updatedAt: 0,
    object: {
      apiVersion: 'policy.flotilla.io/v1alpha1', kind: 'OverridePolicy', metadata: { name: 'tag', namespace: 'shop' },
      spec: { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }], overrideRules: [{ overriders: { labelsOverrider: [{ operator: 'add', value: { [label]: 'yes' } }] } }] }
    }
  }
}

const viewWith = (policies: PolicyRecord[]): GlobalView => ({ policies } as unknown as GlobalView)

describe('desired objects for a cluster', () => {
  it('sets the share of replicas and the generation, and applies the origin\'s overrides only', () => {
    const r = createDesiredRenderer(silentLogger)
    const w = workload('eu', 'web', { replicas: 6 })
    r.beginTick(viewWith([labelOverride('eu'), { ...labelOverride('ap', 1, 'foreign'), key: 'OverridePolicy/shop/other' }]))
    const o = r.render(w, cluster('eu', 'c1'), 2)
    r.endTick()
    expect(o.object.spec?.['replicas']).toBe(2)
    expect(o.object.metadata.labels?.['mirrored']).toBe('yes')
    expect(o.object.metadata.labels?.['foreign']).toBeUndefined()
    expect(o.object.metadata.annotations?.[GENERATION_ANNOTATION]).toBe(String(w.generation))
    expect(w.manifest.spec?.['replicas']).toBe(6) // the record itself is not touched
  })

  it('hands back the same rendering while nothing it depends on changed, and a new one when something did', () => {
    const r = createDesiredRenderer(silentLogger)
    const w = workload('eu', 'web', { replicas: 6 })
    const c = cluster('eu', 'c1')
    const tick = (policies: PolicyRecord[], replicas: number, cl = c) => { r.beginTick(viewWith(policies)); const o = r.render(w, cl, replicas); r.endTick(); return o }
    const first = tick([labelOverride('eu')], 3)
    expect(tick([labelOverride('eu')], 3)).toBe(first)
    expect(tick([labelOverride('eu')], 4)).not.toBe(first)
    expect(tick([labelOverride('eu', 2)], 4).object.metadata.labels?.['mirrored']).toBe('yes')
    expect(tick([labelOverride('eu', 2)], 4, { ...c, labels: { env: 'dev' } })).not.toBe(tick([labelOverride('eu', 2)], 4))
  })

  it('forgets renderings a tick did not use', () => {
    const r = createDesiredRenderer(silentLogger)
    const w = workload('eu', 'web')
    const c = cluster('eu', 'c1')
    r.beginTick(viewWith([])); const first = r.render(w, c, 1); r.endTick()
    r.beginTick(viewWith([])); r.endTick()
    r.beginTick(viewWith([])); const again = r.render(w, c, 1); r.endTick()
    expect(again).not.toBe(first)
    expect(again).toEqual(first)
  })

  it('digests a cluster\'s set the same for equal renderings and differently when one changes', () => {
    const r = createDesiredRenderer(silentLogger)
    const c = cluster('eu', 'c1')
    r.beginTick(viewWith([]))
    const a = r.render(workload('eu', 'a'), c, 1)
    const b = r.render(workload('eu', 'b'), c, 1)
    const b2 = r.render(workload('eu', 'b'), c, 2)
    r.endTick()
    const fresh = createDesiredRenderer(silentLogger)
    fresh.beginTick(viewWith([]))
    const a2 = fresh.render(workload('eu', 'a'), c, 1)
    fresh.endTick()
    expect(r.digest([a, b])).toBe(r.digest([a, b]))
    expect(r.digest([a])).toBe(fresh.digest([a2]))
    expect(r.digest([a, b])).not.toBe(r.digest([a, b2]))
  })

  it('refuses to render outside a tick', () => {
    expect(() => createDesiredRenderer(silentLogger).render(workload('eu', 'a'), cluster('eu', 'c1'), 1)).toThrow(/outside a controller tick/)
  })

  it('puts the namespaces the objects need first, except default and those already there', () => {
    const obj = (ns: string | undefined, kind = 'ConfigMap', name = 'x') => ({ key: `${ns}/${name}`, generation: 1, object: { apiVersion: 'v1', kind, metadata: { name, ...(ns === undefined ? {} : { namespace: ns }) } } })
    const out = withNamespaces([obj('shop'), obj('default'), obj(undefined, 'Namespace', 'kept'), obj('kept'), obj('shop', 'ConfigMap', 'y'), obj('audit')])
    expect(out.slice(0, 2).map((o) => o.object.metadata.name)).toEqual(['audit', 'shop'])
    expect(out).toHaveLength(8)
  })
})
