/**
 * The release-management inputs, parsed into one typed object before any work:
 * `mode` (publish | promote | rollback | cleanup), `rollout-percentage` (0.01-100, default 100),
 * `preview` and `preview-channel`. Pull-request facts (number, run number) come in as plain values:
 * the core knows nothing about GitHub.
 */
import { inputError } from '../errors.js'
import type { ReleaseMode } from './outcome.js'
import { DEFAULT_PREVIEW_CHANNEL, previewChannel, previewVersion } from './preview.js'

export const RELEASE_MODES = ['publish', 'promote', 'rollback', 'cleanup'] as const

export interface ReleaseInputs {
  mode?: string
  rolloutPercentage?: string
  preview?: boolean
  previewChannel?: string
}

export interface ReleaseFacts {
  /** The `channel` input (default production). */
  channel: string
  /** The `version` input when set explicitly. */
  explicitVersion?: string
  /** package.json's version, for preview versions. */
  packageVersion?: string
  /** The pull request this run is for (pull_request events). */
  pullRequest?: number
  /** The workflow's run number (GITHUB_RUN_NUMBER). */
  runNumber?: string
}

export interface ReleaseSettings {
  mode: ReleaseMode
  /** The channel the mode works on (the preview channel for previews and cleanup). */
  channel: string
  rolloutPercentage: number
  /** Publish to this version instead of the usual one (previews). */
  version?: string
  preview?: { pullRequest: number }
}

export function parseRolloutPercentage(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return 100
  const value = Number(text.trim().replace(/%$/, ''))
  // Capgo keeps basis points: two decimals are the finest share a server can hold. Compared with a
  // tolerance: in binary floating point 1.1 * 100 is 110.00000000000001.
  const basisPoints = value * 100
  if (
    !Number.isFinite(value) ||
    value < 0.01 ||
    value > 100 ||
    Math.abs(basisPoints - Math.round(basisPoints)) > 1e-6
  ) {
    throw inputError(
      'rollout-percentage',
      'input_rollout_percentage_invalid',
      `{{rollout-percentage}} must be a number from 0.01 to 100 with at most two decimals (e.g. 10 for a 10 % rollout, 100 for everyone); got '${text}'.`,
    )
  }
  return value
}

export function resolveRelease(inputs: ReleaseInputs, facts: ReleaseFacts): ReleaseSettings {
  const mode = (inputs.mode?.trim() || 'publish') as ReleaseMode
  if (!RELEASE_MODES.includes(mode))
    throw inputError(
      'mode',
      'input_choice_invalid',
      `{{mode}} must be one of ${RELEASE_MODES.join(', ')}; got '${inputs.mode}'.`,
    )
  const rolloutPercentage = parseRolloutPercentage(inputs.rolloutPercentage)
  if (mode !== 'publish' && rolloutPercentage !== 100) {
    throw inputError(
      'rollout-percentage',
      'input_rollout_percentage_invalid',
      `{{rollout-percentage}} applies to {{mode}} publish only; {{mode}} ${mode} changes no share. Remove it.`,
    )
  }
  const template = inputs.previewChannel?.trim() || DEFAULT_PREVIEW_CHANNEL
  const needsPr = template.includes('{number}')
  const channelOfPr = (input: string): string => {
    if (needsPr && facts.pullRequest === undefined) {
      throw inputError(
        input,
        'input_preview_channel_invalid',
        `{{${input}}} needs a pull request: run it on pull_request events (for cleanup: pull_request with types: [closed]), or give {{preview-channel}} without {number}.`,
      )
    }
    return previewChannel(template, facts.pullRequest ?? 0)
  }
  if (mode === 'cleanup') return { mode, channel: channelOfPr('mode'), rolloutPercentage }
  if (inputs.preview && mode === 'publish') {
    const channel = channelOfPr('preview')
    const pullRequest = facts.pullRequest ?? 0
    const version =
      facts.explicitVersion ??
      (facts.packageVersion ? previewVersion(facts.packageVersion, pullRequest, facts.runNumber ?? '0') : undefined)
    return { mode, channel, rolloutPercentage, version, preview: { pullRequest } }
  }
  return {
    mode,
    channel: facts.channel,
    rolloutPercentage,
    version: mode === 'rollback' ? facts.explicitVersion : undefined,
  }
}
