/**
 * How each record of the data model is stored as a document entry: the field codecs,
 * and the decoders that turn a stored entry (plus the key it sits under) back into the
 * model's record, checking its shape. Entries leave out what the key already says (a
 * workload's key, a binding's workload, a stub's id) so the two can never disagree.
 */
import type {
  Binding, ClusterRecord, EvidenceRecord, FederationEvent, InspectionResult, PolicyRecord, RedactedStub,
  ShareStatus, SiteInfo, WorkloadRecord
} from '../../model/federation.ts'
import type { PolicyKind } from '../../model/policy.ts'
import { bool, count, decodeRecord, json, num, oneOf, optional, str, type RecordCodec } from './fields.ts'
import {
  checkConditions, checkKubeObject, checkNodeFreeList, checkPlacement, checkResidency, checkResources, checkStringList,
  checkStringMap, checkTaints, expectCount, expectNumber, expectObject, expectOneOf, expectString, malformed, optionalString
} from './validate.ts'

const INSPECTION_KINDS = ['dns', 'certificate', 'image-pull', 'deploy-chain', 'api'] as const
const EVIDENCE_KINDS = ['bad-signature', 'unauthorized-writer', 'actor-mismatch', 'malformed', 'oversized',
  'equivocation', 'flood', 'replay', 'quarantine-full', 'false-claim'] as const
const EVENT_KINDS = ['site-suspected', 'site-failed', 'site-recovered', 'cluster-not-ready', 'cluster-ready',
  'migration', 'failback', 'degraded', 'partition', 'evidence', 'info'] as const
const POLICY_KINDS: readonly PolicyKind[] = ['PropagationPolicy', 'ClusterPropagationPolicy', 'OverridePolicy']

export const siteInfoCodec: RecordCodec<SiteInfo> = {
  id: str,
  region: str,
  zone: str,
  publicKey: str,
  peerId: str,
  endpoints: json((v, path) => {
    const o = expectObject(v, path)
    checkStringList(o['p2p'], `${path}.p2p`)
    optionalString(o['api'], `${path}.api`)
    optionalString(o['dashboard'], `${path}.dashboard`)
    return o as SiteInfo['endpoints']
  })
}

export const clusterCodec: RecordCodec<ClusterRecord> = {
  id: str,
  site: str,
  name: str,
  mode: oneOf(['push', 'pull']),
  provider: str,
  region: str,
  zone: str,
  labels: json(checkStringMap),
  taints: json(checkTaints),
  health: oneOf(['Ready', 'NotReady', 'Unknown']),
  conditions: json(checkConditions),
  healthSince: num,
  capacity: json(checkResources),
  allocatable: json(checkResources),
  allocated: json(checkResources),
  nodeFree: json(checkNodeFreeList),
  nodes: json((v, path) => {
    const o = expectObject(v, path)
    expectCount(o['total'], `${path}.total`)
    expectCount(o['ready'], `${path}.ready`)
    return o as ClusterRecord['nodes']
  })
}

export type WorkloadEntry = Omit<WorkloadRecord, 'key'>
export const workloadCodec: RecordCodec<WorkloadEntry> = {
  manifest: json(checkKubeObject),
  origin: str,
  residency: json(checkResidency),
  stateless: bool,
  generation: count,
  updatedAt: num
}

export type StubEntry = Omit<RedactedStub, 'id'>
export const stubCodec: RecordCodec<StubEntry> = {
  kind: str,
  origin: str,
  replicas: count,
  perReplica: json(checkResources),
  cluster: optional(str)
}

export type PolicyEntry = Omit<PolicyRecord, 'key'>
export const policyCodec: RecordCodec<PolicyEntry> = {
  kind: oneOf(POLICY_KINDS),
  origin: str,
  object: json(checkKubeObject),
  generation: count,
  updatedAt: num
}

export type BindingEntry = Omit<Binding, 'workload'>
export const bindingCodec: RecordCodec<BindingEntry> = {
  placement: json(checkPlacement),
  decidedBy: str,
  generation: count,
  inputHeads: str,
  policy: optional(str),
  reason: str,
  degraded: optional(str),
  avoided: optional(json(checkStringList)),
  decidedAt: num
}

