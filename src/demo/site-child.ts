/**
 * Entry of one demo site process: runs the site from its config exactly as `flotilla
 * site -c` does (`runSite`: LevelDB, libp2p, the Kubernetes-compatible API, the
 * dashboard), and adds what a supervised child needs. It tells the supervisor over IPC
 * when it is up (or why it could not start); it stops cleanly — API closed, store
 * flushed and closed, peers hung up — on SIGTERM or when the supervisor's IPC channel
 * closes, so a demo that dies never leaves orphans holding LevelDB locks; and it ignores
 * the terminal's Ctrl-C, which reaches the whole process group, because the supervisor
 * owns the shutdown order. Logs (JSON lines) go to stderr, which the supervisor sends
 * to `<site>/site.log`.
 */
import { loadSiteConfig } from '../config/load.ts'
import { createPinoLogger } from '../log/pino-logger.ts'
import { isFlotillaError } from '../model/errors.ts'
import { runSite, type RunningSite } from '../runtime/run-site.ts'

export type SiteChildMessage =
  | { type: 'ready', siteId: string, peerId: string, apiUrl?: string, dashboardUrl?: string }
  | { type: 'failed', code: string, message: string, hint?: string }

function send (message: SiteChildMessage): void {
  if (process.send !== undefined && process.connected) process.send(message)
}

function note (msg: string): void {
  process.stderr.write(JSON.stringify({ level: 30, time: Date.now(), name: 'flotilla:demo-child', msg }) + '\n')
}

async function start (configPath: string | undefined): Promise<RunningSite> {
  if (configPath === undefined) throw new Error('usage: site-child.ts <site.yaml>')
  const config = await loadSiteConfig(configPath)
  const logger = createPinoLogger({ level: config.log.level, name: `flotilla:${config.site.id}` })
  return await runSite({ config, logger })
}

function exitSoon (): void {
  if (process.connected) process.disconnect()
  // Lingering sockets or timers must not keep a stopped site alive.
  setTimeout(() => process.exit(), 200).unref()
}

const starting = start(process.argv[2])
let stopping = false

async function stop (why: string): Promise<void> {
  if (stopping) return
  stopping = true
  note(`stopping (${why})`)
  try {
    const running = await starting.catch(() => undefined)
    await running?.stop()
    note('stopped cleanly')
  } catch (e) {
    process.stderr.write(`stop failed: ${(e as Error).stack ?? String(e)}\n`)
    process.exitCode = 1
  }
  exitSoon()
}

process.on('SIGTERM', () => { void stop('SIGTERM') })
process.on('SIGINT', () => {
  // Under a supervisor, Ctrl-C is its to handle (it sends SIGTERM); alone, stop.
  if (process.send === undefined || !process.connected) void stop('SIGINT')
})
process.on('disconnect', () => { void stop('the supervisor went away') })

try {
  const running = await starting
  if (!stopping) {
    const ready: SiteChildMessage = { type: 'ready', siteId: running.site.siteId, peerId: running.site.peerId }
    if (running.apiUrl !== undefined) ready.apiUrl = running.apiUrl
    if (running.dashboardUrl !== undefined) ready.dashboardUrl = running.dashboardUrl
    send(ready)
  }
} catch (e) {
  const failed: SiteChildMessage = isFlotillaError(e)
    ? { type: 'failed', code: e.code, message: e.message, hint: e.hint }
    : { type: 'failed', code: (e as NodeJS.ErrnoException).code ?? 'internal', message: (e as Error).message ?? String(e) }
  process.stderr.write(`site failed to start: ${(e as Error).stack ?? String(e)}\n`)
  send(failed)
  process.exitCode = 1
  exitSoon()
}
