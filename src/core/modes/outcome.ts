import type { ChannelRecord } from '../records/schema.js'
import type { WritePath } from '../records/update.js'

export type ReleaseMode = 'publish' | 'promote' | 'rollback' | 'cleanup'

/** What a mode did, for the report and outputs. */
export interface ReleaseOutcome {
  mode: ReleaseMode
  appId: string
  channel: string
  /** False when the run found nothing to do (a repeat): green, nothing changed. */
  changed: boolean
  note: string
  warnings: string[]
  stable?: string
  rollout?: { version: string; percentage: number } | null
  /** The stable version before this run. */
  previousStable?: string
  /** The channel record after this run (undefined after cleanup). */
  record?: ChannelRecord
  writePath?: WritePath
  cleanup?: { deletedVersions: string[]; deletedObjects: string[]; keptVersions: string[] }
}

export function describeState(record: ChannelRecord | undefined): Pick<ReleaseOutcome, 'stable' | 'rollout'> {
  return {
    stable: record?.stable?.version,
    rollout: record?.rollout
      ? { version: record.rollout.release.version, percentage: record.rollout.percentage }
      : null,
  }
}
