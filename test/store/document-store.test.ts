import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { createMemoryStorage } from '../../sim/storage/memory-storage.ts'
import { describe, expect, it } from 'vitest'
import { signChange, type SignedChange } from '../../src/store/log/envelope.ts'
import { readChangeHeader } from '../../src/store/log/change-header.ts'
import { decodeRecord, decodeSnapshot } from '../../src/store/log/records.ts'
import { FEDERATION_DOC_ID, openDocumentStore, siteDocId, type DocumentStore } from '../../src/store/document-store.ts'
import { rosterWritePolicy } from '../../src/store/roster-write-policy.ts'
import { FlotillaError, isFlotillaError } from '../../src/model/errors.ts'
import type { Storage } from '../../src/ports/storage.ts'
import { createVerifier } from '../../src/identity/keys.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { counterRng, openTestStore, rosterOf, testSite, type TestSite } from '../support/store-fixtures.ts'
import { createManualClock, type ManualClock } from '../sim/network/manual-clock.ts'

type Doc = Record<string, unknown>

const sites = ['eu-west', 'ap-south', 'us-east', 'byz'].map(testSite)
const [eu, ap, us, byz] = sites as [TestSite, TestSite, TestSite, TestSite]

/** Every signed change a store holds, across documents. */
function allEnvelopes (store: DocumentStore): SignedChange[] {
  return store.documentIds().flatMap((d) => store.signedChanges(d, [...store.log(d)!.hashes()]))
}

function snapshotOf (store: DocumentStore): Record<string, { heads: string[], value: unknown }> {
  const out: Record<string, { heads: string[], value: unknown }> = {}
  for (const d of store.documentIds()) out[d] = { heads: store.heads(d), value: A.toJS(store.document(d)!) }
  return out
}

/**
 * Builds a history: honest sites write their own documents and the federation document,
 * exchanging changes so later changes depend on others'; the Byzantine site equivocates
 * on its own document (two different changes with the same actor and seq).
 */
async function buildHistory (rounds: number, equivocate: boolean): Promise<SignedChange[]> {
  const stores = await Promise.all([eu, ap, us, byz].map((s) => openTestStore(s, sites)))
  const envelopes: SignedChange[] = []
  let early: A.Doc<Doc> | undefined
  for (let r = 0; r < rounds; r++) {
    for (const [i, store] of stores.entries()) {
      const site = sites[i]!
      await store.change<Doc>(siteDocId(site.id), (d) => { d[`k${r}`] = { round: r, by: site.id } })
      if (r % 2 === 1) await store.change<Doc>(FEDERATION_DOC_ID, (d) => { d[`${site.id}-${r}`] = r })
    }
    const all = stores.flatMap(allEnvelopes)
    for (const store of stores) await store.ingest(all)
    if (r === 0) early = A.clone(stores[3]!.document<Doc>(siteDocId(byz.id))!, { actor: stores[3]!.actor })
  }
  envelopes.push(...stores.flatMap(allEnvelopes))
  if (equivocate) {
    const byzStore = stores[3]!
    const doc = byzStore.document<Doc>(siteDocId(byz.id))!
    // Take each change's bytes at once: a later change on the same Automerge value reuses its handle.
    const left = A.change(A.clone(doc, { actor: byzStore.actor }), { time: 0 }, (d) => { d['fork'] = 'left' })
    const leftChange = A.getLastLocalChange(left)!
    const right = A.change(A.clone(doc, { actor: byzStore.actor }), { time: 0 }, (d) => { d['fork'] = 'right' })
    const rightChange = A.getLastLocalChange(right)!
    const leftNext = A.change(left, { time: 0 }, (d) => { d['after'] = 'left' })
    const forks = [leftChange, rightChange, A.getLastLocalChange(leftNext)!]
    // A second, earlier fork: a different change at the seq right after round 0.
    if (rounds > 1) forks.push(A.getLastLocalChange(A.change(early!, { time: 0 }, (d) => { d['early'] = 'fork' }))!)
    for (const c of forks) envelopes.push(signChange(byz.signer, siteDocId(byz.id), c))
    // An honest write to the federation document after the fork, independent of it.
    await stores[0]!.change<Doc>(FEDERATION_DOC_ID, (d) => { d['late'] = true })
    envelopes.push(...stores[0]!.signedChanges(FEDERATION_DOC_ID, stores[0]!.heads(FEDERATION_DOC_ID)))
  }
  return envelopes
}

