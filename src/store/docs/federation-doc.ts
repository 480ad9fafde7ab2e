/**
 * The federation document: the roster and federation-wide settings, written by roster
 * members (the signed log checks who may write). Several sites write it concurrently,
 * so it has no nested containers that two writers could create at once (two concurrent
 * `d.members = {}` would make two maps, and one writer's entries would vanish): every
 * record is one scalar directly under the root, keyed `member/<site>` or
 * `setting/<name>`. Concurrent writes to one key resolve by Automerge's deterministic
 * last-writer-wins. Quorum admission will add `admission/<id>` keys the same way.
 */
import { ImmutableString, type Doc } from '@automerge/automerge'
import { FlotillaError } from '../../model/errors.ts'
import type { RosterMember, SiteId } from '../../model/federation.ts'
import type { FederationSettings } from '../../model/view.ts'
import { canonicalJson } from './canonical-json.ts'
import { compareStrings } from './bucketed-map.ts'
import { parseJsonScalar, sameScalar, unwrapString } from './fields.ts'
import { FEDERATION_SCHEMA, requireSchema, schemaState } from './schema.ts'
import { expectObject, expectString, malformed } from './validate.ts'

export type FederationDoc = { schema: number } & Record<string, ImmutableString | number | boolean>

const MEMBER = 'member/'
const SETTING = 'setting/'
const SITE_ID = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
const SETTING_NAME = /^[a-zA-Z][a-zA-Z0-9.-]{0,62}$/

export function initFederationDoc (d: FederationDoc): boolean {
  if (schemaState(d, FEDERATION_SCHEMA, 'the federation document') === 'ok') return false
  d.schema = FEDERATION_SCHEMA.current
  return true
}

export function putMember (d: FederationDoc, m: RosterMember): boolean {
  requireSchema(d, FEDERATION_SCHEMA, 'the federation document', 'initFederationDoc')
  if (!SITE_ID.test(m.siteId)) {
    throw new FlotillaError('input-invalid', `'siteId' must be a DNS-1123 label: received ${JSON.stringify(m.siteId)}`,
      'Use lower-case letters, digits and "-", e.g. "eu-west".', { details: { siteId: m.siteId } })
  }
  const value = new ImmutableString(canonicalJson({ publicKey: m.publicKey, region: m.region }))
  return putRootScalar(d, MEMBER + m.siteId, value)
}

export function removeMember (d: FederationDoc, siteId: SiteId): boolean {
  requireSchema(d, FEDERATION_SCHEMA, 'the federation document', 'initFederationDoc')
  return deleteRootKey(d, MEMBER + siteId)
}

export function putSetting (d: FederationDoc, name: string, value: string | number | boolean): boolean {
  requireSchema(d, FEDERATION_SCHEMA, 'the federation document', 'initFederationDoc')
  if (!SETTING_NAME.test(name)) {
    throw new FlotillaError('input-invalid', `setting name must be a letter then letters, digits, "." or "-": received ${JSON.stringify(name)}`,
      'Use a name such as "failAfterMs".', { details: { name } })
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new FlotillaError('input-invalid', `setting "${name}" must be a finite number: received ${value}`, 'Use a finite number.')
  }
  return putRootScalar(d, SETTING + name, typeof value === 'string' ? new ImmutableString(value) : value)
}

export function deleteSetting (d: FederationDoc, name: string): boolean {
  requireSchema(d, FEDERATION_SCHEMA, 'the federation document', 'initFederationDoc')
  return deleteRootKey(d, SETTING + name)
}

function putRootScalar (d: FederationDoc, key: string, value: ImmutableString | number | boolean): boolean {
  if (Object.hasOwn(d, key) && sameScalar(d[key], value)) return false
  d[key] = value
  return true
}

function deleteRootKey (d: FederationDoc, key: string): boolean {
  if (!Object.hasOwn(d, key)) return false
  delete d[key]
  return true
}

export interface FederationContents {
  members: RosterMember[]
  settings: FederationSettings
  /** Keys that did not decode, with the reason; the view reports them. */
  problems: Array<{ key: string, error: unknown }>
}

/** Reads the roster (sorted by site id) and settings; bad entries are listed, not thrown. */
export function readFederation (doc: Doc<FederationDoc>): FederationContents {
  const out: FederationContents = { members: [], settings: {}, problems: [] }
  if (schemaState(doc, FEDERATION_SCHEMA, 'the federation document') === 'empty') return out
  for (const key of Object.keys(doc).sort(compareStrings)) {
    const raw: unknown = doc[key]
    try {
      if (key.startsWith(MEMBER)) {
        const siteId = key.slice(MEMBER.length)
        if (!SITE_ID.test(siteId)) throw malformed(key, 'a member key "member/<site id>"', key)
        const o = expectObject(parseJsonScalar(raw, key), key)
        out.members.push({ siteId, publicKey: expectString(o['publicKey'], `${key}.publicKey`), region: expectString(o['region'], `${key}.region`) })
      } else if (key.startsWith(SETTING)) {
        const value = unwrapString(raw)
        if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
          out.settings[key.slice(SETTING.length)] = value
        } else {
          throw malformed(key, 'a string, number or boolean', raw)
        }
      }
    } catch (error) {
      out.problems.push({ key, error })
    }
  }
  return out
}

/** The roster, sorted by site id (bad entries skipped). */
export function listMembers (doc: Doc<FederationDoc>): RosterMember[] {
  return readFederation(doc).members
}

export function getSettings (doc: Doc<FederationDoc>): FederationSettings {
  return readFederation(doc).settings
}
