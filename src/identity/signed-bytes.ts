/**
 * What a signature covers. Every signature is domain-separated by a context string, so a
 * signature made for one purpose can never be replayed as another.
 */

/** What a signature is for; part of the signed bytes. */
export type SignatureContext =
  | 'flotilla/change/v1'
  | 'flotilla/heartbeat/v1'
  | 'flotilla/evidence/v1'
  | 'flotilla/announce/v1'
  | 'flotilla/agent/v1'

const encoder = new TextEncoder()
/** Encoded context strings: a handful of constants, encoded once instead of per signature. */
const contextBytes = new Map<SignatureContext, Uint8Array>()

/** The bytes actually signed: context, a zero byte, then the message. */
export function signedBytes (context: SignatureContext, message: Uint8Array): Uint8Array {
  let ctx = contextBytes.get(context)
  if (ctx === undefined) contextBytes.set(context, ctx = encoder.encode(context))
  const out = new Uint8Array(ctx.length + 1 + message.length)
  out.set(ctx, 0)
  out.set(message, ctx.length + 1)
  return out
}
