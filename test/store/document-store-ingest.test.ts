import * as A from '@automerge/automerge'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createMemoryStorage } from '../../sim/storage/memory-storage.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import type { Storage } from '../../src/ports/storage.ts'
import { createVerifier, verifyManyOf, type Verify } from '../../src/identity/keys.ts'
import { FEDERATION_DOC_ID, openDocumentStore, rosterWritePolicy, siteDocId, type DocumentStore } from '../../src/store/document-store.ts'
import { readChangeHeaderFast } from '../../src/store/log/change-header.ts'
import { encodeSignedChange, signChange, type SignedChange } from '../../src/store/log/envelope.ts'
import { decodeRecord, decodeSnapshot, encodeRecord, snapshotKey } from '../../src/store/log/records.ts'
import { counterRng, fixedClock, openTestStore, rosterOf, testSite } from '../support/store-fixtures.ts'

type Doc = Record<string, unknown>

const sites = ['eu-west', 'ap-south', 'us-east'].map(testSite)
const [eu, ap, us] = sites as [typeof sites[0], typeof sites[0], typeof sites[0]]

async function openWith (site: typeof eu, storage: Storage, verify: Verify, snapshotEvery = 5): Promise<DocumentStore> {
  return await openDocumentStore({
    storage, clock: fixedClock(), rng: counterRng(site.id.length), signer: site.signer, verify,
    writePolicy: rosterWritePolicy(() => rosterOf(sites)), logger: silentLogger, snapshotEvery,
    limits: { maxChangeBytes: 1 << 20, maxChangeOps: 100_000, maxPendingChanges: 10_000 }
  })
}

/** A few hundred changes by two writers to their own documents and the federation document. */
async function writes (count: number): Promise<SignedChange[]> {
  const a = await openTestStore(eu, sites)
  const b = await openTestStore(ap, sites)
  const out: SignedChange[] = []
  for (let i = 0; i < count; i++) {
    const [store, site] = i % 3 === 0 ? [b, ap] : [a, eu]
    const docId = i % 7 === 0 ? FEDERATION_DOC_ID : siteDocId(site.id)
    const entry = await store.change<Doc>(docId, (d) => { d[`k${i % 40}`] = { i, list: [i, i + 1] } })
    if (entry !== undefined) out.push(entry.env)
    if (i % 10 === 9) {
      await a.ingest(out)
      await b.ingest(out)
    }
  }
  return out
}

function stateOf (store: DocumentStore): Record<string, { heads: string[], value: unknown }> {
  const out: Record<string, { heads: string[], value: unknown }> = {}
  for (const d of store.documentIds()) out[d] = { heads: store.heads(d), value: A.toJS(store.document(d)!) }
  return out
}

/** A change by `site` that passes the header reader (checksum fixed up) but that Automerge refuses. */
function refusedChange (site: typeof eu): Uint8Array {
  const actor = site.signer.publicKeyHex + '0a0b0c0d0e0f1011'
  const good = A.getLastLocalChange(A.change(A.init<Doc>({ actor }), { time: 0 }, (d) => { d['a'] = 'hello world'; d['b'] = { c: 1, d: [1, 2, 3] } }))!
  for (let at = good.length - 1; at > 60; at--) {
    for (const flip of [1, 0x40, 0x80]) {
      const bad = Uint8Array.from(good)
      bad[at]! ^= flip
      bad.set(createHash('sha256').update(bad.subarray(8)).digest().subarray(0, 4), 4)
      let header
      try { header = readChangeHeaderFast(bad) } catch { continue }
      if (header === undefined || header.actor !== actor) continue
      try { A.applyChanges(A.init<unknown>(), [bad]) } catch { return bad }
    }
  }
  throw new Error('no refused mutation found')
}

