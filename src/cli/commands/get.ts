/**
 * `flotilla get sites|clusters|workloads|bindings`: the global view as the site the
 * kubeconfig points at holds it. Sites, clusters and workloads are read through the
 * site's Kubernetes-compatible resources (so `-o json|yaml` prints the objects kubectl
 * would get); bindings — the placement each deciding site wrote — through the Flotilla
 * route, since no Kubernetes resource carries them. Tables show the federation columns:
 * liveness, health and capacity, origin, residency, placement, ready/desired, degraded.
 */
import type { Command } from 'commander'
import type { BindingRow } from '../../api/flotilla-routes.ts'
import type { FlotillaStatus } from '../../api/render.ts'
import { FlotillaError } from '../../model/errors.ts'
import { WORKLOAD_KINDS, type KubeObject } from '../../model/kube.ts'
import { resourcesFromKube } from '../../model/resources.ts'
import { addConnectionOptions, addOutputOption, withSiteClient, type ConnectionFlags, type OutputFlags } from '../client/connection.ts'
import { fetchBindings } from '../client/flotilla-api.ts'
import type { SiteClient } from '../client/site-client.ts'
import { humanAge } from '../format/durations.ts'
import { parseOutputFormat, printAs, type OutputFormat } from '../format/output-format.ts'
import { cpuText, memoryText } from '../format/quantities.ts'
import { renderTable } from '../format/table.ts'
import type { CliStreams } from '../output.ts'

const TARGETS: Record<string, 'sites' | 'clusters' | 'workloads' | 'bindings'> = {
  site: 'sites', sites: 'sites',
  cluster: 'clusters', clusters: 'clusters',
  workload: 'workloads', workloads: 'workloads', wl: 'workloads',
  binding: 'bindings', bindings: 'bindings'
}

const FLOTILLA_GROUP = '/apis/cluster.flotilla.io/v1alpha1'

interface KubeList { apiVersion?: string, kind?: string, metadata?: Record<string, unknown>, items: KubeObject[] }

interface GetFlags extends ConnectionFlags, OutputFlags {
  namespace?: string
}

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : {})
const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback)

function ageOf (o: KubeObject, now: number): string {
  const t = Date.parse(str(o.metadata.creationTimestamp))
  return Number.isNaN(t) ? '<unknown>' : humanAge(now - t)
}

function sitesTable (list: KubeList, now: number): string {
  return renderTable(['name', 'region', 'zone', 'clusters', 'liveness', 'connected', 'local-only', 'api', 'age'], list.items.map((s) => {
    const spec = obj(s.spec)
    const status = obj(s.status)
    const clusters = Array.isArray(status['clusters']) ? status['clusters'].length : 0
    return [s.metadata.name, str(spec['region']), str(spec['zone']), clusters, str(status['liveness'], 'unknown'),
      status['connected'] === true ? 'yes' : 'no', Number(status['localOnlyStubs'] ?? 0), str(obj(spec['endpoints'])['api'], '<none>'), ageOf(s, now)]
  }))
}

function clustersTable (list: KubeList): string {
  const rows = list.items.map((c) => {
    const spec = obj(c.spec)
    const status = obj(c.status)
    const nodes = obj(status['nodes'])
    const alloc = resourcesFromKube(obj(status['allocatable']) as Record<string, string>)
    const used = resourcesFromKube(obj(status['allocated']) as Record<string, string>)
    return { c, spec, status, nodes, alloc, used }
  })
  const gpus = rows.some((r) => r.alloc.gpu > 0)
  return renderTable(['name', 'site', 'region', 'health', 'nodes', 'cpu', 'memory', ...(gpus ? ['gpu'] : []), 'mode'], rows.map((r) => [
    r.c.metadata.name, str(r.spec['site']), str(r.spec['region']), str(r.status['health'], 'Unknown'), `${Number(r.nodes['ready'] ?? 0)}/${Number(r.nodes['total'] ?? 0)}`,
    `${cpuText(r.used.cpuMilli)}/${cpuText(r.alloc.cpuMilli)}`, `${memoryText(r.used.memoryBytes)}/${memoryText(r.alloc.memoryBytes)}`,
    ...(gpus ? [`${r.used.gpu}/${r.alloc.gpu}`] : []), str(r.spec['mode'])
  ]))
}

function flotillaOf (o: KubeObject): FlotillaStatus | undefined {
  const f = obj(o.status)['flotilla']
  return typeof f === 'object' && f !== null ? f as FlotillaStatus : undefined
}

function placementText (f: FlotillaStatus | undefined): string {
  const text = (f?.placement ?? []).filter((r) => r.replicas > 0 || r.ready > 0).map((r) => `${r.cluster}=${r.replicas}`).join(',')
  return text === '' ? '<none>' : text
}

function workloadsTable (items: readonly KubeObject[]): string {
  return renderTable(['kind', 'namespace', 'name', 'origin', 'residency', 'placement', 'ready', 'degraded'], items.map((w) => {
    const f = flotillaOf(w)
    return [w.kind, w.metadata.namespace ?? '-', w.metadata.name, f?.origin ?? '<unknown>', f?.residency ?? '<unknown>', placementText(f),
      f === undefined ? '0/0' : `${f.ready}/${f.desired}`, f?.degraded ?? '-']
  }))
}

