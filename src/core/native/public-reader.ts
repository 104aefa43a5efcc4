/**
 * A ReleaseReader over the records' public URLs (COMMON.md keys: `live-update/<appId>/channels/
 * <channel>.json`, release records beside their bundles), read as devices and the self-hosted
 * responder read them: for callers that hold no records module (the records module reads through
 * the store itself, which does not depend on the public URL answering). A record that is missing,
 * or not schema 1 of this app, reads as absent (the guard then says there is nothing to compare with).
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { BundleStore, Fetch } from '../types.js'
import type { ChannelView, ReleaseReader, ReleaseView } from './guard.js'

export function channelRecordKey(appId: string, channel: string): string {
  return `live-update/${appId}/channels/${channel}.json`
}

async function readJson(url: string, key: string, doFetch: Fetch): Promise<Record<string, unknown> | undefined> {
  let text: string | undefined
  if (url.startsWith('file:')) {
    text = await readFile(fileURLToPath(url), 'utf8').catch(() => undefined)
  } else {
    const response = await doFetch(url, {
      signal: AbortSignal.timeout(30_000),
      headers: { 'cache-control': 'no-cache' },
    })
    if (response.status === 404 || response.status === 403) {
      await response.body?.cancel()
      return undefined
    }
    if (!response.ok) throw new Error(`HTTP ${response.status} reading the release record ${key} from its public URL`)
    text = await response.text()
  }
  if (text === undefined) return undefined
  try {
    const value: unknown = JSON.parse(text)
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

export function publicRecordsReader(store: BundleStore, appId: string, doFetch: Fetch = fetch): ReleaseReader {
  const mine = (record: Record<string, unknown> | undefined) =>
    record && record.schema === 1 && record.appId === appId ? record : undefined
  return {
    async readChannel(channel) {
      const record = mine(
        await readJson(store.publicUrl(channelRecordKey(appId, channel)), channelRecordKey(appId, channel), doFetch),
      )
      return record && Array.isArray(record.history) ? (record as unknown as ChannelView) : undefined
    },
    async readReleaseAt(key) {
      const record = mine(await readJson(store.publicUrl(key), key, doFetch))
      return record && Array.isArray(record.files) && record.bundle ? (record as unknown as ReleaseView) : undefined
    },
  }
}
