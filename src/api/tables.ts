/**
 * Server-side printing: the `meta.k8s.io/v1` Table kubectl asks for, with federation
 * columns — where a workload came from (ORIGIN-SITE), where it runs (PLACEMENT, e.g.
 * `eu-west.c1=2,ap.c2=1`) and how much of it is ready — and, for clusters and sites,
 * their owner, region, readiness, GPUs and liveness. Wide columns (priority 1) add the
 * rest. Ages are worded like kubectl's.
 */
import type { KubeObject } from '../model/kube.ts'
import { ORIGIN_ANNOTATION } from '../site/site-handle.ts'
import { humanDuration, isPlainObject, type Json, type JsonObject } from '../k8s/index.ts'
import type { FlotillaStatus } from './render.ts'
import type { ApiResource } from './resources.ts'
import type { ColumnDefinition, IncludeObject } from '../k8s/table.ts'


type Cell = string | number
/** Facts known only at request time (e.g. a peer's liveness), by object name. */
export type LiveFacts = (kind: string, name: string) => Record<string, string> | undefined
type Printer = (o: KubeObject, now: number, live: LiveFacts) => Cell[]

function col (name: string, description: string, priority = 0, type: ColumnDefinition['type'] = 'string', format = ''): ColumnDefinition {
  return { name, type, format, description, priority }
}

const NAME = col('Name', 'Name must be unique within a namespace.', 0, 'string', 'name')
const AGE = col('Age', 'Time since the object was created (clusters and sites: since this site first saw them).')
const ORIGIN = col('Origin-Site', 'The site where the object was created; only that site may change it.')
const PLACEMENT = col('Placement', 'Replicas per member cluster, as <site>.<cluster>=<replicas>.')
const READY = col('Ready', 'Ready replicas over the replicas the placement asks for.')
const RESIDENCY = col('Residency', 'global, local-only or regions=<regions>.', 1)
const DEGRADED = col('Degraded', 'Why the workload cannot run as asked, if it cannot.', 1)

const obj = (v: unknown): JsonObject => (isPlainObject(v) ? v : {})
const num = (v: Json | undefined): number => (typeof v === 'number' ? v : 0)

function age (timestamp: unknown, now: number): string {
  if (typeof timestamp !== 'string') return '<unknown>'
  const t = Date.parse(timestamp)
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t)
}

function origin (o: KubeObject): string {
  return o.metadata.annotations?.[ORIGIN_ANNOTATION] ?? '<unknown>'
}

function flotilla (o: KubeObject): FlotillaStatus | undefined {
  const f = obj(o.status)['flotilla']
  return isPlainObject(f) ? f as unknown as FlotillaStatus : undefined
}

function placementText (o: KubeObject): string {
  const rows = flotilla(o)?.placement ?? []
  const text = rows.filter((r) => r.replicas > 0 || r.ready > 0).map((r) => `${r.cluster}=${r.replicas}`).join(',')
  return text === '' ? '<none>' : text
}

function readyText (o: KubeObject): string {
  const f = flotilla(o)
  return f === undefined ? '0/0' : `${f.ready}/${f.desired}`
}

function containers (o: KubeObject): JsonObject[] {
  const list = obj(obj(obj(o.spec)['template'])['spec'])['containers']
  return Array.isArray(list) ? list.filter(isPlainObject) : []
}

function names (list: JsonObject[], field: string): string {
  return list.map((c) => String(c[field] ?? '')).join(',')
}

function servicePorts (s: KubeObject): string {
  const ports = obj(s.spec)['ports']
  if (!Array.isArray(ports) || ports.length === 0) return '<none>'
  return ports.filter(isPlainObject).map((p) => `${String(p['port'])}/${String(p['protocol'] ?? 'TCP')}`).join(',')
}

function gpuText (o: KubeObject): string {
  const st = obj(o.status)
  const total = Number(obj(st['allocatable'])['nvidia.com/gpu'] ?? 0)
  const used = Number(obj(st['allocated'])['nvidia.com/gpu'] ?? 0)
  return total === 0 ? '0' : `${used}/${total}`
}

