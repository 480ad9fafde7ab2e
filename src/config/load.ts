/**
 * Reads a site config file (YAML or JSON), validates it and resolves relative paths
 * against the file's directory. Every problem is reported at once, each as
 * `path: what was expected (received ...)`, in one `config-invalid` error.
 */
import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import type { z } from 'zod'
import { FlotillaError } from '../model/errors.ts'
import { siteConfigSchema, type SiteConfig } from './schema.ts'

export interface ConfigIssue { path: string, message: string }

export function formatIssuePath (path: readonly PropertyKey[]): string {
  let out = ''
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`
    else out += out === '' ? String(p) : `.${String(p)}`
  }
  return out === '' ? '(root)' : out
}

export function issuesOf (error: z.ZodError): ConfigIssue[] {
  return error.issues.map((i) => ({ path: formatIssuePath(i.path), message: readableMessage(i.message) }))
}

function readableMessage (message: string): string {
  const missing = /^Invalid input: expected (\w+), received undefined$/.exec(message)
  return missing === null ? message : `required: expected ${missing[1] ?? 'a value'}`
}

/** Validates an already-parsed config object. `source` names it in messages. */
export function parseSiteConfig (raw: unknown, source: string): SiteConfig {
  const result = siteConfigSchema.safeParse(raw)
  if (result.success) return result.data
  const issues = issuesOf(result.error)
  throw new FlotillaError('config-invalid',
    `${source} is not a valid site config:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`,
    'Fix each field listed above; `flotilla init --help` shows how to generate a valid config.',
    { details: { source, issues } })
}

export async function loadSiteConfig (file: string): Promise<SiteConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new FlotillaError('config-not-found', `cannot read config file ${file}: ${(e as Error).message}`,
      'Pass the path of a site config with --config, or create one with `flotilla init`.', { cause: e })
  }
  let raw: unknown
  try {
    raw = parseYaml(text)
  } catch (e) {
    throw new FlotillaError('config-invalid', `${file} is not valid YAML or JSON: ${(e as Error).message}`,
      'Check the indentation and quoting near the position given.', { cause: e })
  }
  const config = parseSiteConfig(raw, file)
  return resolveConfigPaths(config, dirname(resolve(file)))
}

function resolveConfigPaths (config: SiteConfig, base: string): SiteConfig {
  const abs = (p: string): string => isAbsolute(p) ? p : resolve(base, p)
  return {
    ...config,
    dataDir: abs(config.dataDir),
    keyFile: abs(config.keyFile ?? `${config.dataDir}/site.key`),
    clusters: config.clusters.map((c) => c.kubeconfig === undefined ? c : { ...c, kubeconfig: abs(c.kubeconfig) })
  }
}
