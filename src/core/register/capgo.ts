/**
 * Registers an externally hosted, encrypted bundle with Capgo (Capgo Cloud or a self-hosted Capgo
 * backend) through its public REST API: `POST /bundle`, `POST /channel`, `POST /bundle/metadata`,
 * and `GET /bundle` for look-ups. See docs/wire-format.md §5.
 *
 * A publish costs a handful of calls: the look-up (usually one page), `POST /bundle`,
 * `POST /channel`, and `POST /bundle/metadata` when a link or comment is given. Each call retries
 * 429 (honouring Retry-After), 408, 5xx and network failures a bounded number of times.
 * `POST /bundle` is not idempotent: after an ambiguous failure (timeout, dropped connection, 5xx)
 * the version is looked up before anything is sent again, and when the outcome still cannot be
 * settled the error says so (`RegistrationError.ambiguous`, `mightBeRegistered()`).
 * The API key never appears in messages or logs.
 */
import type { Stage } from '../errors.js'
import { retryWithBackoff } from '../retry.js'
import type { LookupResult, Registrar, RegistrationRequest, RegistrationResult } from '../types.js'
import { parseHttpUrl, safeUrl } from '../url.js'
import { mapError, shortReason, type CapgoCallContext, type CapgoEndpoint } from './capgo-errors.js'
import {
  classifyHttpError,
  type HttpCallOptions,
  httpCallSettings,
  HttpFailure,
  outcomeUnknown,
  RegistrationError,
  seconds,
  sendOnce,
  type BundleState,
  validateRegistrationRequest,
} from './http.js'

export const CAPGO_API_URL = 'https://api.capgo.app'
/** Capgo's `GET /bundle` page size. */
export const CAPGO_PAGE_SIZE = 50
const USER_AGENT = 'capacitor-live-update-action'

export interface CapgoRegistrarOptions extends HttpCallOptions {
  /** Capgo API base URL; default https://api.capgo.app. A self-hosted backend has its own. */
  apiUrl?: string
  /** Capgo API key (raw, sent as `authorization: <key>`, no "Bearer"). Needs the upload right. */
  apiKey: string
  /** Give up retrying one call after this long (ms), default 3 min. */
  deadlineMs?: number
  /** At most this many `GET /bundle` pages (50 rows each) per look-up; default 200. */
  maxPages?: number
}

interface BundleRow {
  id: number | string
  name: string
  checksum?: string | null
  external_url?: string | null
}

type Found = Extract<LookupResult, { found: true }>

