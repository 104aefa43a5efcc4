/**
 * The responder's settings from environment variables (Workers vars, Lambda env, `serve` flags),
 * shared by every entry point so they all read the same names:
 *   STATE_URL          base URL under which the action's objects are readable (bucket public URL or CDN)
 *   BUCKET             (Workers) an R2 binding, used when STATE_URL is not set
 *   CACHE_TTL_SECONDS  how long state reads are cached (default 10; 0 = no cache)
 *   STATS_WEBHOOK_URL  optional: accepted stats events are POSTed there
 */
import { createResponder, type Responder, type ResponderOptions } from './handler.js'
import { httpStateReader, r2StateReader, type R2BucketLike, type StateReader } from './reader.js'

export interface ResponderEnv {
  STATE_URL?: string
  BUCKET?: R2BucketLike
  CACHE_TTL_SECONDS?: string | number
  STATS_WEBHOOK_URL?: string
}

export class ResponderConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ResponderConfigError'
  }
}

export function cacheTtlMs(value: string | number | undefined): number {
  if (value === undefined || value === '') return 10_000
  const seconds = Number(value)
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 3600) {
    throw new ResponderConfigError(
      `CACHE_TTL_SECONDS must be a number of seconds from 0 to 3600, got '${String(value)}'`,
    )
  }
  return Math.round(seconds * 1000)
}

export function readerFromEnv(env: ResponderEnv): StateReader {
  if (env.STATE_URL) {
    try {
      return httpStateReader(env.STATE_URL)
    } catch (error) {
      throw new ResponderConfigError(`STATE_URL is not usable: ${(error as Error).message}`)
    }
  }
  if (env.BUCKET && typeof env.BUCKET.get === 'function') return r2StateReader(env.BUCKET)
  throw new ResponderConfigError(
    'set STATE_URL (the public base URL of the bucket the action publishes to) or bind an R2 bucket as BUCKET',
  )
}

export function responderFromEnv(env: ResponderEnv, extra: Partial<ResponderOptions> = {}): Responder {
  const webhook = env.STATS_WEBHOOK_URL
  if (webhook && !/^https?:\/\//.test(webhook))
    throw new ResponderConfigError('STATS_WEBHOOK_URL must be an http(s) URL')
  return createResponder({
    reader: readerFromEnv(env),
    cacheTtlMs: cacheTtlMs(env.CACHE_TTL_SECONDS),
    statsWebhookUrl: webhook || undefined,
    ...extra,
  })
}
