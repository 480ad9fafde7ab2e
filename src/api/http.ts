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

/** Longest warning text sent; the rest is cut (the apiserver bounds its warnings too). */
const WARNING_MAX = 512

/**
 * Sets `Warning: 299 - "<text>"` headers, the form the apiserver uses and kubectl prints
 * as `Warning: <text>`. Header values carry printable ASCII only, quotes escaped.
 */
export function setWarnings (res: ServerResponse, texts: readonly string[]): void {
  if (texts.length === 0 || res.headersSent) return
  res.setHeader('Warning', texts.map((t) => {
    const printable = t.replace(/[^\x20-\x7e]/g, '?')
    const cut = printable.length > WARNING_MAX ? `${printable.slice(0, WARNING_MAX - 3)}...` : printable
    return `299 - "${cut.replace(/["\\]/g, '\\$&')}"`
  }))
}
