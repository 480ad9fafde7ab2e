/**
 * Pull mode, site side: the `ClusterDriver` of a cluster whose agent pulls its
 * assignments. `setDesired` stores the assignments under a revision (a hash of the set,
 * so an unchanged set never wakes the agent) and wakes waiting long polls; `observe()`
 * is the agent's last report, restricted to what is desired now (before the site's first
 * declaration: all of it, what the cluster runs). Until that declaration the agent is
 * given no assignments at all, not an empty set it would prune everything for. The
 * cluster counts as reachable while reports are fresher than `reportTimeoutMs` and the
 * agent reaches its API; when reports stop, the last contact stays where it was, so the
 * site's failure threshold runs from the last moment anyone saw the cluster answer.
 */
import { createHash } from 'node:crypto'
import type { Clock, Timer } from '../ports/clock.ts'
import type { ClusterDriver, ClusterObservation, DesiredObject, NodeState, ObjectState } from '../ports/cluster-driver.ts'
import type { Logger } from '../ports/logger.ts'
import { desiredReplicas, type KubeObject, type WorkloadKey } from '../model/kube.ts'
import type { AgentReport } from './agent-protocol.ts'
import { canonicalJson } from '../k8s/json.ts'

export interface PullDriverOptions {
  name: string
  clock: Clock
  logger: Logger
  /** A report older than this makes the cluster unreachable. Default 15,000 ms (three agent heartbeats). */
  reportTimeoutMs?: number
}

export interface AssignmentWait {
  promise: Promise<void>
  cancel (): void
}

export interface PullDriver extends ClusterDriver {
  /** The current assignments and their revision; `declared` is false until the site's first `setDesired`. */
  assignments (): { revision: string, objects: readonly DesiredObject[], declared: boolean }
  /** Resolves once the site declared and the revision differs from `after`, or after `ms` on the driver's clock. */
  waitForAssignments (after: string, ms: number): AssignmentWait
  /** Takes an authenticated, validated report from this cluster's agent. */
  acceptReport (report: AgentReport): void
}

const EMPTY_REVISION = 'empty'

export function createPullDriver (options: PullDriverOptions): PullDriver {
  const { name, clock } = options
  const logger = options.logger.child({ component: 'pull-driver', cluster: name })
  const reportTimeoutMs = options.reportTimeoutMs ?? 15_000
  if (!Number.isFinite(reportTimeoutMs) || reportTimeoutMs <= 0) throw new Error(`'reportTimeoutMs' must be a positive number: received ${reportTimeoutMs}`)

  let objects: readonly DesiredObject[] = []
  let revision = EMPTY_REVISION
  /** Whether the site declared a desired set yet: until it has, the agent is told to wait, not to prune. */
  let declared = false
  const objectHashes = new WeakMap<KubeObject, string>()
  const waiters = new Set<() => void>()
  const listeners = new Set<() => void>()
  let running = false

  let report: AgentReport | undefined
  let reportContent = ''
  let reportedAtMs: number | undefined
  let lastContactMs: number | undefined
  let contactId: number | undefined
  let staleTimer: Timer | undefined
  let cached: ClusterObservation | undefined

  function notify (): void {
    cached = undefined
    if (!running) return
    queueMicrotask(() => { for (const l of [...listeners]) l() })
  }

  function objectHash (o: KubeObject): string {
    let h = objectHashes.get(o)
    if (h === undefined) {
      h = createHash('sha256').update(canonicalJson(o)).digest('hex')
      objectHashes.set(o, h)
    }
    return h
  }

  function revisionOf (set: readonly DesiredObject[]): string {
    if (set.length === 0) return EMPTY_REVISION
    const hash = createHash('sha256')
    for (const o of [...set].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) hash.update(`${o.key}\n${o.generation}\n${objectHash(o.object)}\n`)
    return hash.digest('hex').slice(0, 32)
  }

  function fresh (now: number): boolean {
    return reportedAtMs !== undefined && now - reportedAtMs <= reportTimeoutMs
  }

  function pending (o: DesiredObject): ObjectState {
    return { key: o.key, desired: o.object.kind === 'DaemonSet' ? 0 : desiredReplicas(o.object), ready: 0, available: 0, conditions: [], observedGeneration: 0 }
  }

  function build (now: number): ClusterObservation {
    const reported = new Map<WorkloadKey, ObjectState>()
    for (const s of report?.objects ?? []) reported.set(s.key, s)
    // Before the site's first declaration, what the agent reports is what the cluster runs.
    const states = declared ? new Map<WorkloadKey, ObjectState>() : reported
    for (const o of objects) states.set(o.key, reported.get(o.key) ?? pending(o))
    const nodes: NodeState[] = report?.nodes ?? []
    const isFresh = fresh(now)
    const listed = report !== undefined && report.listed !== false
    const obs: ClusterObservation = { reachable: isFresh && report?.reachable === true, lastContactMs, nodes, objects: states, listed }
    if (report === undefined) obs.lastError = `the agent of cluster ${name} has not reported yet`
    else if (!isFresh) obs.lastError = `the agent of cluster ${name} has not reported for more than ${Math.round(reportTimeoutMs / 1000)} s`
    else if (!report.reachable) obs.lastError = report.lastError ?? 'the agent cannot reach its cluster API'
    return obs
  }

  return {
    name,
    async start () { running = true },
    async stop () {
      running = false
      staleTimer?.cancel()
      for (const wake of [...waiters]) wake()
    },
    setDesired (next) {
      const nextRevision = revisionOf(next)
      objects = [...next]
      cached = undefined
      const first = !declared
      declared = true
      if (first || nextRevision !== revision) {
        revision = nextRevision
        for (const wake of [...waiters]) wake()
      }
      notify()
    },
    observe () {
      const now = clock.monotonicMs()
      // Staleness depends on time alone, so a cached observation is only good while fresh.
      if (cached === undefined || cached.reachable !== (fresh(now) && report?.reachable === true)) cached = build(now)
      return cached
    },
    onChange (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    assignments: () => ({ revision, objects, declared }),
    waitForAssignments (after, ms) {
      let done = false
      let wake: () => void = () => {}
      let timer: Timer | undefined
      const promise = new Promise<void>((resolve) => {
        wake = () => {
          if (done) return
          done = true
          waiters.delete(wake)
          timer?.cancel()
          resolve()
        }
      })
      if ((declared && after !== revision) || !running) wake()
      else {
        waiters.add(wake)
        timer = clock.setTimer(ms, wake)
      }
      return { promise, cancel: wake }
    },
    acceptReport (r) {
      const now = clock.monotonicMs()
      const wasFresh = fresh(now)
      if (r.contact !== undefined && r.contact.id !== contactId) {
        contactId = r.contact.id
        lastContactMs = now - r.contact.ageMs
      }
      reportedAtMs = now
      const content = JSON.stringify([r.reachable, r.reachable ? '' : r.lastError, r.nodes, r.objects])
      const changed = content !== reportContent || !wasFresh
      report = r
      reportContent = content
      staleTimer?.cancel()
      staleTimer = clock.setTimer(reportTimeoutMs + 1, () => {
        staleTimer = undefined
        logger.warn({ timeoutMs: reportTimeoutMs }, 'the cluster agent stopped reporting')
        notify()
      })
      if (changed) notify()
      else cached = undefined
    }
  }
}
