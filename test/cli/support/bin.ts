/**
 * `bin/flotilla.js` in a child process on the project's Node, as a user runs it: `run`
 * for a command that ends (bounded, SIGKILLed past its deadline), `start` for one that
 * runs until signalled (site, agent, kube-emulator, demo), with bounded waits on its
 * output and on its exit. Every wait ends in a clear failure rather than a hung test.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

export const BIN = join(import.meta.dirname, '../../../bin/flotilla.js')

export interface BinOptions {
  env?: Record<string, string>
  cwd?: string
  /** Own process group, so a test can signal it as a terminal's Ctrl-C does (`signalGroup`). */
  detached?: boolean
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface RunningBin {
  child: ChildProcess
  stdout (): string
  stderr (): string
  /** Resolves with the output once `pattern` appears on stdout or stderr; rejects if the process exits first or `timeoutMs` passes. */
  waitFor (pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>
  /** Resolves when the process exits; rejects (after a SIGKILL) if it is still running after `timeoutMs`. */
  exit (timeoutMs: number): Promise<Exit>
  /** Sends `signal` to the whole process group (needs `detached`), as Ctrl-C in a terminal does. */
  signalGroup (signal: NodeJS.Signals): void
  /** SIGKILLs the process (and its group when detached) if it still runs; for cleanup. */
  kill (): void
}

export function startFlotilla (args: readonly string[], options: BinOptions = {}): RunningBin {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...options.env }, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached === true
  })
  let stdout = ''
  let stderr = ''
  const listeners = new Set<() => void>()
  const changed = (): void => { for (const l of listeners) l() }
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); changed() })
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); changed() })
  let exited: Exit | undefined
  const closed = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => { exited = { code, signal, stdout, stderr }; changed(); resolve(exited) })
  })
  const running = (): boolean => exited === undefined
  const handle: RunningBin = {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor (pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = stdout.match(pattern) ?? stderr.match(pattern)
          if (m !== null) { done(); resolve(m); return }
          if (!running()) { done(); reject(new Error(`flotilla ${args.join(' ')} exited (${String(exited?.code)}) before printing ${String(pattern)}:\n${stdout}\n${stderr}`)) }
        }
        const timer = setTimeout(() => { done(); reject(new Error(`flotilla ${args.join(' ')} did not print ${String(pattern)} within ${timeoutMs} ms:\n${stdout}\n${stderr}`)) }, timeoutMs)
        const done = (): void => { clearTimeout(timer); listeners.delete(check) }
        listeners.add(check)
        check()
      })
    },
    async exit (timeoutMs) {
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), timeoutMs) })
      const r = await Promise.race([closed, late])
      clearTimeout(timer)
      if (r === 'late') {
        handle.kill()
        throw new Error(`flotilla ${args.join(' ')} still ran ${timeoutMs} ms after it was asked to stop:\n${stdout}\n${stderr}`)
      }
      return r
    },
    signalGroup (signal) {
      if (options.detached !== true || child.pid === undefined) throw new Error('signalGroup needs a detached process')
      process.kill(-child.pid, signal)
    },
    kill () {
      if (child.pid === undefined) return
      try {
        if (options.detached === true) process.kill(-child.pid, 'SIGKILL')
        else if (running()) child.kill('SIGKILL')
      } catch {
        // Already gone.
      }
    }
  }
  return handle
}

/** Runs a command that ends by itself; SIGKILLs it after `timeoutMs`. */
export async function runFlotilla (args: readonly string[], options: BinOptions & { timeoutMs?: number } = {}): Promise<Exit> {
  const run = startFlotilla(args, options)
  return await run.exit(options.timeoutMs ?? 30_000)
}
