/**
 * Shape checks for values read out of a replicated document. A document is written by
 * another site, which may be buggy or hostile, so nothing read from it is trusted to
 * have its declared type: every reader checks the shape and fails with `malformed`,
 * naming the path, the rule and the value. Checks are hand-written because they run
 * on every record of every document the view reads.
 */
import { FlotillaError } from '../../model/errors.ts'
import type { ClusterAssignment, NodeFree, Residency } from '../../model/federation.ts'
import type { Condition, KubeObject } from '../../model/kube.ts'
import type { Taint } from '../../model/policy.ts'
import { RESOURCE_KEYS, type Resources } from '../../model/resources.ts'

export function malformed (path: string, rule: string, value: unknown): FlotillaError {
  return new FlotillaError('malformed', `'${path}' must be ${rule}: received ${preview(value)}`,
    'The document holds a record this build cannot read; the writing site is buggy or hostile. The record is ignored.',
    { details: { path } })
}

function preview (value: unknown): string {
  if (value === undefined) return 'nothing'
  let s: string
  try { s = JSON.stringify(value) ?? String(value) } catch { s = String(value) }
  return s.length > 60 ? s.slice(0, 57) + '...' : s
}

export function isPlainObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export function expectObject (v: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(v)) throw malformed(path, 'an object', v)
  return v
}

export function expectString (v: unknown, path: string): string {
  if (typeof v !== 'string') throw malformed(path, 'a string', v)
  return v
}

export function expectNumber (v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw malformed(path, 'a finite number', v)
  return v
}

export function expectCount (v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw malformed(path, 'a non-negative integer', v)
  return v
}

export function expectBoolean (v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw malformed(path, 'true or false', v)
  return v
}

export function expectOneOf<T extends string> (v: unknown, values: readonly T[], path: string): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw malformed(path, `one of ${values.join(', ')}`, v)
  return v as T
}

export function optionalString (v: unknown, path: string): string | undefined {
  return v === undefined ? undefined : expectString(v, path)
}

export function expectArray (v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw malformed(path, 'a list', v)
  return v
}

export function checkStringMap (v: unknown, path: string): Record<string, string> {
  const o = expectObject(v, path)
  for (const [k, x] of Object.entries(o)) expectString(x, `${path}.${k}`)
  return o as Record<string, string>
}

export function checkStringList (v: unknown, path: string): string[] {
  const a = expectArray(v, path)
  a.forEach((x, i) => expectString(x, `${path}[${i}]`))
  return a as string[]
}

export function checkResources (v: unknown, path: string): Resources {
  const o = expectObject(v, path)
  for (const k of RESOURCE_KEYS) {
    const n = o[k]
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw malformed(`${path}.${k}`, 'a non-negative number', n)
  }
  return o as unknown as Resources
}

/** A cluster's node shapes; `count` is absent in records written before it existed (one node each). */
export function checkNodeFreeList (v: unknown, path: string): NodeFree[] {
  const a = expectArray(v, path)
  a.forEach((x, i) => {
    const o = checkResources(x, `${path}[${i}]`) as unknown as Record<string, unknown>
    const count = o['count']
    if (count !== undefined && (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1)) throw malformed(`${path}[${i}].count`, 'a positive integer', count)
  })
  return a as NodeFree[]
}

const CONDITION_STATUS = ['True', 'False', 'Unknown'] as const

export function checkConditions (v: unknown, path: string): Condition[] {
  const a = expectArray(v, path)
  a.forEach((c, i) => {
    const p = `${path}[${i}]`
    const o = expectObject(c, p)
    expectString(o['type'], `${p}.type`)
    expectOneOf(o['status'], CONDITION_STATUS, `${p}.status`)
    optionalString(o['reason'], `${p}.reason`)
    optionalString(o['message'], `${p}.message`)
    optionalString(o['lastTransitionTime'], `${p}.lastTransitionTime`)
  })
  return a as Condition[]
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const

export function checkTaints (v: unknown, path: string): Taint[] {
  const a = expectArray(v, path)
  a.forEach((t, i) => {
    const o = expectObject(t, `${path}[${i}]`)
    expectString(o['key'], `${path}[${i}].key`)
    optionalString(o['value'], `${path}[${i}].value`)
    expectOneOf(o['effect'], TAINT_EFFECTS, `${path}[${i}].effect`)
  })
  return a as Taint[]
}

export function checkKubeObject (v: unknown, path: string): KubeObject {
  const o = expectObject(v, path)
  expectString(o['apiVersion'], `${path}.apiVersion`)
  expectString(o['kind'], `${path}.kind`)
  const meta = expectObject(o['metadata'], `${path}.metadata`)
  if (typeof meta['name'] !== 'string' || meta['name'] === '') throw malformed(`${path}.metadata.name`, 'a non-empty string', meta['name'])
  optionalString(meta['namespace'], `${path}.metadata.namespace`)
  if (meta['labels'] !== undefined) checkStringMap(meta['labels'], `${path}.metadata.labels`)
  if (meta['annotations'] !== undefined) checkStringMap(meta['annotations'], `${path}.metadata.annotations`)
  if (o['spec'] !== undefined) expectObject(o['spec'], `${path}.spec`)
  return o as KubeObject
}

export function checkResidency (v: unknown, path: string): Residency {
  const o = expectObject(v, path)
  const kind = expectOneOf(o['kind'], ['global', 'regions', 'local-only'] as const, `${path}.kind`)
  if (kind === 'regions') checkStringList(o['regions'], `${path}.regions`)
  return o as Residency
}

export function checkPlacement (v: unknown, path: string): ClusterAssignment[] {
  const a = expectArray(v, path)
  a.forEach((x, i) => {
    const o = expectObject(x, `${path}[${i}]`)
    expectString(o['cluster'], `${path}[${i}].cluster`)
    expectCount(o['replicas'], `${path}[${i}].replicas`)
  })
  return a as ClusterAssignment[]
}

/** `obj[key]` if it is an own property: materialised documents inherit Object.prototype, so `constructor` is not a stored key. */
export function own (obj: unknown, key: string): unknown {
  return isPlainObject(obj) && Object.hasOwn(obj, key) ? obj[key] : undefined
}
