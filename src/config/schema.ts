/**
 * The site configuration: what one site needs to run (identity, peers, clusters, API,
 * failover timings, limits). Validated with zod so that every wrong field is reported
 * with its path and what was expected; defaults are the documented ones and live here.
 */
import { z } from 'zod'
import { weakPublicKeyReason } from '../identity/ed25519-strict.ts'

const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
  'expected a DNS-1123 label: lower-case letters, digits and "-", starting and ending alphanumeric, at most 63 characters')

/** Keys of small order or non-canonical encoding can never sign under the federation's rule (ed25519-strict.ts). */
const hexKey = z.string().regex(/^[0-9a-f]{64}$/, 'expected an ed25519 public key as 64 lower-case hex characters').superRefine((hex, ctx) => {
  const reason = weakPublicKeyReason(Buffer.from(hex, 'hex'))
  if (reason !== undefined) {
    ctx.addIssue({ code: 'custom', message: `not a usable ed25519 public key (${reason === 'small-order' ? 'a point of small order, for which anyone can forge signatures' : 'a non-canonical encoding'}): copy the key printed by \`flotilla init\` for that site` })
  }
})

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected "host:port", e.g. "127.0.0.1:6443"')

const taint = z.strictObject({
  key: z.string().min(1),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'])
})

export const clusterConfigSchema = z.strictObject({
  name: dnsLabel,
  mode: z.enum(['push', 'pull']).default('push'),
  /** Push mode: kubeconfig file of the member cluster. */
  kubeconfig: z.string().min(1).optional(),
  context: z.string().optional(),
  /** Pull mode: hex ed25519 public key of the cluster's agent. */
  agentKey: hexKey.optional(),
  provider: z.string().default('on-prem'),
  region: dnsLabel.optional(),
  zone: z.string().optional(),
  labels: z.record(z.string(), z.string()).default({}),
  taints: z.array(taint).default([]),
  /** Unreachable for this long before the cluster is NotReady (Karmada's default is 30 s). */
  failureThresholdMs: z.number().int().positive().default(30_000)
}).superRefine((c, ctx) => {
  if (c.mode === 'push' && c.kubeconfig === undefined) {
    ctx.addIssue({ code: 'custom', path: ['kubeconfig'], message: 'required when mode is "push": the path of the member cluster\'s kubeconfig' })
  }
  if (c.mode === 'pull' && c.agentKey === undefined) {
    ctx.addIssue({ code: 'custom', path: ['agentKey'], message: 'required when mode is "pull": the agent\'s public key (printed by `flotilla agent init`)' })
  }
})

export const rosterMemberSchema = z.strictObject({
  siteId: dnsLabel,
  publicKey: hexKey,
  region: dnsLabel
})

