/**
 * Server-side printing: the `meta.k8s.io/v1` Table a kube-apiserver returns when a client
 * asks for `application/json;as=Table;...`, with the columns kubectl shows for each kind
 * (Deployments: NAME READY UP-TO-DATE AVAILABLE AGE; Nodes: NAME STATUS ROLES AGE
 * VERSION; ...), wide columns at priority 1, and ages worded like Kubernetes'
 * HumanDuration.
 */
import type { KubeObject } from '../../../src/model/kube.ts'
import { conditionOf } from '../model/conditions.ts'
import { humanDuration } from '../../../src/k8s/duration.ts'
import { isPlainObject, type Json, type JsonObject } from '../../../src/k8s/json.ts'
import { formatLabelSelector, fromStructured, type StructuredSelector } from '../../../src/k8s/label-selector.ts'
import type { ColumnDefinition, IncludeObject } from '../../../src/k8s/table.ts'

export type { ColumnDefinition, IncludeObject }

type Cell = string | number
type Printer = (o: KubeObject, nowMs: number) => Cell[]

function age (timestamp: unknown, nowMs: number): string {
  if (typeof timestamp !== 'string') return '<unknown>'
  const t = Date.parse(timestamp)
  return Number.isNaN(t) ? '<unknown>' : humanDuration(nowMs - t)
}

function num (v: Json | undefined): number {
  return typeof v === 'number' ? v : 0
}

function obj (v: unknown): JsonObject {
  return isPlainObject(v) ? v : {}
}

function containers (o: KubeObject): JsonObject[] {
  const tpl = obj(obj(o.spec)['template'])
  const list = obj(tpl['spec'])['containers']
  return Array.isArray(list) ? list.filter(isPlainObject) : []
}

function names (list: JsonObject[], field: string): string {
  return list.map((c) => String(c[field] ?? '')).join(',')
}

function selectorText (sel: unknown): string {
  if (!isPlainObject(sel)) return '<none>'
  const text = formatLabelSelector(fromStructured(sel as StructuredSelector))
  return text === '' ? '<none>' : text
}

function mapText (m: unknown): string {
  if (!isPlainObject(m) || Object.keys(m).length === 0) return '<none>'
  return Object.entries(m).map(([k, v]) => `${k}=${String(v)}`).join(',')
}

function col (name: string, type: ColumnDefinition['type'], description: string, priority = 0, format = ''): ColumnDefinition {
  return { name, type, format, description, priority }
}

const NAME = col('Name', 'string', 'Name must be unique within a namespace.', 0, 'name')
const AGE = col('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.')

function podStatusText (p: KubeObject): string {
  if (p.metadata.deletionTimestamp !== undefined) return 'Terminating'
  const status = obj(p.status)
  const statuses = Array.isArray(status['containerStatuses']) ? status['containerStatuses'].filter(isPlainObject) : []
  for (const s of statuses) {
    const waiting = obj(obj(s['state'])['waiting'])
    if (typeof waiting['reason'] === 'string') return waiting['reason']
  }
  return typeof status['phase'] === 'string' ? status['phase'] : 'Unknown'
}

function nodeStatusText (n: KubeObject): string {
  const ready = conditionOf(n.status, 'Ready')?.['status']
  const parts = [ready === 'True' ? 'Ready' : ready === undefined ? 'Unknown' : 'NotReady']
  if (obj(n.spec)['unschedulable'] === true) parts.push('SchedulingDisabled')
  return parts.join(',')
}

