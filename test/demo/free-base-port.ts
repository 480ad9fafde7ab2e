/**
 * A base port for the demo layout whose every port is free on loopback, for tests and
 * the start benchmark: tries bases in 20,000–32,000 (below Linux's ephemeral range, so
 * outgoing connections do not take them meanwhile) until one fits.
 */
import { createServer } from 'node:net'
import { demoLayout, layoutPorts } from '../../src/demo/layout.ts'

function free (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => { resolve(false) })
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => { s.close(() => { resolve(true) }) })
  })
}

export async function freeBasePort (attempts = 50): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const base = 20_000 + Math.floor(Math.random() * 400) * 30
    const ports = layoutPorts(demoLayout({ dir: '/unused', basePort: base }))
    let ok = true
    for (const { port } of ports) if (!await free(port)) { ok = false; break }
    if (ok) return base
  }
  throw new Error(`no free block of demo ports found in ${attempts} attempts`)
}