export const siteConfigSchema = z.strictObject({
  site: z.strictObject({
    id: dnsLabel,
    region: dnsLabel,
    zone: z.string().min(1)
  }),
  /** Directory for the LevelDB store, keys and certificates (relative to the config file). */
  dataDir: z.string().min(1),
  /** Defaults to `<dataDir>/site.key`. */
  keyFile: z.string().min(1).optional(),
  p2p: z.strictObject({
    listen: z.array(z.string().startsWith('/', 'expected a multiaddr such as "/ip4/127.0.0.1/tcp/7001"')).min(1),
    bootstrap: z.array(z.string().startsWith('/', 'expected a multiaddr ending in /p2p/<peer id>')).default([])
  }),
  /** Every member of the federation, this site included. */
  roster: z.array(rosterMemberSchema).min(1),
  api: z.strictObject({ listen: hostPort }).optional(),
  dashboard: z.strictObject({ listen: hostPort }).optional(),
  clusters: z.array(clusterConfigSchema).default([]),
  failover: z.strictObject({
    heartbeatMs: z.number().int().positive().default(2_000),
    suspectMs: z.number().int().positive().default(6_000),
    failMs: z.number().int().positive().default(12_000),
    /** A replaced replica whose cluster is gone is removed after this long even if its replacement is not Ready. */
    evictionTimeoutMs: z.number().int().positive().default(60_000),
    failback: z.enum(['never', 'after-stabilization']).default('after-stabilization'),
    stabilizationMs: z.number().int().nonnegative().default(30_000),
    /** A failed site counts as alive again once its heartbeats held this long; unset: two heartbeats, at least 1 s. */
    recoverMs: z.number().int().positive().optional(),
    /**
     * Heartbeats whose wall time is further than this from this site's clock are refused, so
     * old heartbeats replayed to a restarted observer cannot keep a dead site alive; a site
     * whose clock is off by more is judged failed (docs/threat-model.md).
     */
    maxClockSkewMs: z.number().int().positive().default(5 * 60_000)
  }).prefault({}),
  limits: z.strictObject({
    maxFrameBytes: z.number().int().positive().default(4 * 1024 * 1024),
    maxChangeBytes: z.number().int().positive().default(1024 * 1024),
    maxChangeOps: z.number().int().positive().default(100_000),
    changesPerSecond: z.number().int().positive().default(2_000),
    maxPendingChanges: z.number().int().positive().default(10_000),
    maxConcurrentStreams: z.number().int().positive().default(16)
  }).prefault({}),
  storage: z.strictObject({
    /** fsync every batch: survives power loss, at a latency cost. */
    sync: z.boolean().default(true),
    snapshotEveryChanges: z.number().int().positive().default(2_000)
  }).prefault({}),
  log: z.strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info')
  }).prefault({})
}).superRefine((c, ctx) => {
  if (!c.roster.some((m) => m.siteId === c.site.id)) {
    ctx.addIssue({ code: 'custom', path: ['roster'], message: `must include this site ("${c.site.id}") with its public key` })
  }
  const seen = new Set<string>()
  c.roster.forEach((m, i) => {
    if (seen.has(m.siteId)) ctx.addIssue({ code: 'custom', path: ['roster', i, 'siteId'], message: `duplicate site id "${m.siteId}"` })
    seen.add(m.siteId)
  })
  const names = new Set<string>()
  c.clusters.forEach((cl, i) => {
    if (names.has(cl.name)) ctx.addIssue({ code: 'custom', path: ['clusters', i, 'name'], message: `duplicate cluster name "${cl.name}"` })
    names.add(cl.name)
    // The agent endpoint is served by the site's API server: without one no agent can connect.
    if (cl.mode === 'pull' && c.api === undefined) {
      ctx.addIssue({ code: 'custom', path: ['clusters', i, 'mode'], message: 'pull mode needs the site API (the agent connects to it): add an `api` section, e.g. `api: { listen: "0.0.0.0:6443" }`' })
    }
  })
  if (c.failover.suspectMs >= c.failover.failMs) {
    ctx.addIssue({ code: 'custom', path: ['failover', 'suspectMs'], message: `must be below failover.failMs (${c.failover.failMs})` })
  }
  if (c.failover.recoverMs !== undefined && c.failover.recoverMs < c.failover.heartbeatMs) {
    ctx.addIssue({ code: 'custom', path: ['failover', 'recoverMs'], message: `must be at least failover.heartbeatMs (${c.failover.heartbeatMs}) so one stray heartbeat cannot bring a failed site back` })
  }
  if (c.failover.heartbeatMs * 2 > c.failover.suspectMs) {
    ctx.addIssue({ code: 'custom', path: ['failover', 'heartbeatMs'], message: `must be at most half of failover.suspectMs (${c.failover.suspectMs}) so one lost heartbeat does not raise suspicion` })
  }
})

export type SiteConfig = z.output<typeof siteConfigSchema>
export type SiteConfigInput = z.input<typeof siteConfigSchema>
export type ClusterConfig = z.output<typeof clusterConfigSchema>
