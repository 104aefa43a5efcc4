import type { BundleResult, PublishResult, StageTiming } from './types.js'

/** What the report shows: a finished publish, or how far a failed one got. */
export interface ReportView {
  appId?: string
  version?: string
  channel?: string
  dryRun: boolean
  server: string
  storage: string
  result?: PublishResult
  failure?: { stage: string; message: string; bundle?: BundleResult; timings: StageTiming[] }
  runUrl?: string
}

const STATUS_LINE: Record<string, string> = {
  published: '✅ Published',
  'already-published': '✅ Already published (same content; nothing uploaded)',
  'dry-run': '🧪 Dry run: bundle made and verified locally; nothing uploaded or registered',
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

/** Escapes text for a markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

/** Hidden marker that identifies this app+channel's PR comment, so matrix legs keep separate comments. */
export function commentMarker(appId: string, channel: string): string {
  return `<!-- capacitor-live-update-action:${appId}:${channel} -->`
}

/** Markdown for the job summary and the PR comment: readable at a glance, also on failure. */
export function renderReport(view: ReportView): string {
  const bundle = view.result?.bundle ?? view.failure?.bundle
  const timings = view.result?.timings ?? view.failure?.timings ?? []
  const title = `${view.appId ?? 'app'} ${view.version ?? ''} → ${view.channel ?? ''}`.trim()
  const lines: string[] = [`### Live update: ${cell(title)}`, '']
  if (view.failure) {
    lines.push(`❌ **Failed at stage \`${view.failure.stage}\`**: ${cell(view.failure.message)}`, '')
    lines.push('Nothing was registered: devices keep their current bundle.', '')
  } else if (view.result) {
    lines.push(`**${STATUS_LINE[view.result.status]}**`, '')
  }
  const rows: [string, string][] = [
    ['App', view.appId ?? '—'],
    ['Version', view.version ?? '—'],
    ['Channel', view.channel ?? '—'],
    ['Storage', view.storage],
    ['Update server', view.server],
  ]
  if (bundle) {
    rows.push(
      ['Files', `${bundle.fileCount} (${formatBytes(bundle.rawSize)})`],
      ['Zip', formatBytes(bundle.zipSize)],
      ['Encrypted', formatBytes(bundle.encryptedSize)],
      ['key_id', `\`${bundle.keyId}\``],
      ['Checksum (signed)', `\`${bundle.checksum.slice(0, 16)}…\``],
      ['sha256 (zip)', `\`${bundle.sha256.slice(0, 16)}…\``],
    )
  }
  if (view.result?.bundleUrl) rows.push(['Bundle URL', view.result.bundleUrl])
  if (view.result?.bundleId) rows.push(['Bundle id', view.result.bundleId])
  lines.push('| | |', '|---|---|', ...rows.map(([name, value]) => `| ${name} | ${cell(value)} |`), '')
  if (timings.length > 0) {
    const total = timings.reduce((sum, timing) => sum + timing.ms, 0)
    lines.push('<details><summary>Time per stage</summary>', '', '| Stage | Time |', '|---|---|')
    lines.push(...timings.map((timing) => `| ${timing.stage} | ${formatMs(timing.ms)} |`), `| **total** | **${formatMs(total)}** |`, '', '</details>', '')
  }
  if (bundle && bundle.largestFiles.length > 0) {
    lines.push('<details><summary>Largest files</summary>', '', '| File | Size |', '|---|---|')
    lines.push(...bundle.largestFiles.map((file) => `| \`${cell(file.path)}\` | ${formatBytes(file.size)} |`), '', '</details>', '')
  }
  if (view.runUrl) lines.push(`[Workflow run](${view.runUrl})`, '')
  return lines.join('\n')
}
