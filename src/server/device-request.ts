/**
 * Reading what a device sent: a bounded body, JSON only, and the fields the plugin puts in every
 * request (`createInfoObject` on Android, `InfoObject` on iOS) checked the way Capgo's backend
 * checks them, so a request that Capgo would refuse is refused here too, with the field named.
 */
import { APP_ID, CHANNEL } from './state.js'

export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'RequestError'
  }
}

export interface DeviceInfo {
  platform: 'ios' | 'android' | 'electron'
  device_id: string
  app_id: string
  version_name: string
  version_build: string
  plugin_version: string
  is_emulator: boolean
  is_prod: boolean
  defaultChannel?: string
  key_id?: string
  channel?: string
}

/** Read a JSON body of at most `limit` bytes; 411/413/415/400 with a reason otherwise. */
export async function readJsonBody(request: Request, limit: number): Promise<unknown> {
  const type = request.headers.get('content-type') ?? ''
  if (!/^application\/(?:[\w.+-]*\+)?json\b/i.test(type.trim())) {
    throw new RequestError(
      415,
      'unsupported_content_type',
      `send JSON with 'Content-Type: application/json' (got '${type.slice(0, 60) || 'none'}')`,
    )
  }
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > limit) {
    throw new RequestError(413, 'body_too_large', `the body is ${declared} bytes; at most ${limit} are accepted here`)
  }
  const bytes = await readBounded(request, limit)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new RequestError(400, 'invalid_json', 'the body is not UTF-8 text')
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new RequestError(400, 'invalid_json', 'the body is not valid JSON')
  }
}

async function readBounded(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => undefined)
      throw new RequestError(
        413,
        'body_too_large',
        `the body is over ${limit} bytes; at most ${limit} are accepted here`,
      )
    }
    chunks.push(value)
  }
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

const DEVICE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const PLATFORMS = new Set(['ios', 'android', 'electron'])

function invalid(field: string, why: string): RequestError {
  return new RequestError(400, 'invalid_request', `'${field}' ${why}`)
}

function text(source: Record<string, unknown>, field: string, max: number, required: boolean): string | undefined {
  const value = source[field]
  if (value === undefined || value === null) {
    if (required) throw invalid(field, 'is missing')
    return undefined
  }
  if (typeof value !== 'string') throw invalid(field, 'must be a string')
  if (value.length > max) throw invalid(field, `must be at most ${max} characters`)
  return value
}

/**
 * The plugin's device fields. Query strings (GET /channel_self) carry booleans as "true"/"false",
 * so `fromQuery` accepts those.
 */
export function parseDeviceInfo(value: unknown, fromQuery = false): DeviceInfo {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new RequestError(400, 'invalid_request', "the body must be a JSON object with the plugin's device fields")
  }
  const source = value as Record<string, unknown>
  const appId = text(source, 'app_id', 255, true) as string
  if (!APP_ID.test(appId)) throw invalid('app_id', 'must be a reverse-domain app id such as com.example.app')
  const deviceId = text(source, 'device_id', 36, true) as string
  if (!DEVICE_ID.test(deviceId)) throw invalid('device_id', "must be a UUID (the plugin's device id)")
  const platform = text(source, 'platform', 16, true) as string
  if (!PLATFORMS.has(platform)) throw invalid('platform', "must be 'ios', 'android' or 'electron'")
  const flag = (field: string): boolean => {
    const raw = source[field]
    if (typeof raw === 'boolean') return raw
    if (fromQuery && (raw === 'true' || raw === 'false')) return raw === 'true'
    if (raw === undefined) return false
    throw invalid(field, 'must be a boolean')
  }
  const channelName = (field: string): string | undefined => {
    const name = text(source, field, 128, false)
    if (name === undefined || name === '') return undefined
    if (!CHANNEL.test(name)) throw invalid(field, 'is not a valid channel name (letters, digits, . _ -)')
    return name
  }
  return {
    platform: platform as DeviceInfo['platform'],
    device_id: deviceId.toLowerCase(),
    app_id: appId,
    version_name: text(source, 'version_name', 255, true) as string,
    version_build: text(source, 'version_build', 255, true) as string,
    plugin_version: text(source, 'plugin_version', 64, true) as string,
    is_emulator: flag('is_emulator'),
    is_prod: flag('is_prod'),
    defaultChannel: channelName('defaultChannel'),
    key_id: text(source, 'key_id', 20, false) || undefined,
    channel: channelName('channel'),
  }
}
