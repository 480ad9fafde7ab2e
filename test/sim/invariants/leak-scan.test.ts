import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createSigner, keyPairFromSeed } from '../../../src/identity/keys.ts'
import type { WorkloadRecord } from '../../../src/model/federation.ts'
import { encodeDirect } from '../../../src/replication/messages.ts'
import { signChange } from '../../../src/store/log/envelope.ts'
import { automergeChunks } from '../../../src/compliance/scan.ts'
import { createLeakScanner } from '../../../sim/invariants/leak-scan.ts'
import { leaksIn, strongNeedles } from '../../../sim/invariants/residency.ts'

const record = (ns: string, name: string, uid: string): WorkloadRecord => ({
  key: `apps/Deployment/${ns}/${name}`, origin: 'alice', residency: { kind: 'local-only' }, stateless: true, generation: 1, updatedAt: 0,
  manifest: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns, uid } }
})
const payroll = strongNeedles([record('team-a', 'payroll', '3f1c0a52-9b7e-4d0a-8c1e-5a6b7c8d9e0f')])
const ledger = strongNeedles([record('team-b', 'ledger', '9a8b7c6d-0000-4d0a-8c1e-5a6b7c8d9e0f')])
const signer = createSigner(keyPairFromSeed(new Uint8Array(32).fill(3)))

/** A real Automerge change setting `v` to `value`, by a fresh actor per call site. */
function change (value: string, actor = 'ab'.repeat(16)): Uint8Array {
  return A.getLastLocalChange(A.change(A.init<{ v?: string }>({ actor }), (d) => { d.v = value }))!
}

/** A replication frame carrying `changes`, as a site pushes them to a peer. */
function frame (changes: Uint8Array[]): Uint8Array {
  return encodeDirect({ type: 'changes', session: 0, docId: 'site:alice', changes: changes.map((c) => signChange(signer, 'site:alice', c)), more: false, toResponder: false })
}

describe('the residency invariant\'s remembering leak scanner', () => {
  it('finds a local-only key inside a change carried by a frame, and again in every copy of it, decoding it once', () => {
    const scanner = createLeakScanner()
    scanner.setNeedles(payroll)
    const leaking = frame([change('ok'), change('runs team-a/payroll now', 'cd'.repeat(16))])
    for (let copy = 0; copy < 5; copy++) {
      const found = scanner.leaksIn(`frame ${copy}`, leaking, payroll)
      expect(found.join(';')).toMatch(/qualified-name "team-a\/payroll"/)
    }
    // two distinct changes, each decoded once whatever the number of copies
    expect(scanner.stats().decoded).toBe(2)
    expect(scanner.stats().chunks).toBe(10)
    expect(scanner.leaksIn('clean', frame([change('ok')]), payroll)).toEqual([])
  })

  it('judges remembered changes again when the needles change', () => {
    const scanner = createLeakScanner()
    scanner.setNeedles(payroll)
    const bytes = frame([change('moves team-b/ledger')])
    expect(scanner.leaksIn('f', bytes, payroll)).toEqual([])
    scanner.setNeedles([...payroll, ...ledger])
    expect(scanner.leaksIn('f', bytes, ledger).join(';')).toMatch(/team-b\/ledger/)
    // a frame scanned for one site's needles reports only those
    expect(scanner.leaksIn('f', bytes, payroll)).toEqual([])
  })

  it('still finds a needle it was not told about, by scanning without memory', () => {
    const scanner = createLeakScanner()
    scanner.setNeedles(payroll)
    expect(scanner.leaksIn('f', frame([change('moves team-b/ledger')]), ledger).join(';')).toMatch(/team-b\/ledger/)
  })

  it('finds a needle in a change nested as bytes inside another change, and in a saved document', () => {
    const scanner = createLeakScanner()
    scanner.setNeedles(payroll)
    const inner = change('apps/Deployment/team-a/payroll')
    const outer = A.getLastLocalChange(A.change(A.init<{ b?: Uint8Array }>({ actor: 'ef'.repeat(16) }), (d) => { d.b = inner }))!
    expect(scanner.leaksIn('nested', frame([outer]), payroll).join(';')).toMatch(/key "apps\/Deployment\/team-a\/payroll"/)
    const saved = A.save(A.change(A.init<{ v?: string }>(), (d) => { d.v = 'team-a/payroll' }))
    expect(scanner.leaksIn('saved', saved, payroll).join(';')).toMatch(/team-a\/payroll/)
  })

  it('gives the compliance scan\'s verdict on any mix of clean, leaking, truncated and random bytes', () => {
    // values packed side by side in one column: only decoding tells them apart
    const packed = A.getLastLocalChange(A.change(A.init<Record<string, unknown>>({ actor: '12'.repeat(16) }), (d) => {
      for (let i = 0; i < 40; i++) d[`k${i}`] = new A.ImmutableString(`value ${i} ${i === 20 ? 'team-a/payroll' : 'z'}`)
    }))!
    expect(leaksIn('packed', packed, payroll).join(';')).toMatch(/ op 20 value/)
    expect(leaksIn('packed', packed, payroll).join(';')).not.toMatch(/bytes@/)
    const pieces = [
      packed,
      change('nothing here'),
      change('team-a/payroll'),
      frame([change('3f1c0a52-9b7e-4d0a-8c1e-5a6b7c8d9e0f')]),
      change('team-a/payroll').subarray(0, 20),
      new TextEncoder().encode('xx apps/Deployment/team-a/payroll yy'),
      new TextEncoder().encode('team-a/payrolls is another name'),
      Uint8Array.from([0x85, 0x6f, 0x4a, 0x83, 1, 2, 3, 4, 1, 200])
    ]
    const scanner = createLeakScanner()
    scanner.setNeedles(payroll)
    fc.assert(fc.property(
      fc.array(fc.oneof(fc.integer({ min: 0, max: pieces.length - 1 }).map((i) => pieces[i]!), fc.uint8Array({ maxLength: 24 })), { maxLength: 6 }),
      (parts) => {
        const bytes = Uint8Array.from(parts.flatMap((p) => [...p]))
        const reference = leaksIn('x', bytes, payroll)
        const mine = scanner.leaksIn('x', bytes, payroll)
        expect(mine.length > 0).toBe(reference.length > 0)
        expect(mine.length).toBe(reference.length)
      }
    ), { numRuns: 150, seed: 9 })
  })

  it('finds chunks as the compliance scan does: whole, skipping over what they contain', () => {
    const a = change('one')
    const b = change('two', 'cd'.repeat(16))
    const bytes = Uint8Array.from([1, 2, ...a, 9, ...b, 0x85, 0x6f])
    expect(automergeChunks(bytes).map((c) => c.length)).toEqual([a.length, b.length])
  })
})
