/**
 * Release-management inputs (mode, rollout-percentage, preview, preview-channel) and, for
 * promote / rollback / cleanup, the little they need: the app id, the channel, the storage and the
 * server; no web folder, key or version (rollback takes `version` only when given).
 */
import { inputError } from '../errors.js'
import { resolveRelease, type ReleaseSettings } from '../modes/inputs.js'
import type { RunContext } from './context.js'
import type { Inputs } from './reader.js'
import { normalizeVersion } from './version.js'

export interface ReleaseConfig extends ReleaseSettings {
  /** The workflow run (for idempotent re-runs of promote and rollback). */
  run: { runId?: string; runAttempt?: string }
}

export function resolveReleaseConfig(
  inputs: Inputs,
  context: RunContext,
  packageVersion: string | undefined,
): ReleaseConfig {
  const release = resolveRelease(
    {
      mode: inputs.read('mode'),
      rolloutPercentage: inputs.given('rollout-percentage') ? inputs.read('rollout-percentage') : undefined,
      preview: inputs.bool('preview'),
      previewChannel: inputs.read('preview-channel'),
    },
    {
      channel: inputs.read('channel')!,
      explicitVersion: inputs.given('version') ? normalizeVersion(inputs.read('version')!) : undefined,
      packageVersion,
      pullRequest: context.pullRequest?.number,
      runNumber: context.runNumber,
    },
  )
  if (release.mode !== 'publish' && inputs.bool('dry-run')) {
    throw inputError(
      'dry-run',
      'input_choice_invalid',
      `{{dry-run}} applies to {{mode}} publish only; {{mode}} ${release.mode} has nothing to try out locally. Remove {{dry-run}}.`,
    )
  }
  return { ...release, run: { runId: context.git?.runId, runAttempt: context.git?.runAttempt } }
}
