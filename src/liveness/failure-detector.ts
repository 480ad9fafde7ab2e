/**
 * The failure detector, as pure functions of one observer's heartbeat record and its
 * own monotonic clock. A site is judged only by its own signed heartbeats: `suspect`
 * after `suspectMs` without one, `failed` after `failMs`. A failed site comes back only
 * after heartbeats have flowed again for `recoverMs` (hysteresis), so a flapping site
 * does not flap the federation's placement. Nothing a third party says enters here.
 *
 * Trade-off (documented in docs/operations.md): lower `failMs` moves work sooner after a
 * real failure but turns more network hiccups into migrations; the defaults (2 s beats,
 * suspect 6 s, failed 12 s) tolerate five lost heartbeats in a row.
 */

export type SiteLiveness = 'alive' | 'suspect' | 'failed' | 'recovering' | 'unknown'

export interface DetectorConfig {
  heartbeatMs: number
  suspectMs: number
  failMs: number
  /** Continuous heartbeats needed after a failure before the site counts as alive again. */
  recoverMs: number
  /**
   * Heartbeats whose wall time is further than this from ours are refused (`skewed`): the
   * counter check alone cannot stop a replay of old beats to an observer that restarted
   * and remembers no counter. The price: a site whose clock is further off than this is
   * judged failed (docs/threat-model.md).
   */
  maxClockSkewMs: number
}

export interface SiteRecord {
  lastCounter: number
  /** Observer's monotonic time of the last accepted heartbeat. */
  lastSeenMs: number
  /** Start of the current unbroken run of heartbeats (no gap above suspectMs). */
  runStartMs: number
  status: SiteLiveness
  /** Observer's monotonic time the status last changed. */
  sinceMs: number
  lastWallMs: number
  headsDigest: string
}

export interface DetectorState {
  /** Observer's monotonic time when it started watching. */
  startedMs: number
  sites: ReadonlyMap<string, SiteRecord>
}

export interface Transition {
  siteId: string
  from: SiteLiveness
  to: SiteLiveness
  atMs: number
  cause: string
}

export type HeartbeatVerdict = 'accepted' | 'replay' | 'skewed'

export function initialDetectorState (nowMs: number): DetectorState {
  return { startedMs: nowMs, sites: new Map() }
}

/** Records a verified heartbeat. Replays (counter not above the last) change nothing. */
export function observeHeartbeat (
  state: DetectorState, hb: { siteId: string, counter: number, wallMs: number, headsDigest: string },
  nowMs: number, nowWallMs: number, config: DetectorConfig
): { state: DetectorState, verdict: HeartbeatVerdict } {
  const prev = state.sites.get(hb.siteId)
  if (prev !== undefined && hb.counter <= prev.lastCounter) return { state, verdict: 'replay' }
  if (Math.abs(hb.wallMs - nowWallMs) > config.maxClockSkewMs) return { state, verdict: 'skewed' }
  const gap = prev === undefined ? Infinity : nowMs - prev.lastSeenMs
  const record: SiteRecord = {
    lastCounter: hb.counter,
    lastSeenMs: nowMs,
    runStartMs: prev === undefined || gap > config.suspectMs ? nowMs : prev.runStartMs,
    status: prev?.status ?? 'unknown',
    sinceMs: prev?.sinceMs ?? nowMs,
    lastWallMs: hb.wallMs,
    headsDigest: hb.headsDigest
  }
  const sites = new Map(state.sites)
  sites.set(hb.siteId, record)
  return { state: { ...state, sites }, verdict: 'accepted' }
}

/** The status a record implies at `nowMs`, before hysteresis is applied. */
function statusAt (r: SiteRecord | undefined, startedMs: number, nowMs: number, config: DetectorConfig): SiteLiveness {
  const lastMs = r?.lastSeenMs ?? startedMs
  const age = nowMs - lastMs
  if (age > config.failMs) return 'failed'
  if (r === undefined) return 'unknown'
  if (age > config.suspectMs) return 'suspect'
  return 'alive'
}

/**
 * Re-judges every site in `siteIds` (the roster, minus the observer) at `nowMs`;
 * returns the new state and the transitions, in site order.
 */
export function judgeSites (state: DetectorState, siteIds: readonly string[], nowMs: number, config: DetectorConfig): { state: DetectorState, transitions: Transition[] } {
  const sites = new Map(state.sites)
  const transitions: Transition[] = []
  for (const siteId of [...siteIds].sort()) {
    const r = sites.get(siteId)
    const previous: SiteLiveness = r?.status ?? 'unknown'
    let next = statusAt(r, state.startedMs, nowMs, config)
    if ((previous === 'failed' || previous === 'recovering') && next === 'alive') {
      next = r !== undefined && nowMs - r.runStartMs >= config.recoverMs ? 'alive' : 'recovering'
    }
    // A site that is failed, or coming back from a failure, stays failed through a gap of
    // suspicion: only heartbeats steady for `recoverMs` make it available again.
    if ((previous === 'failed' || previous === 'recovering') && next === 'suspect') next = 'failed'
    if (next === previous) continue
    const cause = next === 'failed'
      ? (r === undefined ? `no heartbeat since this site started ${secondsText(nowMs - state.startedMs)} ago` : `no heartbeat for ${secondsText(nowMs - r.lastSeenMs)} (limit ${secondsText(config.failMs)})`)
      : next === 'suspect' ? `no heartbeat for ${secondsText(nowMs - (r?.lastSeenMs ?? state.startedMs))} (limit ${secondsText(config.suspectMs)})`
        : next === 'recovering' ? 'heartbeats resumed; waiting for them to hold steady'
          : `heartbeats steady for ${secondsText(r === undefined ? 0 : nowMs - r.runStartMs)}`
    transitions.push({ siteId, from: previous, to: next, atMs: nowMs, cause })
    if (r !== undefined) sites.set(siteId, { ...r, status: next, sinceMs: nowMs })
    else sites.set(siteId, { lastCounter: -1, lastSeenMs: -Infinity, runStartMs: nowMs, status: next, sinceMs: nowMs, lastWallMs: 0, headsDigest: '' })
  }
  return { state: { ...state, sites }, transitions }
}

/**
 * A duration for event causes, which every site replicates and people read: seconds
 * with at most one decimal ("8.1 s", "6 s"), not the monotonic clock's raw fractions.
 */
export function secondsText (ms: number): string {
  return `${Math.round(ms / 100) / 10} s`
}

/** The recovery window when the configuration names none: two heartbeats, at least a second. */
export function defaultRecoverMs (heartbeatMs: number): number {
  return Math.max(2 * heartbeatMs, 1000)
}

/** Sites that placement must treat as gone: failed, or recovering and not yet steady. */
export function unavailableSites (state: DetectorState): Set<string> {
  const out = new Set<string>()
  for (const [siteId, r] of state.sites) if (r.status === 'failed' || r.status === 'recovering') out.add(siteId)
  return out
}
