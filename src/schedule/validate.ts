/**
 * Validation of PropagationPolicy, ClusterPropagationPolicy and OverridePolicy objects
 * for the API layer: pure, never throws for user errors, and returns every field error
 * with its path. The rules follow Karmada's webhook (selectors, operators, exclusive
 * fields, minGroups <= maxGroups, weights >= 1) plus Flotilla's own fields and the
 * cross-field contradictions that would make a policy unsatisfiable by construction.
 */
import { POLICY_API_VERSION } from '../model/policy.ts'
import {
  anyValue, arrayOf, bool, child, dnsSubdomain, int, isRecord, jsonPointer, labelKey, labelValue, mapOf, obj, str,
  type Check, type FieldError
} from './field-checks.ts'

export type { FieldError } from './field-checks.ts'

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 }

const labelSelectorRequirement = obj({
  key: labelKey,
  operator: str({ oneOf: ['In', 'NotIn', 'Exists', 'DoesNotExist'] }),
  values: arrayOf(labelValue)
}, {
  required: ['key', 'operator'],
  also: (v, path, errs) => {
    const values = Array.isArray(v['values']) ? v['values'] : undefined
    if ((v['operator'] === 'In' || v['operator'] === 'NotIn') && (values === undefined || values.length === 0)) {
      errs.push({ path: child(path, 'values'), message: `must list at least one value for operator ${String(v['operator'])}` })
    }
    if ((v['operator'] === 'Exists' || v['operator'] === 'DoesNotExist') && values !== undefined && values.length > 0) {
      errs.push({ path: child(path, 'values'), message: `must be empty for operator ${String(v['operator'])}` })
    }
  }
})

const labelSelector = obj({ matchLabels: mapOf(labelKey, labelValue), matchExpressions: arrayOf(labelSelectorRequirement) })

const resourceSelector = obj({
  apiVersion: str({ nonEmpty: true }),
  kind: str({ nonEmpty: true }),
  namespace: str(),
  name: str(),
  labelSelector
}, { required: ['apiVersion', 'kind'] })

const fieldSelectorRequirement = obj({
  key: str({ oneOf: ['provider', 'region', 'zone', 'site'] }),
  operator: str({ oneOf: ['In', 'NotIn'] }),
  values: arrayOf(str({ nonEmpty: true }), { minItems: 1 })
}, { required: ['key', 'operator', 'values'] })

const affinityFields: Record<string, Check> = {
  clusterNames: arrayOf(str({ nonEmpty: true })),
  exclude: arrayOf(str({ nonEmpty: true })),
  labelSelector,
  fieldSelector: obj({ matchExpressions: arrayOf(fieldSelectorRequirement, { minItems: 1 }) }, { required: ['matchExpressions'] })
}

const clusterAffinity = obj(affinityFields)

const clusterAffinityTerm = obj({ ...affinityFields, affinityName: str({ nonEmpty: true, maxLength: 32 }) }, { required: ['affinityName'] })

const toleration = obj({
  key: str(),
  operator: str({ oneOf: ['Exists', 'Equal'] }),
  value: str(),
  effect: str({ oneOf: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] })
}, {
  refused: { tolerationSeconds: 'not supported: Flotilla treats NoExecute like NoSchedule and evicts gracefully' },
  also: (v, path, errs) => {
    if (v['operator'] === 'Exists' && typeof v['value'] === 'string' && v['value'] !== '') {
      errs.push({ path: child(path, 'value'), message: 'must be empty when operator is Exists' })
    }
    if ((v['key'] === undefined || v['key'] === '') && v['operator'] !== 'Exists') {
      errs.push({ path: child(path, 'operator'), message: 'must be Exists when key is empty (a toleration of every taint)' })
    }
  }
})

const SPREAD_FIELDS = ['cluster', 'region', 'zone', 'provider', 'site'] as const

const spreadConstraint = obj({
  spreadByField: str({ oneOf: SPREAD_FIELDS }),
  spreadByLabel: labelKey,
  minGroups: int({ min: 0, max: INT32.max }),
  maxGroups: int({ min: 1, max: INT32.max })
}, {
  also: (v, path, errs) => {
    if (v['spreadByField'] !== undefined && v['spreadByLabel'] !== undefined) {
      errs.push({ path: child(path, 'spreadByLabel'), message: 'must not be set together with spreadByField' })
    }
    if (typeof v['minGroups'] === 'number' && typeof v['maxGroups'] === 'number' && v['minGroups'] > v['maxGroups']) {
      errs.push({ path: child(path, 'minGroups'), message: `must be <= maxGroups (${v['maxGroups']}): received ${v['minGroups']}` })
    }
  }
})

