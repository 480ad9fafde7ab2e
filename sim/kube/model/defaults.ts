/**
 * Defaulting, as the apiserver fills in fields the user left out (a Deployment's
 * strategy and revision limit, a container's pull policy, a Service port's protocol and
 * target port...). Runs on every write after merging, on a private copy, and is
 * idempotent; defaulted fields belong to no field manager, as in a real cluster.
 */
import { isPlainObject, type Json, type JsonObject } from '../../../src/k8s/json.ts'

function obj (parent: JsonObject, key: string): JsonObject {
  const v = parent[key]
  if (isPlainObject(v)) return v
  const created: JsonObject = {}
  parent[key] = created
  return created
}

function setDefault (o: JsonObject, key: string, value: Json): void {
  if (o[key] === undefined || o[key] === null) o[key] = value
}

function imageTag (image: string): string | undefined {
  const lastSlash = image.lastIndexOf('/')
  const colon = image.indexOf(':', lastSlash + 1)
  if (image.includes('@')) return 'digest'
  return colon < 0 ? undefined : image.slice(colon + 1)
}

function defaultContainers (list: Json | undefined): void {
  if (!Array.isArray(list)) return
  for (const c of list) {
    if (!isPlainObject(c)) continue
    setDefault(c, 'terminationMessagePath', '/dev/termination-log')
    setDefault(c, 'terminationMessagePolicy', 'File')
    if (typeof c['image'] === 'string') {
      const tag = imageTag(c['image'])
      setDefault(c, 'imagePullPolicy', tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent')
    }
    setDefault(c, 'resources', {})
    if (Array.isArray(c['ports'])) for (const p of c['ports']) if (isPlainObject(p)) setDefault(p, 'protocol', 'TCP')
  }
}

export function defaultPodSpec (spec: JsonObject): void {
  setDefault(spec, 'restartPolicy', 'Always')
  setDefault(spec, 'terminationGracePeriodSeconds', 30)
  setDefault(spec, 'dnsPolicy', 'ClusterFirst')
  setDefault(spec, 'securityContext', {})
  setDefault(spec, 'schedulerName', 'default-scheduler')
  defaultContainers(spec['containers'])
  defaultContainers(spec['initContainers'])
}

function defaultTemplate (spec: JsonObject): void {
  const template = obj(spec, 'template')
  defaultPodSpec(obj(template, 'spec'))
}

/** Applies defaults for `kind` in place (on a private copy). */
export function applyDefaults (kind: string, o: JsonObject): void {
  const metadata = obj(o, 'metadata')
  switch (kind) {
    case 'Deployment': {
      const spec = obj(o, 'spec')
      setDefault(spec, 'replicas', 1)
      setDefault(spec, 'revisionHistoryLimit', 10)
      setDefault(spec, 'progressDeadlineSeconds', 600)
      const strategy = obj(spec, 'strategy')
      setDefault(strategy, 'type', 'RollingUpdate')
      if (strategy['type'] === 'RollingUpdate') {
        const ru = obj(strategy, 'rollingUpdate')
        setDefault(ru, 'maxUnavailable', '25%')
        setDefault(ru, 'maxSurge', '25%')
      }
      defaultTemplate(spec)
      break
    }
    case 'StatefulSet': {
      const spec = obj(o, 'spec')
      setDefault(spec, 'replicas', 1)
      setDefault(spec, 'podManagementPolicy', 'OrderedReady')
      setDefault(spec, 'revisionHistoryLimit', 10)
      const strategy = obj(spec, 'updateStrategy')
      setDefault(strategy, 'type', 'RollingUpdate')
      if (strategy['type'] === 'RollingUpdate') setDefault(obj(strategy, 'rollingUpdate'), 'partition', 0)
      setDefault(spec, 'persistentVolumeClaimRetentionPolicy', { whenDeleted: 'Retain', whenScaled: 'Retain' })
      defaultTemplate(spec)
      break
    }
    case 'DaemonSet': {
      const spec = obj(o, 'spec')
      setDefault(spec, 'revisionHistoryLimit', 10)
      const strategy = obj(spec, 'updateStrategy')
      setDefault(strategy, 'type', 'RollingUpdate')
      if (strategy['type'] === 'RollingUpdate') {
        const ru = obj(strategy, 'rollingUpdate')
        setDefault(ru, 'maxUnavailable', 1)
        setDefault(ru, 'maxSurge', 0)
      }
      defaultTemplate(spec)
      break
    }
    case 'Pod': {
      const spec = obj(o, 'spec')
      defaultPodSpec(spec)
      setDefault(spec, 'enableServiceLinks', true)
      setDefault(spec, 'priority', 0)
      setDefault(spec, 'serviceAccountName', 'default')
      break
    }
    case 'Service': {
      const spec = obj(o, 'spec')
      setDefault(spec, 'type', 'ClusterIP')
      setDefault(spec, 'sessionAffinity', 'None')
      if (spec['type'] !== 'ExternalName') {
        setDefault(spec, 'ipFamilies', ['IPv4'])
        setDefault(spec, 'ipFamilyPolicy', 'SingleStack')
        setDefault(spec, 'internalTrafficPolicy', 'Cluster')
      }
      if (Array.isArray(spec['ports'])) {
        for (const p of spec['ports']) {
          if (!isPlainObject(p)) continue
          setDefault(p, 'protocol', 'TCP')
          if (p['port'] !== undefined) setDefault(p, 'targetPort', p['port'] as Json)
        }
      }
      if (spec['type'] === 'LoadBalancer' || spec['type'] === 'NodePort') setDefault(spec, 'externalTrafficPolicy', 'Cluster')
      const status = obj(o, 'status')
      setDefault(status, 'loadBalancer', {})
      break
    }
    case 'Namespace': {
      const spec = obj(o, 'spec')
      setDefault(spec, 'finalizers', ['kubernetes'])
      const status = obj(o, 'status')
      setDefault(status, 'phase', 'Active')
      const labels = obj(metadata, 'labels')
      labels['kubernetes.io/metadata.name'] = metadata['name'] as Json
      break
    }
    case 'Ingress': {
      obj(o, 'spec')
      setDefault(obj(o, 'status'), 'loadBalancer', {})
      break
    }
    default:
      break
  }
}
