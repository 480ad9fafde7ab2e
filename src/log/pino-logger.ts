/**
 * Binds the core's Logger port to pino: one JSON object per line on stderr (so stdout
 * stays free for command output), with the level from the site config.
 */
import { pino, type Level } from 'pino'
import type { Logger } from '../ports/logger.ts'

export function createPinoLogger (options: { level?: Level | 'silent', name?: string, destination?: number } = {}): Logger {
  const root = pino({ name: options.name ?? 'flotilla', level: options.level ?? 'info' }, pino.destination(options.destination ?? 2))
  return wrap(root)
}

function wrap (p: pino.Logger): Logger {
  return {
    debug: (obj, msg) => { p.debug(obj, msg) },
    info: (obj, msg) => { p.info(obj, msg) },
    warn: (obj, msg) => { p.warn(obj, msg) },
    error: (obj, msg) => { p.error(obj, msg) },
    child: (bindings) => wrap(p.child(bindings))
  }
}
