/**
 * Checks, before anything starts, that every port of the demo layout is free on its
 * host, so a busy port is reported once, by number and purpose, with the flag that moves
 * the whole block, instead of as a half-started federation with one site missing.
 */
import { createServer } from 'node:net'
import { FlotillaError } from '../model/errors.ts'
import { DEMO_SITES, layoutPorts, lastPort, PORTS_PER_SITE, type DemoLayout } from './layout.ts'

function tryListen (host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', (e: NodeJS.ErrnoException) => { resolve(e) })
    server.listen({ port, host, exclusive: true }, () => { server.close(() => { resolve(undefined) }) })
  })
}

/** Throws `port-in-use` naming the first busy port, what the demo wanted it for, and `--base-port`. */
export async function assertPortsFree (layout: DemoLayout): Promise<void> {
  for (const { port, what } of layoutPorts(layout)) {
    const error = await tryListen(layout.host, port)
    if (error === undefined) continue
    const next = layout.basePort + 1000
    const span = `${layout.basePort}–${lastPort(layout.basePort)}`
    throw new FlotillaError('port-in-use',
      `port ${port} on ${layout.host} (${what}) is not available: ${error.code ?? error.message}`,
      `Another \`npm start\` may still be running, or another program holds the port. Stop it, or move the demo's ports with --base-port, e.g. \`npm start -- --base-port ${next}\` (the demo uses ${DEMO_SITES.length} blocks of ${PORTS_PER_SITE} ports, now ${span}).`,
      { details: { port, what, host: layout.host, code: error.code } })
  }
}

/** Validates a `--base-port` value: an integer such that every port of the layout fits. */
export function parseBasePort (raw: string): number {
  const n = Number(raw)
  const max = 65535 - (lastPort(0))
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1024 || n > max) {
    throw new FlotillaError('input-invalid', `'--base-port' must be an integer from 1024 to ${max}: received ${JSON.stringify(raw)}`,
      `The demo listens on ${lastPort(0) + 1} ports from the base port on; pick e.g. --base-port 8400.`)
  }
  return n
}
