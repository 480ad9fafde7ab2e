/**
 * What would betray a local-only record if it appeared outside its site: its workload
 * key, its uid, `namespace/name`, its bare name, and its distinctive content strings
 * (string values of the manifest long enough to be specific). The first three are
 * *strong*: nothing else carries them, and the runtime guard refuses a change that
 * holds one. A bare name or a content string may legitimately occur elsewhere (a
 * global workload of the same name, a shared image), so they are *weak*: the compliance
 * scan reports them for an officer to judge. Metadata the API server sets (timestamps,
 * resource versions, managed fields) is not content: every object created in the same
 * second shares its `creationTimestamp`, and counting it sent clean sites to review.
 */
import type { WorkloadRecord } from '../model/federation.ts'
import type { WorkloadKey } from '../model/kube.ts'

export type NeedleKind = 'key' | 'uid' | 'qualified-name' | 'name' | 'content'

export interface Needle {
  text: string
  kind: NeedleKind
  /** The local-only record it comes from. */
  record: WorkloadKey
}

export const STRONG_NEEDLES: ReadonlySet<NeedleKind> = new Set(['key', 'uid', 'qualified-name'])

export interface NeedleOptions {
  /** Shortest manifest string counted as distinctive content (default 16). */
  minContentLength?: number
  /** Extra strings to look for, per record key (e.g. what an officer knows to be sensitive). */
  extra?: Record<WorkloadKey, string[]>
}

/** The needles of every record, deduplicated, in a stable order. */
export function localOnlyNeedles (records: readonly WorkloadRecord[], opts: NeedleOptions = {}): Needle[] {
  const minContent = opts.minContentLength ?? 16
  const out: Needle[] = []
  const seen = new Set<string>()
  const add = (text: string, kind: NeedleKind, record: WorkloadKey): void => {
    if (text === '' || seen.has(`${kind}\0${text}`)) return
    seen.add(`${kind}\0${text}`)
    out.push({ text, kind, record })
  }
  for (const rec of [...records].sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) {
    const meta = rec.manifest.metadata
    add(rec.key, 'key', rec.key)
    if (typeof meta.uid === 'string') add(meta.uid, 'uid', rec.key)
    if (meta.namespace !== undefined) add(`${meta.namespace}/${meta.name}`, 'qualified-name', rec.key)
    add(meta.name, 'name', rec.key)
    for (const s of stringLeaves(userContent(rec.manifest))) if (s.length >= minContent) add(s, 'content', rec.key)
    for (const s of opts.extra?.[rec.key] ?? []) add(s, 'content', rec.key)
  }
  return out
}

/** Metadata fields the API server writes, not the user; `uid` is a needle of its own. */
const SERVER_SET_METADATA = ['creationTimestamp', 'deletionTimestamp', 'resourceVersion', 'managedFields', 'selfLink', 'uid', 'generation']

function userContent (manifest: WorkloadRecord['manifest']): unknown {
  const metadata: Record<string, unknown> = { ...manifest.metadata }
  for (const f of SERVER_SET_METADATA) delete metadata[f]
  return { ...manifest, metadata }
}

function stringLeaves (value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value)
  else if (Array.isArray(value)) for (const v of value) stringLeaves(v, out)
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) stringLeaves(v, out)
  return out
}
