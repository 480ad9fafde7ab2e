/**
 * `npm run -s bench -- store [--json] [--only=<metric prefix>,...] [--explore-buckets]`:
 * the document store's costs. Each group of metrics is one `measure` function in
 * `MEASURES`; a group that needs a clean heap (resident memory) runs in a child process
 * started from this same file with `--child=<group>`.
 *
 * - update_ms_10k: median cost of one small change (one workload's replica count)
 *   to a site document holding 10,000 workloads, through the accessors; baseline
 *   flat_update_ms_10k, the same entries in one flat map, same run;
 *   update_ms_10k_loaded(_clustered), the same after save/load, for workloads spread
 *   over the document and for workloads created next to each other (informative).
 * - rss_mb_20x2k: resident memory of a process holding 20 loaded site documents of
 *   2,000 workloads each (with a binding and a share status per workload, and some
 *   update history); measured in a child process after a forced GC.
 * - view_build_ms_20x2k / view_refresh_ms_20x2k: `buildView` over those 20 documents,
 *   and `createViewCache().refresh` after a tick in which 3 sites changed 10 workloads
 *   and 10 shares each (median of several ticks).
 */
import * as Automerge from '@automerge/automerge'
import { spawnSync } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { median } from '../lib/stats.ts'
import type { BenchMetric, BenchSuite } from '../contract.ts'
import type { WorkloadRecord } from '../../src/model/federation.ts'
import { BUCKETS, fnv1a32 } from '../../src/store/docs/bucket.ts'
import { encodeRecord, writeEntry } from '../../src/store/docs/fields.ts'
import { workloadCodec } from '../../src/store/docs/records.ts'
import { siteDocId } from '../../src/store/docs/schema.ts'
import type { SiteDoc } from '../../src/store/docs/site-doc.ts'
import { putCluster } from '../../src/store/docs/site-clusters.ts'
import { putBinding, putShare } from '../../src/store/docs/site-placement.ts'
import { putWorkload } from '../../src/store/docs/site-workloads.ts'
import { buildView } from '../../src/view/build-view.ts'
import { createViewCache } from '../../src/view/view-cache.ts'
import { binding, cluster, newSiteDoc, share, workload } from '../../test/store/docs/fixtures.ts'
import { measureLoad, measureVerifyApply } from '../lib/signed-store.ts'

type Measure = (args: readonly string[]) => Promise<BenchMetric[]>

const SELF = fileURLToPath(import.meta.url)

function workloadName (i: number, site = ''): string {
  return site === '' ? `svc-${i}` : `${site}-svc-${i}`
}

/** Builds a site document with `n` workloads in changes of `perChange`. */
function siteWithWorkloads (site: string, n: number, perChange = 1000): Automerge.Doc<SiteDoc> {
  let doc = newSiteDoc(site)
  for (let start = 0; start < n; start += perChange) {
    doc = Automerge.change(doc, (d) => {
      for (let i = start; i < Math.min(n, start + perChange); i++) putWorkload(d, workload(site, workloadName(i)))
    })
  }
  return doc
}

/** Median ms of `runs` single-workload replica changes, each to a different workload. */
function timeUpdates<T> (doc: Automerge.Doc<T>, n: number, runs: number, write: (d: T, rec: WorkloadRecord) => void, site: string, firstReplicas = 3, stride = 7919): number {
  const times: number[] = []
  for (let r = 0; r < runs; r++) {
    const rec = workload(site, workloadName((r * stride) % n), { replicas: firstReplicas + (r % 5) })
    const t0 = performance.now()
    doc = Automerge.change(doc, (d) => { write(d as T, rec) })
    times.push(performance.now() - t0)
  }
  return median(times)
}

