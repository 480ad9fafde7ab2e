/**
 * The bootstrap measurement of the replication benchmark: five site processes hold
 * `total` workloads (prepared on disk beforehand, see replication-federation.ts), a sixth
 * site process starts with an empty store, and the clock runs from its start to the
 * moment it holds the same heads as the five. The wait polls the new site's own progress
 * indicator and, once it reports being complete, the heads alone: polling every site's
 * full state, as the first version did, forced a controller tick and a view digest over
 * 10,000 workloads in every process each time (0.5 s of CPU apiece) and slowed the very
 * thing it measured.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { KubeObject } from '../../src/model/kube.ts'
import { prepareLocalFederation } from '../../src/runtime/local-federation.ts'
import { eventually, killAll, startSiteProcess, type SiteProcess } from '../../test/support/processes.ts'
import { freePorts } from '../../test/support/ports.ts'
import { populateFederation } from './replication-federation.ts'

export interface BootstrapResult {
  seconds: number
  /** Changes the new site accepted, and the copies it received again. */
  accepted: number
  duplicates: number
  sessions: { started: number, timedOut: number }
}

interface Stats {
  replication: { accepted: number, duplicates: number, sessions: { started: number, timedOut: number } }
  status: { bootstrap: { documents: { have: number, total: number }, changes: { have: number, total: number } } }
}

async function sameHeads (procs: readonly SiteProcess[]): Promise<boolean> {
  const s = await Promise.all(procs.map(async (p) => await p.call<{ heads: Record<string, string[]> }>('heads', {}, 120_000)))
  return s.every((x) => JSON.stringify(x.heads) === JSON.stringify(s[0]!.heads))
}

/** Whether every workload held by `procs` carries its origin's binding at every one of them. */
async function allPlaced (procs: readonly SiteProcess[], held: number): Promise<boolean> {
  for (const p of procs) {
    const r = await p.call<{ workloads: Array<{ origin: string, bindings: Array<{ decidedBy: string }> }> }>('placements', {}, 120_000)
    if (r.workloads.length === 0 || r.workloads.some((w) => !w.bindings.some((b) => b.decidedBy === w.origin))) return false
  }
  return held > 0
}

export async function measureBootstrap (total: number, workload: (name: string, i: number) => KubeObject): Promise<BootstrapResult> {
  const dir = await mkdtemp(join(tmpdir(), `flotilla-bench-boot${total}-`))
  const procs: SiteProcess[] = []
  try {
    const ports = await freePorts(6)
    const layout = await prepareLocalFederation(dir, Array.from({ length: 6 }, (_, i) => ({ id: `b${i}`, region: 'r1', p2pPort: ports[i]!, log: { level: 'error' as const } })))
    const per = Math.ceil(total / 5)
    const held = await populateFederation(layout.slice(0, 5).map((s) => s.configPath), (s) => Array.from({ length: per }, (_, k) => workload(`boot-${s}-${k}`, k)))
    procs.push(...await Promise.all(layout.slice(0, 5).map(async (s) => await startSiteProcess(s.spec.id, s.configPath, 180_000))))
    // A federation at rest: every origin has placed its workloads (the sites place nothing
    // until their failure detectors have judged every roster member, the absent sixth
    // included) and all five hold the same heads. Measured earlier, the join would race
    // the first placement of 10,000 workloads and time that instead.
    if (!await eventually(async () => await allPlaced(procs, held) && await sameHeads(procs), 120_000, 2000)) throw new Error('the five prepared sites did not place their workloads and agree')

    const t0 = Date.now()
    const joiner = await startSiteProcess('b5', layout[5]!.configPath, 180_000)
    procs.push(joiner)
    let stats: Stats | undefined
    const done = await eventually(async () => {
      stats = await joiner.call<Stats>('stats', {}, 120_000)
      const { documents, changes } = stats.status.bootstrap
      const complete = documents.total >= 6 && documents.have === documents.total && changes.have >= held
      return complete && await sameHeads(procs)
    }, 300_000, 200)
    const seconds = (Date.now() - t0) / 1000
    if (!done) throw new Error(`the new site did not catch up in 300 s (progress ${JSON.stringify(stats?.status.bootstrap)})`)
    return {
      seconds,
      accepted: stats!.replication.accepted,
      duplicates: stats!.replication.duplicates,
      sessions: { started: stats!.replication.sessions.started, timedOut: stats!.replication.sessions.timedOut }
    }
  } finally {
    await Promise.all(procs.map(async (p) => await p.call('stop', {}, 15_000).catch(() => undefined)))
    killAll()
    await rm(dir, { recursive: true, force: true })
  }
}