describe('signed document store, ingest', () => {
  it('ingests the same history to the same state and report whether signatures are checked one at a time or together on the thread pool', async () => {
    const envelopes = await writes(120)
    const pooled = createVerifier()
    const plain: Verify = (k, c, m, s) => pooled(k, c, m, s)
    expect(verifyManyOf(pooled)).toBeDefined()
    expect(verifyManyOf(plain)).toBeUndefined()
    const forged = { ...envelopes[5]!, signature: Uint8Array.from(envelopes[6]!.signature) }
    const stream = [...envelopes.slice(0, 150), forged, ...envelopes.slice(40, 90), ...envelopes.slice(150)]
    const a = await openWith(us, createMemoryStorage(), pooled)
    const b = await openWith(us, createMemoryStorage(), plain)
    const reports = []
    for (const store of [a, b]) {
      const r = []
      for (let at = 0; at < stream.length; at += 130) r.push(await store.ingest(stream.slice(at, at + 130)))
      reports.push(r.map((x) => ({ ...x, rejected: x.rejected.map((j) => j.code) })))
    }
    expect(reports[0]).toEqual(reports[1])
    expect(reports[0]!.flatMap((r) => r.rejected)).toEqual(['bad-signature'])
    expect(stateOf(a)).toEqual(stateOf(b))
    expect(Object.keys(stateOf(a)).sort()).toEqual([FEDERATION_DOC_ID, siteDocId(ap.id), siteDocId(eu.id)].sort())
  })

  it('lets readers see received changes only once they are durable', async () => {
    const inner = createMemoryStorage()
    let open!: () => void
    const gate = new Promise<void>((resolve) => { open = resolve })
    let gated = false
    let writing = false
    const storage: Storage = {
      get: async (k) => await inner.get(k),
      entries: (r) => inner.entries(r),
      close: async () => { await inner.close() },
      batch: async (ops) => {
        writing = true
        if (gated) await gate
        await inner.batch(ops)
        writing = false
      }
    }
    const writer = await openTestStore(eu, sites)
    const first = await writer.change<Doc>(siteDocId(eu.id), (d) => { d['a'] = 1 })
    const second = await writer.change<Doc>(siteDocId(eu.id), (d) => { d['a'] = 2 })
    const federation = await writer.change<Doc>(FEDERATION_DOC_ID, (d) => { d['f'] = 1 })
    const reader = await openTestStore(ap, sites, storage)
    await reader.ingest([first!.env])
    expect(A.toJS(reader.document(siteDocId(eu.id))!)).toEqual({ a: 1 })

    gated = true
    const pending = reader.ingest([second!.env, federation!.env])
    while (!writing) await new Promise((resolve) => setImmediate(resolve))
    // Verified, logged and applied to the history, but not durable: readers see the old state.
    const during = reader.document(siteDocId(eu.id))!
    expect(A.toJS(during)).toEqual({ a: 1 })
    expect(A.getHeads(during)).toEqual([first!.hash])
    expect(reader.document(FEDERATION_DOC_ID)).toBeUndefined()
    open()
    const report = await pending
    expect(report.accepted).toBe(2)
    expect(A.toJS(reader.document(siteDocId(eu.id))!)).toEqual({ a: 2 })
    expect(A.toJS(reader.document(FEDERATION_DOC_ID)!)).toEqual({ f: 1 })
    // The value read during the write is still the consistent snapshot it was.
    expect(A.toJS(during)).toEqual({ a: 1 })
  })

  it('writes a due snapshot with the next write, or at close, and reopens from it to the same state', async () => {
    const writer = await openTestStore(eu, sites)
    const chain: SignedChange[] = []
    for (let i = 0; i < 25; i++) chain.push((await writer.change<Doc>(siteDocId(eu.id), (d) => { d[`k${i}`] = i }))!.env)
    const storage = createMemoryStorage()
    const snapshotHeads = async (): Promise<string[] | undefined> => {
      const raw = await storage.get(snapshotKey(siteDocId(eu.id)))
      return raw === undefined ? undefined : decodeSnapshot(decodeRecord(snapshotKey(siteDocId(eu.id)), 'snapshot', raw)).heads
    }
    const store = await openWith(us, storage, createVerifier(), 10)
    await store.ingest(chain.slice(0, 10))
    // Due now; it is written with the next write, as the document was before that write.
    expect(await snapshotHeads()).toBeUndefined()
    const headsAfterTen = store.heads(siteDocId(eu.id))
    await store.ingest(chain.slice(10, 12))
    expect(await snapshotHeads()).toEqual(headsAfterTen)
    await store.ingest(chain.slice(12, 22))
    expect(await snapshotHeads()).toEqual(headsAfterTen)
    const expected = stateOf(store)
    await store.close()
    expect(await snapshotHeads()).toEqual(expected[siteDocId(eu.id)]!.heads)
    const reopened = await openWith(us, storage, createVerifier(), 10)
    expect(stateOf(reopened)).toEqual(expected)
    await reopened.ingest(chain.slice(22))
    expect(A.toJS(reopened.document(siteDocId(eu.id))!)).toEqual(A.toJS(writer.document(siteDocId(eu.id))!))
  })

  it('writes a local change and the snapshot it makes due in one batch', async () => {
    const inner = createMemoryStorage()
    const batches: string[][] = []
    const storage: Storage = {
      get: async (k) => await inner.get(k),
      entries: (r) => inner.entries(r),
      close: async () => { await inner.close() },
      batch: async (ops) => { batches.push(ops.map((o) => o.key.split('/')[0]!)); await inner.batch(ops) }
    }
    const store = await openWith(eu, storage, createVerifier(), 3)
    for (let i = 0; i < 7; i++) await store.change<Doc>(siteDocId(eu.id), (d) => { d[`k${i}`] = i })
    expect(batches.slice(1)).toEqual([['log'], ['log'], ['log', 'snap'], ['log'], ['log'], ['log', 'snap'], ['log']])
    const reopened = await openWith(eu, storage, createVerifier(), 3)
    expect(stateOf(reopened)).toEqual(stateOf(store))
  })

  it('rejects a change Automerge refuses though it passed every other check, never writes it, and goes on', async () => {
    const storage = createMemoryStorage()
    const reader = await openTestStore(ap, sites, storage)
    const writer = await openTestStore(eu, sites)
    const first = await writer.change<Doc>(siteDocId(eu.id), (d) => { d['ok'] = 1 })
    const second = await writer.change<Doc>(siteDocId(eu.id), (d) => { d['ok'] = 2 })
    await reader.ingest([first!.env])
    const bad = signChange(eu.signer, siteDocId(eu.id), refusedChange(eu))
    const badHash = readChangeHeaderFast(bad.change)!.hash
    const report = await reader.ingest([bad, second!.env])
    expect(report.rejected.map((r) => [r.code, r.signer])).toEqual([['malformed', eu.signer.publicKeyHex]])
    expect(report.accepted).toBe(1)
    expect(reader.log(siteDocId(eu.id))!.has(badHash)).toBe(false)
    expect(await storage.get(`log/${siteDocId(eu.id)}/${badHash}`)).toBeUndefined()
    expect(A.toJS(reader.document(siteDocId(eu.id))!)).toEqual({ ok: 2 })
    // Offered again, it is refused at once.
    const again = await reader.ingest([bad])
    expect(again.rejected.map((r) => r.code)).toEqual(['malformed'])
    const reopened = await openTestStore(ap, sites, storage)
    expect(reopened.corrupt).toEqual([])
    expect(reopened.heads(siteDocId(eu.id))).toEqual([second!.hash])
    expect(A.toJS(reopened.document(siteDocId(eu.id))!)).toEqual({ ok: 2 })
  })

  it('opens a store holding a change Automerge refuses: skips it as corrupt and loads the rest', async () => {
    const storage = createMemoryStorage()
    const writer = await openTestStore(eu, sites, storage)
    const good = await writer.change<Doc>(siteDocId(eu.id), (d) => { d['ok'] = true })
    const bad = signChange(eu.signer, siteDocId(eu.id), refusedChange(eu))
    const badHash = readChangeHeaderFast(bad.change)!.hash
    // As an older version would have written it.
    await storage.batch([{ type: 'put', key: `log/${siteDocId(eu.id)}/${badHash}`, value: encodeRecord('change', encodeSignedChange(bad)) }])
    const reopened = await openTestStore(eu, sites, storage)
    expect(reopened.corrupt.map((c) => c.key)).toEqual([`log/${siteDocId(eu.id)}/${badHash}`])
    expect(reopened.heads(siteDocId(eu.id))).toEqual([good!.hash])
    expect(A.toJS(reopened.document(siteDocId(eu.id))!)).toEqual({ ok: true })
    expect(await reopened.change<Doc>(siteDocId(eu.id), (d) => { d['more'] = 1 })).toBeDefined()
  })
})
