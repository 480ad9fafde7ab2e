/**
 * JSON Merge Patch (RFC 7386): objects merge key by key, `null` deletes a key, and any
 * other value (arrays included) replaces. The target is never mutated.
 */
import { isPlainObject, type Json } from './json.ts'

export function applyMergePatch (target: Json | undefined, patch: Json): Json {
  if (!isPlainObject(patch)) return structuredClone(patch)
  const out: Record<string, Json> = isPlainObject(target) ? { ...target } : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key]
    else out[key] = applyMergePatch(out[key], value)
  }
  return out
}
