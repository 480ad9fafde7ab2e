/**
 * Status conditions as controllers maintain them: setting a condition keeps its
 * `lastTransitionTime` while its status stays the same, so repeated reconciles do not
 * churn objects, and reading one by type is a single helper.
 */
import { isPlainObject, type JsonObject } from '../../../src/k8s/json.ts'

export interface ConditionInput {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
}

export type TimeFields = 'lastTransitionTime' | 'lastUpdateTime' | 'lastProbeTime' | 'lastHeartbeatTime'

/**
 * Returns `conditions` with `c` set. `times` names the time fields the kind uses (pods
 * use lastProbeTime/lastTransitionTime, deployments lastUpdateTime/lastTransitionTime).
 * `lastUpdateTime` moves whenever reason or message change.
 */
export function setCondition (conditions: unknown, c: ConditionInput, now: string, times: readonly TimeFields[] = ['lastTransitionTime']): JsonObject[] {
  const list = Array.isArray(conditions) ? conditions.filter(isPlainObject) : []
  const i = list.findIndex((x) => x['type'] === c.type)
  const old = i >= 0 ? list[i] as JsonObject : undefined
  const same = old !== undefined && old['status'] === c.status
  const unchangedText = same && (old['reason'] ?? undefined) === c.reason && (old['message'] ?? undefined) === c.message
  if (unchangedText) return Array.isArray(conditions) && conditions.length === list.length ? conditions as JsonObject[] : list
  const next: JsonObject = { type: c.type, status: c.status }
  for (const t of times) {
    if (t === 'lastProbeTime') next[t] = null
    else if (t === 'lastTransitionTime') next[t] = same ? (old[t] ?? now) : now
    else next[t] = now
  }
  if (c.reason !== undefined) next['reason'] = c.reason
  if (c.message !== undefined) next['message'] = c.message
  const out = [...list]
  if (i >= 0) out[i] = next
  else out.push(next)
  return out
}

export function conditionOf (status: unknown, type: string): JsonObject | undefined {
  const list = isPlainObject(status) ? status['conditions'] : undefined
  if (!Array.isArray(list)) return undefined
  return list.find((x): x is JsonObject => isPlainObject(x) && x['type'] === type)
}

export function conditionTrue (status: unknown, type: string): boolean {
  return conditionOf(status, type)?.['status'] === 'True'
}
