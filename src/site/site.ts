/**
 * One site: the signed store, the local-only store, replication, the failure detector
 * and the controllers, bound to the ports it is given. The same code runs in a site
 * process (libp2p, LevelDB, the system clock, Kubernetes clients) and in the simulator
 * (virtual everything). Controllers run in ticks: each tick reads the global view once,
 * decides, writes everything it decided into this site's document as one change, and
 * hands each member cluster its desired objects. A tick runs soon after anything
 * relevant changes (a peer's document, a cluster, a peer's liveness, a user's write), and
 * otherwise only when a deadline the last tick named is due (checked every `tickMs`) or
 * `idleTickMs` passed: an idle site costs next to nothing.
 */
import * as A from '@automerge/automerge'
import type { FlotillaError } from '../model/errors.ts'
import type { EvidenceRecord, FederationEvent, RosterMember, SiteInfo, WorkloadRecord } from '../model/federation.ts'
import type { GlobalView } from '../model/view.ts'
import type { Clock } from '../ports/clock.ts'
import type { ClusterDriver } from '../ports/cluster-driver.ts'
import type { Logger } from '../ports/logger.ts'
import type { Network, PeerId } from '../ports/network.ts'
import type { Rng } from '../ports/rng.ts'
import type { Storage } from '../ports/storage.ts'
import { createSigner, createVerifier, type KeyPair, type Verify } from '../identity/keys.ts'
import { peerIdFromPublicKey } from '../identity/peer-id.ts'
import { openDocumentStore, type DocumentStore } from '../store/document-store.ts'
import { rosterWritePolicy } from '../store/roster-write-policy.ts'
import {
  appendEvent, getSiteInfo, initSiteDoc, listEvents, listEvidence, listShares, recordEvidence, siteDocId,
  FEDERATION_DOC_ID, SITE_SCHEMA_VERSION, type SiteDoc, type NewEvent
} from '../store/docs/index.ts'
import { createLocalStore, type LocalStore } from '../store/local/local-store.ts'
import { redactedStub, stubSecretFromSeed } from '../store/local/redacted-stub.ts'
import { createViewCache } from '../view/index.ts'
import { assertNoLocalOnlyContent } from '../compliance/scan.ts'
import { createReplicator, digestOfHeads, type Replicator } from '../replication/replicator.ts'
import type { Misbehaviour } from '../replication/peer-guard.ts'
import { createLivenessMonitor, type LivenessMonitor } from '../liveness/liveness-monitor.ts'
import { defaultRecoverMs, type Transition } from '../liveness/failure-detector.ts'
import { evidenceFromMisbehaviour } from '../controllers/evidence.ts'
import type { ClusterSettings } from '../controllers/cluster-status.ts'
import { createControllers, type Controllers } from './controllers.ts'
import { createEvidenceBatch } from './evidence-batch.ts'
import { createObjectWrites } from './object-writes.ts'
import { createProvenOffenders } from './proven-offenders.ts'
import { createTickScheduler, type TickResult } from './tick-scheduler.ts'
import { nextBoot } from './boot-counter.ts'
import { rosterPeers, siteStatus, type TickFailure } from './site-status.ts'
import type { EffectivePlacement, LocalWorkloadRecord, SiteHandle, SiteMetrics, SiteStatus } from './site-handle.ts'

export interface SiteLimits {
  maxFrameBytes: number
  maxChangeBytes: number
  maxChangeOps: number
  changesPerSecond: number
  maxPendingChanges: number
  maxConcurrentStreams: number
}

export interface FailoverSettings {
  heartbeatMs: number
  suspectMs: number
  failMs: number
  evictionTimeoutMs: number
  failback: 'never' | 'after-stabilization'
  stabilizationMs: number
  /**
   * How long this site waits for an alive origin to bind a workload generation before
   * acting for it itself (default `failMs`): see `originGrace`.
   */
  originGraceMs?: number
  /**
   * How long a failed site's heartbeats must keep coming, with no gap of `suspectMs`,
   * before it is available again (default `defaultRecoverMs`: two heartbeats, at least 1 s).
   */
  recoverMs?: number
  /**
   * Heartbeats whose wall time differs from this site's clock by more than this are
   * refused (default 5 min): see `DetectorConfig.maxClockSkewMs`.
   */
  maxClockSkewMs?: number
}

/** The default of `FailoverSettings.maxClockSkewMs` (and of the config's `failover.maxClockSkewMs`). */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000

