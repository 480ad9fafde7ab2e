/**
 * The pull-mode wire protocol between an agent and its site, over HTTP(S) with signed
 * requests (agent-auth.ts):
 *
 * - `GET  <prefix>/clusters/<cluster>/assignments?after=<revision>&waitMs=<ms>` answers
 *   the cluster's desired objects and their revision; with `after`, the site holds the
 *   request until the revision differs or `waitMs` passes (long poll). A site that has
 *   not yet decided what the cluster runs (it is starting and waits for the agent's
 *   first report) answers 503 `assignments-pending`: the agent keeps what it applies.
 * - `POST <prefix>/clusters/<cluster>/status` carries the agent's observation of its
 *   cluster. Times on the agent's clock mean nothing to the site, so the last contact
 *   travels as an age plus an opaque id (the agent's own reading), which lets the site
 *   keep it frozen while the agent reports the same contact again.
 *
 * Reports are validated with zod before use: an agent's key is trusted for its cluster
 * only, never for well-formedness.
 */
import { z } from 'zod'
import type { DesiredObject, NodeState, ObjectState } from '../ports/cluster-driver.ts'

export const AGENT_PATH_PREFIX = '/agent/v1'

export interface AssignmentsResponse {
  cluster: string
  revision: string
  objects: DesiredObject[]
}

export interface AgentReport {
  /** Revision of the assignments the agent is applying. */
  revision?: string
  reachable: boolean
  lastError?: string
  /** The agent's last successful contact with its cluster: its own reading (id) and its age when sent. */
  contact?: { id: number, ageMs: number }
  nodes: NodeState[]
  objects: ObjectState[]
  /** Whether the agent's driver has listed its cluster since it started (absent: it has). */
  listed?: boolean
}

export interface ReportResponse {
  /** The site's current assignments revision, so an agent notices it is behind. */
  revision: string
}

export function assignmentsPath (cluster: string, prefix = AGENT_PATH_PREFIX): string {
  return `${prefix}/clusters/${encodeURIComponent(cluster)}/assignments`
}

export function statusPath (cluster: string, prefix = AGENT_PATH_PREFIX): string {
  return `${prefix}/clusters/${encodeURIComponent(cluster)}/status`
}

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)
const amount = z.number().nonnegative().max(Number.MAX_SAFE_INTEGER)
const resources = z.strictObject({ cpuMilli: amount, memoryBytes: amount, pods: amount, gpu: amount, vgpuCores: amount, vgpuMemoryMiB: amount })
const condition = z.strictObject({
  type: z.string().min(1).max(316),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().max(1024).optional(),
  message: z.string().max(32_768).optional(),
  lastTransitionTime: z.string().max(64).optional()
})

export const agentReportSchema = z.strictObject({
  revision: z.string().max(128).optional(),
  reachable: z.boolean(),
  lastError: z.string().max(8192).optional(),
  contact: z.strictObject({ id: z.number().finite(), ageMs: amount }).optional(),
  // `capacity` is optional: agents of earlier releases do not send it.
  nodes: z.array(z.strictObject({ name: z.string().min(1).max(253), ready: z.boolean(), capacity: resources.optional(), allocatable: resources, allocated: resources })).max(20_000),
  objects: z.array(z.strictObject({
    key: z.string().min(1).max(1024),
    desired: count,
    ready: count,
    available: count,
    conditions: z.array(condition).max(64),
    observedGeneration: count,
    error: z.strictObject({ code: z.string().max(128), message: z.string().max(32_768) }).optional()
  })).max(200_000),
  listed: z.boolean().optional()
})

const desiredObject = z.object({
  key: z.string().min(1).max(1024),
  generation: count,
  object: z.looseObject({
    apiVersion: z.string().min(1),
    kind: z.string().min(1),
    metadata: z.looseObject({ name: z.string().min(1), namespace: z.string().optional() })
  })
})

export const assignmentsSchema = z.object({
  cluster: z.string().min(1),
  revision: z.string().min(1).max(128),
  objects: z.array(desiredObject)
})
