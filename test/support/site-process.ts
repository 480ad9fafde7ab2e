/**
 * A site process for multi-process tests: runs one real site (libp2p over TCP, LevelDB)
 * from its config and takes commands as JSON lines on stdin, answering on stdout:
 * `put` (apply an object; answered once durable, with the new heads and the encoded size
 * of the signed change at the first), `state` (heads and a view digest),
 * `stats`, `block`/`unblock` (refuse peers at the connection gater, to partition),
 * `evidence`, `events`, `placements` (per workload: origin, bindings, share status and
 * this site's effective placement, as read without forcing a tick), `heartbeats` (the
 * last accepted heartbeats with the peer that delivered them, and this process's worst
 * event-loop delay since the previous call: to tell a silent peer from a stalled
 * observer), `stop`.
 */
import { createHash } from 'node:crypto'
import { createInterface } from 'node:readline'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { multiaddr } from '@multiformats/multiaddr'
import { loadSiteConfig } from '../../src/config/load.ts'
import { createPinoLogger } from '../../src/log/pino-logger.ts'
import { runSite } from '../../src/runtime/run-site.ts'
import { canonicalJson } from '../../src/store/docs/canonical-json.ts'
import { signedChangeLength } from '../../src/store/log/envelope.ts'

const configPath = process.argv[2]!
const config = await loadSiteConfig(configPath)
const blocked = new Set<string>()
const logger = createPinoLogger({ level: (process.env['FLOTILLA_TEST_LOG'] ?? 'warn') as 'warn', name: config.site.id })
const running = await runSite({ config, logger, blocked, tickMs: 500 })
const { site, network } = running

function reply (id: number, body: unknown): void {
  process.stdout.write(JSON.stringify({ id, ...body as object }) + '\n')
}

function viewDigest (): string {
  const v = site.view()
  // What every honest site must agree on: sites, clusters and workloads with their records.
  const essence = { sites: v.sites.map((s) => [s.id, s.heads]), workloads: v.workloads.map((w) => [w.key, w.origin, w.generation, w.manifest]), policies: v.policies.map((p) => [p.key, p.generation]) }
  return createHash('sha256').update(canonicalJson(essence)).digest('hex').slice(0, 16)
}

// When each change first reached this site (wall ms; all test processes share one clock).
const arrivals = new Map<string, number>()
site.store.onChange((_doc, entries) => {
  const now = Date.now()
  for (const e of entries) if (!arrivals.has(e.hash)) arrivals.set(e.hash, now)
})

// Accepted heartbeats (wall ms, site, delivering peer), newest last, and the event-loop delay.
const heartbeats: Array<[number, string, string]> = []
site.liveness.onHeartbeat((hb, via) => {
  heartbeats.push([Date.now(), hb.siteId, via])
  if (heartbeats.length > 600) heartbeats.splice(0, 100)
})
const loopDelay = monitorEventLoopDelay({ resolution: 20 })
loopDelay.enable()

process.stdout.write(JSON.stringify({ ready: true, peerId: site.peerId, addresses: running.p2pAddresses }) + '\n')

const rl = createInterface({ input: process.stdin })
rl.on('line', (line) => {
  const cmd = JSON.parse(line) as { id: number, op: string, object?: unknown, peers?: string[], addresses?: string[] }
  void (async () => {
    try {
      switch (cmd.op) {
        case 'put': {
          const r = await site.putObject(cmd.object as never)
          const heads = site.store.heads(`site:${config.site.id}`)
          // The encoded signed change at the first head: the size of what the put sends its peers.
          const changeBytes = site.store.signedChanges(`site:${config.site.id}`, heads.slice(0, 1)).reduce((n, env) => n + signedChangeLength(env), 0)
          reply(cmd.id, { ok: true, generation: r.object.metadata.generation, heads, changeBytes, at: Date.now() })
          break
        }
        case 'put-many': {
          // Many objects, each its own change, as a busy API would write them.
          for (const o of (cmd as unknown as { objects: unknown[] }).objects) await site.putObject(o as never)
          reply(cmd.id, { ok: true })
          break
        }
        case 'arrivals': {
          const hashes = (cmd as unknown as { hashes: string[] }).hashes
          reply(cmd.id, { ok: true, arrivals: Object.fromEntries(hashes.map((h) => [h, arrivals.get(h) ?? null])) })
          break
        }
        case 'cpu':
          reply(cmd.id, { ok: true, cpu: process.cpuUsage(), at: performance.now() })
          break
        case 'state': {
          await site.tick()
          const heads = Object.fromEntries(site.store.documentIds().map((d) => [d, site.store.heads(d)]))
          reply(cmd.id, { ok: true, heads, view: viewDigest(), workloads: site.view().workloads.map((w) => w.key), logSizes: Object.fromEntries(site.store.documentIds().map((d) => [d, site.store.log(d)!.size()])) })
          break
        }
        case 'heads':
          // Heads alone, without the tick and view digest of 'state': cheap enough to poll.
          reply(cmd.id, { ok: true, heads: Object.fromEntries(site.store.documentIds().map((d) => [d, site.store.heads(d)])) })
          break
        case 'stats':
          reply(cmd.id, { ok: true, replication: site.replicator.stats(), status: site.status(), metrics: site.metrics?.(), rssMb: process.memoryUsage().rss / 2 ** 20 })
          break
        case 'block':
          for (const p of cmd.peers ?? []) blocked.add(p)
          network.recheckMembership()
          reply(cmd.id, { ok: true })
          break
        case 'unblock':
          for (const p of cmd.peers ?? []) blocked.delete(p)
          for (const a of cmd.addresses ?? []) void network.libp2p.dial(multiaddr(a)).catch(() => undefined)
          reply(cmd.id, { ok: true })
          break
        case 'placements': {
          const v = site.view()
          const workloads = v.workloads.map((w) => ({
            key: w.key, origin: w.origin, generation: w.generation, replicas: w.replicas, residency: w.residency,
            bindings: w.bindings.map((b) => ({ decidedBy: b.decidedBy, generation: b.generation, placement: b.placement, reason: b.reason, ...(b.degraded === undefined ? {} : { degraded: b.degraded }) })),
            shares: w.shares.map((s) => ({ cluster: s.cluster, desired: s.desired, ready: s.ready })),
            effective: site.placement(w.key) ?? null
          }))
          reply(cmd.id, { ok: true, workloads, alarms: site.status().alarms })
          break
        }
        case 'heartbeats':
          reply(cmd.id, { ok: true, heartbeats, loopDelayMaxMs: loopDelay.max / 1e6 })
          loopDelay.reset()
          break
        case 'evidence':
          reply(cmd.id, { ok: true, evidence: site.evidence() })
          break
        case 'events':
          reply(cmd.id, { ok: true, events: site.events() })
          break
        case 'stop':
          await running.stop()
          reply(cmd.id, { ok: true })
          process.exit(0)
          break
        default:
          reply(cmd.id, { ok: false, error: `unknown op ${cmd.op}` })
      }
    } catch (e) {
      reply(cmd.id, { ok: false, error: (e as Error).message, code: (e as { code?: string }).code })
    }
  })()
})
