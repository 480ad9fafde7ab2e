import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FEDERATION_DOC_ID, siteDocId, type DocumentStore } from '../../src/store/document-store.ts'
import { signChange, type SignedChange } from '../../src/store/log/envelope.ts'
import { initFederationDoc, putMember, putSetting, type FederationDoc } from '../../src/store/docs/federation-doc.ts'
import { initSiteDoc, putSiteInfo, type SiteDoc } from '../../src/store/docs/site-doc.ts'
import { buildView } from '../../src/view/build-view.ts'
import { siteInfo } from './docs/fixtures.ts'
import { applyOp, batchesArb, SITES, type Op } from '../view/model.ts'
import { openTestStore, testSite } from '../support/store-fixtures.ts'

const sites = SITES.map(testSite)

function viewOf (store: DocumentStore): ReturnType<typeof buildView> {
  return buildView(new Map(store.documentIds().map((d) => [d, store.document(d)!])))
}

function headsOf (store: DocumentStore): Record<string, string[]> {
  return Object.fromEntries(store.documentIds().map((d) => [d, store.heads(d)]))
}

function everyEnvelope (store: DocumentStore): SignedChange[] {
  return store.documentIds().flatMap((d) => store.signedChanges(d, [...store.log(d)!.hashes()]))
}

/**
 * Each site writes its own document through the accessors (the view model's operations,
 * Byzantine content included), one change per batch, and the federation document in
 * turn; sites exchange after each batch so federation changes depend on each other's.
 * With `equivocate`, the last site signs two different changes at one position.
 */
async function writeHistory (batches: readonly (readonly Op[])[], equivocate: boolean): Promise<SignedChange[]> {
  const stores = await Promise.all(sites.map((s) => openTestStore(s, sites)))
  for (const [i, store] of stores.entries()) {
    await store.change<SiteDoc>(siteDocId(sites[i]!.id), (d) => { initSiteDoc(d, siteInfo(sites[i]!.id)) })
  }
  await stores[0]!.change<FederationDoc>(FEDERATION_DOC_ID, (d) => {
    initFederationDoc(d)
    for (const s of sites) putMember(d, { siteId: s.id, publicKey: s.signer.publicKeyHex, region: `region-${s.id}` })
  })
  for (const store of stores.slice(1)) await store.ingest(everyEnvelope(stores[0]!))
  for (const [b, batch] of batches.entries()) {
    for (const [i, store] of stores.entries()) {
      const ops = batch.filter((op) => op.site === i)
      if (ops.length > 0) await store.change<SiteDoc>(siteDocId(sites[i]!.id), (d) => { for (const op of ops) applyOp(d, op) })
    }
    const writer = stores[b % stores.length]!
    await writer.change<FederationDoc>(FEDERATION_DOC_ID, (d) => { putSetting(d, `round-${b}`, b) })
    const all = stores.flatMap(everyEnvelope)
    for (const store of stores) await store.ingest(all)
  }
  const envelopes = stores.flatMap(everyEnvelope)
  if (equivocate) {
    const liar = stores[stores.length - 1]!
    const me = sites[sites.length - 1]!
    const doc = liar.document<SiteDoc>(siteDocId(me.id))!
    const twins = ['left', 'right'].map((side) =>
      A.getLastLocalChange(A.change(A.clone(doc, { actor: liar.actor }), { time: 0 }, (d) => { putSiteInfo(d, { ...siteInfo(me.id), zone: side }) }))!)
    for (const c of twins) envelopes.push(signChange(me.signer, siteDocId(me.id), c))
  }
  return envelopes
}

describe('replicas of the signed store', () => {
  it('hold identical heads and build an identical view for any order, duplication and batching of the same signed changes, equivocation included', async () => {
    await fc.assert(fc.asyncProperty(
      batchesArb,
      fc.boolean(),
      fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }),
      async (batches, equivocate, orderKeys, dupes, batchSizes) => {
        const envelopes = await writeHistory(batches, equivocate)
        const reference = await openTestStore(testSite('observer'), sites)
        await reference.ingest(envelopes)
        const expectedView = viewOf(reference)
        const expectedHeads = headsOf(reference)
        expect(expectedView.sites.map((s) => s.id)).toEqual([...SITES].sort())
        const liar = sites[sites.length - 1]!
        expect(reference.log(siteDocId(liar.id))!.forkedSigners()).toEqual(equivocate ? [liar.signer.publicKeyHex] : [])
        expect(expectedView.sites.find((s) => s.id === liar.id)!.info?.zone).toBe(siteInfo(liar.id).zone)

        const order = envelopes.map((e, i) => ({ e, k: orderKeys[i % orderKeys.length]! * 1000 + i })).sort((a, b) => a.k - b.k).map((x) => x.e)
        const stream = [...order, ...dupes.map((d) => envelopes[d % envelopes.length]!)]
        const replica = await openTestStore(sites[0]!, sites, undefined, {}, 99)
        let at = 0
        for (let b = 0; at < stream.length; b++) {
          const size = batchSizes[b % batchSizes.length]!
          await replica.ingest(stream.slice(at, at + size))
          at += size
        }
        expect(headsOf(replica)).toEqual(expectedHeads)
        expect(viewOf(replica)).toEqual(expectedView)
      }), { numRuns: 25 })
  }, 120_000)
})
