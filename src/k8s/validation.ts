/**
 * Validation of written objects, returning the apiserver's causes (`Required value`,
 * `Invalid value: ...`, `Unsupported value`, `field is immutable`...) with their field
 * paths, so a bad manifest fails with a 422 that names every problem. Covers the rules a
 * manifest most often breaks, not the full Kubernetes validation.
 */
import { parseQuantity } from '../model/resources.ts'
import type { StatusCause } from './api-errors.ts'
import { deepEqual, isPlainObject, type Json, type JsonObject } from './json.ts'
import { fromStructured, labelKeyProblem, labelValueProblem, matchesLabels, type StructuredSelector } from './label-selector.ts'

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/

class Causes {
  readonly list: StatusCause[] = []
  required (field: string): void { this.list.push({ reason: 'FieldValueRequired', message: 'Required value', field }) }
  invalid (field: string, value: unknown, detail: string): void {
    this.list.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${detail}`, field })
  }
  unsupported (field: string, value: unknown, supported: string[]): void {
    this.list.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}`, field })
  }
  duplicate (field: string, value: unknown): void { this.list.push({ reason: 'FieldValueDuplicate', message: `Duplicate value: ${JSON.stringify(value)}`, field }) }
  forbidden (field: string, detail: string): void { this.list.push({ reason: 'FieldValueForbidden', message: `Forbidden: ${detail}`, field }) }
}

function dnsLabelProblem (name: string): string | undefined {
  if (name.length > 63) return 'must be no more than 63 characters'
  return DNS_LABEL.test(name) ? undefined : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
}

function dnsSubdomainProblem (name: string): string | undefined {
  if (name.length > 253) return 'must be no more than 253 characters'
  return DNS_SUBDOMAIN.test(name) ? undefined : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
}

const LABEL_NAMED = new Set(['Namespace', 'Service'])

function validateMetadata (kind: string, meta: JsonObject, c: Causes): void {
  const name = meta['name']
  if (typeof name !== 'string' || name === '') c.required('metadata.name')
  else {
    const problem = LABEL_NAMED.has(kind) ? dnsLabelProblem(name) : dnsSubdomainProblem(name)
    if (problem !== undefined) c.invalid('metadata.name', name, problem)
  }
  for (const field of ['labels', 'annotations'] as const) {
    const map = meta[field]
    if (map === undefined || map === null) continue
    if (!isPlainObject(map)) { c.invalid(`metadata.${field}`, map, 'must be a map of strings'); continue }
    for (const [k, v] of Object.entries(map)) {
      const keyProblem = labelKeyProblem(k)
      if (keyProblem !== undefined) c.invalid(`metadata.${field}`, k, keyProblem)
      if (typeof v !== 'string') c.invalid(`metadata.${field}.${k}`, v, 'must be a string')
      else if (field === 'labels') {
        const valueProblem = labelValueProblem(v)
        if (valueProblem !== undefined) c.invalid(`metadata.labels`, v, valueProblem)
      }
    }
  }
}

