import * as Automerge from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { isFlotillaError } from '../../../src/model/errors.ts'
import type { WorkloadRecord } from '../../../src/model/federation.ts'
import { assertNoLocalOnlyContent, scanForLocalOnlyLeaks } from '../../../src/compliance/scan.ts'
import type { SiteDoc } from '../../../src/store/docs/site-doc.ts'
import { deleteStub, listStubs, putStub, putWorkload } from '../../../src/store/docs/site-workloads.ts'
import { createLocalStore } from '../../../src/store/local/local-store.ts'
import { redactedStub, stubSecretFromSeed } from '../../../src/store/local/redacted-stub.ts'
import { edit, newSiteDoc, workload } from '../docs/fixtures.ts'
import { memoryStorage } from './memory-storage.ts'

const S = 'eu-west'
const secret = stubSecretFromSeed(new Uint8Array(32).fill(3))
const DISTINCTIVE = 'ssn-vault-7f3a9c-customer-ledger'

function localRecord (replicas: number, generation: number): WorkloadRecord {
  return workload(S, 'payroll-7x', { namespace: 'hr-eu', replicas, generation, residency: { kind: 'local-only' }, env: { VAULT: DISTINCTIVE } })
}

/**
 * A site with a local-only workload follows the designed path: full record in the local
 * store, stub in the site document. The document and every change stay free of the
 * record's id, name and content through creation, updates and deletion.
 */
describe('a local-only workload never reaches a replicated document', () => {
  it('through creation, updates and deletion, in saved bytes and in every change', async () => {
    const store = createLocalStore({ storage: memoryStorage() })
    let doc = edit(newSiteDoc(S), (d) => { for (let i = 0; i < 30; i++) putWorkload(d, workload(S, `svc-${i}`)) })
    const seen: WorkloadRecord[] = []
    const changes: Uint8Array[] = []
    const step = (fn: (d: SiteDoc) => void): void => {
      const next = edit(doc, fn)
      changes.push(...Automerge.getChanges(doc, next))
      doc = next
    }
    const check = (): void => {
      const report = scanForLocalOnlyLeaks([
        { label: 'save', bytes: Automerge.save(doc) },
        ...changes.map((bytes, i) => ({ label: `change ${i}`, bytes }))
      ], seen)
      expect(report.findings).toEqual([])
      for (const c of changes) assertNoLocalOnlyContent(c, seen)
    }

    // created
    let rec = localRecord(2, 1)
    seen.push(rec)
    await store.putWorkload(rec)
    step((d) => { putStub(d, redactedStub(rec, secret, { cluster: `${S}.c1` })) })
    check()
    // the API refuses the record itself, and the document is untouched
    const before = Automerge.getHeads(doc)
    let code: unknown
    try { step((d) => { putWorkload(d, rec) }) } catch (e) { code = isFlotillaError(e) ? e.code : e }
    expect(code).toBe('residency-violation')
    expect(Automerge.getHeads(doc)).toEqual(before)
    // updated: scaled, then content changed
    rec = localRecord(5, 2)
    seen.push(rec)
    await store.putWorkload(rec)
    step((d) => { putStub(d, redactedStub(rec, secret, { cluster: `${S}.c1` })) })
    expect(listStubs(doc)).toHaveLength(1)
    expect(listStubs(doc)[0]!.replicas).toBe(5)
    check()
    // deleted
    await store.deleteWorkload(rec.key)
    step((d) => { deleteStub(d, redactedStub(rec, secret).id) })
    expect(listStubs(doc)).toEqual([])
    check()
    // and a plain byte search of the saved document agrees
    const saved = Buffer.from(Automerge.save(doc))
    for (const s of [rec.key, 'payroll-7x', DISTINCTIVE]) expect(saved.includes(Buffer.from(s))).toBe(false)
  })
})