const measureUpdate: Measure = async () => {
  const n = 10_000
  const runs = 101
  const bucketed = siteWithWorkloads('bench', n)
  const updateMs = timeUpdates(bucketed, n, runs, (d, rec) => { putWorkload(d, rec) }, 'bench')

  type Flat = { workloads: Record<string, Record<string, never>> }
  let flat = Automerge.from<Flat>({ workloads: {} })
  for (let start = 0; start < n; start += 1000) {
    flat = Automerge.change(flat, (d) => {
      for (let i = start; i < start + 1000; i++) {
        const { key, ...entry } = workload('bench', workloadName(i))
        writeEntry(d.workloads, key, encodeRecord(workloadCodec, entry))
      }
    })
  }
  const flatMs = timeUpdates(flat, n, runs, (d, rec) => {
    const { key, ...entry } = rec
    writeEntry(d.workloads, key, encodeRecord(workloadCodec, entry))
  }, 'bench')
  // The same document after save and load, as a restarted site holds it: Automerge 3
  // keeps a loaded document's columns in large slabs, and each change splices them.
  const saved = Automerge.save(bucketed)
  const loadedMs = timeUpdates(Automerge.load<SiteDoc>(saved), n, 31, (d, rec) => { putWorkload(d, rec) }, 'bench', 20)
  // Workloads created together (svc-0, svc-3, svc-6 ...) are the slow case on a loaded document.
  const clusteredMs = timeUpdates(Automerge.load<SiteDoc>(saved), n, 31, (d, rec) => { putWorkload(d, rec) }, 'bench', 20, 3)
  return [{
    name: 'update_ms_10k', value: updateMs, unit: 'ms',
    baseline: { name: 'flat_update_ms_10k', value: flatMs },
    target: { op: '<=', value: 0.5 },
    note: `median of ${runs} one-field changes to a document built by changes; ${BUCKETS.workloads} buckets (16 x 16) of ~${Math.round(n / BUCKETS.workloads)} workloads`
  }, {
    name: 'update_ms_10k_loaded', value: loadedMs, unit: 'ms',
    note: 'the same changes after Automerge.save/load of that document (no target: see docs/data-model.md, "Loaded documents")'
  }, {
    name: 'update_ms_10k_loaded_clustered', value: clusteredMs, unit: 'ms',
    note: 'after save/load, changing workloads created next to each other (svc-0, svc-3, svc-6, ...)'
  }]
}

/** Layout exploration: the same update with other bucket counts (raw writes, no accessors). */
const measureBucketChoices: Measure = async () => {
  const n = 10_000
  const out: BenchMetric[] = []
  for (const count of [16, 64, 128, 256, 1024]) {
    type Raw = { w: Record<string, Record<string, Record<string, never>>> }
    let doc = Automerge.from<Raw>({ w: {} })
    const put = (d: Raw, rec: WorkloadRecord): void => {
      const b = (fnv1a32(rec.key) % count).toString(16)
      if (d.w[b] === undefined) d.w[b] = {}
      const { key, ...entry } = rec
      writeEntry(d.w[b]!, key, encodeRecord(workloadCodec, entry))
    }
    for (let start = 0; start < n; start += 1000) {
      doc = Automerge.change(doc, (d) => { for (let i = start; i < start + 1000; i++) put(d, workload('bench', workloadName(i))) })
    }
    out.push({ name: `update_ms_10k_buckets_${count}`, value: timeUpdates(doc, n, 101, put, 'bench'), unit: 'ms' })
  }
  return out
}

interface ChildResult { rssMb: number, rssWithViewMb: number, heapMb: number, heapWithViewMb: number, buildMs: number, refreshMs: number, sites: number, workloads: number }

/** Runs in the child: 20 loaded site documents of 2,000 workloads, then the view over them. */
async function childRss (): Promise<ChildResult> {
  const gc = (globalThis as { gc?: () => void }).gc
  const SITES = 20
  const N = 2000
  const docs = new Map<string, Automerge.Doc<unknown>>()
  for (let s = 0; s < SITES; s++) {
    const site = `site-${String(s).padStart(2, '0')}`
    let doc = newSiteDoc(site)
    doc = Automerge.change(doc, (d) => { for (let c = 0; c < 3; c++) putCluster(d, cluster(site, `c${c}`)) })
    for (let start = 0; start < N; start += 500) {
      doc = Automerge.change(doc, (d) => {
        for (let i = start; i < start + 500; i++) {
          const w = workload(site, workloadName(i, site))
          putWorkload(d, w)
          putBinding(d, binding(site, w.key, [[`${site}.c${i % 3}`, 2]]))
          putShare(d, share(w.key, `${site}.c${i % 3}`, 2))
        }
      })
    }
    for (let u = 0; u < 50; u++) { // some history: scale-ups and status ticks
      doc = Automerge.change(doc, (d) => {
        const w = workload(site, workloadName(u * 37 % N, site), { replicas: 3 })
        putWorkload(d, w)
        putShare(d, share(w.key, `${site}.c${(u * 37 % N) % 3}`, 3))
      })
    }
    const bytes = Automerge.save(doc)
    Automerge.free(doc)
    docs.set(siteDocId(site), Automerge.load(bytes))
  }
  gc?.()
  const rssMb = process.memoryUsage().rss / 2 ** 20
  const heapMb = process.memoryUsage().heapUsed / 2 ** 20

  let t0 = performance.now()
  const workloads = buildView(docs).workloads.length
  const buildMs = performance.now() - t0
  const cache = createViewCache()
  cache.refresh(docs)
  const refresh: number[] = []
  for (let tick = 0; tick < 7; tick++) {
    for (let k = 0; k < 3; k++) {
      const site = `site-${String((tick * 3 + k) % SITES).padStart(2, '0')}`
      const id = siteDocId(site)
      docs.set(id, Automerge.change(docs.get(id) as Automerge.Doc<SiteDoc>, (d) => {
        for (let j = 0; j < 10; j++) {
          const i = (tick * 101 + j * 13) % N
          const w = workload(site, workloadName(i, site), { replicas: 4 + tick })
          putWorkload(d, w)
          putShare(d, share(w.key, `${site}.c${i % 3}`, 4 + tick))
        }
      }))
    }
    gc?.() // the document changes above leave garbage; time the refresh, not their collection
    t0 = performance.now()
    cache.refresh(docs)
    refresh.push(performance.now() - t0)
  }
  gc?.()
  const mem = process.memoryUsage()
  return { rssMb, rssWithViewMb: mem.rss / 2 ** 20, heapMb, heapWithViewMb: mem.heapUsed / 2 ** 20, buildMs, refreshMs: median(refresh), sites: SITES, workloads }
}

