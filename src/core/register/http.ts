/**
 * Small HTTP helpers shared by the registrars: one request with a timeout, typed failures
 * (HTTP status vs. transport), retry classification, body excerpts, and the error property
 * that tells the orchestrator whether the update server might now reference the uploaded object.
 */
import { LiveUpdateError, redact, type Stage } from '../errors.js'
import { parseRetryAfter, realSleep } from '../retry.js'
import type { Fetch, Logger, RegistrationRequest, Sleep } from '../types.js'
import { excerpt } from '../url.js'
import type { ErrorCode, RegisterErrorCode } from '../error-codes.js'

/** Side effects and retry tuning shared by the HTTP registrars (tests inject sleep and clocks). */
export interface HttpCallOptions {
  fetch?: Fetch
  sleep?: Sleep
  logger?: Logger
  /** Clock in ms (Date.now): Retry-After dates, deadlines, webhook timestamps. */
  now?: () => number
  /** Jitter source for backoff (Math.random). */
  random?: () => number
  /** Per-request timeout (AbortSignal.timeout), default 30 s. */
  timeoutMs?: number
  /** Attempts per call including the first, default 4. */
  attempts?: number
  /** First backoff, doubling with full jitter; default 1 s. */
  baseDelayMs?: number
  /** Longest backoff between attempts; default 15 s. */
  maxDelayMs?: number
  /** Longest Retry-After waited for; a longer one gives up at once. Default 60 s. */
  maxRetryAfterMs?: number
}

/** HttpCallOptions with the defaults both registrars use filled in. */
export function httpCallSettings(options: HttpCallOptions) {
  return {
    fetch: options.fetch ?? globalThis.fetch,
    sleep: options.sleep ?? realSleep,
    now: options.now ?? Date.now,
    logger: options.logger,
    random: options.random,
    timeoutMs: options.timeoutMs ?? 30_000,
    attempts: Math.max(1, options.attempts ?? 4),
    baseDelayMs: options.baseDelayMs ?? 1_000,
    maxDelayMs: options.maxDelayMs ?? 15_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
  }
}

/**
 * Whether the update server might reference the uploaded object after a failed registration.
 * - `not-registered`: the server refused or was never reached; the uploaded object is unused.
 * - `maybe-registered`: a request that registers the bundle was sent but its outcome is unknown
 *   (timeout, dropped connection, 5xx) and a look-up could not settle it. Keep the object.
 * - `registered`: the bundle is registered (a later step, e.g. pointing the channel, failed). Keep it.
 */
export type BundleState = 'not-registered' | 'maybe-registered' | 'registered'

/** A LiveUpdateError from a registrar, saying whether the bundle may be registered. */
export class RegistrationError extends LiveUpdateError {
  readonly bundleState: BundleState
  /**
   * True when the update server MIGHT reference the uploaded object (`bundleState` is
   * 'maybe-registered' or 'registered'): the orchestrator must then keep the upload.
   * Same answer as `mightBeRegistered(error)`.
   */
  readonly ambiguous: boolean
  /** HTTP status of the last answer, when there was one. */
  readonly httpStatus?: number
  /** The server's error code (e.g. Capgo's `invalid_apikey`), when there was one. */
  readonly apiCode?: string

  constructor(
    code: ErrorCode,
    message: string,
    options: { stage: Stage; input?: string; cause?: unknown; bundleState: BundleState; httpStatus?: number; apiCode?: string },
  ) {
    super(code, message, { stage: options.stage, input: options.input, cause: options.cause })
    this.name = 'RegistrationError'
    this.bundleState = options.bundleState
    this.ambiguous = options.bundleState !== 'not-registered'
    this.httpStatus = options.httpStatus
    this.apiCode = options.apiCode
  }
}

/**
 * After a failed `register()`: may the update server now point devices at the uploaded object?
 * When true the orchestrator must NOT delete the uploaded object. Unknown errors (bugs, anything
 * that is not a RegistrationError) count as "might be registered": an orphaned object is cheap,
 * a deleted live bundle breaks devices.
 */
export function mightBeRegistered(error: unknown): boolean {
  if (error instanceof RegistrationError) return error.bundleState !== 'not-registered'
  return true
}

/** The server answered with a non-2xx status. */
export class HttpFailure extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    /** Error code from the JSON body (`error`), if any. */
    readonly apiCode: string | undefined,
    /** Human message from the JSON body (`message` or `status`), if any. */
    readonly apiMessage: string | undefined,
    /** Parsed JSON body, if it was JSON. */
    readonly body: unknown,
    /** Excerpt of the raw body (secrets redacted, ~200 chars). */
    readonly excerpt: string,
    /** Retry-After in ms (uncapped parse), if the header was there. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(`HTTP ${status}${apiCode ? ` ${apiCode}` : ''} from ${method} ${path}`)
    this.name = 'HttpFailure'
  }
}

/** No HTTP answer: timeout, refused connection, reset, DNS. */
export class TransportFailure extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly kind: 'timeout' | 'network',
    /** True when the request certainly never reached the server (connection refused, DNS). */
    readonly notSent: boolean,
    readonly detail: string,
    cause: unknown,
  ) {
    super(`${kind === 'timeout' ? 'timed out' : `network error (${detail})`} on ${method} ${path}`, { cause })
    this.name = 'TransportFailure'
  }
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'ENETUNREACH', 'EHOSTUNREACH'])

