import * as Automerge from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { isFlotillaError } from '../../src/model/errors.ts'
import { localOnlyNeedles } from '../../src/compliance/needles.ts'
import { assertNoLocalOnlyContent, findToken, scanForLocalOnlyLeaks } from '../../src/compliance/scan.ts'
import { deleteWorkload, putWorkload } from '../../src/store/docs/site-workloads.ts'
import { edit, newSiteDoc, workload } from '../store/docs/fixtures.ts'

const S = 'eu-west'
const SECRET = 'payroll-db-password-Zq81xK'
const secretRecord = workload(S, 'payroll-engine', { namespace: 'hr-restricted', residency: { kind: 'local-only' }, env: { DB_PASSWORD: SECRET } })
const has = (bytes: Uint8Array, s: string): boolean => Buffer.from(bytes).includes(Buffer.from(s))

/** A site document into which local-only content was smuggled past the API, as a bug would. */
function leakyDoc (): Automerge.Doc<ReturnType<typeof newSiteDoc> extends Automerge.Doc<infer T> ? T : never> {
  let doc = newSiteDoc(S)
  doc = edit(doc, (d) => { for (let i = 0; i < 50; i++) putWorkload(d, workload(S, `svc-${i}`)) })
  doc = edit(doc, (d) => { putWorkload(d, { ...secretRecord, residency: { kind: 'global' } }) })
  return doc
}

describe('local-only needles', () => {
  it('are the key, uid, namespace/name, name and long manifest strings, strong or weak', () => {
    const rec = { ...secretRecord, manifest: { ...secretRecord.manifest, metadata: { ...secretRecord.manifest.metadata, uid: 'uid-123' } } }
    const needles = localOnlyNeedles([rec])
    const byKind = (k: string): string[] => needles.filter((n) => n.kind === k).map((n) => n.text)
    expect(byKind('key')).toEqual([rec.key])
    expect(byKind('uid')).toEqual(['uid-123'])
    expect(byKind('qualified-name')).toEqual(['hr-restricted/payroll-engine'])
    expect(byKind('name')).toEqual(['payroll-engine'])
    expect(byKind('content')).toContain(SECRET)
    expect(byKind('content')).not.toContain('apps/v1')
  })

  it('leave out metadata the API server sets, which clean objects share', () => {
    const stamped = { ...secretRecord.manifest.metadata, creationTimestamp: '2026-11-26T04:00:00Z', resourceVersion: '123456789012345678', managedFields: [{ manager: 'kubectl-client-side-apply', time: '2026-11-26T04:00:00Z' }] }
    const needles = localOnlyNeedles([{ ...secretRecord, manifest: { ...secretRecord.manifest, metadata: stamped } }])
    const content = needles.filter((n) => n.kind === 'content').map((n) => n.text)
    expect(content).toContain(SECRET)
    expect(content).not.toContain('2026-11-26T04:00:00Z')
    expect(content).not.toContain('123456789012345678')
    expect(content).not.toContain('kubectl-client-side-apply')
  })

  it('match whole tokens only', () => {
    expect(findToken('{"name":"web"}', 'web')).toBe(9)
    expect(findToken('web-frontend', 'web')).toBe(-1)
    expect(findToken('a/web/b', 'web')).toBe(2)
    expect(findToken('ns/web2', 'ns/web')).toBe(-1)
  })
})

describe('scanForLocalOnlyLeaks', () => {
  it('finds content in saved documents even where compression hides it from a byte search', () => {
    const doc = leakyDoc()
    const saved = Automerge.save(doc)
    expect(has(saved, SECRET)).toBe(false) // why a plain byte search is not enough
    const report = scanForLocalOnlyLeaks([{ label: 'site:eu-west', bytes: saved }], [secretRecord])
    const kinds = new Set(report.findings.map((f) => f.needle.kind))
    expect(kinds).toEqual(new Set(['key', 'qualified-name', 'name', 'content']))
    expect(report.findings.every((f) => f.source === 'site:eu-west')).toBe(true)
    expect(report.changes).toBeGreaterThanOrEqual(3)
  })

  it('finds content that was written and then deleted (history keeps it)', () => {
    const doc = edit(leakyDoc(), (d) => { deleteWorkload(d, secretRecord.key) })
    expect(JSON.stringify(Automerge.toJS(doc))).not.toContain(SECRET)
    const report = scanForLocalOnlyLeaks([{ label: 'doc', doc }], [secretRecord])
    expect(report.findings.some((f) => f.needle.text === SECRET)).toBe(true)
  })

  it('finds a change embedded in message bytes', () => {
    const doc = leakyDoc()
    const change = Automerge.getLastLocalChange(doc)!
    const envelope = new Uint8Array([1, 2, 3, ...change, 9, 9])
    const report = scanForLocalOnlyLeaks([{ label: 'frame', bytes: envelope }], [secretRecord])
    expect([...new Set(report.findings.filter((f) => f.strong).map((f) => f.needle.kind))].sort()).toEqual(['key', 'qualified-name'])
    expect(report.findings.some((f) => f.where.startsWith('change '))).toBe(true)
  })

  it('reports nothing for clean documents', () => {
    const clean = edit(newSiteDoc(S), (d) => { for (let i = 0; i < 20; i++) putWorkload(d, workload(S, `svc-${i}`)) })
    expect(scanForLocalOnlyLeaks([{ label: 'clean', doc: clean }], [secretRecord]).findings).toEqual([])
  })
})

describe('assertNoLocalOnlyContent', () => {
  it('refuses a change that names a local-only workload and passes a clean one', () => {
    const doc = leakyDoc()
    const leaking = Automerge.getLastLocalChange(doc)!
    let code: unknown
    try { assertNoLocalOnlyContent(leaking, [secretRecord]) } catch (e) { code = isFlotillaError(e) ? e.code : e }
    expect(code).toBe('residency-violation')
    const clean = Automerge.getLastLocalChange(edit(newSiteDoc(S), (d) => { putWorkload(d, workload(S, 'web')) }))!
    expect(() => { assertNoLocalOnlyContent(clean, [secretRecord]) }).not.toThrow()
    expect(() => { assertNoLocalOnlyContent(doc, []) }).not.toThrow()
  })
})
