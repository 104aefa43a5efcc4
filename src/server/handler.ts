/**
 * The update responder: one Web-standard handler, `(Request) => Promise<Response>`, that answers
 * the plugin's updateUrl, statsUrl and channelUrl from the records the action keeps in the user's
 * bucket. No node:* imports: the same code runs in Node, Cloudflare Workers and AWS Lambda.
 *
 * Stateless by design: the plugin (>= 5.34 / 6.34 / 7.34, every 8.x) stores the channel a device
 * picked with setChannel and sends it back as `defaultChannel`, and rollouts are a hash of the
 * device id, so nothing about a device is ever written anywhere.
 */
import { decide, resolveChannel, type Refusal } from './decide.js'
import { parseDeviceInfo, readJsonBody, RequestError, type DeviceInfo } from './device-request.js'
import { cachedStateReader, StateReadError, type StateReader } from './reader.js'
import { jsonResponse, prepareJson, preparedResponse, type PreparedJson } from './replies.js'
import { pluginSupportsManifest } from './semver.js'
import { manifestKeyOf, StateInvalidError, StateStore, type AppState, type ReleasePointer } from './state.js'
import { forwardStats, sortStats, StatsBook, type StatsCounter } from './stats.js'

export interface ResponderOptions {
  reader: StateReader
  /** Seconds-scale cache of state reads (default 10 s): how long a promote or rollback takes to show. */
  cacheTtlMs?: number
  /** Accepted stats events are POSTed here as `{events: [...]}` (optional). */
  statsWebhookUrl?: string
  fetch?: typeof fetch
  /** Where operational problems are reported (state unreadable, stats webhook down). */
  log?: (message: string) => void
  updateBodyLimit?: number
  statsBodyLimit?: number
}

/** Per-request hooks a platform may give (Workers' ctx.waitUntil keeps a promise alive after the reply). */
export interface RequestContext {
  waitUntil?(promise: Promise<unknown>): void
}

export interface Responder {
  fetch(request: Request, context?: RequestContext): Promise<Response>
  stats: StatsCounter
}

const KIB = 1024