function errorCode(error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

function isTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown } | undefined)?.name
  return name === 'TimeoutError' || name === 'AbortError' || errorCode(error) === 'UND_ERR_HEADERS_TIMEOUT' || errorCode(error) === 'UND_ERR_BODY_TIMEOUT'
}

function toTransportFailure(method: string, path: string, error: unknown, answered: boolean): TransportFailure {
  if (isTimeout(error)) return new TransportFailure(method, path, 'timeout', false, 'timeout', error)
  const code = errorCode(error)
  const notSent = !answered && code !== undefined && NOT_SENT_CODES.has(code)
  return new TransportFailure(method, path, 'network', notSent, code ?? (error instanceof Error ? error.message : String(error)), error)
}

export interface JsonRequest {
  method: 'GET' | 'POST'
  /** Base URL (no trailing slash) + path is fetched; `path` is what error messages show. */
  baseUrl: string
  path: string
  query?: Record<string, string>
  headers: Record<string, string>
  /** Raw body text (already serialised). */
  body?: string
  timeoutMs: number
  /** Values that must never appear in messages (API keys, secrets). */
  secrets: readonly (string | undefined)[]
  now: () => number
}

/** Send one request; return the parsed JSON (or raw text) on 2xx, throw HttpFailure / TransportFailure otherwise. */
export async function sendOnce(fetchImpl: Fetch, request: JsonRequest): Promise<{ status: number; json: unknown; text: string }> {
  const url = new URL(request.baseUrl + request.path)
  for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.set(name, value)
  const signal = AbortSignal.timeout(request.timeoutMs)
  let response: Response
  try {
    response = await fetchImpl(url, { method: request.method, headers: request.headers, body: request.body, signal, redirect: 'manual' })
  } catch (error) {
    throw toTransportFailure(request.method, request.path, error, false)
  }
  let text: string
  try {
    text = await response.text()
  } catch (error) {
    throw toTransportFailure(request.method, request.path, error, true)
  }
  let json: unknown
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined
  } catch {
    json = undefined
  }
  if (response.status >= 200 && response.status < 300) return { status: response.status, json, text }
  const record = json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : {}
  const apiCode = typeof record.error === 'string' ? record.error : undefined
  const apiMessage = typeof record.message === 'string' ? record.message : typeof record.status === 'string' ? record.status : undefined
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), request.now(), Number.MAX_SAFE_INTEGER)
  throw new HttpFailure(
    request.method,
    request.path,
    response.status,
    apiCode,
    apiMessage === undefined ? undefined : redact(apiMessage, request.secrets),
    json,
    excerpt(redact(text, request.secrets)) || '(empty body)',
    retryAfterMs,
  )
}

/**
 * Retry verdict shared by the registrars: 429 (honouring Retry-After up to `maxRetryAfterMs`),
 * 408, 5xx and transport failures are worth another attempt; everything else is final.
 */
export function classifyHttpError(error: unknown, maxRetryAfterMs: number): { retry: boolean; delayMs?: number } {
  if (error instanceof TransportFailure) return { retry: true }
  if (error instanceof HttpFailure) {
    if (error.status === 429) {
      if (error.retryAfterMs === undefined) return { retry: true }
      if (error.retryAfterMs > maxRetryAfterMs) return { retry: false }
      return { retry: true, delayMs: error.retryAfterMs }
    }
    if (error.status === 408 || error.status >= 500) return { retry: true }
  }
  return { retry: false }
}

/** The request may have been processed by the server (so a non-idempotent call must not be blindly repeated). */
export function outcomeUnknown(error: unknown): boolean {
  if (error instanceof TransportFailure) return !error.notSent
  if (error instanceof HttpFailure) return error.status >= 500 || error.status === 408
  return false
}

export function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${ms} ms`
}

const SIGNED_CHECKSUM = /^[0-9a-f]{512}$/

/** Never register half a bundle: devices with a public key would accept or reject the wrong thing. */
export function validateRegistrationRequest(req: RegistrationRequest): void {
  const fail = (code: RegisterErrorCode, message: string, input?: string): never => {
    throw new RegistrationError(code, message, { stage: 'register', input, bundleState: 'not-registered' })
  }
  if (!req.appId) fail('register_app_id_missing', 'Refusing to register: no app id.', 'app-id')
  if (!req.version) fail('register_version_missing', 'Refusing to register: no version.', 'version')
  if (!req.channel) fail('register_channel_missing', 'Refusing to register: no channel.', 'channel')
  if (!req.externalUrl) fail('register_url_missing', 'Refusing to register: no bundle URL.', 'public-url')
  if (!req.sessionKey || !req.sessionKey.includes(':')) {
    fail('register_session_key_missing', 'Refusing to register a bundle without its session key (ivSessionKey): devices with a public key would skip decryption. This is a bug in the publishing pipeline.')
  }
  if (!SIGNED_CHECKSUM.test(req.checksum ?? '')) {
    fail('register_checksum_invalid', 'Refusing to register: the checksum is not a 512-character lowercase hex signed checksum (V3). Devices with a public key would refuse the bundle. This is a bug in the publishing pipeline.')
  }
  if (!req.keyId) fail('register_key_id_missing', 'Refusing to register a bundle without its key_id.', 'private-key')
}

