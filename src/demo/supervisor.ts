/**
 * Starts the demo's site processes (`site-child.ts`, one per site, on this Node) and
 * watches them: each child's output goes to its site's log file, its start is reported
 * over IPC, an exit nobody asked for is reported to the caller (the failover demo keeps
 * the others running), and `stop` ends them all in order — SIGTERM, a bounded wait for
 * the clean shutdown, SIGKILL for anything still there — so no child outlives the demo.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FlotillaError } from '../model/errors.ts'
import { SITE_V8_FLAGS } from '../platform/v8-flags.ts'
import type { SiteChildMessage } from './site-child.ts'

const CHILD_ENTRY = fileURLToPath(new URL('./site-child.ts', import.meta.url))

/**
 * Node's on-disk compile cache for the site processes (unless the user set one): each
 * loads a few hundred modules, and on a busy laptop reusing their compiled code saves
 * about a third of a site's start-up CPU. Keyed by file content, so never stale.
 */
export const COMPILE_CACHE_DIR = join(tmpdir(), 'flotilla-node-compile-cache')

export interface SiteReady {
  peerId: string
  apiUrl?: string
  dashboardUrl?: string
}

export interface ExitInfo {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface SupervisedSite {
  id: string
  pid: number
  logPath: string
  /** Resolves when the site serves its API and dashboard; rejects if it exits first. */
  ready: Promise<SiteReady>
  exited: Promise<ExitInfo>
  /** Whether the process is still running. */
  alive (): boolean
}

export interface StopReport {
  /** Sites that stopped on SIGTERM within the wait, with exit code 0. */
  clean: string[]
  /** Sites that stopped on SIGTERM but reported a failure while stopping (see their logs). */
  failed: string[]
  /** Sites that had to be SIGKILLed. */
  killed: string[]
}

export interface Supervisor {
  start (site: { id: string, configPath: string, logPath: string }): SupervisedSite
  sites (): SupervisedSite[]
  /** Stops every running site: SIGTERM, then SIGKILL after `graceMs` (default 10,000). */
  stop (graceMs?: number): Promise<StopReport>
  /** SIGKILLs every running site at once (a second Ctrl-C while stopping). */
  killAll (): void
}

export interface SupervisorOptions {
  /** Called when a site that was ready exits while the supervisor is not stopping it. */
  onUnexpectedExit?: (site: SupervisedSite, info: ExitInfo) => void
  /** Node executable for the children (default this process's). */
  execPath?: string
}

export function describeExit (info: ExitInfo): string {
  return info.signal !== null ? `killed by ${info.signal}` : `exit code ${String(info.code)}`
}

export function createSupervisor (options: SupervisorOptions = {}): Supervisor {
  const children = new Map<string, { site: SupervisedSite, child: ChildProcess }>()
  let stopping = false

  function start (spec: { id: string, configPath: string, logPath: string }): SupervisedSite {
    const log = openSync(spec.logPath, 'a', 0o600)
    writeSync(log, `--- flotilla demo: starting site ${spec.id} at ${new Date().toISOString()} ---\n`)
    let child: ChildProcess
    try {
      child = spawn(options.execPath ?? process.execPath, [...SITE_V8_FLAGS, CHILD_ENTRY, spec.configPath], {
        stdio: ['ignore', log, log, 'ipc'],
        env: { ...process.env, NODE_COMPILE_CACHE: process.env['NODE_COMPILE_CACHE'] ?? COMPILE_CACHE_DIR }
      })
    } finally {
      closeSync(log)
    }
    let running = true
    let wasReady = false
    let failure: Extract<SiteChildMessage, { type: 'failed' }> | undefined
    const exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => { running = false; resolve({ code, signal }) })
    })
    const ready = new Promise<SiteReady>((resolve, reject) => {
      child.on('message', (m: SiteChildMessage) => {
        if (m.type === 'ready') {
          wasReady = true
          const r: SiteReady = { peerId: m.peerId }
          if (m.apiUrl !== undefined) r.apiUrl = m.apiUrl
          if (m.dashboardUrl !== undefined) r.dashboardUrl = m.dashboardUrl
          resolve(r)
        } else if (m.type === 'failed') {
          failure = m
        }
      })
      child.once('error', (e) => {
        reject(new FlotillaError('internal', `cannot start the process of site ${spec.id}: ${e.message}`, 'Check that Node 22 runs here (npm start uses node_modules/.bin/node).', { cause: e }))
      })
      void exited.then((info) => {
        if (wasReady) return
        const why = failure === undefined ? describeExit(info) : `error[${failure.code}]: ${failure.message}`
        const busy = failure?.code === 'port-in-use' || failure?.code === 'EADDRINUSE'
        reject(new FlotillaError(busy ? 'port-in-use' : 'internal', `site ${spec.id} stopped before it was up (${why})`,
          `${failure?.hint !== undefined ? `${failure.hint} ` : ''}See its log: ${spec.logPath}`, { details: { site: spec.id, ...info } }))
      })
    })
    // A rejection nobody awaits (a site that died while another step failed) must not crash the demo.
    ready.catch(() => undefined)
    const site: SupervisedSite = { id: spec.id, pid: child.pid ?? -1, logPath: spec.logPath, ready, exited, alive: () => running }
    children.set(spec.id, { site, child })
    void exited.then((info) => {
      if (wasReady && !stopping) options.onUnexpectedExit?.(site, info)
    })
    return site
  }

  async function stop (graceMs = 10_000): Promise<StopReport> {
    stopping = true
    const report: StopReport = { clean: [], failed: [], killed: [] }
    await Promise.all([...children.values()].map(async ({ site, child }) => {
      if (!site.alive()) return
      child.kill('SIGTERM')
      let timer: NodeJS.Timeout | undefined
      const timedOut = await Promise.race([
        site.exited.then(() => false),
        new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), graceMs) })
      ])
      clearTimeout(timer)
      if (timedOut && site.alive()) {
        child.kill('SIGKILL')
        await site.exited
        report.killed.push(site.id)
      } else {
        const info = await site.exited
        if (info.code === 0) report.clean.push(site.id)
        else report.failed.push(site.id)
      }
    }))
    for (const list of Object.values(report)) list.sort()
    return report
  }

  return {
    start,
    sites: () => [...children.values()].map((c) => c.site),
    stop,
    killAll () {
      stopping = true
      for (const { site, child } of children.values()) if (site.alive()) child.kill('SIGKILL')
    }
  }
}
