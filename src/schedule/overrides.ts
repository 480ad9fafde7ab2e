/**
 * OverridePolicy: how a workload's manifest is rewritten for one cluster. Policies in
 * the object's namespace whose resource selectors match (none means all) apply from
 * the least to the most specific match (kind only < labelSelector < name), then by
 * name, as in Karmada, so the most specific one has the last word. Within a policy,
 * rules apply in order when their `targetCluster` matches the cluster (including
 * region/zone/provider/site field selectors, e.g. a region's image mirror), and each
 * rule's overriders in Karmada's order: image, command, args, labels, annotations,
 * plaintext JSON patch. Each overrider entry applies whole or not at all and reports
 * why; the input object is never mutated.
 */
import type { ClusterRecord, PolicyRecord } from '../model/federation.ts'
import type { KubeObject } from '../model/kube.ts'
import type {
  CommandArgsOverrider, ImageOverrider, LabelAnnotationOverrider, OverrideSpec, Overriders, PlaintextOverrider
} from '../model/policy.ts'
import { isRecord } from './field-checks.ts'
import { formatImage, parseImage, setTagOrDigest, tagOrDigest, type ImageRef } from './image-ref.ts'
import { applyPatchOp, escapeToken, getAt } from './json-patch.ts'
import { compareStrings } from './order.ts'
import { clusterAffinityMatches, resourceSelectorsPriority } from './selectors.ts'
import { validateOverridePolicy } from './validate.ts'

export type OverriderKind = 'imageOverrider' | 'commandOverrider' | 'argsOverrider' | 'labelsOverrider' | 'annotationsOverrider' | 'plaintext'

export interface AppliedOverride {
  /** `namespace/name` of the OverridePolicy. */
  policy: string
  rule: number
  overrider: OverriderKind
  index: number
  operator: string
  /** JSON pointer of the changed field. */
  path: string
  from?: unknown
  to?: unknown
}

export interface OverrideError {
  policy: string
  /** -1 when the whole policy was refused (invalid). */
  rule: number
  overrider?: OverriderKind
  index?: number
  message: string
}

export interface OverrideResult {
  object: KubeObject
  applied: AppliedOverride[]
  errors: OverrideError[]
}

/** Where a kind keeps its pod spec, as a JSON pointer; Karmada's overriders know these kinds. */
function podSpecPointer (kind: string): string | undefined {
  if (kind === 'Pod') return '/spec'
  if (kind === 'Deployment' || kind === 'StatefulSet' || kind === 'DaemonSet' || kind === 'ReplicaSet' || kind === 'Job') return '/spec/template/spec'
  return undefined
}

interface Ctx { policy: string, rule: number, applied: AppliedOverride[], errors: OverrideError[] }

function containersOf (obj: KubeObject): { base: string, list: Array<Record<string, unknown>> } | undefined {
  const pointer = podSpecPointer(obj.kind)
  if (pointer === undefined) return undefined
  const found = getAt(obj, `${pointer}/containers`)
  if (!found.found || !Array.isArray(found.value)) return undefined
  return { base: `${pointer}/containers`, list: found.value as Array<Record<string, unknown>> }
}

function rewriteImage (ref: ImageRef, o: ImageOverrider): ImageRef | string {
  const value = o.value ?? ''
  switch (o.component) {
    case 'Registry':
      return { ...ref, registry: o.operator === 'add' ? ref.registry + value : o.operator === 'replace' ? value : '' }
    case 'Repository': {
      const repository = o.operator === 'add' ? ref.repository + value : o.operator === 'replace' ? value : ''
      return repository === '' ? 'removing the repository would leave no image name' : { ...ref, repository }
    }
    case 'Tag':
      if (o.operator === 'remove') return { ...ref, tag: '', digest: '' }
      return setTagOrDigest(ref, o.operator === 'add' ? tagOrDigest(ref) + value : value)
  }
}

function applyImage (obj: KubeObject, o: ImageOverrider, index: number, ctx: Ctx): void {
  const targets: string[] = []
  if (o.predicate !== undefined) {
    targets.push(o.predicate.path)
  } else {
    const cs = containersOf(obj)
    cs?.list.forEach((_, i) => targets.push(`${cs.base}/${i}/image`))
  }
  const planned: Array<{ path: string, from: string, to: string }> = []
  for (const path of targets) {
    const cur = getAt(obj, path)
    if (!cur.found || typeof cur.value !== 'string') {
      ctx.errors.push({ policy: ctx.policy, rule: ctx.rule, overrider: 'imageOverrider', index, message: `${path} does not hold an image string` })
      return
    }
    const ref = parseImage(cur.value)
    if (ref === undefined) {
      ctx.errors.push({ policy: ctx.policy, rule: ctx.rule, overrider: 'imageOverrider', index, message: `${path}: cannot parse image ${JSON.stringify(cur.value)}` })
      return
    }
    const next = rewriteImage(ref, o)
    if (typeof next === 'string') {
      ctx.errors.push({ policy: ctx.policy, rule: ctx.rule, overrider: 'imageOverrider', index, message: `${path}: ${next}` })
      return
    }
    const to = formatImage(next)
    if (to !== cur.value) planned.push({ path, from: cur.value, to })
  }
  for (const p of planned) {
    applyPatchOp(obj, { op: 'replace', path: p.path, value: p.to })
    ctx.applied.push({ policy: ctx.policy, rule: ctx.rule, overrider: 'imageOverrider', index, operator: `${o.operator} ${o.component}`, path: p.path, from: p.from, to: p.to })
  }
}

