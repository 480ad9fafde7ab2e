/** Free TCP ports on loopback, found by letting the OS pick and releasing them at once. */
import { createServer } from 'node:net'

export async function freePorts (n: number): Promise<number[]> {
  const ports: number[] = []
  while (ports.length < n) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer()
      s.on('error', reject)
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
    if (!ports.includes(port)) ports.push(port)
  }
  return ports
}
