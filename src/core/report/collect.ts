/**
 * Gathers what "what changed" compares: the new bundle's file list (name, size, sha256 of each file,
 * from the zip pass) and the channel's live release and recent sizes from the guard.
 */
import type { NativeGuardResult } from '../native/guard.js'
import type { BundleResult } from '../types.js'
import { type ChangesSummary, type RolloutState, summarizeChanges } from './changes.js'

export function collectChanges(args: {
  channel: string
  bundle: BundleResult
  guard: NativeGuardResult
  rollout?: RolloutState
}): ChangesSummary {
  const { bundle, guard } = args
  const view = guard.channel
  const earlier = view ? [...(view.stable ? [view.stable] : []), ...view.history] : []
  return summarizeChanges({
    channel: args.channel,
    previous: guard.previous,
    current: {
      version: bundle.version,
      bundle: { zipSize: bundle.zipSize, rawSize: bundle.rawSize, fileCount: bundle.fileCount },
      files: bundle.files,
    },
    native: guard.verdict,
    rollout: args.rollout,
    earlier: earlier.map((entry) => ({ version: entry.version, zipSize: entry.zipSize })),
  })
}
