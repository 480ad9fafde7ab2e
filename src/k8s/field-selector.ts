/**
 * Field selectors (`?fieldSelector=metadata.name=web,status.phase!=Running`): equality
 * and inequality on the fields the apiserver indexes for each kind. Asking for any other
 * field is a 400, as on a real cluster ("field label not supported").
 */
import type { KubeObject } from '../model/kube.ts'
import { badRequest } from './api-errors.ts'

export interface FieldRequirement {
  field: string
  negate: boolean
  value: string
}

export type FieldSelector = readonly FieldRequirement[]

type Getter = (o: KubeObject) => string

const COMMON: Record<string, Getter> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace ?? ''
}

function path (o: KubeObject, ...keys: string[]): string {
  let cur: unknown = o
  for (const k of keys) cur = (cur !== null && typeof cur === 'object') ? (cur as Record<string, unknown>)[k] : undefined
  return cur === undefined || cur === null ? '' : String(cur)
}

const BY_KIND: Record<string, Record<string, Getter>> = {
  Pod: {
    'spec.nodeName': (o) => path(o, 'spec', 'nodeName'),
    'spec.restartPolicy': (o) => path(o, 'spec', 'restartPolicy'),
    'spec.schedulerName': (o) => path(o, 'spec', 'schedulerName'),
    'spec.serviceAccountName': (o) => path(o, 'spec', 'serviceAccountName'),
    'status.phase': (o) => path(o, 'status', 'phase'),
    'status.podIP': (o) => path(o, 'status', 'podIP'),
    'status.nominatedNodeName': (o) => path(o, 'status', 'nominatedNodeName')
  },
  Event: {
    'involvedObject.kind': (o) => path(o, 'involvedObject', 'kind'),
    'involvedObject.namespace': (o) => path(o, 'involvedObject', 'namespace'),
    'involvedObject.name': (o) => path(o, 'involvedObject', 'name'),
    'involvedObject.uid': (o) => path(o, 'involvedObject', 'uid'),
    'involvedObject.apiVersion': (o) => path(o, 'involvedObject', 'apiVersion'),
    'involvedObject.resourceVersion': (o) => path(o, 'involvedObject', 'resourceVersion'),
    'involvedObject.fieldPath': (o) => path(o, 'involvedObject', 'fieldPath'),
    reason: (o) => path(o, 'reason'),
    reportingComponent: (o) => path(o, 'reportingComponent'),
    source: (o) => path(o, 'source', 'component'),
    type: (o) => path(o, 'type')
  },
  Node: { 'spec.unschedulable': (o) => path(o, 'spec', 'unschedulable') || 'false' },
  Namespace: { 'status.phase': (o) => path(o, 'status', 'phase') },
  StatefulSet: { 'status.successful': (o) => path(o, 'status', 'successful') }
}

function getterFor (kind: string, field: string): Getter | undefined {
  return COMMON[field] ?? BY_KIND[kind]?.[field]
}

/** Parses a selector for `kind`; throws 400 for syntax errors and unsupported fields. */
export function parseFieldSelector (input: string | undefined, kind: string): FieldSelector {
  if (input === undefined || input.trim() === '') return []
  const out: FieldRequirement[] = []
  for (const raw of input.split(',')) {
    const part = raw.trim()
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(part)
    if (m === null) throw badRequest(`invalid selector: '${input}'; can't understand '${part}'`)
    const field = (m[1] as string).trim()
    if (getterFor(kind, field) === undefined) throw badRequest(`field label not supported: ${field}`)
    out.push({ field, negate: m[2] === '!=', value: (m[3] as string).trim() })
  }
  return out
}

export function matchesFields (selector: FieldSelector, object: KubeObject): boolean {
  for (const r of selector) {
    const get = getterFor(object.kind, r.field)
    const actual = get === undefined ? '' : get(object)
    if ((actual === r.value) === r.negate) return false
  }
  return true
}

/** The name a selector pins, if any (`metadata.name=x`), so a watch on one object stays cheap. */
export function pinnedName (selector: FieldSelector): string | undefined {
  return selector.find((r) => r.field === 'metadata.name' && !r.negate)?.value
}
