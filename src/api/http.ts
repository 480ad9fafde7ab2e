/**
 * Writing responses: JSON bodies with the headers the apiserver sends, and Statuses.
 * Request-body decoding is shared with the cluster emulator (k8s-semantics.ts).
 */
import type { ServerResponse } from 'node:http'
import type { ApiStatus } from './status-table.ts'

export function sendJson (res: ServerResponse, code: number, body: string, contentType = 'application/json'): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-cache, private'
  })
  res.end(body)
}

export function sendBytes (res: ServerResponse, code: number, body: Uint8Array, contentType: string): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': body.byteLength, 'Cache-Control': 'no-cache, private' })
  res.end(body)
}

export function sendStatus (res: ServerResponse, status: ApiStatus): void {
  sendJson(res, status.code, JSON.stringify(status))
}

export function flag (q: URLSearchParams, name: string): boolean {
  const v = q.get(name)
  return v === 'true' || v === '1'
}
