/**
 * A strict stand-in for Capgo's public API (the routes a publisher uses), on 127.0.0.1 with a random
 * port. Behaviour follows Capgo's backend (supabase/functions/_backend/public/bundle/create.ts etc.):
 * - auth: `authorization: <key>` or `capgkey: <key>` (x-api-key is NOT read); missing => 401
 *   no_key_provided, unknown => 401 invalid_apikey; a key limited to other apps => 400
 *   cannot_create_bundle / cannot_get_bundle "You can't access this app"; a key without the upload
 *   right => 403 permission_denied on writes.
 * - POST /bundle: validation order and codes as Capgo; org policies; version uniqueness (atomic).
 * - GET /bundle?app_id&page: newest first, 50 a page, `page` from 0, no version filter; an empty page
 *   => 400 cannot_get_bundle "Cannot get bundle".
 * - POST /channel {app_id, channel, version?, rolloutVersion?, rolloutPercentage(Bps)?, rolloutEnabled?,
 *   rolloutPaused?, promoteToStable?, rollback?, allow_device_self_set?} as public/channel/post.ts:
 *   camelCase or snake_case, percentage 0-100 (bps an integer 0-10000), a rollout target or
 *   promote/rollback needs an existing channel (cannot_find_channel), a rollout needs a stable bundle
 *   (missing_stable_version), promote needs a rollout (missing_rollout_version).
 * - GET /channel?app_id&channel (public/channel/get.ts): `version: {name, id}`,
 *   `rollout_version_info: {name, id}`, `rolloutPercentageBps`, `rolloutEnabled`; an unknown channel
 *   => 400 cannot_find_version.
 * - PUT /bundle {app_id, version_id, channel_id, target?: auto|stable|rollout} (wire-format §7: `auto`
 *   moves the rollout when one is enabled); POST /bundle/metadata {app_id, version_id, link?, comment?};
 *   DELETE /channel {app_id, channel}; DELETE /bundle {app_id, version?} (never a bundle a channel
 *   serves as stable or rollout: cannot_delete_linked_version). Bodies of PUT/DELETE are JSON, as
 *   Capgo's getBodyOrQuery reads.
 * - Errors: JSON `{error, message, moreInfo?}`.
 * Faults can be injected (status, Retry-After, delay, hang, dropped connection, "after handling"),
 * and a rate limit configured on an injectable clock. Every request is recorded (auth header values
 * masked), and `arrival()` resolves when a matching request has been received.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ApiKeyConfig {
  key: string
  /** Limited to these apps (Capgo's limited_to_apps); undefined = all apps of the org. */
  apps?: string[]
  /** False for a read-only key (no app.upload_bundle). Default true. */
  upload?: boolean
}

export interface OrgPolicy {
  enforceEncryptedBundles?: boolean
  /** Capgo's required_encryption_key: the key_id (or a prefix) bundles must carry. */
  requiredEncryptionKey?: string
}

export interface BundleRow {
  id: number
  app_id: string
  name: string
  checksum: string | null
  session_key: string | null
  key_id: string | null
  signature: string | null
  external_url: string | null
  storage_provider: string
  link: string | null
  comment: string | null
  created_at: string
  deleted: boolean
}

export interface ChannelRow {
  id: number
  app_id: string
  name: string
  /** Bundle id (null: no stable). */
  version: number | null
  rollout_version: number | null
  rollout_percentage_bps: number
  rollout_enabled: boolean
  rollout_paused_at: string | null
  allow_device_self_set: boolean
}

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  /** Lower-cased header names; auth values replaced by `<set>`. */
  headers: Record<string, string>
  /** Which auth header carried a key, and whether it was a configured key. */
  auth: { header?: 'authorization' | 'capgkey'; known: boolean }
  body: unknown
  rawBody: string
}