const staticClusterWeight = obj({ targetCluster: clusterAffinity, weight: int({ min: 1, max: INT32.max }) }, { required: ['targetCluster', 'weight'] })

const replicaScheduling = obj({
  replicaSchedulingType: str({ oneOf: ['Duplicated', 'Divided'] }),
  replicaDivisionPreference: str({ oneOf: ['Aggregated', 'Weighted'] }),
  weightPreference: obj({
    staticWeightList: arrayOf(staticClusterWeight, { minItems: 1 }),
    dynamicWeight: str({ oneOf: ['AvailableReplicas'] })
  }, {
    also: (v, path, errs) => {
      if (v['staticWeightList'] !== undefined && v['dynamicWeight'] !== undefined) {
        errs.push({ path: child(path, 'dynamicWeight'), message: 'must not be set together with staticWeightList' })
      }
    }
  })
})

function checkSpreadCombination (list: unknown[], path: string, errs: FieldError[]): void {
  const seen = new Map<string, number>()
  let clusterMax: number | undefined
  let groupMin = 0
  let groupMinName = ''
  list.forEach((c, i) => {
    if (!isRecord(c)) return
    const by = typeof c['spreadByLabel'] === 'string' ? `label:${c['spreadByLabel']}` : typeof c['spreadByField'] === 'string' ? c['spreadByField'] : 'cluster'
    const prev = seen.get(by)
    if (prev !== undefined) errs.push({ path: `${path}[${i}]`, message: `duplicates spreadConstraints[${prev}] (both spread by ${by})` })
    seen.set(by, i)
    if (by === 'cluster' && typeof c['maxGroups'] === 'number') clusterMax = c['maxGroups']
    if (by !== 'cluster' && typeof c['minGroups'] === 'number' && c['minGroups'] > groupMin) { groupMin = c['minGroups']; groupMinName = by }
  })
  if (clusterMax !== undefined && groupMin > clusterMax) {
    errs.push({ path, message: `spreading over at least ${groupMin} ${groupMinName} groups needs at least ${groupMin} clusters, but the cluster constraint allows at most ${clusterMax}` })
  }
}

const placement = obj({
  clusterAffinity,
  clusterAffinities: arrayOf(clusterAffinityTerm, { minItems: 1 }),
  clusterTolerations: arrayOf(toleration),
  spreadConstraints: arrayOf(spreadConstraint),
  replicaScheduling
}, {
  also: (v, path, errs) => {
    if (v['clusterAffinity'] !== undefined && v['clusterAffinities'] !== undefined) {
      errs.push({ path: child(path, 'clusterAffinities'), message: 'must not be set together with clusterAffinity' })
    }
    if (Array.isArray(v['clusterAffinities'])) {
      const names = new Map<string, number>()
      v['clusterAffinities'].forEach((t, i) => {
        if (!isRecord(t) || typeof t['affinityName'] !== 'string') return
        const prev = names.get(t['affinityName'])
        if (prev !== undefined) errs.push({ path: `${child(path, 'clusterAffinities')}[${i}].affinityName`, message: `duplicates clusterAffinities[${prev}].affinityName ${JSON.stringify(t['affinityName'])}` })
        names.set(t['affinityName'], i)
      })
    }
    if (Array.isArray(v['spreadConstraints'])) checkSpreadCombination(v['spreadConstraints'], child(path, 'spreadConstraints'), errs)
  }
})

const propagationSpec = obj({
  resourceSelectors: arrayOf(resourceSelector, { minItems: 1 }),
  placement,
  priority: int(INT32),
  residency: obj({ regions: arrayOf(str({ nonEmpty: true }), { minItems: 1 }), localOnly: bool }),
  failover: obj({
    failback: obj({
      policy: str({ oneOf: ['Never', 'AfterStabilization'] }),
      stabilizationSeconds: int({ min: 0, max: INT32.max })
    }, { required: ['policy'] })
  })
}, {
  required: ['resourceSelectors'],
  refused: {
    propagateDeps: 'not supported by Flotilla',
    preemption: 'not supported by Flotilla: a higher-priority policy takes over on the next placement',
    conflictResolution: 'not supported by Flotilla',
    schedulerName: 'not supported by Flotilla',
    dependentOverrides: 'not supported by Flotilla',
    suspension: 'not supported by Flotilla',
    activationPreference: 'not supported by Flotilla'
  }
})