function nodeRoles (n: KubeObject): string {
  const roles = Object.keys(n.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .filter((r) => r !== '')
  return roles.length === 0 ? '<none>' : roles.sort().join(',')
}

function servicePorts (s: KubeObject): string {
  const ports = obj(s.spec)['ports']
  if (!Array.isArray(ports) || ports.length === 0) return '<none>'
  return ports.filter(isPlainObject).map((p) => {
    const proto = String(p['protocol'] ?? 'TCP')
    return p['nodePort'] !== undefined ? `${String(p['port'])}:${String(p['nodePort'])}/${proto}` : `${String(p['port'])}/${proto}`
  }).join(',')
}

function externalIp (s: KubeObject): string {
  const spec = obj(s.spec)
  const ingress = obj(obj(s.status)['loadBalancer'])['ingress']
  const external = Array.isArray(spec['externalIPs']) ? spec['externalIPs'].map(String) : []
  if (spec['type'] === 'ExternalName') return String(spec['externalName'] ?? '<none>')
  if (spec['type'] === 'LoadBalancer') {
    const lb = Array.isArray(ingress) ? ingress.filter(isPlainObject).map((i) => String(i['ip'] ?? i['hostname'] ?? '')) : []
    const all = [...lb, ...external]
    return all.length === 0 ? '<pending>' : all.join(',')
  }
  return external.length === 0 ? '<none>' : external.join(',')
}

function internalIp (n: KubeObject, type: string): string {
  const addresses = obj(n.status)['addresses']
  const found = Array.isArray(addresses) ? addresses.find((a) => isPlainObject(a) && a['type'] === type) : undefined
  return isPlainObject(found) ? String(found['address']) : '<none>'
}

interface KindTable { columns: ColumnDefinition[], row: Printer }

const TABLES: Record<string, KindTable> = {
  Deployment: {
    columns: [NAME, col('Ready', 'string', 'Number of the pod with ready state'), col('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      col('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'), AGE,
      col('Containers', 'string', 'Names of each container in the template.', 1), col('Images', 'string', 'Images referenced by each container in the template.', 1),
      col('Selector', 'string', 'Label selector for pods.', 1)],
    row: (o, now) => {
      const spec = obj(o.spec)
      const st = obj(o.status)
      const cs = containers(o)
      return [o.metadata.name, `${num(st['readyReplicas'])}/${typeof spec['replicas'] === 'number' ? spec['replicas'] : 1}`, num(st['updatedReplicas']), num(st['availableReplicas']),
        age(o.metadata.creationTimestamp, now), names(cs, 'name'), names(cs, 'image'), selectorText(spec['selector'])]
    }
  },
  StatefulSet: {
    columns: [NAME, col('Ready', 'string', 'Number of the pod with ready state'), AGE,
      col('Containers', 'string', 'Names of each container in the template.', 1), col('Images', 'string', 'Images referenced by each container in the template.', 1)],
    row: (o, now) => {
      const spec = obj(o.spec)
      const cs = containers(o)
      return [o.metadata.name, `${num(obj(o.status)['readyReplicas'])}/${typeof spec['replicas'] === 'number' ? spec['replicas'] : 1}`, age(o.metadata.creationTimestamp, now), names(cs, 'name'), names(cs, 'image')]
    }
  },
  DaemonSet: {
    columns: [NAME, col('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'), col('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod.'),
      col('Ready', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.'),
      col('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'), col('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.'),
      col('Node Selector', 'string', 'NodeSelector is a selector which must be true for the pod to fit on a node.'), AGE,
      col('Containers', 'string', 'Names of each container in the template.', 1), col('Images', 'string', 'Images referenced by each container in the template.', 1), col('Selector', 'string', 'Label selector for pods.', 1)],
    row: (o, now) => {
      const st = obj(o.status)
      const cs = containers(o)
      const nodeSelector = obj(obj(obj(o.spec)['template'])['spec'])['nodeSelector']
      return [o.metadata.name, num(st['desiredNumberScheduled']), num(st['currentNumberScheduled']), num(st['numberReady']), num(st['updatedNumberScheduled']), num(st['numberAvailable']),
        mapText(nodeSelector), age(o.metadata.creationTimestamp, now), names(cs, 'name'), names(cs, 'image'), selectorText(obj(o.spec)['selector'])]
    }
  },
  Pod: {
    columns: [NAME, col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'), col('Status', 'string', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'), AGE,
      col('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1), col('Node', 'string', 'NodeName is a request to schedule this pod onto a specific node.', 1),
      col('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node.', 1), col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1)],
    row: (o, now) => {
      const spec = obj(o.spec)
      const st = obj(o.status)
      const specContainers = Array.isArray(spec['containers']) ? spec['containers'].length : 0
      const statuses = Array.isArray(st['containerStatuses']) ? st['containerStatuses'].filter(isPlainObject) : []
      const ready = statuses.filter((s) => s['ready'] === true).length
      const restarts = statuses.reduce((n, s) => n + num(s['restartCount']), 0)
      return [o.metadata.name, `${ready}/${specContainers}`, podStatusText(o), String(restarts), age(o.metadata.creationTimestamp, now),
        typeof st['podIP'] === 'string' ? st['podIP'] : '<none>', typeof spec['nodeName'] === 'string' ? spec['nodeName'] : '<none>', '<none>', '<none>']
    }
  },
  Node: {
    columns: [NAME, col('Status', 'string', 'The status of the node'), col('Roles', 'string', 'The roles of the node'), AGE, col('Version', 'string', 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'string', 'List of addresses reachable to the node', 1), col('External-IP', 'string', 'List of addresses reachable to the node', 1),
      col('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1), col('Kernel-Version', 'string', 'Kernel Version reported by the node.', 1),
      col('Container-Runtime', 'string', 'Container Runtime Version reported by the node.', 1)],
    row: (o, now) => {
      const info = obj(obj(o.status)['nodeInfo'])
      return [o.metadata.name, nodeStatusText(o), nodeRoles(o), age(o.metadata.creationTimestamp, now), String(info['kubeletVersion'] ?? ''),
        internalIp(o, 'InternalIP'), internalIp(o, 'ExternalIP'), String(info['osImage'] ?? ''), String(info['kernelVersion'] ?? ''), String(info['containerRuntimeVersion'] ?? '')]
    }
  },
  Service: {
    columns: [NAME, col('Type', 'string', 'type determines how the Service is exposed.'), col('Cluster-IP', 'string', 'clusterIP is the IP address of the service.'),
      col('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
      col('Port(s)', 'string', 'The list of ports that are exposed by this service.'), AGE, col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1)],
    row: (o, now) => {
      const spec = obj(o.spec)
      return [o.metadata.name, String(spec['type'] ?? 'ClusterIP'), typeof spec['clusterIP'] === 'string' ? spec['clusterIP'] : '<none>', externalIp(o), servicePorts(o),
        age(o.metadata.creationTimestamp, now), mapText(spec['selector'])]
    }
  },
  ConfigMap: {
    columns: [NAME, col('Data', 'integer', 'Data contains the configuration data.'), AGE],
    row: (o, now) => [o.metadata.name, Object.keys(obj(o['data'])).length + Object.keys(obj(o['binaryData'])).length, age(o.metadata.creationTimestamp, now)]
  },
  Namespace: {
    columns: [NAME, col('Status', 'string', 'The status of the namespace'), AGE],
    row: (o, now) => [o.metadata.name, String(obj(o.status)['phase'] ?? 'Active'), age(o.metadata.creationTimestamp, now)]
  },
  Event: {
    columns: [col('Last Seen', 'string', 'Time when this Event was last observed.'), col('Type', 'string', 'Type of this event (Normal, Warning).'),
      col('Reason', 'string', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
      col('Object', 'string', 'The object that this event is about.'), col('Message', 'string', 'A human-readable description of the status of this operation.'),
      col('Source', 'string', 'The component reporting this event.', 1), col('First Seen', 'string', 'The time at which the event was first recorded.', 1),
      col('Count', 'integer', 'The number of times this event has occurred.', 1), col('Name', 'string', 'Name must be unique within a namespace.', 1, 'name')],
    row: (o, now) => {
      const inv = obj(o['involvedObject'])
      return [age(o['lastTimestamp'] ?? o.metadata.creationTimestamp, now), String(o['type'] ?? ''), String(o['reason'] ?? ''),
        `${String(inv['kind'] ?? '').toLowerCase()}/${String(inv['name'] ?? '')}`, String(o['message'] ?? ''), String(obj(o['source'])['component'] ?? ''),
        age(o['firstTimestamp'] ?? o.metadata.creationTimestamp, now), num(o['count'] as Json), o.metadata.name]
    }
  },
  Ingress: {
    columns: [NAME, col('Class', 'string', 'The name of the IngressClass resource.'), col('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
      col('Address', 'string', 'Address is a list containing ingress points for the load-balancer'), col('Ports', 'string', 'Ports of TLS configurations that open'), AGE],
    row: (o, now) => {
      const spec = obj(o.spec)
      const rules = Array.isArray(spec['rules']) ? spec['rules'].filter(isPlainObject) : []
      const hosts = rules.map((r) => (typeof r['host'] === 'string' ? r['host'] : '*'))
      const lb = obj(obj(o.status)['loadBalancer'])['ingress']
      const address = Array.isArray(lb) ? lb.filter(isPlainObject).map((i) => String(i['ip'] ?? i['hostname'] ?? '')).join(',') : ''
      return [o.metadata.name, typeof spec['ingressClassName'] === 'string' ? spec['ingressClassName'] : '<none>', hosts.length === 0 ? '*' : hosts.join(','),
        address, Array.isArray(spec['tls']) && spec['tls'].length > 0 ? '80, 443' : '80', age(o.metadata.creationTimestamp, now)]
    }
  }
}

const DEFAULT_TABLE: KindTable = { columns: [NAME, AGE], row: (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)] }

export function columnsFor (kind: string): ColumnDefinition[] {
  return (TABLES[kind] ?? DEFAULT_TABLE).columns
}

function rowObject (o: KubeObject, include: IncludeObject): KubeObject | undefined {
  if (include === 'None') return undefined
  if (include === 'Object') return o
  const { managedFields: _m, ...metadata } = o.metadata
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: metadata as KubeObject['metadata'] }
}

export function tableRows (kind: string, items: readonly KubeObject[], nowMs: number, include: IncludeObject): JsonObject[] {
  const t = TABLES[kind] ?? DEFAULT_TABLE
  return items.map((o) => {
    const row: JsonObject = { cells: t.row(o, nowMs) }
    const object = rowObject(o, include)
    if (object !== undefined) row['object'] = object as unknown as Json
    return row
  })
}

export interface TableMeta { resourceVersion?: string, continue?: string, remainingItemCount?: number }

export function toTable (kind: string, items: readonly KubeObject[], nowMs: number, include: IncludeObject, meta: TableMeta, withColumns = true): JsonObject {
  const metadata: JsonObject = {}
  if (meta.resourceVersion !== undefined) metadata['resourceVersion'] = meta.resourceVersion
  if (meta.continue !== undefined) metadata['continue'] = meta.continue
  if (meta.remainingItemCount !== undefined) metadata['remainingItemCount'] = meta.remainingItemCount
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: withColumns ? columnsFor(kind) as unknown as Json : null,
    rows: tableRows(kind, items, nowMs, include)
  }
}