export type ShareEntry = Omit<ShareStatus, 'workload'>
export const shareCodec: RecordCodec<ShareEntry> = {
  cluster: str,
  desired: count,
  ready: count,
  available: count,
  conditions: json(checkConditions),
  error: optional(json((v, path) => {
    const o = expectObject(v, path)
    expectString(o['code'], `${path}.code`)
    expectString(o['message'], `${path}.message`)
    return o as { code: string, message: string }
  })),
  observedGeneration: count,
  basis: optional(str)
}

export type EvidenceEntry = Omit<EvidenceRecord, 'id'>
export const evidenceCodec: RecordCodec<EvidenceEntry> = {
  kind: oneOf(EVIDENCE_KINDS),
  offender: str,
  observedBy: str,
  at: num,
  detail: str,
  proof: optional(json(checkStringList)),
  count: count
}

/** One stored inspection result; kind and target are the entry's. */
export interface InspectionSlot { seq: number, verdict: InspectionResult['verdict'], latencyMs: number, at: number, message?: string }

export function checkInspectionSlot (v: unknown, path: string): InspectionSlot {
  const o = expectObject(v, path)
  expectCount(o['seq'], `${path}.seq`)
  expectOneOf(o['verdict'], ['pass', 'warn', 'fail'] as const, `${path}.verdict`)
  expectNumber(o['latencyMs'], `${path}.latencyMs`)
  expectNumber(o['at'], `${path}.at`)
  optionalString(o['message'], `${path}.message`)
  return o as unknown as InspectionSlot
}

export const inspectionHeadCodec: RecordCodec<{ kind: InspectionResult['kind'], target: string, next: number }> = {
  kind: oneOf(INSPECTION_KINDS),
  target: str,
  next: count
}

/** One stored event; id and site follow from the document and the sequence number. */
export type EventSlot = Omit<FederationEvent, 'id' | 'site' | 'seq'> & { seq: number }

export function checkEventSlot (v: unknown, path: string): EventSlot {
  const o = expectObject(v, path)
  expectCount(o['seq'], `${path}.seq`)
  expectOneOf(o['kind'], EVENT_KINDS, `${path}.kind`)
  expectNumber(o['at'], `${path}.at`)
  expectString(o['subject'], `${path}.subject`)
  expectString(o['cause'], `${path}.cause`)
  if (o['moved'] !== undefined) {
    const moved = o['moved']
    if (!Array.isArray(moved)) throw malformed(`${path}.moved`, 'a list', moved)
    moved.forEach((m, i) => {
      const mo = expectObject(m, `${path}.moved[${i}]`)
      expectString(mo['workload'], `${path}.moved[${i}].workload`)
      checkStringList(mo['from'], `${path}.moved[${i}].from`)
      checkStringList(mo['to'], `${path}.moved[${i}].to`)
    })
  }
  return o as unknown as EventSlot
}

export function decodeWorkload (key: string, entry: unknown, path: string): WorkloadRecord {
  return { key, ...decodeRecord(workloadCodec, entry, path) }
}

export function decodeStub (id: string, entry: unknown, path: string): RedactedStub {
  return { id, ...decodeRecord(stubCodec, entry, path) }
}

export function decodePolicy (key: string, entry: unknown, path: string): PolicyRecord {
  return { key, ...decodeRecord(policyCodec, entry, path) }
}

export function decodeBinding (workload: string, entry: unknown, path: string): Binding {
  return { workload, ...decodeRecord(bindingCodec, entry, path) }
}

/** Share entries sit under `<workload key>|<cluster id>`. */
export function shareKey (workload: string, cluster: string): string {
  return `${workload}|${cluster}`
}

export function decodeShare (key: string, entry: unknown, path: string): ShareStatus {
  const bar = key.lastIndexOf('|')
  if (bar <= 0) throw malformed(path, 'keyed by "<workload>|<cluster>"', key)
  const share: ShareStatus = { workload: key.slice(0, bar), ...decodeRecord(shareCodec, entry, path) }
  if (share.cluster !== key.slice(bar + 1)) throw malformed(`${path}.cluster`, `the cluster named in its key (${key.slice(bar + 1)})`, share.cluster)
  return share
}

export function decodeEvidence (id: string, entry: unknown, path: string): EvidenceRecord {
  return { id, ...decodeRecord(evidenceCodec, entry, path) }
}
