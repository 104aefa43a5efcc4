/**
 * The release part of the job summary and PR comment: what the channel serves now, what this run
 * changed (or why it changed nothing), Capgo disagreements, and for previews how to join. All text
 * goes through markdown.ts.
 */
import { mdCode, mdText } from '../markdown.js'
import type { ReleaseOutcome } from './outcome.js'
import { previewJoinInstructions } from './preview.js'

const VERB: Record<ReleaseOutcome['mode'], string> = {
  publish: 'published',
  promote: 'promoted',
  rollback: 'rolled back',
  cleanup: 'cleaned up',
}

/** Heading verb and sentence of a promote / rollback / cleanup run. */
export function releaseVerdict(outcome: ReleaseOutcome): { emoji: string; verb: string; sentence: string } {
  if (!outcome.changed)
    return {
      emoji: '✅',
      verb: `${outcome.mode}: nothing to do`,
      sentence: `${mdText(outcome.note)} Nothing was changed.`,
    }
  return { emoji: '✅', verb: VERB[outcome.mode], sentence: mdText(outcome.note) }
}

/** How the verdict names what the channel does with a published version. */
export function channelPhrase(outcome: ReleaseOutcome | undefined, version: string, channel: string): string {
  const name = mdCode(channel)
  if (outcome?.rollout?.version === version)
    return `channel ${name} rolls it out to ${outcome.rollout.percentage} % of devices (stable stays ${mdText(outcome.stable ?? 'none')})`
  return `channel ${name} points at it`
}

export function renderReleaseSection(
  outcome: ReleaseOutcome,
  options: { server: string; preview?: boolean },
): string[] {
  const lines: string[] = []
  if (outcome.mode !== 'cleanup') {
    const rollout = outcome.rollout
      ? `${mdText(outcome.rollout.version)} to ${outcome.rollout.percentage} % of devices`
      : 'none'
    const before =
      outcome.previousStable && outcome.previousStable !== outcome.stable
        ? ` (stable before: ${mdText(outcome.previousStable)})`
        : ''
    lines.push(
      `**Channel ${mdCode(outcome.channel)}**: stable ${mdText(outcome.stable ?? '—')}; rollout ${rollout}${before}.`,
      '',
    )
    if (outcome.mode === 'publish' && outcome.note) lines.push(mdText(outcome.note), '')
  } else if (outcome.cleanup) {
    const { deletedVersions, keptVersions, deletedObjects } = outcome.cleanup
    const list = (versions: string[]) =>
      versions.length ? versions.map((version) => mdText(version)).join(', ') : 'none'
    lines.push(
      `Deleted releases: ${list(deletedVersions)} (${deletedObjects.length} object(s)); kept (used by another channel): ${list(keptVersions)}.`,
      '',
    )
  }
  for (const warning of outcome.warnings) lines.push(`> ⚠️ ${mdText(warning)}`, '')
  if (options.preview && outcome.mode === 'publish')
    lines.push(previewJoinInstructions(outcome.channel, options.server), '')
  return lines
}
