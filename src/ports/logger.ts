/**
 * Logger port: structured, levelled logging for the core. Production binds pino (JSON
 * lines); tests and the simulator bind a recorder or a silent logger.
 */

export interface Logger {
  debug (obj: Record<string, unknown>, msg: string): void
  info (obj: Record<string, unknown>, msg: string): void
  warn (obj: Record<string, unknown>, msg: string): void
  error (obj: Record<string, unknown>, msg: string): void
  child (bindings: Record<string, unknown>): Logger
}

export const silentLogger: Logger = {
  debug () {},
  info () {},
  warn () {},
  error () {},
  child () { return silentLogger }
}