export interface SiteOptions {
  siteId: string
  region: string
  zone: string
  keys: KeyPair
  roster: readonly RosterMember[]
  limits: SiteLimits
  failover: FailoverSettings
  clusters: ReadonlyArray<{ settings: ClusterSettings, driver: ClusterDriver }>
  clock: Clock
  rng: Rng
  storage: Storage
  network: Network
  logger: Logger
  /** Signature verification (default: `createVerifier()`); the simulator shares one memoised verifier between its sites. */
  verify?: Verify
  endpoints?: SiteInfo['endpoints']
  /** Controller tick period (default 1,000 ms): how often a due deadline is noticed. */
  tickMs?: number
  /**
   * Longest time without a tick (default 10,000 ms). Ticks otherwise run only when
   * something changed or a deadline the last tick named is due; this bounds the cost of a
   * deadline the controllers failed to name.
   */
  idleTickMs?: number
  /**
   * Shortest time from one tick's start to the next one asked for by a change (default
   * 250 ms). Changes arriving meanwhile — a peer's document, a cluster's status, a
   * liveness transition — are decided on together: while a site bootstraps, or a burst
   * of statuses comes in, one tick (and one change every peer applies) covers them all.
   */
  minTickGapMs?: number
  /**
   * Shortest time from one tick's start to the next one asked for only by peers'
   * documents (default `tickMs`, at least `minTickGapMs`). In a federation of many sites
   * some peer's change arrives nearly always; each such tick reads every changed document
   * and most find nothing to decide, so they are gathered over this longer window. Local
   * inputs (a cluster, a liveness transition, a user's write, new evidence) still get a
   * tick after `minTickGapMs`.
   */
  remoteTickGapMs?: number
  /**
   * How long repeats of a fault already on record are held before their raised count is
   * written (default 6 × `idleTickMs`); held repeats also go along with any change the
   * site writes anyway (see evidence-batch.ts). The first fault of a kind by a peer is
   * written with the next tick whatever this is.
   */
  evidenceHoldMs?: number
  /** Least changes between two snapshots of a document (default `DEFAULT_SNAPSHOT_EVERY` of the store, 2,000). */
  snapshotEvery?: number
  /** Replication anti-entropy period (default 5,000 ms). */
  antiEntropyMs?: number
}

export interface Site extends SiteHandle {
  /** Lets the API server running beside the site report its requests in `metrics()`. */
  attachApiMetrics (source: () => NonNullable<SiteMetrics['api']>): void
  readonly peerId: PeerId
  readonly store: DocumentStore
  readonly replicator: Replicator
  readonly liveness: LivenessMonitor
  start (): Promise<void>
  stop (): Promise<void>
  /** Runs one controller tick now (tests and the simulator). */
  tick (): Promise<void>
}


