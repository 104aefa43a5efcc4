import { ResponderConfigError } from './env.js'
import { jsonResponse } from './replies.js'

/** The operator's mistake, said plainly (config values are never secrets here), as a 500 every request. */
export function misconfigured(error: unknown): Response {
  const message = error instanceof ResponderConfigError ? error.message : String((error as Error)?.message ?? error)
  return jsonResponse({ error: 'responder_misconfigured', message, kind: 'failed' }, 500)
}