function readyCondition (o: KubeObject): string {
  const h = obj(o.status)['health']
  return h === 'Ready' ? 'True' : h === 'NotReady' ? 'False' : 'Unknown'
}

const workloadColumns = [NAME, ORIGIN, PLACEMENT, READY, AGE, RESIDENCY, DEGRADED,
  col('Containers', 'Names of each container in the template.', 1), col('Images', 'Images referenced by each container in the template.', 1)]
const workloadRow: Printer = (o, now) => {
  const cs = containers(o)
  return [o.metadata.name, origin(o), placementText(o), readyText(o), age(o.metadata.creationTimestamp, now), flotilla(o)?.residency ?? 'global',
    flotilla(o)?.degraded ?? '<none>', names(cs, 'name'), names(cs, 'image')]
}

interface KindTable { columns: ColumnDefinition[], row: Printer }

const TABLES: Record<string, KindTable> = {
  Deployment: { columns: workloadColumns, row: workloadRow },
  StatefulSet: { columns: workloadColumns, row: workloadRow },
  DaemonSet: { columns: workloadColumns, row: workloadRow },
  Service: {
    columns: [NAME, ORIGIN, col('Type', 'How the Service is exposed.'), col('Port(s)', 'The ports the Service exposes.'), PLACEMENT, AGE, RESIDENCY],
    row: (o, now) => [o.metadata.name, origin(o), String(obj(o.spec)['type'] ?? 'ClusterIP'), servicePorts(o), placementText(o), age(o.metadata.creationTimestamp, now), flotilla(o)?.residency ?? 'global']
  },
  ConfigMap: {
    columns: [NAME, ORIGIN, col('Data', 'Number of data entries.', 0, 'integer'), PLACEMENT, AGE, RESIDENCY],
    row: (o, now) => [o.metadata.name, origin(o), Object.keys(obj(o['data'])).length + Object.keys(obj(o['binaryData'])).length, placementText(o), age(o.metadata.creationTimestamp, now), flotilla(o)?.residency ?? 'global']
  },
  Namespace: {
    columns: [NAME, ORIGIN, PLACEMENT, AGE],
    row: (o, now) => [o.metadata.name, origin(o), placementText(o), age(o.metadata.creationTimestamp, now)]
  },
  Ingress: {
    columns: [NAME, ORIGIN, col('Class', 'The name of the IngressClass.'), col('Hosts', 'Hosts that requests are matched against.'), PLACEMENT, AGE, RESIDENCY],
    row: (o, now) => {
      const spec = obj(o.spec)
      const rules = Array.isArray(spec['rules']) ? spec['rules'].filter(isPlainObject) : []
      const hosts = rules.map((r) => (typeof r['host'] === 'string' ? r['host'] : '*'))
      return [o.metadata.name, origin(o), typeof spec['ingressClassName'] === 'string' ? spec['ingressClassName'] : '<none>', hosts.length === 0 ? '*' : hosts.join(','),
        placementText(o), age(o.metadata.creationTimestamp, now), flotilla(o)?.residency ?? 'global']
    }
  },
  PropagationPolicy: {
    columns: [NAME, col('Priority', 'Higher priority policies win when several select a workload.', 0, 'integer'), ORIGIN, AGE],
    row: (o, now) => [o.metadata.name, num(obj(o.spec)['priority']), origin(o), age(o.metadata.creationTimestamp, now)]
  },
  ClusterPropagationPolicy: {
    columns: [NAME, col('Priority', 'Higher priority policies win when several select a workload.', 0, 'integer'), ORIGIN, AGE],
    row: (o, now) => [o.metadata.name, num(obj(o.spec)['priority']), origin(o), age(o.metadata.creationTimestamp, now)]
  },
  OverridePolicy: {
    columns: [NAME, col('Rules', 'Number of override rules.', 0, 'integer'), ORIGIN, AGE],
    row: (o, now) => {
      const rules = obj(o.spec)['overrideRules']
      return [o.metadata.name, Array.isArray(rules) ? rules.length : 0, origin(o), age(o.metadata.creationTimestamp, now)]
    }
  },
  Cluster: {
    columns: [NAME, col('Site', 'The site that owns and operates the cluster.'), col('Region', 'Region of the cluster.'), col('Ready', 'Whether the owner reports the cluster Ready.'),
      col('GPU', 'nvidia.com/gpu allocated/allocatable.'), AGE, col('Zone', 'Zone of the cluster.', 1), col('Provider', 'Provider of the cluster.', 1), col('Mode', 'push or pull.', 1),
      col('Nodes', 'Ready nodes/total nodes.', 1), col('CPU', 'Allocatable CPU.', 1), col('Memory', 'Allocatable memory.', 1)],
    row: (o, now) => {
      const spec = obj(o.spec)
      const st = obj(o.status)
      const nodes = obj(st['nodes'])
      const alloc = obj(st['allocatable'])
      return [o.metadata.name, String(spec['site'] ?? ''), String(spec['region'] ?? ''), readyCondition(o), gpuText(o), age(o.metadata.creationTimestamp, now),
        String(spec['zone'] ?? ''), String(spec['provider'] ?? ''), String(spec['mode'] ?? ''), `${num(nodes['ready'])}/${num(nodes['total'])}`,
        String(alloc['cpu'] ?? ''), String(alloc['memory'] ?? '')]
    }
  },
  Site: {
    columns: [NAME, col('Region', 'Region of the site.'), col('Zone', 'Zone of the site.'), col('Clusters', 'Member clusters the site operates.', 0, 'integer'),
      col('Liveness', 'The site as this site sees it: self, alive, suspect, failed, ... (from signed heartbeats).'), col('Member', 'Whether the federation roster lists it.', 1),
      col('Local-Only', 'Local-only workloads, seen here only as redacted stubs.', 1, 'integer')],
    row: (o, _now, live) => {
      const spec = obj(o.spec)
      const st = obj(o.status)
      const clusters = st['clusters']
      return [o.metadata.name, String(spec['region'] ?? ''), String(spec['zone'] ?? ''), Array.isArray(clusters) ? clusters.length : 0,
        live('Site', o.metadata.name)?.['liveness'] ?? 'unknown', st['member'] === true ? 'true' : 'false', num(st['localOnlyStubs'])]
    }
  }
}