export async function createSite (options: SiteOptions): Promise<Site> {
  const { siteId, clock, rng, storage, network, logger } = options
  const signer = createSigner(options.keys)
  const verify = options.verify ?? createVerifier()
  const peerId = peerIdFromPublicKey(options.keys.publicKey)
  const ownDoc = siteDocId(siteId)
  const roster = [...options.roster]
  const peersOfRoster = rosterPeers(roster)
  const sitesByPeer = new Map<string, string>(peersOfRoster.map((m) => [m.peerId, m.siteId]))
  const tickMs = options.tickMs ?? 1000
  const idleTickMs = Math.max(tickMs, options.idleTickMs ?? 10_000)
  const minTickGapMs = Math.max(0, options.minTickGapMs ?? 250)
  const remoteTickGapMs = Math.max(minTickGapMs, options.remoteTickGapMs ?? tickMs)
  const startedAt = clock.wallMs()

  let localRecords: WorkloadRecord[] = []
  const store = await openDocumentStore({
    storage, clock, rng, signer, verify, logger: logger.child({ component: 'store' }),
    writePolicy: rosterWritePolicy(() => roster),
    guardChange: (_docId, change) => { if (localRecords.length > 0) assertNoLocalOnlyContent(change, localRecords) },
    limits: { maxChangeBytes: options.limits.maxChangeBytes, maxChangeOps: options.limits.maxChangeOps, maxPendingChanges: options.limits.maxPendingChanges },
    ...(options.snapshotEvery === undefined ? {} : { snapshotEvery: options.snapshotEvery })
  })
  const localStore: LocalStore = createLocalStore({ storage })
  const stubSecret = stubSecretFromSeed(options.keys.seed)
  const boot = await nextBoot(storage)

  const knownDocs = (): Set<string> => new Set([FEDERATION_DOC_ID, ...roster.map((m) => siteDocId(m.siteId))])
  const known = knownDocs()
  const replicator = createReplicator({
    store, network, clock, rng, logger: logger.child({ component: 'replication' }),
    isKnownDocument: (d) => known.has(d),
    peerCount: () => roster.length - 1,
    limits: { maxFrameBytes: options.limits.maxFrameBytes, changesPerSecond: options.limits.changesPerSecond, maxConcurrentStreams: options.limits.maxConcurrentStreams },
    ...(options.antiEntropyMs === undefined ? {} : { antiEntropyMs: options.antiEntropyMs })
  })
  const liveness = createLivenessMonitor({
    siteId, signer, verify, clock, replicator, boot,
    roster: () => roster,
    config: {
      heartbeatMs: options.failover.heartbeatMs,
      suspectMs: options.failover.suspectMs,
      failMs: options.failover.failMs,
      recoverMs: options.failover.recoverMs ?? defaultRecoverMs(options.failover.heartbeatMs),
      maxClockSkewMs: options.failover.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS
    },
    headsDigest: () => digestOfHeads(store.heads(ownDoc)),
    logger: logger.child({ component: 'liveness' })
  })

  const viewCache = createViewCache()
  let view: GlobalView = viewCache.refresh(documents())
  let version = 1
  const viewListeners = new Set<(v: number) => void>()
  /** Repeats of a recorded fault are written together, once per hold at most. */
  const pendingEvidence = createEvidenceBatch(options.evidenceHoldMs ?? 6 * idleTickMs)
  const pendingEvents: NewEvent[] = []
  const heldDoc = store.document<SiteDoc>(ownDoc)
  const provenOffenders = createProvenOffenders(siteId, heldDoc === undefined ? [] : listEvidence(heldDoc))
  const controllers: Controllers = createControllers({
    siteId, clock, logger: logger.child({ component: 'controllers' }),
    clusters: options.clusters,
    failover: options.failover,
    unavailableSites: () => liveness.unavailable(),
    aliveSites: () => new Set([...liveness.records()].filter(([, r]) => r?.status === 'alive').map(([id]) => id)),
    provenOffenders: provenOffenders.sites,
    settled: () => [...liveness.records().values()].every((r) => r !== undefined && r.status !== 'unknown'),
    localWorkloads: () => localRecords,
    stubFor: (rec, cluster) => redactedStub(rec, stubSecret, cluster === undefined ? {} : { cluster }),
    sharesInDocument: () => {
      const doc = store.document<SiteDoc>(ownDoc)
      return doc === undefined ? [] : listShares(doc)
    }
  })
  /** The view as the last tick left it (its own writes included). */
  let tickedOn: GlobalView | undefined
  /** Set while controller ticks fail in a row, for `status`; the next tick that completes clears it. */
  let tickFailure: TickFailure | undefined
  let running = false
  const unsubscribers: Array<() => void> = []
  let apiMetrics: (() => NonNullable<SiteMetrics['api']>) | undefined

  /** Documents with something materialised (a log whose changes all wait on dependencies has none yet). */
  function documents (): Array<{ id: string, doc: A.Doc<unknown> }> {
    const out: Array<{ id: string, doc: A.Doc<unknown> }> = []
    for (const id of store.documentIds()) {
      const doc = store.document(id)
      if (doc !== undefined) out.push({ id, doc })
    }
    return out
  }

  function refreshView (): GlobalView {
    const next = viewCache.refresh(documents())
    if (next !== view) {
      view = next
      announceVersion()
    }
    return view
  }

  function announceVersion (): void {
    version++
    for (const l of viewListeners) {
      try { l(version) } catch (e) { logger.error({ err: (e as Error).message }, 'view listener failed') }
    }
  }

  /**
   * Where this site's local-only workloads run and how ready they are is not in the view
   * (nothing names them there), so a change of it is announced as a new version by itself.
   */
  let localStateSig = ''
  function announceLocalState (): void {
    if (localRecords.length === 0 && localStateSig === '') return
    const sig = JSON.stringify(localRecords.map((r) => [r.key, controllers.placement(r.key), controllers.localShares(r.key)]))
    if (sig === localStateSig) return
    localStateSig = sig
    announceVersion()
  }

  function siteOfPeer (peer: string): string {
    return sitesByPeer.get(peer) ?? peer
  }

  function siteInfo (): SiteInfo {
    return { id: siteId, region: options.region, zone: options.zone, publicKey: signer.publicKeyHex, peerId, endpoints: options.endpoints ?? { p2p: [] } }
  }

  async function ensureSiteDoc (): Promise<void> {
    const doc = store.document<SiteDoc>(ownDoc)
    const current = doc === undefined ? undefined : getSiteInfo(doc)
    // An older layout is rewritten by initSiteDoc even when the info is unchanged.
    if (current !== undefined && doc?.schema === SITE_SCHEMA_VERSION && JSON.stringify(current) === JSON.stringify(siteInfo())) return
    await store.change<SiteDoc>(ownDoc, (d) => { initSiteDoc(d, siteInfo()) }, 'site info')
  }

  /** One controller tick: decide, then commit what was decided as one change (see tick-scheduler.ts on when). */
  async function runControllers (remoteOnly: boolean, startedAt: number): Promise<TickResult> {
    const input = refreshView()
    // Only peers' documents changed, and nothing of them a decision reads (their
    // evidence, events or heads): the last tick's decisions stand. Time is no input
    // here — every deadline a decision waits on is a `wakeAt`, which asks itself.
    if (remoteOnly && tickedOn !== undefined && !pendingEvidence.hasNew() && pendingEvents.length === 0 && sameDecisionInputs(tickedOn, input)) return 'skipped'
    const outcome = controllers.tick(input)
    const writing = outcome.writes.length > 0 || outcome.events.length > 0 || pendingEvents.length > 0 || pendingEvidence.hasNew()
    const due = pendingEvidence.take(startedAt, writing)
    const evidence = due.map(({ m, count }) => ({ ...evidenceFromMisbehaviour(m, siteId, siteOfPeer(m.peer), clock.wallMs()), count }))
    const events = [...pendingEvents.splice(0), ...outcome.events]
    if (outcome.writes.length > 0 || evidence.length > 0 || events.length > 0) {
      await store.change<SiteDoc>(ownDoc, (d) => {
        for (const w of outcome.writes) w(d)
        for (const ev of evidence) recordEvidence(d, ev)
        for (const ev of events) appendEvent(d, ev)
      }, 'controller tick')
    }
    pendingEvidence.written(due, startedAt)
    // Durable before acted on, like the document's bindings.
    for (const b of outcome.localBindings) await localStore.putBinding(b)
    controllers.applyDesired()
    tickedOn = refreshView()
    announceLocalState()
    tickFailure = undefined
    return { wakeAt: outcome.wakeAt }
  }

  const ticks = createTickScheduler({
    clock, tickMs, idleTickMs, minTickGapMs, remoteGapMs: remoteTickGapMs,
    tick: runControllers,
    dueAt: () => pendingEvidence.dueAt(),
    onFailure: (e) => {
      const err = e as Partial<FlotillaError> & Error
      tickFailure = {
        count: (tickFailure?.count ?? 0) + 1,
        code: err.code ?? 'internal', message: err.message, hint: err.hint ?? 'See the site\'s log for the stack trace; report it if it persists.'
      }
      logger.error({ err: err.message, code: err.code, stack: err.stack, inARow: tickFailure.count }, 'controller tick failed')
    }
  })
  const scheduleSoon = ticks.requestSoon

  function onTransition (t: Transition): void {
    const kind: FederationEvent['kind'] | undefined = t.to === 'suspect' ? 'site-suspected' : t.to === 'failed' ? 'site-failed'
      : t.to === 'alive' && (t.from === 'recovering' || t.from === 'suspect') ? 'site-recovered' : undefined
    if (kind !== undefined) pendingEvents.push({ kind, at: clock.wallMs(), subject: t.siteId, cause: t.cause })
    scheduleSoon()
  }

  function onMisbehaviour (m: Misbehaviour): void {
    provenOffenders.note(m.kind, siteOfPeer(m.peer))
    if (pendingEvidence.add(m, clock.monotonicMs())) scheduleSoon()
  }

  function findRecord (key: string): WorkloadRecord | GlobalView['policies'][number] | undefined {
    return view.workloads.find((w) => w.key === key) ?? view.policies.find((p) => p.key === key)
  }

  const writes = createObjectWrites({
    siteId, ownDoc, store, localStore, stubSecret, clock, rng, findRecord,
    keepLocal: (rec) => { localRecords = [...localRecords.filter((r) => r.key !== rec.key), rec].sort((a, b) => a.key < b.key ? -1 : 1) },
    dropLocal: (key) => { localRecords = localRecords.filter((r) => r.key !== key) },
    written: () => { refreshView(); scheduleSoon() }
  })

  const site: Site = {
    siteId,
    region: options.region,
    peerId,
    store,
    replicator,
    liveness,

    async start () {
      if (running) return
      running = true
      await ensureSiteDoc()
      const loaded = await localStore.loadAll()
      localRecords = await writes.recover(loaded.workloads)
      controllers.restoreLocalBindings(loaded.bindings)
      for (const c of loaded.corrupt) logger.error({ key: c.key, err: c.error.message }, 'skipped a corrupt local-only record')
      // A local change is this site's own tick or write (which asks for a tick itself).
      unsubscribers.push(store.onChange((_doc, _entries, origin) => { if (origin === 'remote') scheduleSoon(true) }))
      unsubscribers.push(replicator.onMisbehaviour(onMisbehaviour))
      unsubscribers.push(liveness.onMisbehaviour(onMisbehaviour))
      unsubscribers.push(liveness.onTransition(onTransition))
      unsubscribers.push(controllers.onChange(() => { scheduleSoon() }))
      await controllers.start()
      replicator.start()
      liveness.start()
      refreshView()
      ticks.start()
    },

    async stop () {
      if (!running) return
      running = false
      await ticks.stop()
      liveness.stop()
      replicator.stop()
      await controllers.stop()
      for (const u of unsubscribers.splice(0)) u()
      await store.close()
    },

    tick: ticks.runNow,
    view: () => view,
    viewVersion: () => version,
    onViewChange (l) { viewListeners.add(l); return () => { viewListeners.delete(l) } },

    putObject: writes.putObject,
    deleteObject: writes.deleteObject,

    getRecord (key) {
      const rec = findRecord(key) ?? localRecords.find((r) => r.key === key)
      return rec === undefined ? undefined : 'residency' in rec && rec.residency.kind === 'local-only' ? { key: rec.key, manifest: rec.manifest, generation: rec.generation, updatedAt: rec.updatedAt } : rec
    },

    localWorkloads (): LocalWorkloadRecord[] {
      return localRecords.map((r) => ({ key: r.key, manifest: r.manifest, generation: r.generation, updatedAt: r.updatedAt }))
    },

    localShares (key) {
      return controllers.localShares(key)
    },

    placement (key): EffectivePlacement | undefined {
      return controllers.placement(key)
    },

    explain (key) {
      return controllers.explain(view, key)
    },

    events (): FederationEvent[] {
      const doc = store.document<SiteDoc>(ownDoc)
      return doc === undefined ? [] : listEvents(doc)
    },

    attachApiMetrics (source) { apiMetrics = source },

    metrics (): SiteMetrics {
      const r = replicator.stats()
      const now = clock.monotonicMs()
      const out: SiteMetrics = {
        replication: {
          changesAccepted: r.accepted, changesDuplicate: r.duplicates, changesRejected: r.rejected,
          sessions: { started: r.sessions.started, completed: r.sessions.completed, timedOut: r.sessions.timedOut }
        },
        peers: r.peers.map((p) => ({
          siteId: siteOfPeer(p.peer), score: p.score,
          ...(p.lastReconciledMs === undefined ? {} : { syncAgeSeconds: Math.max(0, now - p.lastReconciledMs) / 1000 })
        })),
        controllers: controllers.counters(),
        liveness: { refusedForSkew: liveness.clockSkew().map((k) => ({ siteId: k.siteId, count: k.refused, lastSkewSeconds: k.lastSkewMs / 1000 })) }
      }
      if (apiMetrics !== undefined) out.api = apiMetrics()
      return out
    },

    replicatedDocuments () {
      return documents().map(({ id, doc }) => ({ id, bytes: A.save(doc) }))
    },

    evidence (): EvidenceRecord[] {
      const doc = store.document<SiteDoc>(ownDoc)
      return doc === undefined ? [] : listEvidence(doc)
    },

    status (): SiteStatus {
      return siteStatus({
        site: { siteId, region: options.region, zone: options.zone, peerId, startedAt },
        roster: peersOfRoster, replication: replicator.stats(), liveness: liveness.records(), nowMs: clock.monotonicMs(),
        view, corruptRecords: store.corrupt.length, degraded: controllers.degraded(), bootstrap: replicator.progress(),
        clockSkew: { refusing: liveness.clockSkew().filter((k) => k.refusing).map((k) => k.siteId), limitMs: options.failover.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS },
        ...(tickFailure === undefined ? {} : { tickFailure })
      })
    }
  }

  return site
}

/**
 * Whether two views give the controllers the same input: the collections a decision
 * reads are the same arrays (the view cache keeps an unchanged collection's array).
 */
function sameDecisionInputs (a: GlobalView, b: GlobalView): boolean {
  return a.workloads === b.workloads && a.clusters === b.clusters && a.policies === b.policies && a.stubs === b.stubs
}
