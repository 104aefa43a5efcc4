/**
 * Release, channel and app records: the action's own memory, kept as small JSON objects in the
 * user's bucket next to the bundles (see docs/release-records.md). Version 1 of the schema.
 * The self-hosted responder serves devices from the channel and app records, so every field a
 * device needs is copied into the channel record's pointers.
 */
import { LiveUpdateError } from '../errors.js'
import type { NativeFingerprint } from '../native/types.js'

export const SCHEMA_VERSION = 1
/** Earlier stables kept per channel (rollback targets). */
export const HISTORY_LIMIT = 20
/** Operations kept per channel (for idempotent re-runs). */
export const OPERATIONS_LIMIT = 20
export const RECORDS_PREFIX = 'live-update'

// The native fingerprint's shape is the native module's (a type: erased, so the responder's import
// of this file still pulls nothing in).
export type { NativeFingerprint, NativePackage } from '../native/types.js'

export interface ReleaseFile {
  name: string
  size: number
  sha256: string
}

export interface ReleaseRecord {
  schema: 1
  appId: string
  version: string
  channels: string[]
  createdAt: string
  git?: { sha?: string; ref?: string; repository?: string; runUrl?: string; runId?: string; runAttempt?: string }
  bundle: {
    key: string
    url: string
    sessionKey: string
    checksum: string
    signature: string
    sha256: string
    keyId: string
    zipSize: number
    encryptedSize: number
    rawSize: number
    fileCount: number
  }
  files: ReleaseFile[]
  native: NativeFingerprint | null
  minNativeVersion?: string
  manifest?: { key: string; url: string; signature: string; entries: number }
}

/** What devices need, copied from the release record. */
export interface ReleasePointer {
  version: string
  /** Key of the release record. */
  record: string
  url: string
  sessionKey: string
  checksum: string
  signature: string
  keyId: string
  zipSize: number
  minNativeVersion?: string
  manifestUrl?: string
  manifestSignature?: string
}

export type OperationKind = 'publish' | 'promote' | 'rollback'

export interface ChannelOperation {
  kind: OperationKind
  version: string
  runId?: string
  runAttempt?: string
  at: string
  /** Random token of the writer (the fallback path checks its own update landed by it). */
  id?: string
  /** The stable version before a rollback or promote. */
  from?: string
}

export interface ChannelRecord {
  schema: 1
  appId: string
  channel: string
  revision: number
  updatedAt: string
  stable: ReleasePointer | null
  /** percentage 0.01-100 */
  rollout: { release: ReleasePointer; percentage: number } | null
  /** Earlier stables, newest first, at most HISTORY_LIMIT. */
  history: ReleasePointer[]
  nativeBaseline?: NativeFingerprint
  nativeFloor?: string
  /** Newest first, at most OPERATIONS_LIMIT. */
  operations: ChannelOperation[]
  /** Set on pull-request preview channels: never the app's default, removed by `mode: cleanup`. */
  preview?: { pullRequest?: number }
}

export interface AppRecord {
  schema: 1
  appId: string
  defaultChannel: string
  channels: string[]
  updatedAt: string
}

/** `live-update/<appId>/releases/<version>.json`: finds a version's release record (rollback, cleanup). */
export interface ReleaseIndexEntry {
  schema: 1
  appId: string
  version: string
  record: string
}

export function releaseRecordKey(objectKey: string): string {
  return `${objectKey}.release.json`
}
export function channelRecordKey(appId: string, channel: string): string {
  return `${RECORDS_PREFIX}/${appId}/channels/${channel}.json`
}
export function appRecordKey(appId: string): string {
  return `${RECORDS_PREFIX}/${appId}/app.json`
}
export function releaseIndexKey(appId: string, version: string): string {
  return `${RECORDS_PREFIX}/${appId}/releases/${version}.json`
}
export function releaseIndexPrefix(appId: string): string {
  return `${RECORDS_PREFIX}/${appId}/releases/`
}

