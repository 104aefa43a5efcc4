/**
 * The records the responder serves from (COMMON.md's schema, written by the action) and the keys
 * they live at. Read from the network, so every field the responder relies on is checked: a
 * hand-edited or half-migrated record becomes a clear `state_invalid` error, never a crash or a
 * reply a device would choke on.
 */
import type { StateReader } from './reader.js'

import {
  type AppRecord,
  appRecordKey,
  type ChannelRecord,
  channelRecordKey,
  type ReleasePointer,
  releaseRecordKey,
} from '../core/records/schema.js'

export type { ReleasePointer }

/** The part of the channel record (src/core/records/schema.ts) that the responder reads. */
export type ChannelState = Pick<ChannelRecord, 'appId' | 'channel' | 'revision' | 'stable' | 'rollout' | 'nativeFloor'>

/** The part of the app record that the responder reads. */
export type AppState = Pick<AppRecord, 'appId' | 'defaultChannel' | 'channels'>

/** One entry of a delta manifest, exactly as the plugin takes it. */
export interface ManifestEntry {
  file_name: string
  file_hash: string
  download_url: string
}

export class StateInvalidError extends Error {
  constructor(key: string, problem: string) {
    super(`${key}: ${problem}`)
    this.name = 'StateInvalidError'
  }
}

// Capgo's app id rule; channel names are path segments in keys, so no '/', no '..'.
export const APP_ID = /^[a-z0-9]+(\.[\w-]+)+$/i
export const CHANNEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

// The records' own key builders: this module and the action that writes the records cannot drift.
export const appKey = appRecordKey
export const channelKey = channelRecordKey

/**
 * Delta manifests live beside the release record: `<bundle key>.manifest.json` next to
 * `<bundle key>.release.json`. Derived from the pointer's record key, so a reader that only knows
 * keys (an R2 binding) finds it as well as one that knows URLs.
 */
export function manifestKeyOf(pointer: ReleasePointer): string | undefined {
  const suffix = releaseRecordKey('')
  if (!pointer.manifestUrl || !pointer.record.endsWith(suffix)) return undefined
  return `${pointer.record.slice(0, -suffix.length)}.manifest.json`
}

type Json = Record<string, unknown>

function parseObject(key: string, text: string): Json {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new StateInvalidError(key, 'not valid JSON')
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new StateInvalidError(key, 'not a JSON object')
  return value as Json
}

function str(key: string, source: Json, field: string, optional = false): string | undefined {
  const value = source[field]
  if (value === undefined || value === null) {
    if (optional) return undefined
    throw new StateInvalidError(key, `missing '${field}'`)
  }
  if (typeof value !== 'string') throw new StateInvalidError(key, `'${field}' must be a string`)
  return value
}

function checkSchema(key: string, json: Json): void {
  if (json.schema !== 1)
    throw new StateInvalidError(
      key,
      `unsupported schema ${JSON.stringify(json.schema)} (this responder reads schema 1)`,
    )
}

export function parseAppRecord(key: string, text: string): AppState {
  const json = parseObject(key, text)
  checkSchema(key, json)
  const channels = json.channels
  if (!Array.isArray(channels) || !channels.every((name) => typeof name === 'string' && CHANNEL.test(name))) {
    throw new StateInvalidError(key, "'channels' must be a list of channel names")
  }
  const defaultChannel = str(key, json, 'defaultChannel') as string
  return { appId: str(key, json, 'appId') as string, defaultChannel, channels: channels as string[] }
}

function parsePointer(key: string, value: unknown, where: string): ReleasePointer {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new StateInvalidError(key, `'${where}' must be an object`)
  const json = value as Json
  const at = (field: string, optional = false): string | undefined => {
    try {
      return str(key, json, field, optional)
    } catch {
      throw new StateInvalidError(key, `'${where}.${field}' is missing or not a string`)
    }
  }
  const url = at('url') as string
  if (!/^https?:\/\//.test(url)) throw new StateInvalidError(key, `'${where}.url' must be an http(s) URL`)
  const zipSize = json.zipSize
  return {
    version: at('version') as string,
    record: at('record') as string,
    url,
    sessionKey: at('sessionKey') as string,
    checksum: at('checksum') as string,
    signature: at('signature', true) ?? '',
    keyId: at('keyId', true) ?? '',
    zipSize: typeof zipSize === 'number' ? zipSize : 0,
    minNativeVersion: at('minNativeVersion', true),
    manifestUrl: at('manifestUrl', true),
    manifestSignature: at('manifestSignature', true),
  }
}

export function parseChannelRecord(key: string, text: string): ChannelState {
  const json = parseObject(key, text)
  checkSchema(key, json)
  const stable = json.stable === null || json.stable === undefined ? null : parsePointer(key, json.stable, 'stable')
  let rollout: ChannelState['rollout'] = null
  if (json.rollout !== null && json.rollout !== undefined) {
    const raw = json.rollout as Json
    const percentage = raw?.percentage
    if (typeof percentage !== 'number' || !(percentage > 0) || percentage > 100) {
      throw new StateInvalidError(key, "'rollout.percentage' must be a number in (0, 100]")
    }
    rollout = { release: parsePointer(key, raw.release, 'rollout.release'), percentage }
  }
  const revision = typeof json.revision === 'number' ? json.revision : 0
  return {
    appId: str(key, json, 'appId') as string,
    channel: str(key, json, 'channel') as string,
    revision,
    stable,
    rollout,
    nativeFloor: str(key, json, 'nativeFloor', true),
  }
}

export function parseManifest(key: string, text: string): ManifestEntry[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new StateInvalidError(key, 'not valid JSON')
  }
  if (!Array.isArray(value)) throw new StateInvalidError(key, 'a manifest must be a JSON array')
  for (const entry of value) {
    const ok =
      entry &&
      typeof entry.file_name === 'string' &&
      typeof entry.file_hash === 'string' &&
      typeof entry.download_url === 'string'
    if (!ok)
      throw new StateInvalidError(key, 'every manifest entry needs file_name, file_hash and download_url strings')
  }
  return value.map((entry: ManifestEntry) => ({
    file_name: entry.file_name,
    file_hash: entry.file_hash,
    download_url: entry.download_url,
  }))
}

/**
 * Parsed records, memoised per text: the cache under the reader hands back the same string until
 * its TTL ends, so parsing (and the prepared reply hung off the parsed object) happens once per TTL.
 */
export class StateStore {
  private readonly parsed = new Map<string, { text: string; value: unknown }>()

  constructor(
    readonly reader: StateReader,
    private readonly maxEntries = 1000,
  ) {}

  async app(appId: string): Promise<AppState | null> {
    return this.load(appKey(appId), parseAppRecord)
  }

  async channel(appId: string, channel: string): Promise<ChannelState | null> {
    return this.load(channelKey(appId, channel), parseChannelRecord)
  }

  async manifest(key: string): Promise<ManifestEntry[] | null> {
    return this.load(key, parseManifest)
  }

  private async load<T>(key: string, parse: (key: string, text: string) => T): Promise<T | null> {
    const text = await this.reader.read(key)
    if (text === null) return null
    const memo = this.parsed.get(key)
    if (memo && memo.text === text) return memo.value as T
    const value = parse(key, text)
    while (this.parsed.size >= this.maxEntries) this.parsed.delete(this.parsed.keys().next().value as string)
    this.parsed.set(key, { text, value })
    return value
  }
}
