import { describe, expect, it } from 'vitest'
import { assertNoLocalOnlyContent } from '../../src/compliance/scan.ts'
import { createVerifier } from '../../src/identity/verifier.ts'
import { FlotillaError } from '../../src/model/errors.ts'
import type { WorkloadRecord } from '../../src/model/federation.ts'
import type { KubeObject } from '../../src/model/kube.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import type { Storage, StorageOp } from '../../src/ports/storage.ts'
import { openDocumentStore, type DocumentStore } from '../../src/store/document-store.ts'
import { getWorkload, initSiteDoc, listPolicies, listStubs, listWorkloads, siteDocId, type SiteDoc } from '../../src/store/docs/index.ts'
import { createLocalStore, LOCAL_PREFIX, type LocalStore } from '../../src/store/local/local-store.ts'
import { rosterWritePolicy } from '../../src/store/roster-write-policy.ts'
import { createObjectWrites, type ObjectWrites } from '../../src/site/object-writes.ts'
import { RESIDENCY_ANNOTATION } from '../../src/site/site-handle.ts'
import { createMemoryStorage } from '../../sim/storage/memory-storage.ts'
import { counterRng, fixedClock, openTestStore, rosterOf, testSite } from '../support/store-fixtures.ts'
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

/** A storage whose next batch matching `failNext` fails, as a full or failing disk would. */
interface FlakyStorage extends Storage {
  failNext (which: 'local' | 'document', times?: number): void
}

function flakyStorage (): FlakyStorage {
  const inner = createMemoryStorage()
  let failing: { which: 'local' | 'document', left: number } | undefined
  const isLocal = (ops: readonly StorageOp[]): boolean => ops.every((op) => op.key.startsWith(LOCAL_PREFIX))
  return {
    get: async (key) => await inner.get(key),
    entries: (range) => inner.entries(range),
    close: async () => { await inner.close() },
    async batch (ops) {
      if (failing !== undefined && isLocal(ops) === (failing.which === 'local')) {
        if (--failing.left === 0) failing = undefined
        throw new Error('injected: disk full')
      }
      await inner.batch(ops)
    },
    failNext (which, times = 1) { failing = { which, left: times } }
  }
}

interface HarnessOptions {
  foreign?: ReturnType<typeof workload>[]
  storage?: Storage
  /** Install the site's guard against local-only content in replicated changes. */
  guard?: boolean
}