async function collectKeys (storage: Storage): Promise<string[]> {
  const keys: string[] = []
  for await (const [k] of storage.entries()) keys.push(k)
  return keys
}

/**
 * A storage whose writes of keys under `prefix` wait until released, to see what waits
 * for them: `fail()` fails the held ones, and after `failNext()` such writes fail at once.
 */
function holdingWrites (inner: Storage, prefix: string): { storage: Storage, release: () => void, fail: () => void, failNext: () => void, held: () => number } {
  const waiting: Array<{ resolve: () => void, reject: (e: Error) => void }> = []
  const injected = (): FlotillaError => new FlotillaError('storage-failed', `injected failure writing ${prefix}`, 'a test fault')
  let failing = false
  return {
    storage: {
      get: async (key) => await inner.get(key),
      entries: (range) => inner.entries(range),
      close: async () => { await inner.close() },
      async batch (ops) {
        if (ops.some((op) => op.key.startsWith(prefix))) {
          if (failing) throw injected()
          await new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }))
        }
        await inner.batch(ops)
      }
    },
    release () { for (const w of waiting.splice(0)) w.resolve() },
    fail () { for (const w of waiting.splice(0)) w.reject(injected()) },
    failNext () { failing = true },
    held: () => waiting.length
  }
}

/** Whether `p` settles within a few turns of the event loop. */
async function settlesSoon (p: Promise<unknown>): Promise<boolean> {
  let settled = false
  p.then(() => { settled = true }, () => { settled = true })
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
  return settled
}

