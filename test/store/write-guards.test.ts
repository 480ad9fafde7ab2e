import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { createMemoryStorage } from '../../sim/storage/memory-storage.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { createVerifier } from '../../src/identity/keys.ts'
import { FlotillaError, isFlotillaError } from '../../src/model/errors.ts'
import { FEDERATION_DOC_ID, openDocumentStore, siteDocId } from '../../src/store/document-store.ts'
import { signChange } from '../../src/store/log/envelope.ts'
import { logPrefix } from '../../src/store/log/records.ts'
import { rosterWritePolicy } from '../../src/store/roster-write-policy.ts'
import type { Storage } from '../../src/ports/storage.ts'
import { counterRng, fixedClock, openTestStore, rosterOf, testSite } from '../support/store-fixtures.ts'

type Doc = Record<string, unknown>

const eu = testSite('eu-west')
const ap = testSite('ap-south')
const outsider = testSite('outsider')
const roster = [eu, ap]

async function logRecords (storage: Storage): Promise<number> {
  let n = 0
  for await (const _ of storage.entries({ prefix: logPrefix() })) n++
  return n
}

describe('who may write, and what', () => {
  it('rejects a federation change signed by a key outside the roster, and changes nothing', async () => {
    const member = await openTestStore(eu, roster)
    const first = await member.change<Doc>(FEDERATION_DOC_ID, (d) => { d.members = 2 })
    // The outsider authors a change on top of the members' history, with its own key.
    const theirs = A.change(A.load<Doc>(A.save(member.document<Doc>(FEDERATION_DOC_ID)!), { actor: outsider.signer.publicKeyHex }), { time: 0 }, (d) => { d.members = 3 })
    const forged = signChange(outsider.signer, FEDERATION_DOC_ID, A.getLastLocalChange(theirs)!)

    const storage = createMemoryStorage()
    const replica = await openTestStore(ap, roster, storage)
    await replica.ingest([first!.env])
    const records = await logRecords(storage)
    const report = await replica.ingest([forged])
    expect(report.accepted).toBe(0)
    expect(report.rejected.map((r) => r.code)).toEqual(['unauthorized-writer'])
    expect(report.rejected[0]!.signer).toBe(outsider.signer.publicKeyHex)
    expect(A.toJS(replica.document<Doc>(FEDERATION_DOC_ID)!)).toEqual({ members: 2 })
    expect(replica.heads(FEDERATION_DOC_ID)).toEqual([first!.hash])
    expect(await logRecords(storage)).toBe(records)
  })

  it('refuses a local change its guard rejects, stores nothing, and takes the next change as if it never ran', async () => {
    const storage = createMemoryStorage()
    const guardError = new FlotillaError('residency-violation', 'a local-only record may not enter a replicated document', 'Keep it in the local store.')
    const store = await openDocumentStore({
      storage,
      clock: fixedClock(),
      rng: counterRng(3),
      signer: eu.signer,
      verify: createVerifier(),
      writePolicy: rosterWritePolicy(() => rosterOf(roster)),
      limits: { maxChangeBytes: 1 << 20, maxChangeOps: 100_000, maxPendingChanges: 10_000 },
      guardChange: (_docId, change) => { if (Buffer.from(change).includes('secret-payroll')) throw guardError },
      logger: silentLogger
    })
    const doc = siteDocId(eu.id)
    await store.change<Doc>(doc, (d) => { d.ok = 1 })
    const heads = store.heads(doc)
    const records = await logRecords(storage)

    const refused = await store.change<Doc>(doc, (d) => { d.leak = 'secret-payroll' }).then(() => undefined, (e: unknown) => e)
    expect(isFlotillaError(refused, 'residency-violation')).toBe(true)
    expect(store.heads(doc)).toEqual(heads)
    expect(A.toJS(store.document<Doc>(doc)!)).toEqual({ ok: 1 })
    expect(await logRecords(storage)).toBe(records)

    const next = await store.change<Doc>(doc, (d) => { d.ok = 2 })
    expect(next).toBeDefined()
    expect(A.toJS(store.document<Doc>(doc)!)).toEqual({ ok: 2 })
    // The next change builds on the last accepted one, not on the refused one.
    expect(next!.deps).toEqual(heads)
  })
})
