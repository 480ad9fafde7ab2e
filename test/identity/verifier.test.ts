import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createSigner, keyPairFromSeed } from '../../src/identity/keys.ts'
import { createVerifier, defaultVerifierBackend } from '../../src/identity/verifier.ts'

const WITHOUT_SODIUM = fileURLToPath(new URL('./fixtures/verify-without-sodium.ts', import.meta.url))

describe('the site verifier', () => {
  it('verifies with libsodium where its addon loads (this machine)', () => {
    expect(defaultVerifierBackend()).toEqual({ backend: 'sodium' })
    const keys = keyPairFromSeed(new Uint8Array(32).fill(3))
    const message = new TextEncoder().encode('m')
    expect(createVerifier()(keys.publicKey, 'flotilla/change/v1', message, createSigner(keys).sign('flotilla/change/v1', message))).toBe(true)
  })

  it('falls back to node:crypto, with the reason and the same rule, where the addon cannot load', () => {
    const child = spawnSync(process.execPath, [WITHOUT_SODIUM], { encoding: 'utf8', timeout: 60_000 })
    expect(child.stderr).toBe('')
    const r = JSON.parse(child.stdout) as { choice: { backend: string, reason?: string }, valid: boolean, tampered: boolean, smallOrderForgery: boolean, sodiumRefusal: string }
    expect(r.choice.backend).toBe('node')
    expect(r.choice.reason).toMatch(/sodium-native addon did not load \(no prebuilt addon for this platform/)
    expect(r.valid).toBe(true)
    expect(r.tampered).toBe(false)
    // node:crypto alone would accept this forgery; the rule in front of it refuses it.
    expect(r.smallOrderForgery).toBe(false)
    // Asking for libsodium by name says what is missing and what to do.
    expect(r.sodiumRefusal).toMatch(/^addon-unavailable: the libsodium verifier is not available/)
  })
})
