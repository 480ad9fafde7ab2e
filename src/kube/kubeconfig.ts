/**
 * Loads the kubeconfig of a member cluster for @kubernetes/client-node: from a file
 * path, a YAML string or a ready `KubeConfig`, with an optional context. Every failure
 * is a `config-invalid` / `config-not-found` FlotillaError that names the file and the
 * context, so a wrong `clusters[].kubeconfig` reads as a config problem, not a stack.
 */
import { existsSync } from 'node:fs'
import { KubeConfig } from '@kubernetes/client-node'
import { FlotillaError } from '../model/errors.ts'

export type KubeconfigSource = string | KubeConfig | { yaml: string }

/** A fresh `KubeConfig` for `source`, switched to `context` when given. */
export function loadKubeConfig (source: KubeconfigSource, context?: string): KubeConfig {
  let kc: KubeConfig
  let where: string
  if (source instanceof KubeConfig) {
    kc = new KubeConfig()
    kc.loadFromOptions({ clusters: source.clusters, users: source.users, contexts: source.contexts, currentContext: source.currentContext })
    where = 'the given KubeConfig'
  } else if (typeof source === 'string') {
    where = source
    if (!existsSync(source)) {
      throw new FlotillaError('config-not-found', `kubeconfig ${source} does not exist`,
        'Point clusters[].kubeconfig at the member cluster\'s kubeconfig file (relative paths are from the config file).', { details: { path: source } })
    }
    kc = new KubeConfig()
    try { kc.loadFromFile(source) } catch (e) {
      throw new FlotillaError('config-invalid', `kubeconfig ${source} cannot be read: ${(e as Error).message}`,
        'Check that the file is a valid kubeconfig (kubectl --kubeconfig <file> config view).', { cause: e, details: { path: source } })
    }
  } else {
    where = 'the kubeconfig text'
    kc = new KubeConfig()
    try { kc.loadFromString(source.yaml) } catch (e) {
      throw new FlotillaError('config-invalid', `${where} cannot be parsed: ${(e as Error).message}`, 'Pass a valid kubeconfig YAML document.', { cause: e })
    }
  }
  if (context !== undefined) {
    if (kc.getContextObject(context) === null) {
      const known = kc.getContexts().map((c) => c.name).join(', ')
      throw new FlotillaError('config-invalid', `kubeconfig ${where} has no context "${context}" (it has: ${known === '' ? 'none' : known})`,
        'Fix clusters[].context or omit it to use the current context.', { details: { context } })
    }
    kc.setCurrentContext(context)
  }
  const cluster = kc.getCurrentCluster()
  if (cluster === null) {
    throw new FlotillaError('config-invalid', `kubeconfig ${where} has no current cluster`,
      'Set current-context in the kubeconfig or pass clusters[].context.')
  }
  if (cluster.server.startsWith('http:') && cluster.skipTLSVerify !== true) {
    throw new FlotillaError('config-invalid', `kubeconfig ${where}: cluster "${cluster.name}" uses plain http without insecure-skip-tls-verify`,
      '@kubernetes/client-node refuses http:// servers unless insecure-skip-tls-verify: true is set; use https or set it (test clusters only).')
  }
  return kc
}
