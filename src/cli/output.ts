/**
 * How the CLI reports: expected failures as `error[code]: message` plus a hint, never a
 * stack; unexpected ones with the stack, since they are bugs to report.
 */
import { errorExitCode, isFlotillaError } from '../model/errors.ts'

export interface CliStreams {
  out: (text: string) => void
  err: (text: string) => void
  /** Whether `err` is a terminal: progress bars are drawn only then (default false). */
  errIsTTY?: boolean
  /** Reads all of standard input (`apply -f -`). */
  readStdin?: () => Promise<string>
}

export const processStreams: CliStreams = {
  out: (text) => { process.stdout.write(text) },
  err: (text) => { process.stderr.write(text) },
  errIsTTY: process.stderr.isTTY === true,
  readStdin: async () => {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  }
}

/** Prints an error for the user and returns the exit status to use. */
export function reportError (e: unknown, streams: CliStreams): number {
  if (isFlotillaError(e)) {
    streams.err(`error[${e.code}]: ${e.message}\n  hint: ${e.hint}\n`)
    return errorExitCode(e.code)
  }
  const err = e instanceof Error ? e : new Error(String(e))
  streams.err(`error[internal]: ${err.message}\n  hint: this is a bug in Flotilla; please report it with the trace below.\n${err.stack ?? ''}\n`)
  return 1
}
