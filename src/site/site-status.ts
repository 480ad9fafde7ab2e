/**
 * What `flotilla status` shows of one site: each other roster member's connection,
 * liveness, lag and traffic, and the alarms an operator acts on. A pure function of the
 * site's parts, so the alarms are table-tested. The roster's peer ids are derived once
 * (each costs a key decode and a hash) and serve the evidence path too.
 */
import type { RosterMember } from '../model/federation.ts'
import type { GlobalView } from '../model/view.ts'
import type { PeerId } from '../ports/network.ts'
import { peerIdFromPublicKey } from '../identity/peer-id.ts'
import type { SiteRecord } from '../liveness/failure-detector.ts'
import type { ReplicationStats } from '../replication/replicator.ts'
import type { PeerStatus, SiteStatus } from './site-handle.ts'

export interface RosterPeer { siteId: string, peerId: PeerId }

/** Every roster member with its libp2p peer id, in roster order. */
export function rosterPeers (roster: readonly RosterMember[]): RosterPeer[] {
  return roster.map((m) => ({ siteId: m.siteId, peerId: peerIdFromPublicKey(Buffer.from(m.publicKey, 'hex')) }))
}

export interface SiteStatusInput {
  site: Pick<SiteStatus, 'siteId' | 'region' | 'zone' | 'peerId' | 'startedAt'>
  roster: readonly RosterPeer[]
  replication: Pick<ReplicationStats, 'peers'>
  liveness: ReadonlyMap<string, SiteRecord | undefined>
  /** This site's monotonic time now. */
  nowMs: number
  view: Pick<GlobalView, 'clusters'>
  corruptRecords: number
  degraded: readonly string[]
  bootstrap: SiteStatus['bootstrap']
  /** The controller ticks' failures in a row, if the last one failed. */
  tickFailure?: TickFailure
  /** Sites whose heartbeats the failure detector refuses now for their wall time, and the limit. */
  clockSkew?: { refusing: readonly string[], limitMs: number }
}

/** Controller ticks failing in a row: the site decides and writes nothing meanwhile. */
export interface TickFailure {
  count: number
  code: string
  message: string
  hint: string
}

export function siteStatus (input: SiteStatusInput): SiteStatus {
  const { site } = input
  const peers: PeerStatus[] = input.roster.filter((m) => m.siteId !== site.siteId).map((m) => {
    const s = input.replication.peers.find((p) => p.peer === m.peerId)
    const r = input.liveness.get(m.siteId)
    const status: PeerStatus = {
      siteId: m.siteId, peerId: m.peerId, connected: s?.connected ?? false,
      liveness: r?.status ?? 'unknown', behind: s?.behind ?? 0, bytesIn: s?.bytesIn ?? 0, bytesOut: s?.bytesOut ?? 0
    }
    return r === undefined || !Number.isFinite(r.lastSeenMs) ? status : { ...status, lastHeartbeatAgoMs: input.nowMs - r.lastSeenMs }
  })
  const alarms: string[] = []
  for (const p of peers) if (p.liveness === 'failed') alarms.push(`site ${p.siteId} is failed (no heartbeat)`)
  for (const id of input.clockSkew?.refusing ?? []) {
    // No measured skew in the text (it changes with every beat); the log and /metrics carry it.
    alarms.push(`heartbeats of site ${id} refused: their wall time is more than ${limitText(input.clockSkew!.limitMs)} from this site's clock ` +
      `(a clock off, or old heartbeats replayed); ${id} is judged failed while this lasts — check NTP on both sites (failover.maxClockSkewMs)`)
  }
  for (const c of input.view.clusters) if (c.site === site.siteId && c.health !== 'Ready') alarms.push(`cluster ${c.id} is ${c.health}`)
  if (input.corruptRecords > 0) alarms.push(`${input.corruptRecords} corrupt record(s) skipped at load`)
  const f = input.tickFailure
  if (f !== undefined) {
    // No running clock in the text: live updates resend the status when an alarm changes.
    alarms.push(`controller ticks failing (${f.count} in a row; this site decides and writes nothing): ${f.code}: ${f.message}${f.hint === '' ? '' : ` — ${f.hint}`}`)
  }
  alarms.push(...input.degraded)
  return { ...site, peers, bootstrap: input.bootstrap, alarms }
}

function limitText (ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 100) / 10} s`
}