function applyCommandArgs (obj: KubeObject, field: 'command' | 'args', o: CommandArgsOverrider, index: number, ctx: Ctx): void {
  const overrider: OverriderKind = field === 'command' ? 'commandOverrider' : 'argsOverrider'
  const cs = containersOf(obj)
  if (cs === undefined) return
  cs.list.forEach((c, i) => {
    if (!isRecord(c) || c['name'] !== o.containerName) return
    const cur = Array.isArray(c[field]) ? (c[field] as unknown[]).map(String) : undefined
    const next = o.operator === 'add' ? [...(cur ?? []), ...o.value] : (cur ?? []).filter((v) => !o.value.includes(v))
    if (cur !== undefined && next.length === cur.length && next.every((v, j) => v === cur[j])) return
    if (cur === undefined && next.length === 0) return
    const path = `${cs.base}/${i}/${field}`
    applyPatchOp(obj, { op: 'add', path, value: next })
    ctx.applied.push({ policy: ctx.policy, rule: ctx.rule, overrider, index, operator: o.operator, path, ...(cur !== undefined ? { from: cur } : {}), to: next })
  })
}

function applyLabelsAnnotations (obj: KubeObject, field: 'labels' | 'annotations', o: LabelAnnotationOverrider, index: number, ctx: Ctx): void {
  const overrider: OverriderKind = field === 'labels' ? 'labelsOverrider' : 'annotationsOverrider'
  const existing = isRecord(obj.metadata[field]) ? obj.metadata[field] as Record<string, string> : undefined
  for (const key of Object.keys(o.value).sort(compareStrings)) {
    const path = `/metadata/${field}/${escapeToken(key)}`
    const has = existing !== undefined && Object.hasOwn(existing, key)
    const from = has ? existing[key] : undefined
    if (o.operator !== 'add' && !has) continue
    if (o.operator === 'remove') {
      applyPatchOp(obj, { op: 'remove', path })
      ctx.applied.push({ policy: ctx.policy, rule: ctx.rule, overrider, index, operator: 'remove', path, from })
      continue
    }
    if (!isRecord(obj.metadata[field])) applyPatchOp(obj, { op: 'add', path: `/metadata/${field}`, value: {} })
    applyPatchOp(obj, { op: 'add', path, value: o.value[key] })
    ctx.applied.push({ policy: ctx.policy, rule: ctx.rule, overrider, index, operator: o.operator, path, ...(has ? { from } : {}), to: o.value[key] })
  }
}

function applyPlaintext (obj: KubeObject, o: PlaintextOverrider, index: number, ctx: Ctx): void {
  const before = getAt(obj, o.path)
  const error = o.operator === 'remove'
    ? applyPatchOp(obj, { op: 'remove', path: o.path })
    : applyPatchOp(obj, { op: o.operator, path: o.path, value: o.value })
  if (error !== undefined) {
    ctx.errors.push({ policy: ctx.policy, rule: ctx.rule, overrider: 'plaintext', index, message: error })
    return
  }
  ctx.applied.push({
    policy: ctx.policy, rule: ctx.rule, overrider: 'plaintext', index, operator: o.operator, path: o.path,
    ...(before.found ? { from: before.value } : {}), ...(o.operator !== 'remove' ? { to: o.value } : {})
  })
}

function applyOverriders (obj: KubeObject, ov: Overriders, ctx: Ctx): void {
  ov.imageOverrider?.forEach((o, i) => applyImage(obj, o, i, ctx))
  ov.commandOverrider?.forEach((o, i) => applyCommandArgs(obj, 'command', o, i, ctx))
  ov.argsOverrider?.forEach((o, i) => applyCommandArgs(obj, 'args', o, i, ctx))
  ov.labelsOverrider?.forEach((o, i) => applyLabelsAnnotations(obj, 'labels', o, i, ctx))
  ov.annotationsOverrider?.forEach((o, i) => applyLabelsAnnotations(obj, 'annotations', o, i, ctx))
  ov.plaintext?.forEach((o, i) => applyPlaintext(obj, o, i, ctx))
}

interface Matched { name: string, id: string, key: string, implicit: number, spec: OverrideSpec }

/**
 * Renders `object` for `cluster` under the OverridePolicies among `policies` (other
 * kinds are ignored). Invalid policies of the object's namespace are reported in
 * `errors` and skipped.
 */
export function applyOverrides (object: KubeObject, policies: readonly PolicyRecord[], cluster: ClusterRecord): OverrideResult {
  const out = structuredClone(object)
  const applied: AppliedOverride[] = []
  const errors: OverrideError[] = []
  const ns = object.metadata.namespace
  if (ns === undefined) return { object: out, applied, errors }
  const matched: Matched[] = []
  for (const r of policies) {
    if (r.kind !== 'OverridePolicy') continue
    const pns = r.object.metadata?.namespace ?? 'default'
    if (pns !== ns) continue
    const name = typeof r.object.metadata?.name === 'string' ? r.object.metadata.name : r.key
    const id = `${pns}/${name}`
    const problems = validateOverridePolicy(r.object)
    if (problems.length > 0) {
      errors.push({ policy: id, rule: -1, message: `invalid, skipped: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}` })
      continue
    }
    const spec = r.object.spec as unknown as OverrideSpec
    const selectors = spec.resourceSelectors ?? []
    const implicit = selectors.length === 0 ? 1 : resourceSelectorsPriority(object, selectors)
    if (implicit > 0) matched.push({ name, id, key: r.key, implicit, spec })
  }
  matched.sort((a, b) => a.implicit - b.implicit || compareStrings(a.name, b.name) || compareStrings(a.key, b.key))
  for (const m of matched) {
    m.spec.overrideRules.forEach((rule, i) => {
      if (rule.targetCluster !== undefined && !clusterAffinityMatches(cluster, rule.targetCluster)) return
      applyOverriders(out, rule.overriders, { policy: m.id, rule: i, applied, errors })
    })
  }
  return { object: out, applied, errors }
}
