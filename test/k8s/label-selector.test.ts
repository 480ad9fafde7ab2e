import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isKubeApiError } from '../../src/k8s/api-errors.ts'
import {
  formatLabelSelector, fromStructured, matchesLabels, parseLabelSelector, type Requirement
} from '../../src/k8s/label-selector.ts'

const labels = { app: 'web', tier: 'frontend', 'example.com/team': 'a-1', replicas: '3' }

function selects (selector: string, l: Record<string, string> | undefined = labels): boolean {
  return matchesLabels(parseLabelSelector(selector), l)
}

describe('label selector parsing and matching', () => {
  it('matches equality, inequality and the double-equals form', () => {
    expect(selects('app=web')).toBe(true)
    expect(selects('app==web')).toBe(true)
    expect(selects('app=api')).toBe(false)
    expect(selects('app!=api')).toBe(true)
    expect(selects('app!=web')).toBe(false)
    expect(selects('example.com/team=a-1')).toBe(true)
  })

  it('treats != and notin as true for objects without the key, as Kubernetes does', () => {
    expect(selects('missing!=x')).toBe(true)
    expect(selects('missing notin (x,y)')).toBe(true)
    expect(selects('missing in (x,y)')).toBe(false)
  })

  it('matches set-based requirements with spaces and exists / !exists', () => {
    expect(selects('tier in (frontend, backend)')).toBe(true)
    expect(selects('tier in (backend)')).toBe(false)
    expect(selects('tier notin (frontend)')).toBe(false)
    expect(selects('app')).toBe(true)
    expect(selects('!app')).toBe(false)
    expect(selects('!missing')).toBe(true)
  })

  it('ANDs comma-separated requirements', () => {
    expect(selects('app=web,tier in (frontend),!missing')).toBe(true)
    expect(selects('app=web,tier=backend')).toBe(false)
  })

  it('compares numerically with > and <', () => {
    expect(selects('replicas>2')).toBe(true)
    expect(selects('replicas<3')).toBe(false)
    expect(selects('app>1')).toBe(false)
  })

  it('selects everything with an empty selector', () => {
    expect(selects('')).toBe(true)
    expect(selects('   ', undefined)).toBe(true)
  })

  it('allows an empty value after = (a label set to "")', () => {
    expect(selects('empty=', { empty: '' })).toBe(true)
    expect(selects('empty=', { empty: 'x' })).toBe(false)
  })

  it.each([
    ['app=web,', 'trailing comma'],
    ['app in web', 'in without parentheses'],
    ['app in ()', 'empty set'],
    ['-bad=1', 'invalid key'],
    ['app=bad value!', 'invalid value'],
    ['app in (a b)', 'missing comma'],
    ['replicas>x', 'non-integer for >']
  ])('rejects %j (%s) with a 400 BadRequest', (selector) => {
    try {
      parseLabelSelector(selector)
      expect.unreachable()
    } catch (e) {
      expect(isKubeApiError(e, 'BadRequest')).toBe(true)
      if (isKubeApiError(e)) expect(e.status.code).toBe(400)
    }
  })

  it('converts matchLabels and matchExpressions into the same requirements', () => {
    const s = fromStructured({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend'] }, { key: 'gone', operator: 'DoesNotExist' }] })
    expect(matchesLabels(s, labels)).toBe(true)
    expect(matchesLabels(s, { app: 'web', tier: 'backend' })).toBe(false)
    expect(formatLabelSelector(s)).toBe('app=web,tier in (frontend),!gone')
  })

  const key = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/)
  const value = fc.stringMatching(/^[a-z0-9]{1,6}$/)
  const requirement: fc.Arbitrary<Requirement> = fc.oneof(
    fc.record({ key, operator: fc.constantFrom('=' as const, '!=' as const), values: fc.tuple(value) }),
    fc.record({ key, operator: fc.constantFrom('in' as const, 'notin' as const), values: fc.uniqueArray(value, { minLength: 1, maxLength: 3 }) }),
    fc.record({ key, operator: fc.constantFrom('exists' as const, '!' as const), values: fc.constant([]) })
  )

  it('parses the canonical form of any selector back to a selector that matches the same label sets', () => {
    fc.assert(fc.property(fc.array(requirement, { minLength: 1, maxLength: 4 }), fc.dictionary(key, value, { maxKeys: 4 }), (reqs, l) => {
      const text = formatLabelSelector(reqs)
      const reparsed = parseLabelSelector(text)
      expect(matchesLabels(reparsed, l)).toBe(matchesLabels(reqs, l))
      expect(formatLabelSelector(reparsed)).toBe(text)
    }), { numRuns: 300 })
  })

  it('negation is the complement: key!=v selects exactly what key=v does not', () => {
    fc.assert(fc.property(key, value, fc.dictionary(key, value, { maxKeys: 3 }), (k, v, l) => {
      expect(selects(`${k}!=${v}`, l)).toBe(!selects(`${k}=${v}`, l))
      expect(selects(`${k} notin (${v})`, l)).toBe(!selects(`${k} in (${v})`, l))
      expect(selects(`!${k}`, l)).toBe(!selects(k, l))
    }), { numRuns: 300 })
  })
})