export function createCapgoRegistrar(options: CapgoRegistrarOptions): Registrar {
  const apiKey = options.apiKey?.trim() ?? ''
  // Checked on first use, not here: a dry run builds the registrar without a key and never calls it.
  const requireKey = (): void => {
    if (apiKey) return
    throw new RegistrationError('input_capgo_api_key_missing', 'A Capgo API key is required to register bundles with Capgo: set capgo-api-key (create one in Capgo > API keys, with the upload right).', {
      stage: 'input',
      input: 'capgo-api-key',
      bundleState: 'not-registered',
    })
  }
  const baseUrl = parseHttpUrl(options.apiUrl ?? CAPGO_API_URL, 'capgo-api-url', 'input_capgo_api_url_invalid', CAPGO_API_URL).href.replace(/\/+$/, '')
  /** How messages name the API: no query string (it may hold a token). */
  const shownUrl = safeUrl(baseUrl)
  const { fetch: fetchImpl, sleep, now, logger, random, timeoutMs, attempts, baseDelayMs, maxDelayMs, maxRetryAfterMs } = httpCallSettings(options)
  const deadlineMs = options.deadlineMs ?? 180_000
  const maxPages = Math.max(1, options.maxPages ?? 200)
  const secrets = [apiKey]
  const endpoint: CapgoEndpoint = { baseUrl: shownUrl, timeoutMs, attempts }

  const retryOptions = {
    attempts,
    baseDelayMs,
    maxDelayMs,
    deadlineMs,
    sleep,
    now,
    random,
    classify: (error: unknown) => classifyHttpError(error, maxRetryAfterMs),
    onRetry: ({ attempt, attempts: total, delayMs, error }: { attempt: number; attempts: number; delayMs: number; error: unknown }) => {
      logger?.warn(`Capgo: ${shortReason(error, timeoutMs)}; retrying in ${seconds(delayMs)} (attempt ${attempt + 1} of ${total}).`)
    },
  }

  function send(method: 'GET' | 'POST', path: string, body?: unknown, query?: Record<string, string>) {
    const headers: Record<string, string> = { authorization: apiKey, accept: 'application/json', 'user-agent': USER_AGENT }
    if (body !== undefined) headers['content-type'] = 'application/json'
    return sendOnce(fetchImpl, { method, baseUrl, path, query, headers, body: body === undefined ? undefined : JSON.stringify(body), timeoutMs, secrets, now })
  }

  /** An idempotent call (GET, POST /channel, POST /bundle/metadata) with retries; errors mapped. */
  async function call(method: 'GET' | 'POST', path: string, body: unknown, query: Record<string, string> | undefined, ctx: CapgoCallContext): Promise<unknown> {
    try {
      return (await retryWithBackoff(() => send(method, path, body, query), retryOptions)).json
    } catch (error) {
      throw mapError(error, ctx, endpoint)
    }
  }

  /** Walk `GET /bundle` pages (newest first) until the version shows up or the list ends. */
  async function findVersion(appId: string, version: string, ctx: CapgoCallContext): Promise<LookupResult> {
    for (let page = 0; page < maxPages; page++) {
      let rows: unknown
      try {
        rows = (await retryWithBackoff(() => send('GET', '/bundle', undefined, { app_id: appId, page: String(page) }), retryOptions)).json
      } catch (error) {
        // Capgo answers 400 cannot_get_bundle "Cannot get bundle" for an empty page (no bundle at all,
        // or a page past the end); "You can't access this app" under the same code is a permission error.
        if (error instanceof HttpFailure && error.apiCode === 'cannot_get_bundle' && !/access/i.test(error.apiMessage ?? '')) return { found: false }
        throw mapError(error, ctx, endpoint)
      }
      if (!Array.isArray(rows)) {
        throw new RegistrationError('capgo_response_invalid', `Capgo answered GET /bundle with something that is not a list of bundles; is ${shownUrl} a Capgo API?`, {
          stage: ctx.stage,
          input: 'capgo-api-url',
          bundleState: ctx.bundleState,
        })
      }
      const row = (rows as BundleRow[]).find((candidate) => candidate && candidate.name === version)
      if (row) {
        return {
          found: true,
          checksum: typeof row.checksum === 'string' ? row.checksum : '',
          bundleId: row.id === undefined || row.id === null ? undefined : String(row.id),
          externalUrl: typeof row.external_url === 'string' ? row.external_url : undefined,
        }
      }
      if (rows.length < CAPGO_PAGE_SIZE) return { found: false }
    }
    logger?.warn(`Capgo: ${appId} has more than ${maxPages * CAPGO_PAGE_SIZE} bundles; stopped looking for ${version} after ${maxPages} pages.`)
    return { found: false }
  }

  function sameChecksum(a: string, b: string): boolean {
    return a.toLowerCase() === b.toLowerCase()
  }

  function conflictError(req: RegistrationRequest, found: Found): RegistrationError {
    return new RegistrationError(
      'capgo_version_conflict',
      `Version ${req.version} of ${req.appId} already exists on Capgo (bundle ${found.bundleId ?? '?'}) with different content or a different signing key ` +
        `(its checksum starts ${found.checksum.slice(0, 12) || '(none)'}…, this build's starts ${req.checksum.slice(0, 12)}…). ` +
        'Versions are immutable: the version must be bumped (or delete that bundle in Capgo first).',
      { stage: 'register', input: 'version', bundleState: 'not-registered' },
    )
  }

  type CreateOutcome = { kind: 'created'; bundleId?: string } | { kind: 'exists'; found?: Found; ours: boolean }

  /**
   * `POST /bundle` with care: it is not idempotent. 429 and refused connections are simply retried;
   * after an ambiguous failure the version is looked up first, and only sent again if absent.
   */
  async function createBundle(req: RegistrationRequest): Promise<CreateOutcome> {
    const body = {
      app_id: req.appId,
      version: req.version,
      external_url: req.externalUrl,
      checksum: req.checksum,
      session_key: req.sessionKey,
      key_id: req.keyId,
    }
    const ctx: CapgoCallContext = { appId: req.appId, version: req.version, keyId: req.keyId, externalUrl: req.externalUrl, action: 'register the bundle', stage: 'register', bundleState: 'not-registered' }
    /** The last attempt's outcome is unknown. */
    let unknownOutcome = false
    /** Some attempt's outcome was unknown (so an existing row may be ours). */
    let everUnknown = false
    try {
      return await retryWithBackoff<CreateOutcome>(async () => {
        if (unknownOutcome) {
          const found = await findVersion(req.appId, req.version, { ...ctx, bundleState: 'maybe-registered' })
          if (found.found) return { kind: 'exists', found, ours: true }
          logger?.info(`Capgo: ${req.version} is not registered after the failed attempt; sending it again.`)
        }
        unknownOutcome = false
        try {
          const answer = (await send('POST', '/bundle', body)).json as { bundle?: { id?: unknown } } | undefined
          const id = answer?.bundle?.id
          return { kind: 'created', bundleId: id === undefined || id === null ? undefined : String(id) }
        } catch (error) {
          if (outcomeUnknown(error)) unknownOutcome = everUnknown = true
          throw error
        }
      }, retryOptions)
    } catch (error) {
      if (error instanceof HttpFailure && error.apiCode === 'version_already_exists') {
        // When an earlier attempt of ours had an unknown outcome, the existing row may be ours.
        return { kind: 'exists', ours: everUnknown }
      }
      if (error instanceof RegistrationError || !unknownOutcome) throw mapError(error, ctx, endpoint)
      // The last attempt's outcome is unknown: settle it with a look-up if we can.
      let found: LookupResult | undefined
      try {
        found = await findVersion(req.appId, req.version, { ...ctx, bundleState: 'maybe-registered' })
      } catch {
        found = undefined
      }
      if (found?.found) return { kind: 'exists', found, ours: true }
      // The server answered (5xx) and the look-up confirms the version is absent: it was not
      // registered, so the upload can go. After a timeout the server may still be writing it.
      const settled = found !== undefined && error instanceof HttpFailure
      throw mapError(error, { ...ctx, bundleState: settled ? 'not-registered' : 'maybe-registered' }, endpoint)
    }
  }

  async function pointChannelInternal(appId: string, channel: string, version: string, bundleState: BundleState, stage: Stage): Promise<void> {
    await call('POST', '/channel', { app_id: appId, channel, version }, undefined, {
      appId,
      version,
      channel,
      action: `point channel "${channel}" at ${version}`,
      stage,
      bundleState,
    })
  }

  return {
    kind: 'capgo',

    async lookup(appId: string, version: string): Promise<LookupResult> {
      requireKey()
      return findVersion(appId, version, { appId, version, action: 'list the app\'s bundles', stage: 'lookup', bundleState: 'not-registered' })
    },

    async register(req: RegistrationRequest): Promise<RegistrationResult> {
      validateRegistrationRequest(req)
      requireKey()
      const outcome = await createBundle(req)
      let status: RegistrationResult['status']
      let bundleId: string | undefined
      let externalUrl: string | undefined = req.externalUrl
      if (outcome.kind === 'created') {
        status = 'registered'
        bundleId = outcome.bundleId
      } else {
        const found =
          outcome.found ??
          (await findVersion(req.appId, req.version, {
            appId: req.appId,
            version: req.version,
            action: 'look up the existing version',
            stage: 'register',
            bundleState: outcome.ours ? 'maybe-registered' : 'not-registered',
          }))
        if (!found.found) {
          throw new RegistrationError(
            'capgo_version_hidden',
            `Capgo says version ${req.version} of ${req.appId} already exists, but it is not among the app's listed bundles (it may be deleted but still reserved, or beyond the ${maxPages * CAPGO_PAGE_SIZE} newest). The version must be bumped.`,
            { stage: 'register', input: 'version', bundleState: outcome.ours ? 'maybe-registered' : 'not-registered' },
          )
        }
        if (!sameChecksum(found.checksum, req.checksum)) throw conflictError(req, found)
        bundleId = found.bundleId
        externalUrl = found.externalUrl ?? externalUrl
        // The server already references OUR upload (an earlier attempt of ours whose answer was lost
        // did register it): that is 'registered', and the upload must be kept. 'already-registered'
        // means the server holds the same content at another URL: our upload is unused.
        status = found.externalUrl === req.externalUrl || (outcome.ours && found.externalUrl === undefined) ? 'registered' : 'already-registered'
        if (status === 'already-registered') logger?.info(`Capgo: ${req.version} is already registered with the same checksum (bundle ${bundleId ?? '?'}).`)
      }

      await pointChannelInternal(req.appId, req.channel, req.version, 'registered', 'register')

      if ((req.link || req.comment) && bundleId !== undefined && Number.isFinite(Number(bundleId))) {
        const metadata: Record<string, unknown> = { app_id: req.appId, version_id: Number(bundleId) }
        if (req.link) metadata.link = req.link
        if (req.comment) metadata.comment = req.comment
        try {
          await call('POST', '/bundle/metadata', metadata, undefined, {
            appId: req.appId,
            version: req.version,
            action: 'set the bundle link/comment',
            stage: 'register',
            bundleState: 'registered',
          })
        } catch (error) {
          // Cosmetic: the bundle is registered and the channel points at it.
          logger?.warn(`Capgo: could not set the bundle's link/comment (${error instanceof Error ? error.message : String(error)}); the bundle is registered anyway.`)
        }
      }
      logger?.info(`Capgo: ${req.appId}@${req.version} ${status === 'registered' ? 'registered' : 'was already registered'} (bundle ${bundleId ?? '?'}); channel "${req.channel}" points at it.`)
      return { status, bundleId, externalUrl }
    },

    async pointChannel(appId: string, channel: string, version: string): Promise<void> {
      requireKey()
      await pointChannelInternal(appId, channel, version, 'registered', 'register')
    },
  }
}
