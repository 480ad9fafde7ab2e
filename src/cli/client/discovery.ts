/**
 * What kinds the site serves, read from its discovery documents (the aggregated form,
 * two requests, as kubectl asks; the legacy per-group form otherwise), and the names a
 * user may type for them: plural, singular, short name or kind, optionally with the
 * group (`deploy`, `deployments.apps`, `Deployment`). Gives each kind's URL paths and
 * kubectl-style labels (`deployment.apps/web`).
 */
import { FlotillaError } from '../../model/errors.ts'
import type { SiteClient } from './site-client.ts'

export interface ResourceType {
  group: string
  version: string
  apiVersion: string
  kind: string
  plural: string
  singular: string
  shortNames: string[]
  namespaced: boolean
  verbs: string[]
}

export interface ResourceCatalog {
  readonly types: readonly ResourceType[]
  /** By a name a user types; undefined if nothing matches. */
  find (name: string): ResourceType | undefined
  byKind (apiVersion: string, kind: string): ResourceType | undefined
  /** Like `find`, but refuses an unknown name with the names the site serves. */
  require (name: string): ResourceType
}

const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json'

/** `deployment.apps`, `service`: how kubectl names a kind in result lines. */
export function typeLabel (t: ResourceType): string {
  return t.group === '' ? t.kind.toLowerCase() : `${t.kind.toLowerCase()}.${t.group}`
}

export function collectionPath (t: ResourceType, namespace?: string): string {
  const base = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`
  return t.namespaced && namespace !== undefined ? `${base}/namespaces/${encodeURIComponent(namespace)}/${t.plural}` : `${base}/${t.plural}`
}

export function objectPath (t: ResourceType, namespace: string | undefined, name: string): string {
  return `${collectionPath(t, namespace)}/${encodeURIComponent(name)}`
}

interface AggregatedList {
  kind?: string
  items?: Array<{ metadata?: { name?: string }, versions?: Array<{ version: string, resources?: Array<{
    resource: string, responseKind?: { kind?: string }, scope?: string, singularResource?: string, shortNames?: string[], verbs?: string[]
  }> }> }>
}

interface LegacyResourceList { resources?: Array<{ name: string, singularName?: string, namespaced?: boolean, kind: string, verbs?: string[], shortNames?: string[] }> }

function fromAggregated (list: AggregatedList, out: ResourceType[]): void {
  for (const g of list.items ?? []) {
    const group = g.metadata?.name ?? ''
    const v = g.versions?.[0]
    if (v === undefined) continue
    for (const r of v.resources ?? []) {
      if (r.responseKind?.kind === undefined) continue
      out.push({
        group, version: v.version, apiVersion: group === '' ? v.version : `${group}/${v.version}`, kind: r.responseKind.kind, plural: r.resource,
        singular: r.singularResource ?? r.responseKind.kind.toLowerCase(), shortNames: r.shortNames ?? [], namespaced: r.scope === 'Namespaced', verbs: r.verbs ?? []
      })
    }
  }
}

function fromLegacy (group: string, version: string, list: LegacyResourceList, out: ResourceType[]): void {
  for (const r of list.resources ?? []) {
    if (r.name.includes('/')) continue
    out.push({
      group, version, apiVersion: group === '' ? version : `${group}/${version}`, kind: r.kind, plural: r.name,
      singular: r.singularName !== undefined && r.singularName !== '' ? r.singularName : r.kind.toLowerCase(),
      shortNames: r.shortNames ?? [], namespaced: r.namespaced === true, verbs: r.verbs ?? []
    })
  }
}

export function createCatalog (types: readonly ResourceType[]): ResourceCatalog {
  const find = (name: string): ResourceType | undefined => {
    const dot = name.indexOf('.')
    const base = (dot < 0 ? name : name.slice(0, dot)).toLowerCase()
    const group = dot < 0 ? undefined : name.slice(dot + 1).toLowerCase()
    return types.find((t) => (group === undefined || t.group === group) &&
      (t.plural === base || t.singular === base || t.kind.toLowerCase() === base || t.shortNames.includes(base)))
  }
  return {
    types,
    find,
    byKind: (apiVersion, kind) => types.find((t) => t.apiVersion === apiVersion && t.kind === kind),
    require (name) {
      const t = find(name)
      if (t !== undefined) return t
      throw new FlotillaError('input-invalid', `the site serves no resource type "${name}"`,
        `Use one of: ${types.map((x) => x.shortNames[0] ?? x.plural).join(', ')} (or their plural names, e.g. deployments).`)
    }
  }
}

export async function discover (client: SiteClient): Promise<ResourceCatalog> {
  const types: ResourceType[] = []
  const [core, named] = await Promise.all([
    client.request<AggregatedList>('GET', '/api', { accept: AGGREGATED }),
    client.request<AggregatedList>('GET', '/apis', { accept: AGGREGATED })
  ])
  if (core.body.kind === 'APIGroupDiscoveryList' && named.body.kind === 'APIGroupDiscoveryList') {
    fromAggregated(core.body, types)
    fromAggregated(named.body, types)
    return createCatalog(types)
  }
  // Legacy discovery: one request per group version.
  const groups = (named.body as { groups?: Array<{ name: string, preferredVersion?: { version: string } }> }).groups ?? []
  const lists = await Promise.all([
    client.get<LegacyResourceList>('/api/v1').then((l) => ({ group: '', version: 'v1', l })),
    ...groups.filter((g) => g.preferredVersion !== undefined).map(async (g) => {
      const version = (g.preferredVersion as { version: string }).version
      return { group: g.name, version, l: await client.get<LegacyResourceList>(`/apis/${g.name}/${version}`) }
    })
  ])
  for (const x of lists) fromLegacy(x.group, x.version, x.l, types)
  return createCatalog(types)
}