/** The writes of site eu, whose "view" is its own document plus whatever `foreign` holds (records of other sites). */
async function harness (foreignOrOptions: ReturnType<typeof workload>[] | HarnessOptions = []): Promise<Harness> {
  const options: HarnessOptions = Array.isArray(foreignOrOptions) ? { foreign: foreignOrOptions } : foreignOrOptions
  const foreign = options.foreign ?? []
  const storage = options.storage ?? createMemoryStorage()
  const guarded: WorkloadRecord[] = []
  const store = options.guard === true
    ? await openDocumentStore({
      storage, clock: fixedClock(), rng: counterRng(2), signer: eu.signer, verify: createVerifier(), logger: silentLogger,
      writePolicy: rosterWritePolicy(() => rosterOf([eu])), limits: { maxChangeBytes: 1 << 20, maxChangeOps: 100_000, maxPendingChanges: 10_000 },
      guardChange: (_docId, change) => { if (guarded.length > 0) assertNoLocalOnlyContent(change, guarded) }
    })
    : await openTestStore(eu, [eu], storage)
  if (store.document<SiteDoc>(doc) === undefined) await store.change<SiteDoc>(doc, (d) => { initSiteDoc(d, siteInfo('eu')) })
  const localStore = createLocalStore({ storage })
  const local = new Map<string, string>()
  let written = 0
  const writes = createObjectWrites({
    siteId: 'eu', ownDoc: doc, store, localStore, stubSecret: new Uint8Array(32).fill(3), clock: fixedClock(), rng: counterRng(),
    findRecord: (key) => {
      const d = store.document<SiteDoc>(doc)!
      return [...listWorkloads(d), ...foreign].find((w) => w.key === key) ?? listPolicies(d).find((p) => p.key === key)
    },
    keepLocal: (rec) => {
      local.set(rec.key, rec.residency.kind)
      guarded.splice(0, guarded.length, ...guarded.filter((r) => r.key !== rec.key), rec)
    },
    dropLocal: (key) => {
      local.delete(key)
      guarded.splice(0, guarded.length, ...guarded.filter((r) => r.key !== key))
    },
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

describe('object writes when a step fails', () => {
  const ledger = 'apps/Deployment/shop/ledger'
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'ledger' }
  const replicated = (h: Harness): WorkloadRecord | undefined => getWorkload(h.store.document<SiteDoc>(doc)!, ledger)

  it('moves a replicated workload into the local store under the site\'s guard against leaks', async () => {
    const h = await harness({ guard: true })
    await h.writes.putObject(deployment('ledger'))
    await h.writes.putObject(localOnly(deployment('ledger')))
    expect(replicated(h)).toBeUndefined()
    expect(listStubs(h.store.document<SiteDoc>(doc)!)).toHaveLength(1)
    expect((await h.localStore.getWorkload(ledger))?.generation).toBe(2)
    expect([...h.local]).toEqual([[ledger, 'local-only']])
    // An update of the local-only record is then checked by the guard like any other.
    await h.writes.putObject(localOnly(deployment('ledger', { replicas: 5 })))
    expect((await h.localStore.getWorkload(ledger))?.generation).toBe(3)
  })

  it('leaving local-only: the document is written first; a failed local-store delete leaves a stale copy the next write removes', async () => {
    const storage = flakyStorage()
    const h = await harness({ storage })
    await h.writes.putObject(localOnly(deployment('ledger')))
    storage.failNext('local')
    await expect(h.writes.putObject(deployment('ledger'))).rejects.toThrow('injected: disk full')
    // The write reached the document, so the site refreshed its view; the record is replicated and not kept as local.
    expect(replicated(h)?.generation).toBe(2)
    expect(listStubs(h.store.document<SiteDoc>(doc)!)).toEqual([])
    expect(h.local.size).toBe(0)
    expect(h.written()).toBe(2)
    expect((await h.localStore.getWorkload(ledger))?.generation).toBe(1)
    // Writing the same object again changes nothing in it, but finishes the move.
    const again = await h.writes.putObject(deployment('ledger'))
    expect(again).toMatchObject({ changed: false, created: false })
    expect(await h.localStore.getWorkload(ledger)).toBeUndefined()
    expect(replicated(h)?.generation).toBe(2)
  })

  it('leaving local-only: a stale local copy is dropped at the next start, and the replicated record kept', async () => {
    const storage = flakyStorage()
    const h = await harness({ storage })
    await h.writes.putObject(localOnly(deployment('ledger')))
    storage.failNext('local')
    await expect(h.writes.putObject(deployment('ledger'))).rejects.toThrow('injected: disk full')
    const kept = await h.writes.recover((await h.localStore.loadAll()).workloads)
    expect(kept).toEqual([])
    expect((await h.localStore.loadAll()).workloads).toEqual([])
    expect(replicated(h)?.generation).toBe(2)
  })

  it('entering local-only: a failed document change takes the record back out of the local store', async () => {
    const storage = flakyStorage()
    const h = await harness({ storage })
    await h.writes.putObject(deployment('ledger'))
    storage.failNext('document')
    await expect(h.writes.putObject(localOnly(deployment('ledger')))).rejects.toThrow(/disk full/)
    expect(await h.localStore.getWorkload(ledger)).toBeUndefined()
    expect(h.local.size).toBe(0)
    // The store stopped on the failed write; a restart reloads it from disk, unchanged.
    await h.store.close()
    const restarted = await harness({ storage })
    expect(await restarted.writes.recover((await restarted.localStore.loadAll()).workloads)).toEqual([])
    expect(replicated(restarted)?.generation).toBe(1)
    expect(listStubs(restarted.store.document<SiteDoc>(doc)!)).toEqual([])
  })

  it('entering local-only: when putting back fails too, the next start finishes the move the user asked for', async () => {
    const storage = flakyStorage()
    const h = await harness({ storage })
    await h.writes.putObject(deployment('ledger'))
    const localPut = storage.batch.bind(storage)
    let localWrites = 0
    // The local put succeeds; the document change fails; so does taking the local copy back out.
    storage.batch = async (ops) => {
      const local = ops.every((op) => op.key.startsWith(LOCAL_PREFIX))
      if (local && ++localWrites === 1) { await localPut(ops); return }
      throw new Error('injected: disk gone')
    }
    await expect(h.writes.putObject(localOnly(deployment('ledger')))).rejects.toThrow(/disk gone/)
    expect((await h.localStore.getWorkload(ledger))?.generation).toBe(2)
    expect(replicated(h)?.generation).toBe(1)
    storage.batch = localPut
    await h.store.close()
    const restarted = await harness({ storage })
    const kept = await restarted.writes.recover((await restarted.localStore.loadAll()).workloads)
    expect(kept.map((r) => [r.key, r.generation, r.residency.kind])).toEqual([[ledger, 2, 'local-only']])
    const d = restarted.store.document<SiteDoc>(doc)!
    expect(getWorkload(d, ledger)).toBeUndefined()
    expect(listStubs(d)).toHaveLength(1)
  })

  it('deleting a local-only record: a failed local-store delete leaves it whole, and deleting again finishes', async () => {
    const storage = flakyStorage()
    const h = await harness({ storage })
    await h.writes.putObject(localOnly(deployment('ledger')))
    storage.failNext('local')
    await expect(h.writes.deleteObject(ref)).rejects.toThrow('injected: disk full')
    expect((await h.localStore.getWorkload(ledger))?.residency).toEqual({ kind: 'local-only' })
    expect([...h.local]).toEqual([[ledger, 'local-only']])
    expect(listStubs(h.store.document<SiteDoc>(doc)!)).toEqual([])
    expect(await h.writes.deleteObject(ref)).toBe(true)
    expect(await h.localStore.getWorkload(ledger)).toBeUndefined()
    expect(h.local.size).toBe(0)
    expect(await h.writes.deleteObject(ref)).toBe(false)
  })

  it('at start, drops a stub no local record explains and keeps the records that are whole', async () => {
    const storage = flakyStorage()
    const h = await harness({ storage })
    await h.writes.putObject(localOnly(deployment('ledger')))
    await h.writes.putObject(localOnly(deployment('vault')))
    // A crash of an older build between its two steps: the record gone, its stub left behind.
    await h.localStore.deleteWorkload('apps/Deployment/shop/vault')
    expect(listStubs(h.store.document<SiteDoc>(doc)!)).toHaveLength(2)
    const kept = await h.writes.recover((await h.localStore.loadAll()).workloads)
    expect(kept.map((r) => r.key)).toEqual([ledger])
    expect(listStubs(h.store.document<SiteDoc>(doc)!)).toHaveLength(1)
    const heads = h.store.heads(doc)
    // Nothing to settle: no change at all.
    await h.writes.recover((await h.localStore.loadAll()).workloads)
    expect(h.store.heads(doc)).toEqual(heads)
  })
})