export interface Fault {
  method?: string
  path?: string
  /** How many matching requests it applies to (default 1). */
  times?: number
  status?: number
  body?: unknown
  headers?: Record<string, string>
  /** Wait this long before answering (the client may time out meanwhile). */
  delayMs?: number
  /** Run the real handler first (state changes!), then delay / replace the answer. */
  afterHandling?: boolean
  /** Destroy the socket instead of answering (a network error for the client). */
  drop?: boolean
  /** Never answer (until the server closes): the client's timeout or abort decides. */
  hang?: boolean
}

export interface CapgoServerOptions {
  /**
   * The signed-metadata field of POST /bundle: 'store' (newer Capgo: app_versions.signature,
   * validated as 512 lowercase hex like its API schema), 'ignore' (older backends read only the
   * fields they know), 'refuse' (a strict server that rejects the unknown field). Default 'store'.
   */
  signature?: 'store' | 'ignore' | 'refuse'
  keys?: ApiKeyConfig[]
  apps?: string[]
  policy?: OrgPolicy
  /** At most `max` requests per `windowMs` (all keys together); beyond: 429 with Retry-After. */
  rateLimit?: { max: number; windowMs: number; retryAfterSeconds: number }
  /** The rate limit's clock (ms); default Date.now. Tests advance it from their fake sleep. */
  now?: () => number
}

export interface CapgoServer {
  url: string
  requests: RecordedRequest[]
  bundles: BundleRow[]
  channels: ChannelRow[]
  keys: ApiKeyConfig[]
  apps: Set<string>
  policy: OrgPolicy
  fail(fault: Fault): void
  /** Remove every pending fault. */
  clearFaults(): void
  /** Add bundles directly (oldest first), as if uploaded earlier. */
  seed(appId: string, rows: Array<Partial<BundleRow> & { name: string }>): BundleRow[]
  bundlesOf(appId: string): BundleRow[]
  channel(appId: string, name: string): BundleRow | undefined
  /** The channel's rollout bundle and share, when a rollout is enabled. */
  rollout(appId: string, name: string): { bundle: BundleRow; percentage: number } | undefined
  /** Resolves once a request `METHOD /path` has been received (and recorded). */
  arrival(route: string): Promise<void>
  close(): Promise<void>
}

const APP_ID = /^[a-z0-9]+(\.[\w-]+)+$/i
// semver.org's regex (no leading v).
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/
const PAGE = 50

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly moreInfo?: Record<string, unknown>,
  ) {
    super(message)
  }
}