export function createResponder(options: ResponderOptions): Responder {
  const ttl = options.cacheTtlMs ?? 10_000
  const store = new StateStore(ttl > 0 ? cachedStateReader(options.reader, { ttlMs: ttl }) : options.reader)
  const updateLimit = options.updateBodyLimit ?? 64 * KIB
  // 200 queued events of ~600 bytes each: the plugin's largest batch is far over 64 KiB.
  const statsLimit = options.statsBodyLimit ?? 1024 * KIB
  const log = options.log ?? (() => undefined)
  const doFetch = options.fetch ?? fetch
  const book = new StatsBook()
  const prepared = new WeakMap<ReleasePointer, Map<boolean, Promise<PreparedJson>>>()

  async function updates(request: Request): Promise<Response> {
    const device = parseDeviceInfo(await readJsonBody(request, updateLimit))
    const app = await store.app(device.app_id)
    if (!app) return refusal(unknownApp(device.app_id))
    const channelName = resolveChannel(device, app)
    if ('error' in channelName) return refusal(channelName)
    const channel = await store.channel(app.appId, channelName.name)
    if (!channel) {
      return refusal({
        kind: 'failed',
        error: 'no_channel',
        message: `channel '${channelName.name}' of ${app.appId} has no record yet: publish to it first`,
      })
    }
    const decision = await decide(device, channel)
    if (decision.type === 'refuse') return refusal(decision)
    return preparedResponse(request, await updateReply(decision.pointer, pluginSupportsManifest(device.plugin_version)))
  }

  function updateReply(pointer: ReleasePointer, withManifest: boolean): Promise<PreparedJson> {
    let byManifest = prepared.get(pointer)
    if (!byManifest) prepared.set(pointer, (byManifest = new Map()))
    let reply = byManifest.get(withManifest)
    if (!reply) {
      reply = buildUpdateReply(pointer, withManifest)
      reply.catch(() => byManifest?.delete(withManifest))
      byManifest.set(withManifest, reply)
    }
    return reply
  }

  async function buildUpdateReply(pointer: ReleasePointer, withManifest: boolean): Promise<PreparedJson> {
    // Built field by field: an `error` or `kind` key in a success reply reads as "no update" on Android.
    const body: Record<string, unknown> = {
      version: pointer.version,
      url: pointer.url,
      session_key: pointer.sessionKey,
      checksum: pointer.checksum,
    }
    if (pointer.signature) body.signature = pointer.signature
    const key = withManifest ? manifestKeyOf(pointer) : undefined
    if (key) {
      const manifest = await store.manifest(key)
      if (manifest) {
        body.manifest = manifest
        if (pointer.manifestSignature) body.manifest_signature = pointer.manifestSignature
      } else {
        log(`responder: manifest ${key} of release ${pointer.version} is missing; serving the zip only`)
      }
    }
    return prepareJson(body)
  }

  async function stats(request: Request, context?: RequestContext): Promise<Response> {
    const sorted = sortStats(await readJsonBody(request, statsLimit))
    if (!sorted)
      throw new RequestError(400, 'invalid_request', 'send one stats event (a JSON object) or a JSON array of them')
    for (const event of sorted.events) book.add(event.action)
    book.reject(sorted.rejected)
    if (options.statsWebhookUrl && sorted.events.length > 0) {
      const url = options.statsWebhookUrl
      const forwarding = forwardStats(url, sorted.events, doFetch).then((ok) => {
        if (!ok) log(`responder: stats webhook did not accept ${sorted.events.length} events`)
      })
      if (context?.waitUntil) context.waitUntil(forwarding)
      else await forwarding
    }
    return jsonResponse({ status: 'ok', accepted: sorted.events.length, rejected: sorted.rejected })
  }

  async function channelSelf(request: Request): Promise<Response> {
    const method = request.method
    const fromQuery = method === 'GET' || (method === 'DELETE' && !request.headers.get('content-type'))
    const device = fromQuery
      ? parseDeviceInfo(Object.fromEntries(new URL(request.url).searchParams), true)
      : parseDeviceInfo(await readJsonBody(request, updateLimit))
    const app = await store.app(device.app_id)
    if (!app) return channelError(unknownApp(device.app_id))
    switch (method) {
      case 'POST':
        return setChannel(device, app)
      case 'PUT':
        return getChannel(device, app)
      case 'DELETE':
        // Nothing is stored server-side: the plugin forgets its own override.
        return jsonResponse({ status: 'ok', message: 'channel override removed' })
      default:
        return jsonResponse(
          app.channels.map((name, index) => ({
            id: index + 1,
            name,
            public: name === app.defaultChannel,
            allow_self_set: true,
          })),
        )
    }
  }

  function setChannel(device: DeviceInfo, app: AppState): Response {
    if (!device.channel)
      return channelError({
        kind: 'failed',
        error: 'missing_channel',
        message: "send the channel to switch to as 'channel'",
      })
    if (!app.channels.includes(device.channel)) {
      return channelError({
        kind: 'failed',
        error: 'channel_not_found',
        message: `channel '${device.channel}' does not exist for ${app.appId}`,
      })
    }
    // The plugin stores the channel and sends it back as defaultChannel with every request.
    return jsonResponse({ status: 'ok', allowSet: true, message: `device will use channel '${device.channel}'` })
  }

  function getChannel(device: DeviceInfo, app: AppState): Response {
    const own =
      device.defaultChannel && app.channels.includes(device.defaultChannel) ? device.defaultChannel : undefined
    const channel = own ?? app.defaultChannel
    return jsonResponse({ channel, status: own && own !== app.defaultChannel ? 'override' : 'default', allowSet: true })
  }

  async function route(request: Request, context?: RequestContext): Promise<Response> {
    const path = new URL(request.url).pathname.replace(/\/+$/, '')
    const name = path.slice(path.lastIndexOf('/') + 1)
    const allow = (methods: string[]): void => {
      if (!methods.includes(request.method)) {
        throw Object.assign(
          new RequestError(
            405,
            'method_not_allowed',
            `${request.method} is not allowed on /${name}; use ${methods.join(', ')}`,
          ),
          { allow: methods },
        )
      }
    }
    switch (name) {
      case 'updates':
        allow(['POST'])
        return updates(request)
      case 'stats':
        allow(['POST'])
        return stats(request, context)
      case 'channel_self':
        allow(['POST', 'PUT', 'DELETE', 'GET'])
        return channelSelf(request)
      case 'health':
        allow(['GET', 'HEAD'])
        return jsonResponse({ status: 'ok' })
      default:
        throw new RequestError(
          404,
          'not_found',
          `no endpoint at ${path || '/'}; the responder answers POST /updates, POST /stats and /channel_self`,
        )
    }
  }

  return {
    stats: book,
    async fetch(request, context) {
      const isUpdate = new URL(request.url).pathname.replace(/\/+$/, '').endsWith('/updates')
      try {
        return await route(request, context)
      } catch (error) {
        if (error instanceof RequestError) {
          const headers: Record<string, string> = {}
          const allowed = (error as RequestError & { allow?: string[] }).allow
          if (allowed) headers.allow = allowed.join(', ')
          const body: Record<string, string> = { error: error.code, message: error.message }
          if (isUpdate) body.kind = 'failed'
          return jsonResponse(body, error.status, headers)
        }
        if (error instanceof StateReadError || error instanceof StateInvalidError) {
          log(`responder: ${error.message}`)
          const code = error instanceof StateReadError ? 'state_unavailable' : 'state_invalid'
          const body: Record<string, string> = {
            error: code,
            message: 'the update state cannot be read right now; try again later',
          }
          if (isUpdate) body.kind = 'failed'
          return jsonResponse(body, 502)
        }
        log(`responder: unexpected error: ${(error as Error)?.stack ?? String(error)}`)
        return jsonResponse(
          { error: 'internal_error', message: 'unexpected error', ...(isUpdate ? { kind: 'failed' } : {}) },
          500,
        )
      }
    },
  }
}

function unknownApp(appId: string): Refusal {
  return {
    kind: 'failed',
    error: 'app_not_found',
    message: `no live updates are published for ${appId} here (no live-update/${appId}/app.json); check appId in capacitor.config`,
  }
}

/** Device-facing outcomes are HTTP 200 with `{error, message, kind}`, as Capgo answers: the plugin reads the body. */
function refusal(refusal: Refusal): Response {
  return jsonResponse({ error: refusal.error, message: refusal.message, kind: refusal.kind })
}

function channelError(refusal: Refusal): Response {
  return jsonResponse({ error: refusal.error, message: refusal.message })
}
