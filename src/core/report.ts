/**
 * The job summary and PR comment, as one pure function of what happened. The verdict comes first
 * (status emoji and verb in the heading), and says exactly what was and was not done; values
 * follow in one table; hashes, timings and files sit in collapsed sections. Everything the user
 * or a server controls goes through markdown.ts, so none of it can inject markdown or HTML.
 */
import type { Stage } from './errors.js'
import { mdCode, mdLink, mdTable, mdText } from './markdown.js'
import type { ReleaseOutcome } from './modes/outcome.js'
import { channelPhrase, releaseVerdict, renderReleaseSection } from './modes/report.js'
import type { BundleState } from './register/registration.js'
import type { BundleResult, PublishResult, StageTiming } from './types.js'
import { safeUrl } from './url.js'

/** What the report shows: a finished publish, or how far a failed one got. */
export interface ReportView {
  appId?: string
  version?: string
  channel?: string
  dryRun: boolean
  server: string
  storage: string
  result?: PublishResult
  failure?: {
    stage: Stage
    message: string
    bundle?: BundleResult
    timings: StageTiming[]
    /** For a failure while registering: whether the update server may reference the upload. */
    bundleState?: BundleState
  }
  runUrl?: string
  /**
   * A ready "Changes since <previous> on <channel>" section (markdown, user text already escaped
   * with markdown.ts), shown right after the verdict. Rendered by the release notes code.
   */
  changes?: string
  /** `mode` when it is not publish: the report shows the channel change, no bundle. */
  mode?: ReleaseOutcome['mode']
  /** What promote / rollback / cleanup did (publish carries it in `result.release`). */
  release?: ReleaseOutcome
  /** A preview publish: the report tells testers how to join its channel. */
  preview?: boolean
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`
}

/** Hidden marker that identifies this app+channel's PR comment, so matrix legs keep separate comments. */
export function commentMarker(appId: string, channel: string): string {
  // Inside an HTML comment only `--` and `>` matter; app ids and channels are validated, but be sure.
  const safe = (text: string) => text.replace(/-{2,}|>/g, '_')
  return `<!-- capacitor-live-update-action:${safe(appId)}:${safe(channel)} -->`
}

interface Verdict {
  /** Emoji and verb for the heading, e.g. `✅` + `published`. */
  emoji: string
  verb: string
  /** What was and was not done, as a sentence. */
  sentence: string
}

const KEPT_BUNDLE = 'devices keep their current bundle.'
const BEFORE_UPLOAD: readonly Stage[] = ['input', 'build', 'keys', 'bundle', 'lookup']

/** The sentence after a failure depends on how far it got: never "registered" and "nothing registered" at once. */
function failureConsequence(view: ReportView, failure: NonNullable<ReportView['failure']>): string {
  if (view.dryRun) return 'Dry run: nothing was uploaded or registered.'
  if (view.mode && view.mode !== 'publish')
    return 'Promote, rollback and cleanup are safe to repeat: fix the cause and re-run the job.'
  if (failure.stage === 'records' && failure.timings.some((timing) => timing.stage === 'register')) {
    return 'The bundle is registered, but the release records were not updated: re-run the publish (it finds the bundle and updates them).'
  }
  if (BEFORE_UPLOAD.includes(failure.stage)) return `Nothing was uploaded or registered: ${KEPT_BUNDLE}`
  if (failure.stage !== 'register' || failure.bundleState === 'not-registered')
    return `Nothing was registered: ${KEPT_BUNDLE}`
  if (failure.bundleState === 'registered') {
    return (
      'The bundle is registered, but the channel may not point at it yet: ' +
      're-run the publish to finish (it finds the bundle and points the channel).'
    )
  }
  return (
    'The update server may have registered the bundle, so the upload was kept: ' +
    're-run the publish to settle it (it looks the version up first).'
  )
}

function verdictOf(view: ReportView): Verdict {
  const channel = mdCode(view.channel ?? '')
  if (view.failure) {
    const verb = `${view.dryRun ? 'dry run ' : ''}failed at stage ${view.failure.stage}`
    return { emoji: '❌', verb, sentence: failureConsequence(view, view.failure) }
  }
  const result = view.result
  if (!result && view.release) return releaseVerdict(view.release)
  if (!result) return { emoji: '❔', verb: 'no result', sentence: 'The run ended before publishing.' }
  const points = channelPhrase(result.release, result.version, view.channel ?? '')
  const server = mdText(result.registrar)
  const pointed = `${points}.`
  switch (result.status) {
    case 'checked':
      return {
        emoji: '🔎',
        verb: 'checked only (no private key)',
        sentence:
          'No private key on this pull request (GitHub gives forks and Dependabot no secrets), so signing and upload ' +
          'were skipped: the build zips and passes the device layout check; nothing was uploaded or registered.',
      }
    case 'dry-run': {
      const sentence = 'Bundle made and checked as a device would, locally; nothing was uploaded or registered.'
      return { emoji: '🧪', verb: `dry run, would publish to ${channel}`, sentence }
    }
    case 'already-published':
      return {
        emoji: '✅',
        verb: 'already published',
        sentence: `This exact content is already registered: nothing was uploaded; ${pointed}`,
      }
    case 'published': {
      const checked = result.verified
        ? 'downloaded and checked as a device would'
        : 'not verified (`verify: false`): nobody downloaded it as a device would'
      if (result.registrar !== 'none') {
        if (result.verified)
          return {
            emoji: '✅',
            verb: 'published',
            sentence: `Uploaded, ${checked}, registered with ${server}; ${pointed}`,
          }
        return {
          emoji: '⚠️',
          verb: 'published, not verified',
          sentence: `Uploaded and registered with ${server}, ${checked}; ${pointed}`,
        }
      }
      return {
        emoji: '📦',
        verb: result.verified ? 'uploaded, not registered' : 'uploaded, not verified, not registered',
        sentence:
          `Uploaded, ${checked}. Not registered (\`server: none\`): no update server was told, ` +
          'and devices get it only once something registers its URL.',
      }
    }
  }
}

