/**
 * The workloads table behind `/ui/api/workloads`: every workload of the view (and this
 * site's local-only ones) as rows sorted by key, built once per view version, and the
 * query over it — search, filters, sort and one page. The browser only ever receives a
 * page, so a view of 10,000 workloads costs it no more than one of 100.
 */
import type { GlobalView } from '../../model/view.ts'
import { compareStrings } from '../../schedule/order.ts'
import type { SiteHandle } from '../../site/site-handle.ts'
import type { RowPhase, WorkloadsJson } from '../dashboard-types.ts'
import { enumParam, flagParam, intParam, textParam } from './query-params.ts'
import { rowOfLocal, type IndexedRow } from './workload-rows.ts'

export const ROW_PHASES: readonly RowPhase[] = ['Degraded', 'Unplaced', 'Progressing', 'Pending', 'Ready', 'LocalOnly']
export const WORKLOAD_SORTS = ['key', 'origin', 'attention'] as const
export type WorkloadSort = typeof WORKLOAD_SORTS[number]

export interface WorkloadIndex {
  /** Sorted by key. */
  rows: readonly IndexedRow[]
  find (key: string): IndexedRow | undefined
  facets: WorkloadsJson['facets']
  counts: {
    byOrigin: ReadonlyMap<string, number>
    byPhase: Readonly<Record<RowPhase, number>>
    attention: number
  }
}

export interface WorkloadQuery {
  /** Whitespace-separated terms; a row matches when its text contains every term. */
  q?: string
  origin?: string
  kind?: string
  phase?: RowPhase
  /** Only rows that need attention (degraded, unplaced, or not all ready). */
  attention: boolean
  sort: WorkloadSort
  offset: number
  limit: number
}

export const DEFAULT_PAGE = 50
export const MAX_PAGE = 500

export function buildWorkloadIndex (view: GlobalView, site: Pick<SiteHandle, 'siteId' | 'localWorkloads' | 'placement'>, rowOf: (w: GlobalView['workloads'][number]) => IndexedRow): WorkloadIndex {
  const replicated = view.workloads.map(rowOf)
  const localRecords = site.localWorkloads()
  let rows = replicated
  if (localRecords.length > 0) {
    const known = new Set(view.workloads.map((w) => w.key))
    const local = localRecords.filter((r) => !known.has(r.key)).map((r) => rowOfLocal(r, site.siteId, site.placement(r.key)))
    rows = mergeByKey(replicated, local.sort((a, b) => compareStrings(a.row.key, b.row.key)))
  }
  // One pass for everything the summary, the site cards, the filters and /metrics count.
  const byOrigin = new Map<string, number>()
  const kinds = new Set<string>()
  const byPhase: Record<RowPhase, number> = { Degraded: 0, Unplaced: 0, Progressing: 0, Pending: 0, Ready: 0, LocalOnly: 0 }
  let attention = 0
  for (const { row } of rows) {
    byOrigin.set(row.origin, (byOrigin.get(row.origin) ?? 0) + 1)
    kinds.add(row.kind)
    byPhase[row.phase]++
    if (row.attention) attention++
  }
  let byKey: Map<string, IndexedRow> | undefined
  return {
    rows,
    find (key) {
      byKey ??= new Map(rows.map((r) => [r.row.key, r]))
      return byKey.get(key)
    },
    facets: { origins: [...byOrigin.keys()].sort(compareStrings), kinds: [...kinds].sort(compareStrings), phases: [...ROW_PHASES] },
    counts: { byOrigin, byPhase, attention }
  }
}

/** Merges two lists sorted by key (the view's order is already by key). */
function mergeByKey (a: readonly IndexedRow[], b: readonly IndexedRow[]): IndexedRow[] {
  const out: IndexedRow[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    const x = a[i]
    const y = b[j]
    if (y === undefined || (x !== undefined && compareStrings(x.row.key, y.row.key) <= 0)) { out.push(x as IndexedRow); i++ } else { out.push(y); j++ }
  }
  return out
}

export function parseWorkloadQuery (q: URLSearchParams): WorkloadQuery {
  const text = textParam(q, 'q')
  const origin = textParam(q, 'origin', 253)
  const kind = textParam(q, 'kind', 63)
  const phase = enumParam(q, 'phase', ROW_PHASES)
  return {
    ...(text === undefined ? {} : { q: text }),
    ...(origin === undefined ? {} : { origin }),
    ...(kind === undefined ? {} : { kind }),
    ...(phase === undefined ? {} : { phase }),
    attention: flagParam(q, 'attention'),
    sort: enumParam(q, 'sort', WORKLOAD_SORTS) ?? 'key',
    offset: intParam(q, 'offset', 0, 0, 100_000_000),
    limit: intParam(q, 'limit', DEFAULT_PAGE, 1, MAX_PAGE)
  }
}

const ATTENTION_ORDER: Record<RowPhase, number> = { Degraded: 0, Unplaced: 1, Progressing: 2, Pending: 3, LocalOnly: 4, Ready: 5 }

function sorter (sort: WorkloadSort): ((a: IndexedRow, b: IndexedRow) => number) | undefined {
  switch (sort) {
    case 'key': return undefined
    case 'origin': return (a, b) => compareStrings(a.row.origin, b.row.origin) || compareStrings(a.row.key, b.row.key)
    case 'attention': return (a, b) => Number(b.row.attention) - Number(a.row.attention) ||
      ATTENTION_ORDER[a.row.phase] - ATTENTION_ORDER[b.row.phase] || compareStrings(a.row.key, b.row.key)
  }
}

export function queryWorkloads (index: WorkloadIndex, query: WorkloadQuery): WorkloadsJson {
  const terms = query.q === undefined ? [] : query.q.toLowerCase().split(/\s+/).filter((t) => t !== '')
  const filtered = terms.length === 0 && query.origin === undefined && query.kind === undefined && query.phase === undefined && !query.attention
  let matches: readonly IndexedRow[] = index.rows
  if (!filtered) {
    matches = index.rows.filter((r) =>
      (query.origin === undefined || r.row.origin === query.origin) &&
      (query.kind === undefined || r.row.kind === query.kind) &&
      (query.phase === undefined || r.row.phase === query.phase) &&
      (!query.attention || r.row.attention) &&
      terms.every((t) => r.search.includes(t)))
  }
  const compare = sorter(query.sort)
  if (compare !== undefined) matches = [...matches].sort(compare)
  return {
    total: index.rows.length,
    matched: matches.length,
    offset: query.offset,
    limit: query.limit,
    items: matches.slice(query.offset, query.offset + query.limit).map((r) => r.row),
    facets: index.facets
  }
}
