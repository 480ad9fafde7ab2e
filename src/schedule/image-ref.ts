/**
 * Container image references split the way Karmada's image overrider sees them:
 * `[registry/]repository[:tag][@digest]`. The first path segment is a registry only
 * when it looks like a host (has a dot or a port, or is `localhost`), as Docker decides.
 */

export interface ImageRef { registry: string, repository: string, tag: string, digest: string }

export function parseImage (ref: string): ImageRef | undefined {
  const trimmed = ref.trim()
  if (trimmed === '' || /\s/.test(trimmed)) return undefined
  const at = trimmed.indexOf('@')
  const digest = at >= 0 ? trimmed.slice(at + 1) : ''
  const rest = at >= 0 ? trimmed.slice(0, at) : trimmed
  const slash = rest.indexOf('/')
  const first = slash >= 0 ? rest.slice(0, slash) : ''
  const registry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : ''
  const path = registry !== '' ? rest.slice(slash + 1) : rest
  const colon = path.lastIndexOf(':')
  const tag = colon > path.lastIndexOf('/') ? path.slice(colon + 1) : ''
  const repository = colon > path.lastIndexOf('/') ? path.slice(0, colon) : path
  if (repository === '' || (at >= 0 && digest === '')) return undefined
  return { registry, repository, tag, digest }
}

export function formatImage (r: ImageRef): string {
  return `${r.registry !== '' ? `${r.registry}/` : ''}${r.repository}${r.tag !== '' ? `:${r.tag}` : ''}${r.digest !== '' ? `@${r.digest}` : ''}`
}

const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/

/** Karmada's `Tag` component covers the tag or, when there is none, the digest. */
export function setTagOrDigest (r: ImageRef, value: string): ImageRef {
  return DIGEST.test(value) ? { ...r, tag: '', digest: value } : { ...r, tag: value, digest: '' }
}

export function tagOrDigest (r: ImageRef): string {
  return r.tag !== '' ? r.tag : r.digest
}