function heading(view: ReportView, verdict: Verdict): string {
  const subject = [view.appId, view.version]
    .filter((part): part is string => Boolean(part))
    .map((part) => mdText(part, 200))
  const target = view.channel && !view.dryRun ? ` → ${mdText(view.channel, 200)}` : ''
  const title = subject.length > 0 ? `${subject.join(' ')}${target}` : 'Live update'
  return `### ${verdict.emoji} ${title}: ${verdict.verb}`
}

function facts(view: ReportView, bundle: BundleResult | undefined): string[] {
  const lines: string[] = []
  if (bundle)
    lines.push(
      `Zip ${formatBytes(bundle.zipSize)} · ${bundle.fileCount} files, ${formatBytes(bundle.rawSize)} unpacked`,
    )
  // Without its query: a public-url template may carry a token there, and the summary and PR
  // comment are not masked (devices get the whole URL from the update server).
  if (view.result?.bundleUrl) lines.push(`Bundle URL: ${mdCode(safeUrl(view.result.bundleUrl), { max: 2_000 })}`)
  return lines.length > 0 ? [lines.join('  \n'), ''] : []
}

function overview(view: ReportView): string[] {
  const cell = (text: string | undefined) => mdCode(text ?? '', { inTable: true })
  const notCalled = view.dryRun ? ' (not called: dry run)' : ''
  const row = [
    cell(view.appId),
    cell(view.version),
    cell(view.channel),
    cell(view.storage),
    `${cell(view.server)}${notCalled}`,
  ]
  return [...mdTable(['App', 'Version', 'Channel', 'Storage', 'Update server'], [row]), '']
}

function keysSection(view: ReportView, bundle: BundleResult): string[] {
  const rows: [string, string][] = [
    ['key_id', bundle.keyId],
    ['Checksum (signed)', bundle.checksum],
    ['Session key', bundle.sessionKey],
    ['sha256 (zip)', bundle.sha256],
    ['Encrypted size', `${bundle.encryptedSize} bytes`],
  ]
  if (view.result?.bundleId) rows.push(['Bundle id', view.result.bundleId])
  return [
    '<details><summary>Keys and checksums (for <code>live-update verify</code>)</summary>',
    '',
    ...mdTable(
      ['Field', 'Value'],
      rows.map(([name, value]) => [name, mdCode(value, { inTable: true, max: 2_000 })]),
    ),
    '',
    '</details>',
    '',
  ]
}

function timingsSection(timings: StageTiming[]): string[] {
  if (timings.length === 0) return []
  const total = timings.reduce((sum, timing) => sum + timing.ms, 0)
  const rows = [
    ...timings.map((timing) => [timing.stage, formatMs(timing.ms)]),
    ['**total**', `**${formatMs(total)}**`],
  ]
  return ['<details><summary>Time per stage</summary>', '', ...mdTable(['Stage', 'Time'], rows), '', '</details>', '']
}

function filesSection(bundle: BundleResult | undefined): string[] {
  if (!bundle || bundle.largestFiles.length === 0) return []
  const rows = bundle.largestFiles.map((file) => [mdCode(file.path, { inTable: true }), formatBytes(file.size)])
  return ['<details><summary>Largest files</summary>', '', ...mdTable(['File', 'Size'], rows), '', '</details>', '']
}

/** Markdown for the job summary and the PR comment: readable at a glance, also on failure. */
export function renderReport(view: ReportView): string {
  const bundle = view.result?.bundle ?? view.failure?.bundle
  const verdict = verdictOf(view)
  const lines = [heading(view, verdict), '']
  if (view.failure) lines.push(`**Failed at stage \`${view.failure.stage}\`**: ${mdText(view.failure.message)}`, '')
  lines.push(verdict.sentence, '')
  if (view.changes) lines.push(view.changes.trim(), '')
  const release = view.result?.release ?? view.release
  if (release) lines.push(...renderReleaseSection(release, { server: view.server, preview: view.preview }))
  lines.push(...facts(view, bundle), ...overview(view))
  if (bundle && view.result?.status !== 'checked') lines.push(...keysSection(view, bundle))
  lines.push(...timingsSection(view.result?.timings ?? view.failure?.timings ?? []), ...filesSection(bundle))
  if (view.runUrl) lines.push(mdLink('Workflow run', view.runUrl), '')
  return lines.join('\n')
}
