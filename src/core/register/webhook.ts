/**
 * Announces a published bundle to your own update server with a signed webhook.
 *
 * Request: `POST <url>` with a JSON body
 * ```
 * { "event": "bundle.published", "appId", "version", "channel", "externalUrl", "sessionKey",
 *   "checksum", "sha256", "signature", "minNativeVersion" (when set), "keyId", "zipSize", "encryptedSize",
 *   "git": { "sha", "ref", "runUrl", "repository" }, "rollout": { "percentage" } | null,
 *   "timestamp": <unix seconds> }
 * ```
 * and the headers
 * - `content-type: application/json`
 * - `user-agent: capacitor-live-update-action`
 * - `x-live-update-timestamp: <unix seconds>` (decimal integer; same value as the body's `timestamp`)
 * - `x-signature-256: sha256=<hex>` where `<hex>` is the lowercase hex HMAC-SHA256, keyed with the
 *   shared secret (its UTF-8 bytes), of the ASCII timestamp header value, one `.`, then the raw
 *   request body bytes exactly as received: `HMAC_SHA256(secret, timestamp + "." + rawBody)`.
 *
 * A receiver must (or simply call `verifyWebhookSignature`):
 * 1. compute the HMAC over the RAW body (before any JSON parsing) and compare in constant time;
 * 2. refuse timestamps more than 5 minutes away from its clock (replay protection: the timestamp is
 *    covered by the signature, so an old request cannot be re-sent with a fresh one);
 * 3. be idempotent: delivery is at-least-once (a retry after a timeout re-sends the event, freshly
 *    timestamped and signed). Key it on (appId, version) and compare `checksum`: the same checksum is
 *    the same bundle; another checksum for an existing version must be refused (versions are immutable).
 * Answer 2xx when stored. 5xx, 429 (Retry-After honoured) and network failures are retried a few
 * times; any other status fails the publish with the status and an excerpt of the answer.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { LiveUpdateError } from '../errors.js'
import type { LookupResult, Registrar, RegistrationRequest, RegistrationResult } from '../types.js'
import { parseHttpUrl } from '../url.js'
import {
  describeFailure,
  type HttpCallOptions,
  HttpFailure,
  HttpJsonClient,
  outcomeUnknown,
  seconds,
  TransportFailure,
  USER_AGENT,
  wasRetried,
} from './http.js'
import { RegistrationError, validateRegistrationRequest } from './registration.js'

export const WEBHOOK_EVENT = 'bundle.published'
export const SIGNATURE_HEADER = 'x-signature-256'
export const TIMESTAMP_HEADER = 'x-live-update-timestamp'

export interface WebhookRegistrarOptions extends HttpCallOptions {
  /** Receiver endpoint (https in production). */
  url: string
  /** Shared HMAC secret. Never sent, never logged. */
  secret: string
}

/** The JSON document POSTed to the receiver. */
export interface WebhookPayload {
  event: typeof WEBHOOK_EVENT
  appId: string
  version: string
  channel: string
  externalUrl: string
  sessionKey: string
  checksum: string
  sha256: string
  /** Signed metadata (capgo-bundle-v1), 512 hex: serve it to devices as `signature` (plugin >= 8.53 checks it). */
  signature?: string
  /** Native floor: devices whose native app version is below it must not get this bundle. */
  minNativeVersion?: string
  keyId: string
  zipSize: number
  encryptedSize: number
  git: { sha?: string; ref?: string; runUrl?: string; repository?: string }
  link?: string
  comment?: string
  /** Staged rollout: this version goes to `percentage` % of devices; null: straight to stable. */
  rollout: { percentage: number } | null
  /** Unix seconds, same as the x-live-update-timestamp header. */
  timestamp: number
}

