/**
 * Capgo stays the truth for devices: when its channel points elsewhere than the channel record,
 * say so and take Capgo's versions (with their release records when this action published them).
 */
import type { ReleaseRecords } from '../records/index.js'
import {
  emptyChannelRecord,
  HISTORY_LIMIT,
  pointerOf,
  type ChannelRecord,
  type ReleasePointer,
} from '../records/schema.js'
import type { ServerChannelState } from './server.js'

export interface Reconciliation {
  /** Apply to any (fresher) copy of the record: the server's view wins where it differs. */
  apply(record: ChannelRecord | undefined): ChannelRecord | undefined
  warnings: string[]
}

async function pointerFor(
  records: ReleaseRecords,
  current: ChannelRecord | undefined,
  version: string,
): Promise<ReleasePointer | undefined> {
  const known = [current?.stable, current?.rollout?.release, ...(current?.history ?? [])].find(
    (entry) => entry?.version === version,
  )
  if (known) return known
  const found = await records.readRelease(version)
  return found ? pointerOf(found.record, found.key) : undefined
}

export async function reconcile(
  records: ReleaseRecords,
  channel: string,
  record: ChannelRecord | undefined,
  server: ServerChannelState | null | undefined,
): Promise<Reconciliation> {
  const warnings: string[] = []
  if (server === undefined) return { apply: (current) => current, warnings }
  const recordStable = record?.stable?.version
  const recordRollout = record?.rollout?.release.version
  const serverStable = server?.stable
  const serverRollout = server?.rollout?.version
  if (recordStable === serverStable && recordRollout === serverRollout) return { apply: (current) => current, warnings }

  const stable = serverStable ? await pointerFor(records, record, serverStable) : null
  const rollout = serverRollout ? await pointerFor(records, record, serverRollout) : null
  const describe = (s?: string, r?: string) => `${s ? `stable ${s}` : 'no stable'}${r ? `, rollout ${r}` : ''}`
  warnings.push(
    `Capgo's channel '${channel}' has ${describe(serverStable, serverRollout)}, but the release records say ${record ? describe(recordStable, recordRollout) : 'nothing'} ` +
      `(changed outside this action?). Devices follow Capgo: using Capgo's versions.`,
  )
  if ((serverStable && !stable) || (serverRollout && !rollout)) {
    warnings.push(
      `No release record for ${[serverStable && !stable ? serverStable : '', serverRollout && !rollout ? serverRollout : ''].filter(Boolean).join(' and ')} (published by another tool?): the channel record cannot point at it and keeps its own entry.`,
    )
  }
  return {
    warnings,
    apply(current) {
      if (!current && !stable) return current
      const next = { ...(current ?? emptyChannelRecord(records.appId, channel, records.now())) }
      if (serverStable === undefined) next.stable = null
      else if (stable && next.stable?.version !== stable.version) {
        next.history = [
          ...(next.stable ? [next.stable] : []),
          ...next.history.filter((entry) => entry.version !== stable.version && entry.version !== next.stable?.version),
        ].slice(0, HISTORY_LIMIT)
        next.stable = stable
      }
      if (serverRollout === undefined) next.rollout = null
      else if (rollout) next.rollout = { release: rollout, percentage: server?.rollout?.percentage ?? 100 }
      return next
    },
  }
}