function validateResources (res: Json | undefined, path: string, c: Causes): void {
  if (res === undefined || res === null) return
  if (!isPlainObject(res)) { c.invalid(path, res, 'must be an object'); return }
  const parsed: Record<'limits' | 'requests', Record<string, number>> = { limits: {}, requests: {} }
  for (const part of ['limits', 'requests'] as const) {
    const map = res[part]
    if (map === undefined || map === null) continue
    if (!isPlainObject(map)) { c.invalid(`${path}.${part}`, map, 'must be a map of quantities'); continue }
    for (const [name, q] of Object.entries(map)) {
      try {
        parsed[part][name] = parseQuantity(q as string | number, name)
      } catch {
        c.invalid(`${path}.${part}[${name}]`, q, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
      }
    }
  }
  for (const [name, req] of Object.entries(parsed.requests)) {
    const lim = parsed.limits[name]
    const extended = name.includes('/') && !name.startsWith('kubernetes.io/')
    if (extended && lim !== undefined && lim !== req) c.invalid(`${path}.requests[${name}]`, req, `must be equal to ${name} limit of ${lim}`)
    else if (lim !== undefined && req > lim) c.invalid(`${path}.requests`, req, `must be less than or equal to ${name} limit of ${lim}`)
  }
}

function validateContainers (list: Json | undefined, path: string, required: boolean, c: Causes): void {
  if (list === undefined || list === null || (Array.isArray(list) && list.length === 0)) {
    if (required) c.required(path)
    return
  }
  if (!Array.isArray(list)) { c.invalid(path, list, 'must be a list'); return }
  const names = new Set<string>()
  list.forEach((raw, i) => {
    const p = `${path}[${i}]`
    if (!isPlainObject(raw)) { c.invalid(p, raw, 'must be an object'); return }
    const name = raw['name']
    if (typeof name !== 'string' || name === '') c.required(`${p}.name`)
    else {
      const problem = dnsLabelProblem(name)
      if (problem !== undefined) c.invalid(`${p}.name`, name, problem)
      if (names.has(name)) c.duplicate(`${p}.name`, name)
      names.add(name)
    }
    if (typeof raw['image'] !== 'string' || raw['image'].trim() === '') c.required(`${p}.image`)
    const ports = raw['ports']
    if (Array.isArray(ports)) {
      ports.forEach((port, j) => {
        const cp = isPlainObject(port) ? port['containerPort'] : undefined
        if (cp === undefined) c.required(`${p}.ports[${j}].containerPort`)
        else if (typeof cp !== 'number' || !Number.isInteger(cp) || cp < 1 || cp > 65535) c.invalid(`${p}.ports[${j}].containerPort`, cp, 'must be between 1 and 65535, inclusive')
      })
    }
    validateResources(raw['resources'], `${p}.resources`, c)
  })
}

function validatePodSpec (spec: Json | undefined, path: string, c: Causes, templateOfController: boolean): void {
  if (!isPlainObject(spec)) { c.required(`${path}.containers`); return }
  validateContainers(spec['containers'], `${path}.containers`, true, c)
  validateContainers(spec['initContainers'], `${path}.initContainers`, false, c)
  const policy = spec['restartPolicy']
  if (policy !== undefined && !['Always', 'OnFailure', 'Never'].includes(policy as string)) c.unsupported(`${path}.restartPolicy`, policy, ['Always', 'OnFailure', 'Never'])
  else if (templateOfController && policy !== undefined && policy !== 'Always') c.unsupported(`${path}.restartPolicy`, policy, ['Always'])
}

function validateWorkload (kind: string, o: JsonObject, old: JsonObject | undefined, c: Causes): void {
  const spec = o['spec']
  if (!isPlainObject(spec)) { c.required('spec'); return }
  const replicas = spec['replicas']
  if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
    c.invalid('spec.replicas', replicas, 'must be greater than or equal to 0')
  }
  const selector = spec['selector']
  const template = isPlainObject(spec['template']) ? spec['template'] : undefined
  if (!isPlainObject(selector)) c.required('spec.selector')
  else {
    const s = selector as StructuredSelector
    if (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0) {
      c.invalid('spec.selector', selector, `empty selector is invalid for ${kind.toLowerCase()}`)
    } else {
      const labels = isPlainObject(template?.['metadata']) ? (template['metadata'] as JsonObject)['labels'] : undefined
      try {
        if (!matchesLabels(fromStructured(s), labels as Record<string, string> | undefined)) {
          c.invalid('spec.template.metadata.labels', labels ?? {}, '`selector` does not match template `labels`')
        }
      } catch {
        c.invalid('spec.selector', selector, 'invalid label selector')
      }
    }
  }
  if (template === undefined) c.required('spec.template')
  else validatePodSpec(template['spec'], 'spec.template.spec', c, true)
  if (kind === 'Deployment') {
    const type = isPlainObject(spec['strategy']) ? spec['strategy']['type'] : undefined
    if (type !== undefined && type !== 'RollingUpdate' && type !== 'Recreate') c.unsupported('spec.strategy.type', type, ['Recreate', 'RollingUpdate'])
  }
  if (old !== undefined) {
    const oldSpec = isPlainObject(old['spec']) ? old['spec'] : {}
    if (!deepEqual(oldSpec['selector'], spec['selector'])) c.invalid('spec.selector', spec['selector'], 'field is immutable')
    if (kind === 'StatefulSet') {
      for (const f of ['serviceName', 'podManagementPolicy', 'volumeClaimTemplates']) {
        if (!deepEqual(oldSpec[f], spec[f])) {
          c.forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")
          break
        }
      }
    }
  }
}

const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']