export async function startCapgoServer(options: CapgoServerOptions = {}): Promise<CapgoServer> {
  const keys = options.keys ?? [{ key: 'test-key' }]
  const apps = new Set(options.apps ?? ['com.example.app'])
  const policy = options.policy ?? {}
  const bundles: BundleRow[] = []
  const channels: ChannelRow[] = []
  const requests: RecordedRequest[] = []
  const faults: Fault[] = []
  const hits: number[] = []
  const arrivals: { route: string; resolve: () => void }[] = []
  const now = options.now ?? Date.now
  let nextId = 1000
  let nextChannelId = 1
  let clock = Date.parse('2025-01-01T00:00:00Z')

  const insert = (row: Partial<BundleRow> & { name: string; app_id: string }): BundleRow => {
    const full: BundleRow = {
      id: nextId++,
      checksum: null,
      session_key: null,
      key_id: null,
      signature: null,
      external_url: null,
      storage_provider: 'external',
      link: null,
      comment: null,
      deleted: false,
      ...row,
      created_at: new Date((clock += 1000)).toISOString(),
    }
    bundles.push(full)
    return full
  }
  const live = (appId: string) => bundles.filter((b) => b.app_id === appId && !b.deleted)

  function authenticate(req: http.IncomingMessage): ApiKeyConfig {
    // Capgo reads capgkey, then authorization. x-api-key is ignored.
    const raw = (req.headers.capgkey as string | undefined) ?? (req.headers.authorization as string | undefined)
    if (!raw) throw new ApiError(401, 'no_key_provided', 'No key provided')
    const key = keys.find((k) => k.key === raw)
    if (!key) throw new ApiError(401, 'invalid_apikey', 'Invalid apikey')
    return key
  }

  function canAccess(key: ApiKeyConfig, appId: string): boolean {
    return !key.apps || key.apps.includes(appId)
  }

  function requireUpload(key: ApiKeyConfig): void {
    if (key.upload === false) throw new ApiError(403, 'permission_denied', 'Missing permission app.upload_bundle')
  }

  function createBundle(key: ApiKeyConfig, body: Record<string, unknown>) {
    const str = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '')
    const appId = str('app_id')
    if (!appId) throw new ApiError(400, 'missing_app_id', 'Missing required fields: app_id')
    if (!APP_ID.test(appId)) throw new ApiError(400, 'invalid_app_id', 'App ID must be a reverse domain string')
    if (!str('version')) throw new ApiError(400, 'missing_version', 'Missing required fields: version')
    if (!str('external_url')) throw new ApiError(400, 'missing_external_url', 'Missing required fields: external_url')
    if (!str('checksum')) throw new ApiError(400, 'missing_checksum', 'Missing required fields: checksum')
    if (!SEMVER.test(str('version')))
      throw new ApiError(
        400,
        'invalid_version_format',
        'Version must be valid semver format (e.g., 1.0.0, 1.0.0-alpha.1)',
      )
    requireUpload(key)
    if (!canAccess(key, appId)) throw new ApiError(400, 'cannot_create_bundle', "You can't access this app")
    if (!str('external_url').startsWith('https://'))
      throw new ApiError(400, 'invalid_protocol', 'External URL must use HTTPS protocol')
    if (!apps.has(appId)) throw new ApiError(400, 'cannot_find_app', 'Cannot find app')
    if (policy.enforceEncryptedBundles) {
      if (!str('session_key'))
        throw new ApiError(
          400,
          'encryption_required',
          'This organization requires all bundles to be encrypted. Please upload an encrypted bundle with a session_key.',
        )
      const required = policy.requiredEncryptionKey
      if (required) {
        const keyId = str('key_id')
        if (!keyId)
          throw new ApiError(
            400,
            'encryption_key_required',
            'This organization requires bundles to be encrypted with a specific key. The uploaded bundle does not have a key_id.',
          )
        if (!(keyId === required.substring(0, 20) || keyId.substring(0, required.length) === required)) {
          throw new ApiError(
            400,
            'encryption_key_mismatch',
            'This organization requires bundles to be encrypted with a specific key. The uploaded bundle was encrypted with a different key.',
            {
              expected_key_prefix: `${required.substring(0, 4)}...`,
            },
          )
        }
      }
    }
    const signatureMode = options.signature ?? 'store'
    if (body.signature !== undefined && signatureMode === 'refuse')
      throw new ApiError(400, 'invalid_body', 'Unknown field: signature')
    if (body.signature !== undefined && signatureMode === 'store' && !/^[0-9a-f]{512}$/.test(str('signature'))) {
      throw new ApiError(400, 'invalid_signature', 'signature must be 512 lowercase hex characters')
    }
    // Check and insert in one synchronous step: a unique (app_id, name) constraint.
    if (live(appId).some((b) => b.name === str('version')))
      throw new ApiError(400, 'version_already_exists', 'Version already exists')
    const row = insert({
      app_id: appId,
      name: str('version'),
      checksum: str('checksum'),
      session_key: str('session_key') || null,
      key_id: str('key_id') || null,
      signature: signatureMode === 'store' ? str('signature') || null : null,
      external_url: str('external_url'),
    })
    return { status: 'success', bundle: row }
  }

  function listBundles(key: ApiKeyConfig, query: Record<string, string>) {
    const appId = query.app_id ?? ''
    if (!appId) throw new ApiError(400, 'missing_app_id', 'Missing app_id')
    if (!APP_ID.test(appId)) throw new ApiError(400, 'invalid_app_id', 'App ID must be a reverse domain string')
    if (!canAccess(key, appId) || !apps.has(appId))
      throw new ApiError(400, 'cannot_get_bundle', "You can't access this app")
    const page = query.page === undefined ? 0 : Number(query.page)
    const rows = live(appId)
      .slice()
      .sort((a, b) => b.id - a.id)
      .slice(page * PAGE, (page + 1) * PAGE)
    if (rows.length === 0) throw new ApiError(400, 'cannot_get_bundle', 'Cannot get bundle')
    return rows
  }

  const pick = (body: Record<string, unknown>, camel: string, snake: string) =>
    body[camel] === undefined ? body[snake] : body[camel]
  const findVersion = (appId: string, version: unknown) => {
    const row =
      typeof version === 'number'
        ? live(appId).find((b) => b.id === version)
        : live(appId).find((b) => b.name === version)
    if (!row) throw new ApiError(400, 'cannot_find_version', 'Cannot find version')
    return row
  }

  function setChannel(key: ApiKeyConfig, body: Record<string, unknown>) {
    const appId = typeof body.app_id === 'string' ? body.app_id : ''
    const name = typeof body.channel === 'string' ? body.channel : ''
    if (!appId) throw new ApiError(400, 'missing_app_id', 'Missing app_id')
    if (!APP_ID.test(appId)) throw new ApiError(400, 'invalid_app_id', 'App ID must be a reverse domain string')
    if (!name) throw new ApiError(400, 'missing_required_fields', 'Missing required fields')
    requireUpload(key)
    if (!canAccess(key, appId)) throw new ApiError(400, 'cannot_access_app', "You can't access this app")
    if (!apps.has(appId)) throw new ApiError(400, 'cannot_find_app', 'Cannot find app')
    const existing = channels.find((c) => c.app_id === appId && c.name === name)
    const rolloutVersion = pick(body, 'rolloutVersion', 'rollout_version')
    const percentage = pick(body, 'rolloutPercentage', 'rollout_percentage') as number | undefined
    let bps = pick(body, 'rolloutPercentageBps', 'rollout_percentage_bps') as number | undefined
    const enabled = pick(body, 'rolloutEnabled', 'rollout_enabled') as boolean | undefined
    const paused = pick(body, 'rolloutPaused', 'rollout_paused') as boolean | undefined
    const promoteToStable = Boolean(pick(body, 'promoteToStable', 'promote_to_stable'))
    const rollback = Boolean(body.rollback)
    if (
      percentage != null &&
      (typeof percentage !== 'number' || !Number.isFinite(percentage) || percentage < 0 || percentage > 100)
    ) {
      throw new ApiError(400, 'invalid_rollout_percentage', 'Rollout percentage must be between 0 and 100')
    }
    bps ??= percentage == null ? undefined : Math.round(percentage * 100)
    if (bps != null && (!Number.isInteger(bps) || bps < 0 || bps > 10000))
      throw new ApiError(400, 'invalid_rollout_config', 'rolloutPercentageBps must be an integer between 0 and 10000')
    if ((rolloutVersion !== undefined || rollback || promoteToStable) && !existing)
      throw new ApiError(400, 'cannot_find_channel', 'Cannot find channel')
    const version = body.version
    if (
      rolloutVersion &&
      ((version === undefined && (existing?.version ?? null) === null) || version === null || version === 'unknown')
    ) {
      throw new ApiError(400, 'missing_stable_version', 'Cannot set rollout target without a stable bundle')
    }
    const next: ChannelRow = existing
      ? { ...existing }
      : {
          id: nextChannelId++,
          app_id: appId,
          name,
          version: null,
          rollout_version: null,
          rollout_percentage_bps: 0,
          rollout_enabled: false,
          rollout_paused_at: null,
          allow_device_self_set: false,
        }
    if (version !== undefined) next.version = version ? findVersion(appId, version).id : null
    if (rolloutVersion !== undefined)
      next.rollout_version = rolloutVersion ? findVersion(appId, rolloutVersion).id : null
    if (bps != null) next.rollout_percentage_bps = bps
    if (enabled != null) next.rollout_enabled = enabled
    if (paused != null) next.rollout_paused_at = paused ? new Date().toISOString() : null
    if (typeof body.allow_device_self_set === 'boolean') next.allow_device_self_set = body.allow_device_self_set
    if (rollback)
      Object.assign(next, {
        rollout_version: null,
        rollout_enabled: false,
        rollout_percentage_bps: 0,
        rollout_paused_at: null,
      })
    if (promoteToStable) {
      const promoted = next.rollout_version ?? existing?.rollout_version
      if (!promoted) throw new ApiError(400, 'missing_rollout_version', 'Cannot promote without a rollout version')
      Object.assign(next, {
        version: promoted,
        rollout_version: null,
        rollout_enabled: false,
        rollout_percentage_bps: 0,
        rollout_paused_at: null,
      })
    }
    if (existing) Object.assign(existing, next)
    else channels.push(next)
    return { status: 'ok', ...(existing ? {} : { id: next.id }) }
  }

  function getChannel(key: ApiKeyConfig, query: Record<string, string>) {
    const appId = query.app_id ?? ''
    if (!appId) throw new ApiError(400, 'missing_app_id', 'Missing app_id')
    if (!APP_ID.test(appId)) throw new ApiError(400, 'invalid_app_id', 'App ID must be a reverse domain string')
    if (!canAccess(key, appId)) throw new ApiError(400, 'cannot_access_app', "You can't access this app")
    const view = (c: ChannelRow) => {
      const stable = bundles.find((b) => b.id === c.version)
      const rollout = bundles.find((b) => b.id === c.rollout_version)
      return {
        id: c.id,
        name: c.name,
        app_id: c.app_id,
        allow_device_self_set: c.allow_device_self_set,
        rollout_version: c.rollout_version,
        rolloutPercentageBps: c.rollout_percentage_bps,
        rolloutEnabled: c.rollout_enabled,
        rolloutPausedAt: c.rollout_paused_at,
        rollout_version_info: rollout ? { name: rollout.name, id: rollout.id } : null,
        version: stable ? { name: stable.name, id: stable.id } : null,
      }
    }
    if (!query.channel) return channels.filter((c) => c.app_id === appId).map(view)
    const found = channels.find((c) => c.app_id === appId && c.name === query.channel)
    if (!found) throw new ApiError(400, 'cannot_find_version', 'Cannot find version')
    return view(found)
  }

  function setBundleChannel(key: ApiKeyConfig, body: Record<string, unknown>) {
    if (!body.app_id || !body.version_id || !body.channel_id)
      throw new ApiError(400, 'missing_required_fields', 'Missing required fields')
    const appId = String(body.app_id)
    if (!APP_ID.test(appId)) throw new ApiError(400, 'invalid_app_id', 'App ID must be a reverse domain string')
    requireUpload(key)
    const channel = channels.find((c) => c.id === body.channel_id && c.app_id === appId)
    if (!canAccess(key, appId)) throw new ApiError(400, 'cannot_access_app', "You can't access this app")
    const row = live(appId).find((b) => b.id === body.version_id)
    if (!row) throw new ApiError(400, 'cannot_find_version', 'Cannot find version')
    if (!channel) throw new ApiError(400, 'cannot_find_channel', 'Cannot find channel')
    const target = body.target ?? 'auto'
    if (!['auto', 'stable', 'rollout'].includes(target as string))
      throw new ApiError(400, 'invalid_target', 'target must be auto, stable or rollout')
    if (target === 'rollout' || (target === 'auto' && channel.rollout_enabled && channel.rollout_version !== null))
      channel.rollout_version = row.id
    else channel.version = row.id
    return { status: 'success', message: `Bundle ${row.name} set to channel ${channel.name}` }
  }

  function deleteChannel(key: ApiKeyConfig, body: Record<string, unknown>) {
    const appId = typeof body.app_id === 'string' ? body.app_id : ''
    if (!appId) throw new ApiError(400, 'missing_app_id', 'Missing app_id')
    if (!APP_ID.test(appId)) throw new ApiError(400, 'invalid_app_id', 'App ID must be a reverse domain string')
    if (typeof body.channel !== 'string' || !body.channel)
      throw new ApiError(400, 'missing_channel_name', 'You must provide a channel name')
    const index = channels.findIndex((c) => c.app_id === appId && c.name === body.channel)
    if (index < 0) throw new ApiError(400, 'cannot_find_channel', 'Cannot find channel')
    requireUpload(key)
    if (!canAccess(key, appId)) throw new ApiError(400, 'cannot_access_app', "You can't access this app")
    channels.splice(index, 1)
    return { status: 'ok' }
  }

  function deleteBundle(key: ApiKeyConfig, body: Record<string, unknown>) {
    const appId = typeof body.app_id === 'string' ? body.app_id : ''
    if (!appId) throw new ApiError(400, 'missing_app_id', 'Missing app_id')
    if (!APP_ID.test(appId)) throw new ApiError(400, 'invalid_app_id', 'App ID must be a reverse domain string')
    requireUpload(key)
    if (!canAccess(key, appId)) throw new ApiError(400, 'cannot_delete_bundle', "You can't access this app")
    const linked = new Set(channels.filter((c) => c.app_id === appId).flatMap((c) => [c.version, c.rollout_version]))
    if (typeof body.version === 'string' && body.version) {
      const row = live(appId).find((b) => b.name === body.version)
      if (!row) throw new ApiError(400, 'cannot_delete_version', 'Cannot delete version')
      if (linked.has(row.id))
        throw new ApiError(400, 'cannot_delete_linked_version', 'Cannot delete a bundle linked to a channel')
      row.deleted = true
    } else {
      for (const row of live(appId)) if (!linked.has(row.id)) row.deleted = true
    }
    return { status: 'ok' }
  }

  function setMetadata(key: ApiKeyConfig, body: Record<string, unknown>) {
    const appId = typeof body.app_id === 'string' ? body.app_id : ''
    if (!appId || !body.version_id) throw new ApiError(400, 'missing_required_fields', 'Missing required fields')
    requireUpload(key)
    if (!canAccess(key, appId)) throw new ApiError(400, 'cannot_access_app', "You can't access this app")
    const row = live(appId).find((b) => b.id === body.version_id)
    if (!row) throw new ApiError(400, 'cannot_find_version', 'Cannot find version')
    if (body.link === undefined && body.comment === undefined)
      throw new ApiError(400, 'no_fields_to_update', 'No fields to update')
    if (typeof body.link === 'string') row.link = body.link
    if (typeof body.comment === 'string') row.comment = body.comment
    return { status: 'success' }
  }

  function handle(
    method: string,
    path: string,
    query: Record<string, string>,
    req: http.IncomingMessage,
    body: unknown,
  ): { status: number; json: unknown } {
    try {
      const key = authenticate(req)
      const record = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {}
      if (method === 'GET' && path === '/bundle') return { status: 200, json: listBundles(key, query) }
      if (method === 'POST' && path === '/bundle') return { status: 200, json: createBundle(key, record) }
      if (method === 'POST' && path === '/channel') return { status: 200, json: setChannel(key, record) }
      if (method === 'GET' && path === '/channel') return { status: 200, json: getChannel(key, query) }
      if (method === 'POST' && path === '/bundle/metadata') return { status: 200, json: setMetadata(key, record) }
      if (method === 'PUT' && path === '/bundle') return { status: 200, json: setBundleChannel(key, record) }
      if (method === 'DELETE' && path === '/channel') return { status: 200, json: deleteChannel(key, record) }
      if (method === 'DELETE' && path === '/bundle') return { status: 200, json: deleteBundle(key, record) }
      return { status: 404, json: { error: 'not_found', message: 'Not found' } }
    } catch (error) {
      if (error instanceof ApiError)
        return {
          status: error.status,
          json: { error: error.code, message: error.message, ...(error.moreInfo ? { moreInfo: error.moreInfo } : {}) },
        }
      return { status: 500, json: { error: 'unknown_error', message: String(error) } }
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1')
        const rawBody = Buffer.concat(chunks).toString('utf8')
        let body: unknown
        try {
          body = rawBody ? JSON.parse(rawBody) : undefined
        } catch {
          body = undefined
        }
        const headers: Record<string, string> = {}
        for (const [name, value] of Object.entries(req.headers)) {
          if (value === undefined) continue
          headers[name] =
            name === 'authorization' || name === 'capgkey' || name === 'x-api-key'
              ? '<set>'
              : Array.isArray(value)
                ? value.join(', ')
                : value
        }
        const rawKey = (req.headers.capgkey as string | undefined) ?? (req.headers.authorization as string | undefined)
        requests.push({
          method: req.method ?? '',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers,
          auth: {
            header: req.headers.capgkey ? 'capgkey' : req.headers.authorization ? 'authorization' : undefined,
            known: keys.some((k) => k.key === rawKey),
          },
          body,
          rawBody,
        })
        const route = `${req.method} ${url.pathname}`
        for (const waiting of arrivals.filter((a) => a.route === route)) {
          arrivals.splice(arrivals.indexOf(waiting), 1)
          waiting.resolve()
        }

        const send = (status: number, json: unknown, extra: Record<string, string> = {}) => {
          if (res.destroyed) return
          res.writeHead(status, { 'content-type': 'application/json', ...extra })
          res.end(JSON.stringify(json))
        }

        if (options.rateLimit) {
          const at = now()
          while (hits.length && hits[0]! <= at - options.rateLimit.windowMs) hits.shift()
          if (hits.length >= options.rateLimit.max) {
            send(
              429,
              { error: 'too_many_requests', message: 'Too many requests' },
              { 'retry-after': String(options.rateLimit.retryAfterSeconds) },
            )
            return
          }
          hits.push(at)
        }

        const index = faults.findIndex(
          (f) => (!f.method || f.method === req.method) && (!f.path || f.path === url.pathname),
        )
        const fault = index >= 0 ? faults[index] : undefined
        if (fault) {
          fault.times = (fault.times ?? 1) - 1
          if (fault.times <= 0) faults.splice(index, 1)
        }
        let answer: { status: number; json: unknown } | undefined
        if (!fault || fault.afterHandling)
          answer = handle(req.method ?? '', url.pathname, Object.fromEntries(url.searchParams), req, body)
        if (fault) {
          if (fault.hang) return
          if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs))
          if (fault.drop) {
            req.socket.destroy()
            return
          }
          if (fault.status !== undefined) {
            send(
              fault.status,
              fault.body ?? {
                error: fault.status === 429 ? 'too_many_requests' : 'internal_error',
                message: 'injected',
              },
              fault.headers,
            )
            return
          }
        }
        answer ??= handle(req.method ?? '', url.pathname, Object.fromEntries(url.searchParams), req, body)
        send(answer.status, answer.json)
      })()
    })
  })
  // Keep-alive sockets would hold close() open.
  server.keepAliveTimeout = 1
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    bundles,
    channels,
    keys,
    apps,
    policy,
    fail: (fault) => void faults.push({ ...fault }),
    clearFaults: () => void faults.splice(0),
    seed: (appId, rows) => rows.map((row) => insert({ ...row, app_id: appId })),
    bundlesOf: (appId) => live(appId),
    channel: (appId, name) => {
      const ch = channels.find((c) => c.app_id === appId && c.name === name)
      return ch ? bundles.find((b) => b.id === ch.version) : undefined
    },
    rollout: (appId, name) => {
      const ch = channels.find((c) => c.app_id === appId && c.name === name)
      const bundle = ch?.rollout_enabled ? bundles.find((b) => b.id === ch.rollout_version) : undefined
      return bundle ? { bundle, percentage: ch!.rollout_percentage_bps / 100 } : undefined
    },
    arrival: (route) => new Promise<void>((resolve) => arrivals.push({ route, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