describe('signed document store', () => {
  it('persists a local change before it resolves and reloads to the same heads', async () => {
    const storage = createMemoryStorage()
    const store = await openTestStore(eu, sites, storage)
    const entry = await store.change<Doc>(siteDocId(eu.id), (d) => { d['hello'] = 'world' })
    expect(entry).toBeDefined()
    expect(await storage.get(`log/${siteDocId(eu.id)}/${entry!.hash}`)).toBeDefined()
    for (let i = 0; i < 12; i++) await store.change<Doc>(siteDocId(eu.id), (d) => { d[`n${i}`] = i })
    const heads = store.heads(siteDocId(eu.id))
    const reopened = await openTestStore(eu, sites, storage)
    expect(reopened.heads(siteDocId(eu.id))).toEqual(heads)
    expect(A.toJS(reopened.document(siteDocId(eu.id))!)).toEqual(A.toJS(store.document(siteDocId(eu.id))!))
    expect(reopened.actor).toBe(store.actor)
  })

  it('writes nothing when a change function changes nothing', async () => {
    const store = await openTestStore(eu, sites)
    await store.change<Doc>(siteDocId(eu.id), (d) => { d['a'] = 1 })
    expect(await store.change<Doc>(siteDocId(eu.id), (d) => { if (d['a'] !== 1) d['a'] = 1 })).toBeUndefined()
    expect(store.log(siteDocId(eu.id))!.size()).toBe(1)
  })

  it('refuses to write another site\'s document', async () => {
    const store = await openTestStore(eu, sites)
    await expect(store.change<Doc>(siteDocId(ap.id), (d) => { d['x'] = 1 })).rejects.toMatchObject({ code: 'unauthorized-writer' })
  })

  it('gives identical heads and documents for any permutation, duplication and batching of the same changes, equivocation included', async () => {
    const envelopes = await buildHistory(4, true)
    const reference = await openTestStore(eu, sites)
    await reference.ingest(envelopes)
    const expected = snapshotOf(reference)
    // The equivocating writer's document keeps only the common prefix of its lowest fork.
    expect((expected[siteDocId(byz.id)]!.value as Doc)['fork']).toBeUndefined()
    expect((expected[siteDocId(byz.id)]!.value as Doc)['early']).toBeUndefined()
    expect(Object.keys(expected[siteDocId(byz.id)]!.value as Doc)).toEqual(['k0'])
    expect(reference.log(siteDocId(byz.id))!.forkedSigners()).toEqual([byz.signer.publicKeyHex])
    expect((expected[FEDERATION_DOC_ID]!.value as Doc)['late']).toBe(true)

    await fc.assert(fc.asyncProperty(
      fc.shuffledSubarray(envelopes.map((_, i) => i), { minLength: envelopes.length, maxLength: envelopes.length }),
      fc.array(fc.nat(envelopes.length - 1), { maxLength: 10 }),
      fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 }),
      async (order, dupes, batchSizes) => {
        const stream = [...order, ...dupes].map((i) => envelopes[i]!)
        const replica = await openTestStore(ap, sites)
        let at = 0
        for (let b = 0; at < stream.length; b++) {
          const size = batchSizes[b % batchSizes.length]!
          await replica.ingest(stream.slice(at, at + size))
          at += size
        }
        expect(snapshotOf(replica)).toEqual(expected)
      }), { numRuns: 40 })
  })

  it('records self-proving evidence when a writer equivocates, and never applies its later changes', async () => {
    const envelopes = await buildHistory(1, true)
    const replica = await openTestStore(us, sites)
    const seen: string[] = []
    replica.onEvidence((e) => { seen.push(e.signer) })
    const report = await replica.ingest(envelopes)
    expect(report.evidence).toHaveLength(1)
    const [a, b] = report.evidence[0]!.pair
    expect(a.actor).toBe(b.actor)
    expect(a.seq).toBe(b.seq)
    expect(a.hash < b.hash).toBe(true)
    expect(seen).toEqual([byz.signer.publicKeyHex])
    // A later change from the forked writer, even under a fresh incarnation, is held but never applied.
    const byzStore = await openTestStore(byz, sites, createMemoryStorage(), {}, 99)
    await byzStore.ingest(envelopes.filter((e) => e.docId !== siteDocId(byz.id)))
    const later = await byzStore.change<Doc>(siteDocId(byz.id), (d) => { d['later'] = 1 })
    const second = await replica.ingest([later!.env])
    expect(second.accepted).toBe(1)
    expect((A.toJS(replica.document(siteDocId(byz.id))!) as Doc)['later']).toBeUndefined()
    expect(replica.log(siteDocId(byz.id))!.isMaterialised(later!.hash)).toBe(false)
  })

  it('refuses a local change once its own key equivocated, before running it, and stores nothing', async () => {
    const storage = createMemoryStorage()
    const store = await openTestStore(byz, sites, storage)
    const docId = siteDocId(byz.id)
    await store.change<Doc>(docId, (d) => { d['first'] = 1 })
    // The same key, from an older copy of the data: a different change at the same position.
    const stale = A.change(A.init<Doc>({ actor: store.actor }), { time: 0 }, (d) => { d['first'] = 'other' })
    const report = await store.ingest([signChange(byz.signer, docId, A.getLastLocalChange(stale)!)])
    expect(report.evidence).toHaveLength(1)
    const size = store.log(docId)!.size()
    const keys = (await collectKeys(storage)).length
    let ran = false
    const refused = await store.change<Doc>(docId, (d) => { ran = true; d['second'] = 2 }).catch((e: unknown) => e)
    expect(isFlotillaError(refused, 'writer-banned')).toBe(true)
    expect((refused as FlotillaError).hint).toMatch(/new key/)
    expect(ran).toBe(false)
    expect(store.log(docId)!.size()).toBe(size)
    expect((await collectKeys(storage)).length).toBe(keys)
    // Other documents are not affected.
    expect(await store.change<Doc>(FEDERATION_DOC_ID, (d) => { d['still'] = true })).toBeDefined()
  })

  it('replaces the snapshot of a document rebuilt after an equivocation, so a restart loads it without a rebuild', async () => {
    const envelopes = await buildHistory(3, true)
    const storage = createMemoryStorage()
    const replica = await openTestStore(us, sites, storage)
    // One at a time, so the first fork is materialised before the second one arrives.
    let rebuilt = false
    for (const env of envelopes) {
      const report = await replica.ingest([env])
      if (report.evidence.length > 0) rebuilt = true
    }
    expect(rebuilt).toBe(true)
    const byzDoc = siteDocId(byz.id)
    const raw = await storage.get(`snap/${byzDoc}`)
    expect(raw).toBeDefined()
    const { heads } = decodeSnapshot(decodeRecord(`snap/${byzDoc}`, 'snapshot', raw!))
    expect(heads).toEqual(A.getHeads(replica.document(byzDoc)!))
    const reopened = await openTestStore(us, sites, storage)
    expect(A.toJS(reopened.document(byzDoc)!)).toEqual(A.toJS(replica.document(byzDoc)!))
    expect(A.getHeads(reopened.document(byzDoc)!)).toEqual(heads)
  })

  it('holds changes with missing dependencies in a bounded quarantine', async () => {
    const author = await openTestStore(eu, sites)
    const chain: SignedChange[] = []
    for (let i = 0; i < 6; i++) chain.push((await author.change<Doc>(siteDocId(eu.id), (d) => { d[`c${i}`] = i }))!.env)
    const replica = await openTestStore(ap, sites, createMemoryStorage(), { maxPendingChanges: 3 })
    const report = await replica.ingest(chain.slice(1))
    expect(report.accepted).toBe(3)
    expect(report.dropped.map((d) => d.code)).toEqual(['quarantine-full', 'quarantine-full'])
    expect(replica.log(siteDocId(eu.id))!.missingDeps()).toEqual([readChangeHeader(chain[0]!.change).hash])
    expect(replica.document(siteDocId(eu.id))).toBeUndefined()
    await replica.ingest(chain)
    expect(replica.heads(siteDocId(eu.id))).toEqual(author.heads(siteDocId(eu.id)))
    expect(A.toJS(replica.document(siteDocId(eu.id))!)).toEqual(A.toJS(author.document(siteDocId(eu.id))!))
  })

  it('skips a corrupt record at load, reports it, and still loads the rest', async () => {
    const storage = createMemoryStorage()
    const store = await openTestStore(eu, sites, storage)
    await store.change<Doc>(siteDocId(eu.id), (d) => { d['a'] = 1 })
    const second = await store.change<Doc>(siteDocId(eu.id), (d) => { d['b'] = 2 })
    const third = await store.change<Doc>(FEDERATION_DOC_ID, (d) => { d['c'] = 3 })
    const key = `log/${siteDocId(eu.id)}/${second!.hash}`
    storage.corrupt(key, 8 * 20)
    const reopened = await openTestStore(eu, sites, storage)
    expect(reopened.corrupt.map((c) => c.key)).toEqual([key])
    expect(reopened.corrupt[0]!.message).toMatch(/checksum mismatch/)
    expect(reopened.corrupt[0]!.code).toBe('corrupt-record')
    expect(reopened.heads(FEDERATION_DOC_ID)).toEqual([third!.hash])
    expect(A.toJS(reopened.document(siteDocId(eu.id))!)).toEqual({ a: 1 })
  })

  it('resolves a change once its record is durable, not its snapshot; the next write and close wait for that snapshot', async () => {
    const inner = createMemoryStorage()
    const disk = holdingWrites(inner, 'snap/')
    const store = await openTestStore(eu, sites, disk.storage)
    // snapshotEvery is 5 in the test stores: the fifth change starts a snapshot write.
    for (let i = 0; i < 5; i++) await store.change<Doc>(siteDocId(eu.id), (d) => { d[`k${i}`] = i })
    expect(disk.held()).toBe(1)
    expect(await inner.get(`snap/${siteDocId(eu.id)}`)).toBeUndefined()
    const sixth = store.change<Doc>(siteDocId(eu.id), (d) => { d['k5'] = 5 })
    expect(await settlesSoon(sixth)).toBe(false)
    disk.release()
    await sixth
    expect(await inner.get(`snap/${siteDocId(eu.id)}`)).toBeDefined()

    for (let i = 6; i < 10; i++) await store.change<Doc>(siteDocId(eu.id), (d) => { d[`k${i}`] = i })
    expect(disk.held()).toBe(1)
    const closing = store.close()
    expect(await settlesSoon(closing)).toBe(false)
    disk.release()
    await closing
    const reopened = await openTestStore(eu, sites, inner)
    expect(Object.keys(A.toJS(reopened.document<Doc>(siteDocId(eu.id))!)).length).toBe(10)
  })

  it('stops at the next operation when a snapshot write fails, with every change it acknowledged durable', async () => {
    const inner = createMemoryStorage()
    const disk = holdingWrites(inner, 'snap/')
    disk.failNext()
    const store = await openTestStore(eu, sites, disk.storage)
    const acknowledged: string[] = []
    for (let i = 0; i < 5; i++) acknowledged.push((await store.change<Doc>(siteDocId(eu.id), (d) => { d[`k${i}`] = i }))!.hash)
    let error: unknown
    try { await store.change<Doc>(siteDocId(eu.id), (d) => { d['k5'] = 5 }) } catch (e) { error = e }
    expect(isFlotillaError(error, 'storage-failed')).toBe(true)
    const reopened = await openTestStore(eu, sites, inner)
    expect(acknowledged.every((h) => reopened.log(siteDocId(eu.id))!.has(h))).toBe(true)
    expect(reopened.heads(siteDocId(eu.id))).toEqual([acknowledged[4]])
    // The stopped store still closes (a site shutting down must not fail over it), and is closed.
    await store.close()
    let afterClose: unknown
    try { await store.change<Doc>(siteDocId(eu.id), (d) => { d['k6'] = 6 }) } catch (e) { afterClose = e }
    expect(isFlotillaError(afterClose, 'store-closed')).toBe(true)
  })

  describe('snapshots of received changes', () => {
    /** A receiving store on a manual clock; snapshotEvery 5, snapshots after 1 s without ingest. */
    async function receiver (storage: Storage, clock: ManualClock): Promise<DocumentStore> {
      return await openDocumentStore({
        storage, clock, rng: counterRng(3), signer: eu.signer, verify: createVerifier(),
        writePolicy: rosterWritePolicy(() => rosterOf(sites)), logger: silentLogger,
        limits: { maxChangeBytes: 1 << 20, maxChangeOps: 100_000, maxPendingChanges: 10_000 },
        snapshotEvery: 5, snapshotQuietMs: 1000
      })
    }

    /** `count` changes to ap's document, in the order they were made. */
    async function authored (count: number): Promise<SignedChange[]> {
      const author = await openTestStore(ap, sites)
      const out: SignedChange[] = []
      for (let i = 0; i < count; i++) out.push((await author.change<Doc>(siteDocId(ap.id), (d) => { d[`k${i}`] = i }))!.env)
      return out
    }

    async function snapshotHeads (storage: Storage): Promise<string[] | undefined> {
      const key = `snap/${siteDocId(ap.id)}`
      const raw = await storage.get(key)
      return raw === undefined ? undefined : decodeSnapshot(decodeRecord(key, 'snapshot', raw)).heads
    }

    it('saves a document once ingest pauses, not in the middle of a burst', async () => {
      const changes = await authored(12)
      const storage = createMemoryStorage()
      const clock = createManualClock()
      const store = await receiver(storage, clock)
      for (let i = 0; i < 12; i += 4) {
        await store.ingest(changes.slice(i, i + 4))
        clock.advance(600) // batches 600 ms apart: never a whole second of quiet
      }
      // Due since the second batch (8 of a threshold of 5), but the burst went on.
      expect(await snapshotHeads(storage)).toBeUndefined()
      clock.advance(400)
      await store.ingest([]) // the quiet timer's snapshot runs in the store's queue; this waits for it
      await store.ingest([])
      expect(await snapshotHeads(storage)).toEqual(store.heads(siteDocId(ap.id)))
      expect(clock.pending()).toBe(0)
      await store.close()
    })

    it('saves at once a document that received four times its threshold without a pause', async () => {
      const changes = await authored(22)
      const storage = createMemoryStorage()
      const clock = createManualClock()
      const store = await receiver(storage, clock)
      await store.ingest(changes.slice(0, 8)) // due: waits for a pause
      await store.ingest(changes.slice(8, 20)) // 20 since the last snapshot: saved at once
      await store.ingest(changes.slice(20))
      clock.advance(1000)
      await store.ingest([])
      expect(clock.pending()).toBe(0)
      await store.close()
      // The snapshot is the one of the 20; the 2 after it were not due, so neither the
      // pause nor close added one.
      expect(await snapshotHeads(storage)).toEqual([readChangeHeader(changes[19]!.change).hash])
      const reopened = await receiver(storage, createManualClock())
      expect(reopened.heads(siteDocId(ap.id))).toEqual([readChangeHeader(changes[21]!.change).hash])
      expect(Object.keys(A.toJS(reopened.document<Doc>(siteDocId(ap.id))!))).toHaveLength(22)
    })

    it('saves a document still waiting for a pause when the store closes', async () => {
      const changes = await authored(8)
      const storage = createMemoryStorage()
      const clock = createManualClock()
      const store = await receiver(storage, clock)
      await store.ingest(changes)
      expect(await snapshotHeads(storage)).toBeUndefined()
      await store.close()
      expect(await snapshotHeads(storage)).toEqual([readChangeHeader(changes[7]!.change).hash])
      clock.advance(5000) // the cancelled timer does nothing after close
      expect(clock.pending()).toBe(0)
    })
  })

  it('commits every ingest that waited behind a slow write in one write, each with its own report', async () => {
    const author = await openTestStore(ap, sites)
    const sent: SignedChange[] = []
    for (let i = 0; i < 4; i++) sent.push((await author.change<Doc>(siteDocId(ap.id), (d) => { d[`k${i}`] = i }))!.env)
    const forged = { ...sent[3]!, docId: siteDocId(us.id) } // ap's change claimed for us's document
    const inner = createMemoryStorage()
    const disk = holdingWrites(inner, 'log/')
    const store = await openTestStore(eu, sites, disk.storage)
    const first = store.ingest([sent[0]!])
    expect(await settlesSoon(first)).toBe(false)
    expect(disk.held()).toBe(1)
    // Three calls arrive while that write is held: one from a peer repeating the first
    // change, one with new changes, one with a forgery.
    const waiting = [store.ingest([sent[0]!, sent[1]!]), store.ingest([sent[1]!, sent[2]!]), store.ingest([forged])]
    disk.release()
    expect((await first).accepted).toBe(1)
    expect(await settlesSoon(Promise.all(waiting))).toBe(false)
    expect(disk.held()).toBe(1) // one write for all three
    disk.release()
    const [repeat, fresh, forgery] = await Promise.all(waiting)
    expect([repeat!.accepted, repeat!.duplicates]).toEqual([1, 1])
    expect([fresh!.accepted, fresh!.duplicates]).toEqual([1, 1])
    expect(forgery!.rejected.map((r) => r.code)).toEqual(['unauthorized-writer'])
    expect(store.heads(siteDocId(ap.id))).toEqual([readChangeHeader(sent[2]!.change).hash])
    expect(Object.keys(A.toJS(store.document<Doc>(siteDocId(ap.id))!)).sort()).toEqual(['k0', 'k1', 'k2'])
  })

  it('neither announces nor serves a local change, nor resolves it, until its log record is durable', async () => {
    const inner = createMemoryStorage()
    const disk = holdingWrites(inner, 'log/')
    const store = await openTestStore(eu, sites, disk.storage)
    const doc = siteDocId(eu.id)
    const announced: string[] = []
    store.onChange((_docId, entries) => { announced.push(...entries.map((e) => e.hash)) })
    const changing = store.change<Doc>(doc, (d) => { d['k'] = 1 })
    expect(await settlesSoon(changing)).toBe(false)
    expect(disk.held()).toBe(1)
    expect(announced).toEqual([])
    // Nothing a peer could fetch: no heads, no log entry, no signed change to serve.
    expect(store.heads(doc)).toEqual([])
    expect(store.log(doc)?.size() ?? 0).toBe(0)
    disk.release()
    const entry = await changing
    expect(announced).toEqual([entry!.hash])
    expect(store.heads(doc)).toEqual([entry!.hash])
    expect(store.signedChanges(doc, [entry!.hash])).toHaveLength(1)
  })

  it('reports and announces received changes only once their log write is durable, and stops when it fails', async () => {
    const author = await openTestStore(ap, sites)
    for (let i = 0; i < 3; i++) await author.change<Doc>(siteDocId(ap.id), (d) => { d[`k${i}`] = i })
    const sent = allEnvelopes(author)
    for (const outcome of ['durable', 'failed'] as const) {
      const inner = createMemoryStorage()
      const disk = holdingWrites(inner, 'log/')
      const store = await openTestStore(eu, sites, disk.storage)
      const announced: string[] = []
      store.onChange((docId, entries) => { announced.push(...entries.map((e) => `${docId}:${e.hash}`)) })
      const ingesting = store.ingest(sent)
      expect(await settlesSoon(ingesting)).toBe(false)
      expect(disk.held()).toBe(1)
      expect(announced).toEqual([])
      if (outcome === 'durable') {
        disk.release()
        expect((await ingesting).accepted).toBe(3)
        expect(announced).toHaveLength(3)
        expect(await collectKeys(inner)).toEqual(expect.arrayContaining(sent.map((e) => expect.stringContaining(readChangeHeader(e.change).hash))))
      } else {
        disk.fail()
        let error: unknown
        try { await ingesting } catch (e) { error = e }
        expect(isFlotillaError(error, 'storage-failed')).toBe(true)
        expect(announced).toEqual([])
        // Memory may be ahead of disk now: the store refuses everything until a restart.
        let next: unknown
        try { await store.change<Doc>(siteDocId(eu.id), (d) => { d['x'] = 1 }) } catch (e) { next = e }
        expect(isFlotillaError(next, 'storage-failed')).toBe(true)
        const reopened = await openTestStore(eu, sites, inner)
        expect(reopened.log(siteDocId(ap.id))?.size() ?? 0).toBe(0)
      }
    }
  })
})