export function pointerOf(record: ReleaseRecord, recordKey: string): ReleasePointer {
  const pointer: ReleasePointer = {
    version: record.version,
    record: recordKey,
    url: record.bundle.url,
    sessionKey: record.bundle.sessionKey,
    checksum: record.bundle.checksum,
    signature: record.bundle.signature,
    keyId: record.bundle.keyId,
    zipSize: record.bundle.zipSize,
  }
  if (record.minNativeVersion) pointer.minNativeVersion = record.minNativeVersion
  if (record.manifest) {
    pointer.manifestUrl = record.manifest.url
    pointer.manifestSignature = record.manifest.signature
  }
  return pointer
}

export function emptyChannelRecord(appId: string, channel: string, now: string): ChannelRecord {
  return {
    schema: 1,
    appId,
    channel,
    revision: 0,
    updatedAt: now,
    stable: null,
    rollout: null,
    history: [],
    operations: [],
  }
}

function invalid(key: string, why: string): LiveUpdateError {
  return new LiveUpdateError(
    'records_record_invalid',
    `The record ${key} in the bucket is not a valid schema-1 record (${why}). Fix or delete it by hand; it was left untouched.`,
    { stage: 'records' },
  )
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function checkSchema(value: unknown, key: string, appId?: string): Record<string, unknown> {
  if (!isObject(value)) throw invalid(key, 'not a JSON object')
  if (value.schema !== SCHEMA_VERSION) {
    throw new LiveUpdateError(
      'records_schema_unsupported',
      `The record ${key} has schema ${JSON.stringify(value.schema)}; this action reads schema ${SCHEMA_VERSION}. A newer action wrote it: upgrade the action.`,
      { stage: 'records' },
    )
  }
  if (appId !== undefined && value.appId !== appId)
    throw invalid(key, `appId is ${JSON.stringify(value.appId)}, expected ${appId}`)
  return value
}

function checkPointer(value: unknown, key: string, where: string): void {
  if (!isObject(value)) throw invalid(key, `${where} is not an object`)
  for (const field of ['version', 'url', 'sessionKey', 'checksum', 'keyId'] as const) {
    if (typeof value[field] !== 'string') throw invalid(key, `${where}.${field} is missing`)
  }
}

export function parseChannelRecord(value: unknown, key: string, appId: string, channel: string): ChannelRecord {
  const record = checkSchema(value, key, appId)
  if (record.channel !== channel)
    throw invalid(key, `channel is ${JSON.stringify(record.channel)}, expected ${channel}`)
  if (typeof record.revision !== 'number') throw invalid(key, 'revision is missing')
  if (record.stable !== null) checkPointer(record.stable, key, 'stable')
  if (record.rollout !== null) {
    if (!isObject(record.rollout) || typeof record.rollout.percentage !== 'number')
      throw invalid(key, 'rollout is malformed')
    checkPointer(record.rollout.release, key, 'rollout.release')
  }
  if (!Array.isArray(record.history)) throw invalid(key, 'history is not a list')
  record.history.forEach((entry, index) => checkPointer(entry, key, `history[${index}]`))
  if (!Array.isArray(record.operations)) throw invalid(key, 'operations is not a list')
  return record as unknown as ChannelRecord
}

export function parseReleaseRecord(value: unknown, key: string, appId: string): ReleaseRecord {
  const record = checkSchema(value, key, appId)
  if (typeof record.version !== 'string') throw invalid(key, 'version is missing')
  if (!Array.isArray(record.channels)) throw invalid(key, 'channels is not a list')
  if (!isObject(record.bundle) || typeof record.bundle.key !== 'string' || typeof record.bundle.url !== 'string')
    throw invalid(key, 'bundle is malformed')
  if (!Array.isArray(record.files)) throw invalid(key, 'files is not a list')
  return record as unknown as ReleaseRecord
}

export function parseAppRecord(value: unknown, key: string, appId: string): AppRecord {
  const record = checkSchema(value, key, appId)
  if (!Array.isArray(record.channels) || typeof record.defaultChannel !== 'string')
    throw invalid(key, 'channels or defaultChannel is malformed')
  return record as unknown as AppRecord
}

export function parseReleaseIndex(value: unknown, key: string, appId: string): ReleaseIndexEntry {
  const record = checkSchema(value, key, appId)
  if (typeof record.record !== 'string' || typeof record.version !== 'string') throw invalid(key, 'record is missing')
  return record as unknown as ReleaseIndexEntry
}
