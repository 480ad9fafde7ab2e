/**
 * The dashboard's browser files (HTML, ES modules, CSS, an icon), hand-written in
 * `src/ui/assets/` and read from disk once when the server is created: no bundler, no
 * network at run time. Each gets a content hash as its ETag, so browsers revalidate
 * cheaply, and only files in that table are ever served (no path from a URL reaches
 * the file system).
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { extname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FlotillaError } from '../model/errors.ts'

export interface Asset {
  body: Buffer
  contentType: string
  etag: string
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8'
}

export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('./assets/', import.meta.url))

function walk (dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...walk(path))
    else if (entry.isFile()) out.push(path)
  }
  return out
}

/** Every servable file under `dir`, by URL path relative to it (`app.js`, `views/sites.js`). */
export function loadAssets (dir: string = DEFAULT_ASSETS_DIR): Map<string, Asset> {
  let files: string[]
  try {
    files = walk(dir)
  } catch (e) {
    throw new FlotillaError('config-invalid', `dashboard assets are missing: cannot read ${dir}`, 'Reinstall Flotilla; the folder src/ui/assets ships with it.', { cause: e })
  }
  const out = new Map<string, Asset>()
  for (const file of files) {
    const contentType = CONTENT_TYPES[extname(file)]
    if (contentType === undefined) continue
    const body = readFileSync(file)
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
    out.set(relative(dir, file).split(sep).join('/'), { body, contentType, etag })
  }
  if (!out.has('index.html')) {
    throw new FlotillaError('config-invalid', `dashboard assets in ${dir} have no index.html`, 'Reinstall Flotilla; the folder src/ui/assets ships with it.')
  }
  return out
}
