/**
 * The one HTTP client for JSON services (Capgo's API, webhooks): base URL, default headers, the
 * secrets to redact from anything a server echoes back, a per-call timeout, the retry policy
 * (429 with Retry-After, 408, 5xx and transport failures), typed failures and their one-line
 * description. Registrars keep only their policy (what to call, how to read a refusal); nothing
 * else in the project sends these requests or classifies their failures.
 */
import { describeError, redact } from '../errors.js'
import { parseRetryAfter, realSleep, retryWithBackoff } from '../retry.js'
import type { Fetch, Logger, Sleep } from '../types.js'
import { excerpt, safeUrl } from '../url.js'

/** The User-Agent every request to an update server (Capgo, a webhook receiver) carries. */
export const USER_AGENT = 'capacitor-live-update-action'

/** Side effects and retry tuning shared by the HTTP clients (tests inject sleep and clocks). */
export interface HttpCallOptions {
  fetch?: Fetch
  sleep?: Sleep
  logger?: Logger
  /** Clock in ms (Date.now): Retry-After dates, deadlines, webhook timestamps. */
  now?: () => number
  /** Jitter source for backoff (Math.random). */
  random?: () => number
  /** Per-request timeout (AbortSignal.timeout), default 30 s; one request may override it. */
  timeoutMs?: number
  /** Attempts per call including the first, default 4. */
  attempts?: number
  /** First backoff, doubling with full jitter; default 1 s. */
  baseDelayMs?: number
  /** Longest backoff between attempts; default 15 s. */
  maxDelayMs?: number
  /** Longest Retry-After waited for; a longer one gives up at once. Default 60 s. */
  maxRetryAfterMs?: number
  /** Give up retrying one call after this long; default: no deadline. */
  deadlineMs?: number
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE'

/** The server answered with a non-2xx status. */
export class HttpFailure extends Error {
  readonly method: string
  readonly path: string
  readonly status: number
  /** Error code from the JSON body (`error`), if any. */
  readonly apiCode?: string
  /** Human message from the JSON body (`message` or `status`), secrets redacted, if any. */
  readonly apiMessage?: string
  /** Parsed JSON body, if it was JSON. */
  readonly body: unknown
  /** Excerpt of the raw body (secrets redacted, ~200 chars). */
  readonly excerpt: string
  /** Retry-After in ms (uncapped parse), if the header was there. */
  readonly retryAfterMs?: number

  constructor(answer: {
    method: string
    path: string
    status: number
    apiCode?: string
    apiMessage?: string
    body?: unknown
    excerpt?: string
    retryAfterMs?: number
  }) {
    super(`HTTP ${answer.status}${answer.apiCode ? ` ${answer.apiCode}` : ''} from ${answer.method} ${answer.path}`)
    this.name = 'HttpFailure'
    this.method = answer.method
    this.path = answer.path
    this.status = answer.status
    this.apiCode = answer.apiCode
    this.apiMessage = answer.apiMessage
    this.body = answer.body
    this.excerpt = answer.excerpt ?? '(empty body)'
    this.retryAfterMs = answer.retryAfterMs
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
    /** The timeout that expired, for messages. */
    readonly timeoutMs: number,
    cause?: unknown,
  ) {
    const what = kind === 'timeout' ? `timed out after ${seconds(timeoutMs)}` : `network error (${detail})`
    super(`${what} on ${method} ${path}`, { cause })
    this.name = 'TransportFailure'
  }
}

/** A 2xx answer that is not what the API documents (e.g. HTML from a proxy, not a list). */
export class UnexpectedAnswer extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${method} ${path} answered something that is not ${expected}`)
    this.name = 'UnexpectedAnswer'
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
  const code = errorCode(error)
  if (name === 'TimeoutError' || name === 'AbortError') return true
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT'
}

function toTransportFailure(
  method: string,
  path: string,
  error: unknown,
  answered: boolean,
  timeoutMs: number,
): TransportFailure {
  if (isTimeout(error)) return new TransportFailure(method, path, 'timeout', false, 'timeout', timeoutMs, error)
  const code = errorCode(error)
  const notSent = !answered && code !== undefined && NOT_SENT_CODES.has(code)
  return new TransportFailure(method, path, 'network', notSent, code ?? describeError(error), timeoutMs, error)
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

/** One line for logs and messages: what was called and how it failed. Never holds a secret. */
export function describeFailure(error: unknown): string {
  if (error instanceof HttpFailure || error instanceof TransportFailure) {
    // A webhook's whole URL is its base: its requests have no path of their own.
    const call = error.path ? `${error.method} ${error.path}` : error.method
    if (error instanceof HttpFailure)
      return `${call} answered HTTP ${error.status}${error.apiCode ? ` ${error.apiCode}` : ''}`
    if (error.kind === 'timeout') return `${call} got no answer within ${seconds(error.timeoutMs)}`
    return `${call} failed (${error.detail})`
  }
  return describeError(error)
}

export interface HttpRequest {
  method: HttpMethod
  /** Appended to the base URL; what messages show. Default ''. */
  path?: string
  query?: Record<string, string>
  /** A JSON body (serialised here, with a JSON content type). */
  json?: unknown
  /** A raw body, sent byte for byte (a signed webhook body). */
  body?: string
  headers?: Record<string, string>
  /** This call's timeout, instead of the client's. */
  timeoutMs?: number
}

export interface HttpAnswer {
  status: number
  /** Parsed JSON, or undefined when the body is empty or not JSON. */
  json: unknown
  text: string
}

/** Runs an operation under the retry policy: the same policy for every HTTP call of one client. */
export type Retrier = <T>(operation: (attempt: number) => Promise<T>) => Promise<T>

export interface HttpJsonClientOptions extends HttpCallOptions {
  /** Validated http(s) base URL; the request path is appended to it. */
  baseUrl: string
  /** How retry warnings name the service: `Capgo`, `Webhook https://hooks.example.com/in`. */
  service: string
  headers?: Record<string, string>
  /** Values that must never appear in a message (API keys, secrets, URL tokens). */
  secrets?: readonly (string | undefined)[]
}

