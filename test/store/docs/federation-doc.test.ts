import * as Automerge from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { isFlotillaError } from '../../../src/model/errors.ts'
import {
  deleteSetting, getSettings, initFederationDoc, listMembers, putMember, putSetting, readFederation, removeMember, type FederationDoc
} from '../../../src/store/docs/federation-doc.ts'
import { actorFor } from './fixtures.ts'

const member = (siteId: string): { siteId: string, publicKey: string, region: string } => ({ siteId, publicKey: siteId.padEnd(64, '0'), region: `r-${siteId}` })

function genesis (): Automerge.Doc<FederationDoc> {
  return Automerge.change(Automerge.init<FederationDoc>({ actor: actorFor('genesis') }), { time: 0 }, (d) => { initFederationDoc(d) })
}

describe('federation document', () => {
  it('round-trips roster members and settings; unchanged writes make no ops', () => {
    let doc = genesis()
    doc = Automerge.change(doc, (d) => {
      putMember(d, member('b-site'))
      putMember(d, member('a-site'))
      putSetting(d, 'failAfterMs', 15_000)
      putSetting(d, 'failback', 'AfterStabilization')
      putSetting(d, 'strict', true)
    })
    expect(listMembers(doc)).toEqual([member('a-site'), member('b-site')])
    expect(getSettings(doc)).toEqual({ failAfterMs: 15_000, failback: 'AfterStabilization', strict: true })
    let changed = true
    const same = Automerge.change(Automerge.clone(doc), (d) => { changed = putMember(d, member('a-site')) || putSetting(d, 'failback', 'AfterStabilization') })
    expect(changed).toBe(false)
    expect(Automerge.getHeads(same)).toEqual(Automerge.getHeads(doc))
    doc = Automerge.change(doc, (d) => { removeMember(d, 'b-site'); deleteSetting(d, 'strict') })
    expect(listMembers(doc).map((m) => m.siteId)).toEqual(['a-site'])
    expect(getSettings(doc)).toEqual({ failAfterMs: 15_000, failback: 'AfterStabilization' })
  })

  it('merges concurrent writes by different members without losing entries', () => {
    const base = genesis()
    const a = Automerge.change(Automerge.clone(base, { actor: actorFor('a-site') }), (d) => { putMember(d, member('a-site')); putSetting(d, 'x', 1) })
    const b = Automerge.change(Automerge.clone(base, { actor: actorFor('b-site') }), (d) => { putMember(d, member('b-site')); putSetting(d, 'y', 2) })
    const ab = Automerge.merge(Automerge.clone(a), b)
    const ba = Automerge.merge(Automerge.clone(b), a)
    expect(listMembers(ab).map((m) => m.siteId)).toEqual(['a-site', 'b-site'])
    expect(readFederation(ab)).toEqual(readFederation(ba))
    expect(getSettings(ab)).toEqual({ x: 1, y: 2 })
  })

  it('reports entries that do not decode instead of failing', () => {
    const doc = Automerge.change(genesis(), (d) => {
      putMember(d, member('good'))
      d['member/bad'] = new Automerge.ImmutableString('{"publicKey":7}')
      d['setting/list'] = new Automerge.ImmutableString('fine')
    })
    const r = readFederation(doc)
    expect(r.members.map((m) => m.siteId)).toEqual(['good'])
    expect(r.problems.map((p) => p.key)).toEqual(['member/bad'])
    expect(r.settings).toEqual({ list: 'fine' })
  })

  it('refuses bad member ids, setting names and values, and a future schema', () => {
    const doc = genesis()
    const code = (fn: (d: FederationDoc) => void): unknown => {
      try { Automerge.change(Automerge.clone(doc), fn) } catch (e) { return isFlotillaError(e) ? e.code : e }
      return 'no error'
    }
    expect(code((d) => { putMember(d, member('Not_A_Label')) })).toBe('input-invalid')
    expect(code((d) => { putSetting(d, '__proto__', 1) })).toBe('input-invalid')
    expect(code((d) => { putSetting(d, 'x', Number.POSITIVE_INFINITY) })).toBe('input-invalid')
    const future = Automerge.change(Automerge.clone(doc), (d) => { d.schema = 9 })
    expect((() => { try { readFederation(future) } catch (e) { return isFlotillaError(e) ? e.code : e } })()).toBe('unsupported-version')
  })
})