const measureMemoryAndView: Measure = async () => {
  const child = spawnSync(process.execPath, ['--expose-gc', SELF, '--child=rss'], { encoding: 'utf8', maxBuffer: 1 << 20, timeout: 600_000 })
  if (child.status !== 0) throw new Error(`rss child failed (${child.status ?? child.signal}): ${child.stderr}`)
  const r = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as ChildResult
  return [
    { name: 'rss_mb_20x2k', value: r.rssMb, unit: 'MB', target: { op: '<=', value: 600 },
      note: `${r.sites} loaded site documents x 2,000 workloads + 2,000 bindings + 2,000 shares each, 50 update changes; child process after GC` },
    { name: 'rss_mb_20x2k_with_view', value: r.rssWithViewMb, unit: 'MB',
      note: 'after building the view, 21 changes to the loaded documents and 8 cache refreshes; mostly wasm memory grown by changing loaded documents (docs/data-model.md)' },
    { name: 'view_heap_mb_20x2k', value: r.heapWithViewMb - r.heapMb, unit: 'MB', note: 'JS heap held by the view cache (extracts, indexes, view) after GC' },
    { name: 'view_build_ms_20x2k', value: r.buildMs, unit: 'ms', note: `buildView over ${r.workloads} workloads, from scratch` },
    { name: 'view_refresh_ms_20x2k', value: r.refreshMs, unit: 'ms', target: { op: '<=', value: 100 },
      note: 'view cache refresh after 3 sites changed 10 workloads and 10 shares each; median of 7 ticks' }
  ]
}

/** Metric groups in run order; the lead's groups (verify_apply_per_s, load_ms_10k) go here. */
const MEASURES: Array<{ prefixes: string[], measure: Measure, optIn?: string }> = [
  { prefixes: ['verify_apply_per_s', 'verify_apply_warm_per_s', 'tweetnacl_verify_per_s', 'verify_per_s'], measure: measureVerifyApply },
  { prefixes: ['load_ms_10k', 'update_ms_after_load'], measure: measureLoad },
  { prefixes: ['update_ms_10k', 'flat_update_ms_10k', 'update_ms_10k_loaded', 'update_ms_10k_loaded_clustered'], measure: measureUpdate },
  { prefixes: ['rss_mb_20x2k', 'view_'], measure: measureMemoryAndView },
  { prefixes: ['update_ms_10k_buckets'], measure: measureBucketChoices, optIn: '--explore-buckets' }
]

const suite: BenchSuite = {
  name: 'store',
  description: 'site document update cost, memory of 20 x 2,000-workload documents, and the view over them',
  async run (args) {
    const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',')
    const out: BenchMetric[] = []
    for (const m of MEASURES) {
      if (m.optIn !== undefined && !args.includes(m.optIn)) continue
      if (only !== undefined && !m.prefixes.some((p) => only.some((o) => p.startsWith(o)))) continue
      out.push(...await m.measure(args))
    }
    return out
  }
}

export default suite

if (process.argv[1] === SELF && process.argv.includes('--child=rss')) {
  process.stdout.write(JSON.stringify(await childRss()) + '\n')
}
