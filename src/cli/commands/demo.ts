/**
 * `flotilla demo` (`npm start`): runs a three-site federation on this machine with a
 * sample application until Ctrl-C, then stops every site cleanly; the next run resumes
 * from disk. The work is `startDemo` (src/demo/run-demo.ts); this command only reads the
 * flags, owns the signals (first Ctrl-C stops cleanly, a second one kills) and prints
 * how the stop went. See docs/demo.md.
 */
import type { Command } from 'commander'
import type { CliStreams } from '../output.ts'

interface DemoFlags {
  dir: string
  basePort?: string
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

export function registerDemoCommand (program: Command, streams: CliStreams): void {
  program.command('demo')
    .description('run a three-site federation with emulated clusters and a sample app on this machine (npm start)')
    .option('--dir <dir>', 'directory for the sites\' keys, configs, LevelDB stores and logs', '.flotilla')
    .option('--base-port <port>', 'first of the demo\'s 27 consecutive loopback ports (default 7400, or what the previous run in --dir used)')
    .action(async (flags: DemoFlags) => {
      // Loaded on use, so other commands do not pay for the emulator and the supervisor;
      // through the compile cache the site processes share (see supervisor.ts).
      const { COMPILE_CACHE_DIR } = await import('../../demo/supervisor.ts')
      const { enableCompileCache } = await import('node:module')
      enableCompileCache?.(process.env['NODE_COMPILE_CACHE'] ?? COMPILE_CACHE_DIR)
      const { startDemo } = await import('../../demo/run-demo.ts')
      const { parseBasePort } = await import('../../demo/port-check.ts')
      const basePort = flags.basePort === undefined ? undefined : parseBasePort(flags.basePort)
      const abort = new AbortController()
      let demo: Awaited<ReturnType<typeof startDemo>> | undefined
      let signalled: string | undefined
      let stopRequested: () => void = () => {}
      const stopped = new Promise<void>((resolve) => { stopRequested = resolve })
      const onSignal = (sig: string): void => {
        if (signalled !== undefined) {
          streams.err(`\n${sig} again: killing the site processes now (LevelDB recovers on the next start).\n`)
          demo?.supervisor.killAll()
          return
        }
        signalled = sig
        streams.err(`\n${sig}: stopping the demo (press Ctrl-C again to kill at once)...\n`)
        abort.abort()
        stopRequested()
      }
      for (const s of SIGNALS) process.on(s, onSignal)
      try {
        try {
          demo = await startDemo({
            dir: flags.dir,
            ...(basePort === undefined ? {} : { basePort }),
            out: streams.out,
            live: streams.errIsTTY === true && process.stdout.isTTY === true,
            signal: abort.signal
          })
        } catch (e) {
          if (signalled !== undefined) { streams.out('Stopped while starting; the next `npm start` resumes from disk.\n'); return }
          throw e
        }
        await stopped
        const report = await demo.stop()
        const parts = [
          report.clean.length > 0 ? `${report.clean.join(', ')} stopped cleanly` : '',
          report.failed.length > 0 ? `${report.failed.join(', ')} reported errors while stopping (see their site.log)` : '',
          report.killed.length > 0 ? `${report.killed.join(', ')} had to be killed` : ''
        ].filter((p) => p !== '')
        streams.out(`Stopped: ${parts.length > 0 ? parts.join('; ') : 'no site was running'}. State is kept in ${demo.layout.dir}; the next \`npm start\` resumes from it.\n`)
      } finally {
        for (const s of SIGNALS) process.off(s, onSignal)
      }
    })
}
