/**
 * The plugin's statistics: it queues events and POSTs them as a JSON array (one object from older
 * plugins). A 4xx makes it drop the batch and a 5xx makes it retry, so junk events are counted as
 * rejected inside a 200 and never turn into a retry storm.
 */
import { APP_ID } from './state.js'

const ACTION = /^[A-Za-z0-9_:-]{1,64}$/
const MAX_EVENTS = 1000
/** Distinct action names counted; past this, new names go to `other` (memory stays flat). */
const MAX_ACTIONS = 256

export interface StatsEvent {
  app_id: string
  device_id?: string
  action: string
  version_name?: string
  old_version_name?: string
  platform?: string
  timestamp?: number
}

export interface StatsCounter {
  /** Events accepted, by action. */
  counts(): Record<string, number>
  rejected(): number
}

export class StatsBook implements StatsCounter {
  private readonly byAction = new Map<string, number>()
  private rejectedCount = 0

  add(action: string): void {
    const name = this.byAction.has(action) || this.byAction.size < MAX_ACTIONS ? action : 'other'
    this.byAction.set(name, (this.byAction.get(name) ?? 0) + 1)
  }

  reject(count = 1): void {
    this.rejectedCount += count
  }

  counts(): Record<string, number> {
    return Object.fromEntries(this.byAction)
  }

  rejected(): number {
    return this.rejectedCount
  }
}

function pick(source: Record<string, unknown>, field: string, max: number): string | undefined {
  const value = source[field]
  return typeof value === 'string' && value.length <= max ? value : undefined
}

/** Valid events (the fields a webhook needs, nothing else) and how many entries were junk. */
export function sortStats(body: unknown): { events: StatsEvent[]; rejected: number } | undefined {
  const list = Array.isArray(body) ? body : body && typeof body === 'object' ? [body] : undefined
  if (!list) return undefined
  const events: StatsEvent[] = []
  let rejected = Math.max(0, list.length - MAX_EVENTS)
  for (const item of list.slice(0, MAX_EVENTS)) {
    const source =
      item && typeof item === 'object' && !Array.isArray(item) ? (item as Record<string, unknown>) : undefined
    const action = source && pick(source, 'action', 64)
    const appId = source && pick(source, 'app_id', 255)
    if (!source || !action || !ACTION.test(action) || !appId || !APP_ID.test(appId)) {
      rejected++
      continue
    }
    const timestamp =
      typeof source.timestamp === 'number' && Number.isFinite(source.timestamp) ? source.timestamp : undefined
    events.push({
      app_id: appId,
      action,
      device_id: pick(source, 'device_id', 36),
      version_name: pick(source, 'version_name', 255),
      old_version_name: pick(source, 'old_version_name', 255),
      platform: pick(source, 'platform', 16),
      timestamp,
    })
  }
  return { events, rejected }
}

/** POST accepted events to the user's webhook; failures are counted, never surfaced to devices. */
export async function forwardStats(
  url: string,
  events: StatsEvent[],
  doFetch: typeof fetch,
  timeoutMs = 5000,
): Promise<boolean> {
  try {
    const response = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
      signal: AbortSignal.timeout(timeoutMs),
    })
    await response.body?.cancel()
    return response.ok
  } catch {
    return false
  }
}