const DEFAULT_TABLE: KindTable = { columns: [NAME, AGE], row: (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)] }

function rowObject (o: KubeObject, include: IncludeObject): KubeObject | undefined {
  if (include === 'None') return undefined
  if (include === 'Object') return o
  const { managedFields: _m, ...metadata } = o.metadata
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: metadata as KubeObject['metadata'] }
}

export interface TableMeta { resourceVersion?: string, continue?: string, remainingItemCount?: number }

export function includeObjectOf (q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject')
  return v === 'None' || v === 'Object' ? v : 'Metadata'
}

export function toTable (resource: ApiResource, items: readonly KubeObject[], now: number, include: IncludeObject, meta: TableMeta, live: LiveFacts, withColumns = true): JsonObject {
  const t = TABLES[resource.kind] ?? DEFAULT_TABLE
  const metadata: JsonObject = {}
  if (meta.resourceVersion !== undefined) metadata['resourceVersion'] = meta.resourceVersion
  if (meta.continue !== undefined) metadata['continue'] = meta.continue
  if (meta.remainingItemCount !== undefined) metadata['remainingItemCount'] = meta.remainingItemCount
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: withColumns ? t.columns as unknown as Json : null,
    rows: items.map((o) => {
      const row: JsonObject = { cells: t.row(o, now, live) }
      const object = rowObject(o, include)
      if (object !== undefined) row['object'] = object as unknown as Json
      return row
    })
  }
}