function validateService (o: JsonObject, old: JsonObject | undefined, c: Causes): void {
  const spec = isPlainObject(o['spec']) ? o['spec'] : {}
  const type = spec['type'] ?? 'ClusterIP'
  if (!SERVICE_TYPES.includes(type as string)) c.unsupported('spec.type', type, SERVICE_TYPES)
  const ports = spec['ports']
  const headless = spec['clusterIP'] === 'None'
  if (type !== 'ExternalName' && !headless && (!Array.isArray(ports) || ports.length === 0)) c.required('spec.ports')
  if (Array.isArray(ports)) {
    const names = new Set<string>()
    ports.forEach((p, i) => {
      if (!isPlainObject(p)) { c.invalid(`spec.ports[${i}]`, p, 'must be an object'); return }
      const port = p['port']
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) c.invalid(`spec.ports[${i}].port`, port ?? null, 'must be between 1 and 65535, inclusive')
      const name = p['name']
      if (ports.length > 1 && (typeof name !== 'string' || name === '')) c.required(`spec.ports[${i}].name`)
      if (typeof name === 'string' && name !== '') {
        if (names.has(name)) c.duplicate(`spec.ports[${i}].name`, name)
        names.add(name)
      }
    })
  }
  if (type === 'ExternalName' && typeof spec['externalName'] !== 'string') c.required('spec.externalName')
  if (old !== undefined) {
    const oldIp = isPlainObject(old['spec']) ? old['spec']['clusterIP'] : undefined
    if (oldIp !== undefined && spec['clusterIP'] !== undefined && spec['clusterIP'] !== oldIp) c.invalid('spec.clusterIPs[0]', spec['clusterIP'], 'may not change once set')
  }
}

function validateIngress (o: JsonObject, c: Causes): void {
  const spec = isPlainObject(o['spec']) ? o['spec'] : {}
  const rules = spec['rules']
  if (!Array.isArray(rules)) {
    if (spec['defaultBackend'] === undefined) c.invalid('spec', spec, 'either `defaultBackend` or `rules` must be specified')
    return
  }
  rules.forEach((rule, i) => {
    const paths = isPlainObject(rule) && isPlainObject(rule['http']) ? rule['http']['paths'] : undefined
    if (!Array.isArray(paths)) return
    paths.forEach((p, j) => {
      const at = `spec.rules[${i}].http.paths[${j}]`
      if (!isPlainObject(p)) return
      if (p['pathType'] === undefined) c.required(`${at}.pathType`)
      else if (!['Exact', 'Prefix', 'ImplementationSpecific'].includes(p['pathType'] as string)) c.unsupported(`${at}.pathType`, p['pathType'], ['Exact', 'ImplementationSpecific', 'Prefix'])
      const backend = p['backend']
      if (!isPlainObject(backend) || (backend['service'] === undefined && backend['resource'] === undefined)) c.required(`${at}.backend`)
    })
  })
}

function validateConfigMap (o: JsonObject, c: Causes): void {
  for (const field of ['data', 'binaryData']) {
    const map = o[field]
    if (map === undefined || map === null) continue
    if (!isPlainObject(map)) { c.invalid(field, map, 'must be a map'); continue }
    for (const [k, v] of Object.entries(map)) {
      if (!CONFIG_KEY.test(k)) c.invalid(`${field}[${k}]`, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'")
      if (typeof v !== 'string') c.invalid(`${field}[${k}]`, v, 'must be a string')
    }
  }
}

/** Validates an object about to be stored (`old` is the stored version on update). */
export function validateObject (kind: string, o: JsonObject, old: JsonObject | undefined): StatusCause[] {
  const c = new Causes()
  validateMetadata(kind, isPlainObject(o['metadata']) ? o['metadata'] : {}, c)
  switch (kind) {
    case 'Deployment': case 'StatefulSet': case 'DaemonSet': validateWorkload(kind, o, old, c); break
    case 'Pod': validatePodSpec(o['spec'], 'spec', c, false); break
    case 'Service': validateService(o, old, c); break
    case 'Ingress': validateIngress(o, c); break
    case 'ConfigMap': validateConfigMap(o, c); break
    default: break
  }
  if (kind === 'Pod' && old !== undefined) {
    const before = isPlainObject(old['spec']) ? old['spec'] : {}
    const after = isPlainObject(o['spec']) ? o['spec'] : {}
    const stripped = (s: JsonObject): JsonObject => {
      const { nodeName: _n, activeDeadlineSeconds: _a, tolerations: _t, terminationGracePeriodSeconds: _g, containers, ...rest } = s
      return { ...rest, containers: Array.isArray(containers) ? containers.map((x) => isPlainObject(x) ? { ...x, image: null } : x) : null }
    }
    if (before['nodeName'] !== undefined && after['nodeName'] !== before['nodeName']) c.forbidden('spec.nodeName', 'pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations) or `spec.terminationGracePeriodSeconds`')
    else if (!deepEqual(stripped(before), stripped(after))) c.forbidden('spec', 'pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations) or `spec.terminationGracePeriodSeconds`')
  }
  return c.list
}
