/**
 * The records of one app in the user's bucket: release records beside their bundles, a version
 * index, one record per channel, the app record. Every change goes through the race-safe updater.
 */
import type { BundleStore } from '../types.js'
import { hasOperation, type ChannelStep, type OperationContext } from './channel.js'
import {
  appRecordKey,
  channelRecordKey,
  parseAppRecord,
  parseChannelRecord,
  parseReleaseIndex,
  parseReleaseRecord,
  releaseIndexKey,
  releaseIndexPrefix,
  type AppRecord,
  type ChannelRecord,
  type ReleaseIndexEntry,
  type ReleaseRecord,
} from './schema.js'
import { updateRecord, writerToken, type UpdateSettings, type WritePath } from './update.js'

export interface RecordsSettings extends UpdateSettings {
  now?: () => Date
}

export interface ChannelUpdate {
  record: ChannelRecord | undefined
  changed: boolean
  note: string
  path: WritePath
}

export class ReleaseRecords {
  constructor(
    readonly store: BundleStore,
    readonly appId: string,
    private readonly settings: RecordsSettings = {},
  ) {}

  now(): string {
    return (this.settings.now?.() ?? new Date()).toISOString()
  }

  context(run: { runId?: string; runAttempt?: string } = {}): OperationContext {
    return { id: writerToken(), at: this.now(), runId: run.runId, runAttempt: run.runAttempt }
  }

  async readChannel(channel: string): Promise<ChannelRecord | undefined> {
    const key = channelRecordKey(this.appId, channel)
    const found = await this.store.getJson(key)
    return found ? parseChannelRecord(found.value, key, this.appId, channel) : undefined
  }

  async readApp(): Promise<AppRecord | undefined> {
    const key = appRecordKey(this.appId)
    const found = await this.store.getJson(key)
    return found ? parseAppRecord(found.value, key, this.appId) : undefined
  }

  async readReleaseAt(key: string): Promise<ReleaseRecord | undefined> {
    const found = await this.store.getJson(key)
    return found ? parseReleaseRecord(found.value, key, this.appId) : undefined
  }

  /** A version's release record, found through the index. */
  async readRelease(version: string): Promise<{ key: string; record: ReleaseRecord } | undefined> {
    const indexKey = releaseIndexKey(this.appId, version)
    const entry = await this.store.getJson(indexKey)
    if (!entry) return undefined
    const { record: key } = parseReleaseIndex(entry.value, indexKey, this.appId)
    const record = await this.readReleaseAt(key)
    return record ? { key, record } : undefined
  }

  async listReleases(): Promise<ReleaseIndexEntry[]> {
    const entries: ReleaseIndexEntry[] = []
    for (const key of await this.store.list(releaseIndexPrefix(this.appId))) {
      if (!key.endsWith('.json')) continue
      const found = await this.store.getJson(key)
      if (found) entries.push(parseReleaseIndex(found.value, key, this.appId))
    }
    return entries
  }

  /** Write a release record (or add the channel to an existing one) and its index entry. */
  async saveRelease(key: string, record: ReleaseRecord): Promise<ReleaseRecord> {
    const channels = record.channels
    const outcome = await updateRecord<ReleaseRecord>(
      this.store,
      {
        key,
        parse: (value) => parseReleaseRecord(value, key, this.appId),
        apply: (current) => {
          if (!current) return record
          const missing = channels.filter((channel) => !current.channels.includes(channel))
          return missing.length ? { ...current, channels: [...current.channels, ...missing] } : undefined
        },
        applied: (current) => Boolean(current && channels.every((channel) => current.channels.includes(channel))),
      },
      this.settings,
    )
    const indexKey = releaseIndexKey(this.appId, record.version)
    const entry: ReleaseIndexEntry = { schema: 1, appId: this.appId, version: record.version, record: key }
    await updateRecord<ReleaseIndexEntry>(
      this.store,
      {
        key: indexKey,
        parse: (value) => parseReleaseIndex(value, indexKey, this.appId),
        apply: (current) => (current?.record === key ? undefined : entry),
        applied: (current) => current?.record === key,
      },
      this.settings,
    )
    return outcome.value ?? record
  }

  /** Remove a channel from a release record; returns the channels that still use it. */
  async releaseChannelRemoved(key: string, channel: string): Promise<string[] | undefined> {
    const outcome = await updateRecord<ReleaseRecord>(
      this.store,
      {
        key,
        parse: (value) => parseReleaseRecord(value, key, this.appId),
        apply: (current) =>
          current?.channels.includes(channel)
            ? { ...current, channels: current.channels.filter((name) => name !== channel) }
            : undefined,
        applied: (current) => !current?.channels.includes(channel),
      },
      this.settings,
    )
    return outcome.value?.channels
  }

  async deleteRelease(version: string, key: string): Promise<void> {
    await this.store.delete(key)
    await this.store.delete(releaseIndexKey(this.appId, version))
  }

  /** Apply one step (publish / promote / rollback) to a channel record, race-safe. */
  async updateChannel(
    channel: string,
    ctx: OperationContext,
    step: (current: ChannelRecord | undefined) => ChannelStep,
  ): Promise<ChannelUpdate> {
    const key = channelRecordKey(this.appId, channel)
    let note = ''
    const outcome = await updateRecord<ChannelRecord>(
      this.store,
      {
        key,
        parse: (value) => parseChannelRecord(value, key, this.appId, channel),
        apply: (current) => {
          const result = step(current)
          // On a re-read after our own write (fallback), keep the note of the write.
          if (result.next || !hasOperation(current, ctx.id)) note = result.note
          return result.next
        },
        applied: (current) => hasOperation(current, ctx.id),
      },
      this.settings,
    )
    return { record: outcome.value, changed: outcome.changed, note, path: outcome.path }
  }

  async deleteChannel(channel: string): Promise<void> {
    await this.store.delete(channelRecordKey(this.appId, channel))
  }

  /** Add (or remove) a channel in the app record. Preview channels never become the default. */
  async updateApp(
    channel: string,
    action: 'add' | 'remove',
    options: { preview?: boolean } = {},
  ): Promise<AppRecord | undefined> {
    const key = appRecordKey(this.appId)
    const at = this.now()
    const outcome = await updateRecord<AppRecord>(
      this.store,
      {
        key,
        parse: (value) => parseAppRecord(value, key, this.appId),
        apply: (current) => {
          const base: AppRecord = current ?? {
            schema: 1,
            appId: this.appId,
            defaultChannel: '',
            channels: [],
            updatedAt: at,
          }
          if (action === 'add') {
            if (base.channels.includes(channel) && (options.preview || base.defaultChannel)) return undefined
            const channels = base.channels.includes(channel) ? base.channels : [...base.channels, channel]
            const defaultChannel = base.defaultChannel || (options.preview ? '' : channel)
            return { ...base, channels, defaultChannel, updatedAt: at }
          }
          if (!current?.channels.includes(channel)) return undefined
          return {
            ...current,
            channels: current.channels.filter((name) => name !== channel),
            defaultChannel: current.defaultChannel === channel ? '' : current.defaultChannel,
            updatedAt: at,
          }
        },
        applied: (current) =>
          action === 'add' ? Boolean(current?.channels.includes(channel)) : !current?.channels.includes(channel),
      },
      this.settings,
    )
    return outcome.value
  }
}

export * from './schema.js'
export * from './channel.js'
export {
  updateRecord,
  writerToken,
  type RecordChange,
  type UpdateSettings,
  type UpdateOutcome,
  type WritePath,
} from './update.js'