function bindingsTable (items: readonly BindingRow[], now: number): string {
  return renderTable(['kind', 'namespace', 'name', 'decided-by', 'generation', 'placement', 'degraded', 'reason', 'age'], items.map((b) => [
    b.kind, b.namespace ?? '-', b.name, b.decidedBy, `${b.generation}${b.current ? '' : ' (old)'}`,
    b.placement.map((a) => `${a.cluster}=${a.replicas}`).join(',') || '<none>', b.degraded ?? '-', b.reason, humanAge(now - b.decidedAt)
  ]))
}

async function listWorkloads (client: SiteClient, namespace: string | undefined): Promise<KubeObject[]> {
  const kinds = Object.entries(WORKLOAD_KINDS).filter(([, k]) => namespace === undefined || k.namespaced)
  const lists = await Promise.all(kinds.map(async ([, k]) => {
    const base = k.apiVersion.includes('/') ? `/apis/${k.apiVersion}` : `/api/${k.apiVersion}`
    const path = namespace === undefined ? `${base}/${k.plural}` : `${base}/namespaces/${encodeURIComponent(namespace)}/${k.plural}`
    const list = await getList(client, path)
    // Lists leave kind and apiVersion off their items, as the apiserver does.
    return list.items.map((o) => ({ ...o, apiVersion: o.apiVersion ?? k.apiVersion, kind: o.kind ?? kindOf(list.kind) }))
  }))
  const order = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.kind}/${o.metadata.name}`
  return lists.flat().sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))
}

/** The list at `path`, refusing an answer that is not one (a server that is not a Flotilla site). */
async function getList (client: SiteClient, path: string): Promise<KubeList> {
  const body = await client.get<Partial<KubeList> | undefined>(path)
  if (typeof body !== 'object' || body === null || !Array.isArray(body.items)) {
    throw new FlotillaError('unsupported-version', `the server at ${client.connection.server} answered ${path} with something other than a list`,
      'Point --kubeconfig (or --site) at a Flotilla site\'s API, whose kubeconfigs are under <dataDir>/pki/kubeconfigs/.')
  }
  return body as KubeList
}

function kindOf (listKind: string | undefined): string {
  return listKind === undefined ? '' : listKind.replace(/List$/, '')
}

function emptyNote (streams: CliStreams, format: OutputFormat, what: string, count: number): boolean {
  if (format !== 'table' || count > 0) return false
  streams.err(`No ${what} found.\n`)
  return true
}

export function registerGetCommand (program: Command, streams: CliStreams): void {
  const cmd = program.command('get')
    .description('show the global view: sites, clusters, workloads or bindings')
    .argument('<what>', 'sites, clusters, workloads or bindings')
    .option('-n, --namespace <ns>', 'only workloads or bindings in this namespace (default: all namespaces)')
  addOutputOption(addConnectionOptions(cmd))
  cmd.action(async (what: string, flags: GetFlags) => {
    const target = TARGETS[what.toLowerCase()]
    if (target === undefined) {
      throw new FlotillaError('input-invalid', `cannot get "${what}": the global view has sites, clusters, workloads and bindings`,
        'E.g. `flotilla get workloads -o yaml`. Other kinds: use kubectl with the same kubeconfig.')
    }
    const format = parseOutputFormat(flags.output)
    if (flags.namespace !== undefined && (target === 'sites' || target === 'clusters')) {
      throw new FlotillaError('input-invalid', `${target} are not namespaced: -n does not apply`, `Run \`flotilla get ${target}\` without -n.`)
    }
    await withSiteClient(flags, 'admin', async (client) => {
      const now = Date.now()
      switch (target) {
        case 'sites': {
          const list = await getList(client, `${FLOTILLA_GROUP}/sites`)
          if (!emptyNote(streams, format, 'sites', list.items.length)) printAs(streams, format, list, () => sitesTable(list, now))
          return
        }
        case 'clusters': {
          const list = await getList(client, `${FLOTILLA_GROUP}/clusters`)
          if (!emptyNote(streams, format, 'clusters', list.items.length)) printAs(streams, format, list, () => clustersTable(list))
          return
        }
        case 'workloads': {
          const items = await listWorkloads(client, flags.namespace)
          if (!emptyNote(streams, format, 'workloads', items.length)) printAs(streams, format, { apiVersion: 'v1', kind: 'List', metadata: {}, items }, () => workloadsTable(items))
          return
        }
        case 'bindings': {
          const doc = await fetchBindings(client)
          const items = flags.namespace === undefined ? doc.items : doc.items.filter((b) => b.namespace === flags.namespace)
          if (!emptyNote(streams, format, 'bindings', items.length)) printAs(streams, format, { ...doc, items }, () => bindingsTable(items, doc.now))
        }
      }
    })
  })
}