/** `sha256=` + lowercase hex HMAC-SHA256(secret, `${timestamp}.${body}`). */
export function signWebhook(secret: string, timestamp: number | string, body: string | Uint8Array): string {
  const hmac = createHmac('sha256', secret)
  hmac.update(`${timestamp}.`)
  hmac.update(body)
  return `sha256=${hmac.digest('hex')}`
}

export type WebhookVerification = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'mismatch' }

/**
 * Check a received webhook: signature over `timestamp + "." + rawBody` (constant-time compare) and a
 * timestamp within `toleranceSeconds` (default 300) of `now()` in either direction.
 * Pass the raw body exactly as received (string or bytes), and the two header values.
 */
export function verifyWebhookSignature(args: {
  secret: string
  body: string | Uint8Array
  timestamp: string | number | null | undefined
  signature: string | null | undefined
  now?: () => number
  toleranceSeconds?: number
}): WebhookVerification {
  const { secret, body, signature } = args
  const tolerance = args.toleranceSeconds ?? 300
  const now = args.now ?? Date.now
  if (!secret) throw new Error('verifyWebhookSignature: no secret')
  if (args.timestamp === undefined || args.timestamp === null || args.timestamp === '' || !signature)
    return { ok: false, reason: 'missing' }
  const timestampText = String(args.timestamp).trim()
  if (!/^\d{1,12}$/.test(timestampText)) return { ok: false, reason: 'malformed' }
  const match = /^sha256=([0-9a-f]{64})$/i.exec(signature.trim())
  if (!match) return { ok: false, reason: 'malformed' }
  const expected = Buffer.from(signWebhook(secret, timestampText, body).slice('sha256='.length), 'hex')
  const given = Buffer.from(match[1]!, 'hex')
  // Check the signature first (constant time), then freshness: an attacker learns nothing either way.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'mismatch' }
  if (Math.abs(Math.floor(now() / 1000) - Number(timestampText)) > tolerance) return { ok: false, reason: 'expired' }
  return { ok: true }
}

export function createWebhookRegistrar(options: WebhookRegistrarOptions): WebhookRegistrar {
  return new WebhookRegistrar(webhookHttpClient(options), options.secret)
}

/**
 * The HTTP client for the receiver at `url`. Query strings may hold tokens: they are redacted with
 * the secret, and messages show origin + path only. Registration and the release modes' events
 * both post through one of these.
 */
export function webhookHttpClient(options: HttpCallOptions & { url: string; secret: string }): HttpJsonClient {
  const target = parseHttpUrl(
    options.url ?? '',
    'webhook-url',
    'input_webhook_url_invalid',
    'https://updates.example.com/hooks/live-update',
  )
  return new HttpJsonClient({
    ...options,
    baseUrl: target.href,
    service: `Webhook ${target.origin}${target.pathname}`,
    headers: { 'user-agent': USER_AGENT },
    secrets: [options.secret, target.search.length > 1 ? target.search.slice(1) : undefined],
  })
}

/** Sign, send, map: one signed POST per publish; the receiver stores it and moves its channel. */
export class WebhookRegistrar implements Registrar {
  readonly kind = 'webhook'

  constructor(
    private readonly client: HttpJsonClient,
    private readonly secret: string,
  ) {}

  /** A webhook cannot be asked: always "not found" (the receiver must be idempotent). */
  async lookup(_appId: string, _version: string): Promise<LookupResult> {
    return { found: false }
  }

  async register(req: RegistrationRequest): Promise<RegistrationResult> {
    // Checked on first use, not at construction: a dry run (e.g. a fork PR without secrets) never sends.
    if (!this.secret) {
      throw new LiveUpdateError(
        'input_webhook_secret_missing',
        'A webhook secret is required: set webhook-secret (the receiver uses it to check x-signature-256).',
        {
          stage: 'input',
          input: 'webhook-secret',
        },
      )
    }
    validateRegistrationRequest(req)
    let sent = false
    try {
      // A fresh timestamp and signature per attempt, so a late retry is not refused as stale.
      await this.client.retry(async () => {
        try {
          return await this.client.send(this.signed(req, Math.floor(this.client.now() / 1000)))
        } catch (error) {
          if (!(error instanceof TransportFailure && error.notSent)) sent = true
          throw error
        }
      })
    } catch (error) {
      throw this.mapError(error, sent)
    }
    this.client.logger?.info(
      `Webhook ${this.client.shownUrl} accepted ${req.appId}@${req.version} for channel "${req.channel}".`,
    )
    return { status: 'registered', externalUrl: req.externalUrl }
  }

