/**
 * Registers an externally hosted, encrypted bundle with Capgo (Capgo Cloud or a self-hosted Capgo
 * backend): `POST /bundle`, `POST /channel`, `POST /bundle/metadata`, and `GET /bundle` for
 * look-ups (docs/wire-format.md §5). The calls are CapgoApi's; this file is the policy:
 * - a publish costs a handful of calls: the look-up (usually one page), `POST /bundle`,
 *   `POST /channel`, and `POST /bundle/metadata` when a link or comment is given;
 * - `POST /bundle` is not idempotent: after an ambiguous failure (timeout, dropped connection, 5xx)
 *   the version is looked up before anything is sent again, and when the outcome still cannot be
 *   settled the error says so (`mightBeRegistered()`).
 * The API key never appears in messages or logs (the HTTP client redacts it).
 */
import type { Stage } from '../errors.js'
import type { Logger, LookupResult, Registrar, RegistrationRequest, RegistrationResult } from '../types.js'
import { parseHttpUrl } from '../url.js'
import { CAPGO_API_URL, CAPGO_PAGE_SIZE, type CapgoApi, CapgoHttpApi, type CapgoNewBundle } from './capgo-api.js'
import { type CapgoCallContext, type CapgoEndpoint, mapError } from './capgo-errors.js'
import {
  describeFailure,
  type HttpCallOptions,
  HttpFailure,
  HttpJsonClient,
  outcomeUnknown,
  USER_AGENT,
  type Retrier,
} from './http.js'
import { type BundleState, RegistrationError, validateRegistrationRequest } from './registration.js'

export { CAPGO_API_URL, CAPGO_PAGE_SIZE }

export interface CapgoRegistrarOptions extends HttpCallOptions {
  /** Capgo API base URL; default https://api.capgo.app. A self-hosted backend has its own. */
  apiUrl?: string
  /** Capgo API key (raw, sent as `authorization: <key>`, no "Bearer"). Needs the upload right. */
  apiKey: string
  /** At most this many `GET /bundle` pages (50 rows each) per look-up; default 200. */
  maxPages?: number
}

/** What CapgoRegistrar needs: the API, the retry policy for `POST /bundle`, and what messages quote. */
export interface CapgoRegistrarParts {
  api: CapgoApi
  retry: Retrier
  endpoint: CapgoEndpoint
  /** False when no API key was given: every call is refused (a dry run never calls). */
  hasApiKey: boolean
  logger?: Logger
  maxPages?: number
}

type Found = Extract<LookupResult, { found: true }>
type CreateOutcome = { kind: 'created'; bundleId?: string } | { kind: 'exists'; found?: Found; ours: boolean }

export function createCapgoRegistrar(options: CapgoRegistrarOptions): CapgoRegistrar {
  const { client, apiKey } = capgoHttpClient({ ...options, deadlineMs: options.deadlineMs ?? 180_000 })
  return new CapgoRegistrar({
    api: new CapgoHttpApi(client),
    retry: client.retry,
    endpoint: { baseUrl: client.shownUrl, attempts: client.attempts },
    hasApiKey: apiKey !== '',
    logger: options.logger,
    maxPages: options.maxPages,
  })
}

export class CapgoRegistrar implements Registrar {
  readonly kind = 'capgo'
  private readonly maxPages: number

  constructor(private readonly parts: CapgoRegistrarParts) {
    this.maxPages = Math.max(1, parts.maxPages ?? 200)
  }

  async lookup(appId: string, version: string): Promise<LookupResult> {
    this.requireKey()
    return this.findVersion(appId, version, {
      appId,
      version,
      action: "list the app's bundles",
      stage: 'lookup',
      bundleState: 'not-registered',
    })
  }

  async register(req: RegistrationRequest): Promise<RegistrationResult> {
    validateRegistrationRequest(req)
    this.requireKey()
    const outcome = await this.createBundleOnce(req)
    const result =
      outcome.kind === 'created'
        ? { status: 'registered' as const, bundleId: outcome.bundleId, externalUrl: req.externalUrl }
        : await this.settleExisting(req, outcome)
    await this.pointChannelAt(req.appId, req.channel, req.version, 'register', req.rollout, req.selfAssign)
    await this.setMetadata(req, result.bundleId)
    const done = result.status === 'registered' ? 'registered' : 'was already registered'
    this.parts.logger?.info(
      `Capgo: ${req.appId}@${req.version} ${done} (bundle ${result.bundleId ?? '?'}); channel "${req.channel}" points at it.`,
    )
    return result
  }

  async pointChannel(
    appId: string,
    channel: string,
    version: string,
    rollout?: RegistrationRequest['rollout'],
    selfAssign?: boolean,
  ): Promise<void> {
    this.requireKey()
    await this.pointChannelAt(appId, channel, version, 'register', rollout, selfAssign)
  }

