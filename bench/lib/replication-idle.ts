/**
 * The idle measurement of the replication benchmark on its own: ten site processes,
 * fully connected and settled, then the CPU of one of them over a window with nothing to
 * do. With `FLOTILLA_BENCH_CPU_PROF=<dir>` the measured site runs with `--cpu-prof` and
 * writes its profile there when it stops, with the window's bounds (this process's
 * `performance.timeOrigin`-based wall ms) next to it, so a reader can keep only the
 * samples of the window. Other processes are never profiled: only the one site's
 * spawn sees the flag.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { SiteProcess } from '../../test/support/processes.ts'

export interface IdleCpu {
  /** CPU (user + system) of the site over the window, in percent of one core. */
  pct: number
  windowMs: number
  /** With `FLOTILLA_BENCH_THREADS=1` on Linux: percent of one core per thread name, user and system apart. */
  threads?: Record<string, number>
}

/** CPU ticks (user and system apart) per thread of `pid`, by thread name, from /proc. */
async function threadTicks (pid: number): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [])) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '')
    const open = stat.indexOf('('); const close = stat.lastIndexOf(')')
    if (open < 0 || close < 0) continue
    const name = stat.slice(open + 1, close)
    const fields = stat.slice(close + 2).split(' ')
    // fields from the third on: utime is the 14th field of the line, stime the 15th
    out.set(`${name} user`, (out.get(`${name} user`) ?? 0) + Number(fields[11]))
    out.set(`${name} sys`, (out.get(`${name} sys`) ?? 0) + Number(fields[12]))
  }
  return out
}

type Cpu = { cpu: { user: number, system: number }, at: number }

/** CPU of `site` over `windowMs` during which nothing is asked of the federation. */
export async function measureIdleCpu (site: SiteProcess, windowMs: number): Promise<IdleCpu> {
  const perThread = process.env['FLOTILLA_BENCH_THREADS'] === '1' && site.child.pid !== undefined
  const ta = perThread ? await threadTicks(site.child.pid!) : undefined
  const a = await site.call<Cpu>('cpu')
  const wallStart = Date.now()
  await new Promise((resolve) => setTimeout(resolve, windowMs))
  const b = await site.call<Cpu>('cpu')
  const wallEnd = Date.now()
  const tb = perThread ? await threadTicks(site.child.pid!) : undefined
  const profDir = process.env['FLOTILLA_BENCH_CPU_PROF']
  if (profDir !== undefined && profDir !== '') {
    await writeFile(join(profDir, `window-${site.id}.json`), JSON.stringify({ site: site.id, pid: site.child.pid, wallStart, wallEnd, childStartMs: a.at, childEndMs: b.at }))
  }
  const windowUs = (b.at - a.at) * 1000
  const result: IdleCpu = { pct: (b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system) / windowUs * 100, windowMs: b.at - a.at }
  if (ta !== undefined && tb !== undefined) {
    // /proc counts in clock ticks of 10 ms on Linux
    result.threads = Object.fromEntries([...tb].map(([name, t]) => [name, (t - (ta.get(name) ?? 0)) * 10 / (b.at - a.at) * 100]))
  }
  return result
}

/**
 * Starts one site process through `start`, with `--cpu-prof` in its NODE_OPTIONS when
 * `FLOTILLA_BENCH_CPU_PROF` names a directory. The environment is restored before the
 * start resolves: spawn copies it synchronously.
 */
export async function startMaybeProfiled (start: () => Promise<SiteProcess>): Promise<SiteProcess> {
  const profDir = process.env['FLOTILLA_BENCH_CPU_PROF']
  if (profDir === undefined || profDir === '') return await start()
  const before = process.env['NODE_OPTIONS']
  process.env['NODE_OPTIONS'] = `${before ?? ''} --cpu-prof --cpu-prof-dir=${profDir} --cpu-prof-interval=500`.trim()
  let started: Promise<SiteProcess>
  try {
    started = start()
  } finally {
    if (before === undefined) delete process.env['NODE_OPTIONS']
    else process.env['NODE_OPTIONS'] = before
  }
  return await started
}
