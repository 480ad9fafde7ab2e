/**
 * Key files on disk: a site's (or an agent's) ed25519 seed with its identity, written
 * with mode 0600 and never overwritten unless asked. Loading refuses a key that others
 * can read, since anyone holding it can sign as the site.
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { FlotillaError } from '../model/errors.ts'
import { fromHex, keyPairFromSeed, toHex, type KeyPair } from '../identity/keys.ts'
import { peerIdFromPublicKey } from '../identity/peer-id.ts'

export interface KeyFile {
  kind: 'site' | 'agent'
  /** Site id, or `<site>/<cluster>` for an agent. */
  id: string
  keys: KeyPair
}

interface KeyFileJson {
  version: 1
  kind: 'site' | 'agent'
  id: string
  publicKey: string
  peerId: string
  seed: string
}

/** Creates a key file; refuses to replace an existing one unless `force`. */
export async function createKeyFile (path: string, kind: KeyFile['kind'], id: string, options: { force?: boolean, seed?: Uint8Array } = {}): Promise<KeyFile> {
  const keys = keyPairFromSeed(options.seed ?? new Uint8Array(randomBytes(32)))
  const json: KeyFileJson = { version: 1, kind, id, publicKey: toHex(keys.publicKey), peerId: peerIdFromPublicKey(keys.publicKey), seed: toHex(keys.seed) }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  try {
    await writeFile(path, JSON.stringify(json, null, 2) + '\n', { mode: 0o600, flag: options.force === true ? 'w' : 'wx' })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new FlotillaError('key-exists', `a key already exists at ${path}`,
        'Keep it (it is this site\'s identity), or pass --force to replace it: peers will then refuse the old identity.', { details: { path } })
    }
    throw new FlotillaError('key-invalid', `cannot write key file ${path}: ${(e as Error).message}`, 'Check that the directory is writable.', { cause: e })
  }
  await chmod(path, 0o600)
  return { kind, id, keys }
}

export async function loadKeyFile (path: string): Promise<KeyFile> {
  let text: string
  try {
    const st = await stat(path)
    if ((st.mode & 0o077) !== 0) {
      throw new FlotillaError('key-permissions', `key file ${path} is readable by other users (mode ${(st.mode & 0o777).toString(8)})`,
        `Restrict it: chmod 600 ${path}`, { details: { path } })
    }
    text = await readFile(path, 'utf8')
  } catch (e) {
    if (e instanceof FlotillaError) throw e
    throw new FlotillaError('key-invalid', `cannot read key file ${path}: ${(e as Error).message}`,
      'Create the site with `flotilla init`, or point keyFile in the config at the right file.', { cause: e })
  }
  let json: KeyFileJson
  try { json = JSON.parse(text) as KeyFileJson } catch (e) {
    throw new FlotillaError('key-invalid', `key file ${path} is not valid JSON`, 'Restore it from backup or create a new identity with `flotilla init --force`.', { cause: e })
  }
  if (json.version !== 1 || (json.kind !== 'site' && json.kind !== 'agent') || typeof json.id !== 'string' || typeof json.seed !== 'string') {
    throw new FlotillaError('key-invalid', `key file ${path} has an unknown layout`, 'Restore it from backup or create a new identity with `flotilla init --force`.')
  }
  const keys = keyPairFromSeed(fromHex(json.seed, 'seed'))
  if (toHex(keys.publicKey) !== json.publicKey) {
    throw new FlotillaError('key-invalid', `key file ${path}: the public key does not match the seed`, 'The file was edited or damaged; restore it from backup.')
  }
  return { kind: json.kind, id: json.id, keys }
}