  // Checked on first use, not at construction: a dry run builds the registrar without a key.
  private requireKey(): void {
    if (this.parts.hasApiKey) return
    throw new RegistrationError(
      'input_capgo_api_key_missing',
      'A Capgo API key is required to register bundles with Capgo: set capgo-api-key (create one in Capgo > API keys, with the upload right).',
      { stage: 'input', input: 'capgo-api-key', bundleState: 'not-registered' },
    )
  }

  /** Walk `GET /bundle` pages (newest first) until the version shows up or the list ends. */
  private async findVersion(appId: string, version: string, ctx: CapgoCallContext): Promise<LookupResult> {
    let pages = 0
    try {
      for await (const rows of this.parts.api.listBundles(appId)) {
        const row = rows.find((candidate) => candidate.name === version)
        if (row) {
          return {
            found: true,
            checksum: typeof row.checksum === 'string' ? row.checksum : '',
            bundleId: row.id === undefined || row.id === null ? undefined : String(row.id),
            externalUrl: typeof row.external_url === 'string' ? row.external_url : undefined,
            sessionKey: typeof row.session_key === 'string' ? row.session_key : undefined,
          }
        }
        if (++pages >= this.maxPages) {
          this.parts.logger?.warn(
            `Capgo: ${appId} has more than ${pages * CAPGO_PAGE_SIZE} bundles; stopped looking for ${version} after ${pages} pages.`,
          )
          break
        }
      }
    } catch (error) {
      throw mapError(error, ctx, this.parts.endpoint)
    }
    return { found: false }
  }

  /**
   * `POST /bundle` with care: it is not idempotent. 429 and refused connections are simply retried;
   * after an ambiguous failure the version is looked up first, and only sent again if absent.
   */
  private async createBundleOnce(req: RegistrationRequest): Promise<CreateOutcome> {
    const body: CapgoNewBundle = {
      app_id: req.appId,
      version: req.version,
      external_url: req.externalUrl,
      checksum: req.checksum,
      session_key: req.sessionKey,
      key_id: req.keyId,
    }
    const ctx = this.context(req, 'register the bundle', 'not-registered')
    const unsure = { ...ctx, bundleState: 'maybe-registered' as const }
    /** The last attempt's outcome is unknown. */
    let unknownOutcome = false
    /** Some attempt's outcome was unknown (so an existing row may be ours). */
    let everUnknown = false
    try {
      return await this.parts.retry<CreateOutcome>(async () => {
        if (unknownOutcome) {
          const found = await this.findVersion(req.appId, req.version, unsure)
          if (found.found) return { kind: 'exists', found, ours: true }
          this.parts.logger?.info(`Capgo: ${req.version} is not registered after the failed attempt; sending it again.`)
        }
        unknownOutcome = false
        try {
          return { kind: 'created', bundleId: (await this.postBundle(body, req.signature)).id }
        } catch (error) {
          if (outcomeUnknown(error)) unknownOutcome = everUnknown = true
          throw error
        }
      })
    } catch (error) {
      // When an earlier attempt of ours had an unknown outcome, the existing row may be ours.
      if (error instanceof HttpFailure && error.apiCode === 'version_already_exists')
        return { kind: 'exists', ours: everUnknown }
      if (error instanceof RegistrationError || !unknownOutcome) throw mapError(error, ctx, this.parts.endpoint)
      return this.settleUnknown(req, error, unsure)
    }
  }

  /**
   * Capgo's newer API stores the signed metadata (`signature`); older ones ignore the field. A
   * server that refuses it (400 naming the field: nothing was created) gets the bundle without it:
   * the signature is optional for devices, the registration is not.
   */
  private signatureRefused = false
  private async postBundle(body: CapgoNewBundle, signature: string | undefined): Promise<{ id?: string }> {
    if (!signature || this.signatureRefused) return this.parts.api.postBundle(body)
    try {
      return await this.parts.api.postBundle({ ...body, signature })
    } catch (error) {
      if (
        !(error instanceof HttpFailure) ||
        error.status !== 400 ||
        !/signature/i.test(`${error.apiCode ?? ''} ${error.apiMessage ?? ''}`)
      )
        throw error
      this.signatureRefused = true
      this.parts.logger?.warn(
        `Capgo refused the signed metadata field (${error.apiCode ?? 'HTTP 400'}): registering without it. Devices then skip the signature check.`,
      )
      return this.parts.api.postBundle(body)
    }
  }

  /** The last `POST /bundle` attempt's outcome is unknown: settle it with a look-up if we can. */
  private async settleUnknown(req: RegistrationRequest, error: unknown, ctx: CapgoCallContext): Promise<CreateOutcome> {
    let found: LookupResult | undefined
    try {
      found = await this.findVersion(req.appId, req.version, ctx)
    } catch {
      found = undefined
    }
    if (found?.found) return { kind: 'exists', found, ours: true }
    // The server answered (5xx) and the look-up confirms the version is absent: it was not
    // registered, so the upload can go. After a timeout the server may still be writing it.
    const settled = found !== undefined && error instanceof HttpFailure
    throw mapError(error, { ...ctx, bundleState: settled ? 'not-registered' : 'maybe-registered' }, this.parts.endpoint)
  }