function metadata (clusterScoped: boolean): Check {
  return (v, path, errs) => {
    if (!isRecord(v)) { errs.push({ path, message: `must be an object: received ${v === undefined ? 'nothing' : typeof v}` }); return }
    if (v['name'] === undefined) errs.push({ path: child(path, 'name'), message: 'is required' })
    else dnsSubdomain(v['name'], child(path, 'name'), errs)
    if (v['namespace'] !== undefined) {
      if (clusterScoped) errs.push({ path: child(path, 'namespace'), message: 'must not be set: the kind is cluster-scoped' })
      else dnsSubdomain(v['namespace'], child(path, 'namespace'), errs)
    }
    if (v['labels'] !== undefined) mapOf(labelKey, labelValue)(v['labels'], child(path, 'labels'), errs)
    if (v['annotations'] !== undefined) mapOf(str({ nonEmpty: true }), str())(v['annotations'], child(path, 'annotations'), errs)
  }
}

function policyObject (kinds: readonly string[], spec: Check): (o: unknown) => FieldError[] {
  return (o) => {
    const errs: FieldError[] = []
    const clusterScoped = isRecord(o) && o['kind'] === 'ClusterPropagationPolicy'
    obj({
      apiVersion: str({ oneOf: [POLICY_API_VERSION] }),
      kind: str({ oneOf: kinds }),
      metadata: metadata(clusterScoped),
      spec,
      status: anyValue
    }, { required: ['apiVersion', 'kind', 'metadata', 'spec'] })(o, '', errs)
    return errs
  }
}

/** Field errors of a PropagationPolicy or ClusterPropagationPolicy; empty when valid. */
export const validatePropagationPolicy: (obj: unknown) => FieldError[] =
  policyObject(['PropagationPolicy', 'ClusterPropagationPolicy'], propagationSpec)

const imageOverrider = obj({
  component: str({ oneOf: ['Registry', 'Repository', 'Tag'] }),
  operator: str({ oneOf: ['add', 'remove', 'replace'] }),
  value: str(),
  predicate: obj({ path: jsonPointer }, { required: ['path'] })
}, {
  required: ['component', 'operator'],
  also: (v, path, errs) => {
    if (v['operator'] === 'remove' && v['value'] !== undefined && v['value'] !== '') errs.push({ path: child(path, 'value'), message: 'must be empty for operator remove' })
    if ((v['operator'] === 'add' || v['operator'] === 'replace') && (v['value'] === undefined || v['value'] === '')) {
      errs.push({ path: child(path, 'value'), message: `is required for operator ${String(v['operator'])}` })
    }
  }
})

const commandArgsOverrider = obj({
  containerName: str({ nonEmpty: true }),
  operator: str({ oneOf: ['add', 'remove'] }),
  value: arrayOf(str())
}, { required: ['containerName', 'operator', 'value'] })

const labelAnnotationOverrider = (values: Check): Check => obj({
  operator: str({ oneOf: ['add', 'remove', 'replace'] }),
  value: mapOf(labelKey, values)
}, { required: ['operator', 'value'] })

const plaintextOverrider = obj({
  path: jsonPointer,
  operator: str({ oneOf: ['add', 'remove', 'replace'] }),
  value: anyValue
}, {
  required: ['path', 'operator'],
  also: (v, path, errs) => {
    if (v['operator'] === 'remove' && v['value'] !== undefined) errs.push({ path: child(path, 'value'), message: 'must be empty for operator remove' })
    if ((v['operator'] === 'add' || v['operator'] === 'replace') && v['value'] === undefined) {
      errs.push({ path: child(path, 'value'), message: `is required for operator ${String(v['operator'])}` })
    }
  }
})

const overriders = obj({
  imageOverrider: arrayOf(imageOverrider),
  commandOverrider: arrayOf(commandArgsOverrider),
  argsOverrider: arrayOf(commandArgsOverrider),
  labelsOverrider: arrayOf(labelAnnotationOverrider(labelValue)),
  annotationsOverrider: arrayOf(labelAnnotationOverrider(str())),
  plaintext: arrayOf(plaintextOverrider)
}, {
  refused: { fieldOverrider: 'not supported by Flotilla: use plaintext' },
  also: (v, path, errs) => {
    const any = Object.values(v).some((x) => Array.isArray(x) && x.length > 0)
    if (!any) errs.push({ path, message: 'must hold at least one overrider' })
  }
})

const overrideSpec = obj({
  resourceSelectors: arrayOf(resourceSelector),
  overrideRules: arrayOf(obj({ targetCluster: clusterAffinity, overriders }, { required: ['overriders'] }), { minItems: 1 })
}, {
  required: ['overrideRules'],
  refused: {
    targetCluster: 'deprecated in Karmada and not supported: put it in overrideRules[].targetCluster',
    overriders: 'deprecated in Karmada and not supported: put it in overrideRules[].overriders'
  }
})

/** Field errors of an OverridePolicy; empty when valid. */
export const validateOverridePolicy: (obj: unknown) => FieldError[] = policyObject(['OverridePolicy'], overrideSpec)
