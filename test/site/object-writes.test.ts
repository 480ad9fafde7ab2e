import { describe, expect, it } from 'vitest'
import { FlotillaError } from '../../src/model/errors.ts'
import type { KubeObject } from '../../src/model/kube.ts'
import type { DocumentStore } from '../../src/store/document-store.ts'
import { initSiteDoc, listPolicies, listStubs, listWorkloads, siteDocId, type SiteDoc } from '../../src/store/docs/index.ts'
import { createLocalStore, type LocalStore } from '../../src/store/local/local-store.ts'
import { createObjectWrites, type ObjectWrites } from '../../src/site/object-writes.ts'
import { RESIDENCY_ANNOTATION } from '../../src/site/site-handle.ts'
import { createMemoryStorage } from '../../sim/storage/memory-storage.ts'
import { counterRng, fixedClock, openTestStore, testSite } from '../support/store-fixtures.ts'
import { deployment, policy, siteInfo, workload } from '../store/docs/fixtures.ts'

const eu = testSite('eu')
const doc = siteDocId('eu')

interface Harness {
  writes: ObjectWrites
  store: DocumentStore
  localStore: LocalStore
  local: Map<string, string>
  written: () => number
}

/** The writes of site eu, whose "view" is its own document plus whatever `foreign` holds (records of other sites). */
async function harness (foreign: ReturnType<typeof workload>[] = []): Promise<Harness> {
  const storage = createMemoryStorage()
  const store = await openTestStore(eu, [eu], storage)
  await store.change<SiteDoc>(doc, (d) => { initSiteDoc(d, siteInfo('eu')) })
  const localStore = createLocalStore({ storage })
  const local = new Map<string, string>()
  let written = 0
  const writes = createObjectWrites({
    siteId: 'eu', ownDoc: doc, store, localStore, stubSecret: new Uint8Array(32).fill(3), clock: fixedClock(), rng: counterRng(),
    findRecord: (key) => {
      const d = store.document<SiteDoc>(doc)!
      return [...listWorkloads(d), ...foreign].find((w) => w.key === key) ?? listPolicies(d).find((p) => p.key === key)
    },
    keepLocal: (rec) => { local.set(rec.key, rec.residency.kind) },
    dropLocal: (key) => { local.delete(key) },
    written: () => { written++ }
  })
  return { writes, store, localStore, local, written: () => written }
}

function localOnly (obj: KubeObject): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, annotations: { [RESIDENCY_ANNOTATION]: 'local-only' } } }
}

describe('object writes', () => {
  it('keeps a local-only workload in the local store, with only a redacted stub in the site document', async () => {
    const h = await harness()
    const result = await h.writes.putObject(localOnly(deployment('ledger')))
    expect(result).toMatchObject({ created: true, changed: true, residency: { kind: 'local-only' } })
    const d = h.store.document<SiteDoc>(doc)!
    expect(listWorkloads(d)).toEqual([])
    expect(listStubs(d)).toHaveLength(1)
    expect(JSON.stringify(listStubs(d))).not.toContain('ledger')
    expect((await h.localStore.getWorkload('apps/Deployment/shop/ledger'))?.residency).toEqual({ kind: 'local-only' })
    expect([...h.local]).toEqual([['apps/Deployment/shop/ledger', 'local-only']])
    expect(h.written()).toBe(1)
  })

  it('moves a workload out of the local store and its stub out of the document when it stops being local-only, and back', async () => {
    const h = await harness()
    await h.writes.putObject(localOnly(deployment('ledger')))
    await h.writes.putObject(deployment('ledger'))
    let d = h.store.document<SiteDoc>(doc)!
    expect(listWorkloads(d).map((w) => w.key)).toEqual(['apps/Deployment/shop/ledger'])
    expect(listStubs(d)).toEqual([])
    expect(await h.localStore.getWorkload('apps/Deployment/shop/ledger')).toBeUndefined()
    expect(h.local.size).toBe(0)
    await h.writes.putObject(localOnly(deployment('ledger')))
    d = h.store.document<SiteDoc>(doc)!
    expect(listWorkloads(d)).toEqual([])
    expect(listStubs(d)).toHaveLength(1)
  })

  it('refuses to change or delete a record another site created, naming that site, and writes nothing', async () => {
    const h = await harness([workload('ap', 'web')])
    const heads = h.store.heads(doc)
    const refusal = await h.writes.putObject(deployment('web')).catch((e: unknown) => e)
    expect(refusal).toBeInstanceOf(FlotillaError)
    expect(refusal).toMatchObject({ code: 'origin-mismatch' })
    expect((refusal as FlotillaError).message).toContain('"ap"')
    await expect(h.writes.deleteObject({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' })).rejects.toMatchObject({ code: 'origin-mismatch' })
    expect(h.store.heads(doc)).toEqual(heads)
    expect(h.written()).toBe(0)
  })

  it('writes nothing on a dry run, nor when the object did not change', async () => {
    const h = await harness()
    await h.writes.putObject(deployment('web'), { dryRun: true })
    expect(listWorkloads(h.store.document<SiteDoc>(doc)!)).toEqual([])
    await h.writes.putObject(deployment('web'))
    const heads = h.store.heads(doc)
    const again = await h.writes.putObject(deployment('web'))
    expect(again.changed).toBe(false)
    expect(await h.writes.deleteObject({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' }, { dryRun: true })).toBe(true)
    expect(h.store.heads(doc)).toEqual(heads)
    expect(h.written()).toBe(1)
  })

  it('deletes a policy, a workload and a local-only record where each is kept, and reports an unknown one as absent', async () => {
    const h = await harness()
    const pol = policy('eu', 'spread').object
    await h.writes.putObject(pol)
    await h.writes.putObject(deployment('web'))
    await h.writes.putObject(localOnly(deployment('ledger')))
    const before = h.store.document<SiteDoc>(doc)!
    expect([listPolicies(before).length, listWorkloads(before).length, listStubs(before).length]).toEqual([1, 1, 1])
    const ref = (o: KubeObject): { apiVersion: string, kind: string, name: string, namespace?: string } =>
      ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace === undefined ? {} : { namespace: o.metadata.namespace }) })
    expect(await h.writes.deleteObject(ref(pol))).toBe(true)
    expect(await h.writes.deleteObject(ref(deployment('web')))).toBe(true)
    expect(await h.writes.deleteObject(ref(deployment('ledger')))).toBe(true)
    expect(await h.writes.deleteObject(ref(deployment('nothing')))).toBe(false)
    const d = h.store.document<SiteDoc>(doc)!
    expect([listPolicies(d), listWorkloads(d), listStubs(d)]).toEqual([[], [], []])
    expect(await h.localStore.getWorkload('apps/Deployment/shop/ledger')).toBeUndefined()
    expect(h.local.size).toBe(0)
  })
})
