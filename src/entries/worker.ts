// Cloudflare Workers entry (dist/worker.js): vars STATE_URL / CACHE_TTL_SECONDS / STATS_WEBHOOK_URL, or an R2 binding BUCKET.
import { responderFromEnv, type ResponderEnv } from '../server/env.js'
import { misconfigured } from '../server/misconfigured.js'
import type { Responder } from '../server/handler.js'

const responders = new WeakMap<object, Responder>()

export default {
  async fetch(
    request: Request,
    env: ResponderEnv,
    ctx: { waitUntil(promise: Promise<unknown>): void },
  ): Promise<Response> {
    let responder = responders.get(env)
    try {
      if (!responder) responders.set(env, (responder = responderFromEnv(env, { log: (line) => console.error(line) })))
    } catch (error) {
      return misconfigured(error)
    }
    return responder.fetch(request, ctx)
  },
}