  /** No-op: the webhook document carries the channel. */
  async pointChannel(_appId: string, _channel: string, _version: string): Promise<void> {}

  private signed(req: RegistrationRequest, timestamp: number) {
    const payload: WebhookPayload = {
      event: WEBHOOK_EVENT,
      appId: req.appId,
      version: req.version,
      channel: req.channel,
      externalUrl: req.externalUrl,
      sessionKey: req.sessionKey,
      checksum: req.checksum,
      sha256: req.sha256,
      ...(req.signature ? { signature: req.signature } : {}),
      ...(req.minNativeVersion ? { minNativeVersion: req.minNativeVersion } : {}),
      keyId: req.keyId,
      zipSize: req.zipSize,
      encryptedSize: req.encryptedSize,
      git: { sha: req.git?.sha, ref: req.git?.ref, runUrl: req.git?.runUrl, repository: req.git?.repository },
      ...(req.link ? { link: req.link } : {}),
      ...(req.comment ? { comment: req.comment } : {}),
      rollout: req.rollout ? { percentage: req.rollout.percentage } : null,
      timestamp,
    }
    const body = JSON.stringify(payload)
    const headers = {
      'content-type': 'application/json',
      [TIMESTAMP_HEADER]: String(timestamp),
      [SIGNATURE_HEADER]: signWebhook(this.secret, timestamp, body),
    }
    return { method: 'POST' as const, body, headers }
  }

  private mapError(error: unknown, sent: boolean): LiveUpdateError {
    if (error instanceof LiveUpdateError) return error
    // Only a 2xx proves receipt; after a timeout or 5xx the receiver may have stored it anyway.
    const unknown = error instanceof HttpFailure || error instanceof TransportFailure ? outcomeUnknown(error) : sent
    const bundleState = unknown ? 'maybe-registered' : 'not-registered'
    const maybe = unknown ? ' The receiver may have stored the bundle anyway: the uploaded object is kept.' : ''
    const tried = wasRetried(error) ? ` (tried ${this.client.attempts} times)` : ''
    const shown = this.client.shownUrl
    if (error instanceof HttpFailure) {
      const auth = error.status === 401 || error.status === 403
      const hint = auth
        ? " Check that webhook-secret matches the receiver's secret and that the receiver and runner clocks agree."
        : ''
      return new RegistrationError(
        'webhook_http_failed',
        `The webhook ${shown} answered HTTP ${error.status}${tried}: ${error.excerpt}.${hint}${maybe}`,
        {
          stage: 'register',
          input: auth ? 'webhook-secret' : error.status === 404 ? 'webhook-url' : undefined,
          cause: error,
          bundleState,
          httpStatus: error.status,
        },
      )
    }
    if (error instanceof TransportFailure) {
      const what =
        error.kind === 'timeout'
          ? `did not answer within ${seconds(error.timeoutMs)}`
          : `was unreachable (${error.detail})`
      return new RegistrationError(
        error.kind === 'timeout' ? 'webhook_request_timeout' : 'webhook_url_unreachable',
        `The webhook ${shown} ${what}${tried}.${maybe}`,
        {
          stage: 'register',
          input: 'webhook-url',
          cause: error,
          bundleState,
        },
      )
    }
    return new RegistrationError('webhook_call_failed', `The webhook call failed: ${describeFailure(error)}.${maybe}`, {
      stage: 'register',
      cause: error,
      bundleState,
    })
  }
}