  /** The version exists: ours (same checksum) or a conflict; and does the server hold OUR upload? */
  private async settleExisting(
    req: RegistrationRequest,
    outcome: Extract<CreateOutcome, { kind: 'exists' }>,
  ): Promise<RegistrationResult> {
    const bundleState: BundleState = outcome.ours ? 'maybe-registered' : 'not-registered'
    const found =
      outcome.found ??
      (await this.findVersion(req.appId, req.version, this.context(req, 'look up the existing version', bundleState)))
    if (!found.found) {
      throw new RegistrationError(
        'capgo_version_hidden',
        `Capgo says version ${req.version} of ${req.appId} already exists, but it is not among the app's listed bundles (it may be deleted but still reserved, or beyond the ${this.maxPages * CAPGO_PAGE_SIZE} newest). The version must be bumped.`,
        { stage: 'register', input: 'version', bundleState },
      )
    }
    if (found.checksum.toLowerCase() !== req.checksum.toLowerCase()) throw conflictError(req, found)
    // The server already references OUR upload (an earlier attempt of ours whose answer was lost
    // did register it): that is 'registered', and the upload must be kept. 'already-registered'
    // means the server holds the same content at another URL: our upload is unused.
    const ours = found.externalUrl === req.externalUrl || (outcome.ours && found.externalUrl === undefined)
    if (!ours)
      this.parts.logger?.info(
        `Capgo: ${req.version} is already registered with the same checksum (bundle ${found.bundleId ?? '?'}).`,
      )
    return {
      status: ours ? 'registered' : 'already-registered',
      bundleId: found.bundleId,
      externalUrl: found.externalUrl ?? req.externalUrl,
    }
  }

  /**
   * A rollout keeps the channel's stable bundle and sends `version` to a share of devices (Capgo's
   * channel/post.ts: rolloutVersion + rolloutPercentageBps, integer basis points). Preview channels
   * allow device self-assignment: testers join them with the plugin's setChannel.
   */
  private async pointChannelAt(
    appId: string,
    channel: string,
    version: string,
    stage: Stage,
    rollout?: RegistrationRequest['rollout'],
    selfAssign?: boolean,
  ): Promise<void> {
    const body = rollout
      ? {
          app_id: appId,
          channel,
          rolloutVersion: version,
          rolloutPercentageBps: Math.round(rollout.percentage * 100),
          rolloutEnabled: true,
          rolloutPaused: false,
        }
      : { app_id: appId, channel, version }
    try {
      await this.parts.api.postChannel(selfAssign ? { ...body, allow_device_self_set: true } : body)
    } catch (error) {
      throw mapError(
        error,
        {
          appId,
          version,
          channel,
          action: `point channel "${channel}" at ${version}`,
          stage,
          bundleState: 'registered',
        },
        this.parts.endpoint,
      )
    }
  }

  /** Link and comment are cosmetic: the bundle is registered and the channel points at it either way. */
  private async setMetadata(req: RegistrationRequest, bundleId: string | undefined): Promise<void> {
    if (!(req.link || req.comment) || bundleId === undefined || !Number.isFinite(Number(bundleId))) return
    try {
      await this.parts.api.postMetadata({
        app_id: req.appId,
        version_id: Number(bundleId),
        ...(req.link ? { link: req.link } : {}),
        ...(req.comment ? { comment: req.comment } : {}),
      })
    } catch (error) {
      this.parts.logger?.warn(
        `Capgo: could not set the bundle's link/comment (${describeFailure(error)}); the bundle is registered anyway.`,
      )
    }
  }

  private context(req: RegistrationRequest, action: string, bundleState: BundleState): CapgoCallContext {
    return {
      appId: req.appId,
      version: req.version,
      keyId: req.keyId,
      externalUrl: req.externalUrl,
      action,
      stage: 'register',
      bundleState,
    }
  }
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

/**
 * The HTTP client for the Capgo API at `apiUrl` (default Capgo Cloud), sending `apiKey` (trimmed)
 * as Capgo expects it and keeping it out of every message. Registration and the release modes
 * both talk to Capgo through one of these.
 */
export function capgoHttpClient(options: HttpCallOptions & { apiUrl?: string; apiKey?: string }): {
  client: HttpJsonClient
  apiKey: string
} {
  const apiKey = options.apiKey?.trim() ?? ''
  const baseUrl = parseHttpUrl(
    options.apiUrl ?? CAPGO_API_URL,
    'capgo-api-url',
    'input_capgo_api_url_invalid',
    CAPGO_API_URL,
  ).href.replace(/\/+$/, '')
  const client = new HttpJsonClient({
    ...options,
    baseUrl,
    service: 'Capgo',
    headers: { authorization: apiKey, accept: 'application/json', 'user-agent': USER_AGENT },
    secrets: [apiKey],
  })
  return { client, apiKey }
}