export class HttpJsonClient {
  /** The base URL as messages show it: no credentials, no query. */
  readonly shownUrl: string
  readonly timeoutMs: number
  readonly attempts: number
  readonly logger?: Logger
  readonly now: () => number
  /** Runs an operation under this client's retry policy (for calls with their own logic between attempts). */
  readonly retry: Retrier
  private readonly baseUrl: string
  private readonly fetchImpl: Fetch
  private readonly headers: Record<string, string>
  private readonly secrets: readonly (string | undefined)[]

  constructor(options: HttpJsonClientOptions) {
    this.baseUrl = options.baseUrl
    this.shownUrl = safeUrl(options.baseUrl)
    this.fetchImpl = options.fetch ?? globalThis.fetch
    this.headers = options.headers ?? {}
    this.secrets = options.secrets ?? []
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.attempts = Math.max(1, options.attempts ?? 4)
    this.logger = options.logger
    this.now = options.now ?? Date.now
    this.retry = createRetrier({ ...options, attempts: this.attempts, now: this.now })
  }

  /** An idempotent call: retried by the policy; throws HttpFailure / TransportFailure at the end. */
  call(request: HttpRequest): Promise<HttpAnswer> {
    return this.retry(() => this.send(request))
  }

  /** One attempt: the answer on 2xx, otherwise HttpFailure / TransportFailure. Redirects are not followed. */
  async send(request: HttpRequest): Promise<HttpAnswer> {
    const method = request.method
    const path = request.path ?? ''
    const timeoutMs = request.timeoutMs ?? this.timeoutMs
    const url = new URL(this.baseUrl + path)
    for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.set(name, value)
    const headers: Record<string, string> = { ...this.headers, ...request.headers }
    let body = request.body
    if (request.json !== undefined) {
      body = JSON.stringify(request.json)
      headers['content-type'] ??= 'application/json'
    }
    let response: Response
    try {
      // redirect: 'manual' so an API key is never forwarded to another host.
      const signal = AbortSignal.timeout(timeoutMs)
      response = await this.fetchImpl(url, { method, headers, body, signal, redirect: 'manual' })
    } catch (error) {
      throw toTransportFailure(method, path, error, false, timeoutMs)
    }
    let text: string
    try {
      text = await response.text()
    } catch (error) {
      throw toTransportFailure(method, path, error, true, timeoutMs)
    }
    if (response.status >= 200 && response.status < 300) return { status: response.status, json: parseJson(text), text }
    // A refusal keeps only the redacted text: servers echo keys back, and errors travel far.
    const redacted = redact(text, this.secrets)
    const refusal = parseJson(redacted)
    const isRecord = refusal !== null && typeof refusal === 'object' && !Array.isArray(refusal)
    const record = isRecord ? (refusal as Record<string, unknown>) : {}
    const field = (name: string) => (typeof record[name] === 'string' ? (record[name] as string) : undefined)
    const apiMessage = field('message') ?? field('status')
    throw new HttpFailure({
      method,
      path,
      status: response.status,
      apiCode: field('error'),
      apiMessage,
      body: refusal,
      excerpt: excerpt(redacted) || undefined,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), this.now(), Number.MAX_SAFE_INTEGER),
    })
  }
}

function parseJson(text: string): unknown {
  try {
    return text.length > 0 ? JSON.parse(text) : undefined
  } catch {
    return undefined
  }
}

/**
 * Retry verdict: 429 (honouring Retry-After up to `maxRetryAfterMs`), 408, 5xx and transport
 * failures are worth another attempt; everything else is final.
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

/** Whether a failure is of the kind the policy retries, so messages may say "tried N times". */
export function wasRetried(error: unknown): boolean {
  return classifyHttpError(error, Number.MAX_SAFE_INTEGER).retry
}

/** The retry policy of one client, as a function; fakes in tests use it too (with a fake sleep). */
export function createRetrier(
  options: HttpCallOptions & {
    service: string
    /** Another service's failures (GitHub's): same policy, its own reading of the error. */
    classify?: (error: unknown, maxRetryAfterMs: number) => { retry: boolean; delayMs?: number }
    describe?: (error: unknown) => string
  },
): Retrier {
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000
  const classify = options.classify ?? classifyHttpError
  const describe = options.describe ?? describeFailure
  const settings = {
    attempts: Math.max(1, options.attempts ?? 4),
    baseDelayMs: options.baseDelayMs ?? 1_000,
    maxDelayMs: options.maxDelayMs ?? 15_000,
    deadlineMs: options.deadlineMs,
    sleep: options.sleep ?? realSleep,
    now: options.now ?? Date.now,
    random: options.random,
    classify: (error: unknown) => classify(error, maxRetryAfterMs),
    onRetry: (retry: { attempt: number; attempts: number; delayMs: number; error: unknown }) => {
      const next = `attempt ${retry.attempt + 1} of ${retry.attempts}`
      options.logger?.warn(
        `${options.service}: ${describe(retry.error)}; retrying in ${seconds(retry.delayMs)} (${next}).`,
      )
    },
  }
  return (operation) => retryWithBackoff(operation, settings)
}
