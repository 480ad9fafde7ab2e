/**
 * HTTP plumbing shared by the emulator's handlers: reading a bounded request body and
 * decoding it by content type (JSON, YAML, the patch types, kubectl's protobuf), writing JSON and Status
 * responses, content negotiation for Tables and partial metadata, and a per-object cache
 * of serialised JSON (stored objects never change, so each is encoded at most once).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { parse as parseYaml } from 'yaml'
import type { KubeObject } from '../model/kube.ts'
import { badRequest, isKubeApiError, statusError, type KubeStatus } from './api-errors.ts'
import { decodeKubeProtobuf } from './protobuf.ts'

const encoded = new WeakMap<object, string>()

/** JSON of a stored (immutable) object, encoded once. */
export function objectJson (o: KubeObject | KubeStatus | object): string {
  let s = encoded.get(o)
  if (s === undefined) {
    s = JSON.stringify(o)
    encoded.set(o, s)
  }
  return s
}

export async function readBody (req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const b = chunk as Buffer
    size += b.length
    if (size > limit) throw statusError(413, 'RequestEntityTooLarge', `the request body is larger than the server's limit of ${limit} bytes`)
    chunks.push(b)
  }
  return Buffer.concat(chunks)
}

export function mediaType (contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}

/** Decodes a body: JSON for JSON media types, YAML (a JSON superset) for apply and yaml. */
export function decodeBody (body: Buffer, contentType: string): unknown {
  const type = mediaType(contentType)
  if (type === 'application/vnd.kubernetes.protobuf') return body.length === 0 ? undefined : decodeKubeProtobuf(body)
  if (type === 'application/cbor' || type === 'application/apply-patch+cbor') {
    throw statusError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf')
  }
  const text = body.toString('utf8')
  if (text.trim() === '') return undefined
  const yamlish = type === 'application/apply-patch+yaml' || type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml'
  try {
    return JSON.parse(text) as unknown
  } catch (e) {
    if (!yamlish) throw badRequest(`the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (${(e as Error).message})`)
  }
  try {
    return parseYaml(text) as unknown
  } catch (e) {
    throw badRequest(`error decoding YAML: ${(e as Error).message}`)
  }
}

export type Representation = 'object' | 'table' | 'metadata'

/** What the client asked for in Accept: a Table, partial metadata, or the objects. */
export function representationOf (accept: string | undefined): Representation {
  if (accept === undefined) return 'object'
  for (const part of accept.split(',')) {
    const params = part.split(';').map((p) => p.trim())
    const as = params.find((p) => p.startsWith('as='))?.slice(3)
    const group = params.find((p) => p.startsWith('g='))?.slice(2)
    if (group !== 'meta.k8s.io') continue
    if (as === 'Table') return 'table'
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return 'metadata'
  }
  return 'object'
}

export function sendJson (res: ServerResponse, code: number, body: string): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-cache, private'
  })
  res.end(body)
}

export function sendStatus (res: ServerResponse, status: KubeStatus): void {
  sendJson(res, status.code, objectJson(status))
}

/** Sends any thrown value as a Status: Kubernetes errors as they are, anything else as a 500. */
export function sendError (res: ServerResponse, e: unknown): void {
  if (isKubeApiError(e)) { sendStatus(res, e.status); return }
  const message = e instanceof Error ? e.message : String(e)
  sendStatus(res, statusError(500, 'InternalError', `Internal error occurred: ${message}`).status)
}
