/**
 * The simulator's Logger: debug and info are dropped (they would cost more than the
 * sites they describe), warnings and errors are counted per site and the first few
 * errors kept with their virtual time, so a report can show what the core complained
 * about without slowing every run down.
 */
import type { Logger } from '../../src/ports/logger.ts'

export interface LogSink {
  warnings: number
  errors: number
  /** The first errors, oldest first. */
  firstErrors: Array<{ timeMs: number, site: string, msg: string, detail: string }>
}

const KEEP = 20

export function createLogSink (): LogSink {
  return { warnings: 0, errors: 0, firstErrors: [] }
}

export function createSimLogger (sink: LogSink, site: string, now: () => number, bindings: Record<string, unknown> = {}): Logger {
  const logger: Logger = {
    debug () {},
    info () {},
    warn () { sink.warnings++ },
    error (obj, msg) {
      sink.errors++
      if (sink.firstErrors.length < KEEP) {
        let detail: string
        try { detail = JSON.stringify({ ...bindings, ...obj }) } catch { detail = String(obj) }
        sink.firstErrors.push({ timeMs: now(), site, msg, detail: detail.slice(0, 2000) })
      }
    },
    child (more) { return createSimLogger(sink, site, now, { ...bindings, ...more }) }
  }
  return logger
}
