/**
 * Reads the objects of `-f` arguments: files, directories (their .yaml, .yml and .json
 * files in name order; subdirectories with --recursive) and `-` for standard input.
 * Files hold one or more YAML documents or JSON; a `kind: List` is expanded into its
 * items. Every object keeps where it came from (`web.yaml#2`) for result and error
 * lines, and anything that is not an object with apiVersion, kind and metadata.name is
 * refused before a single request is made.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { FlotillaError } from '../../model/errors.ts'

export interface ManifestObject {
  apiVersion: string
  kind: string
  metadata: { name: string, namespace?: string, [k: string]: unknown }
  [k: string]: unknown
}

export interface SourcedObject {
  object: ManifestObject
  /** `file#n` (n counts documents from 1), or `stdin#n`. */
  source: string
}

export interface ReadOptions {
  recursive?: boolean
  readStdin?: () => Promise<string>
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json'])

function bad (message: string, hint = 'Each document needs apiVersion, kind and metadata.name, as kubectl expects.'): FlotillaError {
  return new FlotillaError('input-invalid', message, hint)
}

async function filesOf (path: string, recursive: boolean): Promise<string[]> {
  let info
  try {
    info = await stat(path)
  } catch (e) {
    throw new FlotillaError('input-invalid', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`,
      'Check the path given to -f (a file, a directory, or - for standard input).', { cause: e })
  }
  if (!info.isDirectory()) return [path]
  const out: string[] = []
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = join(path, entry.name)
    if (entry.isDirectory()) { if (recursive) out.push(...await filesOf(full, true)) } else if (EXTENSIONS.has(extname(entry.name))) out.push(full)
  }
  return out
}

function check (value: unknown, source: string): ManifestObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(`${source}: not an object`)
  const o = value as Record<string, unknown>
  const meta = o['metadata'] as Record<string, unknown> | undefined
  const missing = [
    typeof o['apiVersion'] === 'string' && o['apiVersion'] !== '' ? undefined : 'apiVersion',
    typeof o['kind'] === 'string' && o['kind'] !== '' ? undefined : 'kind',
    typeof meta?.['name'] === 'string' && meta['name'] !== '' ? undefined : 'metadata.name'
  ].filter((x) => x !== undefined)
  if (missing.length > 0) throw bad(`${source}: missing ${missing.join(', ')}`)
  if (meta?.['namespace'] !== undefined && typeof meta['namespace'] !== 'string') throw bad(`${source}: metadata.namespace must be a string`)
  return o as ManifestObject
}

/** The objects of one file's text. */
export function parseManifests (text: string, label: string): SourcedObject[] {
  const out: SourcedObject[] = []
  const docs = parseAllDocuments(text)
  const list = Array.isArray(docs) ? docs : []
  list.forEach((doc, i) => {
    const source = `${label}#${i + 1}`
    const err = doc.errors[0]
    if (err !== undefined) {
      const line = err.linePos?.[0]?.line
      throw bad(`${label}${line === undefined ? '' : `:${line}`}: not valid YAML or JSON: ${err.message.split('\n')[0]}`, 'Fix the syntax; documents are separated by lines of ---.')
    }
    const value: unknown = doc.toJS()
    if (value === null || value === undefined) return
    const o = value as { kind?: unknown, items?: unknown }
    if (o.kind === 'List' || (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items))) {
      if (!Array.isArray(o.items)) throw bad(`${source}: a List needs items`)
      o.items.forEach((item, j) => out.push({ object: check(item, `${source} item ${j + 1}`), source: `${source}.${j + 1}` }))
      return
    }
    out.push({ object: check(value, source), source })
  })
  return out
}

export async function readManifests (paths: readonly string[], options: ReadOptions = {}): Promise<SourcedObject[]> {
  if (paths.length === 0) throw bad('no manifests given', 'Pass -f <file|dir|->.')
  const out: SourcedObject[] = []
  for (const p of paths) {
    if (p === '-') {
      if (options.readStdin === undefined) throw bad('cannot read standard input here', 'Pass a file instead of -.')
      out.push(...parseManifests(await options.readStdin(), 'stdin'))
      continue
    }
    const files = await filesOf(p, options.recursive === true)
    if (files.length === 0) throw bad(`${p}: no .yaml, .yml or .json files`, 'Point -f at manifests (use -R to include subdirectories).')
    for (const f of files) out.push(...parseManifests(await readFile(f, 'utf8'), f))
  }
  if (out.length === 0) throw bad(`no objects in ${paths.join(', ')}`, 'The files hold only empty documents.')
  return out
}
