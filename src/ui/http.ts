/**
 * Response helpers for the dashboard server: JSON and text answers with the headers
 * every answer carries (a strict Content-Security-Policy — the app loads only its own
 * files, so a workload name or evidence detail written by a hostile peer can never run
 * as script — no sniffing, no framing, no referrer), and errors as `{code, message, hint}`.
 */
import type { ServerResponse } from 'node:http'
import { isFlotillaError } from '../model/errors.ts'

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin'
}

export function send (res: ServerResponse, status: number, body: string | Buffer, contentType: string, headers: Record<string, string> = {}, head = false): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': contentType, 'Content-Length': String(bytes.length), ...headers })
  res.end(head ? undefined : bytes)
}

export function sendJson (res: ServerResponse, status: number, value: unknown, head = false): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8', { 'Cache-Control': 'no-store' }, head)
}

/** HTTP status of an error the dashboard answers with; anything unexpected is a 500. */
export function errorStatus (e: unknown): number {
  if (!isFlotillaError(e)) return 500
  switch (e.code) {
    case 'input-invalid': return 400
    case 'not-found': return 404
    case 'forbidden': return 403
    default: return 500
  }
}

export function sendError (res: ServerResponse, e: unknown, head = false): void {
  const status = errorStatus(e)
  const body = isFlotillaError(e) && status < 500
    ? { code: e.code, message: e.message, hint: e.hint }
    : { code: 'internal', message: 'the dashboard failed to answer', hint: 'See the site log for the error.' }
  sendJson(res, status, body, head)
}
