/**
 * A site process for multi-process tests: runs one real site (libp2p over TCP, LevelDB)
 * from its config and takes commands as JSON lines on stdin, answering on stdout:
 * `put` (apply an object; answered once durable), `state` (heads and a view digest),
 * `stats`, `block`/`unblock` (refuse peers at the connection gater, to partition),
 * `evidence`, `events`, `stop`.
 */
import { createHash } from 'node:crypto'
import { createInterface } from 'node:readline'
import { multiaddr } from '@multiformats/multiaddr'
import { loadSiteConfig } from '../../src/config/load.ts'
import { createPinoLogger } from '../../src/log/pino-logger.ts'
import { runSite } from '../../src/runtime/run-site.ts'
import { canonicalJson } from '../../src/store/docs/canonical-json.ts'

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

process.stdout.write(JSON.stringify({ ready: true, peerId: site.peerId, addresses: running.p2pAddresses }) + '\n')

const rl = createInterface({ input: process.stdin })
rl.on('line', (line) => {
  const cmd = JSON.parse(line) as { id: number, op: string, object?: unknown, peers?: string[], addresses?: string[] }
  void (async () => {
    try {
      switch (cmd.op) {
        case 'put': {
          const r = await site.putObject(cmd.object as never)
          reply(cmd.id, { ok: true, generation: r.object.metadata.generation, heads: site.store.heads(`site:${config.site.id}`), at: Date.now() })
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
        case 'stats':
          reply(cmd.id, { ok: true, replication: site.replicator.stats(), status: site.status(), rssMb: process.memoryUsage().rss / 2 ** 20 })
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
